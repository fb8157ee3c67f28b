//! `GET /engine/api/backup`: a consistent snapshot of the data file,
//! streamed while the server keeps serving.
//!
//! The snapshot is written to a scratch file first (so the response has a
//! length and a failed copy gives an error status, not a cut-off body), then
//! streamed; the scratch file is removed when the body is dropped.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::auth::AdminUser;
use super::error::ApiError;
use super::extract::ApiQuery;
use crate::backup::{self, Scratch};
use crate::http::AppState;

const CHUNK: usize = 256 * 1024;

#[derive(Deserialize)]
pub struct BackupQuery {
    compress: Option<String>,
}

pub async fn download(
    AdminUser(user): AdminUser,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<BackupQuery>,
) -> Result<Response, ApiError> {
    let zstd = match q.compress.as_deref() {
        None | Some("") | Some("none") => false,
        Some("zstd") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_compress",
                format!("compress={other:?} is not supported; use compress=zstd or leave it out"),
            ))
        }
    };
    let file = crate::store::backup::RedbLive::new(state.store().clone());
    let started = std::time::Instant::now();
    let (scratch, counts) = tokio::task::spawn_blocking(move || backup::snapshot_live(&file, zstd))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let file = tokio::fs::File::open(scratch.path())
        .await
        .map_err(ApiError::internal)?;
    let len = file.metadata().await.map_err(ApiError::internal)?.len();
    tracing::info!(
        admin = %user.email, bytes = len, zstd, scripts = counts.scripts,
        ms = started.elapsed().as_millis() as u64, "backup snapshot taken"
    );
    let mut resp = Body::from_stream(file_stream(file, scratch)).into_response();
    let headers = resp.headers_mut();
    let ctype = if zstd {
        "application/zstd"
    } else {
        "application/octet-stream"
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let disposition = format!("attachment; filename=\"{}\"", backup::download_name(zstd));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Reads the file in chunks; the scratch guard lives as long as the stream.
fn file_stream(
    file: tokio::fs::File,
    scratch: Scratch,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    futures_util::stream::try_unfold((file, scratch), |(mut file, scratch)| async move {
        let mut buf = vec![0u8; CHUNK];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), (file, scratch))))
    })
}
