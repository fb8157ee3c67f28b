//! Multipart bodies parsed as they arrive (REQ-HTTP-008): files up to
//! [`SPOOL_THRESHOLD`] stay in memory, bigger ones are written to a
//! temporary file in the spool directory next to the data file, so a large
//! upload never sits whole in memory.
//!
//! Invariant: a spooled file is deleted when its last [`SpooledFile`]
//! handle drops. The request path holds the strong handles until the
//! response is done; JS only ever gets weak ones.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;

use super::request::{drain, ReadError};
use crate::js::{FileData, SpooledFile, UploadedFile};

/// Uploaded files larger than this are spooled to disk.
pub const SPOOL_THRESHOLD: usize = 256 * 1024;

/// `<data file>.uploads`, beside the data file (same disk, same owner).
pub fn spool_dir(data: &Path) -> PathBuf {
    let mut name = data.file_name().unwrap_or_default().to_os_string();
    name.push(".uploads");
    data.with_file_name(name)
}

/// Blocking: deletes what an earlier process left in the spool directory
/// (it was killed before its requests ended). Call it only while holding
/// the data file open: one process at a time can, and the directory
/// belongs to that file, so every file in it at start is stale.
pub fn sweep(data: &Path) -> std::io::Result<usize> {
    let dir = spool_dir(data);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// How much of a body to accept and how long to wait for each piece.
#[derive(Clone, Copy)]
pub struct BodyLimits {
    pub limit: u64,
    /// Multipart bodies up to this size are also kept whole for `req.body`.
    pub keep_raw: u64,
    /// Longest wait for the next piece of the body; None: no wait of its own
    /// (the whole-request deadline covers the read).
    pub idle: Option<Duration>,
}

/// A parsed multipart body.
pub struct Multipart {
    pub raw: Bytes,
    pub form: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

/// Why the body stream stopped early; read after multer gives up.
type Verdict = Arc<Mutex<Option<ReadError>>>;

pub async fn read_multipart(
    body: Body,
    boundary: String,
    limits: BodyLimits,
    dir: &Path,
) -> Result<Multipart, ReadError> {
    let verdict: Verdict = Arc::default();
    let raw = Arc::new(Mutex::new(Some(BytesMut::new())));
    let feed = Feed {
        body,
        seen: 0,
        limits,
        raw: raw.clone(),
        verdict: verdict.clone(),
    };
    let mut mp = multer::Multipart::new(feed.into_stream(), boundary);
    let parsed = parse(&mut mp, dir).await;
    drop(mp);
    let stopped = verdict.lock().map(|mut v| v.take()).unwrap_or(None);
    let (form, files) = match (parsed, stopped) {
        (_, Some(why)) => return Err(why),
        (Err(e), None) => return Err(e),
        (Ok(x), None) => x,
    };
    let raw = raw
        .lock()
        .ok()
        .and_then(|mut r| r.take())
        .unwrap_or_default();
    Ok(Multipart {
        raw: raw.freeze(),
        form,
        files,
    })
}

async fn parse(
    mp: &mut multer::Multipart<'_>,
    dir: &Path,
) -> Result<(Vec<(String, String)>, Vec<UploadedFile>), ReadError> {
    let bad = |e: multer::Error| {
        ReadError::bad("bad_multipart", format!("malformed multipart body: {e}; check that the boundary in Content-Type matches the body"))
    };
    let mut form = Vec::new();
    let mut files = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let Some(filename) = field.file_name().map(str::to_string) else {
            form.push((name, field.text().await.map_err(bad)?));
            continue;
        };
        let content_type = field
            .content_type()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "application/octet-stream".into());
        let mut sink = Sink::Memory(BytesMut::new());
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            sink.push(chunk, dir)
                .await
                .map_err(|e| spool_error(dir, e))?;
        }
        files.push(UploadedFile {
            field: name,
            filename,
            content_type,
            data: sink.finish().await.map_err(|e| spool_error(dir, e))?,
        });
    }
    Ok((form, files))
}

fn spool_error(dir: &Path, e: std::io::Error) -> ReadError {
    ReadError::Internal(format!(
        "could not spool an upload to {}: {e}",
        dir.display()
    ))
}

/// One file part on its way in.
enum Sink {
    Memory(BytesMut),
    Disk {
        file: tokio::fs::File,
        path: tempfile::TempPath,
        size: u64,
    },
}

impl Sink {
    async fn push(&mut self, chunk: Bytes, dir: &Path) -> std::io::Result<()> {
        match self {
            Sink::Memory(buf) if buf.len() + chunk.len() <= SPOOL_THRESHOLD => {
                buf.extend_from_slice(&chunk);
            }
            Sink::Memory(buf) => {
                let (file, path) = create(dir.to_path_buf()).await?;
                let mut file = tokio::fs::File::from_std(file);
                file.write_all(buf).await?;
                file.write_all(&chunk).await?;
                let size = (buf.len() + chunk.len()) as u64;
                *self = Sink::Disk { file, path, size };
            }
            Sink::Disk { file, size, .. } => {
                file.write_all(&chunk).await?;
                *size += chunk.len() as u64;
            }
        }
        Ok(())
    }

    async fn finish(self) -> std::io::Result<FileData> {
        Ok(match self {
            Sink::Memory(buf) => FileData::Memory(buf.freeze()),
            Sink::Disk {
                mut file,
                path,
                size,
            } => {
                // Waits for tokio's last background write to land.
                file.flush().await?;
                FileData::Spooled(Arc::new(SpooledFile::new(path, size)))
            }
        })
    }
}

async fn create(dir: PathBuf) -> std::io::Result<(std::fs::File, tempfile::TempPath)> {
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let f = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(&dir)?;
        Ok(f.into_parts())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The request body as multer's input, counted against the limit.
struct Feed {
    body: Body,
    seen: u64,
    limits: BodyLimits,
    raw: Arc<Mutex<Option<BytesMut>>>,
    verdict: Verdict,
}

impl Feed {
    fn into_stream(self) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
        futures_util::stream::unfold(self, |mut f| async move {
            let item = f.next().await?;
            Some((item, f))
        })
    }

    async fn next(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        use http_body_util::BodyExt;
        loop {
            let frame = match self.limits.idle {
                Some(d) => match tokio::time::timeout(d, self.body.frame()).await {
                    Ok(f) => f,
                    Err(_) => return Some(self.stop(ReadError::Idle)),
                },
                None => self.body.frame().await,
            }?;
            let frame = match frame {
                Ok(f) => f,
                Err(e) => {
                    let msg = format!("could not read the request body: {e}");
                    return Some(self.stop(ReadError::bad("bad_body", msg)));
                }
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            self.seen += data.len() as u64;
            if self.seen > self.limits.limit {
                drain(&mut self.body).await;
                return Some(self.stop(ReadError::TooLarge));
            }
            if let Ok(mut raw) = self.raw.lock() {
                let keep = self.seen <= self.limits.keep_raw;
                match raw.as_mut() {
                    Some(buf) if keep => buf.extend_from_slice(&data),
                    _ => *raw = None,
                }
            }
            return Some(Ok(data));
        }
    }

    fn stop(&self, why: ReadError) -> Result<Bytes, std::io::Error> {
        let msg = why.to_string();
        if let Ok(mut v) = self.verdict.lock() {
            v.get_or_insert(why);
        }
        Err(std::io::Error::other(msg))
    }
}
