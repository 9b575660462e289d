//! Three replicas of the engine on 127.0.0.1 ports, one of them lost mid-stream.
//!
//! `cargo run --release --features replication --example replicated`
//!
//! Starts three replicas in this process, each listening on its own localhost port and talking
//! to the others over TCP; routes a stream of calls through the leader (arrive, accept, talk,
//! complete), kills the leader halfway (its server stops answering and its Raft node stops),
//! waits for a follower to take over, re-rings the offers that were in flight, routes the rest
//! of the stream through the new leader, and checks that no interaction was lost or duplicated
//! and that the two survivors hold byte-identical engines. Exits non-zero if not.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use switchboard::replication::{
    Applied, MemoryLog, NodeId, Replica, ReplicationError, SequencedEvent, TcpNetwork, serve,
};
use switchboard::*;

const CALLS: u64 = 40;
const AGENTS: u64 = 4;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_millis(1_767_258_000_000 + secs as i64 * 1000)
}

struct Host {
    replicas: BTreeMap<NodeId, Replica>,
    servers: BTreeMap<NodeId, tokio::task::JoinHandle<()>>,
    /// Events delivered to the agents' desktops and wallboards, by sequence number: a re-sent
    /// event is recognised and dropped.
    delivered: BTreeSet<u64>,
    duplicates_dropped: usize,
}

