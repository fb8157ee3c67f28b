//! The redb adapter of [`crate::kv::KvRepo`]: the `kv` and `kv_expiry`
//! tables and the versionstamp counter in `meta`.
//!
//! A row is an envelope-encoded [`Stored`]; the index holds one
//! `(expires at, namespace, key)` entry per row that has an expiry.

use redb::{ReadableTable, Table, WriteTransaction};

use super::{decode, encode, tables, Store, StoreError};
use crate::domain::StorageError;
use crate::kv::{KvRepo, KvWrite, Rows, Stored};

/// Key in [`tables::META`] holding the last versionstamp (big-endian u64).
const VERSIONSTAMP_KEY: &str = "kv_versionstamp";

/// The kv tables of one data file.
pub struct RedbKvRepo {
    store: Store,
}

impl RedbKvRepo {
    pub fn new(store: Store) -> RedbKvRepo {
        RedbKvRepo { store }
    }
}

type KvTable<'t> = Table<'t, (&'static str, &'static [u8]), &'static [u8]>;
type ExpTable<'t> = Table<'t, (u64, &'static str, &'static [u8]), ()>;
type KvReadTable = redb::ReadOnlyTable<(&'static str, &'static [u8]), &'static [u8]>;

/// The index key of a row that expires at `at`.
fn due(at: i64) -> u64 {
    at.max(0) as u64
}

impl RedbKvRepo {
    /// The `kv` table in a fresh snapshot; None before it was ever created.
    fn snapshot(&self) -> Result<Option<KvReadTable>, StoreError> {
        self.store.read(open_kv)
    }
}

fn open_kv(txn: &redb::ReadTransaction) -> Result<Option<KvReadTable>, StoreError> {
    match txn.open_table(tables::KV) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The last versionstamp committed, as `txn` sees it.
fn read_stamp(txn: &redb::ReadTransaction) -> Result<u64, StoreError> {
    let meta = match txn.open_table(tables::META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let v = meta.get(VERSIONSTAMP_KEY)?;
    Ok(v.and_then(|v| <[u8; 8]>::try_from(v.value()).ok())
        .map_or(0, u64::from_be_bytes))
}

impl KvRepo for RedbKvRepo {
    fn get_many(&self, ns: &str, keys: &[Vec<u8>]) -> Result<Rows, StorageError> {
        let (stamp, table) = self
            .store
            .read(|txn| Ok((read_stamp(txn)?, open_kv(txn)?)))?;
        let Some(t) = table else {
            return Ok(Rows {
                stamp,
                rows: vec![None; keys.len()],
            });
        };
        let mut rows = Vec::with_capacity(keys.len());
        for k in keys {
            let row = t.get((ns, k.as_slice())).map_err(StoreError::from)?;
            rows.push(row.map(|v| decode::<Stored>(v.value())).transpose()?);
        }
        Ok(Rows { stamp, rows })
    }

    fn scan(
        &self,
        ns: &str,
        (lo, hi): (&[u8], &[u8]),
        reverse: bool,
        visit: &mut dyn FnMut(&[u8], Stored) -> bool,
    ) -> Result<(), StorageError> {
        let Some(t) = self.snapshot()? else {
            return Ok(());
        };
        let range = t
            .range::<(&str, &[u8])>((ns, lo)..(ns, hi))
            .map_err(StoreError::from)?;
        let rows: Box<dyn Iterator<Item = _>> = if reverse {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        for row in rows {
            let (k, v) = row.map_err(StoreError::from)?;
            if !visit(k.value().1, decode(v.value())?) {
                break;
            }
        }
        Ok(())
    }

    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn KvWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let r = self.store.write(|txn| {
            let mut tx = Txn {
                txn,
                kv: txn.open_table(tables::KV)?,
                exp: txn.open_table(tables::KV_EXPIRY)?,
            };
            body(&mut tx).map_err(StoreError::from)
        });
        Ok(r?)
    }

    fn sweep_expired(&self, now: i64, max: usize) -> Result<(), StorageError> {
        let now = due(now);
        let is_due = self
            .store
            .read(|txn| match txn.open_table(tables::KV_EXPIRY) {
                Ok(t) => Ok(t.first()?.is_some_and(|(k, _)| k.value().0 <= now)),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
                Err(e) => Err(e.into()),
            })?;
        if !is_due {
            return Ok(());
        }
        Ok(self.store.write(|txn| sweep(txn, now, max))?)
    }
}

fn sweep(txn: &WriteTransaction, now: u64, max: usize) -> Result<(), StoreError> {
    let mut kv = txn.open_table(tables::KV)?;
    let mut exp = txn.open_table(tables::KV_EXPIRY)?;
    let mut gone: Vec<(u64, String, Vec<u8>)> = Vec::new();
    for row in exp.range::<(u64, &str, &[u8])>(..)?.take(max) {
        let (k, _) = row?;
        let (at, ns, key) = k.value();
        if at > now {
            break;
        }
        gone.push((at, ns.to_string(), key.to_vec()));
    }
    for (at, ns, key) in &gone {
        exp.remove((*at, ns.as_str(), key.as_slice()))?;
        // The row may have been rewritten with another expiry since.
        let still = kv
            .get((ns.as_str(), key.as_slice()))?
            .map(|v| decode::<Stored>(v.value()))
            .transpose()?
            .is_some_and(|s| s.expires_at.map(due) == Some(*at));
        if still {
            kv.remove((ns.as_str(), key.as_slice()))?;
        }
    }
    Ok(())
}

/// One write transaction with the kv tables open.
struct Txn<'t> {
    txn: &'t WriteTransaction,
    kv: KvTable<'t>,
    exp: ExpTable<'t>,
}

impl Txn<'_> {
    fn row(&self, ns: &str, key: &[u8]) -> Result<Option<Stored>, StoreError> {
        self.kv
            .get((ns, key))?
            .map(|v| decode::<Stored>(v.value()))
            .transpose()
    }

    /// Drops the index entry of the row now at `key`, if it has one.
    fn unindex(&mut self, ns: &str, key: &[u8]) -> Result<(), StoreError> {
        if let Some(at) = self.row(ns, key)?.and_then(|s| s.expires_at) {
            self.exp.remove((due(at), ns, key))?;
        }
        Ok(())
    }
}

