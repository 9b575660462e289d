//! Measurement scenarios: a small known sequence of calls, and every figure
//! computed by hand from it.

use crate::common;

use std::time::Duration;

use common::*;
use switchboard::stats::*;
use switchboard::*;

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// The ten calls: (arrival second, Ok(answer wait) or Err(abandon wait)).
/// Call i arrives at 10·(i−1) s; answered calls talk 100 s and wrap up 30 s.
const CALLS: [(u64, Result<u64, u64>); 10] = [
    (1, Ok(5)),
    (2, Ok(12)),
    (3, Ok(20)), // exactly T: within
    (4, Ok(21)), // just over T
    (5, Ok(35)),
    (6, Ok(8)),
    (7, Err(3)), // a short abandon under a 5 s threshold
    (8, Err(15)),
    (9, Err(40)),
    (10, Ok(50)),
];

fn definitions() -> Vec<ServiceLevelDefinition> {
    let target = ServiceLevelTarget::new(80, secs(20));
    let mut defs: Vec<ServiceLevelDefinition> =
        ServiceLevelFormula::ALL.iter().map(|f| ServiceLevelDefinition::new(*f, target)).collect();
    defs.extend(
        ServiceLevelFormula::ALL.iter().map(|f| ServiceLevelDefinition::new(*f, target).with_short_abandon(secs(5))),
    );
    defs
}

fn ten_calls() -> Lab {
    let cost = CostModel::new().with_channel(Channel::Voice, ChannelCost::new(0.5, 1.0)).unwrap();
    let measurement = definitions().into_iter().fold(QueueMeasurement::new(), |m, d| m.with_service_level(d));
    let config = StatsConfig::builder()
        .intervals(IntervalLength::DAY)
        .queue(QueueId(1), measurement)
        .breakdown_by("region")
        .cost(cost)
        .build()
        .unwrap();
    let mut lab = Lab::new(config);
    lab.cmd(Command::AddSkill { skill: SkillId(1), name: "english".into() });
    let support = queue(1, &[Channel::Voice])
        .with_requirements(Requirements::from_pairs([(SkillId(1), level(1))]))
        .with_wrap_up(secs(30))
        .with_offer_timeout(secs(600));
    lab.cmd(Command::AddQueue(support));
    for a in 1..=10 {
        lab.h.add_agent(agent(a, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SkillId(1), level(3))])));
        lab.feed();
    }
    // Events in time order: arrivals, answers/abandons, completions (wrap-ups end by timer).
    let mut steps: Vec<(u64, u8, u64)> = Vec::new(); // (second, kind, call)
    for (i, outcome) in CALLS {
        let arrive = 10 * (i - 1);
        steps.push((arrive, 0, i));
        match outcome {
            Ok(w) => {
                steps.push((arrive + w, 1, i));
                steps.push((arrive + w + 100, 3, i));
            }
            Err(w) => steps.push((arrive + w, 2, i)),
        }
    }
    steps.sort();
    for (at, kind, i) in steps {
        lab.at(at as f64);
        match kind {
            0 => {
                let region = if i % 2 == 1 { "north" } else { "south" };
                let customer = if i <= 2 { 100 } else { i };
                let call = NewInteraction::new(InteractionId(i), Channel::Voice, QueueId(1), CustomerId(customer))
                    .with_attributes(Attributes::new().with("region", region));
                lab.h.arrive_with(call);
                lab.feed();
            }
            1 => {
                lab.accept(i);
                if i == 1 {
                    let agent = lab.h.offer_of(1).agent;
                    lab.cmd(Command::Disposition {
                        agent,
                        interaction: InteractionId(1),
                        code: "resolved".into(),
                        notes: Some("card replaced".into()),
                    });
                }
            }
            2 => {
                lab.abandon(i);
            }
            _ => {
                lab.complete(i);
            }
        }
    }
    lab.at(300.0);
    lab
}

#[test]
fn service_level_under_every_formula_by_hand() {
    let lab = ten_calls();
    let q = lab.stats.queue(QueueId(1)).unwrap();
    let got: Vec<(u64, u64)> = q.service_levels.iter().map(|r| r.level.map(|l| (l.met, l.counted)).unwrap()).collect();
    // Without short abandons: answered 7 (4 within 20 s), abandoned 3 (3 s and 15 s within), offered 10.
    //   answered within ÷ offered                         = 4 / 10
    //   answered within ÷ (offered − abandoned within)    = 4 / (10 − 2)
    //   answered within ÷ answered                        = 4 / 7
    //   (answered within + abandoned within) ÷ offered    = (4 + 2) / 10
    // With a 5 s short-abandon threshold, the 3 s abandon leaves every term: offered 9, abandoned within 1.
    assert_eq!(got, vec![(4, 10), (4, 8), (4, 7), (6, 10), (4, 9), (4, 8), (4, 7), (5, 9)]);
    assert_eq!(q.service_levels[0].counts.short_abandoned, 0);
    assert_eq!(q.service_levels[4].counts.short_abandoned, 1);
    assert_eq!(q.service_levels[0].meets_target(), Some(false));
    assert_eq!(q.service_level().unwrap().percent(), 40.0);
    assert_eq!(q.service_levels[1].level.unwrap().percent(), 50.0);
}

