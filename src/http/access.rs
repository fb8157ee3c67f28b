//! Authorization helpers for the management API: the audit trail and the
//! per-script access check (admins all; editors by ownership and grants).

use axum::http::StatusCode;

use super::error::ApiError;
use crate::auth::Principal;
use crate::http::AppState;
use crate::scripts::Access;

/// Appends an audit entry (off the reactor).
pub async fn audit(state: &AppState, user: &str, action: &str, target: &str, result: &str) {
    let st = state.clone();
    let (u, a, t, r) = (
        user.to_string(),
        action.to_string(),
        target.to_string(),
        result.to_string(),
    );
    let _ = tokio::task::spawn_blocking(move || st.auth().audit(&u, &a, &t, &r)).await;
}

/// The caller's access to a script, from the in-memory directory.
pub fn access_of(state: &AppState, p: &Principal, script: &str) -> Option<Access> {
    state.auth().directory().access(&p.user, &p.groups, script)
}

/// Refuses (and audits) when the caller lacks `need` on `script`. A script
/// the caller may not even read is reported as missing only to admins'
/// eyes: editors get 403 either way, so names do not leak by status.
pub async fn require(
    state: &AppState,
    p: &Principal,
    script: &str,
    need: Access,
    action: &str,
) -> Result<(), ApiError> {
    if access_of(state, p, script).is_some_and(|a| a >= need) {
        return Ok(());
    }
    if p.is_admin() {
        return Ok(());
    }
    audit(state, &p.email, action, script, "denied").await;
    let what = match need {
        Access::Read => "read",
        Access::Write => "change",
    };
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!("you may not {what} script {script}; ask its owner or an admin for a grant"),
    ))
}
