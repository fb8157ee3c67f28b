//! Multipart request bodies, read as a script route reads them: any body
//! and boundary give fields and files or a clear error, never a panic, and
//! the fields never hold more bytes than the body had.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    boundary: String,
    /// Parts written with the boundary, so that inputs get past the framing.
    parts: Vec<(String, Option<String>, Vec<u8>)>,
    tail: Vec<u8>,
    limit: u16,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
}

fuzz_target!(|input: Input| {
    let b = &input.boundary;
    let mut body = Vec::new();
    for (name, filename, data) in input.parts.iter().take(8) {
        body.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = filename {
            body.extend_from_slice(
                format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream").as_bytes(),
            );
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    body.extend_from_slice(&input.tail);
    let len = body.len();
    let ct = format!("multipart/form-data; boundary={b}");
    let data = dir().path().join("data.redb");
    let limit = u64::from(input.limit) * 4;
    let got = runtime().block_on(aiwebengine::fuzzing::script_body(&ct, body, limit, &data));
    match got {
        Ok(s) => {
            assert!(len as u64 <= limit, "a body over the limit was accepted");
            let field_bytes: usize = s
                .fields
                .iter()
                .flatten()
                .map(|(k, v)| k.len() + v.len())
                .sum();
            // U+FFFD replacements can triple invalid bytes; nothing more.
            assert!(field_bytes <= 3 * len, "fields larger than the body");
        }
        Err(e) => assert!(!e.is_empty(), "an error without a message"),
    }
});
