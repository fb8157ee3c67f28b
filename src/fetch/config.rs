//! `[js.fetch]` in the config file: outbound HTTP from scripts
//! (REQ-SEC-004). Off by default: nothing is reachable until a host is
//! allowed, globally or for one script.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Hosts every script may reach: `"api.example.com"`, `"api.example.com:8443"`,
    /// `"*.example.com"` or `"*"`. Empty means fetch is off.
    pub allow: Vec<String>,
    /// Extra hosts per script name, e.g. `scripts = { "blog.js" = ["api.example.com"] }`.
    pub scripts: BTreeMap<String, Vec<String>>,
    /// Let allowed hosts resolve to loopback, private, link-local and
    /// metadata addresses (refused by default, after DNS resolution).
    pub allow_private: bool,
    /// Upper bound on one fetch; the request's remaining deadline is used when shorter.
    pub timeout_ms: u64,
    /// Largest response body a script may read.
    pub max_response_bytes: u64,
    /// Fetches in flight per script; more throw at once.
    pub max_concurrent: usize,
    /// Redirects followed (each target re-checked against the rules).
    pub max_redirects: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow: Vec::new(),
            scripts: BTreeMap::new(),
            allow_private: false,
            timeout_ms: 30_000,
            max_response_bytes: 10 * 1024 * 1024,
            max_concurrent: 16,
            max_redirects: 5,
        }
    }
}
