//! What the statistics measure, and how: built once, checked once.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{FixedOffset, TimeZone};
use serde::{Deserialize, Serialize};

use super::cost::CostModel;
use super::error::StatsConfigError;
use super::history::RetentionPolicy;
use super::interval::{IntervalLength, IntervalSchedule};
use crate::engine::Engine;
use crate::ids::QueueId;
use crate::model::channel::Channel;
use crate::sla::{ResponseClock, ResponseTarget, ServiceLevelDefinition, ServiceLevelFormula};

/// The most service-level definitions one queue may carry.
pub const MAX_SERVICE_LEVEL_DEFINITIONS: usize = 8;

/// How one queue is measured, overriding the statistics-wide defaults.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::*;
/// use switchboard::*;
///
/// // Our own 80/20 next to the 90/30 "answered ÷ answered" figure of the old platform.
/// let sales = QueueMeasurement::new()
///     .with_service_level(ServiceLevelDefinition::new(ServiceLevelFormula::OfOffered, ServiceLevelTarget::new(80, Duration::from_secs(20))))
///     .with_service_level(
///         ServiceLevelDefinition::new(ServiceLevelFormula::OfAnswered, ServiceLevelTarget::new(90, Duration::from_secs(30)))
///             .with_short_abandon(Duration::from_secs(5)),
///     )
///     .with_response_target(Channel::Callback, ResponseTarget::new(90, Duration::from_secs(900), ResponseMeasure::Answered));
/// assert_eq!(sales.service_levels.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueMeasurement {
    /// Service-level definitions, the first being the primary one. Empty
    /// means one definition: the statistics' default formula and short-abandon
    /// threshold against the queue's own [`ServiceLevelTarget`](crate::ServiceLevelTarget).
    pub service_levels: Vec<ServiceLevelDefinition>,
    /// Response targets per channel, overriding the statistics-wide ones.
    pub response_targets: Vec<(Channel, ResponseTarget)>,
}

impl QueueMeasurement {
    /// No override: the defaults apply.
    pub fn new() -> Self {
        QueueMeasurement::default()
    }

    /// Adds a service-level definition (the first one added is the primary one).
    pub fn with_service_level(mut self, definition: ServiceLevelDefinition) -> Self {
        self.service_levels.push(definition);
        self
    }

    /// Sets the response target of a channel in this queue.
    pub fn with_response_target(mut self, channel: Channel, target: ResponseTarget) -> Self {
        self.response_targets.retain(|(c, _)| *c != channel);
        self.response_targets.push((channel, target));
        self
    }
}

/// The configuration of [`Statistics`](crate::stats::Statistics), built with
/// [`StatsConfig::builder`].
///
/// `Tz` is the time zone report intervals are aligned in: [`FixedOffset`] by
/// default, or any chrono [`TimeZone`].
#[derive(Clone, Debug)]
pub struct StatsConfig<Tz: TimeZone = FixedOffset> {
    pub(crate) schedule: IntervalSchedule<Tz>,
    pub(crate) formula: ServiceLevelFormula,
    pub(crate) short_abandon: Duration,
    pub(crate) queues: BTreeMap<QueueId, QueueMeasurement>,
    pub(crate) response_targets: BTreeMap<Channel, ResponseTarget>,
    pub(crate) breakdowns: Vec<String>,
    pub(crate) max_breakdown_values: usize,
    pub(crate) cost: CostModel,
    pub(crate) retention: RetentionPolicy,
    pub(crate) keep_history: bool,
    pub(crate) keep_records: bool,
    pub(crate) max_pending_records: usize,
    pub(crate) max_pending_reports: usize,
    pub(crate) max_offers_per_record: usize,
}

