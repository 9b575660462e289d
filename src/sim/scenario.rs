//! Scenarios: a contact-center day described as data (JSON).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::limits::{SimLimit, SimLimits, figure};
use super::random::{Distribution, number};
use super::rules::{
    AdmissionRuleSpec, AgentAttributeSpec, CalendarSpec, ExceptionRuleSpec, GroupAttributeSpec, WhenEmptySpec,
};
use crate::model::channel::Channel;
use crate::model::expression::Expression;
use crate::model::queue::{AgentSelection, WhenClosed};
use crate::time::Timestamp;

/// A skill and its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillSpec {
    /// The skill's id.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// A skill at a level (a requirement's minimum, or an agent's level).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillLevel {
    /// The skill's id.
    pub skill: u64,
    /// The level, 1 to 5.
    pub level: u8,
}

/// A service-level target: `percent` answered within `secs`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSpec {
    /// The share to answer in time.
    pub percent: u8,
    /// The threshold.
    pub secs: u64,
}

/// A queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// The queue's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Channels it takes.
    pub channels: Vec<Channel>,
    /// Requirements of every interaction.
    #[serde(default)]
    pub requirements: Vec<SkillLevel>,
    /// An eligibility rule every interaction of the queue carries, beyond its
    /// requirements ([`QueueConfig::eligibility`](crate::QueueConfig::eligibility)):
    /// an [`Expression`] in the engine's own JSON, over skills, the agent
    /// attributes declared in [`Scenario::agent_attributes`], agent ids and
    /// the interaction's attributes (drawn from [`ArrivalSpec::attributes`]).
    /// For example, the customer's language:
    /// `{"attribute": {"name": "language", "op": "eq", "value": {"interaction": "language"}}}`.
    /// The engine checks it when the queue is added; a rule it refuses (an
    /// undeclared attribute, a value of the wrong kind) is a
    /// [`ScenarioError::Refused`] naming the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<Expression>,
    /// The service-level target.
    pub sla: SlaSpec,
    /// Agent selection.
    #[serde(default)]
    pub strategy: AgentSelection,
    /// Wrap-up after each interaction.
    #[serde(default)]
    pub wrap_up_secs: u64,
    /// How wrap-up ends ([`WrapUpMode`](crate::WrapUpMode)): `"Optional"`
    /// (the default), `"TimeBoxed"` or `"Forced"`. Simulated agents never end
    /// wrap-up early, so each lasts `wrap_up_secs`; `"Untimed"` is refused:
    /// nobody would end it.
    #[serde(default)]
    pub wrap_up_mode: crate::model::wrap_up::WrapUpMode,
    /// Case-owner routing ([`QueueConfig::case_owner_wait`](crate::QueueConfig::case_owner_wait)):
    /// a contact of a case waits this long for the case's owner before the
    /// queue takes it; none by default. Contacts have cases when their
    /// stream has a [`RepeatSpec`].
    #[serde(default)]
    pub case_owner_wait_secs: Option<u64>,
    /// Ring-all: each interaction rings up to this many agents at once, the
    /// first to answer takes it ([`QueueConfig::parallel_offers`](crate::QueueConfig::parallel_offers)).
    /// 1 (the default) rings one agent at a time.
    #[serde(default = "one")]
    pub parallel_offers: u32,
    /// Queue priority (higher first).
    #[serde(default)]
    pub priority: i32,
    /// Aging in points per minute.
    #[serde(default)]
    pub aging_per_minute: u32,
    /// The longest an interaction should wait before it jumps ahead of
    /// queue priority and blending ([`QueueConfig::max_wait`](crate::QueueConfig::max_wait)); none by default.
    #[serde(default)]
    pub max_wait_secs: Option<u64>,
    /// Routing steps ([`RoutingStep`](crate::RoutingStep)): requirements
    /// that relax while an interaction waits.
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    /// Seconds an interaction may stay unanswered in the queue before it ends expired
    /// ([`QueueConfig::time_to_live`](crate::QueueConfig::time_to_live)); none by default.
    #[serde(default)]
    pub time_to_live_secs: Option<u64>,
    /// Overflows: after so long unanswered, move to another queue (an
    /// [`ExceptionRule`](crate::ExceptionRule) moving the interaction). The
    /// target must be listed before this queue.
    #[serde(default)]
    pub overflow: Vec<OverflowSpec>,
    /// Exception rules ([`ExceptionRule`](crate::ExceptionRule)): after so
    /// long unanswered in the queue, alert, move, set the priority, change
    /// the requirements or end diverted ([`ExceptionRuleSpec`],
    /// [`ActionSpec`](super::ActionSpec)). `overflow` is shorthand for move
    /// rules; both may be given, and the queue has the overflows' moves
    /// first, then these, in order. None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exception_rules: Vec<ExceptionRuleSpec>,
    /// Admission rules ([`AdmissionRule`](crate::AdmissionRule)), checked
    /// as each arrival finds the queue: a length cap, an estimated-wait cap
    /// or nobody staffed, then a rule's action ([`AdmissionRuleSpec`]). None
    /// by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admission_rules: Vec<AdmissionRuleSpec>,
    /// What happens to the waiting interactions once no member is staffed
    /// ([`WhenEmpty`](crate::WhenEmpty), [`WhenEmptySpec`]); none by
    /// default, they wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_empty: Option<WhenEmptySpec>,
    /// The business-hours calendar the queue follows, by id (one of
    /// [`Scenario::calendars`]); none by default, always open. A closed queue
    /// offers nothing ([`QueueConfig::calendar`](crate::QueueConfig::calendar)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<u64>,
    /// What real-time work does while the queue is closed
    /// ([`WhenClosed`]): `"Wait"` (the default) waits for the opening,
    /// `"End"` ends it at once with [`Outcome::Closed`](crate::Outcome::Closed)
    /// (counted in [`Figures::closed`](super::Figures::closed)), and
    /// `{"Move": 9}` moves it to queue 9, keeping its place in line; the
    /// target must be listed before this queue and take all its channels.
    /// This covers arrivals while closed and the work still waiting at the
    /// closing time. Deferrable work (e-mail) always waits. Only with a
    /// `calendar`.
    #[serde(default, skip_serializing_if = "is_wait")]
    pub when_closed: WhenClosed,
}

