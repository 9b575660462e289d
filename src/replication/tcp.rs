//! Replicas in different processes: length-delimited JSON frames over TCP.
//!
//! Each replica listens on an address ([`serve`]) and reaches the others at theirs, the
//! addresses the cluster's membership records ([`Replica::initialize_at`](super::Replica::initialize_at)).
//! A connection carries one request frame then its response frame at a time; a replica opens one
//! connection per peer, lazily, and drops it on any error (openraft backs off and resends, so
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
use tokio::task::JoinHandle;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::{NodeId, TypeConfig};

/// The largest frame a replica sends or accepts: 256 MiB, room for the snapshot of an engine
/// with a million waiting interactions.
pub const MAX_FRAME: usize = 256 << 20;

/// A request from one replica to another.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    Snapshot { vote: Vote<NodeId>, meta: SnapshotMeta<NodeId, BasicNode>, data: Vec<u8> },
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

/// Serves the Raft RPCs of `raft` to the replicas that connect to `listener`, until the task is
/// aborted (as when the server dies) or the listener fails. A connection that sends a frame
/// that is not a request is closed.
pub fn serve(listener: TcpListener, raft: Raft<TypeConfig>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let raft = raft.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let mut frames = Framed::new(stream, codec());
                while let Some(Ok(frame)) = frames.next().await {
                    let Ok(request) = serde_json::from_slice::<Request>(&frame) else { break };
                    let response = match request {
                        Request::AppendEntries(rpc) => serde_json::to_vec(&raft.append_entries(rpc).await),
                        Request::Vote(rpc) => serde_json::to_vec(&raft.vote(rpc).await),
                        Request::Snapshot { vote, meta, data } => serde_json::to_vec(
                            &raft.install_full_snapshot(vote, Snapshot { meta, snapshot: Box::new(data) }).await,
                        ),
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
        if self.frames.is_none() {
            let stream = TcpStream::connect(&self.addr).await.map_err(Failure::Unreachable)?;
            let _ = stream.set_nodelay(true);
            self.frames = Some(Framed::new(stream, codec()));
        }
        let result = match self.frames.as_mut() {
            Some(frames) => exchange(frames, body).await,
            None => Err(FrameError::Closed),
        };
        if result.is_err() {
            self.frames = None;
        }
        result.map_err(Failure::Network)
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
        _cancel: impl Future<Output = ReplicationClosed> + openraft::OptionalSend + 'static,
        _option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<TypeConfig, Fatal<NodeId>>> {
        let request = Request::Snapshot { vote, meta: snapshot.meta, data: *snapshot.snapshot };
        let answer: Result<SnapshotResponse<NodeId>, Fatal<NodeId>> = match self.call(&request).await {
            Ok(answer) => answer,
            Err(Failure::Unreachable(e)) => return Err(StreamingError::Unreachable(Unreachable::new(&e))),
            Err(Failure::Network(e)) => return Err(StreamingError::Network(NetworkError::new(&e))),
        };
        answer.map_err(|e| StreamingError::RemoteError(RemoteError::new(self.target, e)))
    }
}
