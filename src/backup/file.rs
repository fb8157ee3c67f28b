//! The backup service's ports to the data file. Copying tables, checking
//! pages and decoding records depend on the file format, so they live in
//! the adapter (`store::backup`); schedules, retention, `.zst`,
//! scratch files and remote fetch stay here.

use std::path::Path;

use super::{BackupError, Summary};

/// Row counts of the tables a summary reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub scripts: u64,
    pub versions: u64,
    pub users: u64,
}

/// An open data file: the one a running server holds (online snapshots),
/// or one opened read-only by [`FileFormat::open_read_only`].
pub trait DataFile: Send + Sync {
    /// Where the data file is (scratch files go beside it).
    fn path(&self) -> &Path;

    /// Blocking: copies every table from one consistent snapshot into a
    /// new data file at `out` (an empty file); readers and writers of the
    /// file are not blocked.
    fn snapshot_to(&self, out: &Path) -> Result<Counts, BackupError>;
}

/// Data files at rest (no server holds them): what the CLI's backup,
/// verify and restore need to know about the format. All blocking.
pub trait FileFormat: Send + Sync {
    /// Fails unless `path` starts with the format's signature.
    fn check_signature(&self, path: &Path) -> Result<(), BackupError>;

    /// Fails with [`BackupError::InUse`] (carrying `hint`) when a running
    /// server holds `path`. A missing or damaged file is not held.
    fn ensure_not_held(&self, path: &Path, hint: &'static str) -> Result<(), BackupError>;

    /// Opens `data` read-only, never repairing or writing it; fails with
    /// [`BackupError::InUse`] (carrying `hint`) when a server holds it.
    fn open_read_only(
        &self,
        data: &Path,
        hint: &'static str,
    ) -> Result<Box<dyn DataFile>, BackupError>;

    /// Checks a scratch copy (which it may repair in place): every page,
    /// the format version, every record. Errors name `shown`.
    fn check_copy(&self, copy: &Path, shown: &Path) -> Result<Summary, BackupError>;
}
