//! Copying every table of one read transaction into a new redb file.
//!
//! redb has no untyped table access, so the tables are listed here by their
//! definitions; [`check_known`] refuses a source holding a table this list
//! lacks, and a unit test keeps the list in step with `store/tables.rs`.

use std::path::Path;

use redb::{
    Database, Key, MultimapTableHandle, ReadTransaction, ReadableTable, TableDefinition,
    TableHandle, Value,
};

use super::be;
use crate::backup::{BackupError, Counts};
use crate::store::{tables, StoreError};

/// Rows per write transaction in the new file, so a large table never
/// becomes one huge transaction.
const BATCH: usize = 20_000;

macro_rules! every_table {
    ($m:ident!($($arg:tt)*)) => {
        $m!($($arg)* META, SCRIPTS, SCRIPT_VERSIONS, SCRIPT_LOGS, USERS, USER_EMAILS,
            SESSIONS, GROUPS, SETTINGS, ASSETS, KV, KV_EXPIRY, API_TOKENS, PERMISSIONS, AUDIT,
            TOTP, USER_IDENTITIES, ASSET_CHUNKS, ASSET_STAGING, ASSET_VARIANTS, OAUTH_CLIENTS,
            OAUTH_GRANTS)
    };
}

macro_rules! names {
    ($($t:ident),*) => { vec![$(tables::$t.name()),*] };
}

/// Names of the tables a backup copies.
pub fn known_tables() -> Vec<&'static str> {
    every_table!(names!())
}

/// Fails when the source has a table (or any multimap table) this build
/// would not copy: a backup that silently drops data is worse than none.
pub fn check_known(src: &ReadTransaction) -> Result<(), BackupError> {
    let known = known_tables();
    for handle in src.list_tables().map_err(be)? {
        if !known.contains(&handle.name()) {
            return Err(BackupError::UnknownTable(handle.name().to_string()));
        }
    }
    if let Some(handle) = src.list_multimap_tables().map_err(be)?.next() {
        return Err(BackupError::UnknownTable(handle.name().to_string()));
    }
    Ok(())
}

/// Copies every table from `src` into a new database created at `out`.
pub fn copy_all(src: &ReadTransaction, out: &Path) -> Result<Counts, BackupError> {
    check_known(src)?;
    let dst = Database::create(out).map_err(|e| BackupError::io(out, e))?;
    let mut counts = Counts::default();
    macro_rules! copy {
        ($($t:ident),*) => {$(
            let rows = copy_table(src, &dst, tables::$t).map_err(be)?;
            match stringify!($t) {
                "SCRIPTS" => counts.scripts = rows,
                "SCRIPT_VERSIONS" => counts.versions = rows,
                "USERS" => counts.users = rows,
                _ => {}
            }
        )*};
    }
    every_table!(copy!());
    drop(dst);
    Ok(counts)
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    src: &ReadTransaction,
    dst: &Database,
    def: TableDefinition<K, V>,
) -> Result<u64, StoreError> {
    let table = match src.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut rows = 0u64;
    let mut iter = table.iter()?;
    loop {
        let txn = dst.begin_write()?;
        let mut done = false;
        {
            // Opened even when empty, so the copy has every table the source has.
            let mut out = txn.open_table(def)?;
            for _ in 0..BATCH {
                let Some(row) = iter.next() else {
                    done = true;
                    break;
                };
                let (k, v) = row?;
                out.insert(k.value(), v.value())?;
                rows += 1;
            }
        }
        txn.commit()?;
        if done {
            return Ok(rows);
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every `TableDefinition` in store/tables.rs must be copied by a backup.
    #[test]
    fn every_table_is_copied() {
        let source = include_str!("../tables.rs");
        let known = super::known_tables();
        let defined: Vec<&str> = source
            .split("Definition::new(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(defined.len() >= 11, "parsed {defined:?}");
        for name in defined {
            assert!(
                known.contains(&name),
                "table {name:?} is not in store::backup::copy's every_table! list"
            );
        }
    }
}
