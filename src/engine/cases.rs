//! Cases and preferences: who owns a case, and which agents a new
//! interaction is offered to first (preferred, direct or its case's owner).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Engine;
use super::lifecycle::limit;
use crate::command::NewInteraction;
use crate::error::{CommandError, Limit};
use crate::ids::{AgentId, CaseId, InteractionId};
use crate::model::expression::Eligibility;
use crate::model::preference::{Preference, PreferenceKind, PreferencePhase, with_preference};
use crate::model::queue::QueueConfig;
use crate::model::step::RoutingStep;
use crate::time::{Timestamp, check_span};

/// The owners of cases, bounded: past [`Limits::max_cases`](crate::Limits::max_cases)
/// the case whose owner was set longest ago is forgotten.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct CaseOwners {
    owners: BTreeMap<CaseId, CaseOwner>,
    /// The same cases by when their owner was set, oldest first.
    by_age: BTreeSet<(Timestamp, CaseId)>,
}

/// A case's owner and when they became it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct CaseOwner {
    pub(super) agent: AgentId,
    pub(super) since: Timestamp,
}

impl CaseOwners {
    pub(super) fn get(&self, case: CaseId) -> Option<CaseOwner> {
        self.owners.get(&case).copied()
    }

    /// Sets (or with `None` clears) a case's owner at `now`, forgetting the
    /// oldest cases beyond `max`.
    pub(super) fn set(&mut self, case: CaseId, agent: Option<AgentId>, now: Timestamp, max: u32) {
        if let Some(old) = self.owners.remove(&case) {
            self.by_age.remove(&(old.since, case));
        }
        let Some(agent) = agent else { return };
        self.owners.insert(case, CaseOwner { agent, since: now });
        self.by_age.insert((now, case));
        while self.owners.len() > max as usize {
            let Some((_, oldest)) = self.by_age.pop_first() else { break };
            self.owners.remove(&oldest);
        }
    }

    /// Forgets `agent` as the owner of every case (the agent was removed):
    /// one pass over the cases, as rare as removing an agent.
    pub(super) fn forget_agent(&mut self, agent: AgentId) {
        let gone: Vec<(CaseId, CaseOwner)> =
            self.owners.iter().filter(|(_, o)| o.agent == agent).map(|(c, o)| (*c, *o)).collect();
        for (case, owner) in gone {
            self.owners.remove(&case);
            self.by_age.remove(&(owner.since, case));
        }
    }

    /// Every case with its owner, by case.
    pub(super) fn iter(&self) -> impl Iterator<Item = (CaseId, CaseOwner)> + '_ {
        self.owners.iter().map(|(c, o)| (*c, *o))
    }
}

/// A case as the engine knows it ([`Engine::case`]): its owner, and its live
/// interactions. Its finished interactions are in the contact history
/// ([`ContactHistory::case`](crate::stats::ContactHistory::case)), across channels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CaseView {
    /// The case.
    pub case: CaseId,
    /// Its owner, if it has one: the agent who last accepted one of its
    /// interactions, or who the host named since.
    pub owner: Option<AgentId>,
    /// When the owner became it.
    pub owner_since: Option<Timestamp>,
    /// Its live interactions (waiting, ringing, connected or in wrap-up), in arrival order.
    pub interactions: Vec<InteractionId>,
}

impl Engine {
    /// [`Command::SetCaseOwner`](crate::Command::SetCaseOwner).
    pub(super) fn set_case_owner(
        &mut self,
        case: CaseId,
        agent: Option<AgentId>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if let Some(agent) = agent {
            if !self.agents.contains_key(&agent) {
                return Err(CommandError::UnknownAgent(agent));
            }
        }
        self.cases.set(case, agent, now, self.config.limits().max_cases);
        Ok(())
    }

