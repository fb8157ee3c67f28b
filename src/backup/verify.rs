//! `verify`: is this a whole, readable data file this build can serve?
//!
//! The check runs on a scratch copy: the format's integrity check (one
//! that checks every page checksum) may need a writable open, and the file
//! being verified must stay untouched.

use std::path::Path;

use super::{file_len, is_zst, BackupError, FileFormat, Scratch};

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
pub fn verify(format: &dyn FileFormat, path: &Path) -> Result<Summary, BackupError> {
    let scratch = Scratch::anywhere(path, "verify")?;
    if is_zst(path) {
        super::decompress(path, scratch.path())?;
    } else {
        format.check_signature(path)?;
        format.ensure_not_held(
            path,
            "verify a backup of it instead (aiwebengine backup OUT --url URL --token TOKEN)",
        )?;
        std::fs::copy(path, scratch.path()).map_err(|e| BackupError::io(path, e))?;
    }
    let mut summary = format.check_copy(scratch.path(), path)?;
    summary.bytes = file_len(path);
    Ok(summary)
}
