//! Outbound HTTP for scripts (`fetch`), with the allowlist and SSRF rules.

pub mod config;

pub use config::FetchConfig;
