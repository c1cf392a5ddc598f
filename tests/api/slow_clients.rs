//! Clients that connect and then dawdle: the header-read timeout, the caps on connections
//! without a complete request, and a shutdown that does not wait for them forever.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::helpers::TestApp;

/// The upper bound on any wait below; only reached when the server misbehaves.
const BOUND: Duration = Duration::from_secs(10);

/// A second loopback address, so that the server sees another client.
const OTHER_CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// The start of a request whose headers never end.
const PARTIAL_HEADERS: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: devplane\r\n";

async fn connect_from(client: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((client, 0)))
        .expect("bind a loopback address");
    socket.connect(server).await.expect("connect")
}

/// Opens a connection and sends a request line and one header, never the blank line.
async fn dawdle(client: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let mut stream = connect_from(client, server).await;
    stream.write_all(PARTIAL_HEADERS).await.expect("write");
    stream
}

/// Reads until the server closes the connection (end of stream or reset) and returns what it
/// sent, or `None` if it is still open after `bound`.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<String> {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(bound, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    closed
        .ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// Reads until `marker` has arrived, within `bound`.
async fn read_until(stream: &mut TcpStream, marker: &str, bound: Duration) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(bound, async {
        let mut buffer = [0_u8; 4096];
        while !String::from_utf8_lossy(&received).contains(marker) {
            let n = stream.read(&mut buffer).await.expect("read");
            assert!(n > 0, "closed before {marker:?}");
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {marker:?} within {bound:?}"));
    String::from_utf8_lossy(&received).into_owned()
}

async fn healthz_from(app: &TestApp, client: Ipv4Addr) -> StatusCode {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(client))
        .build()
        .expect("client")
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("request sent")
        .status()
}

#[tokio::test]
async fn clients_that_never_finish_their_headers_are_disconnected_after_the_timeout() {
    let app = TestApp::spawn_with(&["--header-read-timeout", "1s"]).await;
    let started = Instant::now();
    let mut partial = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;
    let mut silent = connect_from(Ipv4Addr::LOCALHOST, app.socket_address).await;

    for stream in [&mut partial, &mut silent] {
        let received = read_until_closed(stream, BOUND).await;
        assert!(received.is_some(), "still open after {BOUND:?}");
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1),
        "closed after {waited:?}, before the header-read timeout"
    );
    // Clients that send their headers promptly are served as before.
    assert_eq!(
        healthz_from(&app, Ipv4Addr::LOCALHOST).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_client_cannot_take_every_pending_connection_slot() {
    let app = TestApp::spawn_with(&[
        "--max-pending-connections-per-client",
        "2",
        "--header-read-timeout",
        "60s",
    ])
    .await;
    let mut first = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;
    let _second = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;

    // The server accepts in order, so this third connection finds both slots of its client taken.
    let mut third = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;
    assert!(
        read_until_closed(&mut third, BOUND).await.is_some(),
        "a third pending connection from one client is closed"
    );

    // Another client is served meanwhile.
    assert_eq!(healthz_from(&app, OTHER_CLIENT).await, StatusCode::OK);

    // A held connection that finishes its request is served, and frees its slot.
    first
        .write_all(b"Connection: close\r\n\r\n")
        .await
        .expect("write");
    let response = read_until_closed(&mut first, BOUND)
        .await
        .expect("response, then close");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert_eq!(
        healthz_from(&app, Ipv4Addr::LOCALHOST).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn connections_past_the_global_pending_cap_are_closed() {
    let app = TestApp::spawn_with(&[
        "--max-pending-connections",
        "2",
        "--header-read-timeout",
        "60s",
    ])
    .await;
    let mut first = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;
    let _second = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;

    let mut third = dawdle(OTHER_CLIENT, app.socket_address).await;
    assert!(
        read_until_closed(&mut third, BOUND).await.is_some(),
        "a connection past the cap is closed"
    );

    first
        .write_all(b"Connection: close\r\n\r\n")
        .await
        .expect("write");
    let response = read_until_closed(&mut first, BOUND)
        .await
        .expect("response, then close");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    // The slot it held is free again.
    assert_eq!(healthz_from(&app, OTHER_CLIENT).await, StatusCode::OK);
}

/// Starts `POST /graphql` with `Expect: 100-continue` and waits for `100 Continue`: the handler
/// is then running and reading the body. Returns the stream and the part of the body not sent.
async fn start_slow_request(server: SocketAddr) -> (TcpStream, &'static [u8]) {
    let body: &'static [u8] = br#"{"query":"{ hasFirstUser }"}"#;
    let mut stream = connect_from(Ipv4Addr::LOCALHOST, server).await;
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: devplane\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    read_until(&mut stream, "100 Continue\r\n\r\n", BOUND).await;
    let (sent, rest) = body.split_at(9);
    stream.write_all(sent).await.expect("write");
    (stream, rest)
}

#[tokio::test]
async fn shutdown_cuts_idle_and_slow_connections_after_the_grace_period() {
    let grace = Duration::from_secs(1);
    let mut app =
        TestApp::spawn_with(&["--shutdown-grace", "1s", "--header-read-timeout", "60s"]).await;
    let mut idle = dawdle(Ipv4Addr::LOCALHOST, app.socket_address).await;
    let (mut slow, _never_sent) = start_slow_request(app.socket_address).await;

    let started = Instant::now();
    let stopped = tokio::time::timeout(grace + Duration::from_secs(5), app.stop()).await;
    let took = started.elapsed();
    stopped
        .unwrap_or_else(|_| panic!("still running {took:?} after shutdown"))
        .expect("stops cleanly");
    assert!(took >= grace, "cut after {took:?}, before the grace period");

    for stream in [&mut idle, &mut slow] {
        assert!(
            read_until_closed(stream, BOUND).await.is_some(),
            "connection still open after shutdown"
        );
    }
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish_within_the_grace_period() {
    let mut app = TestApp::spawn_with(&["--shutdown-grace", "30s"]).await;
    let (mut slow, rest) = start_slow_request(app.socket_address).await;

    let stopping = tokio::spawn(async move {
        let stopped = app.stop().await;
        (app, stopped)
    });
    slow.write_all(rest).await.expect("write");
    let response = read_until_closed(&mut slow, BOUND)
        .await
        .expect("response, then close");
    assert!(response.contains("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains(r#""hasFirstUser":false"#), "{response}");

    let (_app, stopped) = tokio::time::timeout(BOUND, stopping)
        .await
        .expect("stops once the request is answered")
        .expect("stop task");
    stopped.expect("stops cleanly");
}