    /// A case: its owner and its live interactions. A case the engine has
    /// never heard of is a case with no owner and no interactions. Costs one
    /// pass over the live interactions.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::*;
    ///
    /// let mut engine = Engine::new(EngineConfig::default());
    /// let t = Timestamp::from_secs(1_767_258_000);
    /// let queue = QueueConfig::new(QueueId(1), "support", [Channel::Email]).with_case_owner_wait(Duration::from_secs(3600));
    /// engine.handle(Command::AddQueue(queue), t)?;
    /// engine.handle(Command::AddAgent(AgentConfig::new(AgentId(5), CapacityProfile::single(Channel::Email, 1))
    ///     .with_queue(QueueMembership::new(QueueId(1)))), t)?;
    /// engine.handle(Command::SetCaseOwner { case: CaseId(9), agent: Some(AgentId(5)) }, t)?;
    /// let mail = NewInteraction::new(InteractionId(1), Channel::Email, QueueId(1), CustomerId(2)).with_case(CaseId(9));
    /// engine.handle(Command::Arrive(mail), t)?;
    /// let case = engine.case(CaseId(9));
    /// assert_eq!(case.owner, Some(AgentId(5)));
    /// assert_eq!(case.interactions, vec![InteractionId(1)]);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn case(&self, case: CaseId) -> CaseView {
        let owner = self.cases.get(case);
        let mut live: Vec<(u64, InteractionId)> =
            self.interactions.values().filter(|i| i.case() == Some(case)).map(|i| (i.seq, i.id)).collect();
        live.sort_unstable();
        CaseView {
            case,
            owner: owner.map(|o| o.agent),
            owner_since: owner.map(|o| o.since),
            interactions: live.into_iter().map(|(_, id)| id).collect(),
        }
    }

    /// The preference a new interaction arrives with, checked: its own, or
    /// its case's owner where its queue prefers owners; `None` when it has none.
    fn preference_on_arrival(
        &self,
        new: &NewInteraction,
        queue: &QueueConfig,
    ) -> Result<Option<(PreferenceKind, Vec<AgentId>, Duration)>, CommandError> {
        if let Some(p) = &new.preference {
            self.check_preference(new, p)?;
            return Ok(Some((p.kind(), p.named().to_vec(), p.wait())));
        }
        let owner = new.case.and_then(|case| self.cases.get(case));
        Ok(match (owner, queue.case_owner_wait) {
            (Some(owner), Some(wait)) => Some((PreferenceKind::CaseOwner, vec![owner.agent], wait)),
            _ => None,
        })
    }

    /// Whether any of `agents` could take a new interaction now: logged in
    /// (paused or busy counts), a member of its queue, working its channel
    /// and meeting `first`, its eligibility in its first routing step.
    fn any_could_take(
        &self,
        agents: &[AgentId],
        new: &NewInteraction,
        queue: &QueueConfig,
        first: &Eligibility,
    ) -> bool {
        let could_take = |id: &AgentId| {
            self.agents.get(id).is_some_and(|a| {
                a.logged_in
                    && a.config.queues.iter().any(|m| m.queue == queue.id)
                    && a.config.capacity.channel(new.channel).is_some()
                    && a.config.skills.satisfies(&first.requirements)
                    && first.rule.as_ref().is_none_or(|r| r.admits(a.id(), &a.config.skills, &a.config.attributes))
            })
        };
        agents.iter().any(could_take)
    }

    /// Everything an interaction's own preference must be.
    fn check_preference(&self, new: &NewInteraction, p: &Preference) -> Result<(), CommandError> {
        let named = p.named();
        if named.is_empty() {
            return Err(CommandError::EmptyPreference(new.id));
        }
        let max = self.config.limits().max_preferred_agents;
        if named.len() > max as usize {
            return Err(limit(Limit::PreferredAgents, max));
        }
        check_span(p.wait(), false).map_err(|error| CommandError::InvalidSpan {
            field: "preference wait",
            span: p.wait(),
            error,
        })?;
        for id in named {
            let agent = self.agents.get(id).ok_or(CommandError::UnknownAgent(*id))?;
            if let Preference::Direct { .. } = p {
                let member = agent.config.queues.iter().any(|m| m.queue == new.queue);
                if !member || agent.config.capacity.channel(new.channel).is_none() {
                    return Err(CommandError::DirectAgentNotInQueue {
                        interaction: new.id,
                        agent: *id,
                        queue: new.queue,
                        channel: new.channel,
                    });
                }
            }
        }
        Ok(())
    }

    /// The routing steps a new interaction follows in its first queue, when
    /// it has a preference that applies: `steps` (its own or its queue's)
    /// with the preference's phase in front, checked against the step limit.
    pub(super) fn preferred_steps(
        &self,
        new: &NewInteraction,
        queue: &QueueConfig,
        steps: &[RoutingStep],
    ) -> Result<Option<(Vec<RoutingStep>, PreferencePhase)>, CommandError> {
        let Some((kind, agents, wait)) = self.preference_on_arrival(new, queue)? else { return Ok(None) };
        // None of them could take it: it goes to the queue at once.
        let first = self.eligibility_sets(queue, &new.requirements, steps, &new.attributes).swap_remove(0);
        if !self.any_could_take(&agents, new, queue, &first) {
            return Ok(None);
        }
        let (steps, preferred) = with_preference(steps, &agents, wait);
        let base = queue.requirements.union(&new.requirements);
        self.check_steps(&base, &steps)?;
        let preferred = u16::try_from(preferred).expect("steps are at most Limits::MAX_STEPS");
        Ok(Some((steps, PreferencePhase { kind, steps: preferred })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_owner_is_forgotten_past_the_limit_and_a_removed_agent_owns_nothing() {
        let t = |s| Timestamp::from_secs(s);
        let mut cases = CaseOwners::default();
        cases.set(CaseId(1), Some(AgentId(1)), t(10), 2);
        cases.set(CaseId(2), Some(AgentId(2)), t(20), 2);
        // Setting case 1 again makes it the newest.
        cases.set(CaseId(1), Some(AgentId(3)), t(30), 2);
        cases.set(CaseId(3), Some(AgentId(3)), t(40), 2);
        assert_eq!(cases.get(CaseId(2)), None, "case 2 was the oldest");
        assert_eq!(cases.get(CaseId(1)).map(|o| o.agent), Some(AgentId(3)));
        assert_eq!(cases.owners.len(), 2);
        cases.forget_agent(AgentId(3));
        assert!(cases.owners.is_empty());
        assert!(cases.by_age.is_empty());
        cases.set(CaseId(4), Some(AgentId(1)), t(50), 2);
        cases.set(CaseId(4), None, t(60), 2);
        assert_eq!(cases, CaseOwners::default());
    }
}
