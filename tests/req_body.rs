//! WHATWG body methods on `req` and `req.url` (issue 16, "Web-standard
//! handlers"; docs/javascript-apis.md "Reading the body").

mod common;

use common::*;

const SCRIPT: &str = include_str!("test_scripts/req_body.js");

async fn engine() -> Engine {
    let eng = Engine::start().await;
    eng.deploy("req-body.js", SCRIPT).await;
    eng
}

#[tokio::test]
async fn test_req_jsapi_001_req_text_reads_the_body_once() {
    let eng = engine().await;
    let r = send(eng.req("POST", "/text").body("héllo wörld")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["text"], "héllo wörld", "{v}");
    assert_eq!(v["legacy"], "héllo wörld", "req.body is kept: {v}");
    assert_eq!(v["before"], false, "{v}");
    assert_eq!(v["after"], true, "{v}");
    let again = v["again"].as_str().unwrap();
    assert!(
        again.starts_with("TypeError: req.text(): the request body has already been read"),
        "{again}"
    );
}

#[tokio::test]
async fn test_req_jsapi_001_req_array_buffer_has_the_exact_bytes() {
    let eng = engine().await;
    // Not UTF-8: req.body has U+FFFD in it, arrayBuffer() the real bytes.
    let body = vec![0u8, 0xff, 0xfe, 0x41, 0x80];
    let r = send(eng.req("POST", "/bytes").body(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["isBuffer"], true, "{v}");
    assert_eq!(v["bytes"], serde_json::json!(body), "{v}");
    let r = send(eng.req("POST", "/bytes").body("AZ")).await;
    assert_eq!(r.json()["bytes"], serde_json::json!([65, 90]));
}

#[tokio::test]
async fn test_req_jsapi_001_req_form_data_of_multipart_and_urlencoded() {
    let eng = engine().await;
    let form = reqwest::multipart::Form::new()
        .text("name", "Ada")
        .text("tag", "a")
        .text("tag", "b")
        .part(
            "doc",
            reqwest::multipart::Part::bytes(b"file body".to_vec())
                .file_name("notes.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
    let r = send(eng.req("POST", "/form").multipart(form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["name"], "Ada", "{v}");
    assert_eq!(v["tags"], serde_json::json!(["a", "b"]), "{v}");
    assert_eq!(v["has"], true, "{v}");
    assert_eq!(v["missing"], serde_json::Value::Null, "{v}");
    assert_eq!(v["file"]["name"], "notes.txt", "{v}");
    assert_eq!(v["file"]["type"], "text/plain", "{v}");
    assert_eq!(v["file"]["size"], 9, "{v}");
    assert_eq!(v["file"]["text"], "file body", "{v}");
    assert_eq!(v["file"]["len"], 9, "{v}");

    let r = send(
        eng.req("POST", "/form")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=Bo+b&tag=x"),
    )
    .await;
    let v = r.json();
    assert_eq!(v["name"], "Bo b", "{v}");
    assert_eq!(v["tags"], serde_json::json!(["x"]), "{v}");
    assert_eq!(v["file"], serde_json::Value::Null, "{v}");
}

#[tokio::test]
async fn test_req_jsapi_001_req_form_data_refuses_other_bodies() {
    let eng = engine().await;
    let r = send(
        eng.req("POST", "/notform")
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    let v = r.json();
    let e = v["error"].as_str().unwrap();
    assert!(
        e.contains("\"application/json\"") && e.contains("multipart/form-data"),
        "{e}"
    );
    assert_eq!(
        v["used"], false,
        "a refused formData() leaves the body unread: {v}"
    );
}

#[tokio::test]
async fn test_req_jsapi_001_req_url_is_the_full_url() {
    let eng = engine().await;
    let r = eng.get("/url?a=1&b=x%20y").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["url"], eng.server.url("/url?a=1&b=x%20y"), "{v}");
    assert_eq!(v["own"], false, "the methods are not own properties: {v}");
    assert_eq!(v["forIn"], false, "the methods are not enumerable: {v}");
}

#[tokio::test]
async fn test_req_jsapi_001_absent_query_params_cookies_form_files_json_are_inherited_defaults() {
    let eng = engine().await;
    let r = send(eng.req("POST", "/defaults").body("plain text")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["before"], json!([]), "not built per request: {v}");
    let all =
        json!({"query": {}, "params": {}, "cookies": {}, "form": {}, "files": [], "json": null});
    assert_eq!(v["seen"], all, "{v}");
    assert_eq!(
        v["inJson"],
        json!(["query", "params", "cookies", "form", "files", "json"]),
        "JSON.stringify(req) shows them: {v}"
    );
    assert_eq!(
        v["after"],
        json!(["cookies", "files", "form", "json", "params", "query"]),
        "own once read: {v}"
    );
    assert_eq!(
        v["cookies"],
        json!({"added": "yes"}),
        "a mutation sticks: {v}"
    );
    assert_eq!(v["files"], json!(["x"]), "{v}");
    assert_eq!(v["query"], json!({"q": 1}), "{v}");
    assert_eq!(v["form"], json!({"set": 1}), "an assignment sticks: {v}");
    assert_eq!(v["fresh"], true, "{v}");
    // Present ones are own properties from the start.
    let r = send(
        eng.req("POST", "/defaults?a=1")
            .header("cookie", "c=1")
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(
        r.json()["before"],
        json!(["query", "cookies", "json"]),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn test_req_jsapi_001_headers_are_built_on_first_read() {
    let eng = Engine::start().await;
    eng.deploy("req-body.js", SCRIPT).await;
    let r = send(
        eng.req("GET", "/lazy-headers")
            .header("x-one", "1")
            .header("x-many", "a")
            .header("x-many", "b")
            .header("x-odd", "caf\u{e9} \u{2713}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["before"], false, "not an own property before a read: {v}");
    assert_eq!(v["hidden"], false, "the packed text stays hidden: {v}");
    let h = &v["headers"];
    assert_eq!(h["x-one"], "1", "{v}");
    assert_eq!(h["x-many"], "a, b", "repeated names joined in order: {v}");
    assert_eq!(h["x-odd"], "caf\u{e9} \u{2713}", "UTF-8 values kept: {v}");
    assert!(
        h["host"]
            .as_str()
            .is_some_and(|s| s.starts_with("127.0.0.1:")),
        "{v}"
    );
    assert_eq!(h["x-added"], "yes", "a mutation sticks: {v}");
    assert_eq!(
        v["inJson"]["x-many"], "a, b",
        "JSON.stringify(req) shows headers: {v}"
    );
    assert_eq!(v["same"], true, "one object, read twice: {v}");
    assert_eq!(v["after"], true, "an own property once read: {v}");
    assert_eq!(v["spread"], true, "{v}");
    let r = eng.get("/assign-headers").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        v["headers"],
        json!({"replaced": "1"}),
        "an assignment sticks: {v}"
    );
    assert_eq!(v["keys"], true, "{v}");
}
