//! "Why is this interaction still waiting?": a view that counts, stage by
//! stage, the agents who could take it and where each stage loses them.

use std::time::Duration;

use serde::Serialize;

use super::Engine;
use crate::ids::{AgentId, InteractionId, QueueId};
use crate::model::channel::Channel;
use crate::time::Timestamp;

/// Why a waiting interaction has not been offered: its queue's members,
/// narrowed stage by stage to those who could be offered it now, and who
/// declined it.
///
/// Each count is a subset of the one before, from `members` down to
/// `delay_reached`. A zero shows the stage where nobody is left: no member
/// works the channel, nobody holds the skills, nobody is logged in, everybody
/// is paused or full, or nobody's delay for the queue has run out yet. When
/// `delay_reached` is not zero the candidates declined it (see
/// `declined_by`), are held back for real-time work (`held_back`, blending)
/// or drain for a call (`draining`, headroom).
///
/// Built by [`Engine::why_waiting`]; more fields may be added.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct WaitingExplanation {
    /// The interaction.
    pub interaction: InteractionId,
    /// The queue it waits in.
    pub queue: QueueId,
    /// Its channel.
    pub channel: Channel,
    /// How long it has waited since its place in line was set, at the latest time seen.
    #[serde(with = "crate::serde_forms::millis")]
    pub waited: Duration,
    /// Members of the queue who work the channel (their capacity profile lists it).
    pub members: u32,
    /// Of those, how many satisfy its requirements and the eligibility
    /// rules of its queue and step ([`Expression`](crate::Expression)).
    pub qualified: u32,
    /// Of those, how many are logged in.
    pub logged_in: u32,
    /// Of those, how many are ready (not paused) with room on the channel.
    pub ready: u32,
    /// Of those, how many have a delay for the queue that its wait has reached.
    pub delay_reached: u32,
    /// Every agent who declined it (rejected it or let it time out), by id.
    pub declined_by: Vec<AgentId>,
    /// Whether declined work is never re-offered and every qualified,
    /// logged-in agent (at least one) has declined it: nobody logged in
    /// will be offered it, and its queue's
    /// [`AllDeclined`](crate::AllDeclined) rule applies.
    pub declined_by_all: bool,
    /// When it reaches (or reached) its queue's
    /// [`max_wait`](crate::QueueConfig::max_wait), if the queue has one.
    pub deadline: Option<Timestamp>,
    /// Whether it is overdue: past that deadline, so ahead of queue priority
    /// and blending for every agent who can take it.
    pub overdue: bool,
    /// Of the `delay_reached` agents, how many blending holds back from it:
    /// real-time work they could be offered (within the blend horizon) beats
    /// it. Always zero for real-time work.
    pub held_back: u32,
    /// The routing step it is in ([`RoutingStep`](crate::RoutingStep)), from
    /// 0 (0 when its queue has no steps); its requirements are that step's.
    pub step: usize,
    /// When that step ends and the next begins, if it is not the last.
    pub step_ends: Option<Timestamp>,
    /// Of the `delay_reached` agents, how many drain for a call (capacity
    /// headroom, see [`Engine::draining_for`]) and take nothing new.
    pub draining: u32,
    /// Whether its queue is closed by its business hours
    /// ([`QueueConfig::calendar`](crate::QueueConfig::calendar)): nothing is offered until it opens.
    pub closed: bool,
    /// When its queue opens next, if closed and its calendar says.
    pub opens_at: Option<Timestamp>,
    /// Interactions ahead of it in its own queue's routing order.
    pub ahead_in_queue: usize,
    /// Other queues with work waiting that its qualified, logged-in members
    /// take first (they rank those queues above this one), by id: "below
    /// another queue for the free agents".
    pub behind_queues: Vec<QueueId>,
    /// The preference it waits under, if its preference phase is still on
    /// ([`Preference`](crate::Preference)): only the agents it names are
    /// counted as `qualified` until then.
    pub preference: Option<crate::model::preference::PreferenceKind>,
    /// When that preference ends and the queue takes it.
    pub preferred_until: Option<Timestamp>,
}

impl Engine {
    /// When a waiting interaction's preference phase ends, while it is on:
    /// the end of the last of its own steps the phase covers.
    fn preference_ends(&self, i: &crate::model::interaction::Interaction) -> Option<Timestamp> {
        i.preferring()?;
        let phase = i.preference_phase()?;
        let steps = i.own_steps()?;
        let span = steps.iter().take(usize::from(phase.steps)).filter_map(|s| s.expires_after).sum::<Duration>();
        Some(i.joined_queue_at() + span)
    }

