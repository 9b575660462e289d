//! Agent attributes and eligibility expressions: declaring and setting
//! attributes, checking expressions when configured, and working out the
//! eligibility an interaction carries in each routing step.

use super::lifecycle::limit;
use super::{Engine, Work};
use crate::error::{CommandError, Limit};
use crate::event::EventKind;
use crate::ids::AgentId;
use crate::model::attributes::Attributes;
use crate::model::expression::{AgentAttributes, AttributeKind, Eligibility, Expression, combine};
use crate::model::interaction::Interaction;
use crate::model::queue::QueueConfig;
use crate::model::skill::Requirements;
use crate::model::step::RoutingStep;
use crate::time::Timestamp;

impl Engine {
    pub(super) fn add_agent_attribute(&mut self, name: String, kind: AttributeKind) -> Result<(), CommandError> {
        self.check_new_agent_attribute(&name)?;
        self.agent_attributes.insert(name, kind);
        Ok(())
    }

    /// Everything [`Command::AddAgentAttribute`](crate::Command::AddAgentAttribute) checks; restore checks the same.
    pub(super) fn check_new_agent_attribute(&self, name: &str) -> Result<(), CommandError> {
        if self.agent_attributes.contains_key(name) {
            return Err(CommandError::DuplicateAgentAttribute(name.to_owned()));
        }
        let max = self.config.limits().max_agent_attributes;
        if self.agent_attributes.len() >= max as usize {
            return Err(limit(Limit::AgentAttributes, max));
        }
        self.check_name(name)
    }

    pub(super) fn set_agent_attributes(
        &mut self,
        id: AgentId,
        attributes: AgentAttributes,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if !self.agents.contains_key(&id) {
            return Err(CommandError::UnknownAgent(id));
        }
        self.check_agent_attributes(id, &attributes)?;
        self.agents.get_mut(&id).expect("checked above").config.attributes = attributes;
        let (at, a) = self.agents.get_with_slot(&id).expect("the agent exists");
        self.router.requalify(at, a);
        self.emit(now, EventKind::AgentUpdated { agent: id });
        self.refresh_agent(id, now);
        self.work.push_back(Work::Agent(id));
        Ok(())
    }

    /// Every attribute declared, with a value of its kind, within the byte limit.
    pub(super) fn check_agent_attributes(&self, agent: AgentId, attrs: &AgentAttributes) -> Result<(), CommandError> {
        let max = self.config.limits().max_attribute_bytes;
        if attrs.byte_len() > max as usize {
            return Err(limit(Limit::AttributeBytes, max));
        }
        for (name, value) in attrs.iter() {
            let bad = |problem: String| CommandError::BadAgentAttribute { agent, name: name.to_owned(), problem };
            match self.agent_attributes.get(name) {
                None => return Err(bad("not declared: declare it with AddAgentAttribute first".into())),
                Some(kind) if *kind != value.kind() => {
                    return Err(bad(format!("declared {kind} but given {}", value.kind())));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// An expression, if any, is well formed against the skills and
    /// attributes declared and within the limits; `part` names where it sits.
    pub(super) fn check_expression(
        &self,
        part: impl Fn() -> String,
        e: Option<&Expression>,
    ) -> Result<(), CommandError> {
        let Some(e) = e else { return Ok(()) };
        let limits = self.config.limits();
        if e.byte_len() > limits.max_attribute_bytes as usize {
            return Err(limit(Limit::AttributeBytes, limits.max_attribute_bytes));
        }
        let known = |skill| self.skills.contains_key(&skill);
        e.check(&known, &self.agent_attributes, limits.max_expression_nodes)
            .map_err(|error| CommandError::BadExpression { part: part(), error })
    }

    /// A queue's rule and its steps' rules are well formed.
    pub(super) fn check_queue_expressions(&self, queue: &QueueConfig) -> Result<(), CommandError> {
        let id = queue.id;
        self.check_expression(|| format!("queue {id} eligibility"), queue.eligibility.as_ref())?;
        self.check_step_expressions(&|k| format!("queue {id} step {k} eligibility"), &queue.steps)
    }

    /// Each step's rule is well formed; `part` names step `k`.
    pub(super) fn check_step_expressions(
        &self,
        part: &dyn Fn(usize) -> String,
        steps: &[RoutingStep],
    ) -> Result<(), CommandError> {
        for (k, step) in steps.iter().enumerate() {
            self.check_expression(|| part(k), step.eligibility.as_ref())?;
        }
        Ok(())
    }

    /// The eligibility an interaction with `own` requirements and these
    /// `attributes` carries in each step of `steps` in `queue` (just one
    /// when there are no steps): the requirements of the queue, its own and
    /// the step's; the rules of the queue and the step, resolved against
    /// its attributes.
    pub(super) fn eligibility_sets(
        &self,
        queue: &QueueConfig,
        own: &Requirements,
        steps: &[RoutingStep],
        attributes: &Attributes,
    ) -> Vec<Eligibility> {
        let base = queue.requirements.union(own);
        if steps.is_empty() {
            return vec![self.eligibility(base, queue.eligibility.as_ref(), None, attributes)];
        }
        steps
            .iter()
            .map(|s| {
                self.eligibility(
                    base.union(&s.requirements),
                    queue.eligibility.as_ref(),
                    s.eligibility.as_ref(),
                    attributes,
                )
            })
            .collect()
    }

    /// The eligibility interaction `i` carries in step `step` of `queue`.
    pub(super) fn eligibility_in_step(&self, i: &Interaction, queue: &QueueConfig, step: usize) -> Eligibility {
        let steps = i.steps(queue);
        let base = queue.requirements.union(&i.own_requirements);
        match steps.get(step) {
            Some(s) => self.eligibility(
                base.union(&s.requirements),
                queue.eligibility.as_ref(),
                s.eligibility.as_ref(),
                &i.attributes,
            ),
            None => self.eligibility(base, queue.eligibility.as_ref(), None, &i.attributes),
        }
    }

    fn eligibility(
        &self,
        requirements: Requirements,
        queue_rule: Option<&Expression>,
        step_rule: Option<&Expression>,
        attributes: &Attributes,
    ) -> Eligibility {
        let rule = combine(queue_rule, step_rule).map(|e| e.resolve(attributes, &self.agent_attributes));
        Eligibility { requirements, rule }
    }
}
