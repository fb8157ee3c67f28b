//! Static assets in the data file (REQ-ASSET-001..004): records, chunked
//! content, uploads, ownership, image variants. No HTTP types here.
//!
//! Storage goes through the port [`repo::AssetRepo`] (adapter in
//! `store::assets`): a path maps to its [`AssetRecord`], which points at a
//! blob of chunks of up to [`CHUNK_SIZE`] bytes. Every upload writes a
//! fresh blob, chunk by chunk in short non-durable commits, and one small
//! durable transaction points the record at it and deletes the old blob. A
//! reader streams from one snapshot, so a replace never mixes two versions.
//! Blobs being uploaded are marked as staged; the start-up sweep deletes
//! what a crash left there.
//!
//! Metadata is mirrored in memory ([`Assets::get`], [`Assets::list`]): a
//! request for a missing asset, a 304 or a HEAD reads no store.

pub mod blob;
pub mod config;
pub mod dir;
pub mod image;
pub mod kind;
pub mod owner;
pub mod path;
pub mod range;
pub mod repo;
mod upload;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

pub use config::AssetsSection;
pub use owner::{Actor, Hooks};
pub use repo::AssetRepo;
#[cfg(test)]
pub(crate) use upload::CHUNKS_PER_WRITE;
pub use upload::{Committed, Staged, Upload};

use crate::domain::StorageError;

/// Bytes per stored chunk.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// One stored asset (table `assets`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AssetRecord {
    pub path: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content; the ETag.
    pub sha256: String,
    /// Display name of the owner: an email or a group name.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub owner_user: Option<String>,
    #[serde(default)]
    pub owner_group: Option<String>,
    /// Milliseconds since the epoch.
    pub created: i64,
    pub updated: i64,
    /// The blob holding the content, in `asset_chunks`.
    pub blob: u64,
    pub chunks: u32,
}

impl AssetRecord {
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// A bad path or argument; the message says what to send instead.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TypeNotAllowed(String),
    /// The bytes do not fit the declared type.
    #[error("{0}")]
    Mismatch(String),
    #[error("the asset is over the limit of {limit} bytes (config assets.max_upload_bytes)")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// A script route already serves GET at the asset's path.
    #[error("GET {path} is served by route {route} of script {script}; choose another asset path or change the route")]
    RouteConflict {
        path: String,
        route: String,
        script: String,
    },
    /// The image could not be decoded, or is over a limit.
    #[error("{0}")]
    Image(String),
    /// Too much image work at once, or it took too long.
    #[error("{0}")]
    Busy(String),
    /// The content was replaced or deleted while it was being read.
    #[error("asset {0} changed while it was being read; read it again")]
    Changed(String),
    #[error(transparent)]
    Store(#[from] StorageError),
}

impl AssetError {
    /// A stable code for APIs and the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            AssetError::Invalid(_) => "invalid_path",
            AssetError::TypeNotAllowed(_) => "type_not_allowed",
            AssetError::Mismatch(_) => "content_mismatch",
            AssetError::TooLarge { .. } => "payload_too_large",
            AssetError::NotFound(_) => "not_found",
            AssetError::Forbidden(_) => "forbidden",
            AssetError::RouteConflict { .. } => "route_conflict",
            AssetError::Image(_) => "image_error",
            AssetError::Busy(_) => "busy",
            AssetError::Changed(_) => "changed",
            AssetError::Store(s) if s.kind() == crate::domain::StorageErrorKind::Full => {
                "storage_full"
            }
            AssetError::Store(_) => "internal",
        }
    }
}

type Index = BTreeMap<String, Arc<AssetRecord>>;

/// The asset service; shared by the HTTP layer and the JS host.
pub struct Assets {
    repo: Arc<dyn AssetRepo>,
    config: AssetsSection,
    index: ArcSwap<Index>,
    /// Serializes the final commits, so index swaps follow commit order.
    change: Mutex<()>,
    hooks: Hooks,
    images: image::Gate,
}

impl Assets {
    /// Blocking: sweeps what interrupted uploads left, loads the index.
    pub fn open(
        repo: Arc<dyn AssetRepo>,
        config: AssetsSection,
        hooks: Hooks,
    ) -> Result<Arc<Assets>, StorageError> {
        let swept = blob::sweep_staging(repo.as_ref())?;
        if swept > 0 {
            tracing::info!(
                blobs = swept,
                "removed the chunks of interrupted asset uploads"
            );
        }
        let index: Index = repo
            .assets()?
            .into_iter()
            .map(|r| (r.path.clone(), Arc::new(r)))
            .collect();
        image::sweep_orphans(repo.as_ref(), &index)?;
        Ok(Arc::new(Assets {
            repo,
            config,
            index: ArcSwap::from_pointee(index),
            change: Mutex::new(()),
            hooks,
            images: image::Gate::default(),
        }))
    }

    pub fn config(&self) -> &AssetsSection {
        &self.config
    }

    /// From memory.
    pub fn get(&self, path: &str) -> Option<Arc<AssetRecord>> {
        self.index.load().get(path).cloned()
    }

    /// From memory, in path order.
    pub fn list(&self, prefix: &str) -> Vec<Arc<AssetRecord>> {
        let index = self.index.load();
        index
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Any stored asset whose public path satisfies `matches` (for the
    /// script service's conflict check).
    pub fn find_public(&self, matches: &dyn Fn(&str) -> bool) -> Option<String> {
        let index = self.index.load();
        index.keys().find(|p| matches(&path::public(p))).cloned()
    }

    /// The script owner's rights, for `assets.*` in JS.
    pub fn actor_for_script(&self, script: &str) -> Option<Actor> {
        (self.hooks.owner_of)(script)
    }

    /// Blocking: an audit log entry.
    pub fn audit(&self, user: &str, action: &str, target: &str, result: &str) {
        (self.hooks.audit)(user, action, target, result);
    }

    /// Refuses a path that a script route serves for GET.
    pub fn check_route(&self, asset_path: &str) -> Result<(), AssetError> {
        let public = path::public(asset_path);
        match (self.hooks.route_for)(&public) {
            Some((route, script)) => Err(AssetError::RouteConflict {
                path: public,
                route,
                script,
            }),
            None => Ok(()),
        }
    }

    /// Whether `actor` may store at `path`: a valid path no route serves,
    /// an allowed type, and either a new asset (editors, admins, owning
    /// groups) or one the actor may change.
    pub fn check_write(
        &self,
        actor: &Actor,
        asset_path: &str,
        content_type: Option<&str>,
    ) -> Result<Option<Arc<AssetRecord>>, AssetError> {
        path::validate(asset_path)?;
        if let Some(ct) = content_type {
            kind::check_allowed(ct, &self.config.allowed_types)?;
        }
        let existing = self.get(asset_path);
        actor.check(asset_path, existing.as_deref())?;
        self.check_route(asset_path)?;
        Ok(existing)
    }

    /// Swaps in an index with `changes` applied (None deletes).
    fn publish(&self, changes: Vec<(String, Option<AssetRecord>)>) {
        let mut index = Index::clone(&self.index.load());
        for (p, rec) in changes {
            match rec {
                Some(r) => index.insert(p, Arc::new(r)),
                None => index.remove(&p),
            };
        }
        self.index.store(Arc::new(index));
    }
}
