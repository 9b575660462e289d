//! Interval reports: calendar alignment, the boundary convention, and what
//! carries over from one interval to the next.

use crate::common;

use std::time::Duration;

use chrono::FixedOffset;
use common::*;
use switchboard::stats::*;
use switchboard::*;

/// `secs` after the harness start, as a timestamp.
fn t(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1_000)
}

// T0 is 2023-11-14T22:13:20Z: the 22:00 quarter hour ends 100 s later.
const QUARTER_END: i64 = 100;

fn identity_holds(f: &ContactFigures) {
    let c = &f.counters;
    assert_eq!(
        f.in_queue.at_interval_start + c.offered,
        c.left() + f.in_queue.total(),
        "in queue at start + offered = left + in queue at end, for {:?}",
        f.scope
    );
}

#[test]
fn a_call_spanning_two_intervals_is_offered_in_the_first_and_answered_in_the_second() {
    let mut lab = Lab::new(StatsConfig::default());
    lab.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_offer_timeout(secs(600))));
    lab.h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    lab.feed();
    lab.at(90.0); // 22:14:50
    lab.h.arrive(1, Channel::Voice, 1);
    lab.feed();
    assert_eq!(lab.stats.interval(), Some((t(-800), t(QUARTER_END))));
    assert_eq!(lab.stats.next_interval_end(), Some(t(QUARTER_END)));
    lab.at(110.0); // 22:15:10: the 22:00 interval closed on the way
    lab.h.accept(1);
    lab.feed();
    lab.at(170.0);
    lab.h.complete(1);
    lab.feed();
    lab.at(1_000.0); // 22:30:00: the 22:15 interval closes exactly at its end

    let reports = lab.reports();
    assert_eq!(reports.len(), 2);
    let (first, second) = (&reports[0], &reports[1]);
    assert_eq!((first.start, first.end), (t(-800), t(QUARTER_END)));
    assert_eq!((second.start, second.end), (t(QUARTER_END), t(QUARTER_END + 900)));
    assert_eq!(first.local_start.unwrap().to_rfc3339(), "2023-11-14T22:00:00+00:00");

    let q1 = &first.queues[0];
    assert_eq!((q1.counters.offered, q1.counters.answered), (1, 0));
    assert_eq!((q1.in_queue.ringing, q1.in_queue.oldest_wait), (1, Some(secs(10))), "as at the interval's end");
    assert_eq!(q1.service_level(), None, "no outcome yet in the first interval");
    identity_holds(q1);

    let q2 = &second.queues[0];
    assert_eq!((q2.in_queue.at_interval_start, q2.counters.offered, q2.counters.answered), (1, 0, 1));
    assert_eq!(q2.counters.average_speed_of_answer(), Some(secs(20)), "the wait spans the boundary");
    assert_eq!(q2.service_level().map(|l| (l.met, l.counted)), Some((1, 1)));
    assert_eq!((q2.counters.handled, q2.counters.talk), (1, secs(60)));
    identity_holds(q2);
    for f in first.channels.iter().chain(&second.channels) {
        identity_holds(f);
    }

    // Agent 1 logged in at 0 s: 90 s available and 10 s ringing before the boundary.
    let a1 = first.agents[0].counters;
    assert_eq!((a1.available, a1.busy, a1.offers), (secs(90), secs(10), 1));
    let a2 = second.agents[0].counters;
    assert_eq!((a2.busy, a2.available, a2.accepted, a2.handled), (secs(70), secs(830), 1, 1));
    assert_eq!(a2.staffed(), secs(900));

    // The live view starts afresh: nothing counted since 22:30 yet.
    let live = lab.stats.queue(QueueId(1)).unwrap();
    assert_eq!(live.interval_start, t(1_000));
    assert_eq!(live.counters, ContactCounters::default());
    // Record and cost are booked where the interaction ended: the second interval.
    assert_eq!(second.cost.total.contacts, 1);
    assert_eq!(first.cost.total.contacts, 0);
}