fn is_wait(w: &WhenClosed) -> bool {
    *w == WhenClosed::Wait
}

/// One overflow of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverflowSpec {
    /// Seconds unanswered in the queue before the move.
    pub after_secs: u64,
    /// The queue it moves to (listed before this one).
    pub queue: u64,
    /// Whether it keeps its place in line there (the default).
    #[serde(default = "yes")]
    pub keep_place: bool,
}

fn yes() -> bool {
    true
}

/// One routing step of a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Requirements while in the step, on top of the queue's.
    #[serde(default)]
    pub requirements: Vec<SkillLevel>,
    /// Priority added while in the step.
    #[serde(default)]
    pub priority_boost: i32,
    /// Seconds until the next step; absent on the last.
    #[serde(default)]
    pub expires_after_secs: Option<u64>,
    /// An eligibility rule while in the step, on top of the queue's
    /// ([`RoutingStep::eligibility`](crate::RoutingStep::eligibility)), in
    /// the same JSON as [`QueueSpec::eligibility`]: a step that first wants
    /// the customer's own team, say, and then anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<Expression>,
}

/// One channel of an agent's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelCapacitySpec {
    /// The channel.
    pub channel: Channel,
    /// Most at once.
    pub max: u32,
    /// Units each uses.
    pub units: u32,
    /// Nothing else beside it.
    #[serde(default)]
    pub exclusive: bool,
}

/// A queue an agent group serves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipSpec {
    /// The queue.
    pub queue: u64,
    /// The group's priority for it (higher first); the queue's own when absent.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Delay before the group sees the queue's interactions.
    #[serde(default)]
    pub delay_secs: u64,
    /// The group's place in the queue's fixed order, for the `Linear`
    /// strategy ([`QueueMembership::position`](crate::QueueMembership::position)); 0 by default.
    #[serde(default)]
    pub position: u32,
    /// The group's weight for the `WeightedRandom` strategy
    /// ([`QueueMembership::weight`](crate::QueueMembership::weight)), 1 to 10,000; 1 by default.
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// A break in each agent's shift (e.g. lunch), staggered across the group.
///
/// Agent `n` of the group takes slot `n % stagger_groups`, starting
/// `slot × stagger_min` after `start_min`. A break outside that agent's shift
/// is skipped; one that would end after the period is refused by
/// [`Scenario::validate`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakSpec {
    /// When the first agent of the group goes, in minutes after the period start.
    pub start_min: u32,
    /// How long.
    pub duration_min: u32,
    /// Each next agent goes this much later, wrapping after `stagger_groups` agents.
    #[serde(default)]
    pub stagger_min: u32,
    /// How many staggered slots (1 = everyone at once).
    #[serde(default = "one")]
    pub stagger_groups: u32,
}

/// A group of identical agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroupSpec {
    /// A name for reports.
    pub name: String,
    /// How many agents.
    pub count: u32,
    /// Their skills.
    pub skills: Vec<SkillLevel>,
    /// Their total capacity units.
    pub total_units: u32,
    /// Their capacity per channel.
    pub capacity: Vec<ChannelCapacitySpec>,
    /// The queues they serve.
    pub queues: Vec<MembershipSpec>,
    /// Shift start, minutes after the period start.
    #[serde(default)]
    pub shift_start_min: u32,
    /// Shift end, minutes after the period start (`None`: the end of the period).
    #[serde(default)]
    pub shift_end_min: Option<u32>,
    /// Breaks.
    #[serde(default)]
    pub breaks: Vec<BreakSpec>,
    /// The agents' attributes, by name (each declared in
    /// [`Scenario::agent_attributes`]): one plain value for every agent of
    /// the group, or a list dealt round-robin (agent `n` takes value
    /// `n % len`) to split the group into teams or languages. See
    /// [`GroupAttributeSpec`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, GroupAttributeSpec>,
}

/// One value of a customer attribute, with its weight and any requirement it brings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeValueSpec {
    /// The value.
    pub value: String,
    /// Relative weight.
    pub weight: f64,
    /// Requirements an interaction with this value has (e.g. language skills).
    #[serde(default)]
    pub requires: Vec<SkillLevel>,
}

/// A customer attribute drawn from given proportions (region, language, segment…).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    /// The attribute's key.
    pub key: String,
    /// Its values.
    pub values: Vec<AttributeValueSpec>,
}

/// A stream of arrivals into one queue on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalSpec {
    /// The queue.
    pub queue: u64,
    /// The channel.
    pub channel: Channel,
    /// Poisson rate per hour for each curve interval in turn; one value is a
    /// constant rate; the last value holds after the list ends.
    pub per_hour: Vec<f64>,
    /// Length of each curve interval.
    #[serde(default = "sixty")]
    pub curve_interval_min: u32,
    /// Interactions already waiting at the start (a backlog).
    #[serde(default)]
    pub backlog: u32,
    /// Talk (or handling) time.
    pub handle: Distribution,
    /// How long a customer waits before giving up; `None` never abandons.
    #[serde(default)]
    pub patience: Option<Distribution>,
    /// Base priority.
    #[serde(default)]
    pub priority: i32,
    /// Customer attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeSpec>,
    /// Repeat contacts: a share of this stream's customers come back about
    /// the same case on another channel (seed 004's caller who e-mailed
    /// first). Contacts of such a stream each open a case. None by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatSpec>,
    /// Queued callbacks: callers still waiting after a while are offered a
    /// callback, and a share take it. None by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackOfferSpec>,
}

