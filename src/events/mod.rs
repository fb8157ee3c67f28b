//! In-process pub/sub for Server-Sent Events streams.
//!
//! Publishing only enqueues; one fan-out task formats each message once and
//! hands it to every matching connection's bounded queue, so a broadcast to
//! thousands of clients never runs inside a JS worker. A connection whose
//! queue is full is dropped, never the server's memory. Kept behind
//! [`StreamBus`] so that a multi-node backend can plug in later.

mod wire;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::domain::StreamMessage;

pub use wire::{comment, format_event};

/// Messages queued per connection before it counts as too slow.
const CLIENT_QUEUE: usize = 256;
/// Events kept per stream for `Last-Event-ID` resumption.
const REPLAY: usize = 128;
/// Publishes waiting for the fan-out task before new ones are dropped.
const PUBLISH_QUEUE: usize = 65_536;

/// Where stream messages go. The in-process [`Streams`] is the only one.
pub trait StreamBus: Send + Sync {
    fn publish(&self, path: Option<&str>, msg: StreamMessage);
}

struct Client {
    tx: mpsc::Sender<Bytes>,
    meta: Map<String, Value>,
}

#[derive(Default)]
struct Hub {
    script: Arc<str>,
    clients: HashMap<u64, Client>,
    /// The last [`REPLAY`] events.
    replay: VecDeque<Replayed>,
    next_id: u64,
}

/// A past event kept for resumption: (id, formatted event, filter).
type Replayed = (String, Bytes, Option<Map<String, Value>>);

struct Publish {
    path: Option<String>,
    msg: StreamMessage,
}

/// Messages buffered per GraphQL subscription topic; a subscriber that
/// falls further behind skips the oldest.
const TOPIC_BUFFER: usize = 1024;

pub struct Streams {
    hubs: Mutex<HashMap<String, Hub>>,
    /// GraphQL subscription topics (`sendSubscriptionMessage(name, data)`).
    topics: Mutex<HashMap<String, tokio::sync::broadcast::Sender<Arc<Value>>>>,
    next_subscriber: AtomicU64,
    tx: mpsc::Sender<Publish>,
    next_client: AtomicU64,
}

/// A live connection; dropping it (client gone) unsubscribes at once.
pub struct Subscription {
    pub rx: mpsc::Receiver<Bytes>,
    /// Events missed since `Last-Event-ID`, to send first.
    pub backlog: Vec<Bytes>,
    streams: Arc<Streams>,
    path: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut hubs) = self.streams.hubs.lock() {
            if let Some(hub) = hubs.get_mut(&self.path) {
                hub.clients.remove(&self.id);
            }
        }
    }
}

impl Streams {
    /// Starts the fan-out task on `handle`.
    pub fn start(handle: &tokio::runtime::Handle) -> Arc<Streams> {
        let (tx, mut rx) = mpsc::channel::<Publish>(PUBLISH_QUEUE);
        let streams = Arc::new(Streams {
            hubs: Mutex::new(HashMap::new()),
            topics: Mutex::new(HashMap::new()),
            next_subscriber: AtomicU64::new(1),
            tx,
            next_client: AtomicU64::new(1),
        });
        let weak = Arc::downgrade(&streams);
        handle.spawn(async move {
            while let Some(p) = rx.recv().await {
                let Some(s) = weak.upgrade() else { break };
                s.fan_out(p);
            }
        });
        streams
    }

    /// Makes the set of streams match the enabled scripts' registrations.
    /// Streams that are gone close their connections.
    pub fn sync(&self, registered: &[(String, Arc<str>)]) {
        let Ok(mut hubs) = self.hubs.lock() else {
            return;
        };
        hubs.retain(|path, _| registered.iter().any(|(p, _)| p == path));
        for (path, script) in registered {
            hubs.entry(path.clone()).or_default().script = script.clone();
        }
    }

