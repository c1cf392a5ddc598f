//! Serving the router over TCP. `axum::serve` cannot time out request headers, cap
//! connections, or bound its graceful shutdown, so connections are served here with hyper's
//! HTTP/1 server, hyper-util's Tokio timer and graceful shutdown, and tokio's `JoinSet`.
//!
//! HTTP/1 only: the header-read timeout exists only in hyper's HTTP/1 server, and
//! automatic HTTP/2 detection would wait forever for the first bytes of a silent client.
//! Browsers speak HTTP/2 only over TLS, and reverse proxies reach upstreams over HTTP/1.1.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    num::NonZeroUsize,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::{GracefulShutdown, Watcher},
};
use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinSet,
};
use tower::ServiceExt;

/// How connections are treated.
#[derive(Debug, Clone, Copy)]
pub struct ServeSettings {
    /// Longest a client may take to send a request's headers, also between keep-alive requests.
    pub header_read_timeout: Duration,
    /// Most connections open at once without a complete first request head.
    pub max_pending_connections: NonZeroUsize,
    /// The same, per client address (per /64 for IPv6).
    pub max_pending_connections_per_client: NonZeroUsize,
    /// Longest in-flight requests may run once shutdown starts.
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish for at most the grace period, and closes what is left.
///
/// Handlers can extract `ConnectInfo<SocketAddr>`, the peer's address.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let pending = Arc::new(Pending::new(
        settings.max_pending_connections,
        settings.max_pending_connections_per_client,
    ));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            // Reap finished connections so that the set does not grow.
            Some(_) = connections.join_next() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) if is_connection_error(&err) => continue,
                Err(err) => {
                    // Most likely out of file descriptors: give connections time to close
                    // rather than spin on the error.
                    tracing::error!(error = %err, "cannot accept connections");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        let Some(slot) = pending.try_take(peer.ip()) else {
            drop(stream);
            continue;
        };
        let connection = serve_connection(
            &builder,
            graceful.watcher(),
            stream,
            peer,
            router.clone(),
            slot,
        );
        connections.spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection closed with an error");
            }
        });
    }
    drop(listener);
    tracing::info!(
        grace = %humantime::format_duration(settings.shutdown_grace),
        "stopped accepting connections; finishing in-flight requests"
    );
    if tokio::time::timeout(settings.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        while connections.try_join_next().is_some() {}
        tracing::warn!(
            connections = connections.len(),
            "grace period over; closing connections with requests still running"
        );
    }
    connections.shutdown().await;
}

/// Binds one connection to the router, adding the peer address and freeing the pending slot
/// once the first request head has arrived.
fn serve_connection(
    builder: &http1::Builder,
    watcher: Watcher,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    slot: PendingSlot,
) -> impl Future<Output = Result<(), hyper::Error>> + Send + 'static {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        slot.release();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    });
    // No `with_upgrades`: no route upgrades its connection.
    watcher.watch(builder.serve_connection(TokioIo::new(stream), service))
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Counts connections that have not yet sent a complete request head, the ones a slow client
/// can hold open cheaply. The global cap protects the process's file descriptors; the
/// per-client cap keeps one client from using the whole global cap and locking everyone else
/// out. Once a connection has sent a request it leaves the count: from then on each wait
/// for headers is bounded by the header-read timeout, and each request costs its client a
/// complete request.
struct Pending {
    max_total: usize,
    max_per_client: usize,
    counts: Mutex<PendingCounts>,
}

#[derive(Default)]
struct PendingCounts {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
    /// Whether reaching the global cap was logged; cleared once usage falls to half, so that a
    /// sustained flood logs once rather than on every freed slot.
    full_reported: bool,
}

impl Pending {
    fn new(max_total: NonZeroUsize, max_per_client: NonZeroUsize) -> Self {
        Self {
            max_total: max_total.get(),
            max_per_client: max_per_client.get(),
            counts: Mutex::default(),
        }
    }

    /// A slot for a new connection from `peer`, or `None` when a cap is reached.
    fn try_take(self: &Arc<Self>, peer: IpAddr) -> Option<PendingSlot> {
        let client = client_key(peer);
        // The counts stay consistent even if a holder panicked: each update is one statement.
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.max_total {
            if !counts.full_reported {
                counts.full_reported = true;
                tracing::warn!(
                    max = self.max_total,
                    "too many connections without a complete request; refusing new ones"
                );
            }
            return None;
        }
        let held = counts.per_client.entry(client).or_default();
        if *held >= self.max_per_client {
            tracing::debug!(%client, max = self.max_per_client, "refusing a connection: client holds too many without a complete request");
            return None;
        }
        *held += 1;
        counts.total += 1;
        Some(PendingSlot {
            pending: Arc::clone(self),
            client,
            held: AtomicBool::new(true),
        })
    }

    fn give_back(&self, client: IpAddr) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if counts.total <= self.max_total / 2 {
            counts.full_reported = false;
        }
        if let Some(held) = counts.per_client.get_mut(&client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.per_client.remove(&client);
            }
        }
    }
}

/// IPv4 addresses as they are; IPv6 ones by /64, the block one subscriber usually holds.
fn client_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// One connection's place in the pending count, given back on its first request or when it
/// closes, whichever comes first.
struct PendingSlot {
    pending: Arc<Pending>,
    client: IpAddr,
    held: AtomicBool,
}

impl PendingSlot {
    fn release(&self) {
        if self.held.swap(false, Ordering::AcqRel) {
            self.pending.give_back(self.client);
        }
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn settings() -> ServeSettings {
        ServeSettings {
            header_read_timeout: Duration::from_secs(10),
            max_pending_connections: NonZeroUsize::MIN,
            max_pending_connections_per_client: NonZeroUsize::MIN,
            shutdown_grace: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn handlers_see_the_peer_address() {
        let router = Router::new().route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, settings(), async {
            stopped.await.ok();
        }));

        let mut stream = TcpStream::connect(address).await.expect("connect");
        let client = stream.local_addr().expect("client address");
        stream
            .write_all(b"GET /peer HTTP/1.1\r\nHost: devplane\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("response");
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        assert!(response.ends_with(&client.to_string()), "{response}");

        stop.send(()).ok();
        server.await.expect("server task");
    }

    #[test]
    fn slots_are_capped_per_client_and_in_total_and_given_back_once() {
        let pending = Arc::new(Pending::new(
            NonZeroUsize::new(3).expect("nonzero"),
            NonZeroUsize::new(2).expect("nonzero"),
        ));
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let first = pending.try_take(a).expect("first slot");
        let _second = pending.try_take(a).expect("second slot");
        assert!(pending.try_take(a).is_none(), "third for one client");
        let _third = pending.try_take(b).expect("another client");
        assert!(pending.try_take(b).is_none(), "past the total");
        first.release();
        first.release();
        drop(first);
        let _fourth = pending.try_take(b).expect("one slot given back");
        assert!(pending.try_take(b).is_none(), "and only one");
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let same_64: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let other_64: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(one), client_key(same_64));
        assert_ne!(client_key(one), client_key(other_64));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(
            client_key(mapped),
            "192.0.2.1".parse::<IpAddr>().expect("ip")
        );
    }
}
