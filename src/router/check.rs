//! The index checked against the state it is derived from (for
//! `Engine::check_invariants`): every part recomputed the slow way.

use std::collections::{BTreeMap, BTreeSet};

use super::bitset::Bitset;
use super::select::Context;
use super::{List, Router, WaitKey, agent_key};
use crate::dense::DenseMap;
use crate::ids::{AgentId, InteractionId, QueueId};
use crate::model::agent::Agent;
use crate::model::interaction::Interaction;
use crate::model::queue::QueueConfig;
use crate::model::skill::Requirements;
use crate::time::{Timestamp, duration_millis};

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

impl Router {
    /// Checks the index against the engine's state; the first difference found, if any.
    pub(crate) fn check(
        &self,
        agents: &DenseMap<AgentId, Agent>,
        interactions: &DenseMap<InteractionId, Interaction>,
        queues: &BTreeMap<QueueId, QueueConfig>,
        never_reoffer_to_decliners: bool,
        now: Timestamp,
    ) -> Result<(), String> {
        let mut holders = vec![0u32; self.sigs.len()];
        for i in interactions.values() {
            let sig = interactions.tag(&i.id);
            // The rule part is the engine's to check (it knows the attribute kinds).
            ensure!(
                sig.is_some_and(|sig| self.sigs.get(sig as usize).is_some_and(|reqs| *reqs == i.requirements)),
                "{} does not hold its requirement set",
                i.id
            );
            holders[sig.unwrap_or_default() as usize] += 1;
        }
        // Interactions with several routing steps keep every step's set (see `Router::reserve`).
        for i in interactions.values() {
            let queue = &queues[&i.queue];
            let steps = i.steps(queue);
            let reserved = self.reserved.get(&i.id);
            // One step never changes: nothing to keep.
            if steps.len() < 2 {
                ensure!(reserved.is_none(), "{} keeps step sets without steps to move to", i.id);
                continue;
            }
            let base = queue.requirements.union(&i.own_requirements);
            let expected: Vec<Requirements> = steps.iter().map(|s| base.union(&s.requirements)).collect();
            let reserved: Vec<super::SigId> = reserved.into_iter().flatten().copied().collect();
            let kept: Vec<Requirements> = reserved.iter().map(|s| self.requirements(*s).clone()).collect();
            ensure!(kept == expected, "{} keeps step sets {kept:?}, its steps need {expected:?}", i.id);
            for sig in reserved {
                holders[sig as usize] += 1;
            }
        }
        ensure!(self.reserved.len() <= interactions.len(), "ended interactions still keep step sets");
        ensure!(
            holders == self.sig_holders,
            "requirement sets' holders {:?} but counted {:?}",
            self.sig_holders,
            holders
        );
        for (sig, reqs) in self.sigs.iter().enumerate() {
            let at = sig;
            let sig = u32::try_from(sig).map_err(|e| e.to_string())?;
            let rule = self.sig_rule[at];
            let live = self.find_sig(reqs, rule) == Some(sig);
            ensure!(live != self.free_sigs.contains(&sig), "signature {sig} is both live and free, or neither");
            let interned = rule.and_then(|r| self.rules.get(r as usize)).and_then(|r| r.rule.as_ref());
            ensure!(live || rule.is_none(), "freed signature {sig} keeps rule {rule:?}");
            ensure!(rule.is_none() || interned.is_some(), "signature {sig} carries a freed rule");
        }
        ensure!(
            self.sig_ids.len() + self.free_sigs.len() == self.sigs.len(),
            "{} signatures interned, {} free, of {}",
            self.sig_ids.len(),
            self.free_sigs.len(),
            self.sigs.len()
        );
        // Each rule is carried by as many live signatures as it counts, and keeps bits in the queues it names.
        let mut carried = vec![0u32; self.rules.len()];
        for rule in self.sig_rule.iter().flatten() {
            carried[*rule as usize] += 1;
        }
        for (id, entry) in self.rules.iter().enumerate() {
            let rid = u32::try_from(id).map_err(|e| e.to_string())?;
            ensure!(
                entry.signatures == carried[id],
                "rule {rid} counts {} signatures, {} carry it",
                entry.signatures,
                carried[id]
            );
            let idle = self.idle_rules.contains(&rid);
            let free = self.free_rules.contains(&rid);
            ensure!(
                u8::from(entry.signatures > 0) + u8::from(idle) + u8::from(free) == 1,
                "rule {rid} is not exactly one of carried, idle or free"
            );
            let with_bits: BTreeSet<QueueId> =
                self.queues.iter().filter(|(_, q)| q.rules.contains_key(&rid)).map(|(id, _)| *id).collect();
            ensure!(with_bits == entry.queues, "rule {rid} keeps bits in {with_bits:?} but names {:?}", entry.queues);
            ensure!(
                entry.rule.as_ref().is_none_or(|r| self.rule_ids.get(r) == Some(&rid)),
                "rule {rid} is not interned under its expression"
            );
        }
        // Who the seats say is ready, per (queue, channel), gathered once: the checks per queue
        // below compare it with who should be.
        let mut ready_places: BTreeMap<(QueueId, crate::Channel), BTreeMap<u32, (i64, super::AgentKey)>> =
            BTreeMap::new();
        for (at, a) in agents.values_with_slots() {
            let mut expected = Vec::new();
            let placed = self.seats.get(at);
            let seats: Vec<QueueId> = placed.iter().map(|s| s.queue).collect();
            let queues_in_order: Vec<QueueId> = a.config.queues.iter().map(|m| m.queue).collect();
            ensure!(seats == queues_in_order, "{} has seats in {:?} but serves {:?}", a.id(), seats, queues_in_order);
            for m in &a.config.queues {
                let member = super::seat_in(placed, m.queue);
                let member = member.ok_or_else(|| format!("{} is not a member of {}", a.id(), m.queue))?;
                ensure!(member.works(), "{} does not work their channels in {}", a.id(), m.queue);
                for (channel, _) in a.config.capacity.channels() {
                    let ready = (a.is_routable() && super::has_room(&self.config, a, channel))
                        .then(|| agent_key(queues[&m.queue].strategy, a, m.queue, &Requirements::default()));
                    expected.push((m.queue, channel, member.slot, duration_millis(m.delay), ready));
                }
            }
            let places = self.expanded(placed, a);
            ensure!(places == expected, "{} has places {:?} but belongs in {:?}", a.id(), places, expected);
            for &(queue, channel, slot, delay_ms, ready) in &places {
                if let Some(key) = ready {
                    ready_places.entry((queue, channel)).or_default().insert(slot, (delay_ms, key));
                }
            }
            for seat in placed {
                let ready = places.iter().any(|p| p.0 == seat.queue && p.4.is_some());
                ensure!(
                    seat.pooled() == ready,
                    "{} pooled in {}: {}, ready there: {ready}",
                    a.id(),
                    seat.queue,
                    seat.pooled()
                );
                let channels = a.config.capacity.channels().count().min(super::Seat::CHANNEL_BITS);
                ensure!(seat.ready_bits() >> channels == 0, "{} is ready on channels they do not have", a.id());
            }
        }
        let mut members_by_queue = self.members_by_queue(agents)?;
        for (qid, q) in &self.queues {
            let members = members_by_queue.remove(qid).unwrap_or_default();
            self.check_members(*qid, agents, &members)?;
            self.check_rules(*qid, agents, &members)?;
            // Pools: per delay, the members ready on any channel of the queue, under their key.
            let mut pools: BTreeMap<i64, super::Pool> = BTreeMap::new();
            for (agent_id, member) in &members {
                let a = &agents[agent_id];
                let ready = a.is_routable()
                    && a.config
                        .capacity
                        .channels()
                        .any(|(c, _)| q.channels.contains_key(&c) && super::has_room(&self.config, a, c));
                if ready {
                    let key = agent_key(queues[qid].strategy, a, *qid, &Requirements::default());
                    let delay =
                        super::member_delay(a, *qid).ok_or_else(|| format!("{qid}: {agent_id} has no delay"))?;
                    pools.entry(delay).or_default().insert((key, *agent_id), member.slot);
                }
            }
            for (delay, pool) in &q.pools {
                ensure!(q.delays.contains_key(delay), "{qid}: a pool for delay {delay}, which no member has");
                let expected = pools.remove(delay).unwrap_or_default();
                ensure!(expected == *pool, "{qid}: pool {delay} holds {pool:?}, not the ready members {expected:?}");
            }
            ensure!(pools.is_empty(), "{qid}: ready members in no pool: {pools:?}");
            for (channel, ch) in &q.channels {
                // Ready tiers: exactly the routable members with room, at their delay and key.
                let mut placed = BTreeMap::new();
                for (agent_id, member) in &members {
                    let a = &agents[agent_id];
                    if a.is_routable() && super::has_room(&self.config, a, *channel) {
                        let key = agent_key(queues[qid].strategy, a, *qid, &Requirements::default());
                        let delay =
                            super::member_delay(a, *qid).ok_or_else(|| format!("{qid}: {agent_id} has no delay"))?;
                        placed.insert(member.slot, (delay, key));
                    }
                }
                let indexed = ready_places.remove(&(*qid, *channel)).unwrap_or_default();
                ensure!(placed == indexed, "{qid}/{channel}: ready {:?} but the index has {:?}", placed, indexed);
                let mut tiers: BTreeMap<i64, Bitset> = BTreeMap::new();
                for (slot, (delay, _)) in &placed {
                    tiers.entry(*delay).or_default().insert(*slot);
                }
                for (delay, tier) in &ch.tiers {
                    ensure!(
                        q.delays.contains_key(delay),
                        "{qid}/{channel}: a tier for delay {delay}, which no member has"
                    );
                    let expected = tiers.remove(delay).unwrap_or_default();
                    ensure!(expected == tier.ready, "{qid}/{channel}: tier {delay}'s bits differ from who is ready");
                }
                ensure!(tiers.is_empty(), "{qid}/{channel}: ready members in no tier: {tiers:?}");

                // Lists: one per requirement set waiting, with its head, length and qualified members.
                let mut lists: BTreeMap<u32, List> = BTreeMap::new();
                for super::Listed(w) in &ch.waiting {
                    let i = interactions.at_slot(w.at).ok_or_else(|| format!("slot {} listed but empty", w.at))?;
                    ensure!(interactions.slot(&i.id) == Some(w.at), "{} listed at another slot", i.id);
                    ensure!(i.is_queued(), "{} listed but {:?}", i.id, i.state());
                    ensure!((i.queue, i.channel) == (*qid, *channel), "{} listed in the wrong queue", i.id);
                    ensure!(interactions.tag(&i.id) == Some(w.sig), "{} listed under another set", i.id);
                    ensure!(*w == WaitKey::new(i, w.at, w.sig, &queues[qid]), "{}'s key is stale", i.id);
                    let list = lists.entry(w.sig).or_insert(List { len: 0, qualified: 0 });
                    list.len += 1;
                }
                // Counted from the channel, skill and rule bits, which
                // `check_members` and `check_rules` have just held to the
                // members' configuration: asking every member of the queue
                // about every list made restoring 50,000 lists over queues
                // of 2,000 members take 15 s.
                for (sig, list) in &mut lists {
                    list.qualified = q.count_qualified(&ch.works, self.requirements(*sig), self.rule_of(*sig));
                }
                ensure!(lists == ch.lists, "{qid}/{channel}: lists {:?} but the index has {:?}", lists, ch.lists);
                let mut heads = super::Heads::default();
                for (sig, _) in lists.iter().filter(|(_, l)| l.qualified > 0) {
                    let head = ch.head_of(*sig).expect("a list has a head");
                    heads.insert(&super::Shape::of(self.requirements(*sig)), head);
                }
                ensure!(heads == ch.heads, "{qid}/{channel}: heads differ from the lists'");
                let all: BTreeSet<(WaitKey, u32)> = ch.heads.all().collect();
                ensure!(all.len() == ch.heads.all().count(), "{qid}/{channel}: a head is listed twice");

                // Work conservation for real-time work: a waiting call never
                // sits beside a ready agent who could take it now.
                if ch.realtime && !self.closed.contains(qid) {
                    // Blending does not enter this check: real-time work only.
                    let ctx = Context {
                        agents,
                        interactions,
                        queues,
                        never_reoffer_to_decliners,
                        blending: crate::config::Blending::RealTimeFirst,
                        blend_horizon_ms: 0,
                        now,
                        ringing: &[],
                    };
                    // Per list, the ready members its eligibility admits, from
                    // the bits verified above: asking every ready agent about
                    // every waiting call made restoring a large backlog slow.
                    let mut eligible: Option<(u32, Vec<(i64, AgentId)>)> = None;
                    for super::Listed(w) in &ch.waiting {
                        let sig = &w.sig;
                        if eligible.as_ref().is_none_or(|(of, _)| of != sig) {
                            let sets = q.eligible_sets(self.requirements(*sig), self.rule_of(*sig));
                            let mut ready = Vec::new();
                            for (delay, tier) in &ch.tiers {
                                Bitset::for_each_common(&tier.ready, &sets, |slot| {
                                    if let Some(agent) = q.member_at(slot).and_then(|at| agents.at_slot(at)) {
                                        ready.push((*delay, agent.id()));
                                    }
                                });
                            }
                            eligible = Some((*sig, ready));
                        }
                        let Some((_, ready)) = &eligible else { continue };
                        if ready.is_empty() {
                            continue;
                        }
                        let i = interactions.at_slot(w.at).expect("checked above");
                        let waited = now.millis_since(i.queue_entered_at);
                        for (_, agent) in ready.iter().filter(|(delay, _)| *delay <= waited) {
                            let could = self.sig_admits(*sig, &agents[agent].config)
                                && !(never_reoffer_to_decliners && i.declined_by().contains(agent))
                                // A draining agent takes nothing (headroom), whatever waits.
                                && self.scan_drain_cause(&agents[agent], &ctx).is_none();
                            ensure!(!could, "{} waits in {qid}/{channel} while {agent} could take it", i.id);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A queue's rule bits: every list with a rule has its rule's bits
    /// here, and each rule's bits are the members it admits.
    fn check_rules(&self, qid: QueueId, agents: &DenseMap<AgentId, Agent>, members: &Members) -> Result<(), String> {
        let q = &self.queues[&qid];
        for ch in q.channels.values() {
            for sig in ch.lists.keys() {
                if let Some(rule) = self.rule_of(*sig) {
                    ensure!(q.rules.contains_key(&rule), "{qid}: a list of rule {rule} but no bits for it");
                }
            }
        }
        for (rule, bits) in &q.rules {
            let expression = self.rules.get(*rule as usize).and_then(|r| r.rule.as_ref());
            let expression = expression.ok_or_else(|| format!("{qid}: bits for freed rule {rule}"))?;
            let mut admitted = Bitset::default();
            for (agent, seat) in members {
                let a = &agents[agent].config;
                if expression.admits(a.id, &a.skills, &a.attributes) {
                    admitted.insert(seat.slot);
                }
            }
            ensure!(admitted == *bits, "{qid}: rule {rule} admits other members than its bits say");
        }
        Ok(())
    }

    /// A queue's members, slots, delays and skill and channel bits against the agents' configuration.
    fn check_members(&self, qid: QueueId, agents: &DenseMap<AgentId, Agent>, members: &Members) -> Result<(), String> {
        let q = &self.queues[&qid];
        let mut delays = BTreeMap::new();
        let mut skills: BTreeMap<_, [Bitset; 5]> = BTreeMap::new();
        let mut works: BTreeMap<_, Bitset> = BTreeMap::new();
        for (id, member) in members {
            let a = agents.get(id).ok_or_else(|| format!("{qid}: member {id} does not exist"))?;
            let m = a.config.queues.iter().find(|m| m.queue == qid);
            let m = m.ok_or_else(|| format!("{qid}: {id} has a seat but does not serve it"))?;
            let at = agents.slot(id);
            ensure!(at.is_some() && q.member_at(member.slot) == at, "{qid}: {id}'s slot is not theirs");
            *delays.entry(duration_millis(m.delay)).or_insert(0u32) += 1;
            for (skill, level) in a.config.skills.iter() {
                let by_level = skills.entry(skill).or_default();
                for bits in by_level.iter_mut().take(usize::from(level.level())) {
                    bits.insert(member.slot);
                }
            }
            for (channel, _) in a.config.capacity.channels() {
                works.entry(channel).or_default().insert(member.slot);
            }
        }
        for a in agents.values() {
            ensure!(
                a.config.queues.iter().all(|m| members.contains_key(&a.id()) || m.queue != qid),
                "{qid}: {} is a member but not in the index",
                a.id()
            );
        }
        ensure!(delays == q.delays, "{qid}: delay counts {:?} but the index has {:?}", delays, q.delays);
        ensure!(skills == q.skills, "{qid}: skill bits differ from the members' skills");
        for (channel, ch) in &q.channels {
            ensure!(
                works.get(channel).cloned().unwrap_or_default() == ch.works,
                "{qid}/{channel}: channel bits differ"
            );
        }
        let used = q.slots.iter().filter(|at| **at != super::FREE).count();
        ensure!(used == members.len(), "{qid}: {used} slots held by {} members", members.len());
        ensure!(
            q.free_slots.iter().all(|s| q.slots.get(*s as usize) == Some(&super::FREE)),
            "{qid}: a free slot is held"
        );
        Ok(())
    }
}

/// A queue's members by agent, with their seat there.
type Members = BTreeMap<AgentId, super::Seat>;

/// An agent's places one by one, as (queue, channel, slot, delay, key when ready).
type Expanded = (QueueId, crate::model::channel::Channel, u32, i64, Option<super::AgentKey>);

impl Router {
    /// The places of `agent`, whose seats are `seats`: per seat where they
    /// work, each of their channels, with the seat's slot, delay and key
    /// when ready, in order.
    fn expanded(&self, seats: &[super::Seat], agent: &Agent) -> Vec<Expanded> {
        let mut places = Vec::new();
        for seat in seats.iter().filter(|s| s.works()) {
            let Some(q) = self.queues.get(&seat.queue) else { continue };
            // A seat in a queue they do not serve fails the check of seats against memberships.
            let Some(delay) = super::member_delay(agent, seat.queue) else { continue };
            for (i, (channel, _)) in agent.config.capacity.channels().enumerate() {
                let ready = seat.ready_on(q, i, channel, agent).then_some(seat.key);
                places.push((seat.queue, channel, seat.slot, delay, ready));
            }
        }
        places
    }

    /// Every queue's members as the agents' seats say, by queue and agent; an error if a removed
    /// agent keeps seats. One pass over the seats: walking them once per queue (and again per
    /// rule) was most of the time of a debug test run.
    fn members_by_queue(&self, agents: &DenseMap<AgentId, Agent>) -> Result<BTreeMap<QueueId, Members>, String> {
        let mut by_queue: BTreeMap<QueueId, Members> = BTreeMap::new();
        for (at, seats) in self.seats.iter() {
            let agent = agents.at_slot(at).ok_or("a removed agent keeps seats")?;
            // The first seat per queue, as `seat_in` reads them: a second is the seats check's to find.
            for seat in seats {
                by_queue.entry(seat.queue).or_default().entry(agent.id()).or_insert(*seat);
            }
        }
        Ok(by_queue)
    }
}
