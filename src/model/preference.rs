//! Preferred, direct and case-owner routing: the agents an interaction is
//! offered to first, and for how long, before its queue takes it.
//!
//! A preference is a bounded first phase of the interaction's routing
//! steps, not a routing mechanism of its own: while it lasts, every step
//! the interaction is in also carries the eligibility rule "one of these
//! agents" ([`Expression::Agents`]); when it ends, the steps go on as they
//! would have, counted from the same moment, and the interaction keeps its
//! place in line. So the routing index serves it like any other rule (its
//! bits are computed from the named agents' seats, not from every member),
//! and a preferred agent still has to meet the queue's requirements, its
//! rule and the step's.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::expression::Expression;
use super::step::RoutingStep;
use crate::ids::AgentId;
use crate::time::duration_millis;

/// Who a new interaction is offered to first
/// ([`NewInteraction::preference`](crate::NewInteraction::preference)).
///
/// The wait is always bounded: at `wait` after the interaction entered its
/// queue, the queue takes it (Genesys's preferred-agent timeout, TaskRouter's
/// known-agent routing with a timeout). It is skipped altogether when, on
/// arrival, none of the agents could take it: not logged in, not a member of
/// the queue, not working the channel, or not meeting its eligibility. A
/// preference applies in the queue the interaction arrives in; a transfer or
/// an overflow ends it.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{AgentId, Channel, CustomerId, InteractionId, NewInteraction, Preference, QueueId};
///
/// // The customer's account manager, or the queue after 60 s.
/// let call = NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(42))
///     .with_preference(Preference::agents([AgentId(7)], Duration::from_secs(60)));
/// assert_eq!(call.preference.unwrap().wait(), Duration::from_secs(60));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Preference {
    /// Offered only to these agents (those who qualify) for up to `wait`,
    /// then to the whole queue.
    #[serde(alias = "Agents")]
    Agents {
        /// The preferred agents (at least one, each known to the engine).
        agents: Vec<AgentId>,
        /// How long they have it to themselves (at least 1 ms).
        #[serde(with = "crate::serde_forms::millis")]
        wait: Duration,
    },
    /// For exactly one agent, with the queue it arrives in as the backup
    /// after `wait`: a personal queue. The agent must be a member of that
    /// queue and work the channel, or the arrival is refused; to route past
    /// the queue's requirements, give the agent a queue of their own with an
    /// [`ExceptionAction::Move`](crate::ExceptionAction::Move) to the backup.
    #[serde(alias = "Direct")]
    Direct {
        /// The agent.
        agent: AgentId,
        /// How long the agent has it alone (at least 1 ms).
        #[serde(with = "crate::serde_forms::millis")]
        wait: Duration,
    },
}

impl Preference {
    /// Preferred agents with a bounded wait.
    pub fn agents(agents: impl IntoIterator<Item = AgentId>, wait: Duration) -> Self {
        Preference::Agents { agents: agents.into_iter().collect(), wait }
    }

    /// Direct to one agent, with the queue as the backup after `wait`.
    pub fn direct(agent: AgentId, wait: Duration) -> Self {
        Preference::Direct { agent, wait }
    }

    /// The agents it names.
    pub fn named(&self) -> &[AgentId] {
        match self {
            Preference::Agents { agents, .. } => agents,
            Preference::Direct { agent, .. } => std::slice::from_ref(agent),
        }
    }

    /// How long the named agents have it to themselves.
    pub fn wait(&self) -> Duration {
        match self {
            Preference::Agents { wait, .. } | Preference::Direct { wait, .. } => *wait,
        }
    }

    /// What the offer explanation calls it.
    pub fn kind(&self) -> PreferenceKind {
        match self {
            Preference::Agents { .. } => PreferenceKind::Preferred,
            Preference::Direct { .. } => PreferenceKind::Direct,
        }
    }
}

/// Which preference an offer was made under
/// ([`OfferExplanation::preference`](crate::OfferExplanation::preference)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum PreferenceKind {
    /// The interaction's preferred agents ([`Preference::Agents`]).
    #[serde(alias = "Preferred")]
    Preferred,
    /// Direct to one agent ([`Preference::Direct`]).
    #[serde(alias = "Direct")]
    Direct,
    /// The owner of the interaction's case, preferred by its queue's
    /// [`case_owner_wait`](crate::QueueConfig::case_owner_wait).
    #[serde(alias = "CaseOwner")]
    CaseOwner,
}

/// The preference phase an interaction is in: its kind, and how many of its
/// own steps (from the first) belong to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct PreferencePhase {
    pub(crate) kind: PreferenceKind,
    pub(crate) steps: u16,
}

