//! Scenario tests for issue #11's bounded waits and service-level-aware blending: each
//! reproduction as the issue describes it, failing before the change.

use crate::common;

use common::*;
use switchboard::*;

/// One agent is kept busy by a queue that always has a call waiting: every time they take one,
/// another arrives. Returns when `watched` was offered (seconds after the start), if it was
/// within `hours`. Calls last `handle_secs`; the watched interaction arrived at 0 s.
fn serve_steadily(h: &mut Harness, hot_queue: u64, watched: u64, handle_secs: f64, hours: f64) -> Option<f64> {
    let mut next = 1_000;
    let mut t = 0.0;
    loop {
        let offer = h.offers().last().cloned().expect("the agent always has an offer");
        if offer.interaction == InteractionId(watched) {
            return Some(t);
        }
        h.arrive(next, Channel::Voice, hot_queue); // the hot queue is never empty
        next += 1;
        h.accept(offer.interaction.0);
        t += handle_secs;
        if t > hours * 3_600.0 {
            return None;
        }
        h.at(t).complete(offer.interaction.0);
    }
}

/// Issue #11, item 3: a call in a low-priority queue (aging 1,000 points a minute) was never
/// offered in 2 h while the agent's higher-priority queue always had a call: aging reorders only
/// inside a queue. With a bound on the low queue, it is offered as soon as the agent frees up
/// after the bound: within the bound plus one handle time.
#[test]
fn a_low_priority_queue_with_a_bound_is_served_within_it() {
    for bound in [None, Some(60), Some(600)] {
        let mut h = harness();
        h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_priority(10)));
        let mut low = queue(2, &[Channel::Voice]).with_aging(1_000);
        if let Some(b) = bound {
            low = low.with_max_wait(secs(b));
        }
        h.cmd(Command::AddQueue(low));
        h.add_agent(agent(1, Channel::Voice, 1, &[1, 2]));
        h.arrive(999, Channel::Voice, 1); // the agent's first call
        h.arrive(7, Channel::Voice, 2); // the watched call, in the low queue
        let served = serve_steadily(&mut h, 1, 7, 300.0, 2.0);
        match bound {
            None => assert_eq!(served, None, "without a bound the high queue always wins (today's rule)"),
            Some(b) => {
                let at = served.expect("served within the bound plus one call");
                assert!(at <= (b + 300) as f64, "bound {b} s: served after {at} s");
                let offer = h.offer_of(7);
                assert!(offer.explanation.overdue, "it went as overdue work");
                let overdue = h.log.iter().find(|e| {
                    matches!(e.kind, EventKind::InteractionOverdue { interaction, .. } if interaction == InteractionId(7))
                });
                let overdue = overdue.expect("an event says it is overdue");
                assert_eq!(overdue.at, Timestamp::from_millis(T0 + b as i64 * 1_000), "at its deadline exactly");
            }
        }
    }
}

/// Issue #11, item 3: an e-mail with every boost (queue priority 100, the fastest aging, base
/// priority 1,000) was never offered in 8 h of steady calls: real-time work comes first. With a
/// bound of 1 h on the e-mail queue it goes to the first agent free after the hour.
#[test]
fn an_email_with_a_bound_is_served_through_steady_calls() {
    for bound in [None, Some(3_600)] {
        let mut h = harness();
        h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
        let max_aging = Limits::default().max_aging_points_per_minute;
        let mut email = queue(2, &[Channel::Email]).with_priority(100).with_aging(max_aging);
        if let Some(b) = bound {
            email = email.with_max_wait(secs(b));
        }
        h.cmd(Command::AddQueue(email));
        h.add_agent(blended_agent(1, &[1, 2]));
        h.arrive(999, Channel::Voice, 1);
        h.arrive_with(
            NewInteraction::new(InteractionId(7), Channel::Email, QueueId(2), CustomerId(7)).with_priority(1_000),
        );
        let served = serve_steadily(&mut h, 1, 7, 240.0, 8.0);
        match bound {
            None => assert_eq!(served, None, "without a bound, calls always come first (today's rule)"),
            Some(b) => {
                let at = served.expect("served within the bound plus one call");
                assert!(at <= (b + 240) as f64, "served after {at} s");
                assert!(at >= b as f64, "not before its bound: calls come first until then ({at} s)");
            }
        }
    }
}

