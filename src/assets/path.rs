//! Asset paths: `img/logo.png` is stored under that name and served at
//! `/img/logo.png`.

use super::AssetError;

/// Longest asset path accepted.
pub const MAX_PATH_BYTES: usize = 512;

/// Checks an asset path: segments of `[A-Za-z0-9_.-]` joined by `/`, no
/// empty segment, no `.` or `..`, nothing under an engine path.
pub fn validate(path: &str) -> Result<(), AssetError> {
    let rule = "asset paths are segments of letters, digits, '_', '.' and '-' joined by '/', such as img/logo.png (no leading '/', no empty segments, no '.' or '..')";
    let bad = |why: String| Err(AssetError::Invalid(format!("{why}; {rule}")));
    if path.is_empty() {
        return bad("the asset path is empty".into());
    }
    if path.len() > MAX_PATH_BYTES {
        return bad(format!(
            "the asset path is {} bytes, over the limit of {MAX_PATH_BYTES}",
            path.len()
        ));
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return bad(format!(
            "asset path {:?} contains the control character {c:?}",
            path.escape_debug().to_string()
        ));
    }
    for seg in path.split('/') {
        if seg.is_empty() {
            return bad(format!("asset path {path:?} has an empty segment"));
        }
        if seg == "." || seg == ".." {
            return bad(format!("asset path {path:?} contains {seg:?}"));
        }
        if let Some(c) = seg
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return bad(format!("asset path {path:?} contains {c:?}"));
        }
    }
    if crate::domain::is_reserved(&public(path)) {
        return Err(AssetError::Invalid(format!(
            "asset path {path:?} would be served under a path the engine reserves (/engine, /health, /metrics, /graphql, /mcp); choose another"
        )));
    }
    Ok(())
}

/// The URL path an asset is served at.
pub fn public(path: &str) -> String {
    format!("/{path}")
}

/// The asset a request path asks for: `/img/a.png` -> `img/a.png`, and a
/// directory (`/` or `/docs/`) -> its `index.html`. None when it cannot
/// name an asset.
pub fn from_request(url_path: &str) -> Option<String> {
    let rest = url_path.strip_prefix('/')?;
    let path = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    validate(&path).ok().map(|()| path)
}

/// An older engine's path (`/logo.png`) as an asset path.
pub fn from_legacy(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_paths() {
        for ok in ["logo.png", "img/logo.png", "a/b/c-d_e.f.js", "index.html"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a.png",
            "a//b",
            "a/",
            "../a",
            "a/../b",
            "./a",
            "a b",
            "a\nb",
            "é.png",
            "engine/x.js",
            "health",
            "a?b",
            "a%2e",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn request_paths_map_to_assets() {
        assert_eq!(from_request("/img/a.png").as_deref(), Some("img/a.png"));
        assert_eq!(from_request("/").as_deref(), Some("index.html"));
        assert_eq!(from_request("/docs/").as_deref(), Some("docs/index.html"));
        assert_eq!(from_request("/a/../b"), None);
        assert_eq!(from_legacy("/logo.png"), "logo.png");
    }
}
