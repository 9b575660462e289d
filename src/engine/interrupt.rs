//! Interruptible work: connected work on a channel the agent's profile makes
//! interruptible pauses while the agent holds real-time work (the rule is
//! written out in [`CapacityProfile`](crate::CapacityProfile#interruptible-work)).
//!
//! Whether an interaction is interrupted is a function of the state: it is
//! connected on one of its agent's interruptible channels while the agent
//! holds a real-time interaction (connected or in wrap-up). The engine keeps
//! it on the interaction anyway ([`Interaction::interrupted_by`]), because the
//! events must say when it changes and by what, and the invariants hold the
//! two to each other. Every command that can change it (an accept, a
//! completion, a transfer, the end of a wrap-up) ends by calling
//! [`Engine::sync_interruptions`] for the agent concerned.

use super::Engine;
use crate::event::EventKind;
use crate::ids::{AgentId, InteractionId};
use crate::model::agent::Agent;
use crate::model::channel::ChannelMode;
use crate::model::interaction::{Interaction, InteractionState};
use crate::time::Timestamp;

impl Engine {
    /// The agent's first real-time interaction (by id) connected or in
    /// wrap-up, if they hold one.
    pub(super) fn realtime_held(&self, agent: &Agent) -> Option<InteractionId> {
        agent
            .held()
            .connected
            .iter()
            .chain(&agent.held().wrap_ups)
            .filter(|iid| {
                self.interactions
                    .get(iid)
                    .is_some_and(|i| self.config.channel_mode(i.channel) == Some(ChannelMode::RealTime))
            })
            .min()
            .copied()
    }

    /// Whether `i` should be interrupted now, by the rule: connected on one
    /// of its agent's interruptible channels while the agent holds real-time work.
    pub(super) fn should_be_interrupted(&self, i: &Interaction) -> bool {
        let InteractionState::Connected { agent } = i.state() else { return false };
        let Some(a) = self.agents.get(&agent) else { return false };
        a.config.capacity.is_interruptible(i.channel) && self.realtime_held(a).is_some()
    }

    /// Brings the interruptions of `aid`'s connected work in line with the
    /// rule, emitting [`EventKind::WorkInterrupted`] and
    /// [`EventKind::WorkResumed`] in interaction id order. `cause` is the
    /// real-time interaction just accepted, if that is why this runs; other
    /// work interrupted now (accepted beside real-time work) names the
    /// agent's first real-time interaction. Costs nothing for an agent with no
    /// interruptible channel.
    pub(super) fn sync_interruptions(&mut self, aid: AgentId, cause: Option<InteractionId>, now: Timestamp) {
        let Some(agent) = self.agents.get(&aid) else { return };
        if agent.config.capacity.interruptibles().next().is_none() {
            return;
        }
        let realtime = self.realtime_held(agent);
        let by = cause.or(realtime);
        let mut changes = Vec::new();
        for iid in &agent.held().connected {
            let Some(i) = self.interactions.get(iid) else { continue };
            if !agent.config.capacity.is_interruptible(i.channel) {
                continue;
            }
            match (realtime.is_some(), i.interrupted_by().is_some()) {
                (true, false) => changes.push((*iid, by)),
                (false, true) => changes.push((*iid, None)),
                _ => {}
            }
        }
        for (iid, by) in changes {
            let i = self.interactions.get_mut(&iid).expect("connected interactions are live");
            i.edit_rare(|rare| rare.interrupted_by = by);
            match by {
                Some(by) => self.emit(now, EventKind::WorkInterrupted { interaction: iid, agent: aid, by }),
                None => self.emit(now, EventKind::WorkResumed { interaction: iid, agent: aid }),
            }
        }
    }
}
