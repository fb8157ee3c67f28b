//! How module scripts name each other: `import` specifiers resolved to
//! script names, and the order a folder's scripts must be saved in so that
//! every imported script exists before its importers (`deploy`, `dev`,
//! `test`).

use std::collections::{BTreeMap, BTreeSet};

/// Resolves an import specifier to a script name: `./x.js` and `../x.js`
/// relative to the importing script, `/x.js` and bare `x.js` from the top.
/// A name whose last segment has no extension gets `.js`.
pub fn resolve_import(base: &str, specifier: &str) -> Result<String, String> {
    if specifier.is_empty() {
        return Err("an empty import specifier".into());
    }
    let relative = specifier.starts_with("./") || specifier.starts_with("../");
    let mut parts: Vec<&str> = Vec::new();
    if relative {
        parts.extend(base.split('/'));
        parts.pop();
    }
    for seg in specifier.trim_start_matches('/').split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "'{specifier}' from '{base}' leaves the engine's scripts (too many '..')"
                    ));
                }
            }
            s => parts.push(s),
        }
    }
    let Some(last) = parts.last().copied() else {
        return Err(format!("'{specifier}' names no script"));
    };
    let mut name = parts.join("/");
    if !last.contains('.') {
        name.push_str(".js");
    }
    Ok(name)
}

/// The specifiers of the static `import … from "x"`, `import "x"` and
/// `export … from "x"` statements of `source`, found by a scan (not a
/// parse: a match inside a comment or string only adds an ordering hint).
pub fn static_imports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = source.as_bytes();
    for keyword in ["from", "import"] {
        let mut at = 0;
        while let Some(i) = source[at..].find(keyword) {
            let start = at + i;
            at = start + keyword.len();
            let before_ok = start == 0 || !is_ident(bytes[start - 1]);
            let rest = source[at..].trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if !before_ok {
                continue;
            }
            if let Some(end) = rest[1..].find(quote) {
                let spec = &rest[1..1 + end];
                if !spec.contains('\n') {
                    found.push(spec.to_string());
                }
            }
        }
    }
    found
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.'
}

/// Script names in an order where each comes after the scripts of the set
/// it imports (name order otherwise; a cycle keeps name order).
pub fn import_order<'a>(scripts: &BTreeMap<&'a str, Vec<String>>) -> Vec<&'a str> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::with_capacity(scripts.len());
    fn visit<'a>(
        name: &'a str,
        scripts: &BTreeMap<&'a str, Vec<String>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
        order: &mut Vec<&'a str>,
    ) {
        if done.contains(name) || path.contains(&name) {
            return;
        }
        path.push(name);
        for spec in scripts.get(name).into_iter().flatten() {
            if let Ok(dep) = resolve_import(name, spec) {
                if let Some((&dep, _)) = scripts.get_key_value(dep.as_str()) {
                    visit(dep, scripts, done, path, order);
                }
            }
        }
        path.pop();
        done.insert(name);
        order.push(name);
    }
    for &name in scripts.keys() {
        visit(name, scripts, &mut done, &mut Vec::new(), &mut order);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_resolve_to_script_names() {
        assert_eq!(resolve_import("app.js", "./lib.js").unwrap(), "lib.js");
        assert_eq!(
            resolve_import("api/users.js", "./db.js").unwrap(),
            "api/db.js"
        );
        assert_eq!(
            resolve_import("api/users.js", "../lib.js").unwrap(),
            "lib.js"
        );
        assert_eq!(
            resolve_import("api/users.js", "/lib/x.js").unwrap(),
            "lib/x.js"
        );
        assert_eq!(resolve_import("api/users.js", "lib/x").unwrap(), "lib/x.js");
        assert_eq!(resolve_import("a/b/c.js", "./../d.mjs").unwrap(), "a/d.mjs");
        assert!(resolve_import("app.js", "../x.js").is_err());
        assert!(resolve_import("app.js", "").is_err());
        assert!(resolve_import("app.js", "./").is_err());
    }

    #[test]
    fn static_imports_are_found() {
        let src = "import { a } from './a.js';\nimport './b.js'\nexport * from \"./c\";\nconst from = 1; imported('x');";
        assert_eq!(static_imports(src), vec!["./a.js", "./c", "./b.js"]);
    }

    #[test]
    fn imported_scripts_come_first() {
        let mut m = BTreeMap::new();
        m.insert("a.js", vec!["./z/lib.js".to_string()]);
        m.insert("z/lib.js", vec!["../util.js".to_string()]);
        m.insert("util.js", vec![]);
        m.insert(
            "b.js",
            vec!["./b.js".to_string(), "./missing.js".to_string()],
        );
        assert_eq!(
            import_order(&m),
            vec!["util.js", "z/lib.js", "a.js", "b.js"]
        );
        // A cycle keeps every script, once.
        let mut c = BTreeMap::new();
        c.insert("x.js", vec!["./y.js".to_string()]);
        c.insert("y.js", vec!["./x.js".to_string()]);
        assert_eq!(import_order(&c), vec!["y.js", "x.js"]);
    }
}
