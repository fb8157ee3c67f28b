//! Upkeep of rotated log files: compress all but the newest, then keep at
//! most `retention_files` and nothing older than `retention_days`.
//!
//! tracing-appender names files `PREFIX.DATE.SUFFIX` with a DATE that
//! sorts as text (`2026-01-31`, `2026-01-31-13`), so the newest plain file
//! is the one being written.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::telemetry::LoggingSection;

struct LogFile {
    path: PathBuf,
    /// The DATE part, for ordering.
    date: String,
    compressed: bool,
}

fn list(dir: &Path, prefix: &str, suffix: &str) -> io::Result<Vec<LogFile>> {
    let lead = format!("{prefix}.");
    let tail = if suffix.is_empty() {
        String::new()
    } else {
        format!(".{suffix}")
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&lead) else {
            continue;
        };
        let (rest, compressed) = match rest
            .strip_suffix(".gz")
            .or_else(|| rest.strip_suffix(".zst"))
        {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let Some(date) = rest.strip_suffix(tail.as_str()) else {
            continue;
        };
        if date.is_empty() || !date.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            continue;
        }
        out.push(LogFile {
            path: entry.path(),
            date: date.to_string(),
            compressed,
        });
    }
    out.sort_by(|a, b| b.date.cmp(&a.date).then(a.compressed.cmp(&b.compressed)));
    Ok(out)
}

pub fn maintain(
    dir: &Path,
    prefix: &str,
    suffix: &str,
    cfg: &LoggingSection,
    now: SystemTime,
) -> io::Result<()> {
    let files = list(dir, prefix, suffix)?;
    let newest = files.iter().find(|f| !f.compressed).map(|f| f.date.clone());
    if cfg.compress != "none" {
        for f in files.iter().filter(|f| !f.compressed) {
            if Some(&f.date) != newest.as_ref() {
                compress(&f.path, &cfg.compress)?;
            }
        }
    }
    let files = list(dir, prefix, suffix)?;
    let max_age =
        (cfg.retention_days > 0).then(|| Duration::from_secs(cfg.retention_days * 86_400));
    for (i, f) in files.iter().enumerate() {
        if Some(&f.date) == newest.as_ref() && !f.compressed {
            continue;
        }
        let too_many = cfg.retention_files > 0 && i >= cfg.retention_files;
        let too_old = max_age.is_some_and(|age| {
            std::fs::metadata(&f.path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d > age))
        });
        if too_many || too_old {
            std::fs::remove_file(&f.path)?;
        }
    }
    Ok(())
}

/// `x.log` -> `x.log.gz` (or `.zst`) via a temporary name, keeping the
/// original's modification time for the age limit.
fn compress(path: &Path, kind: &str) -> io::Result<()> {
    let ext = if kind == "zstd" { "zst" } else { "gz" };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let done = path.with_file_name(format!("{name}.{ext}"));
    let part = path.with_file_name(format!(".{name}.{ext}.part"));
    let modified = std::fs::metadata(path)?.modified()?;
    let mut input = File::open(path)?;
    let out = File::create(&part)?;
    let result = if kind == "zstd" {
        zstd::stream::copy_encode(&mut input, &out, 3)
    } else {
        let mut enc = flate2::write::GzEncoder::new(&out, flate2::Compression::default());
        io::copy(&mut input, &mut enc).and_then(|_| enc.finish().map(|_| ()))
    };
    if let Err(e) = result.and_then(|_| out.sync_all()) {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    drop(out);
    let _ = File::options()
        .write(true)
        .open(&part)
        .and_then(|f| f.set_modified(modified));
    std::fs::rename(&part, &done)?;
    std::fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(keep: usize, compress: &str) -> LoggingSection {
        LoggingSection {
            retention_files: keep,
            compress: compress.into(),
            ..LoggingSection::default()
        }
    }

    #[test]
    fn compresses_rotated_and_keeps_the_newest_n() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"] {
            std::fs::write(dir.path().join(format!("s.{d}.log")), format!("line {d}\n")).unwrap();
        }
        std::fs::write(dir.path().join("other.txt"), "x").unwrap();
        maintain(dir.path(), "s", "log", &cfg(3, "gzip"), SystemTime::now()).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "other.txt",
                "s.2026-01-02.log.gz",
                "s.2026-01-03.log.gz",
                "s.2026-01-04.log"
            ]
        );
    }
}
