//! `check_configuration`: what in the queues and agents as configured can
//! never work, found without changing anything.

use serde::Serialize;

use super::Engine;
use crate::ids::{AgentId, QueueId};
use crate::model::agent::Agent;
use crate::model::channel::Channel;
use crate::model::expression::combine;
use crate::model::step::ExceptionAction;
use crate::time::duration_millis;

/// One problem [`Engine::check_configuration`] found. Each names what it
/// is about and, in its `Display` form, why it matters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum ConfigurationFinding {
    /// No agent is a member of the queue: nothing that enters it is ever offered.
    #[serde(alias = "QueueWithoutMembers")]
    QueueWithoutMembers {
        /// The queue.
        queue: QueueId,
    },
    /// The queue takes a channel that no member's capacity profile lists.
    #[serde(alias = "ChannelNoMemberWorks")]
    ChannelNoMemberWorks {
        /// The queue.
        queue: QueueId,
        /// The channel.
        channel: Channel,
    },
    /// No member of the queue meets its requirements and eligibility rule
    /// (the queue's own, and, with routing steps, the step's; a rule that
    /// depends on the interaction's attributes counts as met if it could
    /// be): its interactions cannot be offered while in that step, unless
    /// they carry steps of their own.
    #[serde(alias = "NoMemberQualifies")]
    NoMemberQualifies {
        /// The queue.
        queue: QueueId,
        /// The routing step, from 0; `None` for a queue without steps.
        step: Option<usize>,
    },
    /// A routing step begins after the queue's time to live has run out:
    /// no interaction ever reaches it.
    #[serde(alias = "StepAfterTimeToLive")]
    StepAfterTimeToLive {
        /// The queue.
        queue: QueueId,
        /// The step, from 0.
        step: usize,
    },
    /// An exception rule is due no sooner than the queue's time to live, or
    /// after a rule that always moves or ends the interaction: it never fires.
    #[serde(alias = "RuleNeverFires")]
    RuleNeverFires {
        /// The queue.
        queue: QueueId,
        /// The exception rule, from 0.
        rule: usize,
    },
    /// The queue's `max_wait` is not shorter than its time to live: its
    /// interactions expire before they can become overdue.
    #[serde(alias = "BoundAfterTimeToLive")]
    BoundAfterTimeToLive {
        /// The queue.
        queue: QueueId,
    },
    /// A member's delay for the queue is not shorter than its time to live:
    /// that agent is never offered its interactions.
    #[serde(alias = "DelayAfterTimeToLive")]
    DelayAfterTimeToLive {
        /// The queue.
        queue: QueueId,
        /// The member.
        agent: AgentId,
    },
}

impl std::fmt::Display for ConfigurationFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigurationFinding::QueueWithoutMembers { queue } => {
                write!(f, "queue {queue} has no members: nothing that enters it is ever offered")
            }
            ConfigurationFinding::ChannelNoMemberWorks { queue, channel } => {
                write!(f, "queue {queue} takes {channel}, but no member's capacity lists it")
            }
            ConfigurationFinding::NoMemberQualifies { queue, step: None } => {
                write!(f, "no member of queue {queue} meets its requirements")
            }
            ConfigurationFinding::NoMemberQualifies { queue, step: Some(step) } => {
                write!(f, "no member of queue {queue} meets the requirements of its routing step {step}")
            }
            ConfigurationFinding::StepAfterTimeToLive { queue, step } => {
                write!(f, "routing step {step} of queue {queue} begins after its time to live: it is never reached")
            }
            ConfigurationFinding::RuleNeverFires { queue, rule } => {
                write!(f, "exception rule {rule} of queue {queue} never fires: the interaction is gone by then")
            }
            ConfigurationFinding::BoundAfterTimeToLive { queue } => {
                write!(f, "queue {queue}'s max_wait is not shorter than its time to live: nothing is ever overdue")
            }
            ConfigurationFinding::DelayAfterTimeToLive { queue, agent } => {
                write!(
                    f,
                    "{agent}'s delay for queue {queue} is not shorter than its time to live: never offered its work"
                )
            }
        }
    }
}

