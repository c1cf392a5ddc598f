//! The Content-Security-Policy of the UI's responses. Nothing loads from elsewhere, except
//! that workspace apps may be framed from the deployment's workspace proxies and its
//! wildcard app host (`frame-src`), and reached over websockets there (`connect-src
//! wss://`). The policy is built once from the configuration when the server starts; a
//! configuration change is a restart.
//!
//! Hosts come from the operator's flags and end up inside a header whose parts are
//! separated by `;` and spaces, so [`parse_csp_host`] accepts host names only: letters,
//! digits, `-`, `.`, a port, and a leading `*.` wildcard.

use axum::http::HeaderValue;

/// A host a CSP source list may name, from `--proxy-hosts` or `--wildcard-access-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspHost(String);

/// Parses a host for the UI's policy: `apps.example.com`, `proxy.example.com:8443`,
/// `*.apps.example.com`; a leading `https://` or `http://` and a trailing `/` are dropped.
pub fn parse_csp_host(value: &str) -> Result<CspHost, String> {
    let host = value.trim();
    let host = host
        .strip_prefix("https://")
        .or_else(|| host.strip_prefix("http://"))
        .unwrap_or(host)
        .trim_end_matches('/');
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let bare = name.strip_prefix("*.").unwrap_or(name);
    let valid_name = !bare.is_empty()
        && bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let valid_port = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if valid_name && valid_port {
        Ok(CspHost(host.to_ascii_lowercase()))
    } else {
        Err(format!(
            "{value:?} is not a host name (letters, digits, '-', '.', an optional port, and an optional leading '*.')"
        ))
    }
}

/// The UI's policy, allowing workspace apps from `app_hosts` in frames and websockets.
pub fn ui_policy(app_hosts: &[CspHost]) -> HeaderValue {
    let mut frame_src = String::from("'self'");
    let mut connect_src = String::from("'self'");
    for CspHost(host) in app_hosts {
        frame_src.push(' ');
        frame_src.push_str(host);
        connect_src.push_str(" wss://");
        connect_src.push_str(host);
    }
    let policy = format!(
        "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src {connect_src}; frame-src {frame_src}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    // Hosts passed `parse_csp_host`, so the value is visible ASCII.
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_ports_and_wildcards_only() {
        assert_eq!(
            parse_csp_host("https://*.Apps.example.com/"),
            Ok(CspHost("*.apps.example.com".into()))
        );
        assert_eq!(
            parse_csp_host("proxy.example.com:8443"),
            Ok(CspHost("proxy.example.com:8443".into()))
        );
        for bad in [
            "",
            "*",
            "evil.com; script-src *",
            "a b.com",
            "x.com:0",
            "x.com:99999",
            "'unsafe-inline'",
            "a..b",
            "*.*.example.com",
        ] {
            assert!(parse_csp_host(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_policy_frames_and_connects_to_the_app_hosts_only() {
        let none = ui_policy(&[]);
        assert_eq!(
            none.to_str().ok(),
            Some(
                "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            )
        );
        let hosts = [
            parse_csp_host("proxy.example.com").expect("host"),
            parse_csp_host("*.apps.example.com").expect("host"),
        ];
        let policy = ui_policy(&hosts);
        let policy = policy.to_str().expect("ascii");
        assert!(policy.contains("frame-src 'self' proxy.example.com *.apps.example.com;"));
        assert!(
            policy.contains("connect-src 'self' wss://proxy.example.com wss://*.apps.example.com;")
        );
    }
}
