//! The seeded, disabled examples work once enabled (issue 6 "Done means":
//! a small real app built only from the documented APIs).

mod common;

use common::*;
use reqwest::multipart::{Form, Part};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

#[tokio::test]
async fn test_req_doc_004_seeded_guestbook_with_uploads_runs() {
    let eng = Engine::start().await;
    let path = "/engine/api/scripts/example-guestbook.js";
    assert_eq!(
        eng.get("/examples/guestbook").await.status,
        404,
        "disabled until enabled"
    );
    let r = eng.api("PATCH", path, Some(json!({"enabled": true}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["owner"].is_string(),
        "the admin who enabled it owns it: {}",
        r.text()
    );

    let book = eng.get("/examples/guestbook").await;
    assert_eq!(book.status, 200);
    assert!(book.text().contains("enctype=\"multipart/form-data\""));

    let form = Form::new().text("name", "Ada <b>").part(
        "photo",
        Part::bytes(png(320, 240))
            .file_name("me.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let r = send(eng.req("POST", "/examples/guestbook/sign").multipart(form)).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let html = eng.get("/examples/guestbook").await.text();
    assert!(html.contains("Ada &lt;b&gt;"), "{html}");
    let thumb = html
        .split("<img alt=\"\" src=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("a thumbnail")
        .replace("&amp;", "&");
    let t = eng.get(&thumb).await;
    assert_eq!(
        (t.status, t.content_type()),
        (200, "image/webp".to_string()),
        "{thumb}"
    );
    let img = image::load_from_memory(&t.body).expect("decodes");
    assert_eq!((img.width(), img.height()), (160, 160));

    // Not an image: refused with the engine's message, nothing stored.
    let form = Form::new().text("name", "x").part(
        "photo",
        Part::bytes(b"plain text, not a PNG".to_vec())
            .file_name("fake.png")
            .mime_str("image/png")
            .expect("mime"),
    );
    let r = send(eng.req("POST", "/examples/guestbook/sign").multipart(form)).await;
    assert_eq!(r.status, 400);
    assert!(r.text().to_lowercase().contains("png"), "{}", r.text());
}

/// Enables a seeded example (disabled in every new data file).
async fn enable(eng: &Engine, name: &str) {
    let path = format!("/engine/api/scripts/{name}");
    let r = eng
        .api("PATCH", &path, Some(json!({"enabled": true})))
        .await;
    assert_eq!(r.status, 200, "enable {name}: {}", r.text());
}

#[tokio::test]
async fn test_req_doc_004_seeded_hello_and_json_api_run() {
    let eng = Engine::start().await;
    enable(&eng, "example-hello.js").await;
    let r = eng.get("/examples/hello?name=Ada").await;
    assert_eq!((r.status, r.text()), (200, "Hello Ada".to_string()));

    enable(&eng, "example-api.js").await;
    assert_eq!(eng.get("/examples/notes/1").await.status, 404);
    let r = send(
        eng.req("PUT", "/examples/notes/1")
            .json(&json!({"text": "hi"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = send(eng.req("PUT", "/examples/notes/2").json(&json!({"txt": 1}))).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = eng.get("/examples/notes/1").await;
    assert_eq!(r.json()["text"], "hi", "{}", r.text());
}

#[tokio::test]
async fn test_req_doc_004_seeded_form_upload_runs() {
    let eng = Engine::start().await;
    enable(&eng, "example-upload.js").await;
    let page = eng.get("/examples/upload").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("multipart/form-data"),
        "{}",
        page.text()
    );
    let form = Form::new().text("title", "photo").part(
        "file",
        Part::bytes(vec![7u8; 1000])
            .file_name("a.bin")
            .mime_str("application/octet-stream")
            .expect("mime"),
    );
    let r = send(eng.req("POST", "/examples/upload").multipart(form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["fields"]["title"], "photo", "{v}");
    assert_eq!(v["files"][0]["filename"], "a.bin", "{v}");
    assert_eq!(v["files"][0]["size"], 1000, "{v}");
}

#[tokio::test]
async fn test_req_doc_004_seeded_auth_example_runs() {
    let eng = Engine::start().await;
    enable(&eng, "example-auth.js").await;
    let me = eng.get("/examples/auth/me").await.json();
    assert_eq!(me["loggedIn"], false, "{me}");
    let anon = eng.get("/examples/auth/notes").await;
    assert_eq!(anon.status, 401, "{}", anon.text());
    let browser = send(
        eng.req("GET", "/examples/auth/notes")
            .header("accept", "text/html"),
    )
    .await;
    assert_eq!(browser.status, 302);
    assert!(browser
        .header("location")
        .is_some_and(|l| l.starts_with("/engine/auth/login")));

    let add = |text: Value| {
        send(
            eng.req("POST", "/examples/auth/notes")
                .bearer_auth(&eng.token)
                .json(&json!({ "text": text })),
        )
    };
    assert_eq!(add(json!("first")).await.status, 201);
    assert_eq!(add(json!("")).await.status, 400);
    let r = send(
        eng.req("GET", "/examples/auth/notes")
            .bearer_auth(&eng.token),
    )
    .await;
    assert_eq!(r.json()["notes"], json!(["first"]), "{}", r.text());
    assert_eq!(r.json()["user"], ADMIN_EMAIL);
    let r = send(
        eng.req("GET", "/examples/auth/admin")
            .bearer_auth(&eng.token),
    )
    .await;
    assert_eq!((r.status, r.json()["role"].clone()), (200, json!("admin")));
    assert_eq!(eng.get("/examples/auth/admin").await.status, 401);
}

#[tokio::test]
async fn test_req_doc_004_seeded_bookmarks_app_runs() {
    let eng = Engine::start().await;
    enable(&eng, "example-bookmarks-app.js").await;
    assert_eq!(eng.get("/examples/bookmarks").await.json(), json!([]));
    let r = send(
        eng.req("POST", "/examples/bookmarks")
            .json(&json!({"url": "https://example.com/a", "title": "A"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().expect("an id").to_string();
    let r = send(
        eng.req("POST", "/examples/bookmarks")
            .json(&json!({"url": "ftp://x"})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    let list = eng.get("/examples/bookmarks").await.json();
    assert_eq!(list[0]["url"], "https://example.com/a", "{list}");
    let one = eng.get(&format!("/examples/bookmarks/{id}")).await;
    assert_eq!(one.json()["title"], "A", "{}", one.text());
    let r = send(eng.req("DELETE", &format!("/examples/bookmarks/{id}"))).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        eng.get(&format!("/examples/bookmarks/{id}")).await.status,
        404
    );
    assert_eq!(
        send(eng.req("PATCH", "/examples/bookmarks")).await.status,
        405
    );
}
