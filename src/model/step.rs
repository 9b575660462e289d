//! Routing steps: requirements that relax while an interaction waits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::skill::Requirements;
use crate::time::duration_millis;

/// One step of a queue's routing (Amazon Connect's routing-criteria steps,
/// Genesys's bullseye rings, Asterisk's `penaltychange`): while an
/// interaction is in it, these requirements join the queue's and its own,
/// and its priority is raised by `priority_boost`. A step gives way to the
/// next `expires_after` it began; the last step never expires.
///
/// Steps are counted from when the interaction entered its current queue:
/// a re-queue after a reject or a timeout lands in the step its wait in the
/// queue has reached, and keeps its place in line; a transfer starts the
/// target queue's steps from the first.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{Channel, Proficiency, QueueConfig, QueueId, Requirements, RoutingStep, SkillId};
///
/// let spanish = |level| Requirements::from_pairs([(SkillId(7), Proficiency::new(level).unwrap())]);
/// // Spanish at 4 or above for 30 s, then 2 or above, a little more urgent.
/// let queue = QueueConfig::new(QueueId(1), "spanish", [Channel::Voice]).with_steps(vec![
///     RoutingStep::new(spanish(4)).expiring_after(Duration::from_secs(30)),
///     RoutingStep::new(spanish(2)).with_priority_boost(5),
/// ]);
/// assert_eq!(queue.steps.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoutingStep {
    /// Requirements while in this step, on top of the queue's and the interaction's own.
    #[serde(default)]
    pub requirements: Requirements,
    /// An eligibility rule while in this step, on top of the queue's (see
    /// [`Expression`](crate::Expression)): e.g. a named agent set
    /// ([`Expression::Agents`](crate::Expression::Agents)) or a team
    /// (`team == "tier2"`) that widens to everyone in the next step.
    #[serde(default)]
    pub eligibility: Option<crate::model::expression::Expression>,
    /// Added to the interaction's base priority while in this step.
    #[serde(default)]
    pub priority_boost: i32,
    /// How long after it began this step gives way to the next; `None` for
    /// the last step (and only for it).
    #[serde(default)]
    #[serde(with = "crate::serde_forms::option_millis")]
    pub expires_after: Option<Duration>,
}

impl RoutingStep {
    /// A step with these requirements, no boost, that never expires.
    pub fn new(requirements: Requirements) -> Self {
        RoutingStep { requirements, eligibility: None, priority_boost: 0, expires_after: None }
    }

    /// Sets the eligibility rule.
    pub fn with_eligibility(mut self, rule: crate::model::expression::Expression) -> Self {
        self.eligibility = Some(rule);
        self
    }

    /// Sets the priority boost.
    pub fn with_priority_boost(mut self, boost: i32) -> Self {
        self.priority_boost = boost;
        self
    }

    /// Sets the expiry.
    pub fn expiring_after(mut self, after: Duration) -> Self {
        self.expires_after = Some(after);
        self
    }
}

/// A queue's exception rule (Azure Job Router's exception policies,
/// Genesys's conditional group routing): once an interaction has waited
/// `after` in the queue unanswered (waiting or ringing), `action` happens.
/// Rules are counted from when the interaction entered the queue, and those
/// due at the same moment apply in the order listed; a move ends the rules
/// of the queue it leaves (the target's own rules start).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{Channel, ExceptionAction, ExceptionRule, QueueConfig, QueueId};
///
/// // Alert supervisors after 60 s, overflow to queue 9 after 120 s, keeping the place in line.
/// let sales = QueueConfig::new(QueueId(2), "sales", [Channel::Voice]).with_exception_rules(vec![
///     ExceptionRule::new(Duration::from_secs(60), ExceptionAction::Alert),
///     ExceptionRule::new(Duration::from_secs(120), ExceptionAction::Move { queue: QueueId(9), keep_place: true }),
/// ]);
/// assert_eq!(sales.exception_rules.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExceptionRule {
    /// How long after entering the queue, unanswered, the rule applies (at least 1 ms).
    #[serde(with = "crate::serde_forms::millis")]
    pub after: Duration,
    /// What happens then.
    pub action: ExceptionAction,
}

