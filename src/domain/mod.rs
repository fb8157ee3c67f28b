//! The engine's shared vocabulary: the leaf every other module may use.
//!
//! Nothing here knows HTTP, QuickJS or redb; it depends on `std` and
//! `serde` only (and `humantime` for one date format). Types live here when
//! two or more layers must agree on them: who is calling ([`Principal`],
//! [`RequestAuth`]), what a grant allows ([`Access`]), what a script
//! registered ([`GqlSpec`], [`McpSpecs`]), how a script failed ([`FailureKind`]), what a
//! stream carries ([`StreamMessage`]), what time it is ([`Clock`]), and how
//! storage fails behind a repository port ([`StorageError`]).

mod access;
mod clock;
mod failure;
mod graphql;
mod imports;
mod log;
mod mcp;
mod paths;
mod principal;
mod storage;
mod stream;

pub use access::{Access, ScriptGrant};
pub use clock::{now_millis, rfc3339, Clock, ManualClock, SystemClock};
pub use failure::FailureKind;
pub use graphql::{GqlKind, GqlSpec};
pub use imports::{import_order, resolve_import, static_imports};
pub use log::LogLevel;
pub use mcp::{McpPromptArg, McpPromptSpec, McpResourceSpec, McpSpecs, McpToolSpec};
pub use paths::{is_reserved, RESERVED_ROOTS};
pub use principal::{Principal, RequestAuth, Role, UnknownRole, UserInfo};
pub use storage::{Outcome, StorageError, StorageErrorKind};
pub use stream::StreamMessage;
