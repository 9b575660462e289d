//! Overflows versus transfers (issue #12 §5): every way a contact can leave queue 1 for queue 9
//! by a move, driven through the engine and measured through the public API only. The host's
//! `Command::Transfer` counts in `transferred_out` alone; a move the engine made by a rule of
//! queue 1 (an exception rule, an admission rule, the closed queue's `WhenClosed::Move`, the
//! overflow after all declined) also in `overflowed_out`. Queue 9 counts each as offered and
//! `transferred_in`, the engine's also as `overflowed_in`. Every figure is by hand: one contact
//! per case, so each counter is 0 or 1.

use crate::common;

use chrono::Weekday;
use common::*;
use switchboard::stats::*;
use switchboard::*;

const WORKDAYS: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
const OFFICE: CalendarId = CalendarId(1);
const SOURCE: QueueId = QueueId(1);
const TARGET: QueueId = QueueId(9);

fn utc(text: &str) -> Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(text).expect("a test time");
    Timestamp::from_millis(t.timestamp_millis())
}

/// Monday 17:59:50 UTC: a UTC calendar open until 18:00 closes ten seconds after the arrival.
fn start() -> Timestamp {
    utc("2026-01-05T17:59:50Z")
}

fn ten_s_later() -> Timestamp {
    utc("2026-01-05T18:00:00Z")
}

/// One engine and its statistics, fed every event right after each command with the engine as
/// it is then (the run-loop rule). Statistics started late begin at event `fed`.
struct Floor {
    h: Harness,
    stats: Statistics,
    fed: usize,
}

impl Floor {
    fn feed(&mut self) {
        for event in &self.h.log[self.fed..] {
            self.stats.observe(event, &self.h.engine);
        }
        self.fed = self.h.log.len();
    }

    fn at(&mut self, t: Timestamp) -> &mut Self {
        self.h.at_time(t);
        self.feed();
        self.stats.advance(t);
        self
    }

    fn cmd(&mut self, command: Command) -> &mut Self {
        self.h.cmd(command);
        self.feed();
        self
    }

    fn counters(&self, queue: QueueId) -> ContactCounters {
        self.stats.queue(queue).map(|q| q.counters).unwrap_or_default()
    }
}

/// The interval identity of [`ContactCounters`]: in queue at start + offered = left + in queue at end.
fn identity_holds(f: &ContactFigures) -> bool {
    f.in_queue.at_interval_start + f.counters.offered == f.counters.left() + f.in_queue.total()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// The host transfers the waiting call.
    HostTransfer,
    /// The host transfers the call after an agent of queue 1 answered it: no flow-out of queue 1
    /// (answered there), but a transfer into queue 9.
    HostTransferAfterAnswer,
    /// An exception rule moves it after 10 s.
    ExceptionMove,
    /// An admission rule (queue length ≥ 0: always) moves it on arrival.
    AdmissionMove,
    /// Queue 1 closes at 18:00 and moves its real-time work to queue 9.
    ClosedMove,
    /// The only qualified agent rejects it; declined work is never re-offered, so it overflows.
    DeclinedOverflow,
    /// An e-mail waits in the closed queue (only real-time work meets `WhenClosed`) and the host
    /// transfers it to the very queue the closed queue moves calls to: still the host's.
    HostTransferOutOfClosedQueue,
}

/// (transferred_out, overflowed_out) in queue 1, (offered, transferred_in, overflowed_in) in queue 9.
type Expected = ((u64, u64), (u64, u64, u64));

const CASES: [(Route, Expected); 7] = [
    (Route::HostTransfer, ((1, 0), (1, 1, 0))),
    (Route::HostTransferAfterAnswer, ((0, 0), (1, 1, 0))),
    (Route::ExceptionMove, ((1, 1), (1, 1, 1))),
    (Route::AdmissionMove, ((1, 1), (1, 1, 1))),
    (Route::ClosedMove, ((1, 1), (1, 1, 1))),
    (Route::DeclinedOverflow, ((1, 1), (1, 1, 1))),
    (Route::HostTransferOutOfClosedQueue, ((1, 0), (1, 1, 0))),
];