/// Issue #11, item 4: real-time first holds e-mail back even when the calls are far inside
/// their target and the e-mail is about to miss its own; service-level blending compares each
/// side's share of its own target waited. (Call target 20 s, e-mail target 1 h.)
#[test]
fn service_level_blending_weighs_each_side_against_its_target() {
    // (blending, e-mail waited, call waited, which goes first)
    let cases = [
        (Blending::RealTimeFirst, 3_300, 2, 8), // e-mail at 92 %, call at 10 %: still the call
        (Blending::ServiceLevel, 3_300, 2, 7),  // the e-mail, closer to missing its target
        (Blending::ServiceLevel, 600, 15, 8),   // e-mail at 17 %, call at 75 %: the call
        (Blending::ServiceLevel, 1_800, 10, 8), // 50 % each: ties go to real-time work
        (Blending::RealTimeFirst, 600, 15, 8),
    ];
    for (blending, email_waited, call_waited, first) in cases {
        let config = EngineConfig::builder().missed_offer_pause(None).blending(blending).build().unwrap();
        let mut h = Harness::new(config);
        h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_service_level(ServiceLevelTarget::new(80, secs(20)))));
        let email_target = ServiceLevelTarget::new(90, secs(3_600));
        h.cmd(Command::AddQueue(queue(2, &[Channel::Email]).with_service_level(email_target)));
        h.add_agent(blended_agent(1, &[1, 2]));
        h.arrive(1, Channel::Voice, 1).accept(1); // busy on a call until the decision
        h.arrive(7, Channel::Email, 2);
        let decision = email_waited as f64;
        h.at(decision - call_waited as f64).arrive(8, Channel::Voice, 1);
        h.at(decision).complete(1);
        let offered = h.offers().last().unwrap().interaction;
        assert_eq!(offered, InteractionId(first), "{blending:?}, e-mail {email_waited} s, call {call_waited} s");
    }
}

/// A bound is kept across a reject: the interaction keeps its place in line, so its deadline,
/// and is overdue again at once when it returns to the queue after it.
#[test]
fn an_overdue_interaction_stays_overdue_after_a_reject() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_max_wait(secs(30))));
    h.arrive(1, Channel::Chat, 1);
    h.at(31.0).add_agent(agent(1, Channel::Chat, 1, &[1]));
    assert!(h.offer_of(1).explanation.overdue);
    let offer = h.offer_of(1).id;
    h.cmd(Command::Reject { agent: AgentId(1), offer });
    let again = h.offer_of(1); // the only agent, so the decliner again
    assert_ne!(again.id, offer);
    assert!(again.explanation.overdue, "overdue again at once: its deadline went with its place in line");
}

/// Overdue work goes first, earliest deadline first, whatever the queue priorities; work that is
/// not overdue follows by the usual keys.
#[test]
fn overdue_work_goes_earliest_deadline_first() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_max_wait(secs(100)).with_priority(5)));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Chat]).with_max_wait(secs(10))));
    h.cmd(Command::AddQueue(queue(3, &[Channel::Chat]).with_priority(50)));
    h.arrive(1, Channel::Chat, 1); // deadline 100 s
    h.at(50.0).arrive(2, Channel::Chat, 2); // deadline 60 s
    h.at(60.0).arrive(3, Channel::Chat, 3); // never overdue, highest priority
    h.at(120.0).add_agent(agent(1, Channel::Chat, 1, &[1, 2, 3]));
    for expected in [2, 1, 3] {
        let last = h.offers().last().unwrap().interaction.0;
        assert_eq!(last, expected);
        h.accept(last).complete(last);
    }
}

/// "Why still waiting" says when blending holds an interaction back, and when it is overdue.
#[test]
fn why_waiting_names_blending_and_the_bound() {
    let config = EngineConfig::builder().missed_offer_pause(None).blend_horizon(secs(30)).build().unwrap();
    let mut h = Harness::new(config);
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Email]).with_max_wait(secs(60))));
    let blended = blended_agent(1, &[2]).with_queue(QueueMembership::new(QueueId(1)).with_delay(secs(20)));
    h.add_agent(blended);
    h.arrive(1, Channel::Voice, 1).arrive(2, Channel::Email, 2);
    let why = h.engine.why_waiting(InteractionId(2)).expect("the e-mail waits");
    assert_eq!((why.delay_reached, why.held_back, why.draining), (1, 1, 0), "{why:?}");
    assert_eq!(why.deadline, Some(Timestamp::from_millis(T0 + 60_000)));
    assert!(!why.overdue);
    let call = h.engine.why_waiting(InteractionId(1)).expect("the call waits for the agent's delay");
    assert_eq!((call.ready, call.delay_reached, call.held_back), (1, 0, 0), "{call:?}");
}
