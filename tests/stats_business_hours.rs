//! Measurement scenarios for business-hours response clocks (issue #12 §4) and for how the
//! service-level formulas count contacts that leave a queue unanswered (issue #12 §5): every
//! figure computed by hand, through the public API only.
//!
//! The office is open 09:00–18:00 on weekdays in Europe/Berlin: CET (UTC+1) in winter, CEST
//! (UTC+2) from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC.

use crate::common;

use std::time::Duration;

use chrono::Weekday;
use common::*;
use switchboard::stats::*;
use switchboard::*;

const WORKDAYS: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
const OFFICE: CalendarId = CalendarId(1);
/// The office's hours plus a line open all Sunday, 00:00–24:00 local time: 23 h on the
/// spring-forward Sunday, 25 h on the fall-back one.
const SUNDAY_LINE: CalendarId = CalendarId(2);
const HOUR: Duration = Duration::from_secs(3_600);

fn utc(text: &str) -> Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(text).expect("a test time");
    Timestamp::from_millis(t.timestamp_millis())
}

fn office() -> BusinessHours {
    BusinessHours::new("Europe/Berlin").open_days(WORKDAYS, LocalTime::hm(9, 0), LocalTime::hm(18, 0))
}

fn sunday_line() -> BusinessHours {
    office().open(Weekday::Sun, LocalTime::hm(0, 0), LocalTime::END_OF_DAY)
}

fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3_600)
}

fn email_target(within: Duration, measure: ResponseMeasure) -> ResponseTarget {
    ResponseTarget::new(90, within, measure)
}

fn stats_with(target: ResponseTarget) -> StatsConfig {
    StatsConfig::builder().intervals(IntervalLength::DAY).response_target(Channel::Email, target).build().unwrap()
}

/// One engine and several statistics fed from the same events, each right after its command,
/// with the engine as it is then (the run-loop rule).
struct Floor {
    h: Harness,
    stats: Vec<Statistics>,
    fed: usize,
}

impl Floor {
    fn new(h: Harness, configs: Vec<StatsConfig>) -> Self {
        Floor { h, stats: configs.into_iter().map(Statistics::new).collect(), fed: 0 }
    }

    /// A floor whose clock starts at `start`, with both calendars added.
    fn at_start(start: &str, configs: Vec<StatsConfig>) -> Self {
        let mut h = harness();
        h.now = utc(start);
        let mut f = Floor::new(h, configs);
        f.cmd(Command::AddCalendar { calendar: OFFICE, hours: office() });
        f.cmd(Command::AddCalendar { calendar: SUNDAY_LINE, hours: sunday_line() });
        f
    }

    fn feed(&mut self) {
        for event in &self.h.log[self.fed..] {
            for s in &mut self.stats {
                s.observe(event, &self.h.engine);
            }
        }
        self.fed = self.h.log.len();
    }

    fn at(&mut self, text: &str) -> &mut Self {
        self.at_time(utc(text))
    }

    fn at_time(&mut self, t: Timestamp) -> &mut Self {
        self.h.at_time(t);
        self.feed();
        for s in &mut self.stats {
            s.advance(t);
        }
        self
    }

    fn cmd(&mut self, command: Command) -> &mut Self {
        self.h.cmd(command);
        self.feed();
        self
    }

    fn arrive(&mut self, id: u64, channel: Channel, queue: u64) -> &mut Self {
        self.h.arrive(id, channel, queue);
        self.feed();
        self
    }

    fn add_agent(&mut self, config: AgentConfig) -> &mut Self {
        self.h.add_agent(config);
        self.feed();
        self
    }

    fn accept(&mut self, id: u64) -> &mut Self {
        self.h.accept(id);
        self.feed();
        self
    }

    fn complete(&mut self, id: u64) -> &mut Self {
        self.h.complete(id);
        self.feed();
        self
    }

