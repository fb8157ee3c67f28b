//! Assets (issue 6 §4, REQ-ASSET-001..004), black-box through HTTP:
//! uploads (PUT, multipart), serving (MIME, ETag, 304, Range, HEAD,
//! Cache-Control, 404), validation, limits, conflicts, ownership, a large
//! round trip, restarts, the JS API, the older globals and image variants.

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;
use reqwest::multipart::{Form, Part};

const GUESTBOOK: &str = include_str!("test_scripts/assets_guestbook.js");
const LEGACY: &str = include_str!("test_scripts/assets_legacy.js");
const DOC_EXAMPLE: &str = include_str!("test_scripts/assets_doc_guestbook.js");
const JS_DOC: &str = include_str!("../docs/javascript-apis.md");

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

fn dims(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).expect("decode image");
    (img.width(), img.height())
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Pseudo-random printable text (no NUL), so it passes as text/plain.
fn text_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 2463534242;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'a' + (x % 26) as u8
        })
        .collect()
}

async fn put_as_token(
    eng: &Engine,
    token: &str,
    path: &str,
    ct: Option<&str>,
    body: Vec<u8>,
) -> Resp {
    let mut rb = eng
        .req("PUT", &format!("/engine/api/assets/{path}"))
        .bearer_auth(token)
        .body(body);
    if let Some(ct) = ct {
        rb = rb.header("content-type", ct);
    }
    send(rb).await
}

async fn put_asset(eng: &Engine, path: &str, ct: Option<&str>, body: Vec<u8>) -> Resp {
    put_as_token(eng, &eng.token, path, ct, body).await
}

async fn get_with(eng: &Engine, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut rb = eng.req("GET", path);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    send(rb).await
}