/// `steps` (a queue's, or an interaction's own; none means one step that
/// never ends) with "one of `agents`" added to every step, or part of a
/// step, before `wait`: the step the wait ends in is split in two at that
/// moment. Returns the steps and how many of them carry the preference.
pub(crate) fn with_preference(steps: &[RoutingStep], agents: &[AgentId], wait: Duration) -> (Vec<RoutingStep>, usize) {
    let one = [RoutingStep::default()];
    let steps = if steps.is_empty() { &one[..] } else { steps };
    let wait_ms = duration_millis(wait);
    let prefer = |step: &RoutingStep| {
        let named = Expression::Agents(agents.to_vec());
        let eligibility = match &step.eligibility {
            None => named,
            Some(rule) => Expression::All(vec![rule.clone(), named]),
        };
        RoutingStep { eligibility: Some(eligibility), ..step.clone() }
    };
    let mut out = Vec::with_capacity(steps.len() + 1);
    let mut preferred = 0;
    let mut start_ms: i64 = 0;
    for step in steps {
        let end_ms = step.expires_after.map(|d| start_ms.saturating_add(duration_millis(d)));
        if start_ms >= wait_ms {
            out.push(step.clone());
        } else if end_ms.is_some_and(|end| end <= wait_ms) {
            out.push(prefer(step));
            preferred += 1;
        } else {
            let mut head = prefer(step);
            head.expires_after = Some(Duration::from_millis(millis(wait_ms - start_ms)));
            let mut tail = step.clone();
            tail.expires_after = end_ms.map(|end| Duration::from_millis(millis(end - wait_ms)));
            out.push(head);
            out.push(tail);
            preferred += 1;
        }
        start_ms = end_ms.unwrap_or(i64::MAX);
    }
    (out, preferred)
}

fn millis(ms: i64) -> u64 {
    u64::try_from(ms).expect("a step's remaining span is positive")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SkillId;
    use crate::model::skill::{Proficiency, Requirements};

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn step(level: u8, expires: Option<u64>) -> RoutingStep {
        let reqs = Requirements::from_pairs([(SkillId(1), Proficiency::new(level).unwrap())]);
        RoutingStep { expires_after: expires.map(secs), ..RoutingStep::new(reqs) }
    }

    /// (level, expiry in s, preferred?) of each step out.
    type Shape = Vec<(u8, Option<u64>, bool)>;

    fn shape(steps: &[RoutingStep]) -> Shape {
        steps
            .iter()
            .map(|s| {
                let level = s.requirements.iter().next().map_or(0, |r| r.min_level.level());
                (level, s.expires_after.map(|d| d.as_secs()), s.eligibility.is_some())
            })
            .collect()
    }

    #[test]
    fn the_preference_covers_the_steps_before_its_end_and_splits_the_one_it_ends_in() {
        let three = vec![step(4, Some(30)), step(3, Some(30)), step(2, None)];
        let table: Vec<(&str, Vec<RoutingStep>, u64, Shape, usize)> = vec![
            ("no steps", vec![], 45, vec![(0, Some(45), true), (0, None, false)], 1),
            (
                "ends inside the second",
                three.clone(),
                45,
                vec![(4, Some(30), true), (3, Some(15), true), (3, Some(15), false), (2, None, false)],
                2,
            ),
            (
                "ends at a step's end",
                three.clone(),
                30,
                vec![(4, Some(30), true), (3, Some(30), false), (2, None, false)],
                1,
            ),
            (
                "ends inside the last",
                three.clone(),
                100,
                vec![(4, Some(30), true), (3, Some(30), true), (2, Some(40), true), (2, None, false)],
                3,
            ),
            (
                "ends inside the first",
                three,
                10,
                vec![(4, Some(10), true), (4, Some(20), false), (3, Some(30), false), (2, None, false)],
                1,
            ),
        ];
        for (name, steps, wait, want, preferred) in table {
            let (out, n) = with_preference(&steps, &[AgentId(7)], secs(wait));
            assert_eq!(shape(&out), want, "{name}");
            assert_eq!(n, preferred, "{name}");
        }
    }

    #[test]
    fn a_step_rule_is_kept_beside_the_named_agents() {
        let team = Expression::Agents(vec![AgentId(1), AgentId(2)]);
        let steps = vec![RoutingStep::default().with_eligibility(team.clone())];
        let (out, _) = with_preference(&steps, &[AgentId(2)], secs(5));
        assert_eq!(out[0].eligibility, Some(Expression::All(vec![team.clone(), Expression::Agents(vec![AgentId(2)])])));
        assert_eq!(out[1].eligibility, Some(team));
    }
}