/// A callback offer to waiting callers ([`ArrivalSpec::callback`]): a caller
/// still waiting (or ringing) `after_secs` after arriving takes a callback
/// with probability `take_up`, and hangs up; the interaction becomes a
/// `Callback` that keeps its place in line
/// ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)) and
/// no longer abandons (the caller is not on the line). The stream's channel
/// must be real-time and its queue must take `Callback`; agents need
/// `Callback` capacity to return the calls.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackOfferSpec {
    /// How long after arriving a waiting caller is offered the callback (1 s to a year).
    pub after_secs: u64,
    /// The share of callers offered it who take it, 0 to 1.
    pub take_up: f64,
}

/// Repeat contacts of a stream ([`ArrivalSpec::repeat`]): once a contact is
/// handled, with probability `share` the same customer comes back about the
/// same case, at a time drawn uniformly within `within_secs`, as a contact of
/// the stream `as_arrival` (its queue, channel, handle time, patience and
/// attributes). A repeat contact does not itself repeat. In a queue with
/// [`QueueSpec::case_owner_wait_secs`] it waits for the agent who handled the
/// case, if logged in, before the queue takes it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatSpec {
    /// The share of handled contacts that come back, 0 to 1.
    pub share: f64,
    /// Within how long after the first contact ended (1 s to a year).
    pub within_secs: u64,
    /// The stream (an index into [`Scenario::arrivals`]) they come back as.
    pub as_arrival: usize,
}

fn sixty() -> u32 {
    60
}

/// A whole simulated period.
///
/// A scenario is often a file someone else wrote, so loading is strict:
/// [`Scenario::from_json`] refuses unknown (misspelt) fields and names the
/// path of any bad value, [`Scenario::validate`] refuses nonsense values,
/// and every run checks the work the scenario asks for against
/// [`SimLimits`] before starting ([`Scenario::check_limits`]).
///
/// # Example
/// ```
/// use switchboard::sim::Scenario;
///
/// let day = Scenario::builtin_day();
/// assert!(day.validate().is_ok());
/// let json = serde_json::to_string(&day).unwrap();
/// assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), day);
/// ```
///
/// # Eligibility rules and business hours
///
/// Agent attributes are declared once, with their kind
/// ([`agent_attributes`](Scenario::agent_attributes): `"text"` or
/// `"number"`), given to agents by their group
/// ([`AgentGroupSpec::attributes`]: one plain value for the whole group, or a
/// list dealt round-robin) and compared by eligibility rules on queues and
/// steps ([`QueueSpec::eligibility`], [`StepSpec::eligibility`]: an
/// [`Expression`](crate::Expression) in the engine's own JSON, which may also
/// read the interaction's attributes drawn by [`ArrivalSpec::attributes`]).
/// Calendars ([`calendars`](Scenario::calendars): [`BusinessHours`](crate::BusinessHours)
/// in the engine's own JSON) open and close the queues that follow them
/// ([`QueueSpec::calendar`]), and [`QueueSpec::when_closed`] says what
/// real-time work does meanwhile. The report counts the work a closed queue
/// ended in [`Figures::closed`](super::Figures::closed).
///
/// # Queue rules
///
/// Beyond `steps` and `overflow`, a queue takes the engine's other rules, in
/// the engine's own JSON where it reads well and with `_secs` spans where the
/// engine has a [`Duration`](std::time::Duration):
/// [`exception_rules`](QueueSpec::exception_rules) (after so long unanswered:
/// alert, move, set the priority, change the requirements or end diverted;
/// [`ExceptionRuleSpec`](super::ExceptionRuleSpec), [`ActionSpec`](super::ActionSpec)),
/// [`admission_rules`](QueueSpec::admission_rules) (on arrival: a length cap,
/// an estimated-wait cap or nobody staffed; [`AdmissionRuleSpec`](super::AdmissionRuleSpec))
/// and [`when_empty`](QueueSpec::when_empty) (once no member is staffed;
/// [`WhenEmptySpec`](super::WhenEmptySpec)). Work a rule ends is counted in
/// [`Figures::diverted`](super::Figures::diverted). Here a queue takes at
/// most two waiting callers, and plays the rest a message:
///
/// ```
/// use switchboard::sim::{Scenario, simulate};
///
/// let scenario = Scenario::from_json(r#"{
///   "name": "Capped", "start": "2026-03-02T08:00:00Z", "duration_min": 120, "skills": [],
///   "queues": [{ "id": 1, "name": "Sales", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
///       "admission_rules": [{ "when": { "QueueLength": 2 }, "action": { "End": "Message" } }],
///       "exception_rules": [{ "after_secs": 60, "action": "Alert" },
///                           { "after_secs": 120, "action": { "SetPriority": 5 } }],
///       "when_empty": { "nobody": "LoggedIn", "action": { "End": "Voicemail" } } }],
///   "agent_groups": [{ "name": "desk", "count": 1, "skills": [], "total_units": 1,
///       "capacity": [{ "channel": "Voice", "max": 1, "units": 1 }], "queues": [{ "queue": 1 }] }],
///   "arrivals": [{ "queue": 1, "channel": "Voice", "per_hour": [40],
///       "handle": { "kind": "exponential", "mean_secs": 240 } }]
/// }"#)?;
/// let report = simulate(&scenario, 1)?;
/// assert!(report.queues[0].figures.diverted > 0);
/// assert!(report.to_text().contains("Ended by a queue rule (diverted): Sales"));
/// # Ok::<(), switchboard::sim::ScenarioError>(())
/// ```
///
/// Here each call needs an agent who speaks the customer's language (the two
/// agents are dealt one each), and the line closes at noon, ending the calls
/// that come after:
///
/// ```
/// use switchboard::sim::{Scenario, simulate};
///
/// let scenario = Scenario::from_json(r#"{
///   "name": "Languages until noon", "start": "2026-03-02T10:00:00Z", "duration_min": 240,
///   "skills": [],
///   "agent_attributes": [{ "name": "language", "kind": "text" }],
///   "calendars": [{ "id": 1, "hours": { "time_zone": "Europe/Lisbon",
///       "weekly": [{ "day": "Mon", "open": "08:00", "close": "12:00" }],
///       "exceptions": [{ "date": "2026-12-25", "hours": [] }] } }],
///   "queues": [{ "id": 1, "name": "Support", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
///       "eligibility": { "attribute": { "name": "language", "op": "eq", "value": { "interaction": "language" } } },
///       "calendar": 1, "when_closed": "End" }],
///   "agent_groups": [{ "name": "desk", "count": 2, "skills": [], "total_units": 1,
///       "capacity": [{ "channel": "Voice", "max": 1, "units": 1 }], "queues": [{ "queue": 1 }],
///       "attributes": { "language": ["en", "es"] } }],
///   "arrivals": [{ "queue": 1, "channel": "Voice", "per_hour": [20],
///       "handle": { "kind": "exponential", "mean_secs": 120 },
///       "attributes": [{ "key": "language", "values": [{ "value": "en", "weight": 1 }, { "value": "es", "weight": 1 }] }] }]
/// }"#)?;
/// let report = simulate(&scenario, 1)?;
/// let support = &report.queues[0].figures;
/// assert!(support.answered > 0 && support.closed > 0);
/// assert!(report.to_text().contains("Ended because the queue was closed: Support"));
/// # Ok::<(), switchboard::sim::ScenarioError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports.
    pub name: String,
    /// When the period starts (RFC 3339).
    pub start: DateTime<Utc>,
    /// How long it lasts.
    pub duration_min: u32,
    /// The first minutes left out of the figures (a queue starting empty is not typical).
    #[serde(default)]
    pub warm_up_min: u32,
    /// Report interval length (15, 30 or 60 are usual).
    #[serde(default = "fifteen")]
    pub interval_min: u32,
    /// Offer timeout.
    #[serde(default = "twenty")]
    pub offer_timeout_secs: u64,
    /// Probability that an agent misses (does not answer) an offer.
    #[serde(default)]
    pub missed_offer_probability: f64,
    /// Time an agent takes to accept an offer they answer.
    #[serde(default = "instant")]
    pub answer_delay: Distribution,
    /// Skills.
    pub skills: Vec<SkillSpec>,
    /// Agent attributes (team, site, language, tenure) and their kinds,
    /// declared before anything uses them: agent groups carry them
    /// ([`AgentGroupSpec::attributes`]) and eligibility rules compare them
    /// ([`QueueSpec::eligibility`]). None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_attributes: Vec<AgentAttributeSpec>,
    /// Business-hours calendars queues may follow ([`QueueSpec::calendar`]).
    /// None by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<CalendarSpec>,
    /// Queues.
    pub queues: Vec<QueueSpec>,
    /// Agent groups.
    pub agent_groups: Vec<AgentGroupSpec>,
    /// Arrival streams.
    pub arrivals: Vec<ArrivalSpec>,
    /// How agents weigh real-time against deferrable work ([`Blending`](crate::Blending)).
    #[serde(default)]
    pub blending: crate::config::Blending,
    /// How far ahead deferrable work is held back for real-time work
    /// ([`EngineConfigBuilder::blend_horizon`](crate::EngineConfigBuilder::blend_horizon)).
    #[serde(default)]
    pub blend_horizon_secs: u64,
}

