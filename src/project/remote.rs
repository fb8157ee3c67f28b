//! The management API of a running server, for `deploy` and `pull`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ProjectError;
use crate::backup::remote::chain;

/// Where the server is and how to reach it.
pub struct Target<'a> {
    pub url: &'a str,
    pub token: &'a str,
    /// Accept any certificate (the server's self-signed one).
    pub insecure: bool,
    /// Trust only the certificate with this SHA-256 fingerprint.
    pub fingerprint: Option<&'a str>,
}

pub struct Remote {
    client: reqwest::Client,
    base: String,
    token: String,
    https_unpinned: bool,
}

/// A script name as one path segment: '/' becomes `%2F` (the other
/// characters a name may hold need no escaping).
fn segment(name: &str) -> String {
    name.replace('/', "%2F")
}

impl Remote {
    pub fn new(t: &Target<'_>) -> Result<Remote, ProjectError> {
        let client = crate::backup::pin::client_builder(t.insecure, t.fingerprint)
            .map_err(ProjectError::Remote)?
            .build()
            .map_err(|e| ProjectError::Remote(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Remote {
            client,
            base: t.url.trim_end_matches('/').to_string(),
            token: t.token.to_string(),
            https_unpinned: t.url.starts_with("https") && !t.insecure && t.fingerprint.is_none(),
        })
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, ProjectError> {
        let url = format!("{}{path}", self.base);
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| ProjectError::Remote(e.to_string()))?;
        let mut rb = self.client.request(method, &url).bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.body(b);
        }
        let resp = rb.send().await.map_err(|e| {
            let hint = match e.is_connect() && self.https_unpinned {
                true => " (a self-signed certificate? pass --fingerprint with the one serve printed, or --insecure)",
                false => "",
            };
            ProjectError::Remote(format!("cannot reach {url}: {}{hint}", chain(&e)))
        })?;
        if resp.status().is_redirection() {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?");
            return Err(ProjectError::Remote(format!(
                "{url} redirects to {to}; give that origin as --url"
            )));
        }
        Ok(resp)
    }

    /// A successful JSON answer, or the server's error as a message.
    async fn json(&self, method: &str, path: &str) -> Result<Value, ProjectError> {
        let resp = self.send(method, path, None).await?;
        let (status, v) = answer(resp).await;
        if !status.is_success() {
            return Err(ProjectError::Remote(refusal(
                status,
                &v,
                &format!("{method} {path}"),
            )));
        }
        Ok(v)
    }

    /// Script name -> sha256 of its current source.
    pub async fn scripts(&self) -> Result<BTreeMap<String, String>, ProjectError> {
        let v = self.json("GET", "/engine/api/scripts").await?;
        hashes(&v["scripts"], "name")
    }

    /// Asset path -> sha256 of its bytes.
    pub async fn assets(&self) -> Result<BTreeMap<String, String>, ProjectError> {
        let v = self.json("GET", "/engine/api/assets").await?;
        hashes(&v["assets"], "path")
    }

    pub async fn script_source(&self, name: &str) -> Result<String, ProjectError> {
        let v = self
            .json("GET", &format!("/engine/api/scripts/{}", segment(name)))
            .await?;
        v["source"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ProjectError::Remote(format!("the server sent no source for {name}")))
    }

    /// The bytes served at the asset's public path.
    pub async fn asset_bytes(&self, path: &str) -> Result<Vec<u8>, ProjectError> {
        let resp = self.send("GET", &format!("/{path}"), None).await?;
        if !resp.status().is_success() {
            let (status, v) = answer(resp).await;
            return Err(ProjectError::Remote(refusal(
                status,
                &v,
                &format!("GET /{path}"),
            )));
        }
        let bytes = resp.bytes().await.map_err(|e| {
            ProjectError::Remote(format!("the download of /{path} broke off: {}", chain(&e)))
        })?;
        Ok(bytes.to_vec())
    }

    /// Uploads a script; `file` is what an error names.
    pub async fn put_script(
        &self,
        name: &str,
        source: Vec<u8>,
        file: &str,
    ) -> Result<(), ProjectError> {
        let path = format!("/engine/api/scripts/{}", segment(name));
        self.change("PUT", &path, Some(source), file).await
    }

    pub async fn put_asset(
        &self,
        path: &str,
        bytes: Vec<u8>,
        file: &str,
    ) -> Result<(), ProjectError> {
        self.change(
            "PUT",
            &format!("/engine/api/assets/{path}"),
            Some(bytes),
            file,
        )
        .await
    }

    pub async fn delete_script(&self, name: &str) -> Result<(), ProjectError> {
        let path = format!("/engine/api/scripts/{}", segment(name));
        self.change("DELETE", &path, None, name).await
    }

    pub async fn delete_asset(&self, path: &str) -> Result<(), ProjectError> {
        let api = format!("/engine/api/assets/{path}");
        self.change("DELETE", &api, None, &format!("public/{path}"))
            .await
    }

    async fn change(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        file: &str,
    ) -> Result<(), ProjectError> {
        let resp = self.send(method, path, body).await?;
        let (status, v) = answer(resp).await;
        if status.is_success() {
            return Ok(());
        }
        let e = &v["error"];
        Err(ProjectError::Refused {
            file: file.to_string(),
            line: e["line"].as_u64(),
            column: e["column"].as_u64(),
            message: refusal(status, &v, &format!("{method} {path}")),
        })
    }
}

async fn answer(resp: reqwest::Response) -> (reqwest::StatusCode, Value) {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, v)
}

/// The server's error message (`{"error": {"code", "message"}}`), with a
/// hint for a missing or rejected token.
fn refusal(status: reqwest::StatusCode, v: &Value, what: &str) -> String {
    let message = match (v["error"]["message"].as_str(), v["error"]["code"].as_str()) {
        (Some(m), Some(c)) => format!("{m} ({c})"),
        (Some(m), None) => m.to_string(),
        _ => format!(
            "{what} answered {status}: {}",
            v.as_str().unwrap_or("").trim()
        ),
    };
    match status.as_u16() {
        401 => format!(
            "{message}; pass --token or set AIWEBENGINE_TOKEN (an API token or a login token)"
        ),
        _ => message,
    }
}

fn hashes(list: &Value, key: &str) -> Result<BTreeMap<String, String>, ProjectError> {
    let items = list.as_array().ok_or_else(|| {
        ProjectError::Remote(
            "the server's list has no items; is --url an aiwebengine server?".into(),
        )
    })?;
    let mut out = BTreeMap::new();
    for item in items {
        let (Some(name), Some(sha)) = (item[key].as_str(), item["sha256"].as_str()) else {
            return Err(ProjectError::Remote(format!(
                "the server lists {item} without {key} and sha256; it is older than this client, upgrade it"
            )));
        };
        out.insert(name.to_string(), sha.to_string());
    }
    Ok(out)
}
