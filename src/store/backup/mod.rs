//! The backup ports ([`crate::backup::DataFile`], [`crate::backup::FileFormat`])
//! over redb: a snapshot copies every table from one read transaction (an
//! MVCC snapshot) into a new file; a verify opens a scratch copy with the
//! integrity check on and decodes every record.
//!
//! redb may panic on a damaged file rather than return an error; every
//! open of a file at rest runs under [`guard_panics`].

mod copy;
mod verify;

use std::path::{Path, PathBuf};

use redb::{Builder, DatabaseError, ReadOnlyDatabase, ReadableDatabase};

use super::{Store, StoreError, WeakStore};
use crate::backup::{BackupError, Counts, DataFile, FileFormat, Summary};
use crate::domain::StorageError;

pub use copy::known_tables;
use verify::guard_panics;
pub use verify::{decodes, Decode, Records, ScriptHead};

/// A store failure as the backup service sees it.
fn be(e: impl Into<StoreError>) -> BackupError {
    BackupError::Store(StorageError::from(e.into()))
}

/// The data file the server holds.
pub struct RedbLive {
    store: Store,
}

impl RedbLive {
    pub fn new(store: Store) -> RedbLive {
        RedbLive { store }
    }

    /// For the backup schedule: the live file while some [`Store`] still
    /// holds it open.
    pub fn upgrade(weak: &WeakStore) -> Option<Box<dyn DataFile>> {
        weak.upgrade()
            .map(|store| Box::new(RedbLive { store }) as Box<dyn DataFile>)
    }
}

impl DataFile for RedbLive {
    fn path(&self) -> &Path {
        self.store.path()
    }

    fn snapshot_to(&self, out: &Path) -> Result<Counts, BackupError> {
        self.store
            .read(|txn| Ok(copy::copy_all(txn, out)))
            .map_err(be)?
    }
}

/// A data file no server holds, opened read-only.
struct ReadOnly {
    db: ReadOnlyDatabase,
    path: PathBuf,
}

impl DataFile for ReadOnly {
    fn path(&self) -> &Path {
        &self.path
    }

    fn snapshot_to(&self, out: &Path) -> Result<Counts, BackupError> {
        guard_panics(&self.path, || {
            let txn = self.db.begin_read().map_err(be)?;
            copy::copy_all(&txn, out)
        })
    }
}

/// redb data files at rest.
pub struct RedbFormat {
    records: Records,
}

impl RedbFormat {
    pub fn new(records: Records) -> RedbFormat {
        RedbFormat { records }
    }
}

impl FileFormat for RedbFormat {
    fn check_signature(&self, path: &Path) -> Result<(), BackupError> {
        verify::check_signature(path)
    }

    fn ensure_not_held(&self, path: &Path, hint: &'static str) -> Result<(), BackupError> {
        let probe = std::panic::catch_unwind(|| {
            matches!(
                Builder::new().open_read_only(path),
                Err(DatabaseError::DatabaseAlreadyOpen)
            )
        });
        match probe {
            Ok(true) => Err(BackupError::InUse {
                path: path.display().to_string(),
                hint,
            }),
            _ => Ok(()),
        }
    }

    fn open_read_only(
        &self,
        data: &Path,
        hint: &'static str,
    ) -> Result<Box<dyn DataFile>, BackupError> {
        let db = guard_panics(data, || {
            Builder::new()
                .open_read_only(data)
                .map_err(|e| read_only_error(data, e, hint))
        })?;
        Ok(Box::new(ReadOnly {
            db,
            path: data.to_path_buf(),
        }))
    }

    fn check_copy(&self, copy: &Path, shown: &Path) -> Result<Summary, BackupError> {
        verify::check_copy(&self.records, copy, shown)
    }
}

fn read_only_error(path: &Path, e: DatabaseError, hint: &'static str) -> BackupError {
    match e {
        DatabaseError::DatabaseAlreadyOpen => BackupError::InUse {
            path: path.display().to_string(),
            hint,
        },
        DatabaseError::RepairAborted => BackupError::corrupt(
            path,
            "it was not closed cleanly (a crash?); start `aiwebengine serve` on it once, which repairs it, or restore a backup",
        ),
        other => BackupError::corrupt(path, other),
    }
}