fn fifteen() -> u32 {
    15
}

fn twenty() -> u64 {
    20
}

fn instant() -> Distribution {
    Distribution::Fixed { secs: 0.0 }
}

/// Why a scenario cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// A field is out of range or inconsistent.
    #[error("scenario field {field}: {problem}")]
    Invalid {
        /// Which field, as a path (`arrivals[0].handle.mean_secs`).
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The engine refused the topology the scenario describes: a skill,
    /// agent attribute, calendar, queue (an eligibility rule it cannot
    /// check, a closed rule's move it cannot make, an overflow target it
    /// does not know) or agent.
    #[error("the engine refused the scenario's {what}: {error}")]
    Refused {
        /// What was being set up, as the scenario's path: `skills[0]`,
        /// `agent_attributes[1]`, `calendars[0]`, `queues[2]`, or
        /// `agent_groups[1]` for any agent of that group.
        what: String,
        /// The engine's error.
        error: crate::error::CommandError,
    },
    /// The scenario file is not valid JSON for a scenario: malformed JSON, a
    /// misspelt or unknown field, a missing field or a value of the wrong type.
    #[error("scenario file, {path} (line {line}, column {column}): {message}")]
    Parse {
        /// Where in the scenario, as a path (`arrivals[0].handle.mean_secs`;
        /// `.` for the top level).
        path: String,
        /// The line of the file, from 1.
        line: usize,
        /// The column of the line, from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The scenario asks for more work than the run's [`SimLimits`] allow;
    /// checked before the run starts.
    #[error("{field}: {limit} {} exceeds the limit of {}; raise SimLimits::{}", figure(*.value), figure(*.max), .limit.field())]
    OverLimit {
        /// Which limit.
        limit: SimLimit,
        /// The field or fields the figure comes from (`arrivals[2].per_hour`,
        /// or `arrivals` for the sum over every stream).
        field: String,
        /// The figure computed from the scenario (saturating at `u64::MAX`).
        value: u64,
        /// The limit it exceeds.
        max: u64,
    },
    /// The run took [`SimLimits::max_steps`] steps without reaching the end
    /// of the period, and stopped.
    #[error(
        "the run stopped at {at} after {max_steps} steps without reaching the end of the period; raise SimLimits::max_steps"
    )]
    OutOfSteps {
        /// The limit reached.
        max_steps: u64,
        /// The simulated time it was reached.
        at: Timestamp,
    },
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid { field: field.into(), problem: problem.into() }
}