impl ExceptionRule {
    /// A rule applying `action` after `after`.
    pub fn new(after: Duration, action: ExceptionAction) -> Self {
        ExceptionRule { after, action }
    }
}

/// What an [`ExceptionRule`] or an [`AdmissionRule`] does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum ExceptionAction {
    /// Tell supervisors ([`EventKind::ExceptionRaised`](crate::EventKind::ExceptionRaised)); nothing else changes.
    #[serde(alias = "Alert")]
    Alert,
    /// Move the interaction to another queue (an overflow): a ringing offer
    /// is withdrawn first. With `keep_place` it keeps its place in line,
    /// otherwise it enters the target at the back. The target must exist when
    /// the queue is added (so moves never loop) and take all its channels. A
    /// move the target cannot take now (it is full, or a limit is reached)
    /// is not made, and the event says so.
    #[serde(alias = "Move")]
    Move {
        /// The queue it moves to.
        queue: crate::ids::QueueId,
        /// Whether it keeps its place in line there.
        keep_place: bool,
    },
    /// Sets the interaction's base priority (escalation): it keeps its
    /// place in line, and ranks by the new priority from now on.
    #[serde(alias = "SetPriority")]
    SetPriority(i32),
    /// Changes the interaction's own requirements (not the queue's or its
    /// step's): drops every requirement on the `drop` skills, then adds
    /// `add`. A change the limits refuse (requirements per interaction,
    /// signatures) is not made, and the event says so.
    #[serde(alias = "ChangeRequirements")]
    ChangeRequirements {
        /// Requirements added.
        add: Requirements,
        /// Skills no longer required.
        drop: Vec<crate::ids::SkillId>,
    },
    /// Ends the interaction with [`Outcome::Diverted`](crate::Outcome::Diverted):
    /// the host plays the message, takes the voicemail, offers the callback
    /// or disconnects; the engine does no I/O.
    #[serde(alias = "End")]
    End(Diversion),
}

/// Where an interaction ended by a rule is sent, for the host to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Diversion {
    /// To voicemail.
    #[serde(alias = "Voicemail")]
    Voicemail,
    /// A callback is offered instead of waiting.
    #[serde(alias = "Callback")]
    Callback,
    /// A message is played (busy, try later), then the call ends.
    #[serde(alias = "Message")]
    Message,
    /// Disconnected.
    #[serde(alias = "Disconnect")]
    Disconnect,
}

/// A queue's admission rule, checked once when an interaction arrives in
/// the queue ([`Command::Arrive`](crate::Command::Arrive)): Asterisk's
/// `joinempty` and `maxlen`, Genesys's and Connect's checks before queuing.
/// A queue's rules are checked in order against the queue as the arrival
/// finds it; alerts, priority and requirement changes apply and the check
/// goes on; the first move or end that can be made is made and ends it.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{AdmissionRule, AdmissionTrigger, Channel, Diversion, ExceptionAction, QueueConfig, QueueId, Staffed};
///
/// // A 40th caller hears "please call later"; with nobody logged in, voicemail.
/// let sales = QueueConfig::new(QueueId(1), "sales", [Channel::Voice]).with_admission_rules(vec![
///     AdmissionRule::new(AdmissionTrigger::QueueLength(39), ExceptionAction::End(Diversion::Message)),
///     AdmissionRule::new(AdmissionTrigger::NoAgents(Staffed::LoggedIn), ExceptionAction::End(Diversion::Voicemail)),
/// ]);
/// assert_eq!(sales.admission_rules.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AdmissionRule {
    /// When it applies.
    pub when: AdmissionTrigger,
    /// What happens then.
    pub action: ExceptionAction,
}

impl AdmissionRule {
    /// A rule applying `action` when `when` holds on arrival.
    pub fn new(when: AdmissionTrigger, action: ExceptionAction) -> Self {
        AdmissionRule { when, action }
    }
}

