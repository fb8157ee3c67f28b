//! `/engine/api/config` (admin): the effective config with the source of
//! every value (GET), the data file's settings layer (PUT), and a reload of
//! every layer (POST `/reload`). Also the reload part that rebuilds the
//! hygiene layer (headers, CORS, compression, rate limits).

use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::AdminUser;
use super::error::ApiError;
use super::extract::ApiBytes;
use super::{audit, json_body};
use crate::config::live::{Commit, Hook, Outcome, Prepared, SetError};
use crate::http::AppState;

pub async fn get(_: AdminUser, State(state): State<AppState>) -> Json<Value> {
    let live = &state.live();
    Json(crate::config::view(&live.current(), |k| {
        live.pending_restart(k)
    }))
}

#[derive(Deserialize)]
struct SetBody {
    key: String,
    /// `null` (or absent) removes the setting.
    #[serde(default)]
    value: Value,
}

pub async fn put(
    AdminUser(p): AdminUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let req: SetBody = json_body(&body, r#"{"key": "js.time_limit_ms", "value": 2000}"#)?;
    let mut value = Some(req.value).filter(|v| !v.is_null());
    if req.key == "auth.providers" {
        // The view masks the secrets; saving it back must not store the mask.
        let current = state.live().current();
        let old = current.entry("auth.providers").map(|e| e.value.clone());
        value =
            value.map(|v| crate::config::auth::keep_masked_secrets(v, &old.unwrap_or_default()));
    }
    let (st, key) = (state.clone(), req.key.clone());
    let result = tokio::task::spawn_blocking(move || st.live().set(&key, value))
        .await
        .map_err(ApiError::internal)?;
    let (outcome, verdict) = match result {
        Ok(o) => (Ok(o), "ok"),
        Err(SetError::Invalid(m)) => (Err(ApiError::bad_request("invalid_config", m)), "invalid"),
        Err(SetError::Overridden(m)) => (
            Err(ApiError::new(StatusCode::CONFLICT, "config_overridden", m)),
            "overridden",
        ),
        Err(SetError::Store(m)) => (Err(ApiError::internal(m)), "failed"),
    };
    audit(&state, &p.email, "config.set", &req.key, verdict).await;
    let outcome = outcome?;
    let live = &state.live();
    let current = live.current();
    let mut out = current
        .entry(&req.key)
        .map(|e| crate::config::entry_json(e, live.pending_restart(&req.key)))
        .unwrap_or_else(|| json!({ "key": req.key }));
    merge_outcome(&mut out, &outcome);
    Ok(Json(out))
}

pub async fn reload(
    AdminUser(p): AdminUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || st.live().reload())
        .await
        .map_err(ApiError::internal)?;
    match result {
        Ok(outcome) => {
            audit(&state, &p.email, "config.reload", "config", "ok").await;
            tracing::info!(applied = ?outcome.applied, restart_required = ?outcome.restart_required, notes = ?outcome.notes, "config reloaded");
            let mut out = json!({ "reloaded": true });
            merge_outcome(&mut out, &outcome);
            Ok(Json(out))
        }
        Err(e) => {
            audit(&state, &p.email, "config.reload", "config", "rejected").await;
            tracing::warn!("config reload rejected, the running config stays: {e}");
            Err(ApiError::bad_request(
                "invalid_config",
                format!("the new config was rejected and the running one stays: {e}"),
            )
            .with("errors", e.0.clone()))
        }
    }
}

fn merge_outcome(out: &mut Value, o: &Outcome) {
    out["applied"] = json!(o.applied);
    out["restart_required"] = json!(o.restart_required);
    out["notes"] = json!(o.notes);
}

/// Rebuilds the hygiene layer when `[security]` changed; the rate-limit
/// buckets start afresh.
pub fn hygiene_hook(slot: Arc<ArcSwap<super::hygiene::Hygiene>>) -> Hook {
    Box::new(move |old, new| {
        if format!("{:?}", old.security) == format!("{:?}", new.security) {
            return Ok(Prepared::nothing());
        }
        let next = super::hygiene::Hygiene::new(new);
        let slot = slot.clone();
        let commit: Commit = Box::new(move || {
            slot.store(Arc::new(next));
            Some("security headers, CORS, compression and rate limits rebuilt (rate-limit counters start afresh)".into())
        });
        Ok(Prepared::commit(commit))
    })
}