#[test]
fn advance_closes_idle_intervals_and_reports_stay_additive() {
    let mut lab = Lab::new(StatsConfig::default());
    lab.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    lab.h.add_agent(agent(1, Channel::Chat, 1, &[1]));
    lab.feed();
    // Three quarter hours pass with no event at all.
    lab.at((QUARTER_END + 2 * 900) as f64);
    let reports = lab.reports();
    assert_eq!(reports.len(), 3);
    let staffed: Vec<Duration> = reports.iter().map(|r| r.agents[0].counters.staffed()).collect();
    assert_eq!(staffed, vec![secs(100), secs(900), secs(900)]);
    let mut total = AgentCounters::default();
    reports.iter().for_each(|r| total.merge(&r.agents[0].counters));
    assert_eq!(total.available, secs(1_900));
    assert_eq!(lab.stats.poll_report(), None);
    assert_eq!(lab.stats.dropped_reports(), 0);
}

#[test]
fn hourly_intervals_align_to_a_half_hour_zone() {
    let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let config = StatsConfig::builder().intervals(IntervalLength::HOUR).time_zone(india).build().unwrap();
    let mut engine = Engine::new(EngineConfig::default());
    let mut stats = Statistics::new(config);
    // 22:13:20Z is 03:43:20 IST: the 03:00–04:00 IST hour is 21:30–22:30Z.
    let now = t(0);
    engine.handle(Command::AddQueue(queue(1, &[Channel::Voice])), now).unwrap();
    while let Some(e) = engine.poll_event() {
        stats.observe(&e, &engine);
    }
    assert_eq!(stats.interval(), Some((t(-(43 * 60 + 20)), t(16 * 60 + 40))));
    stats.advance(t(16 * 60 + 40));
    let report = stats.poll_report().unwrap();
    assert_eq!(report.local_start.unwrap().to_rfc3339(), "2023-11-15T03:00:00+05:30");
    assert_eq!(report.queues.len(), 1);
}

#[test]
fn daily_reports_in_a_zone_and_report_export() {
    let paris = FixedOffset::east_opt(3600).unwrap();
    let config = StatsConfig::builder().intervals(IntervalLength::DAY).time_zone(paris).build().unwrap();
    let mut h = harness();
    let mut stats = Statistics::new(config);
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.arrive(1, Channel::Voice, 1);
    for e in &h.log {
        stats.observe(e, &h.engine);
    }
    // 22:13:20Z is 23:13:20 in Paris: the day ends at 23:00Z.
    let end = Timestamp::from_secs(1_700_002_800);
    assert_eq!(stats.next_interval_end(), Some(end));
    stats.advance(end);
    let report = stats.poll_report().unwrap();
    assert_eq!(report.end.millis_since(report.start), 86_400_000);
    assert_eq!(report.local_start.unwrap().to_rfc3339(), "2023-11-14T00:00:00+01:00");
    assert_eq!(report.queues[0].in_queue.waiting, 1);
    // The next day starts with the caller still waiting.
    assert_eq!(stats.queue(QueueId(1)).unwrap().in_queue.at_interval_start, 1);
    // Reports serialise (to JSON here) for a host's own storage.
    let json = serde_json::to_string(&report).unwrap();
    let back: IntervalReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn the_report_queue_is_bounded() {
    let config =
        StatsConfig::builder().intervals(IntervalLength::minutes(1).unwrap()).max_pending_reports(5).build().unwrap();
    let mut stats = Statistics::new(config);
    stats.advance(Timestamp::from_secs(0));
    stats.advance(Timestamp::from_secs(600));
    assert_eq!(stats.dropped_reports(), 5);
    let starts: Vec<i64> = std::iter::from_fn(|| stats.poll_report()).map(|r| r.start.as_millis() / 60_000).collect();
    assert_eq!(starts, vec![5, 6, 7, 8, 9], "the oldest are dropped first");
}