#[test]
fn asa_handle_times_and_abandonment_by_hand() {
    let lab = ten_calls();
    let q = lab.stats.queue(QueueId(1)).unwrap();
    let c = &q.counters;
    assert_eq!(
        (c.offered, c.answered, c.abandoned, c.short_abandoned, c.cancelled, c.transferred_out),
        (10, 7, 3, 0, 0, 0)
    );
    // ASA = (5 + 12 + 20 + 21 + 35 + 8 + 50) / 7 = 151 / 7 s, in whole milliseconds.
    assert_eq!(c.answer_wait, secs(151));
    assert_eq!(c.average_speed_of_answer(), Some(ms(151_000 / 7)));
    // Abandons after 3, 15 and 40 s.
    assert_eq!(c.average_abandon_time(), Some(ms(58_000 / 3)));
    assert_eq!(c.abandon_rate(), Some(0.3));
    assert_eq!(c.longest_wait, secs(50));
    // 7 calls of 100 s talk and 30 s wrap-up.
    assert_eq!((c.handled, c.talk, c.wrap_ups, c.wrap), (7, secs(700), 7, secs(210)));
    assert_eq!(c.average_talk_time(), Some(secs(100)));
    assert_eq!(c.average_wrap_time(), Some(secs(30)));
    assert_eq!(c.average_handle_time(), Some(secs(130)));
    // Answer waits sorted: 5 8 12 20 21 35 50 s. Nearest rank: p50 = 4th = 20 s, p90 = p99 = 7th = 50 s.
    let (p50, p90, p99) = q.answer_wait_percentiles();
    let close = |got: Option<Duration>, truth: u64| {
        let got = got.unwrap().as_millis() as u64;
        assert!(got.abs_diff(truth) * 128 <= truth, "{got} vs {truth}");
    };
    close(p50, 20_000);
    close(p90, 50_000);
    close(p99, 50_000);
    // Everything has left the queue; agents are all available again.
    assert_eq!(q.in_queue, InQueue::default());
    let mut all_available = AgentCounts::default();
    (all_available.staffed, all_available.available) = (10, 10);
    assert_eq!(q.agents, all_available);
    // Channel and skill figures are the same contacts.
    for figures in [lab.stats.channel(Channel::Voice).unwrap(), lab.stats.skill(SkillId(1)).unwrap()] {
        assert_eq!(figures.counters, q.counters);
        assert_eq!(figures.service_levels[0].level, q.service_levels[0].level);
    }
}

#[test]
fn agent_occupancy_by_hand() {
    let lab = ten_calls();
    // Agent 1 took call 1: offered at 0 s, accepted at 5, completed at 105, wrap-up to 135, then idle to 300.
    let a = lab.stats.agent(AgentId(1)).unwrap();
    assert_eq!(a.presence, Presence::Available);
    let c = a.counters;
    assert_eq!((c.offers, c.accepted, c.handled, c.talk, c.wrap), (1, 1, 1, secs(100), secs(30)));
    assert_eq!((c.available, c.busy, c.wrap_up, c.paused), (secs(165), secs(105), secs(30), Duration::ZERO));
    assert_eq!(c.occupancy(), Some(135.0 / 300.0));
    assert_eq!(c.utilisation(), Some(135.0 / 300.0));
    // Agent 7 had call 7, abandoned while ringing after 3 s.
    let c = lab.stats.agent(AgentId(7)).unwrap().counters;
    assert_eq!((c.offers, c.accepted, c.withdrawn, c.busy), (1, 0, 1, secs(3)));
}