impl Host {
    async fn leader(&self) -> NodeId {
        loop {
            for replica in self.replicas.values() {
                if let Some(l) = replica.leader().await {
                    if self.replicas.contains_key(&l) {
                        return l;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn deliver(&mut self, events: &[SequencedEvent]) {
        for e in events {
            if !self.delivered.insert(e.seq) {
                self.duplicates_dropped += 1;
            }
        }
    }

    /// Submits through whichever replica leads, until a leader acknowledges it.
    async fn submit(&mut self, command: Command, now: Timestamp) -> Result<Applied, ReplicationError> {
        loop {
            let leader = self.leader().await;
            match self.replicas[&leader].submit(command.clone(), now).await {
                Ok(applied) => {
                    self.deliver(&applied.events);
                    return Ok(applied);
                }
                Err(ReplicationError::Rejected { error, applied }) => {
                    self.deliver(&applied.events);
                    return Err(ReplicationError::Rejected { error, applied });
                }
                Err(ReplicationError::NotLeader { .. } | ReplicationError::Timeout { .. }) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(other) => return Err(other),
            }
        }
    }

    async fn kill(&mut self, id: NodeId) {
        self.servers.remove(&id).expect("a live replica").abort();
        self.replicas.remove(&id).expect("a live replica").shutdown().await.expect("stops");
    }
}

fn offer_for(applied: &Applied, interaction: InteractionId) -> Option<(AgentId, OfferId)> {
    applied.events.iter().find_map(|e| match &e.event.kind {
        EventKind::InteractionOffered(offer) if offer.interaction == interaction => Some((offer.agent, offer.id)),
        _ => None,
    })
}

async fn run() -> Result<(), String> {
    let engine = EngineConfig::builder().missed_offer_pause(None).build().map_err(|e| e.to_string())?;
    let mut host =
        Host { replicas: BTreeMap::new(), servers: BTreeMap::new(), delivered: BTreeSet::new(), duplicates_dropped: 0 };
    let mut members = Vec::new();
    for id in 1..=3 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?.to_string();
        let replica = Replica::start(id, engine.clone(), Replica::test_config(), MemoryLog::new(), TcpNetwork::new())
            .await
            .map_err(|e| e.to_string())?;
        host.servers.insert(id, serve(listener, replica.raft().clone()));
        host.replicas.insert(id, replica);
        println!("replica {id} listening on {addr}");
        members.push((id, addr));
    }
    host.replicas[&1].initialize_at(&members).await.map_err(|e| e.to_string())?;
    let first = host.replicas[&1].wait_for_leader(Duration::from_secs(10)).await.map_err(|e| e.to_string())?;
    println!("replica {first} leads");

    let queue = QueueConfig::new(QueueId(1), "support", [Channel::Voice]);
    host.submit(Command::AddQueue(queue), at(0)).await.map_err(|e| e.to_string())?;
    for a in 1..=AGENTS {
        let agent = AgentConfig::new(AgentId(a), CapacityProfile::single(Channel::Voice, 1))
            .with_queue(QueueMembership::new(QueueId(1)));
        host.submit(Command::AddAgent(agent), at(0)).await.map_err(|e| e.to_string())?;
        host.submit(Command::Login { agent: AgentId(a) }, at(0)).await.map_err(|e| e.to_string())?;
    }

    // Calls 15 s apart, each answered at once and talked for 40 s: a few are always connected.
    let mut talking: Vec<(u64, AgentId, InteractionId)> = Vec::new();
    for call in 1..=CALLS {
        let now = call * 15;
        for (_, agent, interaction) in talking.iter().filter(|(end, _, _)| *end <= now) {
            host.submit(Command::Complete { agent: *agent, interaction: *interaction }, at(now))
                .await
                .map_err(|e| e.to_string())?;
        }
        talking.retain(|(end, _, _)| *end > now);
        let interaction = InteractionId(call);
        let arrival = Command::Arrive(NewInteraction::new(interaction, Channel::Voice, QueueId(1), CustomerId(call)));
        let applied = host.submit(arrival, at(now)).await.map_err(|e| e.to_string())?;
        let mut offer = offer_for(&applied, interaction);
        if call == CALLS / 2 {
            // The leader dies while this call rings its agent.
            let old = host.leader().await;
            host.kill(old).await;
            println!(
                "t+{now}s: killed the leader, replica {old}, while call {call} rang and {} were connected",
                talking.len()
            );
            let new = host.leader().await;
            let in_flight = host.replicas[&new].in_flight().await.map_err(|e| e.to_string())?;
            println!(
                "t+{now}s: replica {new} leads; its host re-rings {} pending offer(s) with the same ids, {} calls stay connected",
                in_flight.offers.len(),
                in_flight.connected.len()
            );
            offer = in_flight.offers.iter().find(|o| o.interaction == interaction).map(|o| (o.agent, o.id));
            // Re-delivery from a little before the last event this host saw: duplicates are dropped by number.
            let last = host.delivered.iter().next_back().copied().unwrap_or(0);
            let resent = host.replicas[&new].events_after(last.saturating_sub(5)).map_err(|e| e.to_string())?;
            host.deliver(&resent);
        }
        if let Some((agent, offer)) = offer {
            host.submit(Command::Accept { agent, offer }, at(now + 1)).await.map_err(|e| e.to_string())?;
            talking.push((now + 40, agent, interaction));
        }
    }
    let end = CALLS * 15 + 60;
    for (_, agent, interaction) in std::mem::take(&mut talking) {
        host.submit(Command::Complete { agent, interaction }, at(end)).await.map_err(|e| e.to_string())?;
    }

    // The survivors converge on the same engine, byte for byte.
    let leader = host.leader().await;
    let totals = host.replicas[&leader].read(|e| e.totals()).await.map_err(|e| e.to_string())?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let identical = loop {
        let states: Vec<Vec<u8>> = host.replicas.values().filter_map(|r| r.state_bytes().ok()).collect();
        if states.len() == 2 && states[0] == states[1] {
            break true;
        }
        if tokio::time::Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let last_seq = host.replicas[&leader].next_event_seq() - 1;
    let gapless = host.delivered.len() as u64 == last_seq;
    println!(
        "{} calls arrived, {} ended, {} live; events 1..{last_seq} delivered {}, {} re-sent duplicates dropped; survivors identical: {identical}",
        totals.arrived,
        totals.ended(),
        totals.arrived - totals.ended(),
        if gapless { "without a gap" } else { "WITH GAPS" },
        host.duplicates_dropped
    );
    for id in host.replicas.keys().copied().collect::<Vec<_>>() {
        host.kill(id).await;
    }
    if totals.arrived == CALLS && totals.ended() == CALLS && identical && gapless {
        println!("no interaction lost or duplicated");
        Ok(())
    } else {
        Err("an interaction was lost or duplicated, or the survivors differ".to_string())
    }
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    if let Err(e) = runtime.block_on(run()) {
        eprintln!("replicated: {e}");
        std::process::exit(1);
    }
}
