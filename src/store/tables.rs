//! Every redb table of the data file, in one place.
//!
//! Keys are plain strings or `(string, u64)` pairs; values are rmp-serde
//! bytes wrapped in [`super::codec::Envelope`].

use redb::TableDefinition;

/// `format_version`, `jwt_secret`, `created_at`.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Script name -> [`crate::scripts::ScriptRecord`].
pub const SCRIPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("scripts");
/// (script name, version) -> [`crate::scripts::ScriptVersion`].
pub const SCRIPT_VERSIONS: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("script_versions");
/// (script name, sequence) -> [`crate::logs::LogEntry`]; a ring per script.
pub const SCRIPT_LOGS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("script_logs");
/// User id -> [`crate::auth::User`].
pub const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
/// Lower-cased email -> user id.
pub const USER_EMAILS: TableDefinition<&str, &str> = TableDefinition::new("user_emails");
/// Session id -> [`crate::auth::Session`].
pub const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
/// Group name -> [`crate::auth::Group`].
pub const GROUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("groups");
/// API token id -> [`crate::auth::ApiToken`] (only a hash of the secret).
/// Added after format 1 shipped: readers treat a missing table as empty.
pub const API_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_tokens");
/// Permission name -> [`crate::auth::Permission`]; missing table = empty.
pub const PERMISSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("permissions");
/// User id -> [`crate::auth::TotpRecord`] (the second factor; the secret
/// sealed, recovery codes hashed). Added after format 1: missing = empty.
pub const TOTP: TableDefinition<&str, &[u8]> = TableDefinition::new("totp");
/// "provider\x1fsubject" -> [`crate::auth::Identity`]: accounts at sign-in
/// providers linked to users; missing table = empty.
pub const USER_IDENTITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("user_identities");
/// Sequence -> [`crate::auth::AuditEntry`]; missing table = empty.
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// Client id -> [`crate::auth::oauth::OAuthClient`]; missing table = empty.
pub const OAUTH_CLIENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("oauth_clients");
/// Session id -> [`crate::auth::oauth::OAuthGrant`]: the OAuth grant that
/// session is; missing table = empty.
pub const OAUTH_GRANTS: TableDefinition<&str, &[u8]> = TableDefinition::new("oauth_grants");
/// Setting key -> value (admin-editable settings).
pub const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// Asset path -> [`crate::assets::AssetRecord`]; missing table = empty.
pub const ASSETS: TableDefinition<&str, &[u8]> = TableDefinition::new("assets");
/// (blob id, index) -> raw content bytes (not an envelope) of an asset or
/// image variant; see [`crate::assets`].
pub const ASSET_CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("asset_chunks");
/// Blob id -> start time (ms) of an upload not yet committed; swept at start.
pub const ASSET_STAGING: TableDefinition<u64, u64> = TableDefinition::new("asset_staging");
/// "sha256|params" -> [`crate::assets::image::VariantRecord`].
pub const ASSET_VARIANTS: TableDefinition<&str, &[u8]> = TableDefinition::new("asset_variants");
/// (namespace, encoded key) -> value: the data scripts store (data API issue).
pub const KV: TableDefinition<(&str, &[u8]), &[u8]> = TableDefinition::new("kv");
/// (expires at, namespace, encoded key) -> (): the kv expiry index, swept
/// in the background.
pub const KV_EXPIRY: TableDefinition<(u64, &str, &[u8]), ()> = TableDefinition::new("kv_expiry");

/// Key in [`META`] holding the format version as a big-endian u32.
pub const FORMAT_VERSION_KEY: &str = "format_version";
