//! Renaming a script: everything keyed by its name moves in one write
//! transaction (record, versions, log, its own kv namespace), so a crash
//! leaves either the old name or the new one, never half of each.

use redb::{ReadableTable, WriteTransaction};

use super::{ScriptRecord, ScriptVersion};
use crate::store::{decode, encode, get_value, tables, StoreError};

/// Why a rename could not be stored.
pub enum Refused {
    Missing,
    Taken,
}

/// Moves `from` to `to`. A script's default kv namespace is its name
/// ([`crate::kv::Kv::namespace`]); shared namespaces (`shared:…`) stay.
/// Returns the moved record and its current source.
pub fn move_script(
    txn: &WriteTransaction,
    from: &str,
    to: &str,
) -> Result<Result<(ScriptRecord, String), Refused>, StoreError> {
    let mut scripts = txn.open_table(tables::SCRIPTS)?;
    if get_value::<ScriptRecord>(&scripts, to)?.is_some() {
        return Ok(Err(Refused::Taken));
    }
    let Some(mut rec) = get_value::<ScriptRecord>(&scripts, from)? else {
        return Ok(Err(Refused::Missing));
    };
    rec.name = to.to_string();
    rec.updated_at = super::now_millis();
    scripts.remove(from)?;
    scripts.insert(to, encode(&rec)?.as_slice())?;
    move_pairs(txn, tables::SCRIPT_VERSIONS, from, to)?;
    move_pairs(txn, tables::SCRIPT_LOGS, from, to)?;
    move_kv(txn, from, to)?;
    let current = txn
        .open_table(tables::SCRIPT_VERSIONS)?
        .get((to, rec.version))?
        .map(|v| decode::<ScriptVersion>(v.value()))
        .transpose()?;
    let source = current.map(|v| v.source).unwrap_or_default();
    Ok(Ok((rec, source)))
}

/// Moves the `(name, n)` rows of a versions or log table.
fn move_pairs(
    txn: &WriteTransaction,
    def: redb::TableDefinition<(&str, u64), &[u8]>,
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
    use crate::store::Store;

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
