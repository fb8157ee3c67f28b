//! Content types: what an upload declares, the allowlist, and the magic
//! bytes check (REQ-ASSET-002) that keeps, say, an executable from being
//! stored and served as `image/png`.

use super::AssetError;

/// The types an upload may declare when `assets.allowed_types` is empty:
/// what web pages load (images, fonts, styles, scripts, data, documents,
/// basic audio and video). Archives and executables are left out.
pub const DEFAULT_ALLOWED: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/svg+xml",
    "image/x-icon",
    "image/bmp",
    "font/woff",
    "font/woff2",
    "font/ttf",
    "font/otf",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "application/xml",
    "text/xml",
    "text/plain",
    "text/html",
    "text/markdown",
    "text/csv",
    "application/pdf",
    "application/wasm",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/webm",
    "audio/aac",
    "audio/flac",
    "video/mp4",
    "video/webm",
    "video/ogg",
];

/// Bytes of the start of a file the magic check looks at.
pub const HEAD_BYTES: usize = 8192;

/// The media type without parameters, lower-cased: `text/css; charset=x`
/// -> `text/css`.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Types that say nothing about the content; the extension decides then.
/// `application/x-www-form-urlencoded` is what `curl --data-binary` sends.
fn is_generic(essence: &str) -> bool {
    matches!(
        essence,
        "" | "application/octet-stream"
            | "application/x-www-form-urlencoded"
            | "binary/octet-stream"
    )
}

/// The type to store: the declared one unless it is generic, else the
/// one the extension implies (text types get `charset=utf-8`).
pub fn resolve(path: &str, declared: Option<&str>) -> String {
    if let Some(d) = declared.filter(|d| !is_generic(&essence(d))) {
        return d.trim().to_string();
    }
    by_extension(path)
}

/// `mime_guess`'s type for the path's extension, `application/octet-stream`
/// when unknown.
pub fn by_extension(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let ess = mime.essence_str().to_string();
    if is_textual(&ess) {
        format!("{ess}; charset=utf-8")
    } else {
        ess
    }
}

/// Types whose content is text (checked for not being binary instead of
/// for a signature).
pub fn is_textual(essence: &str) -> bool {
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence,
            "application/json" | "application/javascript" | "application/xml" | "image/svg+xml"
        )
}

/// HTML, SVG and XML can run script when opened from this origin.
pub fn is_active(essence: &str) -> bool {
    matches!(
        essence,
        "text/html" | "image/svg+xml" | "application/xhtml+xml" | "text/xml" | "application/xml"
    )
}

/// Refuses a type the allowlist (config `assets.allowed_types`) lacks.
pub fn check_allowed(content_type: &str, allowed: &[String]) -> Result<(), AssetError> {
    let ess = essence(content_type);
    let ok = if allowed.is_empty() {
        DEFAULT_ALLOWED.contains(&ess.as_str())
    } else {
        allowed.iter().any(|a| {
            let a = a.trim().to_ascii_lowercase();
            a == ess
                || a == "*/*"
                || a.strip_suffix("/*")
                    .is_some_and(|t| ess.split('/').next() == Some(t))
        })
    };
    if ok {
        return Ok(());
    }
    Err(AssetError::TypeNotAllowed(format!(
        "content type {ess:?} is not allowed for assets; allowed are the types in config assets.allowed_types (empty means the built-in list of web types: images, fonts, CSS, JavaScript, JSON, text, HTML, PDF, WebAssembly, audio and video)"
    )))
}

/// (infer's name, the common web name) where the two differ.
const ALIASES: &[(&str, &str)] = &[
    ("image/vnd.microsoft.icon", "image/x-icon"),
    ("application/font-woff", "font/woff"),
    ("application/font-sfnt", "font/ttf"),
    ("font/otf", "font/ttf"),
    ("audio/x-wav", "audio/wav"),
    ("audio/x-flac", "audio/flac"),
    ("video/x-m4v", "video/mp4"),
    ("application/javascript", "text/javascript"),
    ("text/xml", "application/xml"),
];

/// One name per format.
fn canonical(mime: &str) -> &str {
    ALIASES
        .iter()
        .find(|(from, _)| *from == mime)
        .map_or(mime, |(_, to)| to)
}

/// Does `head` (the first bytes) fit the declared type? A format with a
/// known signature must carry it; a text type must not look binary.
pub fn check_magic(content_type: &str, head: &[u8], total: u64) -> Result<(), AssetError> {
    let declared = essence(content_type);
    let want = canonical(&declared);
    let detected = infer::get(head).map(|t| canonical(t.mime_type()).to_string());
    let mismatch = |what: String| {
        Err(AssetError::Mismatch(format!(
            "the content is declared as {declared} but {what}; upload the right file or declare its real type"
        )))
    };
    if is_textual(&declared) {
        if let Some(d) = detected
            .as_deref()
            .filter(|d| !d.starts_with("text/") && *d != "application/xml")
        {
            return mismatch(format!("its bytes look like {d}"));
        }
        if head.contains(&0) {
            return mismatch("it contains NUL bytes, so it is not text".into());
        }
        return Ok(());
    }
    let has_signature = want == "font/woff2" || infer_knows(want);
    match detected.as_deref() {
        Some(d) if d == want || (want == "font/woff2" && d == "font/woff") => Ok(()),
        Some(d) => mismatch(format!("its bytes look like {d}")),
        None if total == 0 => mismatch("it is empty".into()),
        None if has_signature => mismatch(format!(
            "its bytes do not start with a {declared} signature"
        )),
        None => Ok(()),
    }
}

fn infer_knows(want: &str) -> bool {
    infer::is_mime_supported(want)
        || ALIASES
            .iter()
            .any(|(from, to)| *to == want && infer::is_mime_supported(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn magic_bytes_must_fit() {
        assert!(check_magic("image/png", PNG, 16).is_ok());
        let e = check_magic("image/png", b"GIF89a......", 12).unwrap_err();
        assert!(e.to_string().contains("image/gif"), "{e}");
        assert!(check_magic("image/png", b"hello", 5).is_err());
        assert!(check_magic("text/css", b"body{}", 6).is_ok());
        assert!(check_magic("text/css; charset=utf-8", PNG, 16).is_err());
        assert!(check_magic("application/json", b"{\"a\":\0}", 7).is_err());
        assert!(check_magic("image/svg+xml", b"<svg xmlns='x'/>", 16).is_ok());
        assert!(check_magic("text/html", b"<!DOCTYPE html><p>", 18).is_ok());
    }

    #[test]
    fn types_resolve_and_are_allowed() {
        assert_eq!(resolve("a.css", None), "text/css; charset=utf-8");
        assert_eq!(
            resolve("a.png", Some("application/octet-stream")),
            "image/png"
        );
        assert_eq!(resolve("a.bin", Some("image/png")), "image/png");
        assert!(check_allowed("image/png", &[]).is_ok());
        assert!(check_allowed("application/x-msdownload", &[]).is_err());
        assert!(check_allowed("image/tiff", &["image/*".into()]).is_ok());
        assert!(check_allowed("text/css", &["image/*".into()]).is_err());
    }
}
