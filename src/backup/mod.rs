//! Backups of the data file: online snapshots, offline copies, `.zst`
//! archives, verification and restore.
//!
//! A snapshot copies every table from one consistent snapshot of the data
//! file into a brand-new file, so the server keeps reading and writing
//! while it runs. Every output appears under its final name only when
//! complete: it is written under a scratch name and renamed. The
//! format-specific work goes through the ports in [`file`] (adapter:
//! `store::backup`).
//!
//! Everything here blocks on disk; the HTTP handler runs it in
//! `spawn_blocking`.

pub mod cli;
pub mod file;
pub mod pin;
pub mod remote;
pub mod schedule;
mod verify;

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::domain::StorageError;

pub use file::{Counts, DataFile, FileFormat};
pub use verify::{verify, Summary};

/// zstd level: fast, and most of the gain on rmp-serde pages.
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} is held by a running aiwebengine server; {hint}")]
    InUse { path: String, hint: &'static str },
    #[error("{path} is not a valid aiwebengine data file or backup: {detail}")]
    Corrupt { path: String, detail: String },
    #[error("{path} was written by a newer aiwebengine (format {found}, this build reads up to {supported}); upgrade the binary")]
    NewerFormat {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("the data file has a table this build cannot back up ({0}); use the aiwebengine version that wrote it")]
    UnknownTable(String),
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error("{0}")]
    Remote(String),
    #[error(transparent)]
    Store(#[from] StorageError),
}

impl BackupError {
    pub fn io(path: &Path, e: impl std::fmt::Display) -> BackupError {
        BackupError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }

    pub fn corrupt(path: &Path, detail: impl std::fmt::Display) -> BackupError {
        BackupError::Corrupt {
            path: path.display().to_string(),
            detail: detail.to_string(),
        }
    }
}

