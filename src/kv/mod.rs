//! The `kv` data API (issue 6 §1): ordered keys, versionstamps, atomic
//! commits, expiry and namespaces, on the `kv` table of the data file.
//!
//! Reads are snapshots of the [`KvRepo`] taken on blocking threads. Writes
//! go to one writer thread ([`writer`]) that commits everything queued in
//! one transaction (group commit) and answers each caller after the commit.
//! Nothing here knows JavaScript or the data file: `js::kv` converts values
//! both ways, and `store::kv` implements the port.

mod cache;
pub mod key;
pub mod repo;
pub mod value;
mod writer;

use std::sync::Arc;

use base64::Engine as _;

pub use key::KeyPart;
pub use repo::{KvRepo, KvWrite, Rows};
pub use value::{KvValue, Stored};

use crate::domain::StorageError;

/// `[kv]` limits and grants.
#[derive(Clone, Debug)]
pub struct KvLimits {
    pub max_key_bytes: usize,
    pub max_value_bytes: usize,
    pub max_atomic_keys: usize,
    /// Shared namespaces any script may `kv.open(name)`.
    pub shared: Vec<String>,
    pub sweep_interval: std::time::Duration,
    /// Memory for rows read recently ([`cache`]); 0 turns the cache off.
    pub cache_bytes: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        KvLimits {
            max_key_bytes: 2048,
            max_value_bytes: 64 * 1024,
            max_atomic_keys: 128,
            shared: Vec::new(),
            sweep_interval: std::time::Duration::from_secs(1),
            cache_bytes: 16 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum KvError {
    /// A bad argument: the message says what to pass instead.
    #[error("{0}")]
    Invalid(String),
    /// A limit from `[kv]` in the config was exceeded.
    #[error("{0}")]
    Limit(String),
    #[error("kv.atomic(): {0}")]
    Conflict(String),
    #[error("kv storage error: {0}")]
    Store(String),
    #[error("kv data could not be decoded: {0}")]
    Corrupt(String),
    #[error("kv is shutting down")]
    Closed,
}

impl From<StorageError> for KvError {
    fn from(e: StorageError) -> Self {
        KvError::Store(e.to_string())
    }
}

/// One entry read: `value` and `versionstamp` are None when missing.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Vec<KeyPart>,
    pub value: Option<KvValue>,
    pub versionstamp: Option<u64>,
}

/// `kv.list` selector and options, with keys already encoded.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub prefix: Option<Vec<u8>>,
    pub start: Option<Vec<u8>>,
    pub end: Option<Vec<u8>>,
    pub limit: usize,
    pub reverse: bool,
    pub cursor: Option<String>,
}

#[derive(Debug)]
pub struct ListPage {
    pub entries: Vec<Entry>,
    /// For each entry, the cursor that continues after it.
    pub cursors: Vec<String>,
}

/// One `kv.atomic()` (or a plain `set`/`delete`), validated and encoded.
#[derive(Debug, Default)]
pub struct Atomic {
    /// (encoded key, expected versionstamp; None = must not exist).
    pub checks: Vec<(Vec<u8>, Option<u64>)>,
    pub mutations: Vec<(Vec<u8>, Mutation)>,
}

#[derive(Debug)]
pub enum Mutation {
    Set {
        value: Vec<u8>,
        expires_at: Option<i64>,
    },
    Delete,
    /// Adds a number (or bigint) to the stored one; a missing key counts as 0.
    Sum(KvValue),
}

/// Called once with the commit's versionstamp (None: a check failed).
pub type CommitReply = Box<dyn FnOnce(Result<Option<u64>, KvError>) + Send>;

/// The kv service; cheap to share.
pub struct Kv {
    repo: Arc<dyn KvRepo>,
    limits: KvLimits,
    writer: writer::Writer,
    cache: Arc<cache::ReadCache>,
}

