//! Replicas in different processes: length-delimited JSON frames over TCP.
//!
//! Each replica listens on an address ([`serve`]) and reaches the others at theirs, the
//! addresses the cluster's membership records ([`Replica::initialize_at`](super::Replica::initialize_at)).
//! A connection carries one request frame then its response frame at a time; a replica opens
//! connections to a peer lazily (one for appends and heartbeats, others for votes and
//! snapshots), and drops one on any error or cancelled call (openraft backs off and resends, so
//! this module retries nothing itself). Frames are at most [`MAX_FRAME`] bytes: a snapshot must
//! fit in one.
//!
//! openraft's own examples speak HTTP (actix-web or tide servers, reqwest clients); this
//! transport keeps their JSON and their one-request-one-response shape, but frames the messages
//! with tokio-util's length-delimited codec on a plain socket: about a hundred fewer crates in
//! the feature, and nothing hand-rolled where a crate does it (framing by tokio-util, encoding by
//! openraft's serde, retries and backoff by openraft).

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use openraft::error::{
    Fatal, NetworkError, RPCError, RaftError, RemoteError, ReplicationClosed, StreamingError, Unreachable,
};
use openraft::network::RPCOption;
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse};
use openraft::{BasicNode, Raft, RaftNetwork, RaftNetworkFactory, Snapshot, SnapshotMeta, Vote};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::{NodeId, TypeConfig};

/// The largest frame a replica sends or accepts: 256 MiB. A snapshot travels in one frame, as
/// escaped JSON: about 500 bytes per waiting interaction, so room for some 400,000.
pub const MAX_FRAME: usize = 256 << 20;

/// A request from one replica to another.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    /// The snapshot's bytes are the engine's JSON, so they travel as a string (serde would write
    /// a `Vec<u8>` as an array of numbers, three to four times its size).
    Snapshot {
        vote: Vote<NodeId>,
        meta: SnapshotMeta<NodeId, BasicNode>,
        data: String,
    },
}

fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder().max_frame_length(MAX_FRAME).new_codec()
}

