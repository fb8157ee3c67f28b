//! The layering of `src/` (docs/architecture.md), enforced: every
//! `crate::module` a top-level module names must be in its row of
//! [`ALLOWED`], and the table itself must have no cycle. A failure names
//! the file and line of each offending reference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules it may use. Read bottom-up:
/// `domain` is the leaf; `cli` (with `main`) is the top.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    (
        "store",
        &[
            "domain",
            "migrations",
            "auth",
            "kv",
            "logs",
            "assets",
            "backup",
            "scripts",
            "config",
            "tls",
        ],
    ),
    ("migrations", &["domain", "store"]),
    ("events", &["domain"]),
    ("fetch", &["domain"]),
    ("kv", &["domain"]),
    ("logs", &["domain"]),
    ("assets", &["domain"]),
    ("scripts", &["domain", "events"]),
    ("auth", &["domain"]),
    ("manage", &["domain", "scripts", "auth", "logs"]),
    ("js", &["domain", "scripts", "kv", "assets", "fetch"]),
    ("graphql", &["domain", "scripts", "js", "events"]),
    (
        "mcp",
        &[
            "domain", "scripts", "js", "events", "auth", "manage", "logs", "kv", "assets", "config",
        ],
    ),
    ("seed", &["domain", "scripts", "js"]),
    ("config", &["domain", "js", "kv", "assets", "fetch"]),
    ("observe", &["domain", "store", "config"]),
    ("backup", &["domain"]),
    ("project", &["domain", "scripts", "assets", "backup"]),
    (
        "http",
        &[
            "domain", "store", "events", "fetch", "kv", "logs", "assets", "scripts", "auth",
            "manage", "js", "graphql", "mcp", "seed", "config", "observe", "backup", "tls",
            "testrun",
        ],
    ),
    ("tls", &["domain"]),
    ("testrun", &["domain"]),
    (
        "server",
        &[
            "domain", "store", "config", "js", "scripts", "observe", "http", "tls",
        ],
    ),
    (
        "state",
        &[
            "domain", "store", "events", "fetch", "kv", "logs", "assets", "scripts", "auth",
            "manage", "js", "graphql", "mcp", "seed", "config", "observe", "backup", "http",
            "server", "tls", "testrun",
        ],
    ),
    // Entry points for fuzz/ only.
    (
        "fuzzing",
        &["domain", "http", "graphql", "js", "events", "scripts", "kv"],
    ),
    (
        "cli",
        &[
            "domain", "store", "config", "auth", "backup", "observe", "seed", "state", "server",
            "mcp", "project", "http", "assets", "scripts", "testrun",
        ],
    ),
];

/// Names the crate root re-exports, and the module each one belongs to.
const ROOT_ITEMS: &[(&str, &str)] = &[("VERSION_LINE", ""), ("app", "http"), ("AppState", "http")];

fn allowed() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect()
}

/// Source with comments and string literals blanked, lines kept.
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            out.push('\n');
            continue;
        }
        let (mut in_str, mut escaped) = (false, false);
        for c in line.chars() {
            match (in_str, c) {
                (true, _) if escaped => escaped = false,
                (true, '\\') => escaped = true,
                (true, '"') => in_str = false,
                (true, _) => {}
                (false, '"') => in_str = true,
                (false, _) => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// `(module, file:line)` of every `crate::X` and `crate::{X, Y}` in `src`.
fn references(src: &str) -> Vec<(String, usize)> {
    let code = code_only(src);
    let mut found = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + 7..];
            if let Some(group) = after.strip_prefix('{') {
                // `use crate::{a::B, c}`: may run over several lines.
                let body: String = code
                    .lines()
                    .skip(i)
                    .collect::<Vec<_>>()
                    .join("\n")
                    .split_once("crate::{")
                    .map(|(_, b)| b.to_string())
                    .unwrap_or_else(|| group.to_string());
                for name in top_names(&body) {
                    found.push((name, i + 1));
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((name, i + 1));
            }
            rest = &rest[at + 7..];
        }
    }
    found
}

/// The first path segment of each item of a `{...}` group (up to its `}`).
fn top_names(body: &str) -> Vec<String> {
    let (mut depth, mut item, mut names) = (0, String::new(), Vec::new());
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => names.push(std::mem::take(&mut item)),
            _ if depth == 0 => item.push(c),
            _ => {}
        }
    }
    names.push(item);
    names
        .iter()
        .filter_map(|n| {
            n.trim()
                .split("::")
                .next()
                .map(str::trim)
                .map(str::to_string)
        })
        .filter(|n| !n.is_empty() && n != "self")
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under root");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

