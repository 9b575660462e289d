//! Scenario tests for business hours (issue #12, §4): queues that follow a calendar in a named
//! time zone open and close at their hours to the millisecond, refuse or move real-time work while
//! closed, keep deferrable work for the opening, and survive a daylight-saving change, a calendar
//! replaced mid-day and a snapshot.

use crate::common;

use chrono::{NaiveDate, Weekday};
use common::*;
use switchboard::*;

const WORKDAYS: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
const MOSCOW: CalendarId = CalendarId(1);

fn utc(text: &str) -> Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(text).expect("a test time");
    Timestamp::from_millis(t.timestamp_millis())
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
}

/// Weekdays 09:00–18:00 Moscow time (UTC+3 all year), closed on Orthodox Christmas.
fn moscow_office() -> BusinessHours {
    BusinessHours::new("Europe/Moscow")
        .open_days(WORKDAYS, LocalTime::hm(9, 0), LocalTime::hm(18, 0))
        .closed_on(date("2026-01-07"))
}

/// An engine whose first command is at `start`, with the Moscow calendar added.
fn harness_at(start: &str) -> Harness {
    let mut h = harness();
    h.now = utc(start);
    h.cmd(Command::AddCalendar { calendar: MOSCOW, hours: moscow_office() });
    h
}

fn voice_and_email_agent(id: u64, queues: &[u64]) -> AgentConfig {
    blended_agent(id, queues)
}

fn at_of(h: &Harness, matches: impl Fn(&EventKind) -> bool) -> Vec<Timestamp> {
    h.log.iter().filter(|e| matches(&e.kind)).map(|e| e.at).collect()
}

/// Snapshots `h`'s engine, restores it, and checks that at `opens` the restored engine does
/// exactly what the original does, offering work.
fn snapshot_restores_and_offers_at_the_opening(h: &mut Harness, opens: Timestamp) {
    let json = serde_json::to_string(&h.engine.snapshot()).unwrap();
    let mut restored = Engine::restore(serde_json::from_str(&json).unwrap()).expect("the snapshot restores");
    restored.check_invariants().unwrap();
    assert_eq!(restored.poll_timeout(), h.engine.poll_timeout());
    h.at_time(opens);
    restored.handle_timeout(opens).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| restored.poll_event()).collect();
    assert_eq!(events, h.log[h.log.len() - events.len()..]);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::InteractionOffered(_))), "offered at the opening");
}

/// The example: a holiday closes a queue in Europe/Moscow time. A call on the holiday ends
/// `Closed` at once; an e-mail waits and is offered the instant the queue opens the next morning
/// (09:00 MSK = 06:00 UTC), together with the first call of the day.
#[test]
fn a_holiday_closes_the_queue_in_moscow_time() {
    let mut h = harness_at("2026-01-07T07:00:00Z"); // 10:00 MSK, a Wednesday, but Christmas
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Email]).with_calendar(MOSCOW, WhenClosed::End)));
    let opens = utc("2026-01-08T06:00:00Z");
    assert!(
        h.log.iter().any(|e| e.kind == EventKind::QueueClosed { queue: QueueId(1), opens_at: Some(opens) }),
        "closed from the start, until 09:00 MSK the next day"
    );
    h.add_agent(voice_and_email_agent(1, &[1]));
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.outcome(1), Some(Outcome::Closed), "the call is refused with a typed outcome");
    h.arrive(2, Channel::Email, 1);
    assert_eq!(h.state(2), Some(InteractionState::Queued));
    let why = h.engine.why_waiting(InteractionId(2)).unwrap();
    assert_eq!((why.closed, why.opens_at), (true, Some(opens)), "{why:?}");
    h.at_time(utc("2026-01-08T05:59:59.999Z"));
    assert_eq!(h.state(2), Some(InteractionState::Queued), "still closed a millisecond before");
    h.at_time(opens);
    let offered = at_of(&h, |k| matches!(k, EventKind::InteractionOffered(o) if o.interaction == InteractionId(2)));
    assert_eq!(offered, vec![opens], "offered at the opening, to the millisecond");
    assert_eq!(h.engine.totals().closed, 1);
}