#[test]
fn breakdown_by_region_by_hand() {
    let lab = ten_calls();
    let regions = lab.stats.breakdown("region");
    assert_eq!(regions.len(), 2);
    let north = &regions[0];
    assert_eq!(north.value, BreakdownValue::Value("north".into()));
    // North: calls 1, 3, 5 answered after 5, 20, 35 s; 7 and 9 abandoned after 3 and 40 s.
    assert_eq!((north.counters.offered, north.counters.answered, north.counters.abandoned), (5, 3, 2));
    assert_eq!(north.counters.average_speed_of_answer(), Some(secs(20)));
    assert_eq!(north.service_level.level.map(|l| (l.met, l.counted)), Some((2, 5)));
    assert_eq!(north.counters.abandon_rate(), Some(0.4));
    // South: calls 2, 4, 6, 10 answered after 12, 21, 8, 50 s; 8 abandoned after 15 s.
    let south = &regions[1];
    assert_eq!((south.counters.offered, south.counters.answered, south.counters.abandoned), (5, 4, 1));
    assert_eq!(south.counters.average_speed_of_answer(), Some(ms(22_750)));
    assert_eq!(south.service_level.level.map(|l| (l.met, l.counted)), Some((2, 5)));
    assert!(lab.stats.breakdown("language").is_empty());
}

#[test]
fn records_history_and_cost() {
    let mut lab = ten_calls();
    let records: Vec<InteractionRecord> = std::iter::from_fn(|| lab.stats.poll_record()).collect();
    assert_eq!(records.len(), 10);
    // In the order they ended: 7 (3 s), 1 (5 s answered ... ends at 135 s) — check call 4 in detail.
    let r4 = records.iter().find(|r| r.interaction == InteractionId(4)).unwrap();
    let t = |s: u64| Timestamp::from_millis(T0 + 1000 * s as i64);
    assert_eq!(r4.arrived_at, t(30));
    assert_eq!(r4.answered_at, Some(t(51)));
    assert_eq!(r4.wait(), Some(secs(21)));
    assert_eq!((r4.talk, r4.wrap), (secs(100), secs(30)));
    assert_eq!(r4.ended_at, Some(t(181)));
    assert_eq!(r4.offers.len(), 1);
    assert_eq!(r4.offers[0].result, OfferResult::Accepted);
    assert_eq!(r4.offers[0].ring_time(), Some(secs(21)));
    assert_eq!(
        r4.visits.iter().map(|v| (v.queue, v.entered_at, v.left_at, v.exit)).collect::<Vec<_>>(),
        vec![(QueueId(1), t(30), Some(t(51)), VisitExit::Answered { agent: r4.answered_by.unwrap() })]
    );
    let r7 = records.iter().find(|r| r.interaction == InteractionId(7)).unwrap();
    assert_eq!(r7.outcome, Some(Outcome::Abandoned { while_offered: true }));
    assert_eq!(r7.offers[0].result, OfferResult::Withdrawn(WithdrawReason::CustomerAbandoned));
    assert_eq!(r7.cost, Some(0.5));
    // A handled call: 0.5 per contact + 1.0 per minute × 130 s.
    assert_eq!(r4.cost, Some(0.5 + 130.0 / 60.0));
    let cost = lab.stats.cost();
    assert_eq!(cost.total.contacts, 10);
    assert!((cost.total.cost - (10.0 * 0.5 + 7.0 * 130.0 / 60.0)).abs() < 1e-9);
    assert_eq!(cost.share_of_contacts(Channel::Voice), Some(1.0));
    assert_eq!(cost.queue(QueueId(1)).unwrap().handled, secs(7 * 130));

    // Customer 100 made calls 1 and 2; call 1's disposition is in their history.
    let history = lab.stats.history().unwrap();
    let calls: Vec<(InteractionId, Option<String>)> =
        history.customer(CustomerId(100)).into_iter().map(|e| (e.interaction, e.disposition.map(|d| d.code))).collect();
    assert_eq!(calls, vec![(InteractionId(1), Some("resolved".into())), (InteractionId(2), None)]);
    let recent = history.recent(CustomerId(100), lab.stats.now().unwrap(), 1);
    assert_eq!(recent[0].interaction, InteractionId(2), "newest first");
    assert!(!format!("{:?}", history.customer(CustomerId(100))).contains("card replaced"), "notes are redacted");
}

#[test]
fn position_in_line_and_estimated_wait() {
    let mut lab = Lab::new(StatsConfig::default());
    lab.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    lab.h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    lab.feed();
    lab.h.arrive(1, Channel::Voice, 1);
    lab.feed();
    lab.accept(1);
    lab.at(120.0).complete(1); // one handled call of 120 s: recent handle time 120 s
    lab.at(130.0);
    lab.h.arrive(2, Channel::Voice, 1);
    lab.feed();
    lab.accept(2);
    lab.at(140.0);
    lab.h.arrive(3, Channel::Voice, 1);
    lab.at(150.0);
    lab.h.arrive(4, Channel::Voice, 1);
    lab.feed();
    let place = |lab: &Lab, id| lab.stats.place_in_line(&lab.h.engine, InteractionId(id));
    // One agent serving, 120 s per call: number 1 waits about 120 s, number 2 about 240 s.
    assert_eq!(
        place(&lab, 3).map(|p| (p.queue, p.position, p.waiting, p.estimated_wait)),
        Some((QueueId(1), 1, 2, Some(secs(120))))
    );
    assert_eq!(place(&lab, 4).unwrap().estimated_wait, Some(secs(240)));
    assert_eq!(place(&lab, 2), None, "connected, not in line");
    let q = lab.stats.queue(QueueId(1)).unwrap();
    assert_eq!((q.in_queue.waiting, q.in_queue.oldest_wait), (2, Some(secs(10))));
}

