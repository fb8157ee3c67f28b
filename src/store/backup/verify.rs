//! Checking a scratch copy of a data file: redb's integrity check (every
//! page checksum) needs a writable open, which is why `backup::verify`
//! hands us a copy. Then every table is read and every record decoded.

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use redb::{Builder, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;

use super::be;
use crate::assets::image::VariantRecord;
use crate::assets::AssetRecord;
use crate::auth::oauth::{OAuthClient, OAuthGrant};
use crate::backup::{BackupError, Summary};
use crate::store::{decode, tables, StoreError, FORMAT_VERSION};

/// Decodes one stored value as the record type its table holds.
pub type Decode = fn(&[u8]) -> Result<(), StoreError>;

/// Decodes a script record to its name and current version.
pub type ScriptHead = fn(&[u8]) -> Result<(String, u64), StoreError>;

/// [`Decode`] for records of type `T`.
pub fn decodes<T: DeserializeOwned>(bytes: &[u8]) -> Result<(), StoreError> {
    decode::<T>(bytes).map(drop)
}

/// How to decode the records of the tables other services own (the assets'
/// records are decoded here); [`Records::default`] is this build's.
pub struct Records {
    pub user: Decode,
    pub session: Decode,
    pub group: Decode,
    pub api_token: Decode,
    pub permission: Decode,
    pub totp: Decode,
    pub identity: Decode,
    pub audit: Decode,
    pub log: Decode,
    pub script_version: Decode,
    /// A script record's name and current version.
    pub script: ScriptHead,
}

impl Default for Records {
    fn default() -> Records {
        Records {
            user: decodes::<crate::auth::User>,
            session: decodes::<crate::auth::Session>,
            group: decodes::<crate::auth::Group>,
            api_token: decodes::<crate::auth::ApiToken>,
            permission: decodes::<crate::auth::Permission>,
            totp: decodes::<crate::auth::TotpRecord>,
            identity: decodes::<crate::auth::Identity>,
            audit: decodes::<crate::auth::AuditEntry>,
            log: decodes::<crate::logs::LogEntry>,
            script_version: decodes::<crate::scripts::ScriptVersion>,
            script: |bytes| {
                let r: crate::scripts::ScriptRecord = decode(bytes)?;
                Ok((r.name, r.version))
            },
        }
    }
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
pub fn check_copy(records: &Records, copy: &Path, shown: &Path) -> Result<Summary, BackupError> {
    check_signature(copy).map_err(|_| {
        BackupError::corrupt(shown, "it does not start with the redb file signature")
    })?;
    guard_panics(shown, || {
        let db = Builder::new()
            .set_check_integrity_on_open(true)
            .open(copy)
            .map_err(|e| BackupError::corrupt(shown, e))?;
        let txn = db.begin_read().map_err(be)?;
        check_tables(records, &txn).map_err(|e| match e {
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

fn check_tables(r: &Records, txn: &ReadTransaction) -> Result<Summary, BackupError> {
    let format = format_version(txn)?;
    if format > FORMAT_VERSION {
        return Err(BackupError::NewerFormat {
            path: String::new(),
            found: format,
            supported: FORMAT_VERSION,
        });
    }
    let scripts = decode_all(txn, tables::SCRIPTS, |b| (r.script)(b).map(drop))?;
    let versions = decode_all(txn, tables::SCRIPT_VERSIONS, r.script_version)?;
    decode_all(txn, tables::SCRIPT_LOGS, r.log)?;
    let users = decode_all(txn, tables::USERS, r.user)?;
    decode_all(txn, tables::SESSIONS, r.session)?;
    decode_all(txn, tables::GROUPS, r.group)?;
    decode_all(txn, tables::API_TOKENS, r.api_token)?;
    decode_all(txn, tables::PERMISSIONS, r.permission)?;
    decode_all(txn, tables::TOTP, r.totp)?;
    decode_all(txn, tables::USER_IDENTITIES, r.identity)?;
    decode_all(txn, tables::AUDIT, r.audit)?;
    check_current_versions(r, txn)?;
    // The rest hold opaque or later-issue values; reading them is the check.
    count(txn, tables::USER_EMAILS)?;
    for def in [tables::SETTINGS, tables::ASSETS] {
        count(txn, def)?;
    }
    count(txn, tables::KV)?;
    decode_all(txn, tables::ASSETS, decodes::<AssetRecord>)?;
    decode_all(txn, tables::ASSET_VARIANTS, decodes::<VariantRecord>)?;
    decode_all(txn, tables::OAUTH_CLIENTS, decodes::<OAuthClient>)?;
    decode_all(txn, tables::OAUTH_GRANTS, decodes::<OAuthGrant>)?;
    check_complete(txn).map_err(be)?;
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
            let r: AssetRecord = decode(row?.1.value())?;
            blobs.push((format!("asset {}", r.path), r.blob, r.chunks));
        }
    }
    if let Some(t) = open(tables::ASSET_VARIANTS)? {
        for row in t.iter()? {
            let (k, v) = row?;
            let v: VariantRecord = decode(v.value())?;
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
    let bad = |d: &str| be(StoreError::Codec(d.to_string()));
    let meta = txn
        .open_table(tables::META)
        .map_err(|_| bad("there is no meta table; this is not an aiwebengine data file"))?;
    let v = meta
        .get(tables::FORMAT_VERSION_KEY)
        .map_err(be)?
        .ok_or_else(|| bad("the meta table has no format_version"))?;
    let bytes: [u8; 4] = v
        .value()
        .try_into()
        .map_err(|_| bad("format_version is not 4 bytes"))?;
    Ok(u32::from_be_bytes(bytes))
}

/// Decodes every value of a table; a missing table counts as empty.
fn decode_all<K: redb::Key + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, &'static [u8]>,
    check: impl Fn(&[u8]) -> Result<(), StoreError>,
) -> Result<u64, BackupError> {
    let Some(table) = open(txn, def)? else {
        return Ok(0);
    };
    let mut n = 0;
    for row in table.iter().map_err(be)? {
        let (_, v) = row.map_err(be)?;
        check(v.value()).map_err(|e| {
            be(StoreError::Codec(format!(
                "a row of table {:?}: {e}",
                table_name(&def)
            )))
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
    for row in table.iter().map_err(be)? {
        row.map_err(be)?;
        n += 1;
    }
    Ok(n)
}

/// Every script's current version must exist in `script_versions`.
fn check_current_versions(r: &Records, txn: &ReadTransaction) -> Result<(), BackupError> {
    let (Some(scripts), Some(versions)) = (
        open(txn, tables::SCRIPTS)?,
        open(txn, tables::SCRIPT_VERSIONS)?,
    ) else {
        return Ok(());
    };
    for row in scripts.iter().map_err(be)? {
        let (_, v) = row.map_err(be)?;
        let (name, version) = (r.script)(v.value()).map_err(be)?;
        if versions
            .get((name.as_str(), version))
            .map_err(be)?
            .is_none()
        {
            return Err(be(StoreError::Codec(format!(
                "script {name} is at version {version}, which is missing from script_versions"
            ))));
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
        Err(e) => Err(be(e)),
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
