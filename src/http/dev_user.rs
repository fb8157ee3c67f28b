//! `server.dev_user` (set by `aiwebengine dev`): the admin UI and the
//! management API without a login, for the developer's own browser only.
//! A request acts as that account when it carries no credentials, comes
//! from a loopback peer, names a loopback `Host` (so a DNS-rebound page of
//! another site does not qualify), and, for a change, has a same-origin
//! `Origin` or `Referer` (so a form on another site cannot drive it).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts, Method};

use crate::auth::Principal;
use crate::http::AppState;

pub fn dev_principal(parts: &Parts, state: &AppState) -> Option<Principal> {
    let email = state.config().server.dev_user.clone();
    if email.is_empty() {
        return None;
    }
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let host = parts.headers.get(header::HOST)?.to_str().ok()?;
    if !peer.is_loopback() || !loopback_host(host) {
        return None;
    }
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let origin = parts
            .headers
            .get(header::ORIGIN)
            .or_else(|| parts.headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .and_then(|o| o.split_once("://").map(|(_, rest)| rest))
            .map(|rest| rest.split('/').next().unwrap_or(""));
        if !origin.is_some_and(|o| o.eq_ignore_ascii_case(host)) {
            return None;
        }
    }
    let dir = state.auth().directory();
    let user = dir.user_by_email(&email)?;
    dir.principal(&user.id)
}

/// `localhost`, `127.0.0.1:8080`, `[::1]:8080`, …
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts() {
        for ok in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:8080",
            "127.9.9.9",
        ] {
            assert!(super::loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "10.0.0.1:8080",
            "[2001:db8::1]:80",
            "localhost.evil.example",
        ] {
            assert!(!super::loopback_host(bad), "{bad}");
        }
    }
}
