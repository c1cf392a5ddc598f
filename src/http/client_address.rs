//! The address a request comes from, for per-client limits. Behind a reverse proxy every
//! connection comes from the proxy, so the proxy's `X-Forwarded-For` is believed, but only
//! from proxies the operator listed: anyone else could write any address into the header.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last address
/// in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Each proxy appends the address it received from, so the right end is the nearest.
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map_while(|part| part.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .or(Some(peer))
}

/// Parses a `--trusted-proxies` entry: a CIDR range, or one address.
pub fn parse_trusted_proxy(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{value:?} is neither an IP address nor a CIDR range"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                "x-forwarded-for",
                HeaderValue::from_str(value).expect("ascii"),
            );
        }
        map
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().expect("ip"), 4000))
    }

    fn ip(ip: &str) -> Option<IpAddr> {
        Some(ip.parse().expect("ip"))
    }

    #[test]
    fn the_header_counts_only_from_trusted_proxies() {
        let trusted = [parse_trusted_proxy("10.0.0.0/8").expect("net")];
        let spoofed = headers(&["1.2.3.4"]);
        assert_eq!(
            client_address(peer("203.0.113.9"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(peer("10.1.1.1"), &spoofed, &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(peer("10.1.1.1"), &spoofed, &[]),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn the_nearest_untrusted_address_is_the_client() {
        let trusted = [
            parse_trusted_proxy("10.0.0.0/8").expect("net"),
            parse_trusted_proxy("192.168.1.1").expect("ip"),
        ];
        // The client wrote a fake first entry; the proxies appended the real ones.
        let chain = headers(&["6.6.6.6, 198.51.100.7", "192.168.1.1"]);
        assert_eq!(
            client_address(peer("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.7")
        );
        let all_trusted = headers(&["10.9.9.9"]);
        assert_eq!(
            client_address(peer("10.0.0.2"), &all_trusted, &trusted),
            ip("10.9.9.9")
        );
        let garbage = headers(&["not an address"]);
        assert_eq!(
            client_address(peer("10.0.0.2"), &garbage, &trusted),
            ip("10.0.0.2")
        );
        let mapped = headers(&["::ffff:198.51.100.7"]);
        assert_eq!(
            client_address(peer("10.0.0.2"), &mapped, &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(client_address(None, &chain, &trusted), None);
        assert!(parse_trusted_proxy("proxy.local").is_err());
    }
}
