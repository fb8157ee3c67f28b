//! Reading a request into a [`ScriptRequest`]: body limit, urlencoded
//! forms and multipart uploads (REQ-HTTP-002/005/008). Multipart bodies are
//! parsed as they arrive, with big files spooled to disk (see `spool`).

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, request::Parts, Version};
use bytes::Bytes;

use super::error::ApiError;
use super::spool::{read_multipart, spool_dir, BodyLimits};

/// Bytes of an oversized body read and thrown away before answering 413,
/// so that the client, still sending, gets to read the answer.
const DRAIN_MAX: u64 = 64 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a body could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Over the limit (the rest was drained).
    TooLarge,
    /// No part of the body arrived within the idle timeout.
    Idle,
    /// A client error, answered as is.
    Bad(ApiError),
    /// The server's fault (spooling failed); logged with the request id.
    Internal(String),
}

impl ReadError {
    pub fn bad(code: &'static str, message: String) -> ReadError {
        ReadError::Bad(ApiError::bad_request(code, message))
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge => f.write_str("the request body is over the limit"),
            ReadError::Idle => f.write_str("the request body stopped arriving"),
            ReadError::Bad(e) => f.write_str(&e.message),
            ReadError::Internal(m) => f.write_str(m),
        }
    }
}

/// Reads at most `limit` bytes; a declared or actual larger body is a 413.
pub async fn read_body(parts: &Parts, body: Body, limit: u64) -> Result<Bytes, ApiError> {
    read_raw(parts, body, limit, None)
        .await
        .map_err(|e| match e {
            ReadError::Bad(e) => e,
            _ => ApiError::payload_too_large(limit),
        })
}

fn declared_length(parts: &Parts) -> Option<u64> {
    parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

async fn read_raw(
    parts: &Parts,
    body: Body,
    limit: u64,
    idle: Option<Duration>,
) -> Result<Bytes, ReadError> {
    use http_body_util::BodyExt;
    let declared = declared_length(parts);
    let mut body = body;
    if declared.is_some_and(|n| n > limit) {
        drain(&mut body).await;
        return Err(ReadError::TooLarge);
    }
    let mut buf = bytes::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    loop {
        let frame = match idle {
            Some(d) => tokio::time::timeout(d, body.frame())
                .await
                .map_err(|_| ReadError::Idle)?,
            None => body.frame().await,
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| {
            ReadError::bad("bad_body", format!("could not read the request body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() as u64 + data.len() as u64 > limit {
                drain(&mut body).await;
                return Err(ReadError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

pub(super) async fn drain(body: &mut Body) {
    use http_body_util::BodyExt;
    let mut seen = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > DRAIN_MAX {
                break;
            }
        }
    })
    .await;
}

pub fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// A script route's body, read by its type.
pub struct ReadRequest {
    pub body: Bytes,
    pub form: Option<Vec<(String, String)>>,
    pub files: Vec<crate::js::UploadedFile>,
}

/// Multipart bodies are parsed as they arrive (big files spooled beside
/// the `data` file); urlencoded and other bodies are read into memory.
pub async fn read_script_body(
    parts: &Parts,
    body: Body,
    limits: BodyLimits,
    data: &std::path::Path,
) -> Result<ReadRequest, ReadError> {
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let lower = ct.to_ascii_lowercase();
    if !lower.starts_with("multipart/form-data") {
        let body = read_raw(parts, body, limits.limit, limits.idle).await?;
        let form = lower
            .starts_with("application/x-www-form-urlencoded")
            .then(|| form_urlencoded::parse(&body).into_owned().collect());
        return Ok(ReadRequest {
            body,
            form,
            files: Vec::new(),
        });
    }
    let mut body = body;
    if declared_length(parts).is_some_and(|n| n > limits.limit) {
        drain(&mut body).await;
        return Err(ReadError::TooLarge);
    }
    let boundary = match multer::parse_boundary(&ct) {
        Ok(b) => b,
        Err(e) => {
            drain(&mut body).await;
            return Err(ReadError::bad(
                "bad_multipart",
                format!("multipart/form-data needs a boundary parameter in Content-Type: {e}"),
            ));
        }
    };
    // Built here, not per request: only multipart bodies spool.
    let mp = read_multipart(body, boundary, limits, &spool_dir(data)).await?;
    Ok(ReadRequest {
        body: mp.raw,
        form: Some(mp.form),
        files: mp.files,
    })
}