impl StatsConfig<FixedOffset> {
    /// A builder starting from the defaults: 15-minute intervals in UTC,
    /// [`ServiceLevelFormula::OfOffered`], no short abandons, no breakdowns,
    /// no costs, in-memory history kept 60 days (at most 100,000 entries),
    /// records kept for [`poll_record`](crate::stats::Statistics::poll_record).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use chrono::FixedOffset;
    /// use switchboard::stats::*;
    /// use switchboard::*;
    ///
    /// let config = StatsConfig::builder()
    ///     .intervals(IntervalLength::HALF_HOUR)
    ///     .time_zone(FixedOffset::east_opt(2 * 3600).unwrap())
    ///     .formula(ServiceLevelFormula::IgnoringAbandonedWithin)
    ///     .short_abandon(Duration::from_secs(5))
    ///     .response_target(Channel::Email, ResponseTarget::new(90, Duration::from_secs(4 * 3600), ResponseMeasure::Completed))
    ///     .breakdown_by("region")
    ///     .build()?;
    /// assert_eq!(config.intervals(), IntervalLength::HALF_HOUR);
    /// # Ok::<(), StatsConfigError>(())
    /// ```
    pub fn builder() -> StatsConfigBuilder<FixedOffset> {
        StatsConfigBuilder {
            config: StatsConfig {
                schedule: IntervalSchedule::new(
                    IntervalLength::QUARTER_HOUR,
                    FixedOffset::east_opt(0).expect("zero is a valid offset"),
                ),
                formula: ServiceLevelFormula::default(),
                short_abandon: Duration::ZERO,
                queues: BTreeMap::new(),
                response_targets: BTreeMap::new(),
                breakdowns: Vec::new(),
                max_breakdown_values: 1_000,
                cost: CostModel::new(),
                retention: RetentionPolicy::default(),
                keep_history: true,
                keep_records: true,
                max_pending_records: 100_000,
                max_pending_reports: 10_000,
                max_offers_per_record: 64,
            },
        }
    }
}

impl Default for StatsConfig<FixedOffset> {
    fn default() -> Self {
        StatsConfig::builder().build().expect("the defaults are valid")
    }
}

impl<Tz: TimeZone> StatsConfig<Tz> {
    /// The interval length.
    pub fn intervals(&self) -> IntervalLength {
        self.schedule.length()
    }

    /// The interval schedule.
    pub fn schedule(&self) -> &IntervalSchedule<Tz> {
        &self.schedule
    }

    /// The default service-level formula.
    pub fn formula(&self) -> ServiceLevelFormula {
        self.formula
    }

    /// The default short-abandon threshold.
    pub fn short_abandon(&self) -> Duration {
        self.short_abandon
    }

    /// The cost model.
    pub fn cost(&self) -> &CostModel {
        &self.cost
    }

    /// The history retention policy (of the in-memory store).
    pub fn retention(&self) -> RetentionPolicy {
        self.retention
    }

    /// The breakdown attribute keys.
    pub fn breakdowns(&self) -> &[String] {
        &self.breakdowns
    }

    /// The response target of a channel in a queue: the queue's own, else the statistics-wide one.
    pub fn response_target(&self, queue: QueueId, channel: Channel) -> Option<ResponseTarget> {
        self.queues
            .get(&queue)
            .and_then(|m| m.response_targets.iter().find(|(c, _)| *c == channel).map(|(_, t)| *t))
            .or_else(|| self.response_targets.get(&channel).copied())
    }

    /// Checks that every calendar a response target names
    /// ([`ResponseClock::BusinessHours`]) is in `engine`: call it once the
    /// engine is configured (calendars are added by commands, so a
    /// configuration cannot check them when it is built). A target whose
    /// calendar is missing counts wall-clock time instead, as
    /// [`ResponseClock`] documents; this finds it before it does.
    /// [`ResponseClock::QueueBusinessHours`] needs no check: a queue's
    /// calendar always exists in its engine.
    ///
    /// # Errors
    /// [`StatsConfigError::UnknownCalendar`] for the first such target,
    /// statistics-wide targets first, by channel, then queues' own, by queue.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::stats::*;
    /// use switchboard::*;
    ///
    /// let four_business_hours =
    ///     ResponseTarget::new(90, Duration::from_secs(4 * 3600), ResponseMeasure::Completed).counting_business_hours(CalendarId(1));
    /// let config = StatsConfig::builder().response_target(Channel::Email, four_business_hours).build()?;
    /// let mut engine = Engine::new(EngineConfig::default());
    /// assert_eq!(
    ///     config.check_calendars(&engine),
    ///     Err(StatsConfigError::UnknownCalendar { calendar: CalendarId(1), queue: None, channel: Channel::Email })
    /// );
    /// let hours = BusinessHours::new("Europe/Berlin");
    /// engine.handle(Command::AddCalendar { calendar: CalendarId(1), hours }, Timestamp::from_secs(1_700_000_000)).unwrap();
    /// assert_eq!(config.check_calendars(&engine), Ok(()));
    /// # Ok::<(), StatsConfigError>(())
    /// ```
    pub fn check_calendars(&self, engine: &Engine) -> Result<(), StatsConfigError> {
        let wide = self.response_targets.iter().map(|(c, t)| (None, *c, t));
        let own = self.queues.iter().flat_map(|(q, m)| m.response_targets.iter().map(|(c, t)| (Some(*q), *c, t)));
        for (queue, channel, target) in wide.chain(own) {
            if let ResponseClock::BusinessHours(calendar) = target.clock() {
                if engine.calendar(calendar).is_none() {
                    return Err(StatsConfigError::UnknownCalendar { calendar, queue, channel });
                }
            }
        }
        Ok(())
    }
}