    fn queue(&self, stats: usize, queue: u64) -> ContactFigures {
        self.stats[stats].queue(QueueId(queue)).expect("the queue is measured")
    }

    /// The response of one interaction in each statistics, from its finished record.
    fn responses(&mut self) -> Vec<ResponseRecord> {
        self.stats
            .iter_mut()
            .map(|s| s.poll_record().expect("a finished record").response.expect("a measured response"))
            .collect()
    }
}

fn email_queue(id: u64) -> QueueConfig {
    queue(id, &[Channel::Email]).with_offer_timeout(hours(100))
}

/// The example. An e-mail arrives on Friday 2026-01-09 at 17:00 CET (16:00 UTC) in a queue
/// that follows the office's hours; the agent logs in on Monday at 09:00 CET, is offered it at
/// once, opens it at 09:05 and sends the reply at 09:30 CET (08:30 UTC). Business time: Friday
/// 17:00–18:00 plus Monday 09:00–09:30 = 1 h 30 min, within a 2-business-hour target. Wall-clock
/// time: 64 h 30 min, so the same target on the wall clock misses it. Every place a response figure
/// is reported agrees: the live counts and level, the target (with its clock), the record, and
/// the day's interval report.
#[test]
fn an_email_from_friday_evening_answered_monday_morning_takes_an_hour_and_a_half_of_business_time() {
    let business = email_target(hours(2), ResponseMeasure::Completed).counting_queue_business_hours();
    let wall = email_target(hours(2), ResponseMeasure::Completed);
    let mut f = Floor::at_start("2026-01-09T16:00:00Z", vec![stats_with(business), stats_with(wall)]);
    f.cmd(Command::AddQueue(email_queue(1).with_calendar(OFFICE, WhenClosed::Wait)));
    f.arrive(1, Channel::Email, 1);
    f.at("2026-01-12T08:00:00Z").add_agent(agent(1, Channel::Email, 1, &[1]));
    assert_eq!(f.h.offer_of(1).agent, AgentId(1), "offered at Monday's opening");
    f.at("2026-01-12T08:05:00Z").accept(1);
    f.at("2026-01-12T08:30:00Z").complete(1);

    let (b, w) = (f.queue(0, 1), f.queue(1, 1));
    assert_eq!(b.counters.response, ResponseCounts { responded: 1, responded_within: 1 }, "1 h 30 of business time");
    assert_eq!(w.counters.response, ResponseCounts { responded: 1, responded_within: 0 }, "64 h 30 on the wall clock");
    let (rb, rw) = (b.response.unwrap(), w.response.unwrap());
    assert_eq!((rb.target, rb.level.map(|l| (l.met, l.counted))), (Some(business), Some((1, 1))));
    assert_eq!((rw.target, rw.level.map(|l| (l.met, l.counted))), (Some(wall), Some((0, 1))));
    assert_eq!(rb.target.unwrap().clock(), ResponseClock::QueueBusinessHours);
    assert_eq!(f.stats[0].channel(Channel::Email).unwrap().counters.response.responded_within, 1);

    let [rb, rw] = f.responses()[..] else { panic!("two statistics") };
    let wall_time = 64 * HOUR + HOUR / 2;
    let fields = |r: &ResponseRecord| (r.queue, r.target, r.at, r.calendar, r.response, r.wall, r.within);
    let at = utc("2026-01-12T08:30:00Z");
    assert_eq!(fields(&rb), (QueueId(1), business, at, Some(OFFICE), HOUR + HOUR / 2, wall_time, true));
    assert_eq!(rb.response_time(), Duration::from_secs(5_400));
    assert_eq!(fields(&rw), (QueueId(1), wall, at, None, wall_time, wall_time, false));

    // The day's report (Monday, UTC) carries the same business-hours figure.
    f.at("2026-01-13T00:00:00Z");
    let reports: Vec<IntervalReport> = std::iter::from_fn(|| f.stats[0].poll_report()).collect();
    let monday = reports.iter().find(|r| r.start == utc("2026-01-12T00:00:00Z")).expect("Monday's report");
    assert_eq!(monday.queues[0].counters.response, ResponseCounts { responded: 1, responded_within: 1 });
    assert_eq!(monday.queues[0].response.unwrap().target, Some(business));
}

