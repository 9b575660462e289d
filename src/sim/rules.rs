//! The scenario's routing rules beyond skills: agent attributes that
//! eligibility expressions compare, and business-hours calendars that queues
//! follow (issue #12). The fields that use them sit on
//! [`QueueSpec`](super::QueueSpec), [`StepSpec`](super::StepSpec) and
//! [`AgentGroupSpec`](super::AgentGroupSpec); this module holds their types
//! and their checks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{NaiveDate, Weekday};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::scenario::{MAX_DURATION_SECS, Scenario, ScenarioError, SkillLevel};
use crate::model::calendar::{BusinessHours, CalendarError, DatedHours, LocalTime, Opening, WeeklyOpening};
use crate::model::expression::{AttributeKind, AttributeValue};
use crate::model::queue::WhenClosed;
use crate::model::step::{Diversion, Staffed};

/// An agent attribute the scenario's agents may carry and its eligibility
/// rules may compare ([`Command::AddAgentAttribute`](crate::Command::AddAgentAttribute)).
///
/// ```json
/// { "name": "language", "kind": "text" }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentAttributeSpec {
    /// Its name, as agent groups and expressions write it.
    pub name: String,
    /// The kind of its values: `"text"` or `"number"` (whole numbers).
    pub kind: AttributeKind,
}

/// The values one agent attribute takes across an agent group
/// ([`AgentGroupSpec::attributes`](super::AgentGroupSpec::attributes)).
///
/// In the JSON, a value is plain: a string for a `text` attribute, a whole
/// number for a `number` one (the kind is declared once, in
/// [`Scenario::agent_attributes`]). One value applies to every agent of the
/// group; a list is dealt round-robin, agent `n` of the group taking value
/// `n % len`, so that one group can be split into teams or languages:
///
/// ```json
/// { "site": "lisbon", "language": ["en", "en", "es"], "tenure_months": [3, 30] }
/// ```
///
/// Every attribute of a group is dealt by the same agent number, so two lists
/// of the same length pair up (the first agent takes the first of each).
/// Where every combination is wanted, use one group per combination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupAttributeSpec {
    /// Every agent of the group has this value.
    Same(AttributeValue),
    /// Agent `n` of the group has value `n % len`; must not be empty.
    RoundRobin(Vec<AttributeValue>),
}

impl GroupAttributeSpec {
    /// The value agent `n` of the group (counted from 0) has; `None` only
    /// for an empty round-robin list, which validation refuses.
    pub fn value_for(&self, n: u32) -> Option<&AttributeValue> {
        match self {
            GroupAttributeSpec::Same(value) => Some(value),
            GroupAttributeSpec::RoundRobin(values) => {
                // `n % len` in usize: a list longer than u32::MAX is not a concern, and `len` ≥ 1 here.
                values.get(usize::try_from(n).ok()? % values.len().max(1))
            }
        }
    }

    /// Every value, with its place in the list (`None` for [`GroupAttributeSpec::Same`]).
    fn values(&self) -> impl Iterator<Item = (Option<usize>, &AttributeValue)> {
        let (one, many) = match self {
            GroupAttributeSpec::Same(value) => (Some(value), &[][..]),
            GroupAttributeSpec::RoundRobin(values) => (None, &values[..]),
        };
        one.map(|v| (None, v)).into_iter().chain(many.iter().enumerate().map(|(k, v)| (Some(k), v)))
    }
}

/// One plain value: a string or a whole number.
struct Plain(AttributeValue);

impl Serialize for Plain {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            AttributeValue::Text(text) => serializer.serialize_str(text),
            AttributeValue::Number(n) => serializer.serialize_i64(*n),
        }
    }
}

impl Serialize for GroupAttributeSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            GroupAttributeSpec::Same(value) => Plain(value.clone()).serialize(serializer),
            GroupAttributeSpec::RoundRobin(values) => {
                let mut seq = serializer.serialize_seq(Some(values.len()))?;
                for value in values {
                    seq.serialize_element(&Plain(value.clone()))?;
                }
                seq.end()
            }
        }
    }
}

const EXPECTED_PLAIN: &str = "a string or a whole number";

