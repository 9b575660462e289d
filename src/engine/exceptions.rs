//! Exception rules: alerts and moves after a time unanswered in a queue.
//!
//! Which rule is next is a function of how long the interaction has been in
//! its current queue, like routing steps; one [`TimerKind::ExceptionRule`]
//! timer waits for it while the interaction is unanswered (waiting or
//! ringing). A move's target must exist when the queue is added, so moves
//! form no loop and an interaction moves at most once per queue.

use std::collections::BTreeMap;
use std::time::Duration;

use super::lifecycle::{check_span_field, limit};
use super::{Engine, TimerKind, Work};
use crate::error::{CommandError, Limit};
use crate::event::{EventKind, WithdrawReason};
use crate::ids::{InteractionId, QueueId};
use crate::model::interaction::{Interaction, InteractionState, Outcome};
use crate::model::queue::QueueConfig;
use crate::model::skill::Requirements;
use crate::model::step::{AdmissionTrigger, ExceptionAction, Staffed};
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
        if queue.exception_rules.len() > max as usize || queue.admission_rules.len() > max as usize {
            return Err(limit(Limit::Steps, max));
        }
        for (k, rule) in queue.exception_rules.iter().enumerate() {
            check_span_field("exception rule after", rule.after, false)?;
            self.check_rule_action(queue, k, &rule.action)?;
        }
        if let Some(rule) = &queue.when_empty {
            self.check_rule_action(queue, 0, &rule.action)?;
        }
        for (k, rule) in queue.admission_rules.iter().enumerate() {
            if let AdmissionTrigger::EstimatedWait(span) = rule.when {
                check_span_field("admission rule estimated wait", span, true)?;
            }
            self.check_rule_action(queue, k, &rule.action)?;
        }
        Ok(())
    }

    /// What is wrong with `target` as the queue `queue`'s work moves to, if
    /// anything: it must be another queue that exists already (so moves form
    /// no loop) and takes all `queue`'s channels.
    pub(super) fn move_target_problem(&self, queue: &QueueConfig, target: QueueId) -> Option<&'static str> {
        if target == queue.id {
            return Some("itself");
        }
        let Some(t) = self.queues.get(&target) else {
            return Some("which does not exist yet: add it first");
        };
        queue.channels.iter().any(|c| !t.channels.contains(c)).then_some("which does not take all its channels")
    }

    /// A rule's action is one the engine can make: a move to another
    /// existing queue that takes all this queue's channels; a requirement
    /// change naming known skills, within the limit on top of the queue's.
    fn check_rule_action(&self, queue: &QueueConfig, k: usize, action: &ExceptionAction) -> Result<(), CommandError> {
        match action {
            ExceptionAction::Move { queue: target, .. } => {
                if let Some(problem) = self.move_target_problem(queue, *target) {
                    return Err(CommandError::BadMoveTarget { queue: queue.id, rule: k, target: *target, problem });
                }
            }
            ExceptionAction::ChangeRequirements { add, drop } => {
                self.check_skills_known(add.iter().map(|r| &r.skill).chain(drop.iter()))?;
                let max = self.config.limits().max_requirements;
                if queue.requirements.union(add).len() > max as usize || drop.len() > max as usize {
                    return Err(limit(Limit::RequirementsPerInteraction, max));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A queue whose moves lead round a loop back to it, if any (restore
    /// checks this: the commands cannot make one).
    pub(super) fn move_loop(&self) -> Option<QueueId> {
        move_loop_in(self.queues.values())
    }
}

/// A queue of `queues` whose moves (exception and admission rules, the
/// closed rule, the all-declined overflow) lead round a loop back to it.
pub(super) fn move_loop_in<'a>(queues: impl Iterator<Item = &'a QueueConfig>) -> Option<QueueId> {
    let targets: BTreeMap<QueueId, Vec<QueueId>> = queues
        .map(|q| {
            let actions = q
                .exception_rules
                .iter()
                .map(|r| &r.action)
                .chain(q.admission_rules.iter().map(|r| &r.action))
                .chain(q.when_empty.iter().map(|r| &r.action));
            let to = actions.filter_map(|a| match a {
                ExceptionAction::Move { queue, .. } => Some(*queue),
                _ => None,
            });
            // Moves of closed queues' work count too: every move's target exists first.
            let closed = match q.when_closed {
                crate::model::queue::WhenClosed::Move(queue) => Some(queue),
                _ => None,
            };
            let declined = match q.all_declined {
                crate::model::queue::AllDeclined::Overflow(queue) => Some(queue),
                _ => None,
            };
            (q.id, to.chain(closed).chain(declined).collect())
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

impl Engine {
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

    /// The rules due now, in order: alerts are raised, priority and
    /// requirement changes made, and the first move or end that can be made
    /// is made (which ends this queue's rules); then the next rule's timer.
    pub(super) fn exception_rule_due(&mut self, iid: InteractionId, at: Timestamp) {
        let Some(i) = self.interactions.get(&iid) else { return };
        if !matches!(i.state(), InteractionState::Queued | InteractionState::Offered { .. }) {
            return;
        }
        let from = i.queue;
        let waited = at.millis_since(i.joined_queue_at());
        let due: Vec<(usize, ExceptionAction)> = self.queues[&from]
            .exception_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| duration_millis(r.after) == waited)
            .map(|(k, r)| (k, r.action.clone()))
            .collect();
        let i = &self.interactions[&iid];
        let q = &self.queues[&from];
        let deadlines = [
            Some(i.queue_entered_at + q.service_level.answer_within()),
            q.max_wait.map(|bound| i.queue_entered_at + bound),
            q.time_to_live.map(|ttl| i.joined_queue_at() + ttl),
        ];
        let left = deadlines.into_iter().flatten().min().map_or(Duration::ZERO, |d| d.saturating_duration_since(at));
        for (k, action) in due {
            let rule = u16::try_from(k).expect("rules are at most Limits::MAX_STEPS");
            let done = self.apply_rule(iid, from, &action, at, |applied| EventKind::ExceptionRaised {
                interaction: iid,
                queue: from,
                rule,
                action: action.clone(),
                applied,
                left,
            });
            if done == RuleResult::Finished {
                return;
            }
        }
        self.arm_exception_rule(iid, at);
    }

    /// Applies a rule's action to interaction `iid` (waiting or ringing in
    /// queue `from`), emitting `event(applied)` first: the event says
    /// whether the action could be made. An alert always can; a move, a
    /// requirement change or an end the limits or the target refuse cannot,
    /// and nothing changes.
    pub(super) fn apply_rule(
        &mut self,
        iid: InteractionId,
        from: QueueId,
        action: &ExceptionAction,
        at: Timestamp,
        event: impl Fn(bool) -> EventKind,
    ) -> RuleResult {
        let i = &self.interactions[&iid];
        match action {
            ExceptionAction::Alert => {
                self.emit(at, event(true));
                RuleResult::Applied
            }
            ExceptionAction::Move { queue: to, keep_place } => {
                let target = &self.queues[to];
                let sets = self
                    .check_entry(target, &i.own_requirements, &target.steps, &i.attributes, Some(iid))
                    .and_then(|sets| self.check_room_in_queue(target).map(|()| sets));
                let Ok(sets) = sets else {
                    self.emit(at, event(false));
                    return RuleResult::NotApplied;
                };
                self.emit(at, event(true));
                self.withdraw_or_unqueue(iid, WithdrawReason::Transferred, at);
                if !keep_place {
                    self.interactions.get_mut(&iid).expect("looked up above").queue_entered_at = at;
                }
                self.move_to_queue(iid, from, *to, sets, at);
                RuleResult::Finished
            }
            ExceptionAction::SetPriority(priority) => {
                // Already so: nothing to refile (a leave-when-empty rule applies each time
                // the interaction is routed, and must not route it again for nothing).
                let unchanged = i.priority == *priority;
                self.emit(at, event(true));
                if unchanged {
                    return RuleResult::Applied;
                }
                let queued = self.unlist_if_queued(iid);
                self.interactions.get_mut(&iid).expect("looked up above").priority = *priority;
                if queued {
                    self.relist(iid);
                }
                RuleResult::Applied
            }
            ExceptionAction::ChangeRequirements { add, drop } => {
                let mut own = Requirements::none();
                for r in i.own_requirements.iter().filter(|r| !drop.contains(&r.skill)) {
                    own.insert(*r);
                }
                let own = own.union(add);
                let queue = &self.queues[&from];
                let max = self.config.limits().max_requirements as usize;
                let base_ok = queue.requirements.union(&own).len() <= max;
                let sets = self.check_entry(queue, &own, i.steps(queue), &i.attributes, Some(iid));
                let (true, Ok(sets)) = (base_ok, sets) else {
                    self.emit(at, event(false));
                    return RuleResult::NotApplied;
                };
                let unchanged = own == i.own_requirements;
                self.emit(at, event(true));
                if unchanged {
                    return RuleResult::Applied;
                }
                let queued = self.unlist_if_queued(iid);
                self.interactions.get_mut(&iid).expect("looked up above").own_requirements = own;
                let i = &self.interactions[&iid];
                let eligibility = self.eligibility_in_step(i, &self.queues[&from], usize::from(i.step));
                let sig = self.hold(iid, &eligibility);
                self.router.reserve(iid, if sets.len() > 1 { &sets } else { &[] });
                self.interactions.get_mut(&iid).expect("looked up above").requirements =
                    self.router.requirements(sig).clone();
                if queued {
                    // Into the list of its new requirement set, keeping its place in line.
                    self.relist(iid);
                }
                RuleResult::Applied
            }
            ExceptionAction::End(diversion) => {
                self.emit(at, event(true));
                self.withdraw_or_unqueue(iid, WithdrawReason::Diverted, at);
                self.end_interaction(iid, Outcome::Diverted(*diversion), at);
                RuleResult::Finished
            }
        }
    }

    /// Takes a queued interaction out of its list for a change of its key or
    /// requirements (its timers stay); says whether it was queued.
    fn unlist_if_queued(&mut self, iid: InteractionId) -> bool {
        let queued = self.interactions[&iid].is_queued();
        if queued {
            self.unlist(iid);
        }
        queued
    }

    /// Puts an interaction taken out by [`Engine::unlist_if_queued`] back
    /// in the list of what it now holds, and routes it again.
    fn relist(&mut self, iid: InteractionId) {
        // Its signature is its entry's tag (see `held_sig`).
        let (at, i, sig) = self.interactions.get_placed(&iid).expect("a relisted interaction is live");
        self.router.enqueue(i, at, sig, &self.queues[&i.queue], &self.agents);
        self.work.push_back(Work::Interaction(iid));
    }

    /// Takes a waiting interaction out of its list, or withdraws its ringing offer (for `reason`).
    fn withdraw_or_unqueue(&mut self, iid: InteractionId, reason: WithdrawReason, at: Timestamp) {
        match self.interactions[&iid].state() {
            InteractionState::Offered { .. } => {
                for agent in self.withdraw_ringing(iid, reason, at) {
                    self.refresh_agent(agent, at);
                }
            }
            _ => self.leave_queue(iid),
        }
    }
}

impl Engine {
    /// The admission rules of `queue` that hold for interaction `iid` as it
    /// arrives (before it is queued), in order.
    pub(super) fn admission_due(&self, iid: InteractionId, queue: &QueueConfig) -> Vec<(usize, ExceptionAction)> {
        // Most queues have no admission rules: no lookup for them on every arrival.
        if queue.admission_rules.is_empty() {
            return Vec::new();
        }
        let i = &self.interactions[&iid];
        queue
            .admission_rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| match rule.when {
                AdmissionTrigger::QueueLength(n) => self.waiting_count(queue.id) >= n as usize,
                AdmissionTrigger::EstimatedWait(at_least) => {
                    self.estimated_wait_ms(queue.id) >= duration_millis(at_least)
                }
                AdmissionTrigger::NoAgents(staffed) => !self.someone_could_take(i, staffed),
            })
            .map(|(k, rule)| (k, rule.action.clone()))
            .collect()
    }

    /// Applies the admission rules found due for a new arrival, now queued.
    pub(super) fn admit(&mut self, iid: InteractionId, due: Vec<(usize, ExceptionAction)>, at: Timestamp) {
        if due.is_empty() {
            return;
        }
        let from = self.interactions[&iid].queue;
        for (k, action) in due {
            let rule = u16::try_from(k).expect("rules are at most Limits::MAX_STEPS");
            let event = |applied| EventKind::AdmissionRuleApplied {
                interaction: iid,
                queue: from,
                rule,
                action: action.clone(),
                applied,
            };
            if self.apply_rule(iid, from, &action, at, event) == RuleResult::Finished {
                return;
            }
        }
    }

    /// A waiting interaction found no agent: if its queue has a
    /// [`WhenEmpty`](crate::WhenEmpty) rule and no member in the rule's
    /// state (O(members)), the rule's action applies.
    pub(super) fn when_empty(&mut self, iid: InteractionId, at: Timestamp) {
        let queue = self.interactions[&iid].queue;
        let Some(rule) = self.queues[&queue].when_empty.clone() else { return };
        let staffed = self.router.members(queue, &self.agents).any(|a| is_staffed(a, rule.nobody));
        if staffed {
            return;
        }
        let action = rule.action;
        self.apply_rule(iid, queue, &action, at, |applied| EventKind::WhenEmptyApplied {
            interaction: iid,
            queue,
            action: action.clone(),
            applied,
        });
    }

    /// The queue's estimated wait (ms): Asterisk's `holdtime`, a running
    /// average of its answered interactions' waits; zero before any.
    pub(super) fn estimated_wait_ms(&self, queue: QueueId) -> i64 {
        self.hold_times.get(&queue).copied().unwrap_or(0)
    }

    /// Counts an answered interaction's wait (from its place in line) into its queue's estimate.
    pub(super) fn note_hold_time(&mut self, queue: QueueId, waited_ms: i64) {
        let waited = waited_ms.clamp(0, duration_millis(Timestamp::MAX_SPAN));
        let estimate = match self.hold_times.get(&queue) {
            Some(old) => (old.saturating_mul(3).saturating_add(waited)) / 4,
            None => waited,
        };
        self.hold_times.insert(queue, estimate);
    }

    /// Whether a member of `i`'s queue who works its channel and meets its
    /// requirements and rules is `staffed` (O(members of the queue)).
    fn someone_could_take(&self, i: &Interaction, staffed: Staffed) -> bool {
        self.router.members(i.queue, &self.agents).any(|a| {
            a.config.capacity.channel(i.channel).is_some()
                && self.router.admits(a, i, self.held_sig(i.id))
                && is_staffed(a, staffed)
        })
    }
}

/// What applying a rule's action did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RuleResult {
    /// It could not be made; nothing changed.
    NotApplied,
    /// It was made; later rules still apply.
    Applied,
    /// It moved or ended the interaction: no later rule of this queue applies.
    Finished,
}

/// Whether a member counts as `staffed` (at all, logged in, unpaused).
fn is_staffed(agent: &crate::model::agent::Agent, staffed: Staffed) -> bool {
    match staffed {
        Staffed::Qualified => true,
        Staffed::LoggedIn => agent.logged_in,
        Staffed::Unpaused => agent.is_routable(),
    }
}
