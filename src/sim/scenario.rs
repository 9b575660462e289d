//! Scenarios: a contact-center day described as data (JSON).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::random::Distribution;
use crate::model::channel::Channel;
use crate::model::queue::AgentSelection;

/// A skill and its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillSpec {
    /// The skill's id.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// A skill at a level (a requirement's minimum, or an agent's level).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillLevel {
    /// The skill's id.
    pub skill: u64,
    /// The level, 1 to 5.
    pub level: u8,
}

/// A service-level target: `percent` answered within `secs`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSpec {
    /// The share to answer in time.
    pub percent: u8,
    /// The threshold.
    pub secs: u64,
}

/// A queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// The queue's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Channels it takes.
    pub channels: Vec<Channel>,
    /// Requirements of every interaction.
    #[serde(default)]
    pub requirements: Vec<SkillLevel>,
    /// The service-level target.
    pub sla: SlaSpec,
    /// Agent selection.
    #[serde(default)]
    pub strategy: AgentSelection,
    /// Wrap-up after each interaction.
    #[serde(default)]
    pub wrap_up_secs: u64,
    /// Queue priority (higher first).
    #[serde(default)]
    pub priority: i32,
    /// Aging in points per minute.
    #[serde(default)]
    pub aging_per_minute: u32,
}

/// One channel of an agent's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelCapacitySpec {
    /// The channel.
    pub channel: Channel,
    /// Most at once.
    pub max: u32,
    /// Units each uses.
    pub units: u32,
    /// Nothing else beside it.
    #[serde(default)]
    pub exclusive: bool,
}

/// A queue an agent group serves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipSpec {
    /// The queue.
    pub queue: u64,
    /// The group's priority for it (higher first); the queue's own when absent.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Delay before the group sees the queue's interactions.
    #[serde(default)]
    pub delay_secs: u64,
}

/// A break in each agent's shift (e.g. lunch), staggered across the group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakSpec {
    /// When the first agent of the group goes, in minutes after the period start.
    pub start_min: u32,
    /// How long.
    pub duration_min: u32,
    /// Each next agent goes this much later, wrapping after `stagger_groups` agents.
    #[serde(default)]
    pub stagger_min: u32,
    /// How many staggered slots (1 = everyone at once).
    #[serde(default = "one")]
    pub stagger_groups: u32,
}

fn one() -> u32 {
    1
}

/// A group of identical agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroupSpec {
    /// A name for reports.
    pub name: String,
    /// How many agents.
    pub count: u32,
    /// Their skills.
    pub skills: Vec<SkillLevel>,
    /// Their total capacity units.
    pub total_units: u32,
    /// Their capacity per channel.
    pub capacity: Vec<ChannelCapacitySpec>,
    /// The queues they serve.
    pub queues: Vec<MembershipSpec>,
    /// Shift start, minutes after the period start.
    #[serde(default)]
    pub shift_start_min: u32,
    /// Shift end, minutes after the period start (`None`: the end of the period).
    #[serde(default)]
    pub shift_end_min: Option<u32>,
    /// Breaks.
    #[serde(default)]
    pub breaks: Vec<BreakSpec>,
}

/// One value of a customer attribute, with its weight and any requirement it brings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeValueSpec {
    /// The value.
    pub value: String,
    /// Relative weight.
    pub weight: f64,
    /// Requirements an interaction with this value has (e.g. language skills).
    #[serde(default)]
    pub requires: Vec<SkillLevel>,
}

/// A customer attribute drawn from given proportions (region, language, segment…).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    /// The attribute's key.
    pub key: String,
    /// Its values.
    pub values: Vec<AttributeValueSpec>,
}

/// A stream of arrivals into one queue on one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalSpec {
    /// The queue.
    pub queue: u64,
    /// The channel.
    pub channel: Channel,
    /// Poisson rate per hour for each curve interval in turn; one value is a
    /// constant rate; the last value holds after the list ends.
    pub per_hour: Vec<f64>,
    /// Length of each curve interval.
    #[serde(default = "sixty")]
    pub curve_interval_min: u32,
    /// Interactions already waiting at the start (a backlog).
    #[serde(default)]
    pub backlog: u32,
    /// Talk (or handling) time.
    pub handle: Distribution,
    /// How long a customer waits before giving up; `None` never abandons.
    #[serde(default)]
    pub patience: Option<Distribution>,
    /// Base priority.
    #[serde(default)]
    pub priority: i32,
    /// Customer attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeSpec>,
}

fn sixty() -> u32 {
    60
}

