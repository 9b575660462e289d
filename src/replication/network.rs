//! An in-process network: replicas in one process call each other directly, and a test can
//! cut links to make partitions.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::error::{Fatal, RPCError, RaftError, RemoteError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse};
use openraft::{BasicNode, Raft, RaftNetwork, RaftNetworkFactory, Snapshot, Vote};

use super::{NodeId, TypeConfig};

/// Why a message did not reach its replica.
#[derive(Debug, thiserror::Error)]
#[error("replica {to} is unreachable from replica {from}")]
struct Cut {
    from: NodeId,
    to: NodeId,
}

#[derive(Default)]
struct Links {
    replicas: BTreeMap<NodeId, Raft<TypeConfig>>,
    /// Links that are down, each as (lower id, higher id): a cut is both ways.
    cut: BTreeSet<(NodeId, NodeId)>,
}

/// The replicas of one process and the links between them. Cloning gives another handle on the
/// same network.
///
/// Messages are Rust values handed from one replica's task to another's, with nothing encoded:
/// what this tests is the replication, not a wire format.
#[derive(Clone, Default)]
pub struct InProcessNetwork {
    links: Arc<Mutex<Links>>,
}

fn ordered(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

impl InProcessNetwork {
    /// A network with no replicas.
    #[must_use]
    pub fn new() -> Self {
        InProcessNetwork::default()
    }

    fn links(&self) -> MutexGuard<'_, Links> {
        self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes replica `id` reachable through `raft`.
    pub fn connect(&self, id: NodeId, raft: Raft<TypeConfig>) {
        self.links().replicas.insert(id, raft);
    }

    /// Makes replica `id` unreachable (as when its server dies).
    pub fn disconnect(&self, id: NodeId) {
        self.links().replicas.remove(&id);
    }

    /// Cuts every link between `id` and the others: a partition of one.
    pub fn isolate(&self, id: NodeId) {
        let mut links = self.links();
        let others: Vec<NodeId> = links.replicas.keys().copied().filter(|&other| other != id).collect();
        for other in others {
            links.cut.insert(ordered(id, other));
        }
    }

    /// Cuts the link between `a` and `b`, both ways.
    pub fn cut(&self, a: NodeId, b: NodeId) {
        self.links().cut.insert(ordered(a, b));
    }

    /// Mends every cut link.
    pub fn heal(&self) {
        self.links().cut.clear();
    }

    /// The network as replica `from` sees it: the factory its `Raft` sends through.
    #[must_use]
    pub fn for_replica(&self, from: NodeId) -> InProcessConnector {
        InProcessConnector { network: self.clone(), from }
    }

    /// The replica `to`, if `from` can reach it now.
    fn reach(&self, from: NodeId, to: NodeId) -> Result<Raft<TypeConfig>, Unreachable> {
        let links = self.links();
        match links.replicas.get(&to) {
            Some(raft) if !links.cut.contains(&ordered(from, to)) => Ok(raft.clone()),
            _ => Err(Unreachable::new(&Cut { from, to })),
        }
    }
}

/// Opens connections from one replica ([`InProcessNetwork::for_replica`]).
#[derive(Clone)]
pub struct InProcessConnector {
    network: InProcessNetwork,
    from: NodeId,
}

/// One replica's connection to another.
pub struct InProcessConnection {
    network: InProcessNetwork,
    from: NodeId,
    to: NodeId,
}

impl RaftNetworkFactory<TypeConfig> for InProcessConnector {
    type Network = InProcessConnection;

    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> Self::Network {
        InProcessConnection { network: self.network.clone(), from: self.from, to: target }
    }
}

type RpcError<E = openraft::error::Infallible> = RPCError<NodeId, BasicNode, RaftError<NodeId, E>>;

impl RaftNetwork<TypeConfig> for InProcessConnection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcError> {
        let raft = self.network.reach(self.from, self.to)?;
        raft.append_entries(rpc).await.map_err(|e| RPCError::RemoteError(RemoteError::new(self.to, e)))
    }

    async fn vote(&mut self, rpc: VoteRequest<NodeId>, _option: RPCOption) -> Result<VoteResponse<NodeId>, RpcError> {
        let raft = self.network.reach(self.from, self.to)?;
        raft.vote(rpc).await.map_err(|e| RPCError::RemoteError(RemoteError::new(self.to, e)))
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote<NodeId>,
        snapshot: Snapshot<TypeConfig>,
        _cancel: impl Future<Output = ReplicationClosed> + openraft::OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<TypeConfig, Fatal<NodeId>>> {
        let raft = self.network.reach(self.from, self.to)?;
        raft.install_full_snapshot(vote, snapshot)
            .await
            .map_err(|e| StreamingError::RemoteError(RemoteError::new(self.to, e)))
    }
}
