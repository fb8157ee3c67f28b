//! The one kv writer thread: group commit and the expiry sweep.
//!
//! Invariant: a caller is answered only after the transaction holding its
//! writes has committed ([`KvRepo::write`] is durable on return). Jobs
//! in one batch are applied in arrival order, each seeing the ones before
//! it, so the batch is equivalent to committing them one by one.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::cache::ReadCache;
use super::repo::{KvRepo, KvWrite};
use super::value::{decode_value, encode_value, Bin, KvValue, Stored};
use super::{Atomic, CommitReply, KvError, Mutation};
use crate::domain::StorageError;

/// Jobs taken into one transaction at most.
const MAX_BATCH: usize = 1024;
/// Expired keys removed per sweep transaction at most.
const MAX_SWEEP: usize = 10_000;

struct Job {
    ns: String,
    op: Atomic,
    reply: CommitReply,
}

pub(super) struct Writer {
    tx: ArcSwapOption<Sender<Job>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub fn start(
        repo: Arc<dyn KvRepo>,
        sweep: Duration,
        cache: Arc<ReadCache>,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("kv-writer".into())
            .spawn(move || run(&*repo, &cache, rx, sweep))?;
        Ok(Writer {
            tx: ArcSwapOption::from_pointee(tx),
            thread: Mutex::new(Some(thread)),
        })
    }

    pub fn submit(&self, ns: String, op: Atomic, reply: CommitReply) {
        let job = Job { ns, op, reply };
        let guard = self.tx.load();
        let Some(tx) = guard.as_ref() else {
            return (job.reply)(Err(KvError::Closed));
        };
        if let Err(e) = tx.send(job) {
            (e.0.reply)(Err(KvError::Closed));
        }
    }