/// The same e-mail across the Europe/Berlin daylight-saving weekends of 2026, and an ordinary one
/// for contrast: it arrives on Friday at 17:00 local time, and the agent, logging in on Monday at
/// 09:30 local time, opens it at once (the response: `ResponseMeasure::Answered`). Three clocks
/// measure it side by side: the office's hours, the office's plus an all-day Sunday line, and the
/// wall clock. By hand:
///
/// | weekend | Friday 17:00 | Monday 09:30 | office | with the Sunday line | wall clock |
/// |---|---|---|---|---|---|
/// | spring forward, 2026-03-27 → 30 | 16:00 UTC (CET) | 07:30 UTC (CEST) | 1 h + 0 h 30 | 1 h + 23 h + 0 h 30 = 24 h 30 | 63 h 30 |
/// | fall back, 2026-10-23 → 26 | 15:00 UTC (CEST) | 08:30 UTC (CET) | 1 h + 0 h 30 | 1 h + 25 h + 0 h 30 = 26 h 30 | 65 h 30 |
/// | ordinary, 2026-01-09 → 12 | 16:00 UTC (CET) | 08:30 UTC (CET) | 1 h + 0 h 30 | 1 h + 24 h + 0 h 30 = 25 h 30 | 64 h 30 |
///
/// Against 2 office hours, 25 Sunday-line hours and 64 wall-clock hours, the spring e-mail meets
/// all three, the autumn one only the office's, the ordinary one only the office's.
#[test]
fn the_same_email_across_the_daylight_saving_weekends() {
    let office_target = email_target(hours(2), ResponseMeasure::Answered).counting_business_hours(OFFICE);
    let line_target = email_target(hours(25), ResponseMeasure::Answered).counting_business_hours(SUNDAY_LINE);
    let wall_target = email_target(hours(64), ResponseMeasure::Answered);
    let cases = [
        ("spring", "2026-03-27T16:00:00Z", "2026-03-30T07:30:00Z", [3, 49, 127], [true, true, true]),
        ("autumn", "2026-10-23T15:00:00Z", "2026-10-26T08:30:00Z", [3, 53, 131], [true, false, false]),
        ("ordinary", "2026-01-09T16:00:00Z", "2026-01-12T08:30:00Z", [3, 51, 129], [true, false, false]),
    ];
    for (name, friday, monday, half_hours, within) in cases {
        let configs = vec![stats_with(office_target), stats_with(line_target), stats_with(wall_target)];
        let mut f = Floor::at_start(friday, configs);
        f.cmd(Command::AddQueue(email_queue(1)));
        f.arrive(1, Channel::Email, 1);
        f.at(monday).add_agent(agent(1, Channel::Email, 1, &[1])).accept(1).complete(1);
        let got: Vec<(Duration, bool, Option<CalendarId>)> =
            f.responses().iter().map(|r| (r.response, r.within, r.calendar)).collect();
        let expected: Vec<(Duration, bool, Option<CalendarId>)> = half_hours
            .iter()
            .zip(within)
            .zip([Some(OFFICE), Some(SUNDAY_LINE), None])
            .map(|((h, w), c)| (*h * HOUR / 2, w, c))
            .collect();
        assert_eq!(got, expected, "{name}: office, Sunday line, wall clock");
        for (i, w) in within.iter().enumerate() {
            assert_eq!(f.queue(i, 1).counters.response.responded_within, u64::from(*w), "{name}: statistics {i}");
        }
    }
}