#[test]
fn transfers_count_in_both_queues() {
    // One interval for the whole story (T0 is 100 s before a quarter hour).
    let mut lab = Lab::new(StatsConfig::builder().intervals(IntervalLength::DAY).build().unwrap());
    lab.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    lab.cmd(Command::AddQueue(queue(2, &[Channel::Chat])));
    lab.h.add_agent(agent(1, Channel::Chat, 1, &[2]));
    lab.feed();
    lab.h.arrive(1, Channel::Chat, 1); // nobody serves queue 1
    lab.feed();
    lab.at(30.0).cmd(Command::Transfer { interaction: InteractionId(1), queue: QueueId(2) });
    lab.at(34.0).accept(1);
    lab.at(94.0).cmd(Command::Transfer { interaction: InteractionId(1), queue: QueueId(1) }); // after answer
    lab.at(100.0).abandon(1);
    let q1 = lab.stats.queue(QueueId(1)).unwrap().counters;
    let q2 = lab.stats.queue(QueueId(2)).unwrap().counters;
    // Queue 1: offered twice (arrival, transfer back), transferred out once (unanswered), abandoned once after 6 s.
    assert_eq!((q1.offered, q1.transferred_out, q1.abandoned, q1.answered), (2, 1, 1, 0));
    assert_eq!(q1.service_level.transferred_out, 1);
    // Queue 2: offered once, answered after 4 s, one conversation of 60 s ended by the transfer.
    assert_eq!((q2.offered, q2.answered, q2.answer_wait, q2.handled, q2.talk), (1, 1, secs(4), 1, secs(60)));
    assert_eq!(lab.stats.channel(Channel::Chat).unwrap().counters.offered, 3);
    let r = lab.stats.poll_record().unwrap();
    assert_eq!(r.transfer_count, 2);
    assert_eq!(r.visits.iter().map(|v| v.queue.0).collect::<Vec<_>>(), vec![1, 2, 1]);
    assert_eq!(r.visits[0].exit, VisitExit::Transferred { to: QueueId(2) });
    assert!(r.transfers[1].after_answer);
    assert_eq!((r.answered_in, r.last_queue, r.talk), (Some(QueueId(2)), Some(QueueId(1)), secs(60)));
}

#[test]
fn deferrable_work_is_measured_by_its_response_target() {
    let email = ResponseTarget::new(80, secs(3_600), ResponseMeasure::Completed);
    let config = StatsConfig::builder().response_target(Channel::Email, email).build().unwrap();
    let mut lab = Lab::new(config);
    lab.cmd(Command::AddQueue(queue(1, &[Channel::Email, Channel::Voice]).with_offer_timeout(secs(86_400))));
    lab.h.arrive(1, Channel::Email, 1);
    lab.h.arrive(2, Channel::Email, 1);
    lab.feed();
    lab.at(3_700.0);
    let q = lab.stats.queue(QueueId(1)).unwrap();
    assert_eq!((q.in_queue.waiting, q.in_queue.overdue), (2, 2), "both older than an hour");
    assert_eq!(q.response.unwrap().target, Some(email));
    lab.h.add_agent(agent(1, Channel::Email, 2, &[1]));
    lab.feed();
    lab.accept(1).accept(2);
    lab.complete(1); // replied 3,700 s after arrival: late
    lab.h.arrive(3, Channel::Email, 1); // the agent is full: it waits
    lab.feed();
    lab.at(3_800.0).complete(2); // late; the agent frees up and gets e-mail 3
    lab.at(3_850.0).accept(3);
    lab.at(3_900.0).complete(3); // replied 200 s after arrival: within the hour
    let q = lab.stats.queue(QueueId(1)).unwrap();
    assert_eq!(q.counters.response, ResponseCounts { responded: 3, responded_within: 1 });
    assert_eq!(q.response.unwrap().level.map(|l| (l.met, l.counted)), Some((1, 3)));
    assert_eq!(q.counters.service_level, ServiceLevelCounts::default(), "e-mail is not in the voice service level");
    assert_eq!((q.counters.answered, q.counters.handled), (3, 3));
    assert_eq!(q.in_queue.overdue, 0);
}
