//! Agent-selection strategies as sort keys: the lowest key wins.

use crate::ids::QueueId;
use crate::model::agent::Agent;
use crate::model::queue::AgentSelection;
use crate::model::skill::Requirements;

/// An agent's rank in one pool; the lowest wins, and the agent id (stored
/// beside it) breaks ties.
pub(crate) type AgentKey = (i64, i64);

/// The key of `agent` under `strategy` for interactions of `queue` needing `reqs`.
pub(crate) fn agent_key(strategy: AgentSelection, agent: &Agent, queue: QueueId, reqs: &Requirements) -> AgentKey {
    let idle_since = agent.idle_since.as_millis();
    match strategy {
        AgentSelection::LongestIdle => (i64::from(agent.load.items() > 0), idle_since),
        AgentSelection::MostProficient => (-i64::from(agent.config.skills.score(reqs)), idle_since),
        AgentSelection::LeastOccupied => {
            // Parts per million of the total, so agents with different totals compare fairly.
            let total = u64::from(agent.config.capacity.total_units().max(1));
            let ppm = u64::from(agent.load.units()) * 1_000_000 / total;
            (i64::try_from(ppm).unwrap_or(i64::MAX), idle_since)
        }
        AgentSelection::RoundRobin => {
            let last = agent.held().last_offer.get(&queue).copied().unwrap_or(0);
            (i64::try_from(last).unwrap_or(i64::MAX), 0)
        }
        AgentSelection::FewestContacts => (i64::try_from(agent.contacts()).unwrap_or(i64::MAX), idle_since),
        AgentSelection::LeastTalkTime => (i64::try_from(agent.held().talk_ms).unwrap_or(i64::MAX), idle_since),
        AgentSelection::Linear => {
            let position = agent.config.queues.iter().find(|m| m.queue == queue).map_or(0, |m| m.position);
            (i64::from(position), 0)
        }
        AgentSelection::Random | AgentSelection::WeightedRandom => {
            (i64::try_from(agent.pass(queue)).unwrap_or(i64::MAX), 0)
        }
        AgentSelection::MostAvailable => {
            let spare = agent.config.capacity.total_units().saturating_sub(agent.load.units());
            (-i64::from(spare), idle_since)
        }
    }
}

/// How far an offer moves an agent's pass in a random queue: a stride drawn
/// from the seed, the queue, the agent and the offer (SplitMix64), uniform on
/// 2^14 to 2^46 in steps of 2^14, divided by the agent's weight (1 for
/// [`AgentSelection::Random`]), so it is never below 1.
pub(crate) fn random_stride(seed: u64, queue: QueueId, agent: crate::ids::AgentId, offer: u64, weight: u32) -> u64 {
    let mut z = seed
        ^ queue.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ agent.0.wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
        ^ offer.wrapping_mul(0x1656_67b1_9e37_79f9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (((z >> 32) + 1) << 14) / u64::from(weight.max(1))
}
