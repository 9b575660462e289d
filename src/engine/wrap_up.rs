//! Wrap-up: starting it in the mode its queue (or its agent) sets, ending
//! it early when the mode allows, extending it once, and the default code
//! recorded when a time-boxed or forced wrap-up ends without one.

use super::{Engine, TimerKind};
use crate::error::CommandError;
use crate::event::EventKind;
use crate::ids::{AgentId, InteractionId, QueueId};
use crate::model::interaction::InteractionState;
use crate::model::wrap_up::{WrapUpMode, WrapUpRule, WrapUpState};
use crate::time::Timestamp;

impl Engine {
    /// The wrap-up `agent` does after an interaction of `queue`: their own
    /// rule if they have one, else the queue's mode and limit.
    pub(super) fn wrap_up_rule(&self, agent: AgentId, queue: QueueId) -> WrapUpRule {
        let own = self.agents.get(&agent).and_then(|a| a.config.wrap_up);
        own.unwrap_or_else(|| {
            let q = &self.queues[&queue];
            WrapUpRule::new(q.wrap_up_mode, q.wrap_up)
        })
    }

    /// Puts a completed interaction in wrap-up under `rule` (which wraps up).
    pub(super) fn start_wrap_up(&mut self, agent: AgentId, iid: InteractionId, rule: WrapUpRule, now: Timestamp) {
        let a = self.agents.get_mut(&agent).expect("start_wrap_up: the agent exists");
        let held = a.held_mut();
        held.connected.remove(&iid);
        held.wrap_ups.insert(iid);
        let i = self.interactions.get_mut(&iid).expect("start_wrap_up: the interaction is live");
        i.set_state(InteractionState::WrapUp { agent });
        let state = WrapUpState { mode: rule.mode, extended: false };
        i.edit_rare(|rare| rare.wrap_up = (state != WrapUpState::default()).then_some(state));
        let until = (rule.mode != WrapUpMode::Untimed).then(|| now + rule.limit);
        if let Some(until) = until {
            self.timers.set(TimerKind::WrapUpEnd(iid), until);
        }
        self.emit(now, EventKind::WrapUpStarted { interaction: iid, agent, until });
    }

    /// Whether the agent may end this wrap-up now, by its mode.
    pub(super) fn check_early_end(&self, iid: InteractionId, now: Timestamp) -> Result<(), CommandError> {
        let i = &self.interactions[&iid];
        match i.wrap_up_state().mode {
            WrapUpMode::Forced => Err(CommandError::WrapUpForced {
                interaction: iid,
                until: self.timers.due(TimerKind::WrapUpEnd(iid)).unwrap_or(now),
            }),
            mode if mode.code_before_early_end() && !i.coded() => Err(CommandError::DispositionRequired(iid)),
            _ => Ok(()),
        }
    }

    /// [`Command::ExtendWrapUp`](crate::Command::ExtendWrapUp).
    pub(super) fn extend_wrap_up(
        &mut self,
        agent: AgentId,
        iid: InteractionId,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let i = self.held_by(agent, iid, true)?;
        let refuse = |why| Err(CommandError::WrapUpNotExtendable { interaction: iid, why });
        let mut state = i.wrap_up_state();
        let due = self.timers.due(TimerKind::WrapUpEnd(iid));
        let (Some(due), Some(extension)) = (due, self.queues[&i.queue].wrap_up_extension) else {
            return if due.is_none() { refuse("it is untimed") } else { refuse("its queue allows no extension") };
        };
        if state.extended {
            return refuse("it was extended once already");
        }
        let until = due + extension;
        self.timers.set(TimerKind::WrapUpEnd(iid), until);
        state.extended = true;
        self.interactions.get_mut(&iid).expect("checked above").edit_rare(|rare| rare.wrap_up = Some(state));
        self.emit(now, EventKind::WrapUpExtended { interaction: iid, agent, until });
        Ok(())
    }

    /// Records the queue's default code for a wrap-up ending without one by
    /// its limit or a logout, when its mode calls for one.
    pub(super) fn default_disposition(&mut self, iid: InteractionId, agent: AgentId, now: Timestamp) {
        let i = &self.interactions[&iid];
        if i.coded() || !i.wrap_up_state().mode.default_code_at_end() {
            return;
        }
        let Some(code) = self.queues[&i.queue].default_disposition.clone() else { return };
        self.interactions.get_mut(&iid).expect("looked up above").edit_rare(|rare| rare.coded = true);
        self.emit(now, EventKind::Disposition { interaction: iid, agent, code, notes: None });
    }
}