/// Builds a [`StatsConfig`], checking it once at the end.
#[derive(Clone, Debug)]
pub struct StatsConfigBuilder<Tz: TimeZone = FixedOffset> {
    config: StatsConfig<Tz>,
}

impl<Tz: TimeZone> StatsConfigBuilder<Tz> {
    /// Sets the report interval length (15 minutes by default).
    pub fn intervals(mut self, length: IntervalLength) -> Self {
        self.config.schedule = IntervalSchedule::new(length, self.config.schedule.zone().clone());
        self
    }

    /// Sets the time zone intervals are aligned in (UTC by default).
    pub fn time_zone<Tz2: TimeZone>(self, zone: Tz2) -> StatsConfigBuilder<Tz2> {
        let c = self.config;
        StatsConfigBuilder {
            config: StatsConfig {
                schedule: IntervalSchedule::new(c.schedule.length(), zone),
                formula: c.formula,
                short_abandon: c.short_abandon,
                queues: c.queues,
                response_targets: c.response_targets,
                breakdowns: c.breakdowns,
                max_breakdown_values: c.max_breakdown_values,
                cost: c.cost,
                retention: c.retention,
                keep_history: c.keep_history,
                keep_records: c.keep_records,
                max_pending_records: c.max_pending_records,
                max_pending_reports: c.max_pending_reports,
                max_offers_per_record: c.max_offers_per_record,
            },
        }
    }

    /// Sets the default formula: of the queues' default definitions, and of
    /// the channel, skill and attribute service levels.
    pub fn formula(mut self, formula: ServiceLevelFormula) -> Self {
        self.config.formula = formula;
        self
    }

    /// Sets the default short-abandon threshold (none by default).
    pub fn short_abandon(mut self, threshold: Duration) -> Self {
        self.config.short_abandon = threshold;
        self
    }

    /// Measures one queue its own way.
    pub fn queue(mut self, queue: QueueId, measurement: QueueMeasurement) -> Self {
        self.config.queues.insert(queue, measurement);
        self
    }

    /// Sets the response target of a channel in every queue (unless a queue sets its own).
    /// Contacts with a response target are measured by it instead of the service-level definitions.
    pub fn response_target(mut self, channel: Channel, target: ResponseTarget) -> Self {
        self.config.response_targets.insert(channel, target);
        self
    }

    /// Breaks contact figures down by the values of a host attribute (region, language, …).
    pub fn breakdown_by(mut self, key: impl Into<String>) -> Self {
        self.config.breakdowns.push(key.into());
        self
    }

    /// The most distinct values kept per breakdown key and interval (1,000
    /// by default); further values are counted as [`BreakdownValue::Other`](crate::stats::BreakdownValue::Other).
    pub fn max_breakdown_values(mut self, max: usize) -> Self {
        self.config.max_breakdown_values = max;
        self
    }

    /// Sets the cost model.
    pub fn cost(mut self, model: CostModel) -> Self {
        self.config.cost = model;
        self
    }

    /// Sets the retention of the in-memory contact history.
    pub fn retention(mut self, policy: RetentionPolicy) -> Self {
        self.config.retention = policy;
        self
    }