    /// Why a waiting interaction has not been offered yet; `None` when it is
    /// not live or not waiting (offered, connected, in wrap-up).
    ///
    /// A view for people: it looks at every agent, O(agents).
    ///
    /// # Example
    /// ```
    /// use switchboard::*;
    ///
    /// let mut engine = Engine::new(EngineConfig::default());
    /// let t0 = Timestamp::from_secs(1_700_000_000);
    /// engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Voice])), t0)?;
    /// let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
    ///     .with_queue(QueueMembership::new(QueueId(1)));
    /// engine.handle(Command::AddAgent(agent), t0)?;
    /// let call = NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(7));
    /// engine.handle(Command::Arrive(call), t0)?;
    ///
    /// // The only member has not logged in.
    /// let why = engine.why_waiting(InteractionId(1)).unwrap();
    /// assert_eq!((why.members, why.qualified, why.logged_in), (1, 1, 0));
    /// assert!(!why.declined_by_all);
    ///
    /// // Once they log in the call is offered: no longer waiting.
    /// engine.handle(Command::Login { agent: AgentId(1) }, t0)?;
    /// assert!(engine.why_waiting(InteractionId(1)).is_none());
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn why_waiting(&self, id: InteractionId) -> Option<WaitingExplanation> {
        let i = self.interactions.get(&id)?;
        if !i.is_queued() {
            return None;
        }
        let now = self.now.unwrap_or(i.queue_entered_at);
        let waited = now.saturating_duration_since(i.queue_entered_at);
        let mut why = WaitingExplanation {
            interaction: id,
            queue: i.queue,
            channel: i.channel,
            waited,
            members: 0,
            qualified: 0,
            logged_in: 0,
            ready: 0,
            delay_reached: 0,
            declined_by: i.declined_by().to_vec(),
            declined_by_all: false,
            deadline: self.queues[&i.queue]
                .max_wait_ms()
                .map(|b| Timestamp::from_millis(i.queue_entered_at.as_millis().saturating_add(b))),
            overdue: i.is_overdue(),
            held_back: 0,
            draining: 0,
            step: i.step(),
            step_ends: self.timers.due(crate::engine::TimerKind::StepExpiry(id)),
            ahead_in_queue: 0,
            behind_queues: Vec::new(),
            preference: i.preferring(),
            preferred_until: self.preference_ends(i),
            closed: self.router.is_closed(i.queue),
            opens_at: self
                .queues
                .get(&i.queue)
                .and_then(|q| q.calendar)
                .filter(|_| self.router.is_closed(i.queue))
                .and_then(|c| self.timers.due(crate::engine::TimerKind::BusinessHours(c))),
        };
        let ctx =
            crate::router::select::Context::new(&self.agents, &self.interactions, &self.queues, &self.config, now);
        for a in self.agents.values() {
            let Some(m) = a.config.queues.iter().find(|m| m.queue == i.queue) else { continue };
            if a.config.capacity.channel(i.channel).is_none() {
                continue;
            }
            why.members += 1;
            if !self.router.admits(a, i, self.held_sig(i.id)) {
                continue;
            }
            why.qualified += 1;
            if !a.logged_in {
                continue;
            }
            why.logged_in += 1;
            // Queues this member ranks above this one, with work waiting in them.
            let here = m.priority.unwrap_or(self.queues[&i.queue].priority);
            for other in &a.config.queues {
                let Some(q) = self.queues.get(&other.queue) else { continue };
                if other.queue != i.queue
                    && other.priority.unwrap_or(q.priority) > here
                    && self.waiting_count(other.queue) > 0
                    && !why.behind_queues.contains(&other.queue)
                {
                    why.behind_queues.push(other.queue);
                }
            }
            if !a.is_routable() || !crate::router::has_room(&self.config, a, i.channel) {
                continue;
            }
            why.ready += 1;
            // In milliseconds, as the routers compare (a sub-millisecond delay rounds down).
            if crate::time::duration_millis(m.delay) > crate::time::duration_millis(waited) {
                continue;
            }
            why.delay_reached += 1;
            if self.router.drain_cause(a, &ctx).is_some() {
                why.draining += 1;
            } else if self.router.blend_holds_back(a, i, &ctx) {
                why.held_back += 1;
            }
        }
        if self.config.never_reoffer_to_decliners() {
            let sig = self.held_sig(id).expect("a live interaction holds its signature");
            why.declined_by_all = self.router.declined_by_all(i, sig, &self.agents).is_some();
        }
        why.behind_queues.sort_unstable();
        why.ahead_in_queue = self.waiting(i.queue).iter().position(|w| *w == id).unwrap_or(0);
        Some(why)
    }
}