/// When an [`AdmissionRule`] applies, judged as the arrival finds the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum AdmissionTrigger {
    /// At least this many interactions already wait in the queue (all
    /// channels): Asterisk's `maxlen`, as a rule.
    #[serde(alias = "QueueLength")]
    QueueLength(u32),
    /// The queue's estimated wait is at least this long. The estimate is
    /// Asterisk's `holdtime`: a running average of how long the queue's
    /// answered interactions waited (from their place in line to the
    /// accept), each new answer weighing a quarter; zero before the first
    /// answer. It is the engine's own figure, kept in snapshots.
    #[serde(alias = "EstimatedWait")]
    EstimatedWait(std::time::Duration),
    /// No member of the queue who could take the interaction (works its
    /// channel, meets its requirements and rules) is in this state:
    /// Asterisk's `joinempty` reasons.
    #[serde(alias = "NoAgents")]
    NoAgents(Staffed),
}

/// Asterisk's `leavewhenempty`: what happens to the interactions waiting in
/// a queue once none of its members is `nobody` (qualified at all, logged
/// in, unpaused). Checked when an interaction waiting there is routed and
/// finds no agent, which includes every waiting interaction at once when a
/// member logs out, pauses, leaves the queue or is removed. The check looks
/// at the queue's members (O(members)), not at each interaction's
/// requirements: use [`AdmissionTrigger::NoAgents`] for that, on arrival.
///
/// # Example
/// ```
/// use switchboard::{Channel, Diversion, ExceptionAction, QueueConfig, QueueId, Staffed, WhenEmpty};
///
/// // When the last agent logs out, waiting callers go to voicemail.
/// let sales = QueueConfig::new(QueueId(1), "sales", [Channel::Voice])
///     .with_when_empty(WhenEmpty::new(Staffed::LoggedIn, ExceptionAction::End(Diversion::Voicemail)));
/// assert!(sales.when_empty.is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhenEmpty {
    /// The queue is empty when no member is in this state.
    pub nobody: Staffed,
    /// What happens to each interaction waiting then.
    pub action: ExceptionAction,
}

impl WhenEmpty {
    /// A rule applying `action` when no member is `nobody`.
    pub fn new(nobody: Staffed, action: ExceptionAction) -> Self {
        WhenEmpty { nobody, action }
    }
}

/// How far [`AdmissionTrigger::NoAgents`] looks for a member who could take the interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Staffed {
    /// Any member qualifies at all, logged in or not.
    #[serde(alias = "Qualified")]
    Qualified,
    /// A qualified member is logged in (paused or busy counts).
    #[serde(alias = "LoggedIn")]
    LoggedIn,
    /// A qualified member is logged in and not paused (busy counts).
    #[serde(alias = "Unpaused")]
    Unpaused,
}

/// The step an interaction is in after `waited_ms` in its queue, and when
/// (ms after it entered the queue) that step ends, if it does. Steps are
/// checked when configured (every step but the last expires after at least
/// 1 ms), so the walk is bounded by the number of steps.
pub(crate) fn step_at(steps: &[RoutingStep], waited_ms: i64) -> (usize, Option<i64>) {
    let mut end = 0i64;
    for (k, step) in steps.iter().enumerate() {
        match step.expires_after {
            Some(after) if k + 1 < steps.len() => {
                end = end.saturating_add(duration_millis(after));
                if waited_ms < end {
                    return (k, Some(end));
                }
            }
            _ => return (k, None),
        }
    }
    (0, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_wait() {
        let s = |secs| RoutingStep::default().expiring_after(Duration::from_secs(secs));
        let steps = [s(30), s(60), RoutingStep::default()];
        // (waited ms, step, ends at)
        let cases = [
            (0, 0, Some(30_000)),
            (29_999, 0, Some(30_000)),
            (30_000, 1, Some(90_000)),
            (89_999, 1, Some(90_000)),
            (90_000, 2, None),
            (i64::MAX, 2, None),
        ];
        for (waited, step, ends) in cases {
            assert_eq!(step_at(&steps, waited), (step, ends), "waited {waited} ms");
        }
        assert_eq!(step_at(&[], 5), (0, None), "no steps: step 0 forever");
    }
}
