//! Live reconfiguration: replacing a queue's configuration while
//! interactions wait in it.
//!
//! Everything is checked before anything changes (the command's `Err`
//! changes nothing). Then every interaction live in the queue is taken out
//! of its list, given the eligibility the new configuration implies (its
//! frozen or restarted steps, the new requirements and rule), re-armed
//! (bound, step, time to live, exception rules) and, if it was waiting,
//! filed again keeping its place in line; the members' pool keys are
//! recomputed (the strategy may have changed), and the queue is routed
//! again. O(live interactions in the queue + members), once per command.

use super::exceptions::move_loop_in;
use super::lifecycle::limit;
use super::{Engine, TimerKind, Work};
use crate::command::WaitingSteps;
use crate::error::{CommandError, Limit};
use crate::event::EventKind;
use crate::ids::InteractionId;
use crate::model::expression::Eligibility;
use crate::model::interaction::InteractionState;
use crate::model::queue::QueueConfig;
use crate::time::Timestamp;

impl Engine {
    pub(super) fn update_queue(
        &mut self,
        queue: QueueConfig,
        steps: WaitingSteps,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let id = queue.id;
        let old = self.queues.get(&id).ok_or(CommandError::UnknownQueue(id))?;
        if let Some(channel) = old.channels.iter().find(|c| !queue.channels.contains(c)) {
            return Err(CommandError::ChannelRemoved { queue: id, channel: *channel });
        }
        let old_steps = old.steps.clone();
        self.check_queue_config(&queue)?;
        self.check_all_declined(&queue)?;
        self.check_exception_rules(&queue)?;
        self.check_business_hours(&queue)?;
        if let Some(looped) = move_loop_in(self.queues.values().map(|q| if q.id == id { &queue } else { q })) {
            return Err(CommandError::MoveLoop { queue: looped });
        }
        // What every interaction live in the queue will carry, step by step,
        // within the limits and with room for all their requirement sets at once.
        let mut live: Vec<InteractionId> = self.interactions.values().filter(|i| i.queue == id).map(|i| i.id).collect();
        live.sort_by_key(|iid| self.interactions[iid].seq);
        let frozen = |i: &crate::model::interaction::Interaction| match (steps, i.own_steps()) {
            (_, Some(own)) => own.clone(),
            (WaitingSteps::Keep, None) => old_steps.clone(),
            (WaitingSteps::Restart, None) => queue.steps.clone(),
        };
        let mut plans: Vec<(InteractionId, Vec<Eligibility>)> = Vec::with_capacity(live.len());
        let max_requirements = self.config.limits().max_requirements as usize;
        for iid in &live {
            let i = &self.interactions[iid];
            let sets = self.eligibility_sets(&queue, &i.own_requirements, &frozen(i), &i.attributes);
            if sets.iter().any(|e| e.requirements.len() > max_requirements) {
                return Err(limit(Limit::RequirementsPerInteraction, self.config.limits().max_requirements));
            }
            plans.push((*iid, sets));
        }
        let fresh: Vec<Eligibility> = plans.iter().flat_map(|(_, sets)| sets.iter().cloned()).collect();
        let max = self.config.limits().max_signatures;
        if self.router.sig_count().saturating_add(self.router.new_sigs_among(&fresh)) > max as usize {
            return Err(limit(Limit::Signatures, max));
        }

        // Out of their lists, with the old configuration still in place.
        let queued: Vec<bool> = live
            .iter()
            .map(|iid| {
                let was = self.interactions[iid].is_queued();
                if was {
                    self.leave_queue(*iid);
                }
                was
            })
            .collect();
        let restart = steps == WaitingSteps::Restart;
        self.queues.insert(id, queue);
        for ((iid, sets), was_queued) in plans.into_iter().zip(queued) {
            let i = self.interactions.get_mut(&iid).expect("live above");
            if i.own_steps().is_none() && !restart && old_steps != self.queues[&id].steps {
                // Frozen: the steps it entered with stay its own.
                i.edit_rare(|rare| rare.own_steps = Some(old_steps.clone()));
            }
            // A scheduled callback's steps start when it enters, at its due time, in any case.
            let scheduled = matches!(i.state(), InteractionState::Scheduled { .. });
            if restart && i.own_steps().is_none() && !scheduled {
                i.edit_rare(|rare| rare.joined_at = Some(now));
            }
            let i = &self.interactions[&iid];
            let (step, _) = i.step_due(&self.queues[&id], now);
            let eligibility = self.eligibility_in_step(i, &self.queues[&id], step);
            let sig = self.hold(iid, &eligibility);
            self.router.reserve(iid, if sets.len() > 1 { &sets } else { &[] });
            let i = self.interactions.get_mut(&iid).expect("live above");
            i.step = u16::try_from(step).expect("steps are at most Limits::MAX_STEPS");
            i.requirements = self.router.requirements(sig).clone();
            let unanswered = matches!(i.state(), InteractionState::Queued | InteractionState::Offered { .. });
            let joined = i.joined_queue_at();
            if unanswered {
                self.arm_time_to_live(iid, joined);
                self.arm_exception_rule(iid, now);
            } else {
                self.timers.cancel(TimerKind::TimeToLive(iid));
                self.timers.cancel(TimerKind::ExceptionRule(iid));
            }
            if was_queued {
                self.list(iid, now);
            }
        }
        // Routed again in the queue's serving order under its new configuration.
        self.rewake_queue(id);
        // The strategy may have changed: every member gets a fresh key, and looks again.
        let mut members: Vec<_> = self.router.members(id, &self.agents).map(|a| a.id()).collect();
        members.sort_unstable();
        for agent in &members {
            if let Some((at, a)) = self.agents.get_with_slot(agent) {
                self.router.place_agent(at, a, &self.queues);
            }
        }
        self.work.extend(members.into_iter().map(Work::Agent));
        self.emit(now, EventKind::QueueUpdated { queue: id });
        self.business_hours_changed(now);
        Ok(())
    }
}