/// Reads a plain value; with `list`, also a list of plain values.
struct PlainVisitor {
    list: bool,
}

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = GroupAttributeSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.list {
            write!(f, "{EXPECTED_PLAIN}, or a list of them dealt round-robin")
        } else {
            f.write_str(EXPECTED_PLAIN)
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(GroupAttributeSpec::Same(AttributeValue::Text(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(GroupAttributeSpec::Same(AttributeValue::Text(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(GroupAttributeSpec::Same(AttributeValue::Number(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match i64::try_from(v) {
            Ok(n) => Ok(GroupAttributeSpec::Same(AttributeValue::Number(n))),
            Err(_) => Err(E::invalid_value(de::Unexpected::Unsigned(v), &"a whole number up to 9223372036854775807")),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if !self.list {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut values = Vec::new();
        while let Some(PlainElement(value)) = seq.next_element()? {
            values.push(value);
        }
        Ok(GroupAttributeSpec::RoundRobin(values))
    }
}

/// One element of a round-robin list: a plain value, not a list.
struct PlainElement(AttributeValue);

impl<'de> Deserialize<'de> for PlainElement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(PlainVisitor { list: false })? {
            GroupAttributeSpec::Same(value) => Ok(PlainElement(value)),
            GroupAttributeSpec::RoundRobin(_) => Err(de::Error::custom(EXPECTED_PLAIN)),
        }
    }
}

impl<'de> Deserialize<'de> for GroupAttributeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PlainVisitor { list: true })
    }
}

/// A business-hours calendar that queues may follow
/// ([`QueueSpec::calendar`](super::QueueSpec::calendar);
/// [`Command::AddCalendar`](crate::Command::AddCalendar)).
///
/// `hours` is [`BusinessHours`] as the engine writes it: an IANA time zone,
/// weekly openings (`"day"` is `"Mon"` … `"Sun"`, times `"HH:MM"` on the
/// 24-hour clock, `"24:00"` to close at midnight) and dated exceptions whose
/// `hours` replace that date's (none: closed all day). Read strictly, like
/// the rest of a scenario: a misspelt field is an error, not a calendar that
/// never opens.
///
/// ```json
/// { "id": 1, "hours": { "time_zone": "Europe/Lisbon",
///     "weekly": [{ "day": "Mon", "open": "09:00", "close": "17:00" }],
///     "exceptions": [{ "date": "2026-12-25", "hours": [] }] } }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// The calendar's id, as queues name it.
    pub id: u64,
    /// Its opening hours.
    #[serde(deserialize_with = "strict_hours")]
    pub hours: BusinessHours,
}

/// [`BusinessHours`]' own serde form, refusing unknown fields: the engine's
/// types accept them (for forward compatibility of journals), a scenario
/// file does not.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictHours {
    time_zone: String,
    #[serde(default)]
    weekly: Vec<StrictWeekly>,
    #[serde(default)]
    exceptions: Vec<StrictDated>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictWeekly {
    day: Weekday,
    open: LocalTime,
    close: LocalTime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictDated {
    date: NaiveDate,
    #[serde(default)]
    hours: Vec<StrictOpening>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictOpening {
    open: LocalTime,
    close: LocalTime,
}

fn strict_hours<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BusinessHours, D::Error> {
    let h = StrictHours::deserialize(deserializer)?;
    Ok(BusinessHours {
        time_zone: h.time_zone,
        weekly: h.weekly.into_iter().map(|w| WeeklyOpening { day: w.day, open: w.open, close: w.close }).collect(),
        exceptions: h
            .exceptions
            .into_iter()
            .map(|d| DatedHours {
                date: d.date,
                hours: d.hours.into_iter().map(|o| Opening::new(o.open, o.close)).collect(),
            })
            .collect(),
    })
}

/// A queue's exception rule ([`ExceptionRule`](crate::ExceptionRule)):
/// once an interaction has waited `after_secs` in the queue unanswered,
/// `action` happens. Rules due at the same moment apply in the order listed.
///
/// ```json
/// { "after_secs": 60, "action": "Alert" }
/// { "after_secs": 120, "action": { "SetPriority": 5 } }
/// { "after_secs": 300, "action": { "End": "Voicemail" } }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionRuleSpec {
    /// Seconds unanswered in the queue before the rule applies (1 s to a year).
    pub after_secs: u64,
    /// What happens then.
    pub action: ActionSpec,
}

/// What a queue rule does ([`ExceptionAction`](crate::ExceptionAction)),
/// in the engine's own JSON but for two things: a move's `keep_place` may be
/// left out (it keeps its place, as in [`OverflowSpec`](super::OverflowSpec)),
/// and the requirements a change adds are written as everywhere else in a
/// scenario, `{ "skill": 7, "level": 3 }`. Unknown fields are refused.
///
/// ```json
/// "Alert"
/// { "Move": { "queue": 9, "keep_place": true } }
/// { "SetPriority": 5 }
/// { "ChangeRequirements": { "add": [{ "skill": 2, "level": 1 }], "drop": [7] } }
/// { "End": "Voicemail" }
/// ```
///
/// `End` takes `"Voicemail"`, `"Callback"`, `"Message"` or `"Disconnect"`
/// ([`Diversion`]); the interaction ends [`Outcome::Diverted`](crate::Outcome::Diverted),
/// counted in [`Figures::diverted`](super::Figures::diverted). A move's
/// target must be listed before the queue (so that moves never loop) and take
/// all its channels; a requirement change names declared skills.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum ActionSpec {
    /// Tell supervisors; nothing else changes.
    #[serde(alias = "Alert")]
    Alert,
    /// Move the interaction to another queue (an overflow).
    #[serde(alias = "Move")]
    Move {
        /// The queue it moves to (listed before this one).
        queue: u64,
        /// Whether it keeps its place in line there (the default).
        #[serde(default = "yes")]
        keep_place: bool,
    },
    /// Set the interaction's base priority.
    #[serde(alias = "SetPriority")]
    SetPriority(i32),
    /// Change the interaction's own requirements: drop every requirement on
    /// the `drop` skills, then add `add`.
    #[serde(alias = "ChangeRequirements")]
    ChangeRequirements {
        /// Requirements added.
        #[serde(default)]
        add: Vec<SkillLevel>,
        /// Skills no longer required.
        #[serde(default)]
        drop: Vec<u64>,
    },
    /// End the interaction, diverted.
    #[serde(alias = "End")]
    End(Diversion),
}

fn yes() -> bool {
    true
}

/// A queue's admission rule ([`AdmissionRule`](crate::AdmissionRule)),
/// checked once as an arrival finds the queue; rules are checked in order,
/// and the first move or end that can be made ends the check.
///
/// ```json
/// { "when": { "QueueLength": 10 }, "action": { "End": "Message" } }
/// { "when": { "EstimatedWaitSecs": 300 }, "action": { "End": "Callback" } }
/// { "when": { "NoAgents": "LoggedIn" }, "action": { "Move": { "queue": 9 } } }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionRuleSpec {
    /// When it applies.
    pub when: TriggerSpec,
    /// What happens then.
    pub action: ActionSpec,
}

/// When an [`AdmissionRuleSpec`] applies ([`AdmissionTrigger`](crate::AdmissionTrigger)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSpec {
    /// At least this many interactions already wait in the queue.
    #[serde(alias = "QueueLength")]
    QueueLength(u32),
    /// The queue's estimated wait is at least this many seconds (0 to a year).
    #[serde(alias = "EstimatedWaitSecs")]
    EstimatedWaitSecs(u64),
    /// No member who could take the interaction is `"Qualified"`,
    /// `"LoggedIn"` or `"Unpaused"` ([`Staffed`]).
    #[serde(alias = "NoAgents")]
    NoAgents(Staffed),
}

/// What happens to the interactions waiting in a queue once none of its
/// members is `nobody` ([`WhenEmpty`](crate::WhenEmpty), Asterisk's
/// `leavewhenempty`): `"Qualified"`, `"LoggedIn"` or `"Unpaused"`.
///
/// ```json
/// { "nobody": "LoggedIn", "action": { "End": "Voicemail" } }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenEmptySpec {
    /// The queue is empty when no member is in this state.
    pub nobody: Staffed,
    /// What happens to each interaction waiting then.
    pub action: ActionSpec,
}

/// How much of a name a field path or a message repeats.
const MAX_QUOTED_BYTES: usize = 64;

/// A name as a path or a message shows it: its first 64 bytes, then `…`.
fn short(name: &str) -> String {
    if name.len() <= MAX_QUOTED_BYTES {
        return name.to_owned();
    }
    let mut end = MAX_QUOTED_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid { field: field.into(), problem: problem.into() }
}

impl Scenario {
    /// The checks of [`Scenario::validate`] for agent attributes, calendars,
    /// the queues' calendars and closed rules, and the groups' attribute
    /// values. Eligibility expressions are checked by the engine when the
    /// queue is added (an error names the queue).
    pub(super) fn validate_rules(&self) -> Result<(), ScenarioError> {
        let mut kinds: BTreeMap<&str, AttributeKind> = BTreeMap::new();
        for (i, a) in self.agent_attributes.iter().enumerate() {
            if kinds.insert(&a.name, a.kind).is_some() {
                return Err(invalid(
                    format!("agent_attributes[{i}].name"),
                    format!("agent attribute {:?} is declared twice", short(&a.name)),
                ));
            }
        }
        let mut calendars = BTreeSet::new();
        for (i, c) in self.calendars.iter().enumerate() {
            if !calendars.insert(c.id) {
                return Err(invalid(format!("calendars[{i}].id"), format!("calendar {} is listed twice", c.id)));
            }
            if let Err(e) = c.hours.check() {
                let field = match e {
                    CalendarError::UnknownTimeZone { .. } => format!("calendars[{i}].hours.time_zone"),
                    _ => format!("calendars[{i}].hours"),
                };
                return Err(invalid(field, e.to_string()));
            }
        }
        for (i, q) in self.queues.iter().enumerate() {
            if let Some(calendar) = q.calendar {
                if !calendars.contains(&calendar) {
                    return Err(invalid(format!("queues[{i}].calendar"), format!("no calendar {calendar}")));
                }
            } else if q.when_closed != WhenClosed::Wait {
                return Err(invalid(format!("queues[{i}].when_closed"), "has no effect: the queue has no calendar"));
            }
            if let WhenClosed::Move(target) = q.when_closed {
                if !self.queues[..i].iter().any(|t| t.id == target.0) {
                    return Err(invalid(
                        format!("queues[{i}].when_closed"),
                        format!("moves to queue {}, which must be listed before this one", target.0),
                    ));
                }
            }
        }
        let skills: BTreeSet<u64> = self.skills.iter().map(|s| s.id).collect();
        for (i, q) in self.queues.iter().enumerate() {
            let earlier: BTreeSet<u64> = self.queues[..i].iter().map(|t| t.id).collect();
            let check = |field: String, action: &ActionSpec| check_action(field, action, &earlier, &skills);
            for (k, rule) in q.exception_rules.iter().enumerate() {
                let field = format!("queues[{i}].exception_rules[{k}]");
                if !(1..=MAX_DURATION_SECS).contains(&rule.after_secs) {
                    return Err(invalid(
                        format!("{field}.after_secs"),
                        format!("{} s must be 1 to {MAX_DURATION_SECS} (a year)", rule.after_secs),
                    ));
                }
                check(format!("{field}.action"), &rule.action)?;
            }
            for (k, rule) in q.admission_rules.iter().enumerate() {
                let field = format!("queues[{i}].admission_rules[{k}]");
                if let TriggerSpec::EstimatedWaitSecs(secs) = rule.when {
                    if secs > MAX_DURATION_SECS {
                        return Err(invalid(
                            format!("{field}.when.EstimatedWaitSecs"),
                            format!("{secs} s must be 0 to {MAX_DURATION_SECS} (a year)"),
                        ));
                    }
                }
                check(format!("{field}.action"), &rule.action)?;
            }
            if let Some(rule) = &q.when_empty {
                check(format!("queues[{i}].when_empty.action"), &rule.action)?;
            }
        }
        for (g, group) in self.agent_groups.iter().enumerate() {
            for (name, spec) in &group.attributes {
                let field = format!("agent_groups[{g}].attributes.{}", short(name));
                let Some(&kind) = kinds.get(name.as_str()) else {
                    return Err(invalid(field, "not declared in agent_attributes"));
                };
                if matches!(spec, GroupAttributeSpec::RoundRobin(values) if values.is_empty()) {
                    return Err(invalid(field, "needs at least one value"));
                }
                if let Some((k, value)) = spec.values().find(|(_, v)| v.kind() != kind) {
                    let field = match k {
                        Some(k) => format!("{field}[{k}]"),
                        None => field,
                    };
                    let given = match value.kind() {
                        AttributeKind::Text => "text",
                        AttributeKind::Number => "a number",
                    };
                    return Err(invalid(field, format!("{} is declared {kind}, but given {given}", short(name))));
                }
            }
        }
        Ok(())
    }
}

/// A rule's action is one the scenario can set up: a move to a queue listed
/// earlier (`earlier`), a requirement change on declared skills at levels 1
/// to 5, each added once. Whether a move's target takes all the queue's
/// channels is the engine's check ([`ScenarioError::Refused`]).
fn check_action(
    field: String,
    action: &ActionSpec,
    earlier: &BTreeSet<u64>,
    skills: &BTreeSet<u64>,
) -> Result<(), ScenarioError> {
    match action {
        ActionSpec::Move { queue, .. } if !earlier.contains(queue) => Err(invalid(
            format!("{field}.Move.queue"),
            format!("moves to queue {queue}, which must be listed before this one"),
        )),
        ActionSpec::ChangeRequirements { add, drop } => {
            let mut seen = BTreeSet::new();
            for (j, l) in add.iter().enumerate() {
                if !(1..=5).contains(&l.level) {
                    return Err(invalid(
                        format!("{field}.ChangeRequirements.add[{j}].level"),
                        format!("level {} of skill {} must be 1 to 5", l.level, l.skill),
                    ));
                }
                let skill = format!("{field}.ChangeRequirements.add[{j}].skill");
                if !skills.contains(&l.skill) {
                    return Err(invalid(skill, format!("no skill {}", l.skill)));
                }
                if !seen.insert(l.skill) {
                    return Err(invalid(skill, format!("skill {} is added twice", l.skill)));
                }
            }
            match drop.iter().position(|s| !skills.contains(s)) {
                Some(j) => {
                    Err(invalid(format!("{field}.ChangeRequirements.drop[{j}]"), format!("no skill {}", drop[j])))
                }
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_values_read_and_write_plain() {
        for (json, spec) in [
            (r#""en""#, GroupAttributeSpec::Same("en".into())),
            ("30", GroupAttributeSpec::Same(30.into())),
            ("-4", GroupAttributeSpec::Same((-4).into())),
            (r#"["en","es"]"#, GroupAttributeSpec::RoundRobin(vec!["en".into(), "es".into()])),
            ("[3,30]", GroupAttributeSpec::RoundRobin(vec![3.into(), 30.into()])),
            ("[]", GroupAttributeSpec::RoundRobin(vec![])),
        ] {
            assert_eq!(serde_json::from_str::<GroupAttributeSpec>(json).unwrap(), spec, "{json}");
            assert_eq!(serde_json::to_string(&spec).unwrap(), json);
        }
        for bad in ["1.5", "true", "null", "[[1]]", r#"{"text":"en"}"#, "9223372036854775808", "[1e3]"] {
            let err = serde_json::from_str::<GroupAttributeSpec>(bad).unwrap_err();
            assert!(err.to_string().contains("expected a"), "{bad}: {err}");
        }
    }

    #[test]
    fn round_robin_deals_by_agent_number() {
        let spec = GroupAttributeSpec::RoundRobin(vec!["a".into(), "b".into(), "c".into()]);
        let dealt: Vec<_> = (0..7).map(|n| spec.value_for(n).cloned().unwrap()).collect();
        assert_eq!(dealt, ["a", "b", "c", "a", "b", "c", "a"].map(AttributeValue::from));
        assert_eq!(GroupAttributeSpec::Same(1.into()).value_for(u32::MAX), Some(&AttributeValue::Number(1)));
        assert_eq!(GroupAttributeSpec::RoundRobin(vec![]).value_for(3), None);
    }

    #[test]
    fn names_are_shortened_at_a_char_boundary() {
        assert_eq!(short("team"), "team");
        let long = "é".repeat(100);
        let s = short(&long);
        assert!(s.ends_with('…') && s.len() <= MAX_QUOTED_BYTES + '…'.len_utf8());
    }
}
