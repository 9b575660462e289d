//! Commands and timers: each validates first, then changes state.

use std::collections::BTreeSet;

use super::{Engine, TimerKind, Work};
use crate::command::{Command, NewInteraction};
use crate::error::{CommandError, Limit};
use crate::event::{EventKind, QueueReason, WithdrawReason};
use crate::ids::{AgentId, InteractionId, OfferId, QueueId, ReasonCode, SkillId};
use crate::model::agent::{Agent, AgentConfig, QueueMembership};
use crate::model::channel::Channel;
use crate::model::expression::Eligibility;
use crate::model::interaction::{Interaction, InteractionState, Outcome};
use crate::model::queue::QueueConfig;
use crate::model::skill::{Requirements, SkillSet};
use crate::time::{Timestamp, check_span, duration_millis};

pub(super) fn limit(what: Limit, limit: u32) -> CommandError {
    CommandError::LimitReached { what, limit: u64::from(limit) }
}

/// Refuses a configured span that would round to zero or run past the end of time.
pub(super) fn check_span_field(
    field: &'static str,
    span: std::time::Duration,
    zero_allowed: bool,
) -> Result<(), CommandError> {
    check_span(span, zero_allowed).map_err(|error| CommandError::InvalidSpan { field, span, error })
}

impl Engine {
    pub(super) fn apply(&mut self, command: Command, now: Timestamp) -> Result<(), CommandError> {
        match command {
            Command::AddSkill { skill, name } => self.add_skill(skill, name),
            Command::AddAgentAttribute { name, kind } => self.add_agent_attribute(name, kind),
            Command::AddCalendar { calendar, hours } => self.add_calendar(calendar, hours, now),
            Command::SetCalendar { calendar, hours } => self.set_calendar(calendar, hours, now),
            Command::AddQueue(queue) => self.add_queue(queue, now),
            Command::UpdateQueue { queue, steps } => self.update_queue(queue, steps, now),
            Command::AddAgent(agent) => self.add_agent(agent, now),
            Command::SetAgentSkills { agent, skills } => self.set_agent_skills(agent, skills, now),
            Command::SetAgentAttributes { agent, attributes } => self.set_agent_attributes(agent, attributes, now),
            Command::SetAgentQueues { agent, queues } => self.set_agent_queues(agent, queues, now),
            Command::RemoveAgent { agent } => self.remove_agent(agent, now),
            Command::Login { agent } => self.login(agent, now),
            Command::Logout { agent } => self.logout(agent, now),
            Command::Pause { agent, reason } => self.pause(agent, reason, now),
            Command::Resume { agent } => self.resume(agent, now),
            Command::Arrive(new) => self.arrive(new, None, now),
            Command::ScheduleCallback { callback, due } => self.arrive(callback, Some(due), now),
            Command::Accept { agent, offer } => self.accept(agent, offer, now),
            Command::Reject { agent, offer } => self.reject(agent, offer, now),
            Command::Complete { agent, interaction } => self.complete(agent, interaction, now),
            Command::EndWrapUp { agent, interaction } => self.end_wrap_up(agent, interaction, now),
            Command::Disposition { agent, interaction, code, notes } => {
                self.disposition(agent, interaction, code, notes, now)
            }
            Command::Abandon { interaction } => self.leave(interaction, true, now),
            Command::Cancel { interaction } => self.leave(interaction, false, now),
            Command::Transfer { interaction, queue } => self.transfer(interaction, queue, now),
            Command::SetCaseOwner { case, agent } => self.set_case_owner(case, agent, now),
            Command::ExtendWrapUp { agent, interaction } => self.extend_wrap_up(agent, interaction, now),
            Command::SelfServed(contact) => self.self_served(contact, now),
            Command::ConvertToCallback { interaction } => self.convert_to_callback(interaction, now),
            Command::CallbackFailed { agent, interaction, reason } => {
                self.callback_failed(agent, interaction, reason, now)
            }
        }
    }

    pub(super) fn fire(&mut self, timer: TimerKind, at: Timestamp) {
        match timer {
            TimerKind::OfferTimeout(offer) => self.offer_timed_out(offer, at),
            TimerKind::WrapUpEnd(iid) => {
                if let Some(InteractionState::WrapUp { agent }) = self.interactions.get(&iid).map(|i| i.state()) {
                    self.default_disposition(iid, agent, at);
                    self.finish_wrap_up(iid, agent, at);
                }
            }
            TimerKind::QueueDelay(iid) => self.work.push_back(Work::Interaction(iid)),
            TimerKind::MaxWait(iid) => self.become_overdue(iid, at),
            TimerKind::StepExpiry(iid) => self.step_expired(iid, at),
            TimerKind::TimeToLive(iid) => self.expire(iid, at),
            TimerKind::ExceptionRule(iid) => self.exception_rule_due(iid, at),
            TimerKind::ForgetDeclines(iid) => self.forget_declines(iid),
            TimerKind::BusinessHours(_) => self.business_hours_changed(at),
            TimerKind::CallbackDue(iid) => self.callback_due(iid, at),
        }
    }

    // ----- validation helpers (read-only) -----