/// A whole simulated period.
///
/// # Example
/// ```
/// use switchboard::sim::Scenario;
///
/// let day = Scenario::builtin_day();
/// assert!(day.validate().is_ok());
/// let json = serde_json::to_string(&day).unwrap();
/// assert_eq!(serde_json::from_str::<Scenario>(&json).unwrap(), day);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports.
    pub name: String,
    /// When the period starts (RFC 3339).
    pub start: DateTime<Utc>,
    /// How long it lasts.
    pub duration_min: u32,
    /// The first minutes left out of the figures (a queue starting empty is not typical).
    #[serde(default)]
    pub warm_up_min: u32,
    /// Report interval length (15, 30 or 60 are usual).
    #[serde(default = "fifteen")]
    pub interval_min: u32,
    /// Offer timeout.
    #[serde(default = "twenty")]
    pub offer_timeout_secs: u64,
    /// Probability that an agent misses (does not answer) an offer.
    #[serde(default)]
    pub missed_offer_probability: f64,
    /// Time an agent takes to accept an offer they answer.
    #[serde(default = "instant")]
    pub answer_delay: Distribution,
    /// Skills.
    pub skills: Vec<SkillSpec>,
    /// Queues.
    pub queues: Vec<QueueSpec>,
    /// Agent groups.
    pub agent_groups: Vec<AgentGroupSpec>,
    /// Arrival streams.
    pub arrivals: Vec<ArrivalSpec>,
}

fn fifteen() -> u32 {
    15
}

fn twenty() -> u64 {
    20
}

fn instant() -> Distribution {
    Distribution::Fixed { secs: 0.0 }
}