/// A weekend on-call agent answers an e-mail on Saturday, while the office is closed: no business
/// time passes, so even a target of zero business time is met, while the wall clock counts 25 h
/// (Saturday 10:00 CET to Sunday 12:00 CEST, across the spring-forward night). The queue follows no
/// calendar, so it offers the e-mail on the weekend; the target names the office's calendar.
#[test]
fn a_response_entirely_while_closed_takes_no_business_time() {
    let zero = email_target(Duration::ZERO, ResponseMeasure::Completed).counting_business_hours(OFFICE);
    let day = email_target(hours(24), ResponseMeasure::Completed);
    let mut f = Floor::at_start("2026-03-28T09:00:00Z", vec![stats_with(zero), stats_with(day)]);
    f.cmd(Command::AddQueue(email_queue(1)));
    f.add_agent(agent(1, Channel::Email, 1, &[1]));
    f.arrive(1, Channel::Email, 1).accept(1);
    f.at("2026-03-29T10:00:00Z").complete(1);
    let [b, w] = f.responses()[..] else { panic!("two statistics") };
    assert_eq!((b.response, b.wall, b.within, b.calendar), (Duration::ZERO, 25 * HOUR, true, Some(OFFICE)));
    assert_eq!((w.response, w.within, w.calendar), (25 * HOUR, false, None));
    assert_eq!(f.queue(0, 1).response.unwrap().level.map(|l| (l.met, l.counted)), Some((1, 1)));
}

/// The overdue gauge runs on the target's clock too. Under "2 business hours" of the queue's own
/// calendar, an e-mail that arrived on Friday at 17:00 CET stays within target all weekend and
/// becomes overdue one millisecond after Monday 10:00 CET (09:00 UTC), when its second business
/// hour is over; on the wall clock it is overdue from Friday 19:00 CET. A queue that follows no
/// calendar is always open, so "the queue's business hours" are the wall clock there.
#[test]
fn overdue_counts_business_time_only() {
    let business = email_target(hours(2), ResponseMeasure::Completed).counting_queue_business_hours();
    let wall = email_target(hours(2), ResponseMeasure::Completed);
    let mut f = Floor::at_start("2026-01-09T16:00:00Z", vec![stats_with(business), stats_with(wall)]);
    f.cmd(Command::AddQueue(email_queue(1).with_calendar(OFFICE, WhenClosed::Wait)));
    f.cmd(Command::AddQueue(email_queue(2)));
    f.arrive(1, Channel::Email, 1).arrive(2, Channel::Email, 2);
    let overdue = |f: &Floor| -> [u64; 3] {
        [f.queue(0, 1).in_queue.overdue, f.queue(0, 2).in_queue.overdue, f.queue(1, 1).in_queue.overdue]
    };
    let steps = [
        ("2026-01-09T18:00:00Z", [0, 0, 0]),
        ("2026-01-09T18:00:00.001Z", [0, 1, 1]),
        ("2026-01-12T08:59:59.999Z", [0, 1, 1]),
        ("2026-01-12T09:00:00Z", [0, 1, 1]),
        ("2026-01-12T09:00:00.001Z", [1, 1, 1]),
    ];
    for (at, expected) in steps {
        f.at(at);
        assert_eq!(overdue(&f), expected, "at {at}: queue 1 in business hours, queue 2 without a calendar, wall clock");
    }
}