impl Engine {
    /// What in the configuration (queues, their routing steps and limits,
    /// agents' memberships, skills and capacity) can never work, in queue
    /// order then agent order; nothing is changed.
    ///
    /// It judges the configuration, not the moment: an agent who is logged
    /// out still counts as a member who could serve. A view for people:
    /// O(queues × agents).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::*;
    ///
    /// let mut engine = Engine::new(EngineConfig::default());
    /// let t0 = Timestamp::from_secs(1_700_000_000);
    /// let chat = QueueConfig::new(QueueId(1), "chat", [Channel::Chat]).with_time_to_live(Duration::from_secs(60));
    /// engine.handle(Command::AddQueue(chat), t0)?;
    /// assert_eq!(engine.check_configuration(), [ConfigurationFinding::QueueWithoutMembers { queue: QueueId(1) }]);
    ///
    /// let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
    ///     .with_queue(QueueMembership::new(QueueId(1)).with_delay(Duration::from_secs(90)));
    /// engine.handle(Command::AddAgent(agent), t0)?;
    /// let findings = engine.check_configuration();
    /// assert_eq!(findings[0].to_string(), "queue q1 takes chat, but no member's capacity lists it");
    /// assert!(findings.contains(&ConfigurationFinding::DelayAfterTimeToLive { queue: QueueId(1), agent: AgentId(1) }));
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn check_configuration(&self) -> Vec<ConfigurationFinding> {
        let mut findings = Vec::new();
        let mut agents: Vec<_> = self.agents.values().collect();
        agents.sort_by_key(|a| a.id());
        for queue in self.queues.values() {
            let members: Vec<_> = agents
                .iter()
                .filter_map(|a| a.config.queues.iter().find(|m| m.queue == queue.id).map(|m| (*a, m)))
                .collect();
            if members.is_empty() {
                findings.push(ConfigurationFinding::QueueWithoutMembers { queue: queue.id });
            }
            for channel in &queue.channels {
                if !members.is_empty() && members.iter().all(|(a, _)| a.config.capacity.channel(*channel).is_none()) {
                    findings.push(ConfigurationFinding::ChannelNoMemberWorks { queue: queue.id, channel: *channel });
                }
            }
            if !members.is_empty() {
                let sets: Vec<(Option<usize>, _, _)> = if queue.steps.is_empty() {
                    vec![(None, queue.requirements.clone(), queue.eligibility.clone())]
                } else {
                    queue
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(k, s)| {
                            let rule = combine(queue.eligibility.as_ref(), s.eligibility.as_ref());
                            (Some(k), queue.requirements.union(&s.requirements), rule)
                        })
                        .collect()
                };
                for (step, reqs, rule) in sets {
                    // A rule that depends on the interaction's attributes may admit a member.
                    let could = |a: &Agent| {
                        a.config.skills.satisfies(&reqs)
                            && rule.as_ref().is_none_or(|r| {
                                r.could_admit(a.id(), &a.config.skills, &a.config.attributes) != Some(false)
                            })
                    };
                    if !members.iter().any(|(a, _)| could(a)) {
                        findings.push(ConfigurationFinding::NoMemberQualifies { queue: queue.id, step });
                    }
                }
            }
            // A rule that ends the interaction (an end; a move, when nothing refuses it) at an
            // earlier time, or the time to live, leaves nothing for later rules.
            let ends = queue
                .exception_rules
                .iter()
                .filter(|r| matches!(r.action, ExceptionAction::End(_)))
                .map(|r| duration_millis(r.after))
                .chain(queue.time_to_live.map(duration_millis))
                .min();
            for (k, rule) in queue.exception_rules.iter().enumerate() {
                if ends.is_some_and(|end| duration_millis(rule.after) > end)
                    || queue.time_to_live.is_some_and(|ttl| duration_millis(rule.after) >= duration_millis(ttl))
                {
                    findings.push(ConfigurationFinding::RuleNeverFires { queue: queue.id, rule: k });
                }
            }
            let Some(ttl) = queue.time_to_live.map(duration_millis) else { continue };
            // Step k begins when the steps before it have run out.
            let mut begins = 0i64;
            for (k, step) in queue.steps.iter().enumerate() {
                if begins >= ttl {
                    findings.push(ConfigurationFinding::StepAfterTimeToLive { queue: queue.id, step: k });
                }
                begins = begins.saturating_add(step.expires_after.map_or(i64::MAX, duration_millis));
            }
            if queue.max_wait_ms().is_some_and(|bound| bound >= ttl) {
                findings.push(ConfigurationFinding::BoundAfterTimeToLive { queue: queue.id });
            }
            for (agent, m) in &members {
                if duration_millis(m.delay) >= ttl {
                    findings.push(ConfigurationFinding::DelayAfterTimeToLive { queue: queue.id, agent: agent.id() });
                }
            }
        }
        findings
    }
}
