//! Errors, one enum per family of operation. Every variant carries the ids
//! and values involved; an `Err` means the command changed nothing.

use crate::ids::{AgentId, InteractionId, OfferId, QueueId, SkillId};
use crate::model::capacity::CapacityError;
use crate::model::channel::Channel;
use crate::model::interaction::InteractionState;
use crate::time::{SpanError, Timestamp};

/// Why a command was refused. The command changed nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The host passed a time earlier than one it passed before.
    #[error("time went backwards: last {last}, now {now}; pass non-decreasing times")]
    TimeWentBackwards {
        /// The latest time seen.
        last: Timestamp,
        /// The time passed.
        now: Timestamp,
    },
    /// The time is outside the range the engine accepts, [`Timestamp::EPOCH`] to [`Timestamp::MAX`].
    #[error("time {now} is outside the accepted range {min} to {max}")]
    TimeOutOfRange {
        /// The time passed.
        now: Timestamp,
        /// The earliest accepted time.
        min: Timestamp,
        /// The latest accepted time.
        max: Timestamp,
    },
    /// A configured span is unusable: under 1 ms but not zero (it would round
    /// to zero), zero where zero makes no sense, or over [`Timestamp::MAX_SPAN`].
    #[error("{field} of {span:?} {error}")]
    InvalidSpan {
        /// Which setting, e.g. `"queue offer_timeout"`.
        field: &'static str,
        /// The span given.
        span: std::time::Duration,
        /// What is wrong with it.
        error: SpanError,
    },
    /// An exception rule moves interactions to a queue it cannot: itself, a
    /// queue that does not exist yet, or one that does not take all of this
    /// queue's channels.
    #[error("queue {queue}'s exception rule {rule} moves to queue {target}, {problem}")]
    BadMoveTarget {
        /// The queue being configured.
        queue: QueueId,
        /// The rule, from 0.
        rule: usize,
        /// The queue it names.
        target: QueueId,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Exception rules move interactions round a loop of queues (only a
    /// hand-made snapshot can hold one: a rule's target must exist before it).
    #[error("queue {queue}'s exception rules move interactions round a loop back to it")]
    MoveLoop {
        /// A queue on the loop.
        queue: QueueId,
    },
    /// A routing step other than the last never expires, so the steps after
    /// it could never be reached.
    #[error("routing step {step} never expires, but it is not the last: give it expires_after")]
    StepWithoutExpiry {
        /// The step, from 0.
        step: usize,
    },
    /// The last routing step expires, but there is no step after it.
    #[error("the last routing step ({step}) expires, but no step follows: leave its expires_after empty")]
    LastStepExpires {
        /// The step, from 0.
        step: usize,
    },
    /// A queue lists a channel twice.
    #[error("queue {queue} lists channel {channel} twice")]
    DuplicateChannel {
        /// The queue.
        queue: QueueId,
        /// The channel.
        channel: Channel,
    },
    /// No such skill; add it first with `Command::AddSkill`.
    #[error("unknown skill {0}; add it with Command::AddSkill first")]
    UnknownSkill(SkillId),
    /// The skill id is taken.
    #[error("skill {0} already exists")]
    DuplicateSkill(SkillId),
    /// No such calendar; add it first with `Command::AddCalendar`.
    #[error("unknown calendar {0}; add it with Command::AddCalendar first")]
    UnknownCalendar(crate::ids::CalendarId),
    /// The calendar id is taken.
    #[error("calendar {0} already exists")]
    DuplicateCalendar(crate::ids::CalendarId),
    /// A calendar's hours are malformed.
    #[error("calendar {calendar}: {error}")]
    BadCalendar {
        /// The calendar.
        calendar: crate::ids::CalendarId,
        /// What is wrong with its hours.
        error: crate::model::calendar::CalendarError,
    },
    /// A queue's [`WhenClosed::Move`](crate::WhenClosed::Move) names a queue
    /// it cannot move to: itself, one that does not exist yet, or one that
    /// does not take all its channels.
    #[error("queue {queue} moves its work when closed to queue {target}, {problem}")]
    BadClosedTarget {
        /// The queue being configured.
        queue: QueueId,
        /// The queue it names.
        target: QueueId,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// [`Command::UpdateQueue`](crate::Command::UpdateQueue) would remove a
    /// channel the queue takes; add a new queue instead.
    #[error("queue {queue} cannot stop taking {channel}: add a new queue instead")]
    ChannelRemoved {
        /// The queue.
        queue: QueueId,
        /// The channel dropped.
        channel: Channel,
    },
    /// An agent attribute is already declared.
    #[error("agent attribute {0:?} already exists")]
    DuplicateAgentAttribute(String),
    /// An agent's attribute is not declared, or holds a value of another kind.
    #[error("agent {agent}'s attribute {name:?}: {problem}")]
    BadAgentAttribute {
        /// The agent.
        agent: AgentId,
        /// The attribute.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An eligibility expression is malformed; `part` names where it sits
    /// (e.g. `"queue q3 step 1 eligibility"`).
    #[error("{part}: {error}")]
    BadExpression {
        /// Where the expression sits.
        part: String,
        /// What is wrong with it.
        error: crate::model::expression::ExpressionError,
    },
    /// The wrap-up's mode needs a disposition code before the agent ends it
    /// ([`WrapUpMode::TimeBoxed`](crate::WrapUpMode::TimeBoxed),
    /// [`WrapUpMode::Untimed`](crate::WrapUpMode::Untimed)).
    #[error("interaction {0}: give a disposition code before ending its wrap-up")]
    DispositionRequired(InteractionId),
    /// A forced wrap-up ([`WrapUpMode::Forced`](crate::WrapUpMode::Forced)) ends only at its limit.
    #[error("interaction {interaction}: its wrap-up is forced and ends at {until}")]
    WrapUpForced {
        /// The interaction.
        interaction: InteractionId,
        /// When it ends.
        until: Timestamp,
    },
    /// The wrap-up cannot be extended: it is untimed, already extended, or
    /// its queue allows no extension.
    #[error("interaction {interaction}: its wrap-up cannot be extended: {why}")]
    WrapUpNotExtendable {
        /// The interaction.
        interaction: InteractionId,
        /// Why not.
        why: &'static str,
    },
    /// A membership's weight is outside 1 to [`QueueMembership::MAX_WEIGHT`](crate::QueueMembership::MAX_WEIGHT).
    #[error("agent {agent} has weight {weight} in queue {queue}: weights run from 1 to 10,000")]
    BadWeight {
        /// The agent.
        agent: AgentId,
        /// The queue.
        queue: QueueId,
        /// The weight given.
        weight: u32,
    },
    /// Only a real-time interaction (a call, a chat, a video call) can be
    /// converted into a callback.
    #[error(
        "interaction {interaction} is on {channel:?}, not a real-time channel: only calls, chats and video convert to callbacks"
    )]
    NotRealTime {
        /// The interaction.
        interaction: InteractionId,
        /// Its channel.
        channel: Channel,
    },
    /// A queue's callbacks must get at least one dial ([`QueueConfig::callback_attempts`](crate::QueueConfig::callback_attempts)).
    #[error("queue {0}: callback_attempts must be at least 1")]
    NoCallbackAttempts(QueueId),
    /// A queue's [`parallel_offers`](crate::QueueConfig::parallel_offers) is
    /// 0 or above [`QueueConfig::MAX_PARALLEL_OFFERS`](crate::QueueConfig::MAX_PARALLEL_OFFERS).
    #[error("queue {queue}: parallel_offers must be 1 to {max}, not {parallel_offers}")]
    BadParallelOffers {
        /// The queue.
        queue: QueueId,
        /// The value given.
        parallel_offers: u32,
        /// The largest accepted.
        max: u32,
    },
    /// Only a callback (channel [`Channel::Callback`](crate::Channel::Callback)) has dials that fail.
    #[error("interaction {interaction} is on {channel:?}, not a callback")]
    NotACallback {
        /// The interaction.
        interaction: InteractionId,
        /// Its channel.
        channel: Channel,
    },
    /// A scheduled callback must be due after now ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback));
    /// for one due now, use [`Command::Arrive`](crate::Command::Arrive).
    #[error("callback {interaction}: due at {due}, not after now ({now})")]
    CallbackDueNotAhead {
        /// The interaction.
        interaction: InteractionId,
        /// The due time given.
        due: Timestamp,
        /// The engine's time.
        now: Timestamp,
    },
    /// An interaction's preference names no agent.
    #[error("interaction {0}: its preference names no agent")]
    EmptyPreference(InteractionId),
    /// A direct interaction's agent is not a member of the queue it arrives
    /// in on its channel, so the queue could never offer it to them.
    #[error(
        "agent {agent} is not a member of queue {queue} working {channel:?}, so it cannot take interaction {interaction} directly"
    )]
    DirectAgentNotInQueue {
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// The queue.
        queue: QueueId,
        /// The channel.
        channel: Channel,
    },
    /// No such queue.
    #[error("unknown queue {0}")]
    UnknownQueue(QueueId),
    /// The queue id is taken.
    #[error("queue {0} already exists")]
    DuplicateQueue(QueueId),
    /// No such agent.
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    /// The agent id is taken.
    #[error("agent {0} already exists")]
    DuplicateAgent(AgentId),
    /// No such live interaction (it never arrived, or it has ended).
    #[error("unknown interaction {0} (never arrived or already ended)")]
    UnknownInteraction(InteractionId),
    /// A live interaction already has this id.
    #[error("interaction {0} is already live")]
    DuplicateInteraction(InteractionId),
    /// No such pending offer: it never existed, or it was answered, timed out or withdrawn.
    #[error("offer {0} is not pending (unknown, answered, expired or withdrawn)")]
    OfferNotPending(OfferId),
    /// The offer belongs to another agent.
    #[error("offer {offer} was made to {owner}, not to {agent}")]
    OfferNotForAgent {
        /// The offer.
        offer: OfferId,
        /// The agent who tried to answer it.
        agent: AgentId,
        /// The agent it was made to.
        owner: AgentId,
    },
    /// The interaction is not in a state the command applies to.
    #[error("interaction {interaction} is {state:?}, which does not allow this")]
    WrongInteractionState {
        /// The interaction.
        interaction: InteractionId,
        /// Its state.
        state: InteractionState,
    },
    /// The interaction is held by another agent (or none).
    #[error("interaction {interaction} is not held by agent {agent}")]
    NotAgentsInteraction {
        /// The interaction.
        interaction: InteractionId,
        /// The agent named in the command.
        agent: AgentId,
    },
    /// The agent is logged out.
    #[error("agent {0} is not logged in")]
    AgentNotLoggedIn(AgentId),
    /// The agent is already logged in.
    #[error("agent {0} is already logged in")]
    AgentAlreadyLoggedIn(AgentId),
    /// The agent is not paused.
    #[error("agent {0} is not paused")]
    AgentNotPaused(AgentId),
    /// The agent still holds work or is logged in.
    #[error("agent {0} is logged in or holds work; log out and finish work first")]
    AgentBusy(AgentId),
    /// The agent's capacity profile is unusable.
    #[error("agent {agent} has an unusable capacity profile: {error}")]
    InvalidCapacity {
        /// The agent.
        agent: AgentId,
        /// What is wrong with it.
        error: CapacityError,
    },
    /// The agent lists a queue twice.
    #[error("agent {agent} lists queue {queue} twice")]
    DuplicateMembership {
        /// The agent.
        agent: AgentId,
        /// The queue.
        queue: QueueId,
    },
    /// The queue lists no channel.
    #[error("queue {0} lists no channel")]
    QueueWithoutChannels(QueueId),
    /// A custom channel that the engine configuration does not declare.
    #[error("channel {0} is not declared in EngineConfig")]
    UnknownChannel(Channel),
    /// The queue does not take this channel.
    #[error("queue {queue} does not take channel {channel}")]
    ChannelNotInQueue {
        /// The queue.
        queue: QueueId,
        /// The channel.
        channel: Channel,
    },
    /// The interaction is already in that queue.
    #[error("interaction {interaction} is already in queue {queue}")]
    SameQueue {
        /// The interaction.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
    },
    /// A queue's [`AllDeclined::Overflow`](crate::AllDeclined::Overflow) names the queue itself.
    #[error("queue {0} cannot overflow to itself when all agents decline; name another queue")]
    OverflowToItself(QueueId),
    /// A queue's [`AllDeclined::Overflow`](crate::AllDeclined::Overflow) names a queue that does not exist.
    #[error("queue {queue} overflows to unknown queue {overflow} when all agents decline; add that queue first")]
    UnknownOverflowQueue {
        /// The queue being configured.
        queue: QueueId,
        /// The overflow queue it names.
        overflow: QueueId,
    },
    /// A queue's [`AllDeclined::Overflow`](crate::AllDeclined::Overflow) names a queue that
    /// does not take one of its channels.
    #[error("queue {queue} overflows to queue {overflow}, which does not take channel {channel}")]
    OverflowRefusesChannel {
        /// The queue being configured.
        queue: QueueId,
        /// The overflow queue it names.
        overflow: QueueId,
        /// A channel of `queue` that `overflow` does not take.
        channel: Channel,
    },
    /// Aging faster than the engine's limit.
    #[error("queue {queue}: aging of {points_per_minute} points/minute exceeds the limit of {max}")]
    AgingTooFast {
        /// The queue.
        queue: QueueId,
        /// The rate asked for.
        points_per_minute: u32,
        /// The limit.
        max: u32,
    },
    /// A configured limit would be exceeded.
    #[error("limit reached: {what} (at most {limit})")]
    LimitReached {
        /// Which limit.
        what: Limit,
        /// Its value.
        limit: u64,
    },
    /// The queue is full.
    #[error("queue {queue} is full ({limit} waiting)")]
    QueueFull {
        /// The queue.
        queue: QueueId,
        /// Its limit.
        limit: u32,
    },
}