/// At 18:00 MSK a call still waiting moves to the after-hours queue keeping its place: it is
/// answered there before a call that arrived in that queue after it.
#[test]
fn at_closing_waiting_calls_move_keeping_their_place() {
    let mut h = harness_at("2026-01-05T14:00:00Z"); // Monday 17:00 MSK
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice])));
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Move(QueueId(2)))));
    h.add_agent(agent(1, Channel::Voice, 1, &[2]));
    h.arrive(100, Channel::Voice, 2).accept(100); // the after-hours agent is busy
    h.at_time(utc("2026-01-05T14:10:00Z")).arrive(1, Channel::Voice, 1); // nobody serves queue 1
    h.at_time(utc("2026-01-05T14:20:00Z")).arrive(2, Channel::Voice, 2);
    let closes = utc("2026-01-05T15:00:00Z");
    h.at_time(closes);
    let moved = at_of(
        &h,
        |k| matches!(k, EventKind::InteractionTransferred { interaction, .. } if *interaction == InteractionId(1)),
    );
    assert_eq!(moved, vec![closes], "moved at 18:00 MSK to the millisecond");
    let i = h.engine.interaction(InteractionId(1)).unwrap();
    assert_eq!((i.queue(), i.queue_entered_at()), (QueueId(2), utc("2026-01-05T14:10:00Z")), "kept its place");
    h.at_time(utc("2026-01-05T15:05:00Z")).complete(100);
    assert_eq!(h.offers().last().unwrap().interaction, InteractionId(1), "ahead of the newer call");
}

/// With the default rule, calls wait through the closing (nothing offered), a ringing offer keeps
/// ringing, and everything is routed again at the opening.
#[test]
fn waiting_calls_wait_and_ringing_offers_ring_on() {
    let mut h = harness_at("2026-01-05T14:59:55Z"); // five seconds before 18:00 MSK
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Wait)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1); // rings at agent 1
    h.at_time(utc("2026-01-05T15:00:00Z"));
    assert!(matches!(h.state(1), Some(InteractionState::Offered { .. })), "the ringing offer is left alone");
    let offer = h.offer_of(1);
    h.cmd(Command::Reject { agent: offer.agent, offer: offer.id });
    assert_eq!(h.state(1), Some(InteractionState::Queued), "back in line, and not offered while closed");
    h.at_time(utc("2026-01-06T05:59:59Z"));
    assert_eq!(h.offers().len(), 1);
    h.at_time(utc("2026-01-06T06:00:00Z"));
    assert_eq!(h.offers().len(), 2, "offered again at 09:00 MSK");
    assert_eq!(h.offers()[1].interaction, InteractionId(1));
}

/// Opening and closing follow the wall clock across a daylight-saving change: 09:00–17:00 in
/// Berlin is 08:00–16:00 UTC before 2026-03-29 and 07:00–15:00 UTC after.
#[test]
fn opening_hours_follow_the_clock_across_daylight_saving_time() {
    let mut h = harness();
    h.now = utc("2026-03-28T12:00:00Z");
    let every_day = BusinessHours::new("Europe/Berlin").open_days(
        [WORKDAYS.as_slice(), &[Weekday::Sat, Weekday::Sun]].concat(),
        LocalTime::hm(9, 0),
        LocalTime::hm(17, 0),
    );
    h.cmd(Command::AddCalendar { calendar: CalendarId(2), hours: every_day });
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_calendar(CalendarId(2), WhenClosed::Wait)));
    h.at_time(utc("2026-03-30T12:00:00Z"));
    let changes: Vec<(Timestamp, bool)> = h
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::QueueOpened { .. } => Some((e.at, true)),
            EventKind::QueueClosed { .. } => Some((e.at, false)),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (utc("2026-03-28T16:00:00Z"), false),
            (utc("2026-03-29T07:00:00Z"), true),
            (utc("2026-03-29T15:00:00Z"), false),
            (utc("2026-03-30T07:00:00Z"), true),
        ]
    );
}

