//! Per-script logs kept in the data file, as a bounded ring per script.
//!
//! Scripts log from JS workers without waiting: entries go to one writer
//! thread that commits them in batches. Readers ask for a flush first, so
//! they see everything logged before their request. The rings are kept
//! behind [`LogRepo`]; `store::logs` implements it over the data file.

use std::sync::Arc;
use std::thread::JoinHandle;

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, Sender};
use serde::{Deserialize, Serialize};

use crate::domain::{LogLevel, StorageError};

/// The log service's repository port: a ring of entries per script.
pub trait LogRepo: Send + Sync {
    /// Appends `entries` in order, each after the newest of its script's
    /// ring, then drops all but the newest `ring` entries of every ring it
    /// touched; one durable write transaction.
    fn append(&self, entries: &[(String, LogEntry)], ring: u64) -> Result<(), StorageError>;
    /// Up to `limit` of `script`'s entries, newest first.
    fn newest(&self, script: &str, limit: usize) -> Result<Vec<LogEntry>, StorageError>;
    /// Every script's entries as (script, entry), oldest first per script,
    /// scripts in name order.
    fn all(&self) -> Result<Vec<(String, LogEntry)>, StorageError>;
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogEntry {
    pub time: i64,
    pub level: String,
    pub message: String,
    #[serde(default)]
    pub request_id: Option<String>,
}

enum Msg {
    Entry(String, LogEntry),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Longest message kept; longer ones are cut with a marker.
const MAX_MESSAGE: usize = 16 * 1024;
/// Entries waiting for the writer before new ones are dropped (counted).
const QUEUE: usize = 65_536;
/// Entries a live subscriber may fall behind by before it skips ahead
/// (it gets `Lagged(n)`; appends never wait for subscribers).
const LIVE_BUFFER: usize = 1024;

/// One entry as live subscribers get it: (script, entry).
pub type LiveEntry = Arc<(String, LogEntry)>;

pub struct LogService {
    tx: ArcSwapOption<Sender<Msg>>,
    repo: Arc<dyn LogRepo>,
    writer: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Every appended entry, for `GET /engine/api/logs/stream`.
    live: tokio::sync::broadcast::Sender<LiveEntry>,
}

impl LogService {
    pub fn start(repo: Arc<dyn LogRepo>, ring: u64) -> std::io::Result<Arc<LogService>> {
        // Unbounded, with QUEUE checked in `append`: a bounded crossbeam
        // channel writes all its slots up front (7 MB of idle RSS, issue 14).
        let (tx, rx) = crossbeam_channel::unbounded();
        let writer_repo = repo.clone();
        let writer = std::thread::Builder::new()
            .name("script-logs".into())
            .spawn(move || write_loop(&*writer_repo, rx, ring.max(1)))?;
        Ok(Arc::new(LogService {
            tx: ArcSwapOption::from_pointee(tx),
            repo,
            writer: std::sync::Mutex::new(Some(writer)),
            live: tokio::sync::broadcast::channel(LIVE_BUFFER).0,
        }))
    }

    pub fn append(
        &self,
        script: &str,
        level: LogLevel,
        mut message: String,
        request_id: Option<&str>,
    ) {
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" …[truncated]");
        }
        let entry = LogEntry {
            time: crate::domain::now_millis(),
            level: level.as_str().to_string(),
            message,
            request_id: request_id.map(str::to_string),
        };
        if self.live.receiver_count() > 0 {
            // Never blocks: a subscriber that fell behind skips ahead.
            let _ = self
                .live
                .send(Arc::new((script.to_string(), entry.clone())));
        }
        let tx = self.tx.load();
        let sent = tx
            .as_ref()
            .filter(|tx| tx.len() < QUEUE)
            .is_some_and(|tx| tx.try_send(Msg::Entry(script.to_string(), entry)).is_ok());
        if !sent {
            tracing::warn!(script, "script log queue is full; an entry was dropped");
        }
    }

    /// Entries appended from now on, as they come (not yet committed).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<LiveEntry> {
        self.live.subscribe()
    }

    /// Waits until everything appended so far is committed.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = self
            .tx
            .load()
            .as_ref()
            .is_some_and(|s| s.send(Msg::Flush(tx)).is_ok());
        if sent {
            let _ = rx.await;
        }
    }

    /// Newest first; `script = None` reads every script's log.
    pub async fn read(
        &self,
        script: Option<String>,
        limit: usize,
    ) -> Result<Vec<(String, LogEntry)>, StorageError> {
        self.flush().await;
        let repo = self.repo.clone();
        tokio::task::spawn_blocking(move || match script {
            Some(s) => Ok(repo
                .newest(&s, limit)?
                .into_iter()
                .map(|e| (s.clone(), e))
                .collect()),
            None => {
                let mut out = repo.all()?;
                // Stable: entries of the same millisecond keep their order.
                out.sort_by_key(|e| std::cmp::Reverse(e.1.time));
                out.truncate(limit);
                Ok(out)
            }
        })
        .await
        .map_err(|e| StorageError::io(format!("storage error: {e}")))?
    }

    /// Commits what is queued and stops the writer.
    pub fn shutdown(&self) {
        self.tx.store(None);
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

fn write_loop(repo: &dyn LogRepo, rx: Receiver<Msg>, ring: u64) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter().take(4096));
        let mut flushes = Vec::new();
        let mut entries = Vec::new();
        for m in batch {
            match m {
                Msg::Entry(s, e) => entries.push((s, e)),
                Msg::Flush(tx) => flushes.push(tx),
            }
        }
        if !entries.is_empty() {
            if let Err(e) = repo.append(&entries, ring) {
                tracing::error!(error = %e, "could not store script log entries");
            }
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}
