//! `[assets]` in the config file: stored assets, the optional read-only
//! directory, upload limits and the serving headers (REQ-ASSET-001/002).

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssetsSection {
    /// A directory also served read-only at `/`; stored assets win on the
    /// same path.
    pub dir: Option<PathBuf>,
    /// Largest asset an upload (`PUT`/`POST /engine/api/assets`,
    /// `assets.put`) may store; above `server.body_limit_bytes` on purpose.
    pub max_upload_bytes: u64,
    /// Content types an upload may declare (`"image/png"`, `"image/*"`);
    /// empty means the built-in list ([`super::kind::DEFAULT_ALLOWED`]).
    pub allowed_types: Vec<String>,
    /// `Cache-Control` of every served asset and variant.
    pub cache_control: String,
    /// `Content-Security-Policy` sent with HTML, SVG and XML assets; `""`
    /// sends none.
    pub active_content_csp: String,
}

impl Default for AssetsSection {
    fn default() -> Self {
        AssetsSection {
            dir: None,
            max_upload_bytes: 64 * 1024 * 1024,
            allowed_types: Vec::new(),
            cache_control: "public, max-age=0, must-revalidate".into(),
            active_content_csp: "sandbox".into(),
        }
    }
}
