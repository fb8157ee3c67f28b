//! The live MCP sessions of the 2025 revisions (2026-07-28 is stateless:
//! no sessions to list), for the admin UI's MCP page: who is connected,
//! with which client and protocol revision, since when, and when each was
//! last active. A session enters at `notifications/initialized` and leaves
//! when its transport closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::domain::Clock;

/// One connected session.
#[derive(Clone, Debug, Serialize)]
pub struct SessionInfo {
    /// The `Mcp-Session-Id` (empty over stdio).
    pub id: String,
    pub protocol_version: String,
    pub client_name: String,
    pub client_version: String,
    /// The signed-in user's email; `null` for anonymous callers.
    pub user: Option<String>,
    /// Milliseconds since the epoch.
    pub started_at: i64,
    pub last_active_at: i64,
    /// Requests served in this session.
    pub requests: u64,
}

/// Every live session, by a key private to this process.
pub struct Sessions {
    next: AtomicU64,
    live: Mutex<HashMap<u64, SessionInfo>>,
    clock: std::sync::Arc<dyn Clock>,
}

impl Sessions {
    pub fn new(clock: std::sync::Arc<dyn Clock>) -> Sessions {
        Sessions {
            next: AtomicU64::new(1),
            live: Mutex::default(),
            clock,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Adds a session; its key, for [`Self::touch`] and [`Self::remove`].
    pub fn add(&self, mut info: SessionInfo) -> u64 {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let now = self.now();
        info.started_at = now;
        info.last_active_at = now;
        self.lock().insert(key, info);
        key
    }

    /// One more request in session `key`.
    pub fn touch(&self, key: u64) {
        let now = self.now();
        if let Some(s) = self.lock().get_mut(&key) {
            s.last_active_at = now;
            s.requests += 1;
        }
    }

    pub fn remove(&self, key: u64) {
        self.lock().remove(&key);
    }

    /// The live sessions, the most recently active first.
    pub fn list(&self) -> Vec<SessionInfo> {
        let mut all: Vec<SessionInfo> = self.lock().values().cloned().collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.last_active_at));
        all
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, SessionInfo>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}
