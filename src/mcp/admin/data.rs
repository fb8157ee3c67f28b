//! A script's data and output: its log, the stored assets, its kv entries.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::guard::{blocking, parse, Fail};
use super::AdminTools;
use crate::assets::{AssetError, AssetRecord};
use crate::domain::{rfc3339, Access, Principal};
use crate::kv::value::versionstamp_text;
use crate::kv::{Entry, KeyPart, KvError};

/// Log entries scanned when filtering by request id.
const LOG_SCAN: usize = 10_000;
/// Largest asset `put_asset` takes (its content travels inside JSON).
pub(super) const MAX_ASSET_BYTES: usize = 8 * 1024 * 1024;
/// Assets `list_assets` returns at most.
const MAX_ASSETS_LISTED: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Logs {
    script: Option<String>,
    request_id: Option<String>,
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct Prefix {
    prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutAsset {
    path: String,
    content_type: Option<String>,
    text: Option<String>,
    base64: Option<String>,
}

#[derive(Deserialize)]
struct KvGet {
    script: String,
    key: Vec<Value>,
}

#[derive(Deserialize)]
struct KvList {
    script: String,
    #[serde(default)]
    prefix: Vec<Value>,
    limit: Option<usize>,
    cursor: Option<String>,
}

fn asset_json(r: &AssetRecord) -> Value {
    json!({
        "path": r.path, "url": crate::assets::path::public(&r.path),
        "contentType": r.content_type, "size": r.size, "sha256": r.sha256,
        "owner": r.owner, "updatedAt": rfc3339(r.updated),
    })
}

fn entry_json(e: &Entry) -> Value {
    json!({
        "key": e.key.iter().map(KeyPart::to_json).collect::<Vec<_>>(),
        "value": e.value.as_ref().map(|v| v.to_json()),
        "versionstamp": e.versionstamp.map(versionstamp_text),
    })
}

fn key_parts(parts: &[Value]) -> Result<Vec<KeyPart>, Fail> {
    parts
        .iter()
        .map(|p| {
            KeyPart::from_json(p).ok_or_else(|| {
                Fail::invalid(format!(
                    "key part {p} is not a string, number or boolean; keys look like [\"users\", 1]"
                ))
            })
        })
        .collect()
}

fn kv_fail(e: KvError) -> Fail {
    match e {
        KvError::Invalid(m) => Fail::invalid(m),
        other => Fail::internal(other),
    }
}

fn asset_fail(e: AssetError) -> Fail {
    match e {
        AssetError::Forbidden(m) => Fail::denied(m),
        AssetError::Store(s) => Fail::internal(s),
        other => Fail::invalid(other.to_string()),
    }
}

impl AdminTools {
    /// Newest first: one script's log, or every script the caller may read.
    pub(super) async fn get_logs(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let q: Logs = parse(args)?;
        if let Some(s) = &q.script {
            self.require(p, s, Access::Read)?;
        }
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        let scan = if q.request_id.is_some() {
            LOG_SCAN
        } else {
            limit
        };
        let entries = self
            .deps
            .logs
            .read(q.script.clone(), scan)
            .await
            .map_err(Fail::internal)?;
        let list: Vec<Value> = entries
            .into_iter()
            .filter(|(s, _)| p.is_admin() || self.access(p, s).is_some())
            .filter(|(_, e)| q.request_id.is_none() || e.request_id == q.request_id)
            .take(limit)
            .map(|(script, e)| json!({ "script": script, "time": rfc3339(e.time), "level": e.level, "message": e.message, "requestId": e.request_id }))
            .collect();
        Ok(json!({ "entries": list }))
    }

    /// Every stored asset (as the management API lists them to editors).
    pub(super) async fn list_assets(&self, _p: &Principal, args: Value) -> Result<Value, Fail> {
        let Prefix { prefix } = parse(args)?;
        let all = self.deps.assets.list(prefix.as_deref().unwrap_or(""));
        let list: Vec<Value> = all
            .iter()
            .take(MAX_ASSETS_LISTED)
            .map(|a| asset_json(a))
            .collect();
        Ok(json!({ "assets": list, "truncated": all.len() > MAX_ASSETS_LISTED }))
    }

    /// Stores an asset owned by the caller (or replaces one they may change).
    pub(super) async fn put_asset(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let a: PutAsset = parse(args)?;
        let bytes = match (a.text, a.base64) {
            (Some(t), None) => t.into_bytes(),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b.as_bytes())
                .map_err(|e| Fail::invalid(format!("base64 is not valid base64: {e}")))?,
            _ => {
                return Err(Fail::invalid(
                    "give the content as text or as base64 (one of them)",
                ))
            }
        };
        if bytes.len() > MAX_ASSET_BYTES {
            return Err(Fail::invalid(format!(
                "the asset is {} bytes, over put_asset's limit of {MAX_ASSET_BYTES}; upload larger files with PUT /engine/api/assets/PATH",
                bytes.len()
            )));
        }
        let actor = crate::assets::Actor::from_principal(p);
        let assets = self.deps.assets.clone();
        let done = blocking(move || {
            assets
                .put_bytes(&actor, &a.path, a.content_type.as_deref(), &bytes)
                .map_err(asset_fail)
        })
        .await?;
        let mut v = asset_json(&done.record);
        v["created"] = done.created.into();
        Ok(v)
    }

    pub(super) async fn kv_get(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let KvGet { script, key } = parse(args)?;
        self.require(p, &script, Access::Read)?;
        let key = key_parts(&key)?;
        let kv = self.deps.kv.clone();
        let entry = blocking(move || {
            let ns = kv.namespace(&script, None).map_err(kv_fail)?;
            let mut got = kv.get_many(&ns, vec![key]).map_err(kv_fail)?;
            got.pop()
                .ok_or_else(|| Fail::internal("kv returned no entry"))
        })
        .await?;
        Ok(entry_json(&entry))
    }

    pub(super) async fn kv_list(&self, p: &Principal, args: Value) -> Result<Value, Fail> {
        let q: KvList = parse(args)?;
        self.require(p, &q.script, Access::Read)?;
        let prefix = key_parts(&q.prefix)?;
        let (kv, limit) = (self.deps.kv.clone(), q.limit.unwrap_or(100));
        let page = blocking(move || {
            kv.browse(&q.script, &prefix, limit, q.cursor)
                .map_err(kv_fail)
        })
        .await?;
        let entries: Vec<Value> = page.entries.iter().map(entry_json).collect();
        Ok(json!({ "entries": entries, "cursor": page.cursors.last() }))
    }
}
