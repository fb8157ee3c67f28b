//! Keeps redb away from the two faults it cannot survive while running:
//! a full disk and a data file replaced underneath it.
//!
//! redb latches a failed page write: after one `ENOSPC` every later
//! operation, reads included, fails with "previous I/O error" until the
//! file is reopened. So before each write transaction the guard reserves
//! `reserve` bytes past the end of the file with `fallocate(KEEP_SIZE)`:
//! when the filesystem cannot give them, the write is refused with
//! [`StoreError::Full`] before redb touches the file, reads keep working,
//! and writes work again once space is freed. (On a filesystem without
//! `fallocate` the free space from `statvfs` is checked instead.)
//!
//! It also compares the file it holds open with what the path names now:
//! a file renamed over the data file (or the data file deleted) would make
//! every later write land in a file nothing can reach after a restart, so
//! writes are refused and [`Guard::replaced`] says why (shown by /health).

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::StoreError;

/// Bytes kept allocated past the end of the data file unless
/// `storage.reserve_bytes` says otherwise.
pub const DEFAULT_RESERVE_BYTES: u64 = 16 * 1024 * 1024;

pub struct Guard {
    file: File,
    path: PathBuf,
    reserve: u64,
    dev: u64,
    ino: u64,
}

impl Guard {
    /// Opens `path` for writing (a data file the server cannot write is
    /// refused here, with the fix in the message).
    pub fn open(path: &Path, reserve: u64) -> Result<Guard, StoreError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| StoreError::NotWritable {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
        let meta = file.metadata().map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Guard {
            file,
            path: path.to_path_buf(),
            reserve,
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Why the path no longer names the open data file, if it does not.
    pub fn replaced(&self) -> Option<String> {
        let now = match std::fs::metadata(&self.path) {
            Ok(m) if m.dev() == self.dev && m.ino() == self.ino => return None,
            Ok(_) => "was replaced by another file",
            Err(_) => "was removed",
        };
        Some(format!(
            "the data file {} {now} while the server runs; the server still holds the \
             original, and refuses writes that a restart would not find. Put the original \
             back (or restore a backup) and restart the server",
            self.path.display()
        ))
    }

    /// Called before every write transaction.
    pub fn before_write(&self) -> Result<(), StoreError> {
        if let Some(why) = self.replaced() {
            return Err(StoreError::Io(why));
        }
        if self.reserve == 0 {
            return Ok(());
        }
        let len = self
            .file
            .metadata()
            .map_err(|e| StoreError::Io(e.to_string()))?
            .len();
        use rustix::fs::{fallocate, FallocateFlags};
        match fallocate(&self.file, FallocateFlags::KEEP_SIZE, 0, len + self.reserve) {
            Ok(()) => Ok(()),
            Err(rustix::io::Errno::NOSPC) | Err(rustix::io::Errno::DQUOT) => Err(self.full()),
            Err(rustix::io::Errno::OPNOTSUPP) | Err(rustix::io::Errno::NOSYS) => {
                match rustix::fs::fstatvfs(&self.file) {
                    Ok(s) if s.f_bavail.saturating_mul(s.f_frsize) < self.reserve => {
                        Err(self.full())
                    }
                    _ => Ok(()),
                }
            }
            Err(e) => Err(StoreError::Io(format!(
                "cannot reserve space for the data file {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn full(&self) -> StoreError {
        let free = rustix::fs::fstatvfs(&self.file)
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
            .unwrap_or(0);
        StoreError::Full(format!(
            "the disk holding the data file {} is full: it cannot give the {}-byte reserve \
             the engine keeps past the end of the file so that the file stays consistent \
             ({free} bytes free). Writes are refused, reads still work. Free space on that \
             filesystem (or lower storage.reserve_bytes) and retry",
            self.path.display(),
            self.reserve
        ))
    }
}
