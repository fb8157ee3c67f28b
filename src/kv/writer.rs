//! The one kv writer thread: group commit and the expiry sweep.
//!
//! Invariant: a caller is answered only after the transaction holding its
//! writes has committed (redb's default durability fsyncs on commit). Jobs
//! in one batch are applied in arrival order, each seeing the ones before
//! it, so the batch is equivalent to committing them one by one.

use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use redb::{ReadableTable, Table, WriteTransaction};

use super::value::{decode_value, encode_value, Bin, KvValue, Stored};
use super::{Atomic, CommitReply, KvError, Mutation};
use crate::store::{decode, encode, tables, Store, StoreError};

/// Jobs taken into one transaction at most.
const MAX_BATCH: usize = 1024;
/// Expired keys removed per sweep transaction at most.
const MAX_SWEEP: usize = 10_000;
const VERSIONSTAMP_KEY: &str = "kv_versionstamp";

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
    pub fn start(store: Store, sweep: Duration) -> std::io::Result<Writer> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("kv-writer".into())
            .spawn(move || run(store, rx, sweep))?;
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

fn run(store: Store, rx: Receiver<Job>, sweep_every: Duration) {
    let mut next_sweep = Instant::now() + sweep_every;
    loop {
        let wait = next_sweep.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(first) => {
                let mut batch = vec![first];
                batch.extend(rx.try_iter().take(MAX_BATCH - 1));
                commit_batch(&store, batch);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= next_sweep {
            if let Err(e) = sweep(&store) {
                tracing::error!(error = %e, "kv expiry sweep failed");
            }
            next_sweep = Instant::now() + sweep_every;
        }
    }
}

fn commit_batch(store: &Store, batch: Vec<Job>) {
    let mut results: Vec<Result<Option<u64>, KvError>> = Vec::with_capacity(batch.len());
    let r = store.write(|txn| {
        let mut stamp = read_stamp(txn)?;
        let mut kv = txn.open_table(tables::KV)?;
        let mut exp = txn.open_table(tables::KV_EXPIRY)?;
        let now = crate::domain::now_millis();
        for job in &batch {
            let result = match plan(&kv, &job.ns, &job.op, now)? {
                Plan::CheckFailed => Ok(None),
                Plan::Invalid(e) => Err(e),
                Plan::Apply(writes) => {
                    stamp += 1;
                    apply(&mut kv, &mut exp, &job.ns, writes, stamp)?;
                    Ok(Some(stamp))
                }
            };
            results.push(result);
        }
        txn.open_table(tables::META)?
            .insert(VERSIONSTAMP_KEY, stamp.to_be_bytes().as_slice())?;
        Ok(())
    });
    match r {
        Ok(()) => {
            for (job, result) in batch.into_iter().zip(results) {
                (job.reply)(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "kv commit failed");
            for job in batch {
                (job.reply)(Err(KvError::Store(e.to_string())));
            }
        }
    }
}

fn read_stamp(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let meta = txn.open_table(tables::META)?;
    let v = meta.get(VERSIONSTAMP_KEY)?;
    Ok(v.and_then(|v| <[u8; 8]>::try_from(v.value()).ok())
        .map_or(0, u64::from_be_bytes))
}

/// One key's new row (encoded value, expiry), or None to delete it.
type Write = (Vec<u8>, Option<(Vec<u8>, Option<i64>)>);

enum Plan {
    CheckFailed,
    Invalid(KvError),
    Apply(Vec<Write>),
}

type KvTable<'t> = Table<'t, (&'static str, &'static [u8]), &'static [u8]>;
type ExpTable<'t> = Table<'t, (u64, &'static str, &'static [u8]), ()>;

fn current(kv: &KvTable<'_>, ns: &str, key: &[u8], now: i64) -> Result<Option<Stored>, StoreError> {
    let row = kv.get((ns, key))?;
    Ok(row
        .map(|v| decode::<Stored>(v.value()))
        .transpose()?
        .filter(|s| s.live(now)))
}

/// Reads what the job depends on; writes nothing.
fn plan(kv: &KvTable<'_>, ns: &str, op: &Atomic, now: i64) -> Result<Plan, StoreError> {
    for (key, expected) in &op.checks {
        let found = current(kv, ns, key, now)?.map(|s| s.versionstamp);
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
                    None => current(kv, ns, key, now)?
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

fn to_store(e: KvError) -> StoreError {
    StoreError::Codec(e.to_string())
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
    kv: &mut KvTable<'_>,
    exp: &mut ExpTable<'_>,
    ns: &str,
    writes: Vec<Write>,
    stamp: u64,
) -> Result<(), StoreError> {
    for (key, w) in writes {
        let old = kv
            .get((ns, key.as_slice()))?
            .map(|v| decode::<Stored>(v.value()))
            .transpose()?;
        if let Some(at) = old.and_then(|s| s.expires_at) {
            exp.remove((at.max(0) as u64, ns, key.as_slice()))?;
        }
        match w {
            None => {
                kv.remove((ns, key.as_slice()))?;
            }
            Some((value, expires_at)) => {
                let row = Stored {
                    value: Bin(value),
                    versionstamp: stamp,
                    expires_at,
                };
                kv.insert((ns, key.as_slice()), encode(&row)?.as_slice())?;
                if let Some(at) = expires_at {
                    exp.insert((at.max(0) as u64, ns, key.as_slice()), ())?;
                }
            }
        }
    }
    Ok(())
}

/// Removes entries whose expiry has passed (reads never return them anyway).
fn sweep(store: &Store) -> Result<(), StoreError> {
    let now = crate::domain::now_millis().max(0) as u64;
    let due = store.read(|txn| match txn.open_table(tables::KV_EXPIRY) {
        Ok(t) => Ok(t.first()?.is_some_and(|(k, _)| k.value().0 <= now)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
        Err(e) => Err(e.into()),
    })?;
    if !due {
        return Ok(());
    }
    store.write(|txn| {
        let mut kv = txn.open_table(tables::KV)?;
        let mut exp = txn.open_table(tables::KV_EXPIRY)?;
        let mut gone: Vec<(u64, String, Vec<u8>)> = Vec::new();
        for row in exp.range::<(u64, &str, &[u8])>(..)?.take(MAX_SWEEP) {
            let (k, _) = row?;
            let (at, ns, key) = k.value();
            if at > now {
                break;
            }
            gone.push((at, ns.to_string(), key.to_vec()));
        }
        for (at, ns, key) in &gone {
            exp.remove((*at, ns.as_str(), key.as_slice()))?;
            let still = kv
                .get((ns.as_str(), key.as_slice()))?
                .map(|v| decode::<Stored>(v.value()))
                .transpose()?
                .is_some_and(|s| s.expires_at.map(|t| t.max(0) as u64) == Some(*at));
            if still {
                kv.remove((ns.as_str(), key.as_slice()))?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{key, KeyPart, Kv, KvLimits};
    use redb::ReadableTableMetadata;

    fn commit(kv: &Kv, op: Atomic) -> Result<Option<u64>, KvError> {
        let (tx, rx) = std::sync::mpsc::channel();
        kv.commit("t".into(), op, Box::new(move |r| drop(tx.send(r))));
        rx.recv().unwrap()
    }

    fn set(k: &str, expires_at: Option<i64>) -> (Vec<u8>, Mutation) {
        let value = encode_value(&KvValue::String(k.into())).unwrap();
        let key = key::encode(&[KeyPart::String(k.into())]);
        (key, Mutation::Set { value, expires_at })
    }

    fn rows(store: &Store) -> (usize, usize) {
        store
            .read(|txn| {
                let kv = txn.open_table(tables::KV)?.len()? as usize;
                let exp = txn.open_table(tables::KV_EXPIRY)?.len()? as usize;
                Ok((kv, exp))
            })
            .unwrap()
    }

    #[test]
    fn sweep_removes_expired_rows_and_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap();
        let limits = KvLimits {
            sweep_interval: Duration::from_secs(3600),
            ..KvLimits::default()
        };
        let kv = Kv::start(store.clone(), limits).unwrap();
        let past = crate::domain::now_millis() - 1;
        let far = crate::domain::now_millis() + 3_600_000;
        let op = Atomic {
            checks: vec![],
            mutations: vec![
                set("gone", Some(past)),
                set("later", Some(far)),
                set("kept", None),
            ],
        };
        assert_eq!(commit(&kv, op).unwrap(), Some(1));
        assert_eq!(rows(&store), (3, 2));
        let got = kv
            .get_many("t", vec![vec![KeyPart::String("gone".into())]])
            .unwrap();
        assert!(got[0].value.is_none(), "expired entries are never returned");
        sweep(&store).unwrap();
        assert_eq!(rows(&store), (2, 1));
        // Overwriting without expiry drops the index row too.
        let op = Atomic {
            checks: vec![],
            mutations: vec![set("later", None)],
        };
        assert_eq!(commit(&kv, op).unwrap(), Some(2));
        assert_eq!(rows(&store), (2, 0));
        kv.shutdown();
    }
}