impl Kv {
    /// Starts the writer thread. Blocking: reads the last versionstamp.
    pub fn start(repo: Arc<dyn KvRepo>, limits: KvLimits) -> std::io::Result<Arc<Kv>> {
        let applied = repo.get_many("", &[]).ok().map(|r| r.stamp);
        let cache = Arc::new(cache::ReadCache::new(limits.cache_bytes, applied));
        let writer = writer::Writer::start(repo.clone(), limits.sweep_interval, cache.clone())?;
        Ok(Arc::new(Kv {
            repo,
            limits,
            writer,
            cache,
        }))
    }

    pub fn limits(&self) -> &KvLimits {
        &self.limits
    }

    /// The namespace a script's `kv` (or `kv.open(shared)`) acts on.
    pub fn namespace(&self, script: &str, shared: Option<&str>) -> Result<String, KvError> {
        match shared {
            None => Ok(script.to_string()),
            Some(name) if self.limits.shared.iter().any(|s| s == name) => {
                Ok(format!("shared:{name}"))
            }
            Some(name) => Err(KvError::Invalid(format!(
                "kv.open({name:?}): no shared namespace {name:?} is granted; add it to the config: [kv] shared = [{name:?}]"
            ))),
        }
    }

    /// Encodes a key and checks the key size limit.
    pub fn encode_key(&self, key: &[KeyPart]) -> Result<Vec<u8>, KvError> {
        let enc = key::encode(key);
        if enc.len() > self.limits.max_key_bytes {
            return Err(KvError::Limit(format!(
                "a kv key is {} bytes encoded; the limit is {} (config [kv] max_key_bytes)",
                enc.len(),
                self.limits.max_key_bytes
            )));
        }
        Ok(enc)
    }

    /// Encodes a value and checks the value size limit.
    pub fn encode_value(&self, v: &KvValue) -> Result<Vec<u8>, KvError> {
        let enc = value::encode_value(v)?;
        if enc.len() > self.limits.max_value_bytes {
            return Err(KvError::Limit(format!(
                "a kv value is {} bytes encoded; the limit is {} (config [kv] max_value_bytes)",
                enc.len(),
                self.limits.max_value_bytes
            )));
        }
        Ok(enc)
    }

    /// Checks the keys-per-commit limit.
    pub fn check_atomic(&self, op: &Atomic) -> Result<(), KvError> {
        let n = op.checks.len() + op.mutations.len();
        if n > self.limits.max_atomic_keys {
            return Err(KvError::Limit(format!(
                "a kv atomic operation has {n} checks and mutations; the limit is {} (config [kv] max_atomic_keys)",
                self.limits.max_atomic_keys
            )));
        }
        Ok(())
    }

    /// Queues a commit; `reply` runs on the writer thread after it is durable.
    pub fn commit(&self, ns: String, op: Atomic, reply: CommitReply) {
        self.writer.submit(ns, op, reply);
    }

    /// Blocking (on a cache miss): call from `spawn_blocking`.
    pub fn get_many(&self, ns: &str, keys: Vec<Vec<KeyPart>>) -> Result<Vec<Entry>, KvError> {
        let encoded = keys.iter().map(|k| key::encode(k)).collect::<Vec<_>>();
        let rows = match self.cache.get(ns, &encoded) {
            Some(rows) => rows,
            None => {
                let ticket = self.cache.ticket();
                let read = self.repo.get_many(ns, &encoded)?;
                self.cache
                    .fill(ticket, read.stamp, ns, &encoded, &read.rows);
                read.rows
            }
        };
        entries(keys, rows)
    }

    /// Never blocks: the entries when every key is in the read cache.
    /// `encoded` are `keys` as [`Kv::encode_key`] gave them.
    /// On a hit the entries take `keys`, leaving it empty.
    pub fn get_cached(
        &self,
        ns: &str,
        keys: &mut Vec<Vec<KeyPart>>,
        encoded: &[Vec<u8>],
    ) -> Option<Result<Vec<Entry>, KvError>> {
        let rows = self.cache.get(ns, encoded)?;
        Some(entries(std::mem::take(keys), rows))
    }