/// Why a scenario cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// A field is out of range or inconsistent.
    #[error("scenario field {field}: {problem}")]
    Invalid {
        /// Which field, as a path (`arrivals[0].handle.mean_secs`).
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The engine refused the topology the scenario describes.
    #[error("the engine refused the scenario's {what}: {error}")]
    Refused {
        /// What was being set up.
        what: String,
        /// The engine's error.
        error: crate::error::CommandError,
    },
    /// The scenario file is not valid JSON for a scenario: malformed JSON, a
    /// misspelt or unknown field, a missing field or a value of the wrong type.
    #[error("scenario file, {path} (line {line}, column {column}): {message}")]
    Parse {
        /// Where in the scenario, as a path (`arrivals[0].handle.mean_secs`;
        /// `.` for the top level).
        path: String,
        /// The line of the file, from 1.
        line: usize,
        /// The column of the line, from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid { field: field.into(), problem: problem.into() }
}

impl Scenario {
    /// Parses a scenario from JSON and validates it.
    ///
    /// Unknown fields are refused (a misspelt optional field would otherwise
    /// be silently ignored), and every error names the field's path.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] for malformed JSON, unknown or missing fields
    /// and values of the wrong type; [`ScenarioError::Invalid`] for nonsense
    /// values (see [`Scenario::validate`]).
    ///
    /// # Example
    /// ```
    /// use switchboard::sim::{BUILTIN_DAY, Scenario, ScenarioError};
    ///
    /// let misspelt = BUILTIN_DAY.replacen("\"warm_up_min\"", "\"warmup_min\"", 1);
    /// match Scenario::from_json(&misspelt) {
    ///     Err(ScenarioError::Parse { path, message, .. }) => {
    ///         assert_eq!(path, "warmup_min");
    ///         assert!(message.contains("unknown field"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn from_json(json: &str) -> Result<Scenario, ScenarioError> {
        let parse_error = |path: String, inner: serde_json::Error| {
            let (line, column) = (inner.line(), inner.column());
            let message = inner.to_string();
            // The position has fields of its own; keep the message without it.
            let suffix = format!(" at line {line} column {column}");
            let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
            ScenarioError::Parse { path, line, column, message }
        };
        let mut de = serde_json::Deserializer::from_str(json);
        let s: Scenario = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            parse_error(path, e.into_inner())
        })?;
        // Anything after the scenario is an error too, as in `serde_json::from_str`.
        de.end().map_err(|e| parse_error(".".to_string(), e))?;
        s.validate()?;
        Ok(s)
    }

    /// Checks the values the engine does not check itself (rates, distributions, times).
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the first bad field.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.duration_min == 0 {
            return Err(invalid("duration_min", "must be at least 1"));
        }
        if self.warm_up_min >= self.duration_min {
            return Err(invalid("warm_up_min", "must be shorter than the period"));
        }
        if self.interval_min == 0 || self.interval_min > 1_440 {
            return Err(invalid("interval_min", "must be 1 to 1440"));
        }
        if self.offer_timeout_secs == 0 {
            return Err(invalid("offer_timeout_secs", "must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.missed_offer_probability) {
            return Err(invalid("missed_offer_probability", "must be within 0 and 1"));
        }
        if let Some(p) = self.answer_delay.problem() {
            return Err(invalid("answer_delay", p));
        }
        for (i, g) in self.agent_groups.iter().enumerate() {
            let end = g.shift_end_min.unwrap_or(self.duration_min);
            if g.shift_start_min >= end {
                return Err(invalid(format!("agent_groups[{i}].shift"), "must start before it ends"));
            }
            if g.breaks.iter().any(|b| b.stagger_groups == 0 || b.duration_min == 0) {
                return Err(invalid(
                    format!("agent_groups[{i}].breaks"),
                    "need a duration and at least one stagger group",
                ));
            }
        }
        for (i, a) in self.arrivals.iter().enumerate() {
            let field = |f: &str| format!("arrivals[{i}].{f}");
            if a.per_hour.is_empty() || a.per_hour.iter().any(|r| !r.is_finite() || *r < 0.0) {
                return Err(invalid(field("per_hour"), "needs at least one finite rate ≥ 0"));
            }
            match self.queues.iter().find(|q| q.id == a.queue) {
                None => return Err(invalid(field("queue"), format!("no queue {}", a.queue))),
                Some(q) if !q.channels.contains(&a.channel) => {
                    return Err(invalid(field("channel"), format!("queue {} does not take {}", a.queue, a.channel)));
                }
                Some(_) => {}
            }
            if a.curve_interval_min == 0 {
                return Err(invalid(field("curve_interval_min"), "must be at least 1"));
            }
            if let Some(p) = a.handle.problem() {
                return Err(invalid(field("handle"), p));
            }
            if let Some(p) = a.patience.as_ref().and_then(Distribution::problem) {
                return Err(invalid(field("patience"), p));
            }
            for attr in &a.attributes {
                let total: f64 = attr.values.iter().map(|v| v.weight).sum();
                if attr.values.iter().any(|v| !v.weight.is_finite() || v.weight < 0.0) || total <= 0.0 {
                    return Err(invalid(
                        field("attributes"),
                        format!("weights of {} must be ≥ 0 and not all 0", attr.key),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A single queue, identical agents, Poisson arrivals and exponential
    /// handle times (and exponential patience, if given): the M/M/c (Erlang C)
    /// or M/M/c+M (Erlang A) system, for checking the simulator against theory.
    pub fn single_queue(
        agents: u32,
        calls_per_hour: f64,
        aht_secs: f64,
        patience_secs: Option<f64>,
        hours: u32,
    ) -> Scenario {
        Scenario {
            name: format!("M/M/{agents}{}", if patience_secs.is_some() { "+M" } else { "" }),
            start: DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            duration_min: hours * 60,
            warm_up_min: 60,
            interval_min: 60,
            offer_timeout_secs: 3_600,
            missed_offer_probability: 0.0,
            answer_delay: instant(),
            skills: Vec::new(),
            queues: vec![QueueSpec {
                id: 1,
                name: "single".into(),
                channels: vec![Channel::Voice],
                requirements: Vec::new(),
                sla: SlaSpec { percent: 80, secs: 20 },
                strategy: AgentSelection::LongestIdle,
                wrap_up_secs: 0,
                priority: 0,
                aging_per_minute: 0,
            }],
            agent_groups: vec![AgentGroupSpec {
                name: "agents".into(),
                count: agents,
                skills: Vec::new(),
                total_units: 1,
                capacity: vec![ChannelCapacitySpec { channel: Channel::Voice, max: 1, units: 1, exclusive: false }],
                queues: vec![MembershipSpec { queue: 1, priority: None, delay_secs: 0 }],
                shift_start_min: 0,
                shift_end_min: None,
                breaks: Vec::new(),
            }],
            arrivals: vec![ArrivalSpec {
                queue: 1,
                channel: Channel::Voice,
                per_hour: vec![calls_per_hour],
                curve_interval_min: 60,
                backlog: 0,
                handle: Distribution::Exponential { mean_secs: aht_secs },
                patience: patience_secs.map(|mean_secs| Distribution::Exponential { mean_secs }),
                priority: 0,
                attributes: Vec::new(),
            }],
        }
    }

    /// The built-in realistic day (08:00–20:00): a blended center with voice
    /// in two skills (billing, technical) and two languages (English,
    /// Spanish), chat with multitasking, an e-mail backlog worked in idle
    /// time, a morning and an afternoon peak, and staggered lunch breaks.
    pub fn builtin_day() -> Scenario {
        serde_json::from_str(BUILTIN_DAY).expect("the built-in scenario is valid JSON (tested)")
    }
}

/// The built-in day, as the JSON a user would write (also shown in the README).
pub const BUILTIN_DAY: &str = include_str!("builtin_day.json");