fn over(limit: SimLimit, field: impl Into<String>, value: u64, limits: &SimLimits) -> Result<(), ScenarioError> {
    let max = limits.get(limit);
    if value > max { Err(ScenarioError::OverLimit { limit, field: field.into(), value, max }) } else { Ok(()) }
}

/// The longest duration any scenario field may give: a year. Longer is
/// nonsense for a contact center and would only reach the edges of the time
/// arithmetic.
pub(crate) const MAX_DURATION_SECS: u64 = 365 * 24 * 3_600;

/// The slowest positive arrival rate: one a million hours (over a century).
/// Slower is nonsense (0 means no arrivals), and a rate such as 1e-300 would
/// draw gaps beyond any representable time.
const MIN_RATE_PER_HOUR: f64 = 1e-6;

impl Scenario {
    /// Parses a scenario from JSON and validates it.
    ///
    /// Unknown fields are refused (a misspelt optional field would otherwise
    /// be silently ignored), and every error names the field's path.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] for malformed JSON, unknown or missing fields
    /// and values of the wrong type; [`ScenarioError::Invalid`] for nonsense
    /// values (see [`Scenario::validate`]).
    ///
    /// # Example
    /// ```
    /// use switchboard::sim::{BUILTIN_DAY, Scenario, ScenarioError};
    ///
    /// let misspelt = BUILTIN_DAY.replacen("\"warm_up_min\"", "\"warmup_min\"", 1);
    /// match Scenario::from_json(&misspelt) {
    ///     Err(ScenarioError::Parse { path, message, .. }) => {
    ///         assert_eq!(path, "warmup_min");
    ///         assert!(message.contains("unknown field"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn from_json(json: &str) -> Result<Scenario, ScenarioError> {
        let parse_error = |path: String, inner: serde_json::Error| {
            let (line, column) = (inner.line(), inner.column());
            let message = inner.to_string();
            // The position has fields of its own; keep the message without it.
            let suffix = format!(" at line {line} column {column}");
            let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
            ScenarioError::Parse { path, line, column, message }
        };
        let mut de = serde_json::Deserializer::from_str(json);
        let s: Scenario = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            parse_error(path, e.into_inner())
        })?;
        // Anything after the scenario is an error too, as in `serde_json::from_str`.
        de.end().map_err(|e| parse_error(".".to_string(), e))?;
        s.validate()?;
        Ok(s)
    }

    /// Checks the values the engine does not check itself (rates,
    /// probabilities, distributions, times, skill levels), and that the
    /// parts of the scenario agree with each other.
    ///
    /// Every duration is at most a year; means of exponential and log-normal
    /// distributions are at least a millisecond (the engine's resolution);
    /// positive arrival rates are at least one in a million hours; probabilities
    /// and service-level percentages are within range; every break of every
    /// agent who takes it ends within the period, and the period ends at a
    /// representable date. Agent attributes and calendars are declared once
    /// each; a group gives only declared attributes, with values of their
    /// kind (and no empty list); every calendar's hours are valid
    /// ([`BusinessHours::check`](crate::BusinessHours::check)); a queue's
    /// calendar exists, it has one if its `when_closed` is not `"Wait"`, and
    /// a `Move` target is listed before it. A queue rule's move targets a
    /// queue listed before it, its requirement changes name declared skills
    /// at levels 1 to 5 (each added once), an exception rule is due after 1 s
    /// to a year and an estimated-wait trigger is at most a year; whether a
    /// move's target takes the queue's channels is the engine's check
    /// ([`ScenarioError::Refused`]). Eligibility rules are checked by
    /// the engine when the run sets the queue up
    /// ([`ScenarioError::Refused`] naming the queue). How much work the
    /// scenario asks for is checked separately, against the run's limits
    /// ([`Scenario::check_limits`]).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the first bad field.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let secs = |field: String, value: u64, min: u64| -> Result<(), ScenarioError> {
            if value < min || value > MAX_DURATION_SECS {
                return Err(invalid(field, format!("{value} s must be {min} to {MAX_DURATION_SECS} (a year)")));
            }
            Ok(())
        };
        if self.duration_min == 0 {
            return Err(invalid("duration_min", "must be at least 1"));
        }
        // The engine accepts times from 1970 to the end of 9999: the whole period must lie within them.
        let start = Timestamp::from(self.start);
        let end = start + std::time::Duration::from_secs(u64::from(self.duration_min) * 60);
        if start < Timestamp::EPOCH || start > Timestamp::MAX {
            let range = format!("{} to {}", Timestamp::EPOCH, Timestamp::MAX);
            return Err(invalid("start", format!("{start} is outside the engine's times, {range}")));
        }
        if end > Timestamp::MAX {
            let problem = format!("the period would end at {end}, after the engine's last time {}", Timestamp::MAX);
            return Err(invalid("duration_min", problem));
        }
        if self.warm_up_min >= self.duration_min {
            return Err(invalid("warm_up_min", "must be shorter than the period"));
        }
        if !(self.interval_min == 1_440 || (self.interval_min > 0 && 60 % self.interval_min == 0)) {
            return Err(invalid("interval_min", format!("{} must divide an hour, or be 1440", self.interval_min)));
        }
        secs("offer_timeout_secs".into(), self.offer_timeout_secs, 1)?;
        if !(0.0..=1.0).contains(&self.missed_offer_probability) {
            return Err(invalid(
                "missed_offer_probability",
                format!("{} must be within 0 and 1", number(self.missed_offer_probability)),
            ));
        }
        if let Some((field, p)) = self.answer_delay.problem() {
            return Err(invalid(format!("answer_delay.{field}"), p));
        }
        for (i, q) in self.queues.iter().enumerate() {
            levels(&q.requirements, &format!("queues[{i}].requirements"))?;
            if q.sla.percent > 100 {
                return Err(invalid(format!("queues[{i}].sla.percent"), format!("{} must be 0 to 100", q.sla.percent)));
            }
            secs(format!("queues[{i}].sla.secs"), q.sla.secs, 0)?;
            secs(format!("queues[{i}].wrap_up_secs"), q.wrap_up_secs, 0)?;
            if q.wrap_up_mode == crate::model::wrap_up::WrapUpMode::Untimed {
                return Err(invalid(
                    format!("queues[{i}].wrap_up_mode"),
                    "Untimed would never end: simulated agents do not end wrap-up",
                ));
            }
            if let Some(wait) = q.case_owner_wait_secs {
                secs(format!("queues[{i}].case_owner_wait_secs"), wait, 1)?;
            }
            if !(1..=crate::QueueConfig::MAX_PARALLEL_OFFERS).contains(&q.parallel_offers) {
                return Err(invalid(
                    format!("queues[{i}].parallel_offers"),
                    format!("must be 1 to {}", crate::QueueConfig::MAX_PARALLEL_OFFERS),
                ));
            }
            if let Some(max_wait) = q.max_wait_secs {
                secs(format!("queues[{i}].max_wait_secs"), max_wait, 0)?;
            }
            for (k, o) in q.overflow.iter().enumerate() {
                secs(format!("queues[{i}].overflow[{k}].after_secs"), o.after_secs, 1)?;
            }
            if let Some(ttl) = q.time_to_live_secs {
                secs(format!("queues[{i}].time_to_live_secs"), ttl, 1)?;
            }
            for (k, step) in q.steps.iter().enumerate() {
                levels(&step.requirements, &format!("queues[{i}].steps[{k}].requirements"))?;
                if let Some(after) = step.expires_after_secs {
                    secs(format!("queues[{i}].steps[{k}].expires_after_secs"), after, 1)?;
                }
            }
        }
        secs("blend_horizon_secs".into(), self.blend_horizon_secs, 0)?;
        self.validate_rules()?;
        for (i, g) in self.agent_groups.iter().enumerate() {
            levels(&g.skills, &format!("agent_groups[{i}].skills"))?;
            for (j, m) in g.queues.iter().enumerate() {
                secs(format!("agent_groups[{i}].queues[{j}].delay_secs"), m.delay_secs, 0)?;
            }
            let end = g.shift_end_min.unwrap_or(self.duration_min);
            if g.shift_start_min >= end {
                return Err(invalid(
                    format!("agent_groups[{i}].shift_start_min"),
                    format!("the shift must start before it ends (minute {} ≥ {end})", g.shift_start_min),
                ));
            }
            for (j, b) in g.breaks.iter().enumerate() {
                let field = |f: &str| format!("agent_groups[{i}].breaks[{j}].{f}");
                if b.duration_min == 0 {
                    return Err(invalid(field("duration_min"), "must be at least 1"));
                }
                if b.stagger_groups == 0 {
                    return Err(invalid(field("stagger_groups"), "must be at least 1"));
                }
                // The last slot an agent of the group takes; u64 so that no product of u32s wraps.
                let Some(last_slot) = u64::from(g.count.min(b.stagger_groups)).checked_sub(1) else { continue };
                let last_end =
                    u64::from(b.start_min) + last_slot * u64::from(b.stagger_min) + u64::from(b.duration_min);
                if last_end > u64::from(self.duration_min) {
                    return Err(invalid(
                        field("start_min"),
                        format!(
                            "the break of staggered slot {last_slot} ends at minute {last_end}, after the period ends at minute {}",
                            self.duration_min
                        ),
                    ));
                }
            }
        }
        for (i, a) in self.arrivals.iter().enumerate() {
            let field = |f: &str| format!("arrivals[{i}].{f}");
            if a.per_hour.is_empty() {
                return Err(invalid(field("per_hour"), "needs at least one rate"));
            }
            for (k, r) in a.per_hour.iter().enumerate() {
                if !r.is_finite() || *r < 0.0 {
                    return Err(invalid(
                        field(&format!("per_hour[{k}]")),
                        format!("{} must be finite and ≥ 0", number(*r)),
                    ));
                }
                if *r > 0.0 && *r < MIN_RATE_PER_HOUR {
                    return Err(invalid(
                        field(&format!("per_hour[{k}]")),
                        format!("{} per hour is less than one arrival in a million hours; use 0 for none", number(*r)),
                    ));
                }
            }
            match self.queues.iter().find(|q| q.id == a.queue) {
                None => return Err(invalid(field("queue"), format!("no queue {}", a.queue))),
                Some(q) if !q.channels.contains(&a.channel) => {
                    return Err(invalid(field("channel"), format!("queue {} does not take {}", a.queue, a.channel)));
                }
                Some(_) => {}
            }
            if a.curve_interval_min == 0 {
                return Err(invalid(field("curve_interval_min"), "must be at least 1"));
            }
            if let Some((f, p)) = a.handle.problem() {
                return Err(invalid(field(&format!("handle.{f}")), p));
            }
            if let Some((f, p)) = a.patience.as_ref().and_then(Distribution::problem) {
                return Err(invalid(field(&format!("patience.{f}")), p));
            }
            if let Some(c) = &a.callback {
                if !(0.0..=1.0).contains(&c.take_up) {
                    return Err(invalid(
                        field("callback.take_up"),
                        format!("{} must be within 0 and 1", number(c.take_up)),
                    ));
                }
                secs(field("callback.after_secs"), c.after_secs, 1)?;
                if a.channel.builtin_mode() != Some(crate::model::channel::ChannelMode::RealTime) {
                    return Err(invalid(field("callback"), format!("{} is not a real-time channel", a.channel)));
                }
                if self.queues.iter().any(|q| q.id == a.queue && !q.channels.contains(&Channel::Callback)) {
                    return Err(invalid(field("callback"), format!("queue {} does not take Callback", a.queue)));
                }
            }
            if let Some(r) = &a.repeat {
                if !(0.0..=1.0).contains(&r.share) {
                    return Err(invalid(field("repeat.share"), format!("{} must be within 0 and 1", number(r.share))));
                }
                secs(field("repeat.within_secs"), r.within_secs, 1)?;
                if r.as_arrival >= self.arrivals.len() {
                    let problem = format!("no arrivals[{}]: there are {}", r.as_arrival, self.arrivals.len());
                    return Err(invalid(field("repeat.as_arrival"), problem));
                }
            }
            for (k, attr) in a.attributes.iter().enumerate() {
                let field = |f: &str| format!("arrivals[{i}].attributes[{k}].{f}");
                for (v, value) in attr.values.iter().enumerate() {
                    if !value.weight.is_finite() || value.weight < 0.0 {
                        return Err(invalid(
                            field(&format!("values[{v}].weight")),
                            format!("{} must be finite and ≥ 0", number(value.weight)),
                        ));
                    }
                    levels(&value.requires, &field(&format!("values[{v}].requires")))?;
                }
                // A total of infinity (weights near f64::MAX) would make every draw the last value.
                let total: f64 = attr.values.iter().map(|v| v.weight).sum();
                if !(total > 0.0 && total.is_finite()) {
                    return Err(invalid(
                        field("values"),
                        format!("weights of {} must add up to a finite total above 0, not {}", attr.key, number(total)),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks how much work the scenario asks for against `limits`, before
    /// anything runs: the period's length, the expected arrivals (the sum of
    /// rate × time over the period, plus backlogs), the backlog, the agents
    /// and what each carries, the attribute values each arrival draws from,
    /// the rate-curve pieces the streams walk and the report's size. [`SimLimits::max_steps`] is checked as the run goes.
    ///
    /// # Errors
    /// [`ScenarioError::OverLimit`] naming the field, the figure and the limit.
    ///
    /// # Example
    /// ```
    /// use switchboard::sim::{Scenario, ScenarioError, SimLimit, SimLimits};
    ///
    /// // 12.5 million calls an hour for eight hours: a hundred million arrivals.
    /// let flood = Scenario::single_queue(50, 12_500_000.0, 180.0, None, 8);
    /// let err = flood.check_limits(&SimLimits::default()).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "arrivals[0].per_hour: expected arrivals 1.0e8 exceeds the limit of 500000; raise SimLimits::max_arrivals"
    /// );
    /// assert!(matches!(err, ScenarioError::OverLimit { limit: SimLimit::Arrivals, value: 100_000_000, .. }));
    /// ```
    pub fn check_limits(&self, limits: &SimLimits) -> Result<(), ScenarioError> {
        over(SimLimit::DurationMin, "duration_min", u64::from(self.duration_min), limits)?;

        // Each group alone first, so that the error names the group when one is enough to exceed.
        let mut agents = 0u64;
        for (i, g) in self.agent_groups.iter().enumerate() {
            over(SimLimit::Agents, format!("agent_groups[{i}].count"), u64::from(g.count), limits)?;
            agents = agents.saturating_add(u64::from(g.count));
        }
        over(SimLimit::Agents, "agent_groups", agents, limits)?;

        let mut backlog = 0u64;
        for (i, a) in self.arrivals.iter().enumerate() {
            over(SimLimit::Backlog, format!("arrivals[{i}].backlog"), u64::from(a.backlog), limits)?;
            backlog = backlog.saturating_add(u64::from(a.backlog));
        }
        over(SimLimit::Backlog, "arrivals", backlog, limits)?;

        let mut expected = backlog as f64;
        for (i, a) in self.arrivals.iter().enumerate() {
            // Repeat contacts at most double a stream (they do not repeat again).
            let e = self.expected_arrivals(a) * (1.0 + a.repeat.map_or(0.0, |r| r.share));
            over(SimLimit::Arrivals, format!("arrivals[{i}].per_hour"), ceil_u64(e), limits)?;
            expected += e;
        }
        over(SimLimit::Arrivals, "arrivals", ceil_u64(expected), limits)?;

        let mut entries = 0u64;
        for (i, g) in self.agent_groups.iter().enumerate() {
            let each =
                (g.skills.len() + g.capacity.len() + g.queues.len() + g.breaks.len() + g.attributes.len()) as u64;
            let group = u64::from(g.count).saturating_mul(each);
            over(SimLimit::AgentEntries, format!("agent_groups[{i}]"), group, limits)?;
            entries = entries.saturating_add(group);
        }
        over(SimLimit::AgentEntries, "agent_groups", entries, limits)?;

        for (i, a) in self.arrivals.iter().enumerate() {
            let values: usize = a.attributes.iter().map(|attr| attr.values.len()).sum();
            over(SimLimit::AttributeValues, format!("arrivals[{i}].attributes"), values as u64, limits)?;
        }

        let mut pieces = 0u64;
        for (i, a) in self.arrivals.iter().enumerate() {
            if a.per_hour.iter().any(|r| *r > 0.0) {
                let walk = u64::from(self.duration_min).div_ceil(u64::from(a.curve_interval_min.max(1)));
                over(SimLimit::CurvePieces, format!("arrivals[{i}].curve_interval_min"), walk, limits)?;
                pieces = pieces.saturating_add(walk);
            }
        }
        over(SimLimit::CurvePieces, "arrivals", pieces, limits)?;

        let intervals = u64::from(self.duration_min).div_ceil(u64::from(self.interval_min.max(1)));
        let mut channels: Vec<_> = self.queues.iter().flat_map(|q| q.channels.iter().copied()).collect();
        channels.sort_unstable();
        channels.dedup();
        // A queue's, channel's or skill's figures carry a dense wait-time sketch: about 40 agents' worth.
        let sketched = (self.queues.len() as u64)
            .saturating_add(channels.len() as u64)
            .saturating_add(self.skills.len() as u64)
            .saturating_mul(40);
        over(SimLimit::ReportCells, "interval_min", intervals.saturating_mul(agents.saturating_add(sketched)), limits)?;
        Ok(())
    }

    /// The expected number of Poisson arrivals of one stream over the period:
    /// the sum of rate × time, piece by piece of the rate curve (the last rate
    /// holds after the list ends; rates past the period's end do not count).
    fn expected_arrivals(&self, a: &ArrivalSpec) -> f64 {
        let period = f64::from(self.duration_min);
        let piece = f64::from(a.curve_interval_min.max(1));
        let mut total = 0.0;
        let mut from = 0.0;
        for (k, rate) in a.per_hour.iter().enumerate() {
            if from >= period {
                break;
            }
            // The last rate holds to the end of the period.
            let to = if k + 1 == a.per_hour.len() { period } else { (from + piece).min(period) };
            total += rate * (to - from) / 60.0;
            from = to;
        }
        total
    }

    /// A single queue, identical agents, Poisson arrivals and exponential
    /// handle times (and exponential patience, if given): the M/M/c (Erlang C)
    /// or M/M/c+M (Erlang A) system, for checking the simulator against theory.
    pub fn single_queue(
        agents: u32,
        calls_per_hour: f64,
        aht_secs: f64,
        patience_secs: Option<f64>,
        hours: u32,
    ) -> Scenario {
        Scenario {
            name: format!("M/M/{agents}{}", if patience_secs.is_some() { "+M" } else { "" }),
            start: DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            duration_min: hours * 60,
            warm_up_min: 60,
            interval_min: 60,
            offer_timeout_secs: 3_600,
            missed_offer_probability: 0.0,
            answer_delay: instant(),
            skills: Vec::new(),
            agent_attributes: Vec::new(),
            calendars: Vec::new(),
            queues: vec![QueueSpec {
                id: 1,
                name: "single".into(),
                channels: vec![Channel::Voice],
                requirements: Vec::new(),
                eligibility: None,
                sla: SlaSpec { percent: 80, secs: 20 },
                strategy: AgentSelection::LongestIdle,
                wrap_up_secs: 0,
                wrap_up_mode: Default::default(),
                case_owner_wait_secs: None,
                parallel_offers: 1,
                priority: 0,
                aging_per_minute: 0,
                max_wait_secs: None,
                steps: Vec::new(),
                time_to_live_secs: None,
                overflow: Vec::new(),
                exception_rules: Vec::new(),
                admission_rules: Vec::new(),
                when_empty: None,
                calendar: None,
                when_closed: WhenClosed::Wait,
            }],
            agent_groups: vec![AgentGroupSpec {
                name: "agents".into(),
                count: agents,
                skills: Vec::new(),
                total_units: 1,
                capacity: vec![ChannelCapacitySpec { channel: Channel::Voice, max: 1, units: 1, exclusive: false }],
                queues: vec![MembershipSpec { queue: 1, priority: None, delay_secs: 0, position: 0, weight: 1 }],
                shift_start_min: 0,
                shift_end_min: None,
                breaks: Vec::new(),
                attributes: BTreeMap::new(),
            }],
            arrivals: vec![ArrivalSpec {
                queue: 1,
                channel: Channel::Voice,
                per_hour: vec![calls_per_hour],
                curve_interval_min: 60,
                backlog: 0,
                handle: Distribution::Exponential { mean_secs: aht_secs },
                patience: patience_secs.map(|mean_secs| Distribution::Exponential { mean_secs }),
                priority: 0,
                attributes: Vec::new(),
                repeat: None,
                callback: None,
            }],
            blending: Default::default(),
            blend_horizon_secs: 0,
        }
    }

    /// The built-in realistic day (08:00–20:00): a blended center with voice
    /// in two skills (billing, technical) and two languages (English,
    /// Spanish), chat with multitasking, an e-mail backlog worked in idle
    /// time, a morning and an afternoon peak, and staggered lunch breaks.
    pub fn builtin_day() -> Scenario {
        serde_json::from_str(BUILTIN_DAY).expect("the built-in scenario is valid JSON (tested)")
    }
}

/// A non-negative figure rounded up to a whole number, saturating (an
/// infinite or enormous expectation becomes `u64::MAX`, still over any limit).
fn ceil_u64(x: f64) -> u64 {
    // `as` saturates and maps NaN to 0; validated rates make NaN impossible here.
    x.ceil() as u64
}

/// Skill levels must be 1 to 5; checked here so that no arrival is silently dropped later.
fn levels(levels: &[SkillLevel], field: &str) -> Result<(), ScenarioError> {
    match levels.iter().position(|l| !(1..=5).contains(&l.level)) {
        Some(k) => Err(invalid(
            format!("{field}[{k}].level"),
            format!("level {} of skill {} must be 1 to 5", levels[k].level, levels[k].skill),
        )),
        None => Ok(()),
    }
}

/// The built-in day, as the JSON a user would write (also shown in the README).
pub const BUILTIN_DAY: &str = include_str!("builtin_day.json");
