//! `backup --url`: fetch a snapshot from a running server's
//! `GET /engine/api/backup`.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use super::BackupError;

pub struct Remote<'a> {
    pub url: &'a str,
    pub token: Option<&'a str>,
    /// Accept any certificate (the server's self-signed one).
    pub insecure: bool,
    /// Trust only the certificate with this SHA-256 fingerprint.
    pub fingerprint: Option<&'a str>,
}

fn client(remote: &Remote<'_>) -> Result<reqwest::Client, BackupError> {
    super::pin::client_builder(remote.insecure, remote.fingerprint)
        .map_err(BackupError::Remote)?
        .build()
        .map_err(|e| BackupError::Remote(format!("cannot set up the HTTP client: {e}")))
}

/// Streams the server's snapshot into `dest`; returns the bytes written.
pub async fn download(remote: &Remote<'_>, zstd: bool, dest: &Path) -> Result<u64, BackupError> {
    let client = client(remote)?;
    let mut url = format!("{}/engine/api/backup", remote.url.trim_end_matches('/'));
    if zstd {
        url.push_str("?compress=zstd");
    }
    let mut req = client.get(&url);
    if let Some(token) = remote.token {
        req = req.bearer_auth(token);
    }
    let mut resp = req.send().await.map_err(|e| {
        let pinned_or_insecure = remote.insecure || remote.fingerprint.is_some();
        let hint = if e.is_connect() && remote.url.starts_with("https") && !pinned_or_insecure {
            " (a self-signed certificate? pass --fingerprint with the one serve printed)"
        } else {
            ""
        };
        BackupError::Remote(format!("cannot reach {url}: {}{hint}", chain(&e)))
    })?;
    if resp.status().is_redirection() {
        return Err(redirected(&resp));
    }
    if !resp.status().is_success() {
        return Err(refused(resp).await);
    }
    let mut file = tokio::fs::File::create(dest)
        .await
        .map_err(|e| BackupError::io(dest, e))?;
    let mut written = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        BackupError::Remote(format!("the download from {url} broke off: {}", chain(&e)))
    })? {
        file.write_all(&chunk)
            .await
            .map_err(|e| BackupError::io(dest, e))?;
        written += chunk.len() as u64;
    }
    file.sync_all()
        .await
        .map_err(|e| BackupError::io(dest, e))?;
    Ok(written)
}

async fn refused(resp: reqwest::Response) -> BackupError {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or(body);
    let hint = if status.as_u16() == 401 {
        " (pass --token, from POST /engine/auth/login)"
    } else {
        ""
    };
    BackupError::Remote(format!(
        "the server refused the backup: {status}: {}{hint}",
        message.trim()
    ))
}

fn redirected(resp: &reqwest::Response) -> BackupError {
    let target = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| resp.url().join(loc).ok());
    match target {
        Some(t) => {
            let hint = if t.scheme() == "https" {
                " (with --fingerprint for a self-signed certificate)"
            } else {
                ""
            };
            BackupError::Remote(format!(
                "the server redirects to {t}; run again with --url {}{hint}",
                t.origin().ascii_serialization()
            ))
        }
        None => BackupError::Remote(format!(
            "the server answered {} without a usable Location",
            resp.status()
        )),
    }
}

/// reqwest's message plus its causes (where the TLS or IO reason is).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}