    /// Forgets what the read cache holds of these namespaces: their rows
    /// changed outside a kv commit (a script rename moves its data).
    pub fn forget_namespaces(&self, names: &[&str]) {
        self.cache.forget_namespaces(names);
    }

    /// Blocking: call from `spawn_blocking`.
    pub fn list(&self, ns: &str, q: ListQuery) -> Result<ListPage, KvError> {
        let (lo, hi) = bounds(&q)?;
        if lo >= hi {
            return Ok(ListPage {
                entries: Vec::new(),
                cursors: Vec::new(),
            });
        }
        let now = crate::domain::now_millis();
        let mut rows: Vec<(Vec<u8>, Stored)> = Vec::new();
        self.repo
            .scan(ns, (&lo, &hi), q.reverse, &mut |k, stored| {
                if !stored.live(now) {
                    return true;
                }
                rows.push((k.to_vec(), stored));
                rows.len() < q.limit
            })?;
        let cursors = rows
            .iter()
            .map(|(k, _)| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k))
            .collect();
        let entries = rows
            .into_iter()
            .map(|(k, s)| entry(key::decode(&k)?, Some(s)))
            .collect::<Result<_, _>>()?;
        Ok(ListPage { entries, cursors })
    }

    /// Read-only browsing for the admin API (blocking): a script's own
    /// namespace, from `prefix`, continuing after `cursor`.
    pub fn browse(
        &self,
        script: &str,
        prefix: &[KeyPart],
        limit: usize,
        cursor: Option<String>,
    ) -> Result<ListPage, KvError> {
        let q = ListQuery {
            prefix: Some(key::encode(prefix)),
            limit: limit.clamp(1, 1000),
            cursor,
            ..ListQuery::default()
        };
        self.list(script, q)
    }

    /// Commits what is queued and stops the writer.
    pub fn shutdown(&self) {
        self.writer.shutdown();
    }
}

type Range = (Vec<u8>, Vec<u8>);

/// Live rows as entries, in the order of `keys`.
fn entries(keys: Vec<Vec<KeyPart>>, rows: Vec<Option<Stored>>) -> Result<Vec<Entry>, KvError> {
    let now = crate::domain::now_millis();
    rows.into_iter()
        .zip(keys)
        .map(|(row, key)| entry(key, row.filter(|s| s.live(now))))
        .collect()
}

fn entry(key: Vec<KeyPart>, row: Option<Stored>) -> Result<Entry, KvError> {
    match row {
        None => Ok(Entry {
            key,
            value: None,
            versionstamp: None,
        }),
        Some(s) => Ok(Entry {
            key,
            value: Some(value::decode_value(&s.value.0)?),
            versionstamp: Some(s.versionstamp),
        }),
    }
}

/// The encoded keys a list covers, `lo <= key < hi`, after its cursor.
/// The key right after `k` in byte order is `k + [0]`, so an exclusive
/// start needs no `Bound`.
fn bounds(q: &ListQuery) -> Result<Range, KvError> {
    let (mut lo, mut hi) = match (&q.prefix, &q.start, &q.end) {
        (Some(p), _, _) => key::prefix_range(p),
        (None, Some(s), Some(e)) => (s.clone(), e.clone()),
        _ => {
            return Err(KvError::Invalid(
                "kv.list(selector): the selector needs {prefix}, {prefix, start}, {prefix, end} or {start, end}".into(),
            ))
        }
    };
    if let Some(s) = q.start.as_ref().filter(|s| **s > lo) {
        lo = s.clone();
    }
    if let Some(e) = q.end.as_ref().filter(|e| **e < hi) {
        hi = e.clone();
    }
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        let mut k = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .map_err(|_| {
                KvError::Invalid("kv.list: the cursor is not one that kv.list returned".into())
            })?;
        if q.reverse {
            hi = hi.min(k);
        } else {
            k.push(0);
            lo = lo.max(k);
        }
    }
    Ok((lo, hi))
}