    /// Registers a connection; `None` when no stream has this path.
    pub fn subscribe(
        self: &Arc<Self>,
        path: &str,
        meta: Map<String, Value>,
        last_event_id: Option<&str>,
    ) -> Option<Subscription> {
        let mut hubs = self.hubs.lock().ok()?;
        let hub = hubs.get_mut(path)?;
        let (tx, rx) = mpsc::channel(CLIENT_QUEUE);
        let id = self.next_client.fetch_add(1, Ordering::Relaxed);
        hub.clients.insert(id, Client { tx, meta });
        let meta = &hub.clients[&id].meta;
        let start =
            last_event_id.and_then(|last| hub.replay.iter().position(|(id, _, _)| id == last));
        let backlog = match start {
            Some(i) => hub
                .replay
                .iter()
                .skip(i + 1)
                .filter(|(_, _, f)| matches(f, meta))
                .map(|(_, b, _)| b.clone())
                .collect(),
            None => Vec::new(),
        };
        Some(Subscription {
            rx,
            backlog,
            streams: self.clone(),
            path: path.to_string(),
            id,
        })
    }

    /// Receives what is sent to GraphQL subscription `name` from now on.
    pub fn subscribe_topic(&self, name: &str) -> tokio::sync::broadcast::Receiver<Arc<Value>> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .entry(name.to_string())
            .or_insert_with(|| tokio::sync::broadcast::channel(TOPIC_BUFFER).0)
            .subscribe()
    }

    /// Sends to every current subscriber of `name`; never blocks.
    pub fn publish_topic(&self, name: &str, data: Value) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = topics.get(name) {
            if tx.send(Arc::new(data)).is_err() {
                // No subscriber left: forget the topic.
                topics.remove(name);
            }
        }
    }

    pub fn next_subscriber_id(&self) -> u64 {
        self.next_subscriber.fetch_add(1, Ordering::Relaxed)
    }

    /// Live GraphQL subscribers per topic.
    pub fn topic_status(&self) -> Vec<(String, usize)> {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = topics
            .iter()
            .map(|(n, t)| (n.clone(), t.receiver_count()))
            .collect();
        out.sort();
        out
    }

    /// `(path, script, connections)` of every stream, sorted by path.
    pub fn status(&self) -> Vec<(String, Arc<str>, usize)> {
        let Ok(hubs) = self.hubs.lock() else {
            return Vec::new();
        };
        let mut out: Vec<_> = hubs
            .iter()
            .map(|(p, h)| (p.clone(), h.script.clone(), h.clients.len()))
            .collect();
        out.sort();
        out
    }

    fn fan_out(&self, p: Publish) {
        let Ok(mut hubs) = self.hubs.lock() else {
            return;
        };
        for (path, hub) in hubs.iter_mut() {
            if p.path.as_deref().is_some_and(|want| want != path) {
                continue;
            }
            let id = p.msg.id.clone().unwrap_or_else(|| {
                hub.next_id += 1;
                hub.next_id.to_string()
            });
            let event = format_event(&p.msg, &id);
            hub.replay
                .push_back((id, event.clone(), p.msg.filter.clone()));
            if hub.replay.len() > REPLAY {
                hub.replay.pop_front();
            }
            // A full or closed queue drops that client: it reconnects and
            // resumes from Last-Event-ID. Its connection ends once what was
            // queued is written, or after server.write_timeout_ms when the
            // client does not read at all.
            let mut slow = 0usize;
            hub.clients.retain(|_, c| {
                if !matches(&p.msg.filter, &c.meta) {
                    return true;
                }
                match c.tx.try_send(event.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        slow += 1;
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
            if slow > 0 {
                tracing::warn!(
                    stream = %path,
                    dropped = slow,
                    "stream {path}: dropped {slow} subscriber(s) too slow to take events ({CLIENT_QUEUE} queued and unread)"
                );
            }
        }
    }
}

fn matches(filter: &Option<Map<String, Value>>, meta: &Map<String, Value>) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| f.iter().all(|(k, v)| meta.get(k) == Some(v)))
}

impl StreamBus for Streams {
    fn publish(&self, path: Option<&str>, msg: StreamMessage) {
        let p = Publish {
            path: path.map(str::to_string),
            msg,
        };
        if self.tx.try_send(p).is_err() {
            tracing::warn!("stream publish queue is full; a message was dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_all_keys() {
        let meta: Map<String, Value> = serde_json::from_str(r#"{"room":"a","user":1}"#).unwrap();
        let f = |s: &str| Some(serde_json::from_str::<Map<String, Value>>(s).unwrap());
        assert!(matches(&None, &meta));
        assert!(matches(&f(r#"{"room":"a"}"#), &meta));
        assert!(!matches(&f(r#"{"room":"b"}"#), &meta));
        assert!(!matches(&f(r#"{"room":"a","user":2}"#), &meta));
    }
}
