//! The redb adapter of [`crate::scripts::repo::ScriptRepo`]: tables
//! `scripts` and `script_versions`; rename and delete also reach the
//! script's rows in `script_logs`, `kv` and `kv_expiry`, so that each is
//! one write transaction and a crash leaves the old name or the new one,
//! never half of each.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::{decode, encode, get_value, tables, Store, StoreError};
use crate::domain::StorageError;
use crate::scripts::repo::{Renamed, ScriptRead, ScriptRepo, ScriptWrite};
use crate::scripts::{ScriptRecord, ScriptVersion};

/// The scripts of one data file.
pub struct RedbScripts {
    store: Store,
}

impl RedbScripts {
    pub fn new(store: Store) -> RedbScripts {
        RedbScripts { store }
    }
}

impl ScriptRepo for RedbScripts {
    fn read(
        &self,
        body: &mut dyn FnMut(&dyn ScriptRead) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let r = self
            .store
            .read(|txn| body(&Snapshot { txn }).map_err(StoreError::from));
        Ok(r?)
    }

    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn ScriptWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let r = self
            .store
            .write(|txn| body(&mut Txn { txn }).map_err(StoreError::from));
        Ok(r?)
    }

    fn delete(&self, name: &str) -> Result<bool, StorageError> {
        let r = self.store.write(|txn| {
            let existed = txn.open_table(tables::SCRIPTS)?.remove(name)?.is_some();
            if existed {
                txn.open_table(tables::SCRIPT_VERSIONS)?
                    .retain_in((name, 0)..=(name, u64::MAX), |_, _| false)?;
                txn.open_table(tables::SCRIPT_LOGS)?
                    .retain_in((name, 0)..=(name, u64::MAX), |_, _| false)?;
            }
            Ok(existed)
        });
        Ok(r?)
    }

    fn rename(&self, from: &str, to: &str, at: i64) -> Result<Renamed, StorageError> {
        Ok(self.store.write(|txn| move_script(txn, from, to, at))?)
    }
}

/// The [`super::Seeder`] that writes the scripts `scripts` yields (the
/// embedded seed) into a brand-new data file; `scripts` runs only then.
pub fn seeder<F>(scripts: F) -> impl Fn(&WriteTransaction) -> Result<(), StoreError>
where
    F: Fn() -> Result<Vec<(ScriptRecord, ScriptVersion)>, StorageError>,
{
    move |txn| {
        let mut tx = Txn { txn };
        for (record, version) in scripts()? {
            tx.put_version(&record.name, record.version, &version)?;
            tx.put_record(&record)?;
        }
        Ok(())
    }
}

struct Snapshot<'a> {
    txn: &'a ReadTransaction,
}

struct Txn<'a> {
    txn: &'a WriteTransaction,
}

