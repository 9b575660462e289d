//! Contact history through the statistics: retention as time advances, the
//! hard cap, cases, the offer-time lookup, and a host's own store.

use crate::common;

use std::sync::{Arc, Mutex};

use common::*;
use switchboard::stats::*;
use switchboard::*;

const DAY: u64 = 86_400;

/// Feeds every new event of the harness to the statistics.
fn feed(h: &Harness, stats: &mut Statistics, fed: &mut usize) {
    for event in &h.log[*fed..] {
        stats.observe(event, &h.engine);
    }
    *fed = h.log.len();
}

/// One customer contact, handled at once: arrive, accept, complete.
fn contact(h: &mut Harness, id: u64, channel: Channel, customer: u64, case: Option<u64>) {
    let mut new = NewInteraction::new(InteractionId(id), channel, QueueId(1), CustomerId(customer));
    if let Some(case) = case {
        new = new.with_case(CaseId(case));
    }
    h.arrive_with(new);
    h.accept(id);
    h.complete(id);
}

fn setup(h: &mut Harness) {
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Email, Channel::Chat])));
    let cap = CapacityProfile::new(100)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
        .with_channel(Channel::Email, ChannelCapacity::new(1).with_units(10))
        .with_channel(Channel::Chat, ChannelCapacity::new(1).with_units(10));
    h.add_agent(AgentConfig::new(AgentId(1), cap).with_queue(QueueMembership::new(QueueId(1))));
}

#[test]
fn retention_purges_as_time_advances_and_the_offer_sees_recent_history() {
    let policy = RetentionPolicy::new(secs(60 * DAY), 1_000).unwrap();
    let mut stats = Statistics::new(StatsConfig::builder().retention(policy).build().unwrap());
    let mut h = harness();
    let mut fed = 0;
    setup(&mut h);
    contact(&mut h, 1, Channel::Email, 7, Some(70)); // day 0
    h.at((10 * DAY) as f64);
    contact(&mut h, 2, Channel::Chat, 7, Some(70)); // day 10
    contact(&mut h, 3, Channel::Voice, 8, None);
    feed(&h, &mut stats, &mut fed);
    let history = stats.history().unwrap();
    assert_eq!(history.len(), 3);
    let case: Vec<u64> = history.case(CaseId(70)).iter().map(|e| e.interaction.0).collect();
    assert_eq!(case, vec![1, 2]);

    // Day 60, just before the first e-mail is 60 days old: the customer calls.
    h.at((60 * DAY - 1) as f64);
    h.arrive_with(NewInteraction::new(InteractionId(4), Channel::Voice, QueueId(1), CustomerId(7)));
    let mut shown = Vec::new();
    for event in &h.log[fed..] {
        stats.observe(event, &h.engine);
        if let EventKind::InteractionOffered(offer) = &event.kind {
            // The recipe: look up the customer's recent history when the offer is made.
            shown = stats.history().unwrap().recent(offer.customer, event.at, 10);
        }
    }
    fed = h.log.len();
    let seen: Vec<(u64, Channel)> = shown.iter().map(|e| (e.interaction.0, e.channel)).collect();
    assert_eq!(seen, vec![(2, Channel::Chat), (1, Channel::Email)], "newest first, every channel");
    assert_eq!(shown[1].outcome, Outcome::Handled { agent: AgentId(1) });

    // Two seconds later the first e-mail (ended at 0 s) is 60 days old: purged, deterministically.
    h.at((60 * DAY + 1) as f64);
    feed(&h, &mut stats, &mut fed);
    stats.advance(h.now);
    let history = stats.history().unwrap();
    let left: Vec<u64> = history.customer(CustomerId(7)).iter().map(|e| e.interaction.0).collect();
    assert_eq!(left, vec![2], "the live call 4 is not in history until it ends");
    assert_eq!(history.case(CaseId(70)).len(), 1);
    assert_eq!(history.len(), 2);
}

#[test]
fn the_hard_cap_evicts_the_oldest() {
    let policy = RetentionPolicy::new(secs(365 * DAY), 3).unwrap();
    let mut stats = Statistics::new(StatsConfig::builder().retention(policy).build().unwrap());
    let mut h = harness();
    let mut fed = 0;
    setup(&mut h);
    for id in 1..=5 {
        h.at(id as f64 * 10.0);
        contact(&mut h, id, Channel::Chat, 1, None);
    }
    feed(&h, &mut stats, &mut fed);
    let kept: Vec<u64> = stats.history().unwrap().customer(CustomerId(1)).iter().map(|e| e.interaction.0).collect();
    assert_eq!(kept, vec![3, 4, 5]);
}

/// A host's own store: here it only collects what it is given.
#[derive(Clone, Default)]
struct HostStore {
    seen: Arc<Mutex<Vec<HistoryEntry>>>,
    purged_at: Arc<Mutex<Vec<Timestamp>>>,
}

impl ContactHistory for HostStore {
    fn record(&mut self, entry: HistoryEntry) {
        self.seen.lock().unwrap().push(entry);
    }
    fn purge(&mut self, now: Timestamp) {
        self.purged_at.lock().unwrap().push(now);
    }
    fn customer(&self, customer: CustomerId) -> Vec<HistoryEntry> {
        self.seen.lock().unwrap().iter().filter(|e| e.customer == customer).cloned().collect()
    }
    fn case(&self, case: CaseId) -> Vec<HistoryEntry> {
        self.seen.lock().unwrap().iter().filter(|e| e.case == Some(case)).cloned().collect()
    }
    fn recent(&self, customer: CustomerId, _now: Timestamp, limit: usize) -> Vec<HistoryEntry> {
        self.customer(customer).into_iter().rev().take(limit).collect()
    }
    fn len(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

#[test]
fn a_host_can_keep_history_in_its_own_store() {
    let store = HostStore::default();
    let mut stats = Statistics::with_history(StatsConfig::default(), Box::new(store.clone()));
    let mut h = harness();
    let mut fed = 0;
    setup(&mut h);
    contact(&mut h, 1, Channel::Voice, 9, None);
    feed(&h, &mut stats, &mut fed);
    assert_eq!(store.seen.lock().unwrap().len(), 1);
    assert!(!store.purged_at.lock().unwrap().is_empty(), "purge is called as time advances");
    assert_eq!(stats.history().unwrap().recent(CustomerId(9), h.now, 1)[0].interaction, InteractionId(1));

    let mut off = Statistics::new(StatsConfig::builder().keep_history(false).keep_records(false).build().unwrap());
    let mut fed = 0;
    feed(&h, &mut off, &mut fed);
    assert!(off.history().is_none());
    assert_eq!(off.poll_record(), None);
}
