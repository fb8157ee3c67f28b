//! `verify`: is this a whole, readable data file this build can serve?
//!
//! The check runs on a scratch copy: redb's integrity check (every page
//! checksum) needs a writable open, and the file being verified must stay
//! untouched. Then every table is read and every record decoded.

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use redb::{Builder, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;

use super::{ensure_not_held, file_len, is_zst, BackupError, Scratch};
use crate::auth::{Session, User};
use crate::logs::LogEntry;
use crate::scripts::{ScriptRecord, ScriptVersion};
use crate::store::{decode, tables, StoreError, FORMAT_VERSION};

/// What a verified file holds.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub format: u32,
    pub scripts: u64,
    pub versions: u64,
    pub users: u64,
    /// Size of the file as given (compressed size for a `.zst`).
    pub bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "format {}, {} scripts, {} versions, {} users, {} bytes",
            self.format, self.scripts, self.versions, self.users, self.bytes
        )
    }
}

/// Verifies a data file or a backup (plain or `.zst`) without changing it.
pub fn verify(path: &Path) -> Result<Summary, BackupError> {
    let scratch = Scratch::anywhere(path, "verify")?;
    if is_zst(path) {
        super::decompress(path, scratch.path())?;
    } else {
        check_signature(path)?;
        ensure_not_held(
            path,
            "verify a backup of it instead (aiwebengine backup OUT --url URL --token TOKEN)",
        )?;
        std::fs::copy(path, scratch.path()).map_err(|e| BackupError::io(path, e))?;
    }
    let mut summary = check_copy(scratch.path(), path)?;
    summary.bytes = file_len(path);
    Ok(summary)
}

/// Fails unless the file starts with the redb signature.
pub fn check_signature(path: &Path) -> Result<(), BackupError> {
    let mut head = [0u8; 4];
    let mut f = std::fs::File::open(path).map_err(|e| BackupError::io(path, e))?;
    f.read_exact(&mut head)
        .map_err(|_| BackupError::corrupt(path, "too short to be a redb database"))?;
    if &head != b"redb" {
        return Err(BackupError::corrupt(
            path,
            "it does not start with the redb file signature",
        ));
    }
    Ok(())
}

/// Checks a scratch copy (which it may repair in place); errors name `shown`.
pub fn check_copy(copy: &Path, shown: &Path) -> Result<Summary, BackupError> {
    check_signature(copy).map_err(|_| {
        BackupError::corrupt(shown, "it does not start with the redb file signature")
    })?;
    guard_panics(shown, || {
        let db = Builder::new()
            .set_check_integrity_on_open(true)
            .open(copy)
            .map_err(|e| BackupError::corrupt(shown, e))?;
        let txn = db.begin_read().map_err(StoreError::from)?;
        check_tables(&txn).map_err(|e| match e {
            BackupError::Store(s) => BackupError::corrupt(shown, s),
            BackupError::NewerFormat {
                found, supported, ..
            } => BackupError::NewerFormat {
                path: shown.display().to_string(),
                found,
                supported,
            },
            other => other,
        })
    })
}

fn check_tables(txn: &ReadTransaction) -> Result<Summary, BackupError> {
    let format = format_version(txn)?;
    if format > FORMAT_VERSION {
        return Err(BackupError::NewerFormat {
            path: String::new(),
            found: format,
            supported: FORMAT_VERSION,
        });
    }
    let scripts = decode_all::<&str, ScriptRecord>(txn, tables::SCRIPTS)?;
    let versions = decode_all::<(&str, u64), ScriptVersion>(txn, tables::SCRIPT_VERSIONS)?;
    decode_all::<(&str, u64), LogEntry>(txn, tables::SCRIPT_LOGS)?;
    let users = decode_all::<&str, User>(txn, tables::USERS)?;
    decode_all::<&str, Session>(txn, tables::SESSIONS)?;
    decode_all::<&str, crate::auth::Group>(txn, tables::GROUPS)?;
    decode_all::<&str, crate::auth::ApiToken>(txn, tables::API_TOKENS)?;
    decode_all::<&str, crate::auth::Permission>(txn, tables::PERMISSIONS)?;
    decode_all::<u64, crate::auth::AuditEntry>(txn, tables::AUDIT)?;
    check_current_versions(txn)?;
    // The rest hold opaque or later-issue values; reading them is the check.
    count(txn, tables::USER_EMAILS)?;
    for def in [tables::SETTINGS, tables::ASSETS] {
        count(txn, def)?;
    }
    count(txn, tables::KV)?;
    decode_all::<&str, crate::assets::AssetRecord>(txn, tables::ASSETS)?;
    decode_all::<&str, crate::assets::image::VariantRecord>(txn, tables::ASSET_VARIANTS)?;
    check_complete(txn)?;
    Ok(Summary {
        format,
        scripts,
        versions,
        users,
        bytes: 0,
    })
}

