//! `[security]` in the config file: response headers, CORS, rate limits.

use serde::Deserialize;

/// `[security]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    /// Adds the headers below to responses that lack them.
    pub headers: bool,
    /// Each is sent as given; "" leaves that header out.
    pub content_type_options: String,
    pub frame_options: String,
    pub referrer_policy: String,
    pub xss_protection: String,
    /// Compress responses by Accept-Encoding (gzip, br).
    pub compression: bool,
    /// Smaller bodies go out uncompressed.
    pub compression_min_bytes: u64,
    /// `[[security.cors]]`: policies by path prefix (the longest wins).
    pub cors: Vec<CorsPolicy>,
    pub rate_limit: RateLimitSection,
}

impl Default for SecuritySection {
    fn default() -> Self {
        SecuritySection {
            headers: true,
            content_type_options: "nosniff".into(),
            frame_options: "DENY".into(),
            referrer_policy: "strict-origin-when-cross-origin".into(),
            xss_protection: "0".into(),
            compression: true,
            compression_min_bytes: 1024,
            cors: Vec::new(),
            rate_limit: RateLimitSection::default(),
        }
    }
}

/// One `[[security.cors]]` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsPolicy {
    /// Path prefix this policy covers, such as "/api/" or "/".
    pub path: String,
    /// Allowed origins ("https://app.example.com"), or ["*"].
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    /// Request headers allowed; empty mirrors what the preflight asks for.
    pub headers: Vec<String>,
    /// Response headers the browser may show to the page.
    pub expose_headers: Vec<String>,
    pub credentials: bool,
    pub max_age_secs: u64,
}

impl Default for CorsPolicy {
    fn default() -> Self {
        CorsPolicy {
            path: "/".into(),
            origins: Vec::new(),
            methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
                .map(String::from)
                .to_vec(),
            headers: Vec::new(),
            expose_headers: Vec::new(),
            credentials: false,
            max_age_secs: 600,
        }
    }
}

/// `[security.rate_limit]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSection {
    /// Requests per minute per client IP on `/engine/auth/` (login); 0 turns it off.
    pub auth_per_minute: u32,
    /// Loopback clients (127.0.0.0/8, ::1) are not limited.
    pub loopback_exempt: bool,
    /// Peers (IPs or CIDRs) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// Clients remembered at once; the least recently seen is forgotten.
    pub max_clients: usize,
    /// `[[security.rate_limit.rules]]`: general limits, off until given.
    pub rules: Vec<RateRule>,
}

impl Default for RateLimitSection {
    fn default() -> Self {
        RateLimitSection {
            auth_per_minute: 10,
            loopback_exempt: true,
            trusted_proxies: Vec::new(),
            max_clients: 100_000,
            rules: Vec::new(),
        }
    }
}

/// A token bucket per client for paths under `path`: up to `per_ip`
/// (or `per_user` for an authenticated caller) requests per `window_secs`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateRule {
    pub path: String,
    pub per_ip: u32,
    pub per_user: u32,
    pub window_secs: u64,
}

impl Default for RateRule {
    fn default() -> Self {
        RateRule {
            path: "/".into(),
            per_ip: 0,
            per_user: 0,
            window_secs: 60,
        }
    }
}
