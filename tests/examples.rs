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
