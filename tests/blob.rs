//! Global `Blob` and `File` (issue 16, web-standard handlers;
//! docs/javascript-apis.md "Blob and File").

mod common;

use common::*;
use serde_json::json;

const SCRIPT: &str = include_str!("test_scripts/blob.js");

#[tokio::test]
async fn test_req_jsapi_007_blob_and_file_build_slice_and_read() {
    let eng = Engine::start().await;
    eng.deploy("blob.js", SCRIPT).await;
    let r = eng.get("/blob").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["size"], 7, "{v}");
    assert_eq!(v["type"], "text/plain", "types are lower-cased: {v}");
    assert_eq!(v["bytes"], json!([97, 98, 99, 100, 101, 102, 0]), "{v}");
    assert_eq!(v["buffer"], 7, "{v}");
    assert_eq!(v["sliced"], json!(["bcde", "x/y"]), "{v}");
    assert_eq!(v["tail"], "ef\u{0}", "{v}");
    assert_eq!(
        v["file"],
        json!([
            "greet.txt",
            6,
            "text/plain",
            42,
            true,
            true,
            "[object File]"
        ]),
        "{v}"
    );
    assert_eq!(v["text"], "héllo", "{v}");
    assert_eq!(v["streamed"], 6, "{v}");
    assert_eq!(
        v["responseType"], "text/plain",
        "a Blob body sets content-type: {v}"
    );
    assert_eq!(v["responseText"], "abcdef\u{0}", "{v}");
    assert_eq!(v["fromResponse"], "a/b", "{v}");
    assert!(
        v["missingName"]
            .as_str()
            .unwrap()
            .contains("the file name is required"),
        "{v}"
    );
    assert!(
        v["badParts"]
            .as_str()
            .unwrap()
            .contains("parts must be an array"),
        "{v}"
    );
}

#[tokio::test]
async fn test_req_jsapi_007_blobs_in_form_data_and_uploads_are_files() {
    let eng = Engine::start().await;
    eng.deploy("blob.js", SCRIPT).await;
    let r = eng.get("/blob-form").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"isFile": true, "name": "rows.csv", "type": "text/csv", "multipart": true, "octet": true})
    );

    let form = reqwest::multipart::Form::new().part(
        "doc",
        reqwest::multipart::Part::bytes(b"%PDF-1.7 ...".to_vec())
            .file_name("paper.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let r = send(eng.req("POST", "/upload").multipart(form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"isFile": true, "name": "paper.pdf", "type": "application/pdf", "size": 12, "head": "%PDF", "legacy": 12})
    );
}
