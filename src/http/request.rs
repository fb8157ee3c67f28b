//! Reading a request into a [`ScriptRequest`]: body limit, urlencoded
//! forms and multipart uploads (REQ-HTTP-002/005/008).

use axum::body::Body;
use axum::http::{header, request::Parts, Version};
use bytes::Bytes;

use super::error::ApiError;
use crate::js::{ScriptRequest, UploadedFile};

/// Bytes of an oversized body read and thrown away before answering 413,
/// so that the client, still sending, gets to read the answer.
const DRAIN_MAX: u64 = 16 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads at most `limit` bytes; a declared or actual larger body is a 413.
pub async fn read_body(parts: &Parts, body: Body, limit: u64) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = body;
    if declared.is_some_and(|n| n > limit) {
        drain(&mut body).await;
        return Err(ApiError::payload_too_large(limit));
    }
    let mut buf = bytes::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request("bad_body", format!("could not read the request body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() as u64 + data.len() as u64 > limit {
                drain(&mut body).await;
                return Err(ApiError::payload_too_large(limit));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

async fn drain(body: &mut Body) {
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

/// Fills `form` and `files` from the body when its type calls for it.
pub async fn parse_form(req: &mut ScriptRequest) -> Result<(), ApiError> {
    let ct = req
        .headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    if ct.starts_with("application/x-www-form-urlencoded") {
        req.form = Some(form_urlencoded::parse(&req.body).into_owned().collect());
    } else if ct.starts_with("multipart/form-data") {
        let raw_ct = req
            .headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let boundary = multer::parse_boundary(&raw_ct).map_err(|e| {
            ApiError::bad_request(
                "bad_multipart",
                format!("multipart/form-data needs a boundary parameter in Content-Type: {e}"),
            )
        })?;
        let (form, files) = parse_multipart(req.body.clone(), boundary).await?;
        req.form = Some(form);
        req.files = files;
    }
    Ok(())
}

async fn parse_multipart(
    body: Bytes,
    boundary: String,
) -> Result<(Vec<(String, String)>, Vec<UploadedFile>), ApiError> {
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    let bad = |e: multer::Error| {
        ApiError::bad_request("bad_multipart", format!("malformed multipart body: {e}; check that the boundary in Content-Type matches the body"))
    };
    let mut form = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(filename) => {
                let content_type = field
                    .content_type()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "application/octet-stream".into());
                let bytes = field.bytes().await.map_err(bad)?;
                files.push(UploadedFile {
                    field: name,
                    filename,
                    content_type,
                    bytes,
                });
            }
            None => form.push((name, field.text().await.map_err(bad)?)),
        }
    }
    Ok((form, files))
}
