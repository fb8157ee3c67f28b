//! `GET /engine/api/logs/stream?script=&level=`: the script logs live, as
//! Server-Sent Events (the admin UI's Logs page).
//!
//! Each new entry is an `event: log` whose data is the JSON of
//! `GET /engine/api/logs` entries. An editor only gets the entries of
//! scripts they may read, checked per entry (grants given or taken away
//! apply at once). A client that falls behind skips ahead and gets an
//! `event: lagged` with the number of entries it missed: appends never wait
//! for a reader. A comment every 15 s keeps proxies from closing an idle
//! stream; at each one the caller's token is checked again, so a logout,
//! a revoked session or a lost role ends the stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::access::{access_of, require};
use super::auth::{cookie, EditorUser, SESSION_COOKIE};
use super::error::ApiError;
use super::extract::ApiQuery;
use crate::domain::{Principal, Role};
use crate::events::comment;
use crate::http::AppState;
use crate::logs::LiveEntry;
use crate::scripts::Access;

/// A comment this often keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often the stream notices a server shutting down.
const TICK: Duration = Duration::from_secs(1);

const LEVELS: [&str; 5] = ["debug", "log", "info", "warn", "error"];

#[derive(Deserialize)]
pub struct StreamQuery {
    /// Only this script's entries.
    script: Option<String>,
    /// This level and above: debug < log < info < warn < error.
    level: Option<String>,
}

/// What the stream sends, decided per entry.
struct Filter {
    script: Option<String>,
    min_level: usize,
}

impl Filter {
    fn wants(&self, state: &AppState, user: &Principal, script: &str, level: &str) -> bool {
        self.script.as_deref().is_none_or(|s| s == script)
            && rank(level) >= self.min_level
            && (user.is_admin() || access_of(state, user, script).is_some())
    }
}

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(1)
}

pub async fn stream(
    EditorUser(user): EditorUser,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let level = q.level.as_deref().filter(|l| !l.is_empty());
    let min_level = match level {
        None => 0,
        Some(l) if LEVELS.contains(&l) => rank(l),
        Some(l) => {
            return Err(ApiError::bad_request(
                "invalid_level",
                format!(
                    "level {l:?} is not one of {}; the stream sends that level and above",
                    LEVELS.join(", ")
                ),
            ))
        }
    };
    let script = q.script.filter(|s| !s.is_empty());
    if let Some(name) = &script {
        require(&state, &user, name, Access::Read, "script.logs").await?;
    }
    // Kept to check the caller again at each heartbeat.
    let token = bearer(&headers)
        .or_else(|| cookie(&headers, SESSION_COOKIE))
        .unwrap_or_default()
        .to_string();
    let live = Live {
        rx: state.logs().subscribe(),
        state: state.clone(),
        user,
        token,
        filter: Filter { script, min_level },
        tick: tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK),
        ticks: 0,
    };
    let head = futures_util::stream::once(async { Ok(comment("connected")) });
    let body = futures_util::StreamExt::chain(head, events(live));
    Ok(super::sse_response(Body::from_stream(body)))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

struct Live {
    rx: tokio::sync::broadcast::Receiver<LiveEntry>,
    state: AppState,
    user: Principal,
    token: String,
    filter: Filter,
    tick: tokio::time::Interval,
    ticks: u64,
}

impl Live {
    /// The caller again, as the auth service sees them now; None ends the
    /// stream (logged out, session revoked, disabled, no longer an editor).
    fn recheck(&mut self) -> bool {
        match self.state.auth().authenticate(&self.token) {
            Ok(p) if p.role >= Role::Editor => {
                self.user = p;
                true
            }
            _ => false,
        }
    }
}

fn events(live: Live) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send {
    futures_util::stream::unfold(Some(live), |live| async move {
        let mut live = live?;
        loop {
            tokio::select! {
                msg = live.rx.recv() => match msg {
                    Ok(e) => {
                        let (script, entry) = &*e;
                        if live.filter.wants(&live.state, &live.user, script, &entry.level) {
                            let out = log_event(script, entry);
                            return Some((Ok(out), Some(live)));
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        let out = event("lagged", &json!({ "skipped": n }).to_string());
                        return Some((Ok(out), Some(live)));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = live.tick.tick() => {
                    if live.state.observe().is_draining() {
                        return None;
                    }
                    live.ticks += 1;
                    if live.ticks % (HEARTBEAT.as_secs() / TICK.as_secs()) == 0 {
                        if !live.recheck() {
                            let out = event("end", r#"{"reason":"the session ended; log in again"}"#);
                            return Some((Ok(out), None));
                        }
                        return Some((Ok(comment("heartbeat")), Some(live)));
                    }
                }
            }
        }
    })
}

fn log_event(script: &str, e: &crate::logs::LogEntry) -> Bytes {
    let data = json!({
        "time": crate::domain::rfc3339(e.time),
        "level": e.level,
        "message": e.message,
        "request_id": e.request_id,
        "script": script,
    });
    event("log", &data.to_string())
}

/// One SSE event; `data` is one line of JSON (serde escapes newlines).
fn event(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_rank_in_order_and_unknown_counts_as_log() {
        assert!(rank("debug") < rank("log"));
        assert!(rank("info") < rank("warn"));
        assert!(rank("warn") < rank("error"));
        assert_eq!(rank("whatever"), rank("log"));
    }

    #[test]
    fn an_event_is_one_data_line() {
        let e = crate::logs::LogEntry {
            time: 0,
            level: "info".into(),
            message: "two\nlines".into(),
            request_id: None,
        };
        let b = log_event("a.js", &e);
        let text = std::str::from_utf8(&b).unwrap();
        assert!(text.starts_with("event: log\ndata: {"), "{text}");
        assert_eq!(text.matches('\n').count(), 3, "{text}");
    }
}
