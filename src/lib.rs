//! aiwebengine: one binary that runs JavaScript web apps from one redb file.
//!
//! # Layout
//! Dependencies point one way; `tests/architecture.rs` enforces the table
//! and `docs/architecture.md` draws it. From the top:
//!
//! - [`cli`]: the command line; `main` only calls it.
//! - [`state`]: the composition root: builds every service, wires them.
//! - [`server`]: listeners, I/O threads, `listening on` lines, shutdown.
//! - [`http`]: the router built by [`app`], [`AppState`], the one error
//!   type, script dispatch, the management API, health, hygiene layers.
//! - [`store`]: the redb adapter: the data file, table definitions, codec,
//!   and the implementation of every service's repository port (the seam a
//!   PostgreSQL adapter will implement); `migrations` (top-level
//!   `migrations/`) holds the format steps.
//! - [`tls`]: certificates: PEM files, self-signed, uploads; kept in the
//!   data file through its port `tls::TlsRepo` (redb adapter `store::tls`).
//! - [`backup`]: online snapshots, offline copies, `.zst`, verify, restore;
//!   the format-specific work behind its ports `DataFile` and `FileFormat`
//!   (redb adapter: `store::backup`).
//! - [`project`]: a project folder (scripts by relative path, `public/`
//!   assets) against a server's copy: `deploy` and `pull`.
//! - [`observe`]: request ids, the access log, the Prometheus registry.
//! - [`config`]: the schema and its layers (flags > env > files > data-file
//!   settings > defaults); validation, reloads; the settings port
//!   (`SettingsRepo`).
//! - [`graphql`]: the dynamic GraphQL schema built from scripts' SDL.
//! - [`mcp`]: the MCP server over scripts' tools, resources and prompts,
//!   plus the engine's own (opt-in) admin tools.
//! - [`seed`]: what a new data file starts with (from `seed/`), as plain
//!   script records the store writes.
//! - [`js`]: QuickJS worker pool, per-script runtimes and limits, host API;
//!   the narrow traits it calls (`js::Host`) are implemented in `state`.
//! - [`manage`]: script management on someone's behalf, for `scripts.*`.
//! - [`auth`]: users, sessions, API tokens, groups, ownership, audit; its
//!   storage port is `auth::repo::AuthRepo` (redb adapter: `store::auth`).
//! - [`scripts`]: script records and versions, the catalog and route table,
//!   the runtime port and the storage port (`ScriptRepo`).
//! - [`kv`], [`logs`]: the scripts' data (group commit, expiry) and log
//!   rings, each behind its own repository port (`kv::KvRepo`,
//!   `logs::LogRepo`) that `store` implements.
//! - [`assets`], [`fetch`], [`events`]: static assets, outbound HTTP,
//!   pub/sub for streams.
//! - [`testrun`]: `aiwebengine test`: the `*.test.js` harness (`test`,
//!   `expect`, `request`) and its TAP report; engines come through its
//!   `Engines` port (implemented in `state`).
//! - [`domain`]: the shared vocabulary every layer may use (the leaf),
//!   including `StorageError`, what every repository port returns.

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
#[doc(hidden)]
pub mod fuzzing;
pub mod graphql;
pub mod http;
pub mod js;
pub mod kv;
pub mod logs;
pub mod manage;
pub mod mcp;
#[path = "../migrations/mod.rs"]
pub mod migrations;
pub mod observe;
pub mod project;
pub mod scripts;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod testrun;
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