/// A file under a hidden scratch name next to its destination, removed on
/// drop unless it was renamed into place.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A fresh, empty scratch file beside `dest` (same filesystem, so the
    /// final rename is atomic); `dest`'s directory is created if missing.
    pub fn beside(dest: &Path, tag: &str) -> Result<Scratch, BackupError> {
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, e))?;
        }
        let path = dest.with_file_name(scratch_name(dest, tag));
        create_new(&path)?;
        Ok(Scratch(path))
    }

    /// Like [`Scratch::beside`], falling back to the temp dir when the
    /// directory of `near` is not writable (verifying read-only media).
    pub fn anywhere(near: &Path, tag: &str) -> Result<Scratch, BackupError> {
        let beside = near.with_file_name(scratch_name(near, tag));
        if create_new(&beside).is_ok() {
            return Ok(Scratch(beside));
        }
        let tmp = std::env::temp_dir().join(scratch_name(near, tag));
        create_new(&tmp)?;
        Ok(Scratch(tmp))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Renames the finished file to `dest`, replacing what is there, and
    /// syncs the directory so the new name survives a crash.
    pub fn persist(self, dest: &Path) -> Result<(), BackupError> {
        std::fs::rename(&self.0, dest).map_err(|e| BackupError::io(dest, e))?;
        #[cfg(unix)]
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

fn scratch_name(near: &Path, tag: &str) -> String {
    let name = near
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "aiwebengine".into());
    format!(".{name}.{tag}-{}", uuid::Uuid::new_v4().simple())
}

fn create_new(path: &Path) -> Result<(), BackupError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
        .map_err(|e| BackupError::io(path, e))
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether a path names a zstd archive (`.zst`).
pub fn is_zst(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zst"))
}

/// An online snapshot of the live data file into a scratch file beside
/// it, zstd-compressed when asked. Readers and writers are not blocked.
pub fn snapshot_live(file: &dyn DataFile, zstd: bool) -> Result<(Scratch, Counts), BackupError> {
    let plain = Scratch::beside(file.path(), "backup")?;
    let counts = file.snapshot_to(plain.path())?;
    if !zstd {
        return Ok((plain, counts));
    }
    let packed = Scratch::beside(file.path(), "backup.zst")?;
    compress(plain.path(), packed.path())?;
    Ok((packed, counts))
}

/// An online snapshot of the live data file written to `out` (compressed
/// when `out` ends in `.zst`).
pub fn snapshot_live_to(file: &dyn DataFile, out: &Path) -> Result<Counts, BackupError> {
    let plain = Scratch::beside(out, "partial")?;
    let counts = file.snapshot_to(plain.path())?;
    finish(plain, out)?;
    Ok(counts)
}

/// An offline snapshot of a data file no server holds, written to `out`
/// (compressed when `out` ends in `.zst`).
pub fn snapshot_file(
    format: &dyn FileFormat,
    data: &Path,
    out: &Path,
) -> Result<Counts, BackupError> {
    const HINT: &str =
        "take an online backup instead: aiwebengine backup OUT --url http://HOST:PORT --token TOKEN";
    format.check_signature(data)?;
    let file = format.open_read_only(data, HINT)?;
    let plain = Scratch::beside(out, "partial")?;
    let counts = file.snapshot_to(plain.path())?;
    drop(file);
    finish(plain, out)?;
    Ok(counts)
}

/// Moves a finished plain snapshot to `out`, compressing it on the way when
/// `out` ends in `.zst`.
fn finish(plain: Scratch, out: &Path) -> Result<(), BackupError> {
    if !is_zst(out) {
        return plain.persist(out);
    }
    let packed = Scratch::beside(out, "partial.zst")?;
    compress(plain.path(), packed.path())?;
    packed.persist(out)
}

pub fn compress(src: &Path, dst: &Path) -> Result<(), BackupError> {
    let input = File::open(src).map_err(|e| BackupError::io(src, e))?;
    let output = File::create(dst).map_err(|e| BackupError::io(dst, e))?;
    let mut enc = zstd::Encoder::new(output, ZSTD_LEVEL).map_err(|e| BackupError::io(dst, e))?;
    std::io::copy(&mut std::io::BufReader::new(input), &mut enc)
        .map_err(|e| BackupError::io(dst, e))?;
    let output = enc.finish().map_err(|e| BackupError::io(dst, e))?;
    output.sync_all().map_err(|e| BackupError::io(dst, e))
}

pub fn decompress(src: &Path, dst: &Path) -> Result<(), BackupError> {
    let input = File::open(src).map_err(|e| BackupError::io(src, e))?;
    let mut output = File::create(dst).map_err(|e| BackupError::io(dst, e))?;
    zstd::stream::copy_decode(std::io::BufReader::new(input), &mut output)
        .map_err(|e| BackupError::corrupt(src, format!("not a readable zstd archive ({e})")))?;
    output.sync_all().map_err(|e| BackupError::io(dst, e))
}

/// What a restore did.
pub struct Restored {
    pub summary: Summary,
    /// Where the replaced data file was kept, if there was one.
    pub previous: Option<PathBuf>,
}

/// Verifies `backup` (a data file or a `.zst`), then puts it in place of
/// `data`. Refuses while a server holds `data`; keeps the replaced file
/// beside it as `NAME.pre-restore-STAMP`.
pub fn restore(
    format: &dyn FileFormat,
    backup: &Path,
    data: &Path,
) -> Result<Restored, BackupError> {
    const HINT: &str = "stop the server first, then run restore again";
    format.ensure_not_held(data, HINT)?;
    let staged = Scratch::beside(data, "restoring")?;
    if is_zst(backup) {
        decompress(backup, staged.path())?;
    } else {
        format.check_signature(backup)?;
        std::fs::copy(backup, staged.path()).map_err(|e| BackupError::io(backup, e))?;
    }
    let mut summary = format.check_copy(staged.path(), backup)?;
    summary.bytes = file_len(backup);
    // Checked again right before the swap: a server may have started meanwhile.
    format.ensure_not_held(data, HINT)?;
    let previous = if data.exists() {
        Some(keep_previous(data)?)
    } else {
        None
    };
    staged.persist(data)?;
    Ok(Restored { summary, previous })
}

/// Keeps the current data file under a new name without ever leaving
/// `data` missing: a hard link where possible, else a copy.
fn keep_previous(data: &Path) -> Result<PathBuf, BackupError> {
    let mut name = data.as_os_str().to_owned();
    name.push(format!(".pre-restore-{}", stamp()));
    let kept = PathBuf::from(name);
    if std::fs::hard_link(data, &kept).is_err() {
        std::fs::copy(data, &kept).map_err(|e| BackupError::io(&kept, e))?;
    }
    Ok(kept)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// `20261125T160732Z`: UTC, safe in file names.
pub fn stamp() -> String {
    let full = crate::domain::rfc3339(crate::domain::now_millis());
    let secs: String = full
        .chars()
        .take(19)
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{secs}Z")
}

/// The file name a downloaded backup is offered under.
pub fn download_name(zstd: bool) -> String {
    let ext = if zstd { "redb.zst" } else { "redb" };
    format!("aiwebengine-backup-{}.{ext}", stamp())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamp_is_compact() {
        let s = super::stamp();
        assert_eq!(s.len(), 16, "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[8] == b'T', "{s}");
    }
}