impl KvWrite for Txn<'_> {
    fn versionstamp(&self) -> Result<u64, StorageError> {
        let meta = self
            .txn
            .open_table(tables::META)
            .map_err(StoreError::from)?;
        let v = meta.get(VERSIONSTAMP_KEY).map_err(StoreError::from)?;
        Ok(v.and_then(|v| <[u8; 8]>::try_from(v.value()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    fn set_versionstamp(&mut self, stamp: u64) -> Result<(), StorageError> {
        let r: Result<_, StoreError> = (|| {
            self.txn
                .open_table(tables::META)?
                .insert(VERSIONSTAMP_KEY, stamp.to_be_bytes().as_slice())?;
            Ok(())
        })();
        Ok(r?)
    }

    fn get(&self, ns: &str, key: &[u8]) -> Result<Option<Stored>, StorageError> {
        Ok(self.row(ns, key)?)
    }

    fn put(&mut self, ns: &str, key: &[u8], row: &Stored) -> Result<(), StorageError> {
        let r: Result<_, StoreError> = (|| {
            self.unindex(ns, key)?;
            self.kv.insert((ns, key), encode(row)?.as_slice())?;
            if let Some(at) = row.expires_at {
                self.exp.insert((due(at), ns, key), ())?;
            }
            Ok(())
        })();
        Ok(r?)
    }

    fn remove(&mut self, ns: &str, key: &[u8]) -> Result<(), StorageError> {
        let r: Result<_, StoreError> = (|| {
            self.unindex(ns, key)?;
            self.kv.remove((ns, key))?;
            Ok(())
        })();
        Ok(r?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::kv::value::encode_value;
    use crate::kv::{key, Atomic, KeyPart, Kv, KvError, KvLimits, KvValue, Mutation};
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
        let repo = Arc::new(RedbKvRepo::new(store.clone()));
        let kv = Kv::start(repo.clone(), limits).unwrap();
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
        repo.sweep_expired(crate::domain::now_millis(), 10_000)
            .unwrap();
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

    #[test]
    fn an_empty_namespace_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap();
        let repo = RedbKvRepo::new(store);
        let keys = vec![b"a".to_vec(), b"b".to_vec()];
        assert!(matches!(
            repo.get_many("t", &keys).unwrap().rows[..],
            [None, None]
        ));
        let mut seen = 0;
        repo.scan("t", (b"", b"\xff"), false, &mut |_, _| {
            seen += 1;
            true
        })
        .unwrap();
        assert_eq!(seen, 0);
    }
}
