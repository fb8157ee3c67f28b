//! urlencoded form bodies and other bodies, read as a script route reads
//! them: a form becomes its fields (checked against a model decoder written
//! here: `&`-separated pairs, `+` is a space, `%XX` a byte, invalid UTF-8
//! replaced), other bodies arrive byte for byte; never a panic.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    form: bool,
    body: Vec<u8>,
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

fn unescape(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn model(body: &[u8]) -> Vec<(String, String)> {
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (unescape(&p[..i]), unescape(&p[i + 1..])),
            None => (unescape(p), String::new()),
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let ct = if input.form {
        "application/x-www-form-urlencoded"
    } else {
        "application/octet-stream"
    };
    let dir = std::path::Path::new("/nonexistent/data.redb");
    let len = input.body.len();
    let got = runtime()
        .block_on(aiwebengine::fuzzing::script_body(
            ct,
            input.body.clone(),
            1 << 20,
            dir,
        ))
        .expect("an in-limit body is read");
    assert_eq!(got.body_len, len);
    if input.form {
        assert_eq!(got.fields.expect("a form has fields"), model(&input.body));
    } else {
        assert!(got.fields.is_none());
    }
});