/// Runs one case: queue 1 configured for the route, one contact arriving at 17:59:50 and
/// leaving for queue 9 by 18:00:00.
fn run(route: Route) -> Floor {
    let engine = EngineConfig::builder().missed_offer_pause(None).never_reoffer_to_decliners(true).build().unwrap();
    let mut h = Harness::new(engine);
    h.now = start();
    let day = BusinessHours::new("UTC").open_days(WORKDAYS, LocalTime::hm(9, 0), LocalTime::hm(18, 0));
    h.cmd(Command::AddCalendar { calendar: OFFICE, hours: day });
    let channels = [Channel::Voice, Channel::Email];
    h.cmd(Command::AddQueue(queue(9, &channels)));
    let q1 = queue(1, &channels).with_offer_timeout(secs(600));
    let q1 = match route {
        Route::ExceptionMove => q1.with_exception_rules(vec![ExceptionRule::new(
            secs(10),
            ExceptionAction::Move { queue: TARGET, keep_place: true },
        )]),
        Route::AdmissionMove => q1.with_admission_rules(vec![AdmissionRule::new(
            AdmissionTrigger::QueueLength(0),
            ExceptionAction::Move { queue: TARGET, keep_place: true },
        )]),
        Route::ClosedMove | Route::HostTransferOutOfClosedQueue => q1.with_calendar(OFFICE, WhenClosed::Move(TARGET)),
        Route::DeclinedOverflow => q1.with_all_declined(AllDeclined::Overflow(TARGET)),
        Route::HostTransfer | Route::HostTransferAfterAnswer => q1,
    };
    h.cmd(Command::AddQueue(q1));
    let stats = Statistics::new(StatsConfig::builder().intervals(IntervalLength::DAY).build().unwrap());
    let mut f = Floor { h, stats, fed: 0 };
    f.feed();
    if matches!(route, Route::HostTransferAfterAnswer | Route::DeclinedOverflow) {
        f.h.add_agent(agent(1, Channel::Voice, 1, &[1]));
        f.feed();
    }
    let channel = if route == Route::HostTransferOutOfClosedQueue { Channel::Email } else { Channel::Voice };
    f.h.arrive(1, channel, 1);
    f.feed();
    if route == Route::HostTransferAfterAnswer {
        f.h.accept(1);
        f.feed();
    }
    f.at(ten_s_later());
    let transfer = Command::Transfer { interaction: InteractionId(1), queue: TARGET };
    match route {
        Route::HostTransfer | Route::HostTransferAfterAnswer | Route::HostTransferOutOfClosedQueue => {
            f.cmd(transfer);
        }
        Route::DeclinedOverflow => {
            let offer = f.h.offer_of(1);
            f.cmd(Command::Reject { agent: offer.agent, offer: offer.id });
        }
        // The engine moves it by itself: on arrival, or at 18:00:00.
        Route::ExceptionMove | Route::AdmissionMove | Route::ClosedMove => {}
    }
    let waiting_in_target = f.h.engine.interaction(InteractionId(1)).map(|i| i.queue());
    assert_eq!(waiting_in_target, Some(TARGET), "{route:?}: the contact moved to queue 9");
    f
}