/// The engine-wide limits a command can run into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Skills registered.
    Skills,
    /// Queues.
    Queues,
    /// Agents.
    Agents,
    /// Live interactions.
    Interactions,
    /// Distinct requirement signatures.
    Signatures,
    /// Requirements on one interaction.
    RequirementsPerInteraction,
    /// Queues one agent serves.
    QueuesPerAgent,
    /// Bytes of attributes on one interaction.
    AttributeBytes,
    /// Bytes of a skill's or queue's name.
    NameBytes,
    /// Offers one agent lets time out in a row.
    MissedOffersInARow,
    /// Routing steps in one list.
    Steps,
    /// Agent attributes declared.
    AgentAttributes,
    /// Nodes in one eligibility expression.
    ExpressionNodes,
    /// Business-hours calendars (bounded by the queue limit).
    Calendars,
    /// Agents one interaction's preference names.
    PreferredAgents,
    /// Cases whose owner the engine remembers.
    Cases,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Limit::Skills => "skills",
            Limit::Queues => "queues",
            Limit::Agents => "agents",
            Limit::Interactions => "live interactions",
            Limit::Signatures => "distinct requirement signatures",
            Limit::RequirementsPerInteraction => "requirements per interaction",
            Limit::QueuesPerAgent => "queues per agent",
            Limit::AttributeBytes => "attribute bytes per interaction",
            Limit::NameBytes => "name bytes",
            Limit::MissedOffersInARow => "missed offers in a row",
            Limit::Steps => "routing steps in one list",
            Limit::AgentAttributes => "agent attributes declared",
            Limit::ExpressionNodes => "nodes in one eligibility expression",
            Limit::Calendars => "calendars",
            Limit::PreferredAgents => "agents one interaction's preference names",
            Limit::Cases => "cases with an owner",
        };
        f.write_str(name)
    }
}

/// Why an engine configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The offer timeout is under 1 ms (no agent could ever accept) or longer than
    /// [`Timestamp::MAX_SPAN`].
    #[error("offer timeout {timeout:?} {error}")]
    InvalidOfferTimeout {
        /// The timeout asked for.
        timeout: std::time::Duration,
        /// What is wrong with it.
        error: SpanError,
    },
    /// A limit is zero, so the engine could hold nothing.
    #[error("limit {0} must be at least 1")]
    ZeroLimit(Limit),
    /// A limit is higher than the engine allows (see the limit's documentation for why).
    #[error("limit {what} is {value}, above its maximum of {max}")]
    LimitTooHigh {
        /// Which limit.
        what: Limit,
        /// The value asked for.
        value: u32,
        /// The highest value allowed.
        max: u32,
    },
    /// A custom channel was declared twice.
    #[error("custom channel {0} declared twice")]
    DuplicateCustomChannel(u16),
    /// The blending horizon is under 1 ms without being zero, or longer than
    /// [`Timestamp::MAX_SPAN`].
    #[error("blend horizon {horizon:?} {error}")]
    InvalidBlendHorizon {
        /// The horizon asked for.
        horizon: std::time::Duration,
        /// What is wrong with it.
        error: SpanError,
    },
}
