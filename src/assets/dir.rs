//! The optional read-only directory `assets.dir` (REQ-ASSET-001), served
//! after stored assets. Files are opened per request; nothing is cached.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// A regular file inside the directory.
pub struct DirFile {
    pub file: tokio::fs::File,
    pub size: u64,
    pub modified: SystemTime,
    /// A weak tag from size and modification time: hashing every file on
    /// every request would cost more than serving it.
    pub etag: String,
}

/// Opens `asset_path` (already validated: no `..`, no leading `/`) under
/// `dir`. None when it is missing, not a regular file, or a link leading
/// out of the directory.
pub async fn open(dir: &Path, asset_path: &str) -> Option<DirFile> {
    let root = tokio::fs::canonicalize(dir).await.ok()?;
    let full: PathBuf = tokio::fs::canonicalize(root.join(asset_path)).await.ok()?;
    if !full.starts_with(&root) {
        return None;
    }
    let file = tokio::fs::File::open(&full).await.ok()?;
    let meta = file.metadata().await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let nanos = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Some(DirFile {
        file,
        size: meta.len(),
        modified,
        etag: format!("W/\"{:x}-{nanos:x}\"", meta.len()),
    })
}

/// Bytes `start..end` of the file as a stream.
pub fn stream(
    file: tokio::fs::File,
    start: u64,
    end: u64,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(
        (Some(file), start, true),
        move |(f, pos, first)| async move {
            let mut fh = f?;
            if pos >= end {
                return None;
            }
            if first {
                if let Err(e) = fh.seek(SeekFrom::Start(start)).await {
                    return Some((Err(e), (None, end, false)));
                }
            }
            let mut buf = vec![0u8; (end - pos).min(64 * 1024) as usize];
            match fh.read(&mut buf).await {
                Ok(0) => Some((
                    Err(std::io::Error::other(
                        "the file shrank while it was being sent",
                    )),
                    (None, end, false),
                )),
                Ok(n) => {
                    buf.truncate(n);
                    Some((
                        Ok(bytes::Bytes::from(buf)),
                        (Some(fh), pos + n as u64, false),
                    ))
                }
                Err(e) => Some((Err(e), (None, end, false))),
            }
        },
    )
}
