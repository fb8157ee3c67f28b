//! Read-only browsing of a script's kv data:
//! `GET /engine/api/scripts/{name}/kv?prefix=["users"]&limit=100&cursor=`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::require;
use super::auth::EditorUser;
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use crate::http::AppState;
use crate::kv::{KeyPart, KvError};
use crate::scripts::Access;

#[derive(Deserialize)]
pub struct BrowseQuery {
    /// A JSON array of key parts (strings, numbers, booleans); none = all.
    prefix: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// Anyone who may read the script may read its keys.
pub async fn browse(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<BrowseQuery>,
) -> Result<Json<Value>, ApiError> {
    require(&state, &user, &name, Access::Read, "script.kv").await?;
    let prefix = parse_prefix(q.prefix.as_deref())?;
    let limit = q.limit.unwrap_or(100);
    let kv = state.kv().clone();
    let page = tokio::task::spawn_blocking(move || kv.browse(&name, &prefix, limit, q.cursor))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            KvError::Invalid(m) => ApiError::bad_request("invalid_cursor", m),
            other => ApiError::internal(other),
        })?;
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|e| {
            json!({
                "key": e.key.iter().map(KeyPart::to_json).collect::<Vec<_>>(),
                "value": e.value.as_ref().map(|v| v.to_json()),
                "versionstamp": e.versionstamp.map(crate::kv::value::versionstamp_text),
            })
        })
        .collect();
    Ok(Json(
        json!({ "entries": entries, "cursor": page.cursors.last() }),
    ))
}

fn parse_prefix(text: Option<&str>) -> Result<Vec<KeyPart>, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_prefix",
            "prefix must be a JSON array of strings, numbers or booleans, such as [\"users\", 1]",
        )
    };
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let v: Value = serde_json::from_str(text).map_err(|_| bad())?;
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|p| KeyPart::from_json(p).ok_or_else(bad))
        .collect()
}
