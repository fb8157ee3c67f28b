//! The HTTPS certificate (admins only): `GET /engine/api/tls` describes the
//! one served now, `PUT` uploads a PEM certificate and key (checked, kept in
//! the data file, served from the next handshake on), `DELETE` goes back to
//! the self-signed one. The work is in [`crate::tls::upload`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::access::audit;
use super::auth::AdminUser;
use super::error::ApiError;
use super::extract::ApiBytes;
use crate::http::AppState;
use crate::tls::upload::{CertInfo, CertSource, Changed, UploadError};
use crate::tls::Source;

#[derive(Deserialize)]
struct Upload {
    cert: String,
    key: String,
}

/// `tls.cert`/`tls.key` when the running config sets them.
fn config_files(state: &AppState) -> Option<(String, String)> {
    let tls = &state.live().current().config.tls;
    match Source::of(tls.cert.as_deref(), tls.key.as_deref(), &tls.names) {
        Source::Files { cert, key } => {
            Some((cert.display().to_string(), key.display().to_string()))
        }
        Source::SelfSigned { .. } => None,
    }
}

pub async fn get(
    AdminUser(_): AdminUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(describe(&state, None).await?))
}

pub async fn put(
    AdminUser(user): AdminUser,
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>, ApiError> {
    let up: Upload = super::json_body(
        &body,
        r#"{"cert": "-----BEGIN CERTIFICATE-----…", "key": "-----BEGIN PRIVATE KEY-----…"}"#,
    )?;
    let r = state
        .tls()
        .upload(config_files(&state), &up.cert, &up.key, &user.email)
        .await;
    let target = r
        .as_ref()
        .ok()
        .and_then(|c| c.info.as_ref())
        .map_or_else(|| "tls".to_string(), |i| format!("tls {}", i.fingerprint));
    let changed = finish(&state, &user.email, "tls.upload", &target, r).await?;
    Ok(Json(describe(&state, Some(changed)).await?))
}

pub async fn delete(
    AdminUser(user): AdminUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let names = state.config().tls.names.clone();
    let r = state.tls().delete(config_files(&state), &names).await;
    let changed = finish(&state, &user.email, "tls.delete", "tls", r).await?;
    Ok(Json(describe(&state, Some(changed)).await?))
}

/// Audits the outcome and maps a refusal to its status.
async fn finish(
    state: &AppState,
    email: &str,
    action: &str,
    target: &str,
    r: Result<Changed, UploadError>,
) -> Result<Changed, ApiError> {
    let e = match r {
        Ok(c) => {
            audit(state, email, action, target, "ok").await;
            return Ok(c);
        }
        Err(e) => e,
    };
    let err = match &e {
        UploadError::Invalid { code, message } => ApiError::bad_request(code, message.clone()),
        UploadError::FilesConfigured { cert, key } => {
            ApiError::new(StatusCode::CONFLICT, "tls_files_configured", e.to_string())
                .with("cert", cert.clone())
                .with("key", key.clone())
        }
        UploadError::Store(_) | UploadError::Tls(_) => ApiError::internal(&e),
    };
    audit(
        state,
        email,
        action,
        target,
        &format!("refused: {}", err.code),
    )
    .await;
    Err(err)
}

/// The answer of all three: what is served, where it comes from, and
/// whether it can be changed here.
async fn describe(state: &AppState, changed: Option<Changed>) -> Result<Value, ApiError> {
    let stored = state.tls().stored().await.map_err(ApiError::internal)?;
    let files = config_files(state);
    let https = state.tls().https();
    let (source, info): (Option<CertSource>, Option<CertInfo>) = if https {
        (Some(state.tls().source()), state.tls().serving())
    } else {
        // Nothing is served: describe what the next start with HTTPS uses.
        let info = stored.as_ref().and_then(|s| {
            let der = rustls::pki_types::pem::PemObject::from_pem_slice(s.cert_pem.as_bytes()).ok();
            der.and_then(|d: rustls::pki_types::CertificateDer| CertInfo::of(&d).ok())
        });
        (info.as_ref().map(|_| CertSource::Uploaded), info)
    };
    let mut out = Map::new();
    out.insert("https".into(), https.into());
    out.insert("source".into(), source.map(|s| s.as_str()).into());
    let cert = info.map(|i| serde_json::to_value(i).unwrap_or(Value::Null));
    for key in [
        "subject",
        "issuer",
        "sans",
        "not_before",
        "not_after",
        "fingerprint",
    ] {
        let v = cert.as_ref().map_or(Value::Null, |c| c[key].clone());
        out.insert(key.into(), v);
    }
    out.insert(
        "uploaded".into(),
        stored.as_ref().map_or(
            Value::Null,
            |s| json!({ "at": crate::domain::rfc3339(s.uploaded_at), "by": s.uploaded_by }),
        ),
    );
    out.insert(
        "config_files".into(),
        files
            .as_ref()
            .map_or(Value::Null, |(c, k)| json!({ "cert": c, "key": k })),
    );
    out.insert(
        "can_upload".into(),
        (files.is_none() && source != Some(CertSource::Files)).into(),
    );
    if let Some(c) = changed {
        out.insert("applied".into(), c.applied.into());
        if !c.applied {
            out.insert(
                "note".into(),
                "HTTPS is off (--https off): the change is kept in the data file and applies when the server starts with HTTPS".into(),
            );
        }
    }
    Ok(Value::Object(out))
}
