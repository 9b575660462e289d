//! Self-service and deflection (issue #13 §4): contacts resolved before any queue, in the
//! engine's totals, the records, the contact history, the cost model and the interval reports.

use crate::common;

use common::*;
use switchboard::stats::*;
use switchboard::*;

fn feed(h: &Harness, stats: &mut Statistics, fed: &mut usize) {
    for event in &h.log[*fed..] {
        stats.observe(event, &h.engine);
    }
    *fed = h.log.len();
}

fn faq(id: u64, customer: u64) -> SelfServedContact {
    SelfServedContact::new(InteractionId(id), Channel::Chat, CustomerId(customer), SelfService::Faq)
}

#[test]
fn a_self_served_contact_is_counted_recorded_costed_and_in_the_history() {
    let cost = CostModel::new().with_channel(Channel::Chat, ChannelCost::new(1.0, 0.5).with_self_served(0.05)).unwrap();
    let config = StatsConfig::builder().cost(cost).breakdown_by("region").build().unwrap();
    let mut stats = Statistics::new(config);
    let mut h = harness();
    let mut fed = 0;
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    h.add_agent(agent(1, Channel::Chat, 1, &[1]));
    // Three chats deflected by the FAQ (one about case 5, from the north), one that reached an agent.
    h.cmd(Command::SelfServed(faq(1, 7).with_case(CaseId(5)).with_reason("opening hours")));
    h.cmd(Command::SelfServed(faq(2, 8).with_attributes(Attributes::new().with("region", "north"))));
    h.cmd(Command::SelfServed(SelfServedContact::new(
        InteractionId(3),
        Channel::Chat,
        CustomerId(9),
        SelfService::Bot,
    )));
    h.arrive_with(NewInteraction::new(InteractionId(4), Channel::Chat, QueueId(1), CustomerId(7)).with_case(CaseId(5)));
    h.accept(4);
    h.at(60.0).complete(4);
    feed(&h, &mut stats, &mut fed);

    // The engine counts them apart from arrivals, and holds none of them.
    let totals = h.engine.totals();
    assert_eq!((totals.self_served, totals.arrived, totals.handled), (3, 1, 1));
    assert_eq!(h.engine.interactions().count(), 0);

    // One record each, ended at once, in no queue, with its own cost.
    let records: Vec<InteractionRecord> = std::iter::from_fn(|| stats.poll_record()).collect();
    assert_eq!(records.len(), 4);
    let first = &records[0];
    assert_eq!((first.interaction, first.outcome), (InteractionId(1), Some(Outcome::SelfServed(SelfService::Faq))));
    assert_eq!((first.last_queue, first.handling_queue(), first.case), (None, None, Some(CaseId(5))));
    assert_eq!((first.arrived_at, first.ended_at), (h.log[2].at, Some(h.log[2].at)));
    assert_eq!(first.cost, Some(0.05));
    assert_eq!(records[2].outcome, Some(Outcome::SelfServed(SelfService::Bot)));
    assert_eq!(records[3].last_queue, Some(QueueId(1)));

    // The customer's history and the case's show the FAQ visit beside the chat that followed.
    let history = stats.history().unwrap();
    let customer: Vec<(u64, Option<QueueId>)> =
        history.customer(CustomerId(7)).iter().map(|e| (e.interaction.0, e.queue)).collect();
    assert_eq!(customer, vec![(1, None), (4, Some(QueueId(1)))]);
    assert_eq!(history.case(CaseId(5)).len(), 2);

    // The channel's figures: 3 self-served beside 1 offered, a deflection rate of 75 %; the
    // queue's figures count none. The region breakdown counts the northern one.
    let chat = stats.channel(Channel::Chat).unwrap();
    assert_eq!((chat.counters.self_served, chat.counters.offered), (3, 1));
    assert_eq!(chat.counters.deflection_rate(), Some(0.75));
    assert_eq!(stats.queue(QueueId(1)).unwrap().counters.self_served, 0);
    let north = stats.breakdown("region").into_iter().find(|b| b.value == BreakdownValue::Value("north".into()));
    assert_eq!(north.map(|b| b.counters.self_served), Some(1));

    // The cost ledger books them to the channel (0.05 each, beside the chat: 1 + 0.5 a handled
    // minute) and to no queue.
    let ledger = stats.cost();
    let chat_line = ledger.channels.iter().find(|l| l.channel == Channel::Chat).unwrap();
    assert_eq!(chat_line.line.contacts, 4);
    assert!((chat_line.line.cost - (3.0 * 0.05 + 1.0 + 0.5)).abs() < 1e-9, "{}", chat_line.line.cost);
    assert_eq!(ledger.queues.iter().map(|l| l.line.contacts).sum::<u64>(), 1);

    // The interval report carries the same counts.
    h.at(3_600.0);
    feed(&h, &mut stats, &mut fed);
    stats.advance(h.now);
    let report = stats.poll_report().expect("the first interval closed");
    let chat = report.channels.iter().find(|c| c.scope == Scope::Channel(Channel::Chat)).unwrap();
    assert_eq!(chat.counters.deflection_rate(), Some(0.75));
}

#[test]
fn bad_self_service_contacts_are_refused_and_change_nothing() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    h.arrive(1, Channel::Chat, 1);
    let before = h.engine.snapshot();
    let cases: Vec<(&str, SelfServedContact, CommandError)> = vec![
        ("the id of a live interaction", faq(1, 1), CommandError::DuplicateInteraction(InteractionId(1))),
        (
            "an undeclared custom channel",
            SelfServedContact::new(InteractionId(2), Channel::Custom(9), CustomerId(1), SelfService::Ivr),
            CommandError::UnknownChannel(Channel::Custom(9)),
        ),
        (
            "a reason over the byte limit",
            faq(2, 1).with_reason("x".repeat(5_000)),
            CommandError::LimitReached { what: Limit::AttributeBytes, limit: 4_096 },
        ),
    ];
    for (name, contact, expected) in cases {
        assert_eq!(h.try_cmd(Command::SelfServed(contact)), Err(expected), "{name}");
        assert_eq!(h.engine.snapshot(), before, "{name} changed the engine");
    }
}
