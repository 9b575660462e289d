//! What happens after an offer is declined (rejected or timed out): back in
//! line, or, when every qualified agent has declined, the queue's fallback.

use super::lifecycle::check_span_field;
use super::{Engine, TimerKind, Work};
use crate::error::CommandError;
use crate::event::{EventKind, QueueReason};
use crate::ids::{InteractionId, QueueId};
use crate::model::expression::Eligibility;
use crate::model::interaction::{Interaction, Outcome};
use crate::model::queue::{AllDeclined, QueueConfig};
use crate::time::Timestamp;

impl Engine {
    /// Checks a queue's [`AllDeclined`] rule: a forget span of at least 1 ms,
    /// or an overflow to another existing queue that takes all its channels.
    /// [`Command::AddQueue`](crate::Command::AddQueue) and restore check the same.
    pub(super) fn check_all_declined(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        match queue.all_declined {
            AllDeclined::Wait | AllDeclined::End => Ok(()),
            AllDeclined::ForgetAfter(span) => check_span_field("queue all_declined forget span", span, false),
            AllDeclined::Overflow(to) => {
                if to == queue.id {
                    return Err(CommandError::OverflowToItself(queue.id));
                }
                let target =
                    self.queues.get(&to).ok_or(CommandError::UnknownOverflowQueue { queue: queue.id, overflow: to })?;
                match queue.channels.iter().find(|c| !target.channels.contains(c)) {
                    Some(channel) => {
                        Err(CommandError::OverflowRefusesChannel { queue: queue.id, overflow: to, channel: *channel })
                    }
                    None => Ok(()),
                }
            }
        }
    }

    /// An interaction whose offer was just declined (its decliner recorded,
    /// the offer gone) goes back to its place in line; when declined work is
    /// never re-offered and every qualified agent has declined it, the
    /// engine says so with [`EventKind::DeclinedByAll`] and applies the
    /// queue's [`AllDeclined`] rule.
    pub(super) fn after_decline(&mut self, iid: InteractionId, reason: QueueReason, now: Timestamp) {
        // Judge who qualifies by the routing step its wait has reached: the
        // step may have moved on while the offer rang.
        if self.settle_step(iid, now) {
            let (queue, step) = (self.interactions[&iid].queue, self.interactions[&iid].step);
            self.emit(now, EventKind::StepChanged { interaction: iid, queue, step });
        }
        let decliners = if self.config.never_reoffer_to_decliners() {
            let i = &self.interactions[&iid];
            let sig = self.held_sig(iid).expect("a live interaction holds its signature");
            self.router.declined_by_all(i, sig, &self.agents)
        } else {
            None
        };
        let Some(decliners) = decliners else {
            self.enter_queue(iid, reason, now);
            return;
        };
        let i = &self.interactions[&iid];
        let queue = i.queue;
        let mut fallback = self.queues[&queue].all_declined;
        let mut overflow = None;
        if let AllDeclined::Overflow(to) = fallback {
            match self.overflow_requirements(i, to) {
                Ok(requirements) => overflow = Some((to, requirements)),
                Err(_) => fallback = AllDeclined::Wait,
            }
        }
        self.emit(now, EventKind::DeclinedByAll { interaction: iid, queue, decliners, fallback });
        match (fallback, overflow) {
            (AllDeclined::ForgetAfter(span), _) => {
                self.enter_queue(iid, reason, now);
                self.timers.set(TimerKind::ForgetDeclines(iid), now + span);
            }
            (AllDeclined::Overflow(_), Some((to, requirements))) => {
                self.interactions.get_mut(&iid).expect("looked up above").edit_rare(|rare| rare.declined_by.clear());
                self.timers.cancel(TimerKind::ForgetDeclines(iid));
                self.move_to_queue(iid, queue, to, requirements, now);
            }
            (AllDeclined::End, _) => self.end_interaction(iid, Outcome::Declined, now),
            _ => self.enter_queue(iid, reason, now),
        }
    }

    /// Where an overflow of `i` to `to` can go now: the requirements it would
    /// carry there, or why it cannot (the target is full, or those
    /// requirements pass a limit).
    fn overflow_requirements(&self, i: &Interaction, to: QueueId) -> Result<Vec<Eligibility>, CommandError> {
        let target = self.queues.get(&to).ok_or(CommandError::UnknownQueue(to))?;
        if !target.channels.contains(&i.channel) {
            return Err(CommandError::ChannelNotInQueue { queue: to, channel: i.channel });
        }
        let sets = self.check_entry(target, &i.own_requirements, &target.steps, &i.attributes, Some(i.id))?;
        self.check_room_in_queue(target)?;
        Ok(sets)
    }

    /// [`AllDeclined::ForgetAfter`]'s timer: the interaction forgets who
    /// declined it and, if still waiting, is routed again to anyone.
    pub(super) fn forget_declines(&mut self, iid: InteractionId) {
        let Some(i) = self.interactions.get_mut(&iid) else { return };
        i.edit_rare(|rare| rare.declined_by.clear());
        if i.is_queued() {
            self.work.push_back(Work::Interaction(iid));
        }
    }
}