/// Replacing a calendar's hours applies at once: a holiday declared for today closes the queue
/// now, and its waiting calls meet the rule.
#[test]
fn a_calendar_replaced_mid_day_applies_at_once() {
    let mut h = harness_at("2026-01-05T08:00:00Z"); // Monday 11:00 MSK, open
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::End)));
    h.arrive(1, Channel::Voice, 1); // nobody to take it
    h.at_time(utc("2026-01-05T08:30:00Z"));
    h.cmd(Command::SetCalendar { calendar: MOSCOW, hours: moscow_office().closed_on(date("2026-01-05")) });
    assert_eq!(h.outcome(1), Some(Outcome::Closed));
    let closed = at_of(&h, |k| matches!(k, EventKind::QueueClosed { .. }));
    assert_eq!(closed, vec![utc("2026-01-05T08:30:00Z")]);
}

/// A snapshot taken while closed restores to an engine that opens at the same instant and offers
/// the same work.
#[test]
fn a_closed_queue_survives_a_snapshot() {
    let mut h = harness_at("2026-01-07T07:00:00Z");
    h.cmd(Command::AddQueue(queue(1, &[Channel::Email]).with_calendar(MOSCOW, WhenClosed::End)));
    h.add_agent(agent(1, Channel::Email, 1, &[1]));
    h.arrive(1, Channel::Email, 1);
    snapshot_restores_and_offers_at_the_opening(&mut h, utc("2026-01-08T06:00:00Z"));
}

/// A call waiting in a closed queue for a member whose delay it has not reached holds no
/// queue-delay timer (nothing routes while closed; the opening routes it). A snapshot taken then
/// restores, and the restored engine offers the call when the original does. `Engine::restore`
/// refused such a snapshot: it expected the timer of an open queue.
#[test]
fn a_call_waiting_for_a_delayed_member_in_a_closed_queue_survives_a_snapshot() {
    let mut h = harness_at("2026-01-07T07:00:00Z"); // Orthodox Christmas: closed all day
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Wait)));
    let delayed = QueueMembership::new(QueueId(1)).with_delay(std::time::Duration::from_secs(30));
    h.add_agent(AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1)).with_queue(delayed));
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    snapshot_restores_and_offers_at_the_opening(&mut h, utc("2026-01-08T06:00:00Z"));
}

/// Every malformed calendar or reference is a typed error at configuration time, and the command
/// changes nothing.
#[test]
fn bad_calendars_and_references_are_refused_and_change_nothing() {
    let mut h = harness_at("2026-01-05T08:00:00Z");
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    let cases: Vec<(Command, CommandError)> = vec![
        (Command::AddCalendar { calendar: MOSCOW, hours: moscow_office() }, CommandError::DuplicateCalendar(MOSCOW)),
        (
            Command::AddCalendar { calendar: CalendarId(2), hours: BusinessHours::new("Mars/Olympus_Mons") },
            CommandError::BadCalendar {
                calendar: CalendarId(2),
                error: CalendarError::UnknownTimeZone { name: "Mars/Olympus_Mons".into() },
            },
        ),
        (
            Command::SetCalendar { calendar: CalendarId(9), hours: moscow_office() },
            CommandError::UnknownCalendar(CalendarId(9)),
        ),
        (
            Command::AddQueue(queue(2, &[Channel::Voice]).with_calendar(CalendarId(9), WhenClosed::Wait)),
            CommandError::UnknownCalendar(CalendarId(9)),
        ),
        (
            Command::AddQueue(queue(3, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Move(QueueId(3)))),
            CommandError::BadClosedTarget { queue: QueueId(3), target: QueueId(3), problem: "itself" },
        ),
        (
            Command::AddQueue(
                queue(4, &[Channel::Voice, Channel::Email]).with_calendar(MOSCOW, WhenClosed::Move(QueueId(1))),
            ),
            CommandError::BadClosedTarget {
                queue: QueueId(4),
                target: QueueId(1),
                problem: "which does not take all its channels",
            },
        ),
    ];
    for (command, expected) in cases {
        let before = h.engine.snapshot();
        let shown = format!("{command:?}");
        assert_eq!(h.try_cmd(command), Err(expected), "{shown}");
        assert_eq!(h.engine.snapshot(), before, "a refused command changed the engine");
    }
}

