//! Eligibility expressions: which agents may take an interaction, beyond
//! the skills it requires, and the agent attributes they read.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::attributes::Attributes;
use super::skill::{Proficiency, SkillSet};
use crate::ids::{AgentId, SkillId};

/// The kind of values an agent attribute holds, declared once with
/// [`Command::AddAgentAttribute`](crate::Command::AddAgentAttribute) so that
/// every expression comparing it is checked when configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributeKind {
    /// Text (team, site, language); compared with `==`, `!=` and `in`.
    Text,
    /// A whole number (tenure in months, a tier); also compared with `<` and `>`.
    Number,
}

impl fmt::Display for AttributeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttributeKind::Text => "text",
            AttributeKind::Number => "number",
        })
    }
}

/// One agent attribute's value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributeValue {
    /// Text.
    Text(String),
    /// A whole number.
    Number(i64),
}

impl AttributeValue {
    /// Its kind.
    pub fn kind(&self) -> AttributeKind {
        match self {
            AttributeValue::Text(_) => AttributeKind::Text,
            AttributeValue::Number(_) => AttributeKind::Number,
        }
    }

    /// Bytes it holds, for the configured limit.
    fn byte_len(&self) -> usize {
        match self {
            AttributeValue::Text(s) => s.len(),
            AttributeValue::Number(_) => 8,
        }
    }
}

impl From<&str> for AttributeValue {
    fn from(s: &str) -> Self {
        AttributeValue::Text(s.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(s: String) -> Self {
        AttributeValue::Text(s)
    }
}

impl From<i64> for AttributeValue {
    fn from(n: i64) -> Self {
        AttributeValue::Number(n)
    }
}

/// An agent's attributes (team, site, language, tenure), each of a kind
/// declared with [`Command::AddAgentAttribute`](crate::Command::AddAgentAttribute).
/// Set when the agent is added ([`AgentConfig::with_attributes`](crate::AgentConfig::with_attributes))
/// and replaced with [`Command::SetAgentAttributes`](crate::Command::SetAgentAttributes).
///
/// # Example
/// ```
/// use switchboard::{AgentAttributes, AttributeValue};
///
/// let attrs = AgentAttributes::new().with("team", "tier2").with("tenure_months", 30);
/// assert_eq!(attrs.get("team"), Some(&AttributeValue::Text("tier2".into())));
/// assert_eq!(attrs.get("tenure_months"), Some(&AttributeValue::Number(30)));
/// ```
// The box is the point: an empty map is 24 bytes inline, the box 8.
#[allow(clippy::box_collection)]
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct AgentAttributes(
    /// Boxed, and `None` exactly when there are none (so that each set of
    /// attributes has one representation): every agent carries a set, most
    /// of them empty, and an empty map took 24 bytes of each.
    Option<Box<BTreeMap<String, AttributeValue>>>,
);

/// Formatted as the map it holds, as when it was one.
impl fmt::Debug for AgentAttributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AgentAttributes").field(self.map()).finish()
    }
}

/// Serialised as the map (it was a transparent one).
impl Serialize for AgentAttributes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for AgentAttributes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::deserialize(d)?;
        Ok(AgentAttributes((!map.is_empty()).then(|| Box::new(map))))
    }
}

/// What an agent without attributes has.
static NO_ATTRIBUTES: BTreeMap<String, AttributeValue> = BTreeMap::new();

impl AgentAttributes {
    /// No attributes.
    pub fn new() -> Self {
        AgentAttributes(None)
    }

    fn map(&self) -> &BTreeMap<String, AttributeValue> {
        self.0.as_deref().unwrap_or(&NO_ATTRIBUTES)
    }

    /// Adds or replaces one attribute.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<AttributeValue>) -> Self {
        self.0.get_or_insert_with(Box::default).insert(name.into(), value.into());
        self
    }

    /// One attribute's value.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.map().get(name)
    }

    /// All attributes, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.map().iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Bytes of names and values, for the configured limit.
    pub(crate) fn byte_len(&self) -> usize {
        self.map().iter().map(|(k, v)| k.len() + v.byte_len()).sum()
    }
}

/// How an [`Expression::Attribute`] condition compares the agent's attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Comparison {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less than (numbers only).
    Lt,
    /// Greater than (numbers only).
    Gt,
    /// One of a list ([`Operand::List`] only).
    In,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Gt => ">",
            Comparison::In => "in",
        })
    }
}

