//! Script records, versions, validation and the route table derived from them.

mod catalog;
mod change;
mod error;
#[cfg(test)]
mod fake;
mod mcp_check;
pub mod repo;
pub mod routes;
mod runtime;
mod save;
mod service;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use catalog::{Catalog, CatalogCell, CatalogEntry, SaveAuthors};
pub use error::ScriptError;
pub use repo::{Renamed, ScriptRead, ScriptRepo, ScriptWrite};
pub use runtime::{CatalogHook, Hooks, LoadError, NoHook, Refusal, Registration, ScriptRuntime};
pub use save::{next_version, SaveOutcome};
pub use service::{AssetProbe, ScriptDeps, ScriptService};

pub use crate::domain::{now_millis, rfc3339, Access, ScriptGrant};

use routes::RouteSpec;

/// The current state of one script (table `scripts`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScriptRecord {
    pub name: String,
    pub version: u64,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Display name of the owner: the creator's email, or the owning group.
    #[serde(default)]
    pub owner: Option<String>,
    /// The owning user's id, once ownership was set by an admin (before
    /// that, `owner` holds the creator's email).
    #[serde(default)]
    pub owner_user: Option<String>,
    /// The owning group, when a group owns the script.
    #[serde(default)]
    pub owner_group: Option<String>,
    /// Explicit grants to users or groups.
    #[serde(default)]
    pub grants: Vec<ScriptGrant>,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    #[serde(default)]
    pub graphql: Vec<crate::domain::GqlSpec>,
    /// What the script registered for MCP (tools, resources, prompts).
    #[serde(default)]
    pub mcp: crate::domain::McpSpecs,
    #[serde(default)]
    pub size: u64,
    /// Lower-case hex SHA-256 of the current source (absent on records
    /// written before it was kept; the API computes it then).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Why the script is not serving, when it is stored but broken.
    #[serde(default)]
    pub error: Option<String>,
}

/// One saved version (table `script_versions`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScriptVersion {
    pub source: String,
    pub created_at: i64,
    pub author: String,
}

/// A `*.test.js` script: stored (deploy and dev upload it with the app)
/// but never run as an app script: its top-level code does not run on
/// save, and it has no routes, GraphQL or MCP entries (`aiwebengine test`
/// and the UI's Tests tab run it).
pub fn is_test_script(name: &str) -> bool {
    name.ends_with(".test.js")
}

/// Lower-case hex SHA-256 of a script's source, as the API reports it.
pub fn source_sha256(source: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, source.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The longest script name, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// Script names are relative paths such as `blog.js` or `api/users.js`:
/// segments `[A-Za-z0-9][A-Za-z0-9_.-]*` joined by '/', at most
/// [`MAX_NAME_LEN`] bytes. No empty segment, no leading '/', no `..`
/// (a segment cannot start with '.').
pub fn validate_name(name: &str) -> Result<(), String> {
    let rule = "script names are relative paths of segments matching [A-Za-z0-9][A-Za-z0-9_.-]* joined by '/' (such as blog.js or api/users.js), at most 255 bytes, no leading '/', no empty or '..' segment";
    let segment_ok = |seg: &str| {
        let mut bytes = seg.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
        first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    if name.len() > MAX_NAME_LEN || !name.split('/').all(segment_ok) {
        return Err(format!("invalid script name {name:?}: {rule}"));
    }
    Ok(())
}

#[cfg(test)]
mod name_tests {
    #[test]
    fn names() {
        let deep = format!("{}/x.js", ["d"; 100].join("/"));
        for ok in [
            "blog.js",
            "shop-api.js",
            "a",
            "A_b-c.d",
            "api/users.js",
            deep.as_str(),
        ] {
            assert!(super::validate_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(256);
        let bad_list = [
            "",
            "..",
            ".hidden",
            "a\nb",
            "é.js",
            long.as_str(),
            "/a.js",
            "a//b.js",
            "a/",
            "../a.js",
            "a/../b.js",
            "a/./b.js",
            "a/.git/x.js",
            "a\\b.js",
            "a%2Fb.js",
        ];
        for bad in bad_list {
            assert!(super::validate_name(bad).is_err(), "{bad}");
        }
    }
}