fn records(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<ScriptRecord>, StoreError> {
    let mut out = Vec::new();
    for row in t.iter()? {
        out.push(decode(row?.1.value())?);
    }
    Ok(out)
}

fn version(
    t: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    name: &str,
    v: u64,
) -> Result<Option<ScriptVersion>, StoreError> {
    t.get((name, v))?.map(|v| decode(v.value())).transpose()
}

fn versions(
    t: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    name: &str,
) -> Result<Vec<(u64, ScriptVersion)>, StoreError> {
    let mut out = Vec::new();
    for row in t.range((name, 0)..=(name, u64::MAX))? {
        let (k, v) = row?;
        out.push((k.value().1, decode(v.value())?));
    }
    Ok(out)
}

/// Runs an adapter step, speaking the port's error.
fn port<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StorageError> {
    Ok(f()?)
}

/// The reads of a snapshot and of a write transaction are the same code.
macro_rules! script_reads {
    ($t:ty) => {
        impl ScriptRead for $t {
            fn record(&self, name: &str) -> Result<Option<ScriptRecord>, StorageError> {
                port(|| get_value(&self.txn.open_table(tables::SCRIPTS)?, name))
            }

            fn records(&self) -> Result<Vec<ScriptRecord>, StorageError> {
                port(|| records(&self.txn.open_table(tables::SCRIPTS)?))
            }

            fn version(&self, name: &str, v: u64) -> Result<Option<ScriptVersion>, StorageError> {
                port(|| version(&self.txn.open_table(tables::SCRIPT_VERSIONS)?, name, v))
            }

            fn versions(&self, name: &str) -> Result<Vec<(u64, ScriptVersion)>, StorageError> {
                port(|| versions(&self.txn.open_table(tables::SCRIPT_VERSIONS)?, name))
            }
        }
    };
}
script_reads!(Snapshot<'_>);
script_reads!(Txn<'_>);

impl ScriptWrite for Txn<'_> {
    fn put_record(&mut self, record: &ScriptRecord) -> Result<(), StorageError> {
        port(|| {
            let bytes = encode(record)?;
            self.txn
                .open_table(tables::SCRIPTS)?
                .insert(record.name.as_str(), bytes.as_slice())?;
            Ok(())
        })
    }

    fn put_version(
        &mut self,
        name: &str,
        version: u64,
        row: &ScriptVersion,
    ) -> Result<(), StorageError> {
        port(|| {
            let bytes = encode(row)?;
            self.txn
                .open_table(tables::SCRIPT_VERSIONS)?
                .insert((name, version), bytes.as_slice())?;
            Ok(())
        })
    }
}

/// Moves `from` to `to`. A script's default kv namespace is its name
/// (`kv::Kv::namespace`); shared namespaces (`shared:…`) stay.
fn move_script(
    txn: &WriteTransaction,
    from: &str,
    to: &str,
    at: i64,
) -> Result<Renamed, StoreError> {
    let mut scripts = txn.open_table(tables::SCRIPTS)?;
    if get_value::<ScriptRecord>(&scripts, to)?.is_some() {
        return Ok(Renamed::Taken);
    }
    let Some(mut rec) = get_value::<ScriptRecord>(&scripts, from)? else {
        return Ok(Renamed::Missing);
    };
    rec.name = to.to_string();
    rec.updated_at = at;
    scripts.remove(from)?;
    scripts.insert(to, encode(&rec)?.as_slice())?;
    move_pairs(txn, tables::SCRIPT_VERSIONS, from, to)?;
    move_pairs(txn, tables::SCRIPT_LOGS, from, to)?;
    move_kv(txn, from, to)?;
    let current = version(&txn.open_table(tables::SCRIPT_VERSIONS)?, to, rec.version)?;
    let source = current.map(|v| v.source).unwrap_or_default();
    Ok(Renamed::Moved(Box::new(rec), source))
}

/// Moves the `(name, n)` rows of a versions or log table.
fn move_pairs(
    txn: &WriteTransaction,
    def: TableDefinition<(&str, u64), &[u8]>,
    from: &str,
    to: &str,
) -> Result<(), StoreError> {
    let mut t = txn.open_table(def)?;
    let mut rows = Vec::new();
    for row in t.extract_from_if((from, 0)..=(from, u64::MAX), |_, _| true)? {
        let (k, v) = row?;
        rows.push((k.value().1, v.value().to_vec()));
    }
    for (n, v) in rows {
        t.insert((to, n), v.as_slice())?;
    }
    Ok(())
}

/// Moves the namespace's rows in `KV` and its entries in `KV_EXPIRY`.
fn move_kv(txn: &WriteTransaction, from: &str, to: &str) -> Result<(), StoreError> {
    let mut kv = txn.open_table(tables::KV)?;
    let mut rows = Vec::new();
    let empty: &[u8] = &[];
    // `from\0` is the least string after `from`: the range is exactly the
    // namespace's rows.
    let end = format!("{from}\0");
    for row in kv.extract_from_if((from, empty)..(end.as_str(), empty), |_, _| true)? {
        let (k, v) = row?;
        rows.push((k.value().1.to_vec(), v.value().to_vec()));
    }
    for (k, v) in &rows {
        kv.insert((to, k.as_slice()), v.as_slice())?;
    }
    // The expiry index is ordered by time first: a full scan, fine for a
    // rare operation.
    let mut exp = txn.open_table(tables::KV_EXPIRY)?;
    let mut due = Vec::new();
    for row in exp.extract_if(|k, _| k.1 == from)? {
        let (k, _) = row?;
        let (at, _, key) = k.value();
        due.push((at, key.to_vec()));
    }
    for (at, key) in due {
        exp.insert((at, to, key.as_slice()), ())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_rows_and_expiry_move_but_neighbours_and_shared_stay() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap();
        let names = ["a.js", "a.js.bak", "shared:a.js", "a.j"];
        store
            .write(|txn| {
                let mut kv = txn.open_table(tables::KV)?;
                let mut exp = txn.open_table(tables::KV_EXPIRY)?;
                for ns in names {
                    kv.insert((ns, b"k".as_slice()), b"v".as_slice())?;
                    exp.insert((7, ns, b"k".as_slice()), ())?;
                }
                Ok(())
            })
            .unwrap();
        store.write(|txn| move_kv(txn, "a.js", "b.js")).unwrap();
        let (rows, due) = store
            .read(|txn| {
                let kv = txn.open_table(tables::KV)?;
                let rows: Vec<String> = kv
                    .iter()?
                    .map(|r| r.unwrap().0.value().0.to_string())
                    .collect();
                let exp = txn.open_table(tables::KV_EXPIRY)?;
                let due: Vec<String> = exp
                    .iter()?
                    .map(|r| r.unwrap().0.value().1.to_string())
                    .collect();
                Ok((rows, due))
            })
            .unwrap();
        let want = ["a.j", "a.js.bak", "b.js", "shared:a.js"];
        assert_eq!(rows, want);
        assert_eq!(due, want);
    }
}
