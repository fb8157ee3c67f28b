//! aiwebengine: one binary that runs JavaScript web apps from one redb file.
//!
//! # Layout
//! Dependencies point one way: protocol adapters (`http`, `server`) →
//! domain (`scripts`, `auth`, `logs`, `js`) → storage (`store`).
//!
//! - [`cli`]: the command line (`serve`, `admin create`); `main` only calls it.
//! - [`config`]: settings from flags, environment, the config file; validation.
//! - [`state`]: `AppState`, every service owned by value.
//! - [`server`]: listeners, `listening on` lines, graceful shutdown.
//! - [`http`]: the router built by [`app`], the one error type, script
//!   dispatch, the management API, health; `http::hygiene` wraps every
//!   request (metrics, access log, rate limits, CORS, compression, headers).
//! - [`auth`]: users, sessions, API tokens, groups, script ownership,
//!   named permissions, the audit log (mirrored in memory for requests).
//! - [`js`]: QuickJS worker pool, per-script runtimes and limits, host API.
//! - [`scripts`]: script records and versions, the route table.
//! - [`logs`]: per-script log rings in the data file.
//! - [`assets`]: static assets in chunks, uploads, ownership, image variants.
//! - [`manage`]: script management on someone's behalf, for `scripts.*` in JS.
//! - [`kv`]: the scripts' ordered, transactional key-value data (group commit).
//! - [`observe`]: request ids, the access log, the Prometheus registry.
//! - [`events`]: pub/sub feeding Server-Sent Events streams.
//! - [`graphql`]: the dynamic GraphQL schema built from scripts' SDL.
//! - [`seed`]: what a new data file starts with (from `seed/`).
//! - [`store`]: the redb file, table definitions, codec.
//! - [`backup`]: online snapshots, offline copies, `.zst`, verify, restore.
//! - `migrations` (top-level `migrations/`): format steps of the data file.

#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod assets;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod domain;
pub mod events;
pub mod fetch;
pub mod graphql;
pub mod http;
pub mod js;
pub mod kv;
pub mod logs;
pub mod manage;
#[path = "../migrations/mod.rs"]
pub mod migrations;
pub mod observe;
pub mod scripts;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;

pub use http::app;
pub use http::AppState;

/// `0.1.0 (commit 1a2b3c4d5e6f, built 2026-11-25)`
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("AIWEBENGINE_GIT_COMMIT"),
    ", built ",
    env!("AIWEBENGINE_BUILD_DATE"),
    ")"
);