/// A target naming a calendar the engine does not have is a typed error from
/// `StatsConfig::check_calendars`; left unchecked, it measures on the wall clock (and the record
/// says so) instead of panicking. Adding the calendar later makes the same target count business
/// hours from then on.
#[test]
fn an_unknown_calendar_is_a_typed_error_and_otherwise_falls_back_to_the_wall_clock() {
    const MISSING: CalendarId = CalendarId(99);
    let target = email_target(hours(2), ResponseMeasure::Answered).counting_business_hours(MISSING);
    let queue_own = email_target(hours(2), ResponseMeasure::Answered).counting_business_hours(CalendarId(98));
    let config = StatsConfig::builder()
        .intervals(IntervalLength::DAY)
        .response_target(Channel::Email, target)
        .queue(QueueId(2), QueueMeasurement::new().with_response_target(Channel::Email, queue_own))
        .build()
        .unwrap();
    let mut f = Floor::at_start("2026-01-09T16:00:00Z", vec![config.clone()]);
    assert_eq!(
        config.check_calendars(&f.h.engine),
        Err(StatsConfigError::UnknownCalendar { calendar: MISSING, queue: None, channel: Channel::Email })
    );
    let shown = config.check_calendars(&f.h.engine).unwrap_err().to_string();
    assert_eq!(
        shown,
        "the email response target counts the business hours of calendar cal99, which the engine does not have"
    );
    f.cmd(Command::AddQueue(email_queue(1)));
    f.arrive(1, Channel::Email, 1);
    f.at("2026-01-12T08:30:00Z").add_agent(agent(1, Channel::Email, 1, &[1])).accept(1).complete(1);
    let [r] = f.responses()[..] else { panic!("one statistics") };
    assert_eq!((r.calendar, r.response, r.within), (None, 64 * HOUR + HOUR / 2, false), "wall clock");

    f.cmd(Command::AddCalendar { calendar: MISSING, hours: office() });
    assert_eq!(
        config.check_calendars(&f.h.engine),
        Err(StatsConfigError::UnknownCalendar {
            calendar: CalendarId(98),
            queue: Some(QueueId(2)),
            channel: Channel::Email
        })
    );
    f.cmd(Command::AddCalendar { calendar: CalendarId(98), hours: office() });
    assert_eq!(config.check_calendars(&f.h.engine), Ok(()));
    f.arrive(2, Channel::Email, 1);
    f.at("2026-01-12T08:45:00Z").accept(2);
    let response = f.stats[0].live_record(InteractionId(2)).unwrap().response.unwrap();
    assert_eq!(
        (response.calendar, response.response, response.within),
        (Some(MISSING), Duration::from_secs(15 * 60), true)
    );
}