    /// Keeps (the default) or turns off the contact history.
    pub fn keep_history(mut self, keep: bool) -> Self {
        self.config.keep_history = keep;
        self
    }

    /// Keeps (the default) or drops finished interaction records; when off,
    /// [`poll_record`](crate::stats::Statistics::poll_record) returns nothing.
    pub fn keep_records(mut self, keep: bool) -> Self {
        self.config.keep_records = keep;
        self
    }

    /// The most finished records waiting to be polled (100,000 by default);
    /// beyond it the oldest is dropped and counted.
    pub fn max_pending_records(mut self, max: usize) -> Self {
        self.config.max_pending_records = max;
        self
    }

    /// The most closed interval reports waiting to be polled (10,000 by
    /// default); beyond it the oldest is dropped and counted.
    pub fn max_pending_reports(mut self, max: usize) -> Self {
        self.config.max_pending_reports = max;
        self
    }

    /// The most offers, visits and transfers listed in one record (64 by
    /// default); the totals are always counted.
    pub fn max_offers_per_record(mut self, max: usize) -> Self {
        self.config.max_offers_per_record = max;
        self
    }

    /// Checks and returns the configuration.
    ///
    /// # Errors
    /// A [`StatsConfigError`] for a zero limit, an empty or repeated
    /// breakdown key, or a queue with too many service-level definitions.
    pub fn build(self) -> Result<StatsConfig<Tz>, StatsConfigError> {
        let c = &self.config;
        for (value, what) in [
            (c.max_breakdown_values, "max_breakdown_values"),
            (c.max_pending_records, "max_pending_records"),
            (c.max_pending_reports, "max_pending_reports"),
            (c.max_offers_per_record, "max_offers_per_record"),
        ] {
            if value == 0 {
                return Err(StatsConfigError::ZeroLimit(what));
            }
        }
        for (i, key) in c.breakdowns.iter().enumerate() {
            if key.is_empty() {
                return Err(StatsConfigError::EmptyBreakdownKey);
            }
            if c.breakdowns[..i].contains(key) {
                return Err(StatsConfigError::DuplicateBreakdownKey(key.clone()));
            }
        }
        for (queue, m) in &c.queues {
            if m.service_levels.len() > MAX_SERVICE_LEVEL_DEFINITIONS {
                return Err(StatsConfigError::TooManyDefinitions {
                    queue: *queue,
                    count: m.service_levels.len(),
                    max: MAX_SERVICE_LEVEL_DEFINITIONS,
                });
            }
        }
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_refuses_nonsense() {
        let too_many =
            (0..9).fold(QueueMeasurement::new(), |m, _| m.with_service_level(ServiceLevelDefinition::default()));
        let cases = [
            (StatsConfig::builder().max_pending_records(0), StatsConfigError::ZeroLimit("max_pending_records")),
            (StatsConfig::builder().breakdown_by(""), StatsConfigError::EmptyBreakdownKey),
            (
                StatsConfig::builder().breakdown_by("a").breakdown_by("a"),
                StatsConfigError::DuplicateBreakdownKey("a".into()),
            ),
            (
                StatsConfig::builder().queue(QueueId(3), too_many),
                StatsConfigError::TooManyDefinitions { queue: QueueId(3), count: 9, max: 8 },
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(builder.build().unwrap_err(), expected);
        }
    }

    #[test]
    fn queue_response_targets_override_the_channel_default() {
        let email = ResponseTarget::new(80, Duration::from_secs(3600), crate::sla::ResponseMeasure::Completed);
        let vip = ResponseTarget::new(95, Duration::from_secs(600), crate::sla::ResponseMeasure::Completed);
        let config = StatsConfig::builder()
            .response_target(Channel::Email, email)
            .queue(QueueId(2), QueueMeasurement::new().with_response_target(Channel::Email, vip))
            .build()
            .unwrap();
        assert_eq!(config.response_target(QueueId(1), Channel::Email), Some(email));
        assert_eq!(config.response_target(QueueId(2), Channel::Email), Some(vip));
        assert_eq!(config.response_target(QueueId(2), Channel::Voice), None);
    }
}