#[tokio::test]
async fn test_req_asset_002_put_upload_is_served_with_its_mime_type() {
    let eng = Engine::start().await;
    let css = b"body { color: red }".to_vec();
    let r = put_asset(&eng, "css/site.css", Some("text/css"), css.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let meta = r.json();
    assert_eq!(meta["path"], "css/site.css");
    assert_eq!(meta["url"], "/css/site.css");
    assert_eq!(meta["size"], css.len());
    assert_eq!(meta["sha256"], sha256_hex(&css));
    assert_eq!(meta["owner"], ADMIN_EMAIL);

    // No Content-Type (or a generic one): the extension decides.
    let logo = png(4, 3);
    let r = put_asset(
        &eng,
        "img/logo.png",
        Some("application/octet-stream"),
        logo.clone(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["content_type"], "image/png");

    let g = eng.get("/css/site.css").await;
    assert_eq!(g.status, 200);
    assert_eq!(g.content_type(), "text/css");
    assert_eq!(g.body, css);
    let g = eng.get("/img/logo.png").await;
    assert_eq!((g.status, g.content_type()), (200, "image/png".to_string()));
    assert_eq!(g.body, logo);

    // Replacing answers 200 and serves the new content.
    let r = put_asset(&eng, "css/site.css", Some("text/css"), b"p{}".to_vec()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(eng.get("/css/site.css").await.body, b"p{}");

    let list = eng.api("GET", "/engine/api/assets?prefix=img/", None).await;
    assert_eq!(list.status, 200);
    let paths: Vec<_> = list.json()["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].clone())
        .collect();
    assert_eq!(paths, vec![json!("img/logo.png")]);
    let m = eng
        .api("GET", "/engine/api/assets/img/logo.png", None)
        .await;
    assert_eq!(m.json()["etag"], format!("\"{}\"", sha256_hex(&logo)));
    assert_eq!(
        eng.api("GET", "/engine/api/assets/nope.png", None)
            .await
            .status,
        404
    );
    // Anonymous callers may read assets, not manage them.
    assert_eq!(eng.get("/engine/api/assets").await.status, 401);
    let r = eng
        .api("DELETE", "/engine/api/assets/img/logo.png", None)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(eng.get("/img/logo.png").await.status, 404);
    assert_eq!(
        eng.api("DELETE", "/engine/api/assets/img/logo.png", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn test_req_asset_002_multipart_uploads_several_files() {
    let eng = Engine::start().await;
    let logo = png(2, 2);
    // As browsers do: field names as they are, not percent-encoded.
    let form = Form::new()
        .percent_encode_noop()
        .part(
            "img/a.png",
            Part::bytes(logo.clone())
                .file_name("whatever.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .part(
            "files",
            Part::bytes(b"hello".to_vec())
                .file_name("b.txt")
                .mime_str("text/plain")
                .unwrap(),
        )
        .text("comment", "ignored: not a file");
    let r = send(
        eng.req("POST", "/engine/api/assets?dir=docs")
            .bearer_auth(&eng.token)
            .multipart(form),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let mut paths: Vec<String> = r.json()["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    assert_eq!(paths, ["docs/b.txt", "img/a.png"]);
    assert_eq!(eng.get("/img/a.png").await.body, logo);
    let t = eng.get("/docs/b.txt").await;
    assert_eq!((t.status, t.text()), (200, "hello".to_string()));
    assert!(
        t.content_type().starts_with("text/plain"),
        "{}",
        t.content_type()
    );

    // One bad file refuses the lot: nothing is stored.
    let form = Form::new()
        .part(
            "ok.txt",
            Part::bytes(b"fine".to_vec())
                .file_name("ok.txt")
                .mime_str("text/plain")
                .unwrap(),
        )
        .part(
            "bad.png",
            Part::bytes(b"GIF89a not a png".to_vec())
                .file_name("bad.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let r = send(
        eng.req("POST", "/engine/api/assets")
            .bearer_auth(&eng.token)
            .multipart(form),
    )
    .await;
    assert_eq!(r.status, 415, "{}", r.text());
    assert_eq!(eng.get("/ok.txt").await.status, 404);
}

#[tokio::test]
async fn test_req_asset_001_etag_and_304_on_both_conditional_headers() {
    let eng = Engine::start().await;
    let body = b"console.log(1)".to_vec();
    assert_eq!(
        put_asset(&eng, "app.js", Some("text/javascript"), body.clone())
            .await
            .status,
        201
    );
    let r = eng.get("/app.js").await;
    let etag = r.header("etag").expect("etag");
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&body)));
    let last_modified = r.header("last-modified").expect("last-modified");
    let r = get_with(&eng, "/app.js", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag").as_deref(), Some(etag.as_str()));
    let r = get_with(&eng, "/app.js", &[("if-none-match", "\"other\", W/\"x\"")]).await;
    assert_eq!(r.status, 200);
    let r = get_with(&eng, "/app.js", &[("if-modified-since", &last_modified)]).await;
    assert_eq!(r.status, 304);
    let r = get_with(
        &eng,
        "/app.js",
        &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body);
}

#[tokio::test]
async fn test_req_asset_001_range_206_and_416() {
    let eng = Engine::start().await;
    let body = b"0123456789abcdef".to_vec();
    assert_eq!(
        put_asset(&eng, "r.txt", Some("text/plain"), body)
            .await
            .status,
        201
    );
    let r = get_with(&eng, "/r.txt", &[("range", "bytes=2-5")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.text(), "2345");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 2-5/16"));
    let r = get_with(&eng, "/r.txt", &[("range", "bytes=-3")]).await;
    assert_eq!((r.status, r.text()), (206, "def".to_string()));
    let r = get_with(&eng, "/r.txt", &[("range", "bytes=10-")]).await;
    assert_eq!((r.status, r.text()), (206, "abcdef".to_string()));
    let r = get_with(&eng, "/r.txt", &[("range", "bytes=16-20")]).await;
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range").as_deref(), Some("bytes */16"));
    // If-Range with an old tag: the whole (changed) body instead.
    let r = get_with(
        &eng,
        "/r.txt",
        &[("range", "bytes=0-1"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!((r.status, r.body.len()), (200, 16));
    assert_eq!(
        eng.get("/r.txt").await.header("accept-ranges").as_deref(),
        Some("bytes")
    );
}

#[tokio::test]
async fn test_req_asset_001_head_cache_control_404_and_welcome() {
    let opts = Opts::config("[assets]\ncache_control = \"public, max-age=60\"\n");
    let eng = Engine::start_with(opts).await;
    let welcome = eng.get("/").await;
    assert_eq!(welcome.status, 200);
    assert!(welcome.content_type().starts_with("text/html"));
    let body = text_bytes(1000);
    assert_eq!(
        put_asset(&eng, "h.txt", Some("text/plain"), body)
            .await
            .status,
        201
    );
    let r = send(eng.req("HEAD", "/h.txt")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length").as_deref(), Some("1000"));
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("public, max-age=60")
    );
    let r = eng.get("/missing.png").await;
    assert_eq!((r.status, r.code()), (404, "not_found".to_string()));

    // An index.html asset replaces the welcome page; HTML is sandboxed.
    let page = b"<!DOCTYPE html><h1>mine</h1>".to_vec();
    assert_eq!(
        put_asset(&eng, "index.html", Some("text/html"), page.clone())
            .await
            .status,
        201
    );
    let r = eng.get("/").await;
    assert_eq!(r.body, page);
    assert_eq!(
        r.header("content-security-policy").as_deref(),
        Some("sandbox")
    );
    assert!(eng
        .get("/h.txt")
        .await
        .header("content-security-policy")
        .is_none());
}

#[tokio::test]
async fn test_req_asset_002_wrong_magic_number_and_types_are_refused() {
    let eng = Engine::start().await;
    let r = put_asset(
        &eng,
        "fake.png",
        Some("image/png"),
        b"GIF89a\x01\x00\x01\x00".to_vec(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (415, "content_mismatch".to_string()),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("image/gif"),
        "names what was detected: {}",
        r.text()
    );
    let r = put_asset(&eng, "fake2.png", Some("image/png"), b"just text".to_vec()).await;
    assert_eq!(r.status, 415, "{}", r.text());
    let r = put_asset(&eng, "style.css", Some("text/css"), png(2, 2)).await;
    assert_eq!(r.status, 415, "a PNG is not CSS: {}", r.text());
    let r = put_asset(
        &eng,
        "tool.exe",
        Some("application/x-msdownload"),
        b"MZ\x90\x00".to_vec(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (415, "type_not_allowed".to_string()),
        "{}",
        r.text()
    );
    assert!(r.text().contains("assets.allowed_types"));
    assert_eq!(eng.get("/fake.png").await.status, 404);
}

#[tokio::test]
async fn test_req_asset_002_bad_paths_are_400() {
    let eng = Engine::start().await;
    for bad in [
        "a//b.txt",
        "a%20b.txt",
        "a%01b.txt",
        "caf%C3%A9.txt",
        "engine/x.txt",
        "-/%7Ex.txt",
    ] {
        let r = put_asset(&eng, bad, Some("text/plain"), b"x".to_vec()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.code(), "invalid_path", "{bad}");
    }
    let r = put_asset(&eng, "a%20b.txt", Some("text/plain"), b"x".to_vec()).await;
    assert!(
        r.text().contains("segments"),
        "says what is allowed: {}",
        r.text()
    );
    // Clients normalise dot segments away; send them raw.
    for bad in ["a/../x.txt", "%2E%2E/x.txt", "./x.txt"] {
        let req = format!(
            "PUT /engine/api/assets/{bad} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
            eng.token
        );
        let resp = raw_http(&eng.server.addr, req.as_bytes());
        assert_eq!(raw_status(&resp), 400, "{bad}: {resp}");
    }
}

#[tokio::test]
async fn test_req_asset_002_size_limit_413() {
    let eng = Engine::start_with(Opts::config("[assets]\nmax_upload_bytes = 1000\n")).await;
    let r = put_asset(&eng, "big.txt", Some("text/plain"), text_bytes(2000)).await;
    assert_eq!(
        (r.status, r.code()),
        (413, "payload_too_large".to_string()),
        "{}",
        r.text()
    );
    assert!(r.text().contains("assets.max_upload_bytes"), "{}", r.text());
    // Without a Content-Length (chunked), the limit holds while streaming.
    let frames: Vec<Result<hyper::body::Frame<bytes::Bytes>, std::io::Error>> = (0..4)
        .map(|_| Ok(hyper::body::Frame::data(text_bytes(400).into())))
        .collect();
    let body = reqwest::Body::wrap(http_body_util::StreamBody::new(futures_util::stream::iter(
        frames,
    )));
    let r = send(
        eng.req("PUT", "/engine/api/assets/big2.txt")
            .bearer_auth(&eng.token)
            .header("content-type", "text/plain")
            .body(body),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(eng.get("/big2.txt").await.status, 404);
    assert_eq!(
        put_asset(&eng, "small.txt", Some("text/plain"), text_bytes(1000))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn test_req_asset_001_route_and_asset_conflicts_both_ways() {
    let eng = Engine::start().await;
    eng.deploy(
        "routes.js",
        "register('/hello', () => 'hi'); register('/files/*', () => 'f');",
    )
    .await;
    let r = put_asset(&eng, "hello", Some("text/plain"), b"x".to_vec()).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "route_conflict".to_string()),
        "{}",
        r.text()
    );
    let v = r.json();
    assert_eq!(v["error"]["script"], "routes.js");
    assert_eq!(v["error"]["route"], "GET /hello");
    let r = put_asset(&eng, "files/a.txt", Some("text/plain"), b"x".to_vec()).await;
    assert_eq!(r.status, 409, "a wildcard route serves it: {}", r.text());

    assert_eq!(
        put_asset(&eng, "page.html", Some("text/html"), b"<p>x</p>".to_vec())
            .await
            .status,
        201
    );
    let (status, v) = eng
        .put_script("page.js", "register('/page.html', () => 'p');")
        .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "asset_conflict");
    assert_eq!(v["error"]["asset"], "page.html");
    // Routes for other methods do not hide the asset.
    eng.deploy("post.js", "register('/page.html', () => 'posted', 'POST');")
        .await;
    assert_eq!(eng.get("/page.html").await.text(), "<p>x</p>");
}

#[tokio::test]
async fn test_req_asset_002_editors_change_only_what_they_own() {
    let eng = Engine::start().await;
    let (_, editor) = user(&eng, "ed@example.com", "editor").await;
    let (_, viewer) = user(&eng, "viewer@example.com", "authenticated").await;
    assert_eq!(
        put_asset(&eng, "admin.txt", Some("text/plain"), b"a".to_vec())
            .await
            .status,
        201
    );
    let del = |t: &str, p: &str| {
        let rb = eng
            .req("DELETE", &format!("/engine/api/assets/{p}"))
            .bearer_auth(t);
        send(rb)
    };
    let r = del(&editor, "admin.txt").await;
    assert_eq!(
        (r.status, r.code()),
        (403, "forbidden".to_string()),
        "{}",
        r.text()
    );
    let r = put_as_token(
        &eng,
        &editor,
        "admin.txt",
        Some("text/plain"),
        b"mine".to_vec(),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(eng.get("/admin.txt").await.text(), "a");
    let r = put_as_token(&eng, &viewer, "v.txt", Some("text/plain"), b"v".to_vec()).await;
    assert_eq!(r.status, 403, "authenticated users may not upload");

    let r = put_as_token(&eng, &editor, "ed.txt", Some("text/plain"), b"e".to_vec()).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["owner"], "ed@example.com");
    assert_eq!(
        put_as_token(&eng, &editor, "ed.txt", Some("text/plain"), b"e2".to_vec())
            .await
            .status,
        200
    );
    assert_eq!(del(&editor, "ed.txt").await.status, 204);
    // Admins may delete anyone's.
    assert_eq!(
        put_as_token(&eng, &editor, "ed2.txt", Some("text/plain"), b"e".to_vec())
            .await
            .status,
        201
    );
    assert_eq!(del(&eng.token, "ed2.txt").await.status, 204);

    let audit = eng.api("GET", "/engine/api/audit?limit=50", None).await;
    let text = audit.text();
    assert!(
        text.contains("asset.delete") && text.contains("denied"),
        "{text}"
    );
}

#[tokio::test]
async fn test_req_asset_002_large_asset_round_trips_byte_identical() {
    let eng = Engine::start().await;
    let body = text_bytes(5 * 1024 * 1024 + 123);
    let r = put_asset(&eng, "big/data.txt", Some("text/plain"), body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["sha256"], sha256_hex(&body));
    let g = eng.get("/big/data.txt").await;
    assert_eq!(g.status, 200);
    assert!(g.body == body, "served bytes differ from the upload");
    // A range across a chunk boundary (chunks are 256 KiB).
    let r = get_with(&eng, "/big/data.txt", &[("range", "bytes=262000-262300")]).await;
    assert_eq!(r.status, 206);
    assert!(r.body == body[262000..=262300]);
}

#[tokio::test]
async fn test_req_asset_001_assets_survive_a_restart() {
    let mut eng = Engine::start().await;
    let logo = png(3, 3);
    assert_eq!(
        put_asset(&eng, "keep/logo.png", Some("image/png"), logo.clone())
            .await
            .status,
        201
    );
    let etag = eng.get("/keep/logo.png").await.header("etag");
    eng.restart();
    let r = eng.get("/keep/logo.png").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, logo);
    assert_eq!(r.header("etag"), etag);
    // A stopped server's file passes `verify`, chunks included.
    assert!(eng.server.stop().is_some_and(|s| s.success()));
    let out = run_cli(&["verify", eng.dir.data.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
}

#[tokio::test]
async fn test_req_asset_003_documented_guestbook_example_runs() {
    assert!(
        JS_DOC.contains(DOC_EXAMPLE),
        "docs/javascript-apis.md and tests/test_scripts/assets_doc_guestbook.js differ"
    );
    let eng = Engine::start().await;
    eng.deploy("guestbook.js", DOC_EXAMPLE).await;
    let form = Form::new().text("name", "Ada <3").part(
        "photo",
        Part::bytes(png(300, 200))
            .file_name("ada me.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let r = send(eng.req("POST", "/sign").multipart(form)).await;
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/book".to_string())),
        "{}",
        r.text()
    );
    let book = eng.get("/book").await.text();
    assert!(book.contains("Ada &lt;3"), "{book}");
    let thumb = book
        .split("<img src=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("a thumbnail");
    let t = eng.get(&thumb.replace("&amp;", "&")).await;
    assert_eq!(
        (t.status, t.content_type(), dims(&t.body)),
        (200, "image/webp".to_string(), (160, 160))
    );
}

#[tokio::test]
async fn test_req_asset_001_directory_is_served_read_only_after_stored_assets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/hi.txt"), "from disk").unwrap();
    std::fs::write(dir.path().join("both.txt"), "disk").unwrap();
    let toml = format!("[assets]\ndir = {:?}\n", dir.path().to_str().unwrap());
    let eng = Engine::start_with(Opts::config(&toml)).await;
    let r = eng.get("/static/hi.txt").await;
    assert_eq!((r.status, r.text()), (200, "from disk".to_string()));
    assert!(r.content_type().starts_with("text/plain"));
    let r = get_with(&eng, "/static/hi.txt", &[("range", "bytes=5-8")]).await;
    assert_eq!((r.status, r.text()), (206, "disk".to_string()));
    let etag = eng.get("/static/hi.txt").await.header("etag").unwrap();
    assert_eq!(
        get_with(&eng, "/static/hi.txt", &[("if-none-match", &etag)])
            .await
            .status,
        304
    );
    assert_eq!(
        put_asset(&eng, "both.txt", Some("text/plain"), b"stored".to_vec())
            .await
            .status,
        201
    );
    assert_eq!(eng.get("/both.txt").await.text(), "stored");
    assert_eq!(eng.get("/static/nope.txt").await.status, 404);
    assert_eq!(
        eng.get("/").await.status,
        200,
        "the welcome page without an index.html"
    );
}

#[tokio::test]
async fn test_req_asset_003_js_api_guestbook_stores_a_visitors_upload() {
    let eng = Engine::start().await;
    eng.deploy("assets_guestbook.js", GUESTBOOK).await;
    let photo = png(120, 60);
    // An anonymous visitor: the script stores it with its owner's rights.
    let form = Form::new().text("name", "Ada").part(
        "photo",
        Part::bytes(photo.clone())
            .file_name("ada.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let r = send(eng.req("POST", "/guestbook/sign").multipart(form)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let a = r.json();
    assert_eq!(a["url"], "/guestbook/ada.png");
    assert_eq!(a["contentType"], "image/png");
    assert_eq!(a["owner"], ADMIN_EMAIL);
    assert_eq!(a["etag"], format!("\"{}\"", sha256_hex(&photo)));
    assert_eq!(eng.get("/guestbook/ada.png").await.body, photo);

    let note = json!({"path": "guestbook/note.txt", "text": "héllo", "contentType": "text/plain"});
    let r = send(eng.req("POST", "/guestbook/note").json(&note)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let entries = eng.get("/guestbook/entries").await.json();
    let paths: Vec<_> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].clone())
        .collect();
    assert_eq!(
        paths,
        vec![json!("guestbook/ada.png"), json!("guestbook/note.txt")]
    );
    let r = eng
        .get("/guestbook/read?path=guestbook/note.txt&as=text")
        .await;
    assert_eq!(r.json()["text"], "héllo");
    let r = eng.get("/guestbook/read?path=guestbook/ada.png").await;
    assert_eq!((r.status, r.content_type()), (200, "image/png".to_string()));
    assert_eq!(r.body, photo);
    assert_eq!(
        eng.get("/guestbook/read?path=guestbook/none.png")
            .await
            .status,
        404
    );

    let thumb = eng
        .get("/guestbook/thumb?path=guestbook/ada.png")
        .await
        .json();
    assert_eq!(
        (thumb["width"].clone(), thumb["height"].clone()),
        (json!(50), json!(25)),
        "{thumb}"
    );
    let url = thumb["url"].as_str().unwrap();
    let t = eng.get(url).await;
    assert_eq!((t.status, dims(&t.body)), (200, (50, 25)));

    // Bad input comes back as an exception with a clear message.
    let bad = json!({"path": "../x.txt", "text": "x"});
    let r = send(eng.req("POST", "/guestbook/note").json(&bad)).await;
    assert!(
        r.json()["error"].as_str().unwrap().contains("asset path"),
        "{}",
        r.text()
    );
    let bad = json!({"path": "x.png", "text": "not a png"});
    let r = send(eng.req("POST", "/guestbook/note").json(&bad)).await;
    assert_eq!(r.json()["code"], "content_mismatch", "{}", r.text());

    let r = send(
        eng.req("POST", "/guestbook/delete")
            .json(&json!({"path": "guestbook/ada.png"})),
    )
    .await;
    assert_eq!(r.json(), json!({"deleted": true}));
    assert_eq!(eng.get("/guestbook/ada.png").await.status, 404);
    let r = send(
        eng.req("POST", "/guestbook/delete")
            .json(&json!({"path": "guestbook/ada.png"})),
    )
    .await;
    assert_eq!(r.json(), json!({"deleted": false}));
}

#[tokio::test]
async fn test_req_asset_003_js_acts_with_the_script_owners_rights() {
    let eng = Engine::start().await;
    let (_, editor) = user(&eng, "owner@example.com", "editor").await;
    assert_eq!(
        put_asset(
            &eng,
            "guestbook/admins.txt",
            Some("text/plain"),
            b"a".to_vec()
        )
        .await
        .status,
        201
    );
    assert_eq!(
        put_as(&eng, &editor, "assets_guestbook.js", GUESTBOOK).await,
        201
    );
    // The editor's script may add assets (owned by the editor) ...
    let note = json!({"path": "guestbook/ed.txt", "text": "e"});
    let r = send(eng.req("POST", "/guestbook/note").json(&note)).await;
    assert_eq!(
        (r.status, r.json()["owner"].clone()),
        (201, json!("owner@example.com")),
        "{}",
        r.text()
    );
    // ... but not delete the admin's, even when an admin calls the route.
    let r = send(
        eng.req("POST", "/guestbook/delete")
            .bearer_auth(&eng.token)
            .json(&json!({"path": "guestbook/admins.txt"})),
    )
    .await;
    assert_eq!(r.json()["code"], "forbidden", "{}", r.text());
    assert_eq!(eng.get("/guestbook/admins.txt").await.text(), "a");
}

#[tokio::test]
async fn test_req_asset_003_legacy_globals_are_synchronous() {
    let eng = Engine::start().await;
    eng.deploy("assets_legacy.js", LEGACY).await;
    let r = eng.get("/legacy/sync").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"before": 0, "listed": true, "publicPath": "/legacy-sync.txt", "mimetype": "text/plain",
               "content": "hi there", "deleted": true, "gone": "null", "again": false})
    );
    let up =
        json!({"path": "/old/logo.png", "mimetype": "image/png", "content": base64_of(&png(2, 2))});
    let r = send(eng.req("POST", "/legacy/upsert").json(&up)).await;
    assert_eq!(r.json(), json!({"ok": true}));
    assert_eq!(
        eng.get("/legacy/list").await.json(),
        json!(["/old/logo.png"])
    );
    let fetched: Value = serde_json::from_str(
        eng.get("/legacy/fetch?path=/old/logo.png")
            .await
            .json()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(fetched["mimetype"], "image/png");
    assert_eq!(fetched["publicPath"], "/old/logo.png");
    assert_eq!(eng.get("/old/logo.png").await.body, png(2, 2));
    let bad = json!({"path": "/x.png", "mimetype": "image/png", "content": "!!!"});
    let r = send(eng.req("POST", "/legacy/upsert").json(&bad)).await;
    assert!(
        r.json()["error"].as_str().unwrap().contains("base64"),
        "{}",
        r.text()
    );
    let r = send(
        eng.req("POST", "/legacy/delete")
            .json(&json!({"path": "/old/logo.png"})),
    )
    .await;
    assert_eq!(r.json(), json!({"deleted": true}));
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn test_req_asset_004_image_variants_over_http() {
    let eng = Engine::start().await;
    let src = png(400, 200);
    assert_eq!(
        put_asset(&eng, "img/photo.png", Some("image/png"), src.clone())
            .await
            .status,
        201
    );
    let original_etag = eng.get("/img/photo.png").await.header("etag").unwrap();
    let r = eng
        .get("/img/photo.png?w=100&h=100&fit=contain&format=png")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.content_type(), "image/png");
    assert_eq!(dims(&r.body), (100, 50));
    let etag = r.header("etag").unwrap();
    assert_ne!(etag, original_etag);
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&r.body)));
    let again = get_with(
        &eng,
        "/img/photo.png?w=100&h=100&fit=contain&format=png",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, 304);

    let r = eng
        .get("/img/photo.png?w=80&h=80&fit=cover&format=webp")
        .await;
    assert_eq!(
        (r.status, r.content_type()),
        (200, "image/webp".to_string())
    );
    assert_eq!(dims(&r.body), (80, 80));
    let r = eng.get("/img/photo.png?w=50&format=jpeg").await;
    assert_eq!(
        (r.content_type(), dims(&r.body)),
        ("image/jpeg".to_string(), (50, 25))
    );
    let r = eng.get("/img/photo.png?w=60&h=10&fit=fill").await;
    assert_eq!(dims(&r.body), (60, 10));
    // A cache buster is not a variant; bad parameters are a 400.
    assert_eq!(eng.get("/img/photo.png?v=3").await.body, src);
    assert_eq!(eng.get("/img/photo.png?w=0").await.status, 400);
    assert_eq!(eng.get("/img/photo.png?w=10&fit=zoom").await.status, 400);
    assert_eq!(
        put_asset(&eng, "t.txt", Some("text/plain"), b"x".to_vec())
            .await
            .status,
        201
    );
    assert_eq!(eng.get("/t.txt?w=10").await.status, 400);
}
