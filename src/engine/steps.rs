//! Routing steps: checking them, entering them, and moving on when one expires.
//!
//! An interaction's step is a function of how long it has been in its
//! current queue ([`step_at`]); the engine keeps it in the interaction
//! (`step`), with the requirements it implies, and moves it at each step's
//! end with a [`TimerKind::StepExpiry`] timer, so the waiting lists are
//! never re-sorted: a step change is one removal and one insertion.

use super::lifecycle::limit;
use super::{Engine, TimerKind, Work};
use crate::error::{CommandError, Limit};
use crate::event::EventKind;
use crate::ids::InteractionId;
use crate::model::attributes::Attributes;
use crate::model::expression::Eligibility;
use crate::model::queue::QueueConfig;
use crate::model::skill::Requirements;
use crate::model::step::RoutingStep;
use crate::time::{Timestamp, check_span};

impl Engine {
    /// Everything a list of routing steps must be: within the step limit,
    /// every step but the last expiring after a valid span, the last not
    /// expiring, every skill known and every step's set within the
    /// requirement limit on top of `base`.
    pub(super) fn check_steps(&self, base: &Requirements, steps: &[RoutingStep]) -> Result<(), CommandError> {
        let limits = self.config.limits();
        if steps.len() > limits.max_steps as usize {
            return Err(limit(Limit::Steps, limits.max_steps));
        }
        for (k, step) in steps.iter().enumerate() {
            let last = k + 1 == steps.len();
            match (step.expires_after, last) {
                (None, false) => return Err(CommandError::StepWithoutExpiry { step: k }),
                (Some(_), true) => return Err(CommandError::LastStepExpires { step: k }),
                (Some(span), false) => check_span(span, false).map_err(|error| CommandError::InvalidSpan {
                    field: "routing step expires_after",
                    span,
                    error,
                })?,
                (None, true) => {}
            }
            self.check_skills_known(step.requirements.iter().map(|r| &r.skill))?;
            if base.union(&step.requirements).len() > limits.max_requirements as usize {
                return Err(limit(Limit::RequirementsPerInteraction, limits.max_requirements));
            }
        }
        Ok(())
    }

    /// The eligibilities an interaction entering `queue` with `own`
    /// requirements, these `steps` and `attributes` will carry, step by
    /// step (see [`Engine::eligibility_sets`]), once checked
    /// against the limits (requirements per interaction, and room in the
    /// signature table for all of them at once: they are kept interned while
    /// it waits, so a step change never fails). `moving` is the interaction
    /// when it comes from another queue: the sets only it holds there are
    /// let go as it moves, so they make room.
    pub(super) fn check_entry(
        &self,
        queue: &QueueConfig,
        own: &Requirements,
        steps: &[RoutingStep],
        attributes: &Attributes,
        moving: Option<InteractionId>,
    ) -> Result<Vec<Eligibility>, CommandError> {
        let sets = self.eligibility_sets(queue, own, steps, attributes);
        let limits = self.config.limits();
        for set in sets.iter().map(|e| &e.requirements) {
            self.check_skills_known(set.iter().map(|r| &r.skill))?;
            if set.len() > limits.max_requirements as usize {
                return Err(limit(Limit::RequirementsPerInteraction, limits.max_requirements));
            }
        }
        let max = self.config.limits().max_signatures as usize;
        let freed = moving.map_or(0, |id| self.router.freed_by_moving(id, self.held_sig(id), &sets));
        if self.router.sig_count().saturating_add(self.router.new_sigs_among(&sets)).saturating_sub(freed) > max {
            return Err(limit(Limit::Signatures, self.config.limits().max_signatures));
        }
        Ok(sets)
    }

    /// Puts interaction `iid`, about to be enqueued at `now`, in the step its
    /// time in the queue has reached (a re-queue may have crossed a step's
    /// end while it rang), with that step's requirements, and arms the
    /// timer for the step's end. Returns whether the step changed.
    pub(super) fn settle_step(&mut self, iid: InteractionId, now: Timestamp) -> bool {
        let i = &self.interactions[&iid];
        let queue = &self.queues[&i.queue];
        let steps = i.steps(queue);
        if steps.is_empty() {
            // A queue without steps (after a transfer or an overflow) has no step timer.
            self.timers.cancel(TimerKind::StepExpiry(iid));
            return false;
        }
        let (step, ends) = i.step_due(queue, now);
        match ends {
            Some(end) => self.timers.set(TimerKind::StepExpiry(iid), end),
            None => self.timers.cancel(TimerKind::StepExpiry(iid)),
        }
        if step == usize::from(i.step) {
            return false;
        }
        let eligibility = self.eligibility_in_step(i, queue, step);
        let sig = self.hold(iid, &eligibility);
        let i = self.interactions.get_mut(&iid).expect("looked up above");
        i.step = u16::try_from(step).expect("steps are at most Limits::MAX_STEPS");
        i.requirements = self.router.requirements(sig).clone();
        true
    }

    /// A waiting interaction's step expired: it moves to the next step's
    /// list, keeping its place in line, and is routed again.
    pub(super) fn step_expired(&mut self, iid: InteractionId, at: Timestamp) {
        let Some(i) = self.interactions.get(&iid) else { return };
        if !i.is_queued() {
            return;
        }
        // As when it leaves the queue: who it held back or made drain looks again.
        self.unlist(iid);
        let changed = self.settle_step(iid, at);
        // Its signature is its entry's tag (see `held_sig`).
        let (slot, i, sig) = self.interactions.get_placed(&iid).expect("looked up above");
        self.router.enqueue(i, slot, sig, &self.queues[&i.queue], &self.agents);
        if changed {
            let (queue, step) = (i.queue, i.step);
            self.emit(at, EventKind::StepChanged { interaction: iid, queue, step });
            self.work.push_back(Work::Interaction(iid));
        }
    }
}
