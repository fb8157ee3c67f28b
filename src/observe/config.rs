//! `[logging]` and `[metrics]` in the config file.

use serde::Deserialize;

/// `[logging]`: the access log (docs/operations.md, "Metrics and logs").
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// "common", "combined", "json" or "off".
    pub access_format: String,
    /// Append access lines to this file instead of the server log
    /// (target `access`, level info).
    pub access_file: Option<std::path::PathBuf>,
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection {
            access_format: "off".into(),
            access_file: None,
        }
    }
}

/// `[metrics]`: who may read `GET /metrics`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Bearer token for scrapers that are not on loopback; without it only
    /// loopback clients are answered.
    pub token: Option<String>,
    /// Answer loopback clients without the token (default true).
    pub loopback_open: bool,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            token: None,
            loopback_open: true,
        }
    }
}
