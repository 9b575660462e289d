//! Exception rules: alerts and moves after a time unanswered in a queue.
//!
//! Which rule is next is a function of how long the interaction has been in
//! its current queue, like routing steps; one [`TimerKind::ExceptionRule`]
//! timer waits for it while the interaction is unanswered (waiting or
//! ringing). A move's target must exist when the queue is added, so moves
//! form no loop and an interaction moves at most once per queue.

use std::collections::BTreeMap;

use super::lifecycle::{check_span_field, limit};
use super::{Engine, TimerKind};
use crate::error::{CommandError, Limit};
use crate::event::{EventKind, WithdrawReason};
use crate::ids::{InteractionId, QueueId};
use crate::model::interaction::{Interaction, InteractionState};
use crate::model::queue::QueueConfig;
use crate::model::step::ExceptionAction;
use crate::time::{Timestamp, duration_millis};

/// When `i`'s next exception rule is due, having been `waited_ms` in its
/// queue: the earliest rule due strictly later.
pub(super) fn next_rule_due(i: &Interaction, queue: &QueueConfig, waited_ms: i64) -> Option<Timestamp> {
    let after =
        queue.exception_rules.iter().map(|r| duration_millis(r.after)).filter(|after| *after > waited_ms).min()?;
    Some(Timestamp::from_millis(i.joined_queue_at().as_millis().saturating_add(after)))
}

impl Engine {
    /// Everything a queue's exception rules must be: within the limit, each
    /// due after a valid, non-zero span, each move to another existing queue
    /// that takes all this queue's channels.
    pub(super) fn check_exception_rules(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        let max = self.config.limits().max_steps;
        if queue.exception_rules.len() > max as usize {
            return Err(limit(Limit::Steps, max));
        }
        for (k, rule) in queue.exception_rules.iter().enumerate() {
            check_span_field("exception rule after", rule.after, false)?;
            if let ExceptionAction::Move { queue: target, .. } = rule.action {
                let bad = |problem| CommandError::BadMoveTarget { queue: queue.id, rule: k, target, problem };
                if target == queue.id {
                    return Err(bad("itself"));
                }
                let Some(t) = self.queues.get(&target) else {
                    return Err(bad("which does not exist yet: add it first"));
                };
                if queue.channels.iter().any(|c| !t.channels.contains(c)) {
                    return Err(bad("which does not take all its channels"));
                }
            }
        }
        Ok(())
    }

    /// A queue whose moves lead round a loop back to it, if any (restore
    /// checks this: the commands cannot make one).
    pub(super) fn move_loop(&self) -> Option<QueueId> {
        let targets: BTreeMap<QueueId, Vec<QueueId>> = self
            .queues
            .values()
            .map(|q| {
                let to = q.exception_rules.iter().filter_map(|r| match r.action {
                    ExceptionAction::Move { queue, .. } => Some(queue),
                    _ => None,
                });
                // Moves of closed queues' work count too: every move's target exists first.
                let closed = match q.when_closed {
                    crate::model::queue::WhenClosed::Move(queue) => Some(queue),
                    _ => None,
                };
                (q.id, to.chain(closed).collect())
            })
            .collect();
        // Depth-first, iteratively: 0 unseen, 1 on the path, 2 done.
        let mut state: BTreeMap<QueueId, u8> = BTreeMap::new();
        for start in targets.keys() {
            if state.contains_key(start) {
                continue;
            }
            let mut path = vec![(*start, 0usize)];
            state.insert(*start, 1);
            while let Some((q, next)) = path.last_mut() {
                let out = targets.get(q).map_or(&[][..], |v| v.as_slice());
                if let Some(to) = out.get(*next).copied() {
                    *next += 1;
                    match state.get(&to) {
                        Some(1) => return Some(to),
                        Some(_) => {}
                        None => {
                            state.insert(to, 1);
                            path.push((to, 0));
                        }
                    }
                } else {
                    state.insert(*q, 2);
                    path.pop();
                }
            }
        }
        None
    }

    /// Sets (or moves, or cancels) interaction `iid`'s exception-rule timer
    /// for its next rule, `now` being the time it is at.
    pub(super) fn arm_exception_rule(&mut self, iid: InteractionId, now: Timestamp) {
        let i = &self.interactions[&iid];
        let due = self.queues.get(&i.queue).and_then(|q| next_rule_due(i, q, now.millis_since(i.joined_queue_at())));
        match due {
            Some(due) => self.timers.set(TimerKind::ExceptionRule(iid), due),
            None => self.timers.cancel(TimerKind::ExceptionRule(iid)),
        }
    }

    /// The rules due now: alerts are raised, and the first move that can be
    /// made is made (which ends this queue's rules); then the next rule's timer.
    pub(super) fn exception_rule_due(&mut self, iid: InteractionId, at: Timestamp) {
        let Some(i) = self.interactions.get(&iid) else { return };
        if !matches!(i.state, InteractionState::Queued | InteractionState::Offered { .. }) {
            return;
        }
        let from = i.queue;
        let waited = at.millis_since(i.joined_queue_at());
        let due: Vec<(usize, ExceptionAction)> = self.queues[&from]
            .exception_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| duration_millis(r.after) == waited)
            .map(|(k, r)| (k, r.action))
            .collect();
        for (k, action) in due {
            let rule = u16::try_from(k).expect("rules are at most Limits::MAX_STEPS");
            match action {
                ExceptionAction::Alert => {
                    self.emit(
                        at,
                        EventKind::ExceptionRaised { interaction: iid, queue: from, rule, action, applied: true },
                    );
                }
                ExceptionAction::Move { queue: to, keep_place } => {
                    let i = &self.interactions[&iid];
                    let target = &self.queues[&to];
                    let sets = self
                        .check_entry(target, &i.own_requirements, &target.steps, &i.attributes, Some(iid))
                        .and_then(|sets| self.check_room_in_queue(target).map(|()| sets));
                    let Ok(sets) = sets else {
                        let applied = false;
                        self.emit(
                            at,
                            EventKind::ExceptionRaised { interaction: iid, queue: from, rule, action, applied },
                        );
                        continue;
                    };
                    let state = i.state;
                    self.emit(
                        at,
                        EventKind::ExceptionRaised { interaction: iid, queue: from, rule, action, applied: true },
                    );
                    match state {
                        InteractionState::Offered { offer, agent } => {
                            self.drop_offer(offer, at);
                            let reason = WithdrawReason::Transferred;
                            self.emit(at, EventKind::OfferWithdrawn { offer, interaction: iid, agent, reason });
                            self.refresh_agent(agent, at);
                        }
                        _ => self.leave_queue(iid),
                    }
                    if !keep_place {
                        self.interactions.get_mut(&iid).expect("looked up above").queue_entered_at = at;
                    }
                    self.move_to_queue(iid, from, to, sets, at);
                    return;
                }
            }
        }
        self.arm_exception_rule(iid, at);
    }
}