/// What an agent's attribute is compared with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operand {
    /// A text value.
    Text(String),
    /// A number.
    Number(i64),
    /// A list of values, for [`Comparison::In`].
    List(Vec<AttributeValue>),
    /// The value of one of the interaction's own attributes (set by the
    /// host or its [`CustomerLookup`](crate::host::CustomerLookup)), read
    /// when the interaction enters its queue: `agent.language ==
    /// interaction.language`. For a number attribute the interaction's
    /// text is read as a whole number. An interaction without the attribute
    /// (or with text that is not a number where one is needed) fails the
    /// condition, so `not` of it holds.
    Interaction(String),
}

/// An eligibility rule: a boolean expression over an agent's skills, their
/// attributes, their id and the interaction's attributes (TaskRouter's
/// target expressions; Amazon Connect's `AndExpression`, `OrExpression`,
/// `NotAttributeCondition`). A queue ([`QueueConfig::eligibility`](crate::QueueConfig::eligibility))
/// and each routing step ([`RoutingStep::eligibility`](crate::RoutingStep::eligibility))
/// may carry one; an agent may take an interaction only when they meet its
/// requirements and every rule in force.
///
/// Expressions are plain data, checked when configured: an unknown skill
/// or attribute, a value of the wrong kind, `<` or `>` on text, an empty
/// `any`, `in` or agent list, or more nodes than
/// [`Limits::max_expression_nodes`](crate::Limits::max_expression_nodes) is
/// a [`CommandError::BadExpression`](crate::CommandError::BadExpression).
///
/// An agent without the attribute a condition names fails it, whatever the
/// comparison (`!=` too): write `not(team == "x")` for "not in team x, or
/// in no team".
///
/// **Cost.** Routing never evaluates an expression per decision. When an
/// interaction enters a queue, its interaction operands are replaced by
/// their values, and the resolved rule is interned. The first time a rule
/// has a waiting list in a queue, it is evaluated once per member of the
/// queue (a bit per member), and those bits are kept while any live
/// interaction carries the rule: lists that empty and fill again, and
/// step changes into other requirement sets, reuse them. An agent whose
/// skills, attributes or queues change is evaluated once per rule kept in
/// each of their queues; a decision tests one bit per list head it walks.
/// What makes rules expensive is therefore many *distinct* resolved rules
/// alive at once (an interaction operand with thousands of values: each new
/// value costs an evaluation per member), and rules whose skills are not
/// also in the queue's requirements: an agent looks only at lists whose
/// required skills they hold, so a rule that names its skills only inside
/// the expression is looked at by every member of the queue.
///
/// # Example
/// ```
/// use switchboard::{Comparison, Expression, Operand, Proficiency, SkillId};
///
/// // Spanish at 3 or above, on the customer's language desk, not a trainee.
/// let rule = Expression::All(vec![
///     Expression::Skill { skill: SkillId(7), at_least: Proficiency::new(3).unwrap() },
///     Expression::attribute("language", Comparison::Eq, Operand::Interaction("language".into())),
///     Expression::Not(Box::new(Expression::attribute("team", Comparison::Eq, Operand::Text("trainees".into())))),
/// ]);
/// assert_eq!(rule.node_count(), 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Expression {
    /// Every one holds (AND); an empty list always holds.
    All(#[serde(deserialize_with = "nested")] Vec<Expression>),
    /// At least one holds (OR); must not be empty.
    Any(#[serde(deserialize_with = "nested")] Vec<Expression>),
    /// It does not hold (NOT).
    Not(#[serde(deserialize_with = "nested")] Box<Expression>),
    /// The agent holds the skill at `at_least` or above (at level 1: holds it at all).
    Skill {
        /// The skill.
        skill: SkillId,
        /// The lowest level that qualifies.
        at_least: Proficiency,
    },
    /// A condition on one of the agent's attributes.
    Attribute {
        /// The attribute's name, as declared.
        name: String,
        /// How it is compared.
        op: Comparison,
        /// With what.
        value: Operand,
    },
    /// The agent is one of these (a named agent set); must not be empty.
    Agents(Vec<AgentId>),
}

/// How deep expressions may nest when read (a snapshot, a scenario file, a
/// journal): reading recurses once per level, and a crafted input nesting
/// `not` a million deep would otherwise exhaust the stack before any limit
/// is checked. [`Limits::max_expression_nodes`](crate::Limits::max_expression_nodes)
/// bounds what is accepted once read.
pub const MAX_EXPRESSION_DEPTH: u32 = 128;

thread_local! {
    /// Nesting of the expression being read on this thread.
    static READING_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Reads a nested part of an expression, refusing to go deeper than [`MAX_EXPRESSION_DEPTH`].
fn nested<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let depth = READING_DEPTH.with(|c| c.get());
    if depth >= MAX_EXPRESSION_DEPTH {
        return Err(serde::de::Error::custom(format!("an expression nested more than {MAX_EXPRESSION_DEPTH} deep")));
    }
    READING_DEPTH.with(|c| c.set(depth + 1));
    let read = T::deserialize(d);
    READING_DEPTH.with(|c| c.set(depth));
    read
}

/// Why an [`Expression`] was refused when configured.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpressionError {
    /// It names a skill that was never added.
    #[error("skill {0} is unknown: add it first")]
    UnknownSkill(SkillId),
    /// It names an agent attribute that was never declared.
    #[error("agent attribute {0:?} is unknown: declare it with AddAgentAttribute first")]
    UnknownAttribute(String),
    /// It compares an attribute with a value of another kind.
    #[error("agent attribute {name:?} holds {expected} values but is compared with {found}")]
    KindMismatch {
        /// The attribute.
        name: String,
        /// Its declared kind.
        expected: AttributeKind,
        /// The kind it was compared with.
        found: AttributeKind,
    },
    /// `<` or `>` on a text attribute.
    #[error("agent attribute {name:?} holds text, which has no order: use == , != or in")]
    OrderOnText {
        /// The attribute.
        name: String,
    },
    /// `in` without a list, or a list with another comparison.
    #[error("agent attribute {name:?} is compared with {op}, which takes {needs}")]
    OperandMismatch {
        /// The attribute.
        name: String,
        /// The comparison.
        op: Comparison,
        /// What the comparison takes.
        needs: &'static str,
    },
    /// An empty `any`, `in` list or agent list: nobody would ever qualify.
    #[error("an empty {0} list: no agent would ever qualify")]
    Empty(&'static str),
    /// Nested deeper than [`MAX_EXPRESSION_DEPTH`], so that it could not be read back.
    #[error("nested {depth} deep, more than the {MAX_EXPRESSION_DEPTH} an expression may be")]
    TooDeep {
        /// How deep it nests.
        depth: usize,
    },
    /// More nodes than the configured limit.
    #[error("{nodes} nodes, more than the limit of {limit}")]
    TooLarge {
        /// Nodes in the expression.
        nodes: usize,
        /// The limit.
        limit: u32,
    },
}

impl Expression {
    /// A condition on an agent attribute.
    pub fn attribute(name: impl Into<String>, op: Comparison, value: Operand) -> Self {
        Expression::Attribute { name: name.into(), op, value }
    }

    /// Nodes in the expression (each condition, list and `not` counts one).
    pub fn node_count(&self) -> usize {
        match self {
            Expression::All(list) | Expression::Any(list) => {
                1usize.saturating_add(list.iter().map(Expression::node_count).fold(0, usize::saturating_add))
            }
            Expression::Not(inner) => inner.node_count().saturating_add(1),
            _ => 1,
        }
    }

    /// How deep `all`, `any` and `not` nest (a condition alone: 0).
    pub(crate) fn depth(&self) -> usize {
        match self {
            Expression::All(list) | Expression::Any(list) => {
                1usize.saturating_add(list.iter().map(Expression::depth).max().unwrap_or(0))
            }
            Expression::Not(inner) => inner.depth().saturating_add(1),
            _ => 0,
        }
    }

    /// Bytes of text it holds (names and values), for the configured limit.
    pub(crate) fn byte_len(&self) -> usize {
        match self {
            Expression::All(list) | Expression::Any(list) => {
                list.iter().map(Expression::byte_len).fold(0, usize::saturating_add)
            }
            Expression::Not(inner) => inner.byte_len(),
            Expression::Skill { .. } => 0,
            Expression::Attribute { name, value, .. } => name.len().saturating_add(match value {
                Operand::Text(s) | Operand::Interaction(s) => s.len(),
                Operand::Number(_) => 8,
                Operand::List(values) => values.iter().map(AttributeValue::byte_len).fold(0, usize::saturating_add),
            }),
            Expression::Agents(ids) => ids.len().saturating_mul(8),
        }
    }

    /// Checks the expression against the skills and attribute kinds
    /// declared, and its size against `max_nodes`.
    pub(crate) fn check(
        &self,
        skill_known: &dyn Fn(SkillId) -> bool,
        kinds: &BTreeMap<String, AttributeKind>,
        max_nodes: u32,
    ) -> Result<(), ExpressionError> {
        let nodes = self.node_count();
        if nodes > max_nodes as usize {
            return Err(ExpressionError::TooLarge { nodes, limit: max_nodes });
        }
        let depth = self.depth();
        if depth > MAX_EXPRESSION_DEPTH as usize {
            return Err(ExpressionError::TooDeep { depth });
        }
        self.check_node(skill_known, kinds)
    }

    fn check_node(
        &self,
        skill_known: &dyn Fn(SkillId) -> bool,
        kinds: &BTreeMap<String, AttributeKind>,
    ) -> Result<(), ExpressionError> {
        match self {
            Expression::All(list) => list.iter().try_for_each(|e| e.check_node(skill_known, kinds)),
            Expression::Any(list) => {
                if list.is_empty() {
                    return Err(ExpressionError::Empty("any"));
                }
                list.iter().try_for_each(|e| e.check_node(skill_known, kinds))
            }
            Expression::Not(inner) => inner.check_node(skill_known, kinds),
            Expression::Skill { skill, .. } => {
                if skill_known(*skill) {
                    Ok(())
                } else {
                    Err(ExpressionError::UnknownSkill(*skill))
                }
            }
            Expression::Agents(ids) => {
                if ids.is_empty() {
                    Err(ExpressionError::Empty("agents"))
                } else {
                    Ok(())
                }
            }
            Expression::Attribute { name, op, value } => {
                let kind = *kinds.get(name).ok_or_else(|| ExpressionError::UnknownAttribute(name.clone()))?;
                let mismatch = |found| ExpressionError::KindMismatch { name: name.clone(), expected: kind, found };
                let operand = |needs| ExpressionError::OperandMismatch { name: name.clone(), op: *op, needs };
                if matches!(op, Comparison::Lt | Comparison::Gt) && kind == AttributeKind::Text {
                    return Err(ExpressionError::OrderOnText { name: name.clone() });
                }
                match (op, value) {
                    (Comparison::In, Operand::List(values)) => {
                        if values.is_empty() {
                            return Err(ExpressionError::Empty("in"));
                        }
                        match values.iter().find(|v| v.kind() != kind) {
                            Some(v) => Err(mismatch(v.kind())),
                            None => Ok(()),
                        }
                    }
                    (Comparison::In, _) => Err(operand("a list")),
                    (_, Operand::List(_)) => Err(operand("one value (or an interaction attribute)")),
                    (_, Operand::Text(_)) if kind != AttributeKind::Text => Err(mismatch(AttributeKind::Text)),
                    (_, Operand::Number(_)) if kind != AttributeKind::Number => Err(mismatch(AttributeKind::Number)),
                    _ => Ok(()),
                }
            }
        }
    }

    /// The expression with every interaction operand replaced by the value
    /// of `attrs` (read as a number for number attributes); a condition
    /// whose value is missing or unreadable becomes `any []`, which never
    /// holds. The result names no interaction attribute, so it can be
    /// evaluated against agents alone.
    pub(crate) fn resolve(&self, attrs: &Attributes, kinds: &BTreeMap<String, AttributeKind>) -> Expression {
        match self {
            Expression::All(list) => Expression::All(list.iter().map(|e| e.resolve(attrs, kinds)).collect()),
            Expression::Any(list) => Expression::Any(list.iter().map(|e| e.resolve(attrs, kinds)).collect()),
            Expression::Not(inner) => Expression::Not(Box::new(inner.resolve(attrs, kinds))),
            Expression::Attribute { name, op, value: Operand::Interaction(key) } => {
                let value = attrs.get(key).and_then(|text| match kinds.get(name) {
                    Some(AttributeKind::Number) => text.trim().parse::<i64>().ok().map(Operand::Number),
                    _ => Some(Operand::Text(text.to_owned())),
                });
                match value {
                    Some(value) => Expression::Attribute { name: name.clone(), op: *op, value },
                    None => Expression::Any(Vec::new()),
                }
            }
            other => other.clone(),
        }
    }

    /// A list of agents that holds every agent the expression admits, when
    /// it has one: a named agent set, alone or as a part of an `all` (the
    /// shortest such part). The routing index evaluates such a rule over
    /// those agents only, so a preferred-agent or case-owner rule costs the
    /// agents it names, not the queue's members.
    pub(crate) fn named_agents(&self) -> Option<&[AgentId]> {
        match self {
            Expression::Agents(ids) => Some(ids),
            Expression::All(list) => list.iter().filter_map(Expression::named_agents).min_by_key(|ids| ids.len()),
            _ => None,
        }
    }

    /// Whether an agent with these skills, attributes and id meets the
    /// expression. Interaction operands (in an unresolved expression) fail.
    pub fn admits(&self, agent: AgentId, skills: &SkillSet, attributes: &AgentAttributes) -> bool {
        match self {
            Expression::All(list) => list.iter().all(|e| e.admits(agent, skills, attributes)),
            Expression::Any(list) => list.iter().any(|e| e.admits(agent, skills, attributes)),
            Expression::Not(inner) => !inner.admits(agent, skills, attributes),
            Expression::Skill { skill, at_least } => skills.level(*skill).is_some_and(|l| l >= *at_least),
            Expression::Agents(ids) => ids.contains(&agent),
            Expression::Attribute { name, op, value } => {
                let Some(have) = attributes.get(name) else { return false };
                match (op, value, have) {
                    (Comparison::In, Operand::List(values), have) => values.contains(have),
                    (op, Operand::Text(want), AttributeValue::Text(have)) => match op {
                        Comparison::Eq => have == want,
                        Comparison::Ne => have != want,
                        _ => false,
                    },
                    (op, Operand::Number(want), AttributeValue::Number(have)) => match op {
                        Comparison::Eq => have == want,
                        Comparison::Ne => have != want,
                        Comparison::Lt => have < want,
                        Comparison::Gt => have > want,
                        Comparison::In => false,
                    },
                    _ => false,
                }
            }
        }
    }
}

impl Expression {
    /// Whether an agent could meet the expression for some interaction:
    /// `Some` when the answer is the same for every interaction, `None`
    /// when it depends on an interaction's attributes (for configuration
    /// checks, before any interaction arrives).
    pub(crate) fn could_admit(&self, agent: AgentId, skills: &SkillSet, attributes: &AgentAttributes) -> Option<bool> {
        match self {
            Expression::All(list) => {
                let each: Vec<Option<bool>> = list.iter().map(|e| e.could_admit(agent, skills, attributes)).collect();
                if each.contains(&Some(false)) {
                    Some(false)
                } else if each.iter().all(|v| *v == Some(true)) {
                    Some(true)
                } else {
                    None
                }
            }
            Expression::Any(list) => {
                let each: Vec<Option<bool>> = list.iter().map(|e| e.could_admit(agent, skills, attributes)).collect();
                if each.contains(&Some(true)) {
                    Some(true)
                } else if each.iter().all(|v| *v == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            }
            Expression::Not(inner) => inner.could_admit(agent, skills, attributes).map(|v| !v),
            Expression::Attribute { name, value: Operand::Interaction(_), .. } => {
                // Without the attribute the agent fails it whatever the interaction says.
                if attributes.get(name).is_some() { None } else { Some(false) }
            }
            other => Some(other.admits(agent, skills, attributes)),
        }
    }
}

/// Who may take an interaction in its current step: agents who meet its
/// requirements (the queue's, its own and its step's) and its resolved rule
/// (the queue's and its step's, interaction operands replaced by values).
/// The routing index keeps one waiting list per distinct eligibility.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Eligibility {
    pub(crate) requirements: super::skill::Requirements,
    pub(crate) rule: Option<Expression>,
}

/// The eligibility rule of a queue and of one of its steps together: both
/// when both are set.
pub(crate) fn combine(queue: Option<&Expression>, step: Option<&Expression>) -> Option<Expression> {
    match (queue, step) {
        (Some(q), Some(s)) => Some(Expression::All(vec![q.clone(), s.clone()])),
        (Some(e), None) | (None, Some(e)) => Some(e.clone()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_least(level: u8) -> Proficiency {
        Proficiency::new(level).unwrap()
    }

    /// Boxed, or nothing when empty, and in every outward form the map it was.
    #[test]
    fn agent_attributes_look_like_the_map_they_were() {
        let attrs = AgentAttributes::new().with("team", "tier2").with("tenure", 30).with("team", "sales");
        let map: BTreeMap<String, AttributeValue> =
            BTreeMap::from([("team".into(), "sales".into()), ("tenure".into(), 30.into())]);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(serde_json::to_string(&attrs).unwrap(), json);
        assert_eq!(format!("{attrs:?}"), format!("AgentAttributes({map:?})"));
        assert_eq!(serde_json::from_str::<AgentAttributes>(&json).unwrap(), attrs);
        assert_eq!((attrs.len(), attrs.get("tenure")), (2, Some(&AttributeValue::Number(30))));
        let none: AgentAttributes = serde_json::from_str("{}").unwrap();
        assert_eq!((none.0.is_none(), none.is_empty(), none.len()), (true, true, 0), "nothing allocates nothing");
        assert_eq!(none, AgentAttributes::default());
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
        assert_eq!(format!("{none:?}"), "AgentAttributes({})");
    }

    fn kinds() -> BTreeMap<String, AttributeKind> {
        BTreeMap::from([
            ("team".to_string(), AttributeKind::Text),
            ("language".to_string(), AttributeKind::Text),
            ("tenure".to_string(), AttributeKind::Number),
        ])
    }

    fn attr(name: &str, op: Comparison, value: Operand) -> Expression {
        Expression::attribute(name, op, value)
    }

    #[test]
    fn bad_expressions_are_refused_with_what_is_wrong() {
        let known = |s: SkillId| s == SkillId(1);
        let text = |s: &str| Operand::Text(s.into());
        let cases: Vec<(Expression, ExpressionError)> = vec![
            (Expression::Skill { skill: SkillId(9), at_least: at_least(1) }, ExpressionError::UnknownSkill(SkillId(9))),
            (attr("site", Comparison::Eq, text("x")), ExpressionError::UnknownAttribute("site".into())),
            (
                attr("tenure", Comparison::Eq, text("x")),
                ExpressionError::KindMismatch {
                    name: "tenure".into(),
                    expected: AttributeKind::Number,
                    found: AttributeKind::Text,
                },
            ),
            (
                attr("team", Comparison::Eq, Operand::Number(3)),
                ExpressionError::KindMismatch {
                    name: "team".into(),
                    expected: AttributeKind::Text,
                    found: AttributeKind::Number,
                },
            ),
            (attr("team", Comparison::Lt, text("a")), ExpressionError::OrderOnText { name: "team".into() }),
            (
                attr("team", Comparison::In, text("a")),
                ExpressionError::OperandMismatch { name: "team".into(), op: Comparison::In, needs: "a list" },
            ),
            (
                attr("team", Comparison::Eq, Operand::List(vec!["a".into()])),
                ExpressionError::OperandMismatch {
                    name: "team".into(),
                    op: Comparison::Eq,
                    needs: "one value (or an interaction attribute)",
                },
            ),
            (attr("team", Comparison::In, Operand::List(vec![])), ExpressionError::Empty("in")),
            (
                attr("team", Comparison::In, Operand::List(vec!["a".into(), 4.into()])),
                ExpressionError::KindMismatch {
                    name: "team".into(),
                    expected: AttributeKind::Text,
                    found: AttributeKind::Number,
                },
            ),
            (Expression::Any(vec![]), ExpressionError::Empty("any")),
            (Expression::Not(Box::new(Expression::Agents(vec![]))), ExpressionError::Empty("agents")),
            (Expression::All(vec![Expression::All(vec![]); 4]), ExpressionError::TooLarge { nodes: 5, limit: 4 }),
        ];
        for (e, want) in cases {
            assert_eq!(e.check(&known, &kinds(), 4), Err(want), "{e:?}");
        }
        let deep = (0..129).fold(Expression::All(vec![]), |e, _| Expression::Not(Box::new(e)));
        assert_eq!(deep.check(&known, &kinds(), 1_024), Err(ExpressionError::TooDeep { depth: 130 }));
        let fine = Expression::All(vec![
            Expression::Skill { skill: SkillId(1), at_least: at_least(3) },
            attr("tenure", Comparison::Gt, Operand::Number(12)),
            attr("language", Comparison::Eq, Operand::Interaction("lang".into())),
        ]);
        assert_eq!(fine.check(&known, &kinds(), 4), Ok(()));
    }

    #[test]
    fn expressions_admit_the_agents_they_describe() {
        let skills = SkillSet::from_pairs([(SkillId(1), at_least(3))]);
        let agent = AgentAttributes::new().with("team", "tier2").with("tenure", 24);
        let text = |s: &str| Operand::Text(s.into());
        let cases: Vec<(Expression, bool)> = vec![
            (Expression::All(vec![]), true),
            (Expression::Any(vec![]), false),
            (Expression::Skill { skill: SkillId(1), at_least: at_least(3) }, true),
            (Expression::Skill { skill: SkillId(1), at_least: at_least(4) }, false),
            (Expression::Skill { skill: SkillId(2), at_least: at_least(1) }, false),
            (attr("team", Comparison::Eq, text("tier2")), true),
            (attr("team", Comparison::Ne, text("tier2")), false),
            (attr("team", Comparison::In, Operand::List(vec!["tier1".into(), "tier2".into()])), true),
            (attr("tenure", Comparison::Gt, Operand::Number(12)), true),
            (attr("tenure", Comparison::Lt, Operand::Number(12)), false),
            // Missing attribute: every comparison fails, != too; not() holds.
            (attr("site", Comparison::Ne, text("x")), false),
            (Expression::Not(Box::new(attr("site", Comparison::Eq, text("x")))), true),
            (Expression::Agents(vec![AgentId(5), AgentId(7)]), true),
            (Expression::Agents(vec![AgentId(5)]), false),
            // An unresolved interaction operand never admits.
            (attr("team", Comparison::Eq, Operand::Interaction("team".into())), false),
        ];
        for (e, want) in cases {
            assert_eq!(e.admits(AgentId(7), &skills, &agent), want, "{e:?}");
        }
    }

    #[test]
    fn interaction_operands_resolve_to_the_interactions_values() {
        let kinds = kinds();
        let same_language = attr("language", Comparison::Eq, Operand::Interaction("lang".into()));
        let longer = attr("tenure", Comparison::Gt, Operand::Interaction("min_tenure".into()));
        let customer = Attributes::new().with("lang", "es").with("min_tenure", " 12 ");
        assert_eq!(
            same_language.resolve(&customer, &kinds),
            attr("language", Comparison::Eq, Operand::Text("es".into()))
        );
        assert_eq!(longer.resolve(&customer, &kinds), attr("tenure", Comparison::Gt, Operand::Number(12)));
        // Missing or unreadable: a condition that never holds.
        let none = Attributes::new().with("min_tenure", "twelve");
        assert_eq!(same_language.resolve(&none, &kinds), Expression::Any(vec![]));
        assert_eq!(longer.resolve(&none, &kinds), Expression::Any(vec![]));
        let not_same = Expression::Not(Box::new(same_language));
        let agent = AgentAttributes::new().with("language", "de");
        assert!(not_same.resolve(&none, &kinds).admits(AgentId(1), &SkillSet::default(), &agent));
    }

    /// Postcard (the compact snapshot's format) has no depth limit of its own: the
    /// expression's holds.
    #[cfg(feature = "compact")]
    #[test]
    fn deeply_nested_input_is_refused_not_a_stack_overflow() {
        let deep = |n: usize| (0..n).fold(Expression::Agents(vec![AgentId(1)]), |e, _| Expression::Not(Box::new(e)));
        let bytes = |n| postcard::to_allocvec(&deep(n)).unwrap();
        assert_eq!(postcard::from_bytes::<Expression>(&bytes(100)).unwrap(), deep(100));
        assert!(postcard::from_bytes::<Expression>(&bytes(200)).is_err());
        // A million `not`s, a few bytes each: refused quickly, with no stack overflow.
        let mut hostile = vec![2u8; 1_000_000];
        hostile.extend(bytes(0));
        assert!(postcard::from_bytes::<Expression>(&hostile).is_err());
        // The depth is counted per read: a refused read leaves nothing behind.
        assert!(postcard::from_bytes::<Expression>(&bytes(100)).is_ok());
    }

    #[test]
    fn expressions_round_trip_through_json() {
        let e = Expression::All(vec![
            Expression::Skill { skill: SkillId(1), at_least: at_least(2) },
            attr("team", Comparison::In, Operand::List(vec!["a".into(), "b".into()])),
            Expression::Not(Box::new(Expression::Agents(vec![AgentId(3)]))),
        ]);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Expression>(&json).unwrap(), e);
        let written = r#"{"attribute":{"name":"tenure","op":"gt","value":{"number":12}}}"#;
        assert_eq!(
            serde_json::from_str::<Expression>(written).unwrap(),
            attr("tenure", Comparison::Gt, Operand::Number(12))
        );
    }
}
