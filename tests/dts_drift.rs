//! `docs/aiwebengine.d.ts` against the real globals of a script context
//! (issue 16, "Type definitions … a test checks it against the real
//! globals (names and arity), so it cannot drift").
//!
//! A script on a real server lists every global the engine adds to the
//! ECMAScript ones: its kind, a function's `length`, the methods of an
//! object (own and inherited) and of a class's prototype, and a class's
//! static methods. The d.ts is read with a small declaration parser. Every
//! engine global must be declared and every declared global must exist;
//! a function's `length` must equal the parameters before the first rest
//! parameter of one of its declared overloads; objects and classes must
//! declare exactly the methods they have (with the same rule for arity).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// ECMAScript's own globals (ES2023 and what QuickJS adds to them); the
/// d.ts leaves these to TypeScript's "lib".
const STANDARD: &[&str] = &[
    "Object",
    "Function",
    "Array",
    "Number",
    "parseFloat",
    "parseInt",
    "Infinity",
    "NaN",
    "undefined",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "unescape",
    "isFinite",
    "isNaN",
    "globalThis",
    "eval",
    "Symbol",
    "Boolean",
    "String",
    "Math",
    "JSON",
    "Date",
    "RegExp",
    "Error",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
    "InternalError",
    "AggregateError",
    "Iterator",
    "Proxy",
    "Reflect",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "FinalizationRegistry",
    "Promise",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Atomics",
    "BigInt",
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "BigInt64Array",
    "BigUint64Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "performance",
    "navigator",
    "SuppressedError",
    "DisposableStack",
    "AsyncDisposableStack",
    "Performance",
];

const PROBE: &str = r#"
// Inherited ECMAScript methods (Error.prototype.toString, …) are TypeScript's.
const builtin = new Set([Object, Function, Error, Array, Map, Set, Promise, Uint8Array,
  Object.getPrototypeOf(Uint8Array)].map((c) => c.prototype));
const methods = (o) => {
  const out = Object.create(null);
  for (let p = o; p && !builtin.has(p); p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || k in out) continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === 'function') out[k] = d.value.length;
      else if (d && !d.get && !d.set && d.value !== undefined) out[k] = null;
      else if (d && d.get) out[k] = null;
    }
  }
  return out;
};
register('/globals', () => {
  const out = {};
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (name.startsWith('__')) continue;
    const v = globalThis[name];
    if (typeof v === 'function') {
      const isClass = v.prototype !== undefined && Object.getOwnPropertyNames(v.prototype).length > 1;
      const statics = {};
      for (const k of Object.getOwnPropertyNames(v)) {
        if (['length', 'name', 'prototype'].includes(k)) continue;
        if (typeof v[k] === 'function') statics[k] = v[k].length;
      }
      out[name] = isClass
        ? { kind: 'class', length: v.length, methods: methods(v.prototype), statics }
        : { kind: 'function', length: v.length };
    } else if (v !== null && typeof v === 'object') {
      out[name] = { kind: 'object', methods: methods(v) };
    } else {
      out[name] = { kind: typeof v };
    }
  }
  return { body: out };
});
"#;

/// A declaration's members: method name → the arities of its overloads
/// (`None` for a property).
type Members = BTreeMap<String, Option<BTreeSet<Arity>>>;

