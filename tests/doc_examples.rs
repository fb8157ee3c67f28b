//! Every fenced block marked ```` ```js run ```` in `README.md` and
//! `docs/*.md` is deployed as a script to a real server, and the requests
//! written in it as comments are sent and checked (REQ-DOC-004, issue 16
//! "Docs and examples"). The convention is described in
//! `docs/README.md#runnable-examples`:
//!
//! ```text
//! // GET /hello?name=bob → 200 Hello bob
//! // POST /notes {"a":1} → 201 "a":1
//! // GET /admin/report as admin → 200 admin@example.com
//! ```
//!
//! One line per request: method, path, optionally `as admin` (sends the
//! admin's bearer token), optionally a body (JSON when it parses as JSON,
//! else plain text), then `→` (or `->`), the expected status and optionally
//! a text the response body must contain. The requests of a block run in
//! order after it is saved; the script is deleted before the next block.

mod common;

use common::*;
use std::path::{Path, PathBuf};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// The fewest runnable blocks the docs must hold: marking blocks is how
/// the docs stay true, so losing them is a failure, not a skip.
const MIN_BLOCKS: usize = 12;

#[derive(Debug)]
struct Block {
    file: String,
    line: usize,
    /// ```` ```js run lib/x.js ````: saved under this name and kept until
    /// the document's last block ran, so that later blocks can import it.
    name: Option<String>,
    source: String,
    checks: Vec<Check>,
}

#[derive(Debug)]
struct Check {
    method: String,
    path: String,
    admin: bool,
    body: Option<String>,
    status: u16,
    contains: String,
}

fn doc_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// `// METHOD PATH [as admin] [BODY] → STATUS [TEXT]`, or `None` for any
/// other line.
fn parse_check(line: &str) -> Option<Check> {
    let rest = line.trim().strip_prefix("//")?.trim();
    let (lhs, rhs) = rest.split_once('→').or_else(|| rest.split_once(" -> "))?;
    let mut words = lhs.trim().splitn(2, ' ');
    let method = words.next()?.to_string();
    if !METHODS.contains(&method.as_str()) {
        return None;
    }
    let after = words.next()?.trim();
    let (path, mut body) = match after.split_once(' ') {
        Some((p, b)) => (p.to_string(), b.trim().to_string()),
        None => (after.to_string(), String::new()),
    };
    if !path.starts_with('/') {
        return None;
    }
    let admin = body.starts_with("as admin");
    if admin {
        body = body["as admin".len()..].trim().to_string();
    }
    let rhs = rhs.trim();
    let (status, contains) = rhs.split_once(' ').unwrap_or((rhs, ""));
    Some(Check {
        method,
        path,
        admin,
        body: (!body.is_empty()).then_some(body),
        status: status.parse().ok()?,
        contains: contains.trim().to_string(),
    })
}

fn runnable_blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).expect("read doc");
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Option<String>, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        match &mut open {
            None if fence.starts_with("```js run") => {
                let script = fence["```js run".len()..].trim();
                let script = (!script.is_empty()).then(|| script.to_string());
                open = Some((i + 1, script, String::new()))
            }
            None => {}
            Some((start, script, src)) if fence.starts_with("```") => {
                let checks = src.lines().filter_map(parse_check).collect();
                blocks.push(Block {
                    file: name.clone(),
                    line: *start,
                    name: script.take(),
                    source: std::mem::take(src),
                    checks,
                });
                open = None;
            }
            Some((_, _, src)) => {
                src.push_str(line);
                src.push('\n');
            }
        }
    }
    assert!(open.is_none(), "{name}: a ```js run block is not closed");
    blocks
}

async fn run_check(eng: &Engine, block: &Block, c: &Check) -> Result<(), String> {
    let mut rb = eng.req(&c.method, &c.path);
    if c.admin {
        rb = rb.bearer_auth(&eng.token);
    }
    if let Some(body) = &c.body {
        rb = match serde_json::from_str::<Value>(body) {
            Ok(v) => rb.json(&v),
            Err(_) => rb.header("content-type", "text/plain").body(body.clone()),
        };
    }
    let r = send(rb).await;
    let text = r.text();
    if r.status != c.status || !text.contains(&c.contains) {
        return Err(format!(
            "{}:{}: {} {} → {} {:?}, expected {} containing {:?}",
            block.file, block.line, c.method, c.path, r.status, text, c.status, c.contains
        ));
    }
    Ok(())
}

#[tokio::test]
async fn test_req_doc_004_runnable_doc_blocks_run() {
    let blocks: Vec<Block> = doc_files()
        .iter()
        .flat_map(|f| runnable_blocks(f))
        .collect();
    assert!(
        blocks.len() >= MIN_BLOCKS,
        "only {} ```js run blocks in the docs, expected at least {MIN_BLOCKS}",
        blocks.len()
    );
    let eng = Engine::start().await;
    let mut failures = Vec::new();
    let mut requests = 0;
    // Named blocks (libraries) stay until their document's blocks all ran.
    let mut kept: Vec<String> = Vec::new();
    let delete = |name: String| {
        let eng = &eng;
        async move {
            let path = format!("/engine/api/scripts/{}", name.replace('/', "%2F"));
            let r = eng.api("DELETE", &path, None).await;
            assert!(r.status < 300, "delete {name}: {} {}", r.status, r.text());
        }
    };
    for (i, b) in blocks.iter().enumerate() {
        assert!(
            !b.checks.is_empty() || b.name.is_some(),
            "{}:{}: a ```js run block needs at least one `// GET /path → 200` line (or a script name, ```js run lib/x.js, to be imported by a later block)",
            b.file,
            b.line
        );
        let name = b
            .name
            .clone()
            .unwrap_or_else(|| format!("doc-{}-{}.js", b.file.trim_end_matches(".md"), b.line));
        let (status, v) = eng.put_script(&name.replace('/', "%2F"), &b.source).await;
        if status != 200 && status != 201 {
            failures.push(format!("{}:{}: save → {status} {v}", b.file, b.line));
            continue;
        }
        for c in &b.checks {
            requests += 1;
            if let Err(e) = run_check(&eng, b, c).await {
                failures.push(e);
            }
        }
        match b.name.is_some() {
            true => kept.push(name),
            false => delete(name).await,
        }
        if blocks.get(i + 1).is_none_or(|next| next.file != b.file) {
            for name in kept.drain(..) {
                delete(name).await;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {requests} documented requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn parse_check_reads_the_convention() {
    let c = parse_check(r#"  // POST /notes as admin {"a":1} → 201 "a":1"#).expect("a check");
    assert_eq!(
        (c.method.as_str(), c.path.as_str(), c.admin, c.status),
        ("POST", "/notes", true, 201)
    );
    assert_eq!(c.body.as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(c.contains, r#""a":1"#);
    let c = parse_check("// GET /x -> 404").expect("ascii arrow");
    assert_eq!((c.status, c.contains.as_str(), c.body), (404, "", None));
    assert!(parse_check("// returns 200 → fine").is_none());
    assert!(parse_check("register('/x', f); // GET /x → 200").is_none());
}