/// A call waiting in a closed queue reaches its bound at the very millisecond the queue opens:
/// the opening is routed with the bound already reached, so the call is offered as overdue.
/// (Opening hours fire first at an instant, and the engine used to route right after them,
/// before the bound due at the same instant had fired.)
#[test]
fn a_bound_reached_at_the_opening_is_seen_by_the_first_offer() {
    let mut h = harness_at("2026-01-06T05:58:00Z"); // 08:58 MSK, closed
    let queue = queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Wait).with_max_wait(secs(60));
    h.cmd(Command::AddQueue(queue));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.at_time(utc("2026-01-06T05:59:00Z")).arrive(1, Channel::Voice, 1); // bound at 06:00:00
    h.at_time(utc("2026-01-06T05:59:30Z"));
    assert!(h.offers().is_empty(), "closed");
    h.at_time(utc("2026-01-06T06:00:00Z")); // 09:00 MSK: open, and the bound is reached
    let offer = h.offer_of(1);
    assert_eq!(offer.agent, AgentId(1));
    assert!(offer.explanation.overdue, "offered at the instant its bound is reached: {:?}", offer.explanation);
}

/// The opening ranks its queue's waiting calls only after a bound due at the same millisecond
/// has fired: call 1 (priority 0) becomes overdue at the opening, so it ranks ahead of call 2
/// (priority 5) and the one agent is offered call 1 first. (The opening used to fix the order
/// when it fired, before the bound, and offered call 2.)
#[test]
fn a_call_overdue_at_the_opening_ranks_ahead_of_a_higher_priority_one() {
    let mut h = harness_at("2026-01-06T05:58:00Z"); // 08:58 MSK, closed
    let queue = queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Wait).with_max_wait(secs(60));
    h.cmd(Command::AddQueue(queue));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.at_time(utc("2026-01-06T05:59:00Z")).arrive(1, Channel::Voice, 1); // bound at 06:00:00
    h.at_time(utc("2026-01-06T05:59:30Z"))
        .arrive_with(NewInteraction::new(InteractionId(2), Channel::Voice, QueueId(1), CustomerId(2)).with_priority(5));
    assert!(h.offers().is_empty(), "closed");
    h.at_time(utc("2026-01-06T06:00:00Z")); // 09:00 MSK: open, and call 1's bound is reached
    assert_eq!(h.offer_pairs(), vec![(1, 1)], "the overdue call first");
    assert!(h.offer_of(1).explanation.overdue);
}

/// At an opening, the agent held back from the older e-mail by a chat (blending) looks again as
/// soon as the chat is offered, before the newer e-mail is routed: they get the older e-mail.
#[test]
fn an_agent_held_back_by_a_chat_at_an_opening_gets_the_older_email() {
    let mut h = harness_at("2026-01-06T05:58:00Z"); // 08:58 MSK, closed
    let queue = queue(1, &[Channel::Chat, Channel::Email]).with_calendar(MOSCOW, WhenClosed::Wait);
    h.cmd(Command::AddQueue(queue));
    let one_chat_and_one_email = CapacityProfile::new(100)
        .with_channel(Channel::Chat, ChannelCapacity::new(1).with_units(50))
        .with_channel(Channel::Email, ChannelCapacity::new(1).with_units(50));
    h.add_agent(AgentConfig::new(AgentId(1), one_chat_and_one_email).with_queue(QueueMembership::new(QueueId(1))));
    h.at_time(utc("2026-01-06T05:58:10Z")).arrive(1, Channel::Email, 1);
    h.at_time(utc("2026-01-06T05:58:20Z")).arrive(2, Channel::Chat, 1);
    h.at_time(utc("2026-01-06T05:58:30Z")).arrive(3, Channel::Email, 1);
    assert!(h.offers().is_empty(), "closed");
    h.at_time(utc("2026-01-06T06:00:00Z"));
    assert_eq!(h.offer_pairs(), vec![(2, 1), (1, 1)], "the chat, then the older e-mail");
}