#[derive(Debug, Default)]
struct Dts {
    functions: BTreeMap<String, BTreeSet<Arity>>,
    objects: BTreeMap<String, Members>,
    classes: BTreeMap<String, (BTreeSet<Arity>, Members, Members)>,
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out.lines()
        .map(|l| match l.find("//") {
            Some(i) if i == 0 || l[..i].ends_with(char::is_whitespace) => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The index just past the bracket that closes the one at `open`.
fn closing(s: &str, open: usize) -> usize {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'=' if b.get(i + 1) == Some(&b'>') => i += 1,
            b'(' | b'{' | b'[' | b'<' => depth += 1,
            b')' | b'}' | b']' | b'>' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!(
        "unclosed bracket at {open}: {}",
        &s[open..(open + 60).min(s.len())]
    );
}

/// Top-level pieces of `s` between `sep`s.
fn split_top(s: &str, sep: u8) -> Vec<&str> {
    let b = s.as_bytes();
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' if b.get(i + 1) == Some(&b'>') => i += 1,
            b'(' | b'{' | b'[' | b'<' => depth += 1,
            b')' | b'}' | b']' | b'>' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// `(required, total)`: the parameters of `(…)` at `open` before the
/// first rest parameter, and how many of them are not optional. A JS
/// function's `length` counts the parameters before the first one with a
/// default, so it lies between the two.
fn arity(s: &str, open: usize) -> Arity {
    let inner = &s[open + 1..closing(s, open) - 1];
    let params: Vec<&str> = split_top(inner, b',')
        .into_iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .take_while(|p| !p.starts_with("..."))
        .collect();
    let optional = |p: &&str| p.split(':').next().unwrap_or(p).trim_end().ends_with('?');
    let required = params.iter().take_while(|p| !optional(p)).count();
    (required, params.len())
}

type Arity = (usize, usize);

fn fits(arities: &BTreeSet<Arity>, len: usize) -> bool {
    arities
        .iter()
        .any(|&(req, total)| req <= len && len <= total)
}

fn ident_end(s: &str) -> usize {
    s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(s.len())
}

/// Members of a `{ … }` body: `name(…)`, `name<T>(…)`, `name?: …`.
fn members(body: &str) -> Members {
    let mut out = Members::new();
    for stmt in split_top(body, b';')
        .into_iter()
        .flat_map(|s| split_top(s, b'\n'))
    {
        let mut t = stmt.trim();
        for prefix in ["readonly ", "static "] {
            t = t.strip_prefix(prefix).unwrap_or(t);
        }
        if t.starts_with('[') || t.is_empty() {
            continue;
        }
        let end = ident_end(t);
        if end == 0 {
            continue;
        }
        let name = &t[..end];
        let after = t[end..].trim_start_matches('?');
        let after_generic = if after.starts_with('<') {
            &after[closing(after, 0)..]
        } else {
            after
        };
        if after_generic.starts_with('(') {
            let n = arity(after_generic, 0);
            out.entry(name.to_string())
                .or_insert_with(|| Some(BTreeSet::new()))
                .get_or_insert_with(BTreeSet::new)
                .insert(n);
        } else if after.starts_with(':') {
            out.entry(name.to_string()).or_insert(None);
        }
    }
    out
}

fn parse_dts(text: &str) -> Dts {
    let src = strip_comments(text);
    let mut interfaces: BTreeMap<String, (Members, Vec<String>)> = BTreeMap::new();
    let mut consts: Vec<(String, String)> = Vec::new();
    let mut dts = Dts::default();
    let mut at = 0;
    while at < src.len() {
        let line_end = src[at..].find('\n').map_or(src.len(), |i| at + i);
        let line = &src[at..line_end];
        let next = |kw: &str| line.strip_prefix(kw).map(|r| (r, at + kw.len()));
        if let Some((rest, off)) = next("declare function ") {
            let name = &rest[..ident_end(rest)];
            let open = off + src[off..].find('(').expect("(");
            dts.functions
                .entry(name.to_string())
                .or_default()
                .insert(arity(&src, open));
            at = closing(&src, open);
            continue;
        }
        if let Some((rest, off)) = next("declare const ") {
            let name = rest[..ident_end(rest)].to_string();
            let colon = off + src[off..].find(':').expect(":");
            let ty_start =
                colon + 1 + (src[colon + 1..].len() - src[colon + 1..].trim_start().len());
            if src[ty_start..].starts_with('{') {
                let end = closing(&src, ty_start);
                dts.objects
                    .insert(name, members(&src[ty_start + 1..end - 1]));
                at = end;
            } else {
                let ty = &src[ty_start..];
                consts.push((name, ty[..ident_end(ty)].to_string()));
                at = line_end + 1;
            }
            continue;
        }
        let iface = next("interface ").or_else(|| next("declare class "));
        if let Some((rest, off)) = iface {
            let name = rest[..ident_end(rest)].to_string();
            let brace = off + src[off..].find('{').expect("{");
            let head = &src[off..brace];
            let names = |p: &str| -> Vec<String> {
                split_top(p, b',')
                    .iter()
                    .map(|s| s.trim()[..ident_end(s.trim())].to_string())
                    .collect()
            };
            let (head, implements) = head.split_once(" implements ").unwrap_or((head, ""));
            let parents = head
                .split_once(" extends ")
                .map(|(_, p)| names(p))
                .unwrap_or_default();
            let implements = names(implements);
            let end = closing(&src, brace);
            let body = &src[brace + 1..end - 1];
            if line.starts_with("declare class ") {
                let mut all = members(body);
                let ctor = all
                    .remove("constructor")
                    .flatten()
                    .unwrap_or_else(|| BTreeSet::from([(0, 0)]));
                let statics: Members = split_top(body, b';')
                    .into_iter()
                    .flat_map(|s| split_top(s, b'\n'))
                    .filter(|s| s.trim().starts_with("static "))
                    .flat_map(members)
                    .collect();
                for k in statics.keys() {
                    all.remove(k);
                }
                // `implements Body`: Body's methods are the class's too
                // (TypeScript's own interfaces, such as Iterable, are not here);
                // `extends Blob`: so are a parent class's.
                let inherited = implements.iter().chain(parents.iter());
                for (m, _) in inherited.filter_map(|p| interfaces.get(p)) {
                    for (k, v) in m.iter().filter(|(k, _)| *k != "constructor") {
                        all.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                dts.classes
                    .insert(name.clone(), (ctor, all.clone(), statics));
            }
            interfaces.insert(name, (members(body), parents));
            at = end;
            continue;
        }
        at = line_end + 1;
    }
    for (name, ty) in consts {
        let mut all = Members::new();
        let mut todo = vec![ty.clone()];
        while let Some(t) = todo.pop() {
            let (m, parents) = interfaces
                .get(&t)
                .unwrap_or_else(|| panic!("declare const {name}: {t}: no interface {t}"));
            for (k, v) in m {
                all.entry(k.clone()).or_insert_with(|| v.clone());
            }
            todo.extend(parents.iter().cloned());
        }
        dts.objects.insert(name, all);
    }
    dts
}

fn check_members(
    what: &str,
    declared: &Members,
    real: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (k, v) in real {
        let Some(len) = v.as_u64() else { continue };
        match declared.get(k) {
            None => problems.push(format!(
                "{what}.{k}({len} params) exists but is not declared"
            )),
            Some(Some(arities)) if !fits(arities, len as usize) => problems.push(format!(
                "{what}.{k} takes {len} parameters; the d.ts declares {arities:?}"
            )),
            _ => {}
        }
    }
    for (k, v) in declared {
        if v.is_some() && !real.contains_key(k) {
            problems.push(format!("{what}.{k}() is declared but does not exist"));
        }
    }
    problems
}

#[tokio::test]
async fn test_req_doc_dts_declares_every_global_with_its_arity() {
    let dts_path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/aiwebengine.d.ts");
    let dts = parse_dts(&std::fs::read_to_string(dts_path).expect("read the d.ts"));
    assert!(
        dts.functions.contains_key("register"),
        "the parser found nothing: {dts:?}"
    );

    let eng = Engine::start().await;
    eng.deploy("probe.js", PROBE).await;
    let r = eng.get("/globals").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let real = r.json();
    let real = real.as_object().expect("an object");

    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, g) in real {
        if STANDARD.contains(&name.as_str()) {
            continue;
        }
        seen.insert(name.clone());
        let kind = g["kind"].as_str().unwrap_or_default();
        let empty = serde_json::Map::new();
        let methods = g["methods"].as_object().unwrap_or(&empty);
        if let Some(arities) = dts.functions.get(name) {
            let len = g["length"].as_u64().unwrap_or(u64::MAX) as usize;
            if kind != "function" {
                problems.push(format!("{name} is declared as a function but is a {kind}"));
            } else if !fits(arities, len) {
                problems.push(format!(
                    "{name} takes {len} parameters; the d.ts declares {arities:?}"
                ));
            }
        } else if let Some(declared) = dts.objects.get(name) {
            if kind != "object" {
                problems.push(format!("{name} is declared as an object but is a {kind}"));
            }
            problems.extend(check_members(name, declared, methods));
        } else if let Some((ctor, protos, statics)) = dts.classes.get(name) {
            let len = g["length"].as_u64().unwrap_or(u64::MAX) as usize;
            if kind != "class" {
                problems.push(format!("{name} is declared as a class but is a {kind}"));
            } else if !fits(ctor, len) {
                problems.push(format!(
                    "new {name}() takes {len} parameters; the d.ts declares {ctor:?}"
                ));
            }
            problems.extend(check_members(&format!("{name}.prototype"), protos, methods));
            let real_statics = g["statics"].as_object().unwrap_or(&empty);
            problems.extend(check_members(name, statics, real_statics));
        } else {
            problems.push(format!("the global {name} ({kind}) is not in the d.ts"));
        }
    }
    let declared = dts
        .functions
        .keys()
        .chain(dts.objects.keys())
        .chain(dts.classes.keys());
    for name in declared {
        if !seen.contains(name) && !STANDARD.contains(&name.as_str()) {
            problems.push(format!("the d.ts declares {name}, which is not a global"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/aiwebengine.d.ts has drifted from the engine ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_parser_reads_functions_objects_interfaces_and_classes() {
    let d = parse_dts(
        "declare function f<A extends unknown[]>(a: Record<string, (x: number) => void>, b?: string, ...r: A): void;\n\
         declare function f(a: string): void;\n\
         interface Base { base(x: number): void }\n\
         interface Api extends Base {\n  /** doc (with parens) */\n  get(key: string): Promise<unknown>;\n  readonly size: number;\n}\n\
         declare const api: Api;\n\
         declare const inline: {\n  log(...args: unknown[]): void;\n  hash(a: string, b: string, c?: string): string;\n};\n\
         interface Body { json(): Promise<unknown> }\n\
         declare class C implements Body, Iterable<string> {\n  constructor(a: string, b?: { x: number });\n  static make(): C;\n  m(x: number): void;\n}\n",
    );
    assert_eq!(d.functions["f"], BTreeSet::from([(1, 1), (1, 2)]));
    let api = &d.objects["api"];
    assert_eq!(api["get"], Some(BTreeSet::from([(1, 1)])));
    assert_eq!(api["base"], Some(BTreeSet::from([(1, 1)])));
    assert_eq!(api["size"], None);
    assert_eq!(d.objects["inline"]["log"], Some(BTreeSet::from([(0, 0)])));
    assert_eq!(d.objects["inline"]["hash"], Some(BTreeSet::from([(2, 3)])));
    let (ctor, m, s) = &d.classes["C"];
    assert_eq!(ctor, &BTreeSet::from([(1, 2)]));
    assert_eq!(m["m"], Some(BTreeSet::from([(1, 1)])));
    assert!(fits(ctor, 1) && fits(ctor, 2) && !fits(ctor, 0) && !fits(ctor, 3));
    assert!(s.contains_key("make") && !m.contains_key("make"));
    assert_eq!(
        m["json"],
        Some(BTreeSet::from([(0, 0)])),
        "from implements Body"
    );
}