/// For `verify`: every asset and variant has all its chunks.
fn check_complete(txn: &ReadTransaction) -> Result<(), StoreError> {
    let open = |def| match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(StoreError::from(e)),
    };
    let Some(chunks) = (match txn.open_table(tables::ASSET_CHUNKS) {
        Ok(t) => Some(t),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(e.into()),
    }) else {
        return Ok(());
    };
    let mut blobs: Vec<(String, u64, u32)> = Vec::new();
    if let Some(t) = open(tables::ASSETS)? {
        for row in t.iter()? {
            let r: crate::assets::AssetRecord = decode(row?.1.value())?;
            blobs.push((format!("asset {}", r.path), r.blob, r.chunks));
        }
    }
    if let Some(t) = open(tables::ASSET_VARIANTS)? {
        for row in t.iter()? {
            let (k, v) = row?;
            let v: crate::assets::image::VariantRecord = decode(v.value())?;
            blobs.push((format!("image variant {}", k.value()), v.blob, v.chunks));
        }
    }
    for (what, blob, n) in blobs {
        for i in 0..n {
            if chunks.get((blob, i))?.is_none() {
                return Err(StoreError::Codec(format!(
                    "{what} lacks chunk {i} of {n} in asset_chunks"
                )));
            }
        }
    }
    Ok(())
}

fn format_version(txn: &ReadTransaction) -> Result<u32, BackupError> {
    let bad = |d: &str| StoreError::Codec(d.to_string());
    let meta = txn
        .open_table(tables::META)
        .map_err(|_| bad("there is no meta table; this is not an aiwebengine data file"))?;
    let v = meta
        .get(tables::FORMAT_VERSION_KEY)
        .map_err(StoreError::from)?
        .ok_or_else(|| bad("the meta table has no format_version"))?;
    let bytes: [u8; 4] = v
        .value()
        .try_into()
        .map_err(|_| bad("format_version is not 4 bytes"))?;
    Ok(u32::from_be_bytes(bytes))
}

/// Decodes every value of a table; a missing table counts as empty.
fn decode_all<K: redb::Key + 'static, T: DeserializeOwned>(
    txn: &ReadTransaction,
    def: TableDefinition<K, &'static [u8]>,
) -> Result<u64, BackupError> {
    let Some(table) = open(txn, def)? else {
        return Ok(0);
    };
    let mut n = 0;
    for row in table.iter().map_err(StoreError::from)? {
        let (_, v) = row.map_err(StoreError::from)?;
        decode::<T>(v.value()).map_err(|e| {
            StoreError::Codec(format!("a row of table {:?}: {e}", table_name(&def)))
        })?;
        n += 1;
    }
    Ok(n)
}

fn count<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<u64, BackupError> {
    let Some(table) = open(txn, def)? else {
        return Ok(0);
    };
    let mut n = 0;
    for row in table.iter().map_err(StoreError::from)? {
        row.map_err(StoreError::from)?;
        n += 1;
    }
    Ok(n)
}

/// Every script's current version must exist in `script_versions`.
fn check_current_versions(txn: &ReadTransaction) -> Result<(), BackupError> {
    let (Some(scripts), Some(versions)) = (
        open(txn, tables::SCRIPTS)?,
        open(txn, tables::SCRIPT_VERSIONS)?,
    ) else {
        return Ok(());
    };
    for row in scripts.iter().map_err(StoreError::from)? {
        let (_, v) = row.map_err(StoreError::from)?;
        let rec: ScriptRecord = decode(v.value())?;
        if versions
            .get((rec.name.as_str(), rec.version))
            .map_err(StoreError::from)?
            .is_none()
        {
            return Err(StoreError::Codec(format!(
                "script {} is at version {}, which is missing from script_versions",
                rec.name, rec.version
            ))
            .into());
        }
    }
    Ok(())
}

fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, BackupError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(StoreError::from(e).into()),
    }
}

fn table_name<K: redb::Key + 'static, V: redb::Value + 'static>(
    def: &TableDefinition<K, V>,
) -> String {
    redb::TableHandle::name(def).to_string()
}

/// redb may panic on a damaged file rather than return an error; such a
/// panic becomes a `Corrupt` error naming `path`.
pub fn guard_panics<T>(
    path: &Path,
    f: impl FnOnce() -> Result<T, BackupError>,
) -> Result<T, BackupError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("damaged data");
            Err(BackupError::corrupt(path, format!("redb stopped: {msg}")))
        }
    }
}