#[test]
fn every_way_of_moving_to_another_queue_is_a_transfer_or_an_overflow() {
    for (route, ((out, over_out), (offered, in_, over_in))) in CASES {
        let f = run(route);
        let (source, target) = (f.counters(SOURCE), f.counters(TARGET));
        assert_eq!((source.transferred_out, source.overflowed_out), (out, over_out), "{route:?}: queue 1");
        assert_eq!(source.host_transferred_out(), out - over_out, "{route:?}: the host's part");
        assert_eq!(
            (target.offered, target.transferred_in, target.overflowed_in),
            (offered, in_, over_in),
            "{route:?}: queue 9"
        );
        assert_eq!(target.host_transferred_in(), in_ - over_in, "{route:?}: the host's part");
        // Nothing flows into the source or out of the target.
        assert_eq!((source.offered, source.transferred_in, target.transferred_out), (1, 0, 0), "{route:?}");

        // The interval identity holds in both queues and in the channel, live and in the day's report.
        let channel = if route == Route::HostTransferOutOfClosedQueue { Channel::Email } else { Channel::Voice };
        let live = [f.stats.queue(SOURCE).unwrap(), f.stats.queue(TARGET).unwrap(), f.stats.channel(channel).unwrap()];
        for figures in &live {
            assert!(identity_holds(figures), "{route:?}: {figures:#?}");
        }
        let by_channel = &live[2].counters;
        assert_eq!(
            (
                by_channel.transferred_out,
                by_channel.overflowed_out,
                by_channel.transferred_in,
                by_channel.overflowed_in
            ),
            (out, over_out, in_, over_in),
            "{route:?}: the channel sums its queues"
        );

        // The interaction record says who made the move.
        let record = f.stats.live_record(InteractionId(1)).expect("a live record");
        assert_eq!((record.transfer_count, record.overflow_count), (1, u32::from(over_out == 1)), "{route:?}");
        let moved = record.transfers[0];
        assert_eq!((moved.from, moved.to, moved.overflow), (SOURCE, TARGET, over_out == 1), "{route:?}");
        assert_eq!(moved.after_answer, route == Route::HostTransferAfterAnswer, "{route:?}");

        let mut f = f;
        f.at(utc("2026-01-06T00:00:00Z"));
        let report = f.stats.poll_report().expect("Monday's report");
        assert_eq!(report.start, utc("2026-01-05T00:00:00Z"));
        for q in &report.queues {
            assert!(identity_holds(q), "{route:?}: the report of {:?}", q.scope);
        }
        let sum = |field: fn(&ContactCounters) -> u64| report.queues.iter().map(|q| field(&q.counters)).sum::<u64>();
        assert_eq!(
            sum(|c| c.overflowed_out),
            sum(|c| c.overflowed_in),
            "{route:?}: each overflow is out once, in once"
        );
        assert_eq!(
            (
                sum(|c| c.transferred_out),
                sum(|c| c.overflowed_out),
                sum(|c| c.transferred_in),
                sum(|c| c.overflowed_in)
            ),
            (out, over_out, in_, over_in),
            "{route:?}: the report carries the live figures"
        );
        // Serialised and read back, the report keeps them.
        let json = serde_json::to_string(&report).unwrap();
        let back: IntervalReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back.queues, report.queues, "{route:?}");
    }
}

/// Statistics started after queue 1 closed never saw its `QueueClosed`: they judge a closed
/// queue's move by its calendar, and still tell it from the host's transfer of an e-mail that
/// waits there. The call and the e-mail arrive at 18:00:05, five seconds after the closing.
#[test]
fn statistics_started_after_the_closing_still_tell_a_closed_queues_move() {
    let mut h = harness();
    h.now = start();
    let day = BusinessHours::new("UTC").open_days(WORKDAYS, LocalTime::hm(9, 0), LocalTime::hm(18, 0));
    h.cmd(Command::AddCalendar { calendar: OFFICE, hours: day });
    let channels = [Channel::Voice, Channel::Email];
    h.cmd(Command::AddQueue(queue(9, &channels)));
    h.cmd(Command::AddQueue(queue(1, &channels).with_calendar(OFFICE, WhenClosed::Move(TARGET))));
    h.at_time(ten_s_later());
    assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::QueueClosed { queue: SOURCE, .. })));
    let fed = h.log.len();
    let stats = Statistics::new(StatsConfig::builder().intervals(IntervalLength::DAY).build().unwrap());
    let mut f = Floor { h, stats, fed };
    f.at(utc("2026-01-05T18:00:05Z"));
    f.h.arrive(1, Channel::Voice, 1).arrive(2, Channel::Email, 1);
    f.feed();
    f.cmd(Command::Transfer { interaction: InteractionId(2), queue: TARGET });
    let (source, target) = (f.counters(SOURCE), f.counters(TARGET));
    assert_eq!(
        (source.offered, source.transferred_out, source.overflowed_out),
        (2, 2, 1),
        "the call's move, the e-mail's transfer"
    );
    assert_eq!((target.offered, target.transferred_in, target.overflowed_in), (2, 2, 1));
    let by_channel = |c| f.stats.channel(c).unwrap().counters;
    assert_eq!((by_channel(Channel::Voice).overflowed_out, by_channel(Channel::Email).overflowed_out), (1, 0));
    assert_eq!((by_channel(Channel::Voice).transferred_out, by_channel(Channel::Email).transferred_out), (1, 1));
}