/// Why a frame could not be read as the message expected.
#[derive(Debug, thiserror::Error)]
enum FrameError {
    #[error("connection closed before the response")]
    Closed,
    #[error("frame i/o error")]
    Io(#[source] io::Error),
    #[error("frame does not hold the message expected")]
    Decode(#[source] serde_json::Error),
}

/// How many peers a server answers at once: a cluster has a handful of replicas, and each
/// opens a few connections (appends, votes, snapshots).
pub const MAX_CONNECTIONS: usize = 64;

/// How long a server waits for the next frame on a connection before closing it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves the Raft RPCs of `raft` to the replicas that connect to `listener`, until the task is
/// aborted (as when the server dies). A connection that sends a frame that is not a request, or
/// nothing for [`IDLE_TIMEOUT`], is closed; at most [`MAX_CONNECTIONS`] are served at once.
///
/// There is no authentication: whoever reaches the port can vote and send entries. Listen on
/// loopback or a network only the replicas share (or put the connections in a TLS tunnel).
pub fn serve(listener: TcpListener, raft: Raft<TypeConfig>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else { return };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors, a connection reset before it was accepted: wait and
                // go on listening, rather than leave the replica deaf.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let raft = raft.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _ = stream.set_nodelay(true);
                let mut frames = Framed::new(stream, codec());
                while let Ok(Some(Ok(frame))) = tokio::time::timeout(IDLE_TIMEOUT, frames.next()).await {
                    let Ok(request) = serde_json::from_slice::<Request>(&frame) else { break };
                    let response = match request {
                        Request::AppendEntries(rpc) => serde_json::to_vec(&raft.append_entries(rpc).await),
                        Request::Vote(rpc) => serde_json::to_vec(&raft.vote(rpc).await),
                        Request::Snapshot { vote, meta, data } => {
                            let snapshot = Snapshot { meta, snapshot: Box::new(data.into_bytes()) };
                            serde_json::to_vec(&raft.install_full_snapshot(vote, snapshot).await)
                        }
                    };
                    let Ok(response) = response else { break };
                    if frames.send(tokio_util::bytes::Bytes::from(response)).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}

/// Opens connections from one replica to the others, at the addresses of their [`BasicNode`]s.
#[derive(Clone, Debug, Default)]
pub struct TcpNetwork;

impl TcpNetwork {
    /// The network over TCP.
    #[must_use]
    pub fn new() -> Self {
        TcpNetwork
    }
}

/// One replica's connection to another, over TCP.
pub struct TcpConnection {
    target: NodeId,
    addr: String,
    frames: Option<Framed<TcpStream, LengthDelimitedCodec>>,
}

impl RaftNetworkFactory<TypeConfig> for TcpNetwork {
    type Network = TcpConnection;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> Self::Network {
        TcpConnection { target, addr: node.addr.clone(), frames: None }
    }
}

/// What went wrong on the way: not connected at all, or lost on the way.
enum Failure {
    Unreachable(io::Error),
    Network(FrameError),
}

impl TcpConnection {
    /// Sends `request` and reads the response; on any failure the connection is dropped, to be
    /// opened again by the next call.
    async fn call<T: DeserializeOwned>(&mut self, request: &Request) -> Result<T, Failure> {
        let body = serde_json::to_vec(request).map_err(|e| Failure::Network(FrameError::Decode(e)))?;
        // The connection is taken for the exchange and given back only after a whole answer: a
        // call that openraft's timeout cancels half-way drops it, so the next call can never read
        // the answer meant for this one.
        let mut frames = match self.frames.take() {
            Some(frames) => frames,
            None => {
                let stream = TcpStream::connect(&self.addr).await.map_err(Failure::Unreachable)?;
                let _ = stream.set_nodelay(true);
                Framed::new(stream, codec())
            }
        };
        let answer = exchange(&mut frames, body).await.map_err(Failure::Network)?;
        self.frames = Some(frames);
        Ok(answer)
    }

    fn rpc_error<E: std::error::Error>(&self, failure: Failure) -> RPCError<NodeId, BasicNode, RaftError<NodeId, E>> {
        match failure {
            Failure::Unreachable(e) => RPCError::Unreachable(Unreachable::new(&e)),
            Failure::Network(e) => RPCError::Network(NetworkError::new(&e)),
        }
    }
}

async fn exchange<T: DeserializeOwned>(
    frames: &mut Framed<TcpStream, LengthDelimitedCodec>,
    body: Vec<u8>,
) -> Result<T, FrameError> {
    frames.send(tokio_util::bytes::Bytes::from(body)).await.map_err(FrameError::Io)?;
    let frame = frames.next().await.ok_or(FrameError::Closed)?.map_err(FrameError::Io)?;
    serde_json::from_slice(&frame).map_err(FrameError::Decode)
}

type RpcResult<T> = Result<T, RPCError<NodeId, BasicNode, RaftError<NodeId>>>;

impl RaftNetwork<TypeConfig> for TcpConnection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        let answer: Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>> =
            self.call(&Request::AppendEntries(rpc)).await.map_err(|f| self.rpc_error(f))?;
        answer.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn vote(&mut self, rpc: VoteRequest<NodeId>, _option: RPCOption) -> RpcResult<VoteResponse<NodeId>> {
        let answer: Result<VoteResponse<NodeId>, RaftError<NodeId>> =
            self.call(&Request::Vote(rpc)).await.map_err(|f| self.rpc_error(f))?;
        answer.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote<NodeId>,
        snapshot: Snapshot<TypeConfig>,
        cancel: impl Future<Output = ReplicationClosed> + openraft::OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<TypeConfig, Fatal<NodeId>>> {
        let data = String::from_utf8(*snapshot.snapshot).map_err(|e| StreamingError::Network(NetworkError::new(&e)))?;
        let request = Request::Snapshot { vote, meta: snapshot.meta, data };
        // openraft puts no time limit of its own on sending a snapshot: stop when it cancels the
        // replication, or after the RPC's hard limit.
        let sent = tokio::select! {
            sent = tokio::time::timeout(option.hard_ttl(), self.call(&request)) => sent,
            closed = cancel => return Err(StreamingError::Closed(closed)),
        };
        let answer: Result<SnapshotResponse<NodeId>, Fatal<NodeId>> = match sent {
            Ok(Ok(answer)) => answer,
            Ok(Err(Failure::Unreachable(e))) => return Err(StreamingError::Unreachable(Unreachable::new(&e))),
            Ok(Err(Failure::Network(e))) => return Err(StreamingError::Network(NetworkError::new(&e))),
            Err(elapsed) => return Err(StreamingError::Network(NetworkError::new(&elapsed))),
        };
        answer.map_err(|e| StreamingError::RemoteError(RemoteError::new(self.target, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that answers each vote request with the request's own vote, slowly for term 1.
    async fn echo_peer() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut frames = Framed::new(stream, codec());
                    while let Some(Ok(frame)) = frames.next().await {
                        let Ok(Request::Vote(request)) = serde_json::from_slice::<Request>(&frame) else { return };
                        if request.vote.leader_id().term == 1 {
                            tokio::time::sleep(Duration::from_millis(300)).await;
                        }
                        let answer: Result<VoteResponse<NodeId>, RaftError<NodeId>> =
                            Ok(VoteResponse::new(request.vote, None, true));
                        let bytes = serde_json::to_vec(&answer).unwrap();
                        if frames.send(tokio_util::bytes::Bytes::from(bytes)).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn a_call_cancelled_half_way_never_hands_its_answer_to_the_next_call() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let addr = echo_peer().await;
            let mut connection = TcpNetwork::new().new_client(2, &BasicNode::new(&addr)).await;
            let option = RPCOption::new(Duration::from_secs(5));
            let slow = VoteRequest::new(Vote::new(1, 1), None);
            // openraft cancels an RPC that outlives its timeout, as here.
            let cancelled =
                tokio::time::timeout(Duration::from_millis(50), connection.vote(slow, option.clone())).await;
            assert!(cancelled.is_err(), "the first call was cancelled");
            let second = VoteRequest::new(Vote::new(2, 1), None);
            let answer = connection.vote(second, option).await.unwrap();
            assert_eq!(answer.vote, Vote::new(2, 1), "the second call got its own answer, not the first one's");
        });
    }
}