/// How each formula counts a contact that leaves queue 1 by each route the engine has, driven
/// through the engine (the unit test `every_way_of_leaving_in_every_formula` pins the same table
/// below the events). T = 20 s, short abandons under 5 s; every contact leaves after 10 s, within
/// T, so a flow-out that is still a miss shows it is counted as one at any wait.
#[test]
fn every_way_of_leaving_a_queue_in_every_formula_through_the_engine() {
    type Level = Option<(u64, u64)>;
    const MET: Level = Some((1, 1));
    const MISS: Level = Some((0, 1));
    const OUT: Level = None;
    const FLOW_OUT: [Level; 4] = [MISS, MISS, OUT, MISS];
    const NONE: [Level; 4] = [OUT; 4];
    #[derive(Clone, Copy, Debug)]
    enum Route {
        Answer,
        Abandon,
        Cancel,
        Transfer,
        ExceptionMove,
        ClosedMove,
        ClosedEnd,
        DeclinedOverflow,
        DeclinedEnd,
        Expiry,
    }
    type Field = fn(&ContactCounters) -> u64;
    let cases: [(Route, [Level; 4], Field); 10] = [
        (Route::Answer, [MET; 4], |c| c.answered),
        (Route::Abandon, [MISS, OUT, OUT, MET], |c| c.abandoned),
        (Route::Cancel, NONE, |c| c.cancelled),
        (Route::Transfer, FLOW_OUT, |c| c.transferred_out),
        (Route::ExceptionMove, FLOW_OUT, |c| c.transferred_out),
        (Route::ClosedMove, FLOW_OUT, |c| c.transferred_out),
        (Route::ClosedEnd, NONE, |c| c.closed),
        (Route::DeclinedOverflow, FLOW_OUT, |c| c.transferred_out),
        (Route::DeclinedEnd, NONE, |c| c.declined),
        (Route::Expiry, NONE, |c| c.expired),
    ];
    let target = ServiceLevelTarget::new(80, secs(20));
    let measurement = ServiceLevelFormula::ALL.iter().fold(QueueMeasurement::new(), |m, f| {
        m.with_service_level(ServiceLevelDefinition::new(*f, target).with_short_abandon(secs(5)))
    });
    let config = StatsConfig::builder().intervals(IntervalLength::DAY).queue(QueueId(1), measurement).build().unwrap();
    // Monday 17:59:50 UTC: a UTC calendar open until 18:00 closes ten seconds after the arrival.
    let start = utc("2026-01-05T17:59:50Z");
    let ten_s_later = utc("2026-01-05T18:00:00Z");
    for (route, expected, field) in cases {
        let engine = EngineConfig::builder().missed_offer_pause(None).never_reoffer_to_decliners(true).build().unwrap();
        let mut h = Harness::new(engine);
        h.now = start;
        let mut f = Floor::new(h, vec![config.clone()]);
        let day = BusinessHours::new("UTC").open_days(WORKDAYS, LocalTime::hm(9, 0), LocalTime::hm(18, 0));
        f.cmd(Command::AddCalendar { calendar: OFFICE, hours: day });
        f.cmd(Command::AddQueue(queue(9, &[Channel::Voice])));
        let q1 = queue(1, &[Channel::Voice]).with_offer_timeout(secs(600));
        let q1 = match route {
            Route::ExceptionMove => q1.with_exception_rules(vec![ExceptionRule::new(
                secs(10),
                ExceptionAction::Move { queue: QueueId(9), keep_place: true },
            )]),
            Route::ClosedMove => q1.with_calendar(OFFICE, WhenClosed::Move(QueueId(9))),
            Route::ClosedEnd => q1.with_calendar(OFFICE, WhenClosed::End),
            Route::DeclinedOverflow => q1.with_all_declined(AllDeclined::Overflow(QueueId(9))),
            Route::DeclinedEnd => q1.with_all_declined(AllDeclined::End),
            Route::Expiry => q1.with_time_to_live(secs(10)),
            _ => q1,
        };
        f.cmd(Command::AddQueue(q1));
        if matches!(route, Route::Answer | Route::DeclinedOverflow | Route::DeclinedEnd) {
            f.add_agent(agent(1, Channel::Voice, 1, &[1]));
        }
        f.arrive(1, Channel::Voice, 1);
        f.at_time(ten_s_later);
        match route {
            Route::Answer => {
                f.accept(1);
            }
            Route::Abandon => {
                f.cmd(Command::Abandon { interaction: InteractionId(1) });
            }
            Route::Cancel => {
                f.cmd(Command::Cancel { interaction: InteractionId(1) });
            }
            Route::Transfer => {
                f.cmd(Command::Transfer { interaction: InteractionId(1), queue: QueueId(9) });
            }
            Route::DeclinedOverflow | Route::DeclinedEnd => {
                let offer = f.h.offer_of(1);
                f.cmd(Command::Reject { agent: offer.agent, offer: offer.id });
            }
            // The engine moves or ends it by itself at 18:00:00.
            Route::ExceptionMove | Route::ClosedMove | Route::ClosedEnd | Route::Expiry => {}
        }
        let q = f.queue(0, 1);
        let got: Vec<Level> = q.service_levels.iter().map(|r| r.level.map(|l| (l.met, l.counted))).collect();
        assert_eq!(
            got, expected,
            "{route:?}: OfOffered, IgnoringAbandonedWithin, OfAnswered, CreditingAbandonedWithin"
        );
        assert_eq!((field(&q.counters), q.counters.offered, q.counters.left()), (1, 1, 1), "{route:?}: {q:#?}");
        let moved = expected == FLOW_OUT;
        let target_offered = f.stats[0].queue(QueueId(9)).map_or(0, |q| q.counters.offered);
        assert_eq!(target_offered, u64::from(moved), "{route:?}: a flow-out is offered again where it went");
    }
}