    pub fn shutdown(&self) {
        self.tx.store(None);
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

fn run(repo: &dyn KvRepo, cache: &ReadCache, rx: Receiver<Job>, sweep_every: Duration) {
    let mut next_sweep = Instant::now() + sweep_every;
    loop {
        let wait = next_sweep.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(first) => {
                let mut batch = vec![first];
                batch.extend(rx.try_iter().take(MAX_BATCH - 1));
                commit_batch(repo, cache, batch);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= next_sweep {
            let now = crate::domain::now_millis();
            if let Err(e) = repo.sweep_expired(now, MAX_SWEEP) {
                tracing::error!(error = %e, "kv expiry sweep failed");
            }
            next_sweep = Instant::now() + sweep_every;
        }
    }
}

/// Commits the batch, brings the read cache up to date, then answers.
fn commit_batch(repo: &dyn KvRepo, cache: &ReadCache, batch: Vec<Job>) {
    let mut results: Vec<Result<Option<u64>, KvError>> = Vec::with_capacity(batch.len());
    // (job, key) of every row written.
    let mut changed: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut last = 0;
    let r = repo.write(&mut |tx| {
        results.clear();
        changed.clear();
        let mut stamp = tx.versionstamp()?;
        let now = crate::domain::now_millis();
        for (i, job) in batch.iter().enumerate() {
            let result = match plan(tx, &job.ns, &job.op, now)? {
                Plan::CheckFailed => Ok(None),
                Plan::Invalid(e) => Err(e),
                Plan::Apply(writes) => {
                    stamp += 1;
                    changed.extend(writes.iter().map(|(k, _)| (i, k.clone())));
                    apply(tx, &job.ns, writes, stamp)?;
                    Ok(Some(stamp))
                }
            };
            results.push(result);
        }
        last = stamp;
        tx.set_versionstamp(stamp)
    });
    match r {
        Ok(()) => {
            let keys = changed
                .iter()
                .map(|(i, k)| (batch[*i].ns.as_str(), k.as_slice()));
            cache.committed(last, keys);
            for (job, result) in batch.into_iter().zip(results) {
                (job.reply)(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "kv commit failed");
            cache.reset(repo.get_many("", &[]).ok().map(|r| r.stamp));
            for job in batch {
                (job.reply)(Err(KvError::Store(e.to_string())));
            }
        }
    }
}

/// One key's new row (encoded value, expiry), or None to delete it.
type Write = (Vec<u8>, Option<(Vec<u8>, Option<i64>)>);

enum Plan {
    CheckFailed,
    Invalid(KvError),
    Apply(Vec<Write>),
}

/// The live row at `key`.
fn current(
    tx: &dyn KvWrite,
    ns: &str,
    key: &[u8],
    now: i64,
) -> Result<Option<Stored>, StorageError> {
    Ok(tx.get(ns, key)?.filter(|s| s.live(now)))
}

/// Reads what the job depends on; writes nothing.
fn plan(tx: &dyn KvWrite, ns: &str, op: &Atomic, now: i64) -> Result<Plan, StorageError> {
    for (key, expected) in &op.checks {
        let found = current(tx, ns, key, now)?.map(|s| s.versionstamp);
        if found != *expected {
            return Ok(Plan::CheckFailed);
        }
    }
    let mut writes: Vec<Write> = Vec::new();
    for (key, m) in &op.mutations {
        let w = match m {
            Mutation::Set { value, expires_at } => Some((value.clone(), *expires_at)),
            Mutation::Delete => None,
            Mutation::Sum(n) => {
                // An earlier mutation of this job on the same key counts.
                let earlier = writes.iter().rev().find(|(k, _)| k == key).map(|(_, w)| w);
                let old = match earlier {
                    Some(Some((bytes, _))) => Some(decode_value(bytes).map_err(to_store)?),
                    Some(None) => None,
                    None => current(tx, ns, key, now)?
                        .map(|s| decode_value(&s.value.0))
                        .transpose()
                        .map_err(to_store)?,
                };
                match add(old, n) {
                    Ok(v) => Some((encode_value(&v).map_err(to_store)?, None)),
                    Err(e) => return Ok(Plan::Invalid(e)),
                }
            }
        };
        writes.push((key.clone(), w));
    }
    Ok(Plan::Apply(writes))
}

/// A stored value that does not decode: the same failure a row that does
/// not decode is.
fn to_store(e: KvError) -> StorageError {
    StorageError::corrupt(format!("stored value could not be decoded: {e}"))
}

fn add(old: Option<KvValue>, n: &KvValue) -> Result<KvValue, KvError> {
    match (old, n) {
        (None, n) => Ok(n.clone()),
        (Some(KvValue::Number(a)), KvValue::Number(b)) => Ok(KvValue::Number(a + b)),
        (Some(KvValue::BigInt(a)), KvValue::BigInt(b)) => a
            .checked_add(*b)
            .map(KvValue::BigInt)
            .ok_or_else(|| KvError::Invalid("sum(key, n): the bigint sum overflows 64 bits".into())),
        (Some(old), _) => Err(KvError::Invalid(format!(
            "sum(key, n): the stored value is {}, not the same kind of number as n; sum adds a number to a number or a bigint to a bigint",
            kind(&old)
        ))),
    }
}

fn kind(v: &KvValue) -> &'static str {
    match v {
        KvValue::Number(_) => "a number",
        KvValue::BigInt(_) => "a bigint",
        KvValue::String(_) => "a string",
        KvValue::Null | KvValue::Undefined => "null",
        _ => "an object",
    }
}

fn apply(
    tx: &mut dyn KvWrite,
    ns: &str,
    writes: Vec<Write>,
    stamp: u64,
) -> Result<(), StorageError> {
    for (key, w) in writes {
        match w {
            None => tx.remove(ns, &key)?,
            Some((value, expires_at)) => {
                let row = Stored {
                    value: Bin(value),
                    versionstamp: stamp,
                    expires_at,
                };
                tx.put(ns, &key, &row)?;
            }
        }
    }
    Ok(())
}