/// An agent released mid-way through an opening looks before the calls still to be routed: the
/// multitasker drains for the waiting call (voice headroom) when the second chat is routed; the
/// voice agent takes the call, and the multitasker then gets that older chat, not the newer one
/// routed next.
#[test]
fn an_agent_who_stops_draining_at_an_opening_gets_the_older_chat() {
    let mut h = harness_at("2026-01-06T05:58:00Z"); // 08:58 MSK, closed
    let queue = queue(1, &[Channel::Voice, Channel::Chat]).with_calendar(MOSCOW, WhenClosed::Wait);
    h.cmd(Command::AddQueue(queue));
    let one_call_or_three_chats = CapacityProfile::new(3)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(3).with_exclusive(true))
        .with_channel(Channel::Chat, ChannelCapacity::new(3))
        .with_headroom(Channel::Voice, secs(30));
    h.add_agent(AgentConfig::new(AgentId(1), one_call_or_three_chats).with_queue(QueueMembership::new(QueueId(1))));
    h.add_agent(agent(2, Channel::Voice, 1, &[1]));
    h.at_time(utc("2026-01-06T05:58:05Z")).arrive(10, Channel::Chat, 1);
    h.at_time(utc("2026-01-06T05:58:10Z")).arrive(11, Channel::Chat, 1);
    h.at_time(utc("2026-01-06T05:58:20Z")).arrive(12, Channel::Voice, 1);
    h.at_time(utc("2026-01-06T05:58:30Z")).arrive(13, Channel::Chat, 1);
    assert!(h.offers().is_empty(), "closed");
    h.at_time(utc("2026-01-06T06:00:00Z"));
    assert_eq!(h.offer_pairs(), vec![(10, 1), (12, 2), (11, 1), (13, 1)], "the older chat before the newer");
}

/// Serving order at an opening puts an overdue e-mail ahead of a chat that is not overdue (overdue
/// goes ahead of blending): the one agent, who takes one thing at a time, gets the e-mail.
#[test]
fn an_overdue_email_goes_ahead_of_a_chat_at_the_opening() {
    let mut h = harness_at("2026-01-06T05:58:00Z"); // 08:58 MSK, closed
    let queue =
        queue(1, &[Channel::Chat, Channel::Email]).with_calendar(MOSCOW, WhenClosed::Wait).with_max_wait(secs(60));
    h.cmd(Command::AddQueue(queue));
    let one_at_a_time = CapacityProfile::new(1)
        .with_channel(Channel::Chat, ChannelCapacity::new(1).with_units(1))
        .with_channel(Channel::Email, ChannelCapacity::new(1).with_units(1));
    h.add_agent(AgentConfig::new(AgentId(1), one_at_a_time).with_queue(QueueMembership::new(QueueId(1))));
    h.at_time(utc("2026-01-06T05:58:10Z")).arrive(1, Channel::Email, 1); // overdue from 05:59:10
    h.at_time(utc("2026-01-06T05:59:50Z")).arrive(2, Channel::Chat, 1); // bound at 06:00:50
    assert!(h.offers().is_empty(), "closed");
    h.at_time(utc("2026-01-06T06:00:00Z"));
    assert_eq!(h.offer_pairs(), vec![(1, 1)], "the overdue e-mail");
}

/// A closed queue whose calendar is taken away (`UpdateQueue` without one) opens at once, as a
/// restored engine has it: it used to stay closed for good, because only queues that follow a
/// calendar were looked at, while restore opens every queue without one (the harness's
/// `check_invariants` after every command reported the closed queue).
#[test]
fn a_closed_queue_whose_calendar_is_removed_opens_as_a_restored_one_would() {
    let mut h = harness_at("2026-01-06T05:58:00Z"); // 08:58 MSK, closed
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_calendar(MOSCOW, WhenClosed::Wait)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.at_time(utc("2026-01-06T05:58:10Z")).arrive(1, Channel::Voice, 1);
    assert!(h.offers().is_empty(), "closed");
    h.at_time(utc("2026-01-06T05:58:20Z"))
        .cmd(Command::UpdateQueue { queue: queue(1, &[Channel::Voice]), steps: WaitingSteps::Keep });
    assert!(h.new_events().iter().any(|e| matches!(e, EventKind::QueueOpened { queue: QueueId(1), closes_at: None })));
    assert_eq!(h.offer_pairs(), vec![(1, 1)], "open without a calendar");
}