#[test]
fn test_layering_dependencies_point_one_way() {
    let table = allowed();
    let mut offences = Vec::new();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for root in [manifest.join("src"), manifest.join("migrations")] {
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        for file in files {
            let module = match root.ends_with("migrations") {
                true => "migrations".to_string(),
                false => module_of(&root, &file),
            };
            if matches!(module.as_str(), "lib" | "main") {
                continue;
            }
            let Some(may) = table.get(module.as_str()) else {
                offences.push(format!(
                    "{}: module {module} has no row in ALLOWED",
                    file.display()
                ));
                continue;
            };
            let src = std::fs::read_to_string(&file).expect("read source");
            for (name, line) in references(&src) {
                let target = ROOT_ITEMS
                    .iter()
                    .find(|(item, _)| *item == name)
                    .map_or(name.as_str(), |(_, m)| *m);
                if target.is_empty() || target == module || may.contains(target) {
                    continue;
                }
                offences.push(format!(
                    "{}:{line}: {module} uses crate::{name}, which {module} may not depend on",
                    file.strip_prefix(manifest).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "dependencies must point one way (docs/architecture.md):\n{}",
        offences.join("\n")
    );
}

#[test]
fn test_layering_table_has_no_cycle() {
    let table = allowed();
    // Depth-first search for a back edge.
    fn visit<'a>(
        m: &'a str,
        table: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Result<(), String> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m);
            return Err(cycle.join(" -> "));
        }
        if done.contains(m) {
            return Ok(());
        }
        path.push(m);
        for dep in table.get(m).into_iter().flatten() {
            visit(dep, table, path, done)?;
        }
        path.pop();
        done.insert(m);
        Ok(())
    }
    let mut done = BTreeSet::new();
    for m in table.keys() {
        // store <-> migrations is one unit: the format steps are the store's.
        let mut t = table.clone();
        t.get_mut("migrations").map(|d| d.remove("store"));
        visit(m, &t, &mut Vec::new(), &mut done).unwrap_or_else(|c| panic!("cycle: {c}"));
    }
}

#[test]
fn the_scanner_finds_grouped_and_plain_references() {
    let src = "use crate::{a::B, c};\n// crate::ignored\nlet x = \"crate::not\"; crate::d::e();\n";
    let names: Vec<_> = references(src)
        .into_iter()
        .map(|(n, l)| format!("{n}:{l}"))
        .collect();
    assert_eq!(names, ["a:1", "c:1", "d:3"]);
}

/// The modules that may name redb itself: the storage adapter, the format
/// steps, and the adapters above the services that hold the open file
/// (start-up, health, online backup over HTTP, the CLI's offline commands).
const REDB_USERS: &[&str] = &["store", "migrations", "state", "cli", "http", "server"];

/// A `redb::` path in code (not `myredb::`).
fn names_redb(line: &str) -> bool {
    line.match_indices("redb::")
        .any(|(at, _)| !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// Storage behind repositories: no domain service names a redb type; each
/// reaches the data file through its own port, which `store` implements.
#[test]
fn test_only_storage_adapters_name_redb() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut offences = Vec::new();
    for file in files {
        let module = module_of(&root, &file);
        if REDB_USERS.contains(&module.as_str()) || matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let code = code_only(&std::fs::read_to_string(&file).expect("read source"));
        for (i, line) in code.lines().enumerate() {
            if names_redb(line) {
                offences.push(format!(
                    "{}:{}: {module} names redb; go through the module's repository port",
                    file.strip_prefix(manifest).unwrap_or(&file).display(),
                    i + 1
                ));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "only storage adapters may name redb (docs/architecture.md):\n{}",
        offences.join("\n")
    );
}

#[test]
fn test_the_redb_scan_finds_a_use() {
    let src = "use redb::ReadableTable;\nlet s = \"redb::in a string\";\n// redb:: in a comment\nfn f(t: &myredb::X) {}\n";
    let code = code_only(src);
    let hits: Vec<usize> = code
        .lines()
        .enumerate()
        .filter(|(_, l)| names_redb(l))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits, vec![1]);
}