    pub(super) fn check_skills_known<'a>(
        &self,
        skills: impl IntoIterator<Item = &'a SkillId>,
    ) -> Result<(), CommandError> {
        match skills.into_iter().find(|s| !self.skills.contains_key(s)) {
            Some(s) => Err(CommandError::UnknownSkill(*s)),
            None => Ok(()),
        }
    }

    fn check_channel_known(&self, channel: Channel) -> Result<(), CommandError> {
        match self.config.channel_mode(channel) {
            Some(_) => Ok(()),
            None => Err(CommandError::UnknownChannel(channel)),
        }
    }

    fn check_memberships(&self, agent: AgentId, queues: &[QueueMembership]) -> Result<(), CommandError> {
        if queues.len() > self.config.limits().max_queues_per_agent as usize {
            return Err(limit(Limit::QueuesPerAgent, self.config.limits().max_queues_per_agent));
        }
        let mut seen = BTreeSet::new();
        for m in queues {
            if !self.queues.contains_key(&m.queue) {
                return Err(CommandError::UnknownQueue(m.queue));
            }
            if !seen.insert(m.queue) {
                return Err(CommandError::DuplicateMembership { agent, queue: m.queue });
            }
            check_span_field("membership delay", m.delay, true)?;
            if !(1..=QueueMembership::MAX_WEIGHT).contains(&m.weight) {
                return Err(CommandError::BadWeight { agent, queue: m.queue, weight: m.weight });
            }
        }
        Ok(())
    }

    /// Room for one more live interaction with these attributes. Restore checks the same.
    pub(super) fn check_interaction_limits(
        &self,
        attributes: &crate::model::attributes::Attributes,
    ) -> Result<(), CommandError> {
        let limits = self.config.limits();
        if self.interactions.len() >= limits.max_interactions as usize {
            return Err(limit(Limit::Interactions, limits.max_interactions));
        }
        if attributes.byte_len() > limits.max_attribute_bytes as usize {
            return Err(limit(Limit::AttributeBytes, limits.max_attribute_bytes));
        }
        Ok(())
    }

    /// An interaction of `channel` needing `own` fits `queue`: a known channel the queue takes,
    /// known skills, and within the requirement limit once the queue's are added. Returns the
    /// requirements it carries (the queue's and its own). Restore checks the same.
    pub(super) fn check_fits_queue(
        &self,
        queue: &QueueConfig,
        channel: Channel,
        own: &Requirements,
    ) -> Result<Requirements, CommandError> {
        self.check_channel_known(channel)?;
        if !queue.channels.contains(&channel) {
            return Err(CommandError::ChannelNotInQueue { queue: queue.id, channel });
        }
        self.check_skills_known(own.iter().map(|r| &r.skill))?;
        let requirements = queue.requirements.union(own);
        let max = self.config.limits().max_requirements;
        if requirements.len() > max as usize {
            return Err(limit(Limit::RequirementsPerInteraction, max));
        }
        Ok(requirements)
    }

    pub(super) fn check_room_in_queue(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        let max = queue.max_waiting.unwrap_or(self.config.limits().max_waiting_per_queue);
        if self.waiting_count(queue.id) >= max as usize {
            return Err(CommandError::QueueFull { queue: queue.id, limit: max });
        }
        Ok(())
    }

    pub(super) fn agent_ref(&self, id: AgentId) -> Result<&Agent, CommandError> {
        self.agents.get(&id).ok_or(CommandError::UnknownAgent(id))
    }

    pub(super) fn interaction_ref(&self, id: InteractionId) -> Result<&Interaction, CommandError> {
        self.interactions.get(&id).ok_or(CommandError::UnknownInteraction(id))
    }

    /// The interaction `iid`, checked to be held by `agent`: connected to
    /// them, or (with `in_wrap_up`) in their wrap-up. The errors say which
    /// check failed: the agent or interaction is unknown, another agent holds
    /// it, or it is in another state.
    pub(super) fn held_by(
        &self,
        agent: AgentId,
        iid: InteractionId,
        in_wrap_up: bool,
    ) -> Result<&Interaction, CommandError> {
        self.agent_ref(agent)?;
        let i = self.interaction_ref(iid)?;
        let holder = match (i.state(), in_wrap_up) {
            (InteractionState::Connected { agent }, false) | (InteractionState::WrapUp { agent }, true) => agent,
            (state, _) => return Err(CommandError::WrongInteractionState { interaction: iid, state }),
        };
        if holder != agent {
            return Err(CommandError::NotAgentsInteraction { interaction: iid, agent });
        }
        Ok(i)
    }

    fn pending_offer_for(&self, agent: AgentId, offer: OfferId) -> Result<(), CommandError> {
        self.agent_ref(agent)?;
        let pending = self.offers.get(&offer).ok_or(CommandError::OfferNotPending(offer))?;
        if pending.agent != agent {
            return Err(CommandError::OfferNotForAgent { offer, agent, owner: pending.agent });
        }
        Ok(())
    }

    // ----- topology -----

    pub(super) fn check_name(&self, name: &str) -> Result<(), CommandError> {
        let max = self.config.limits().max_name_bytes;
        if name.len() > max as usize {
            return Err(limit(Limit::NameBytes, max));
        }
        Ok(())
    }

    pub(super) fn check_new_skill(&self, skill: SkillId, name: &str) -> Result<(), CommandError> {
        if self.skills.contains_key(&skill) {
            return Err(CommandError::DuplicateSkill(skill));
        }
        if self.skills.len() >= self.config.limits().max_skills as usize {
            return Err(limit(Limit::Skills, self.config.limits().max_skills));
        }
        self.check_name(name)
    }

    fn add_skill(&mut self, skill: SkillId, name: String) -> Result<(), CommandError> {
        self.check_new_skill(skill, &name)?;
        self.skills.insert(skill, name);
        Ok(())
    }

    /// Everything [`Command::AddQueue`] checks; restore checks the same.
    pub(super) fn check_new_queue(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        if self.queues.contains_key(&queue.id) {
            return Err(CommandError::DuplicateQueue(queue.id));
        }
        let limits = self.config.limits();
        if self.queues.len() >= limits.max_queues as usize {
            return Err(limit(Limit::Queues, limits.max_queues));
        }
        self.check_queue_config(queue)
    }

    /// Everything a queue's configuration must be, whether it is added or
    /// updated: its name, channels, spans, requirements, steps and rules.
    pub(super) fn check_queue_config(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        let limits = self.config.limits();
        self.check_name(&queue.name)?;
        if queue.channels.is_empty() {
            return Err(CommandError::QueueWithoutChannels(queue.id));
        }
        let mut seen = BTreeSet::new();
        for channel in &queue.channels {
            self.check_channel_known(*channel)?;
            if !seen.insert(*channel) {
                return Err(CommandError::DuplicateChannel { queue: queue.id, channel: *channel });
            }
        }
        if let Some(timeout) = queue.offer_timeout {
            check_span_field("queue offer_timeout", timeout, false)?;
        }
        check_span_field("queue wrap_up", queue.wrap_up, true)?;
        if let Some(max_wait) = queue.max_wait {
            check_span_field("queue max_wait", max_wait, true)?;
        }
        if let Some(ttl) = queue.time_to_live {
            check_span_field("queue time_to_live", ttl, false)?;
        }
        if let Some(wait) = queue.case_owner_wait {
            check_span_field("queue case_owner_wait", wait, false)?;
        }
        check_span_field("queue callback_retry_after", queue.callback_retry_after, false)?;
        if queue.callback_attempts == 0 {
            return Err(CommandError::NoCallbackAttempts(queue.id));
        }
        if !(1..=QueueConfig::MAX_PARALLEL_OFFERS).contains(&queue.parallel_offers) {
            return Err(CommandError::BadParallelOffers {
                queue: queue.id,
                parallel_offers: queue.parallel_offers,
                max: QueueConfig::MAX_PARALLEL_OFFERS,
            });
        }
        if let Some(extension) = queue.wrap_up_extension {
            check_span_field("queue wrap_up_extension", extension, false)?;
        }
        if let Some(code) = &queue.default_disposition {
            if code.len() > limits.max_attribute_bytes as usize {
                return Err(limit(Limit::AttributeBytes, limits.max_attribute_bytes));
            }
        }
        check_span_field("queue service level answer_within", queue.service_level.answer_within(), true)?;
        self.check_skills_known(queue.requirements.iter().map(|r| &r.skill))?;
        if queue.requirements.len() > limits.max_requirements as usize {
            return Err(limit(Limit::RequirementsPerInteraction, limits.max_requirements));
        }
        self.check_steps(&queue.requirements, &queue.steps)?;
        self.check_queue_expressions(queue)?;
        if queue.aging.points_per_minute > limits.max_aging_points_per_minute {
            return Err(CommandError::AgingTooFast {
                queue: queue.id,
                points_per_minute: queue.aging.points_per_minute,
                max: limits.max_aging_points_per_minute,
            });
        }
        Ok(())
    }

    fn add_queue(&mut self, queue: QueueConfig, now: Timestamp) -> Result<(), CommandError> {
        self.check_new_queue(&queue)?;
        self.check_all_declined(&queue)?;
        self.check_exception_rules(&queue)?;
        self.check_business_hours(&queue)?;
        let id = queue.id;
        let closed = self.closed_by_calendar(&queue, now);
        let opens_at = queue.calendar.and_then(|c| self.calendars[&c].next_change(now));
        self.router.add_queue(id);
        self.router.set_closed(id, closed);
        self.queues.insert(id, queue);
        self.emit(now, EventKind::QueueAdded { queue: id });
        if closed {
            self.emit(now, EventKind::QueueClosed { queue: id, opens_at });
        }
        Ok(())
    }

    pub(super) fn check_agent_config(&self, config: &AgentConfig) -> Result<(), CommandError> {
        config.capacity.validate().map_err(|error| CommandError::InvalidCapacity { agent: config.id, error })?;
        for (channel, _) in config.capacity.channels() {
            self.check_channel_known(channel)?;
        }
        for (_, after) in config.capacity.headrooms() {
            check_span_field("capacity headroom", after, true)?;
        }
        if let Some(rule) = config.wrap_up {
            check_span_field("agent wrap_up limit", rule.limit, true)?;
        }
        // The profile checks built-in channels; custom ones have the mode the configuration gives them.
        if let Some(channel) = config
            .capacity
            .interruptibles()
            .find(|c| self.config.channel_mode(*c) == Some(crate::ChannelMode::RealTime))
        {
            let error = crate::CapacityError::InterruptibleRealTime(channel);
            return Err(CommandError::InvalidCapacity { agent: config.id, error });
        }
        self.check_skills_known(config.skills.iter().map(|(s, _)| s).collect::<Vec<_>>().iter())?;
        self.check_agent_attributes(config.id, &config.attributes)?;
        self.check_memberships(config.id, &config.queues)
    }

    fn add_agent(&mut self, mut config: AgentConfig, now: Timestamp) -> Result<(), CommandError> {
        if self.agents.contains_key(&config.id) {
            return Err(CommandError::DuplicateAgent(config.id));
        }
        if self.agents.len() >= self.config.limits().max_agents as usize {
            return Err(limit(Limit::Agents, self.config.limits().max_agents));
        }
        self.check_agent_config(&config)?;
        let id = config.id;
        let memberships = config.queues.clone();
        self.profiles.share(&mut config.capacity);
        self.agents.insert(id, Agent::new(config, now));
        self.join_queues(id, &memberships);
        let (at, a) = self.agents.get_with_slot(&id).expect("the agent exists");
        self.router.requalify(at, a);
        self.emit(now, EventKind::AgentAdded { agent: id });
        Ok(())
    }

    fn join_queues(&mut self, id: AgentId, memberships: &[QueueMembership]) {
        for m in memberships {
            let had_delay =
                self.router.queues.get(&m.queue).is_some_and(|q| q.delays.contains_key(&duration_millis(m.delay)));
            let at = self.agents.slot(&id).expect("the agent exists");
            self.router.add_member(at, m.queue, duration_millis(m.delay));
            if !had_delay {
                self.rewake_queue(m.queue);
            }
        }
    }

    fn set_agent_skills(&mut self, id: AgentId, skills: SkillSet, now: Timestamp) -> Result<(), CommandError> {
        self.agent_ref(id)?;
        self.check_skills_known(skills.iter().map(|(s, _)| s).collect::<Vec<_>>().iter())?;
        self.agents.get_mut(&id).expect("checked above").config.skills = skills;
        let (at, a) = self.agents.get_with_slot(&id).expect("the agent exists");
        self.router.requalify(at, a);
        self.emit(now, EventKind::AgentUpdated { agent: id });
        self.refresh_agent(id, now);
        self.work.push_back(Work::Agent(id));
        Ok(())
    }

    fn set_agent_queues(
        &mut self,
        id: AgentId,
        queues: Vec<QueueMembership>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.agent_ref(id)?;
        self.check_memberships(id, &queues)?;
        let agent = self.agents.get_mut(&id).expect("checked above");
        let old = std::mem::replace(&mut agent.config.queues, queues.clone());
        let at = self.agents.slot(&id).expect("checked above");
        for m in &old {
            self.router.remove_member(at, id, m.queue, duration_millis(m.delay));
        }
        self.join_queues(id, &queues);
        let (at, a) = self.agents.get_with_slot(&id).expect("the agent exists");
        self.router.requalify(at, a);
        self.emit(now, EventKind::AgentUpdated { agent: id });
        self.refresh_agent(id, now);
        self.work.push_back(Work::Agent(id));
        self.recheck_empty(old.iter().map(|m| m.queue).collect());
        Ok(())
    }

    /// After a member left, logged out or paused: the waiting interactions of
    /// those of `queues` with a [`WhenEmpty`](crate::WhenEmpty) rule are routed
    /// again, which applies the rule if the queue is now empty.
    fn recheck_empty(&mut self, queues: Vec<QueueId>) {
        for queue in queues {
            if self.queues.get(&queue).is_some_and(|q| q.when_empty.is_some()) {
                self.rewake_queue(queue);
            }
        }
    }

    fn remove_agent(&mut self, id: AgentId, now: Timestamp) -> Result<(), CommandError> {
        let agent = self.agent_ref(id)?;
        if agent.logged_in || agent.load.items() > 0 || !agent.held().connected.is_empty() {
            return Err(CommandError::AgentBusy(id));
        }
        let at = self.agents.slot(&id).expect("checked above");
        let agent = self.agents.remove(&id).expect("checked above");
        self.profiles.release(&agent.config.capacity);
        self.router.forget_agent(at, &agent);
        self.cases.forget_agent(id);
        self.emit(now, EventKind::AgentRemoved { agent: id });
        self.recheck_empty(agent.config.queues.iter().map(|m| m.queue).collect());
        Ok(())
    }

    // ----- presence -----

    fn login(&mut self, id: AgentId, now: Timestamp) -> Result<(), CommandError> {
        if self.agent_ref(id)?.logged_in {
            return Err(CommandError::AgentAlreadyLoggedIn(id));
        }
        let agent = self.agents.get_mut(&id).expect("checked above");
        agent.logged_in = true;
        agent.paused = None;
        agent.reset_taken();
        agent.missed_in_a_row = 0;
        if agent.load.items() == 0 {
            agent.idle_since = now;
        }
        self.refresh_agent(id, now);
        self.work.push_back(Work::Agent(id));
        Ok(())
    }

    fn logout(&mut self, id: AgentId, now: Timestamp) -> Result<(), CommandError> {
        if !self.agent_ref(id)?.logged_in {
            return Err(CommandError::AgentNotLoggedIn(id));
        }
        let agent = self.agents.get_mut(&id).expect("checked above");
        agent.logged_in = false;
        agent.paused = None;
        // Out of every pool first, so withdrawn work is not offered straight back.
        let (at, a) = self.agents.get_with_slot(&id).expect("the agent exists");
        self.router.place_agent(at, a, &self.queues);
        self.router.blend_blocked.remove(&id);
        self.router.drained.forget(id);
        self.withdraw_offers(id, WithdrawReason::AgentLoggedOut, now);
        let wrap_ups: Vec<InteractionId> = self.agents[&id].held().wrap_ups.iter().copied().collect();
        for iid in wrap_ups {
            self.default_disposition(iid, id, now);
            self.finish_wrap_up(iid, id, now);
        }
        self.refresh_agent(id, now);
        self.recheck_empty(self.agents[&id].config.queues.iter().map(|m| m.queue).collect());
        Ok(())
    }

    fn pause(&mut self, id: AgentId, reason: ReasonCode, now: Timestamp) -> Result<(), CommandError> {
        if !self.agent_ref(id)?.logged_in {
            return Err(CommandError::AgentNotLoggedIn(id));
        }
        self.pause_agent(id, reason, now);
        Ok(())
    }

    /// Pauses a logged-in agent and withdraws their pending offers.
    fn pause_agent(&mut self, id: AgentId, reason: ReasonCode, now: Timestamp) {
        self.agents.get_mut(&id).expect("pause_agent: agent exists").paused = Some(reason);
        let (at, a) = self.agents.get_with_slot(&id).expect("the agent exists");
        self.router.place_agent(at, a, &self.queues);
        self.router.blend_blocked.remove(&id);
        self.router.drained.forget(id);
        self.withdraw_offers(id, WithdrawReason::AgentPaused, now);
        self.refresh_agent(id, now);
        self.recheck_empty(self.agents[&id].config.queues.iter().map(|m| m.queue).collect());
    }

    fn resume(&mut self, id: AgentId, now: Timestamp) -> Result<(), CommandError> {
        let agent = self.agent_ref(id)?;
        if !agent.logged_in {
            return Err(CommandError::AgentNotLoggedIn(id));
        }
        if agent.paused.is_none() {
            return Err(CommandError::AgentNotPaused(id));
        }
        let agent = self.agents.get_mut(&id).expect("checked above");
        agent.paused = None;
        agent.missed_in_a_row = 0;
        if agent.load.items() == 0 {
            agent.idle_since = now;
        }
        self.refresh_agent(id, now);
        self.work.push_back(Work::Agent(id));
        Ok(())
    }

    // ----- interactions -----

    /// [`Command::ConvertToCallback`]: the call leaves its list (or its
    /// ringing offer is withdrawn) and comes back as a callback at the same place in line.
    fn convert_to_callback(&mut self, iid: InteractionId, now: Timestamp) -> Result<(), CommandError> {
        let i = self.interaction_ref(iid)?;
        let from = i.channel;
        if self.config.channel_mode(from) != Some(crate::ChannelMode::RealTime) {
            return Err(CommandError::NotRealTime { interaction: iid, channel: from });
        }
        let queue = i.queue;
        let state = i.state();
        if !matches!(state, InteractionState::Queued | InteractionState::Offered { .. }) {
            return Err(CommandError::WrongInteractionState { interaction: iid, state });
        }
        if !self.queues[&queue].channels.contains(&Channel::Callback) {
            return Err(CommandError::ChannelNotInQueue { queue, channel: Channel::Callback });
        }
        match state {
            InteractionState::Offered { .. } => {
                // Capacity is given back on the call's channel, before the channel changes.
                for agent in self.withdraw_ringing(iid, WithdrawReason::ConvertedToCallback, now) {
                    self.refresh_agent(agent, now);
                }
            }
            _ => self.leave_queue(iid),
        }
        self.interactions.get_mut(&iid).expect("checked above").channel = Channel::Callback;
        self.emit(now, EventKind::ConvertedToCallback { interaction: iid, queue, from });
        self.enter_queue(iid, QueueReason::ConvertedToCallback, now);
        Ok(())
    }

    /// [`Command::CallbackFailed`]: the agent is released; the callback goes
    /// back to its place in line behind a retry delay, or ends after its last attempt.
    fn callback_failed(
        &mut self,
        agent: AgentId,
        iid: InteractionId,
        reason: crate::model::interaction::DialFailure,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let i = self.held_by(agent, iid, false)?;
        if i.channel != Channel::Callback {
            return Err(CommandError::NotACallback { interaction: iid, channel: i.channel });
        }
        let attempt = i.dial_failures().saturating_add(1);
        let queue = &self.queues[&i.queue];
        let retry = (attempt < queue.callback_attempts).then(|| {
            // Nobody for the retry delay, then the queue's steps afresh.
            let nobody =
                crate::model::expression::Expression::Not(Box::new(crate::model::expression::Expression::All(vec![])));
            let wait = crate::model::step::RoutingStep::default()
                .with_eligibility(nobody)
                .expiring_after(queue.callback_retry_after);
            let mut steps = vec![wait];
            let max = self.config.limits().max_steps as usize;
            match queue.steps.len() {
                0 => steps.push(crate::model::step::RoutingStep::default()),
                // Too many to add one: the queue's last step alone follows the delay.
                n if n + 1 > max => {
                    steps.push(crate::model::step::RoutingStep { expires_after: None, ..queue.steps[n - 1].clone() })
                }
                _ => steps.extend(queue.steps.iter().cloned()),
            }
            steps
        });
        let sets = match &retry {
            Some(steps) => Some(self.check_entry(queue, &i.own_requirements, steps, &i.attributes, Some(iid))?),
            None => None,
        };
        self.emit(now, EventKind::CallbackAttemptFailed { interaction: iid, agent, attempt, reason });
        self.release(agent, iid, now);
        self.sync_interruptions(agent, None, now);
        self.refresh_agent(agent, now);
        let (Some(steps), Some(sets)) = (retry, sets) else {
            self.end_interaction(iid, Outcome::CallbackFailed(reason), now);
            return Ok(());
        };
        let sig = self.hold(iid, &sets[0]);
        self.router.reserve(iid, &sets);
        let i = self.interactions.get_mut(&iid).expect("checked above");
        i.requirements = self.router.requirements(sig).clone();
        i.step = 0;
        i.edit_rare(|rare| {
            rare.dial_failures = attempt;
            rare.own_steps = Some(steps);
            rare.preference = None;
            rare.coded = false;
            rare.joined_at = Some(now);
        });
        self.arm_time_to_live(iid, now);
        self.arm_exception_rule(iid, now);
        self.enter_queue(iid, QueueReason::CallbackRetry, now);
        Ok(())
    }

    /// [`Command::SelfServed`]: a contact resolved before any queue is counted and announced.
    fn self_served(
        &mut self,
        contact: crate::model::interaction::SelfServedContact,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if self.interactions.contains_key(&contact.id) {
            return Err(CommandError::DuplicateInteraction(contact.id));
        }
        self.check_channel_known(contact.channel)?;
        let max = self.config.limits().max_attribute_bytes;
        let bytes = contact.attributes.byte_len().saturating_add(contact.reason.as_ref().map_or(0, String::len));
        if bytes > max as usize {
            return Err(limit(Limit::AttributeBytes, max));
        }
        self.totals.self_served = self.totals.self_served.saturating_add(1);
        self.emit(now, EventKind::SelfServed(contact));
        Ok(())
    }

    /// [`Command::Arrive`], or with `due` [`Command::ScheduleCallback`].
    fn arrive(&mut self, mut new: NewInteraction, due: Option<Timestamp>, now: Timestamp) -> Result<(), CommandError> {
        if self.interactions.contains_key(&new.id) {
            return Err(CommandError::DuplicateInteraction(new.id));
        }
        if let Some(due) = due {
            if new.channel != Channel::Callback {
                return Err(CommandError::NotACallback { interaction: new.id, channel: new.channel });
            }
            if due <= now {
                return Err(CommandError::CallbackDueNotAhead { interaction: new.id, due, now });
            }
            // Like every deadline, at most the longest span ahead (and so never past the end of time).
            let latest = (now + Timestamp::MAX_SPAN).min(Timestamp::MAX);
            if due > latest {
                return Err(CommandError::TimeOutOfRange { now: due, min: now, max: latest });
            }
        }
        self.check_interaction_limits(&new.attributes)?;
        let queue = self.queues.get(&new.queue).ok_or(CommandError::UnknownQueue(new.queue))?;
        let base = self.check_fits_queue(queue, new.channel, &new.requirements)?;
        if let Some(steps) = &new.steps {
            self.check_steps(&base, steps)?;
            let id = new.id;
            self.check_step_expressions(&|k| format!("interaction {id} step {k} eligibility"), steps)?;
        }
        let steps = new.steps.as_deref().unwrap_or(&queue.steps);
        let preferred = self.preferred_steps(&new, queue, steps)?;
        let steps = preferred.as_ref().map_or(steps, |(steps, _)| steps.as_slice());
        let sets = self.check_entry(queue, &new.requirements, steps, &new.attributes, None)?;
        self.check_room_in_queue(queue)?;
        // A preference is a phase of the interaction's own steps from here on.
        let phase = preferred.map(|(steps, phase)| {
            new.steps = Some(steps);
            phase
        });

        let seq = self.next_seq;
        // Cannot overflow: restore refuses counters above 2^63, and one arrival adds one.
        self.next_seq += 1;
        self.totals.arrived += 1;
        let sig = self.router.hold(None, &sets[0]);
        // The index's copy: interactions with one requirement set share it.
        let requirements = self.router.requirements(sig).clone();
        let own_requirements =
            if new.requirements == requirements { requirements.clone() } else { new.requirements.clone() };
        if sets.len() > 1 {
            self.router.reserve(new.id, &sets);
        }
        let arrived = EventKind::InteractionArrived {
            interaction: new.id,
            channel: new.channel,
            queue: new.queue,
            customer: new.customer,
            case: new.case,
            priority: new.priority,
            attributes: new.attributes.clone(),
        };
        let (id, queue) = (new.id, new.queue);
        let mut interaction = Interaction::arriving(new, seq, own_requirements, requirements, now);
        if let Some(phase) = phase {
            interaction.edit_rare(|rare| rare.preference = Some(phase));
        }
        if let Some(due) = due {
            // Its place in line, and every clock of its wait, start when it enters.
            interaction.queue_entered_at = due;
            interaction.set_state(InteractionState::Scheduled { due });
        }
        self.interactions.insert(id, interaction);
        self.interactions.set_tag(&id, sig);
        if let Some(due) = due {
            self.timers.set(TimerKind::CallbackDue(id), due);
            self.emit(now, arrived);
            self.emit(now, EventKind::CallbackScheduled { interaction: id, queue, due });
            return Ok(());
        }
        let admission = self.admission_due(id, &self.queues[&queue]);
        self.arm_time_to_live(id, now);
        self.arm_exception_rule(id, now);
        self.emit(now, arrived);
        self.enter_queue(id, QueueReason::Arrived, now);
        self.admit(id, admission, now);
        Ok(())
    }

    fn accept(&mut self, agent: AgentId, offer: OfferId, now: Timestamp) -> Result<(), CommandError> {
        self.pending_offer_for(agent, offer)?;
        let iid = self.offers[&offer].interaction;
        // The first accept of a parallel offer wins: the others are rescinded below.
        let others: Vec<OfferId> = self.offers_of(iid).into_iter().filter(|o| *o != offer).collect();
        self.ringing.remove(&iid);
        let pending = self.offers.remove(&offer).expect("checked above");
        self.timers.cancel(TimerKind::OfferTimeout(offer));
        self.timers.cancel(TimerKind::TimeToLive(pending.interaction));
        self.timers.cancel(TimerKind::ExceptionRule(pending.interaction));
        let a = self.agents.get_mut(&agent).expect("checked above");
        let held = a.held_mut();
        held.offers.remove(&offer);
        held.connected.insert(pending.interaction);
        held.contacts = held.contacts.saturating_add(1);
        a.missed_in_a_row = 0;
        let i = self.interactions.get_mut(&pending.interaction).expect("a pending offer's interaction is live");
        i.set_state(InteractionState::Connected { agent });
        let (queue, waited, case) = (i.queue, now.millis_since(i.queue_entered_at), i.case());
        if let Some(case) = case {
            // Whoever answers a case's interaction owns the case from now on.
            self.cases.set(case, Some(agent), now, self.config.limits().max_cases);
        }
        let realtime = self.config.channel_mode(i.channel) == Some(crate::ChannelMode::RealTime);
        self.note_hold_time(queue, waited);
        self.emit(now, EventKind::OfferAccepted { offer, interaction: pending.interaction, agent });
        // Accepting real-time work pauses the agent's interruptible work (and
        // interruptible work accepted beside real-time work pauses at once).
        self.sync_interruptions(agent, realtime.then_some(pending.interaction), now);
        self.refresh_agent(agent, now);
        self.rescind(iid, others, now);
        Ok(())
    }

    fn reject(&mut self, agent: AgentId, offer: OfferId, now: Timestamp) -> Result<(), CommandError> {
        self.pending_offer_for(agent, offer)?;
        let p = self.decline(offer, now);
        self.emit(now, EventKind::OfferRejected { offer, interaction: p.interaction, agent });
        // Other agents of a parallel offer keep ringing.
        if !self.still_ringing(p.interaction) {
            self.after_decline(p.interaction, QueueReason::OfferRejected, now);
        }
        self.refresh_agent(agent, now);
        // After the interaction's own routing work: the decliner is its last resort.
        self.work.push_back(Work::Agent(agent));
        Ok(())
    }

    fn offer_timed_out(&mut self, offer: OfferId, at: Timestamp) {
        if !self.offers.contains_key(&offer) {
            return;
        }
        let p = self.decline(offer, at);
        self.emit(at, EventKind::OfferTimedOut { offer, interaction: p.interaction, agent: p.agent });
        if !self.still_ringing(p.interaction) {
            self.after_decline(p.interaction, QueueReason::OfferTimedOut, at);
        }
        // After the interaction's own routing work: the decliner is its last resort.
        self.work.push_back(Work::Agent(p.agent));
        let max_misses = self.config.limits().max_missed_offers_in_a_row;
        let Some(agent) = self.agents.get_mut(&p.agent) else { return };
        agent.missed_in_a_row = agent.missed_in_a_row.saturating_add(1);
        // Pausing after a bounded number of misses, even when the host asked
        // for no pause, bounds the work of one call: see `Limits::max_missed_offers_in_a_row`.
        let reason = match self.config.missed_offer_pause() {
            Some(reason) => Some(reason),
            None if agent.missed_in_a_row >= max_misses => Some(crate::EngineConfig::MISSED_OFFER),
            None => None,
        };
        match reason {
            Some(reason) if agent.logged_in => self.pause_agent(p.agent, reason, at),
            _ => self.refresh_agent(p.agent, at),
        }
    }

    /// Drops an offer the agent declined (or missed) and remembers the agent
    /// on the interaction. The agent's routing work is the caller's to queue,
    /// after the interaction's.
    fn decline(&mut self, offer: OfferId, now: Timestamp) -> super::PendingOffer {
        let p = self.take_back_offer(offer, now);
        let i = self.interactions.get_mut(&p.interaction).expect("a pending offer's interaction is live");
        i.edit_rare(|rare| {
            if let Err(pos) = rare.declined_by.binary_search(&p.agent) {
                rare.declined_by.insert(pos, p.agent);
            }
        });
        p
    }

    fn complete(&mut self, agent: AgentId, iid: InteractionId, now: Timestamp) -> Result<(), CommandError> {
        let i = self.held_by(agent, iid, false)?;
        let rule = self.wrap_up_rule(agent, i.queue);
        // Completing interrupted work is allowed (the agent may have finished
        // the reply before the call came): the completion ends the interruption.
        self.interactions.get_mut(&iid).expect("checked above").edit_rare(|rare| rare.interrupted_by = None);
        self.emit(now, EventKind::InteractionCompleted { interaction: iid, agent });
        if !rule.wraps_up() || !self.agents[&agent].logged_in {
            self.release(agent, iid, now);
            self.end_interaction(iid, Outcome::Handled { agent }, now);
        } else {
            self.start_wrap_up(agent, iid, rule, now);
        }
        // Without wrap-up a call's end may let the agent's paused work resume.
        self.sync_interruptions(agent, None, now);
        self.refresh_agent(agent, now);
        Ok(())
    }

    fn end_wrap_up(&mut self, agent: AgentId, iid: InteractionId, now: Timestamp) -> Result<(), CommandError> {
        self.held_by(agent, iid, true)?;
        self.check_early_end(iid, now)?;
        self.finish_wrap_up(iid, agent, now);
        Ok(())
    }

    fn disposition(
        &mut self,
        agent: AgentId,
        iid: InteractionId,
        code: String,
        notes: Option<String>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.agent_ref(agent)?;
        match self.interaction_ref(iid)?.state() {
            InteractionState::Connected { agent: holder } | InteractionState::WrapUp { agent: holder }
                if holder == agent => {}
            InteractionState::Connected { .. } | InteractionState::WrapUp { .. } => {
                return Err(CommandError::NotAgentsInteraction { interaction: iid, agent });
            }
            state => return Err(CommandError::WrongInteractionState { interaction: iid, state }),
        }
        let bytes = code.len() + notes.as_ref().map_or(0, String::len);
        let max = self.config.limits().max_attribute_bytes;
        if bytes > max as usize {
            return Err(limit(Limit::AttributeBytes, max));
        }
        self.interactions.get_mut(&iid).expect("checked above").edit_rare(|rare| rare.coded = true);
        self.emit(now, EventKind::Disposition { interaction: iid, agent, code, notes });
        Ok(())
    }

    /// The customer abandons (`abandoned`) or the host cancels a waiting or offered interaction.
    fn leave(&mut self, iid: InteractionId, abandoned: bool, now: Timestamp) -> Result<(), CommandError> {
        let state = self.interaction_ref(iid)?.state();
        let outcome = |while_offered| if abandoned { Outcome::Abandoned { while_offered } } else { Outcome::Cancelled };
        match state {
            InteractionState::Queued => {
                self.leave_queue(iid);
                self.end_interaction(iid, outcome(false), now);
            }
            InteractionState::Scheduled { .. } => self.end_interaction(iid, outcome(false), now),
            InteractionState::Offered { .. } => {
                let reason = if abandoned { WithdrawReason::CustomerAbandoned } else { WithdrawReason::Cancelled };
                let agents = self.withdraw_ringing(iid, reason, now);
                self.end_interaction(iid, outcome(true), now);
                for agent in agents {
                    self.refresh_agent(agent, now);
                }
            }
            state => return Err(CommandError::WrongInteractionState { interaction: iid, state }),
        }
        Ok(())
    }

    /// Its queue's time to live ran out while it waited or rang: it ends
    /// [`Outcome::Expired`] (an offer ringing is withdrawn first).
    fn expire(&mut self, iid: InteractionId, at: Timestamp) {
        let Some(i) = self.interactions.get(&iid) else { return };
        match i.state() {
            InteractionState::Queued => {
                self.leave_queue(iid);
                self.end_interaction(iid, Outcome::Expired, at);
            }
            InteractionState::Offered { .. } => {
                let agents = self.withdraw_ringing(iid, WithdrawReason::Expired, at);
                self.end_interaction(iid, Outcome::Expired, at);
                for agent in agents {
                    self.refresh_agent(agent, at);
                }
            }
            // Answered: the timer was cancelled then.
            _ => {}
        }
    }

    /// A scheduled callback's due time: it enters its queue with the queue's
    /// boost, as an arrival would (rules, time to live, admission).
    fn callback_due(&mut self, iid: InteractionId, at: Timestamp) {
        let Some(i) = self.interactions.get_mut(&iid) else { return };
        if !matches!(i.state(), InteractionState::Scheduled { .. }) {
            return;
        }
        let queue = &self.queues[&i.queue];
        i.priority = i.priority.saturating_add(queue.scheduled_callback_boost);
        let admission = self.admission_due(iid, queue);
        self.arm_time_to_live(iid, at);
        self.arm_exception_rule(iid, at);
        self.enter_queue(iid, QueueReason::CallbackDue, at);
        self.admit(iid, admission, at);
    }

    /// Sets (or moves) the time-to-live timer of an interaction that entered
    /// queue `queue` at `joined`.
    pub(super) fn arm_time_to_live(&mut self, iid: InteractionId, joined: Timestamp) {
        let ttl = self.queues.get(&self.interactions[&iid].queue).and_then(|q| q.time_to_live);
        match ttl {
            Some(ttl) => self.timers.set(TimerKind::TimeToLive(iid), joined + ttl),
            None => self.timers.cancel(TimerKind::TimeToLive(iid)),
        }
    }

    fn transfer(&mut self, iid: InteractionId, to: QueueId, now: Timestamp) -> Result<(), CommandError> {
        let i = self.interaction_ref(iid)?;
        let target = self.queues.get(&to).ok_or(CommandError::UnknownQueue(to))?;
        if i.queue == to {
            return Err(CommandError::SameQueue { interaction: iid, queue: to });
        }
        if !target.channels.contains(&i.channel) {
            return Err(CommandError::ChannelNotInQueue { queue: to, channel: i.channel });
        }
        if let InteractionState::WrapUp { .. } | InteractionState::Scheduled { .. } = i.state() {
            return Err(CommandError::WrongInteractionState { interaction: iid, state: i.state() });
        }
        let sets = self.check_entry(target, &i.own_requirements, &target.steps, &i.attributes, Some(iid))?;
        self.check_room_in_queue(target)?;

        let from = i.queue;
        let holder = match i.state() {
            InteractionState::Connected { agent } => Some(agent),
            _ => None,
        };
        match i.state() {
            InteractionState::Queued => self.leave_queue(iid),
            InteractionState::Offered { .. } => {
                for agent in self.withdraw_ringing(iid, WithdrawReason::Transferred, now) {
                    self.refresh_agent(agent, now);
                }
            }
            InteractionState::Connected { agent } => {
                // Interrupted work transferred while paused leaves its interruption behind.
                self.interactions.get_mut(&iid).expect("checked above").edit_rare(|rare| rare.interrupted_by = None);
                self.release(agent, iid, now);
                self.refresh_agent(agent, now);
            }
            InteractionState::WrapUp { .. } | InteractionState::Scheduled { .. } => unreachable!("refused above"),
        }
        self.move_to_queue(iid, from, to, sets, now);
        // A transferred call may have been the agent's last real-time work.
        if let Some(agent) = holder {
            self.sync_interruptions(agent, None, now);
        }
        Ok(())
    }

    /// Moves an interaction that holds no capacity and is in no waiting list
    /// to queue `to`, keeping its place in line. `sets` are the requirements
    /// it carries there, step by step (see [`Engine::check_entry`]): it starts
    /// the target's routing steps from the first, its own steps left behind.
    pub(super) fn move_to_queue(
        &mut self,
        iid: InteractionId,
        from: QueueId,
        to: QueueId,
        sets: Vec<Eligibility>,
        now: Timestamp,
    ) {
        let sig = self.hold(iid, &sets[0]);
        self.router.reserve(iid, if sets.len() > 1 { &sets } else { &[] });
        let i = self.interactions.get_mut(&iid).expect("move_to_queue: interaction is live");
        i.queue = to;
        i.requirements = self.router.requirements(sig).clone();
        i.edit_rare(|rare| {
            rare.own_steps = None;
            rare.preference = None;
            // A code given before the move was the last agent's, not the next one's.
            rare.coded = false;
            rare.joined_at = Some(now);
        });
        i.step = 0;
        self.arm_time_to_live(iid, now);
        self.arm_exception_rule(iid, now);
        self.emit(now, EventKind::InteractionTransferred { interaction: iid, from, to });
        self.enter_queue(iid, QueueReason::Transferred, now);
    }
}
