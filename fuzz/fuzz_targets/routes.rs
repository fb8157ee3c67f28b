//! The route table against a naive model: for any set of registered
//! routes and any request, `RouteTable::lookup` finds the same route with
//! the same parameters, or the same 405 method list, or nothing, as a
//! straightforward matcher written here from docs/javascript-apis.md
//! (literal segments first, then fewer parameters, wildcards last; `*` takes
//! the rest of the path, percent-decoded; a parameter needs a non-empty
//! segment; HEAD falls back to GET).
#![no_main]

use std::sync::Arc;

use aiwebengine::scripts::routes::{LoadedScript, Lookup, Pattern, RouteSpec, RouteTable};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const PATTERN_SEGMENTS: &[&str] = &["a", "b", ":x", "{y}", "*", "", "%41", "A", ".."];
const PATH_SEGMENTS: &[&str] = &["a", "b", "", "%41", "A", "c", "%2F", "%zz", "é"];
const METHODS: &[&str] = &["GET", "POST", "HEAD", "PUT"];

#[derive(Arbitrary, Debug)]
struct Input {
    routes: Vec<(Vec<u8>, u8)>,
    path: Vec<u8>,
    method: u8,
}

fn join(segments: &[u8], from: &[&str]) -> String {
    let mut s = String::new();
    for &i in segments.iter().take(5) {
        s.push('/');
        s.push_str(from[i as usize % from.len()]);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(String),
    Param(String),
    Wild,
}

fn model_segments(path: &str) -> Vec<Seg> {
    path[1..]
        .split('/')
        .map(|p| match p {
            "*" => Seg::Wild,
            _ if p.starts_with(':') => Seg::Param(p[1..].to_string()),
            _ if p.starts_with('{') && p.ends_with('}') => {
                Seg::Param(p[1..p.len() - 1].to_string())
            }
            _ => Seg::Lit(p.to_string()),
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn model_match(segs: &[Seg], path: &str) -> Option<Vec<(String, String)>> {
    let parts: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut params = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        if *seg == Seg::Wild {
            let rest = if i < parts.len() {
                parts[i..].join("/")
            } else {
                String::new()
            };
            params.push(("*".to_string(), decode(&rest)));
            return Some(params);
        }
        let part = parts.get(i)?;
        match seg {
            Seg::Lit(l) if l == part => {}
            Seg::Param(n) if !part.is_empty() => params.push((n.clone(), decode(part))),
            _ => return None,
        }
    }
    (parts.len() == segs.len()).then_some(params)
}

#[derive(Debug, PartialEq)]
enum Answer {
    Found(String, String, Vec<(String, String)>),
    NotAllowed(Vec<String>),
    NotFound,
}

fn model_lookup(routes: &[RouteSpec], method: &str, path: &str) -> Answer {
    let parsed: Vec<(usize, Vec<Seg>)> = routes
        .iter()
        .enumerate()
        .filter(|(_, r)| Pattern::parse(&r.path).is_ok())
        .map(|(i, r)| (i, model_segments(&r.path)))
        .collect();
    let is_static = |s: &[Seg]| s.iter().all(|x| matches!(x, Seg::Lit(_)));
    let statics: Vec<usize> = parsed
        .iter()
        .filter(|(i, s)| is_static(s) && routes[*i].path == path)
        .map(|(i, _)| *i)
        .collect();
    let mut dynamic: Vec<(usize, &Vec<Seg>)> = parsed
        .iter()
        .filter(|(_, s)| !is_static(s))
        .map(|(i, s)| (*i, s))
        .collect();
    // Fewer wildcards first, then fewer parameters; ties keep their order.
    dynamic.sort_by_key(|(_, s)| {
        let wild = usize::from(s.last() == Some(&Seg::Wild));
        let params = s.iter().filter(|x| matches!(x, Seg::Param(_))).count();
        (wild, params)
    });
    let segs_of = |i: usize| model_segments(&routes[i].path);
    let mut allowed: Vec<String> = Vec::new();
    let pick = |candidates: Vec<usize>, allowed: &mut Vec<String>| {
        let mut head = None;
        for i in candidates {
            let Some(params) = model_match(&segs_of(i), path) else {
                continue;
            };
            let r = &routes[i];
            if r.method == method {
                return Some(Answer::Found(r.method.clone(), r.path.clone(), params));
            }
            if method == "HEAD" && r.method == "GET" && head.is_none() {
                head = Some(Answer::Found(r.method.clone(), r.path.clone(), params));
            }
            allowed.push(r.method.clone());
        }
        head
    };
    if let Some(a) = pick(statics, &mut allowed) {
        return a;
    }
    if allowed.is_empty() {
        if let Some(a) = pick(dynamic.iter().map(|(i, _)| *i).collect(), &mut allowed) {
            return a;
        }
    }
    if allowed.is_empty() {
        return Answer::NotFound;
    }
    if allowed.iter().any(|m| m == "GET") && !allowed.iter().any(|m| m == "HEAD") {
        allowed.push("HEAD".into());
    }
    allowed.sort();
    allowed.dedup();
    Answer::NotAllowed(allowed)
}

fuzz_target!(|input: Input| {
    let specs: Vec<RouteSpec> = input
        .routes
        .iter()
        .take(8)
        .map(|(segs, m)| RouteSpec {
            method: METHODS[*m as usize % METHODS.len()].to_string(),
            path: join(segs, PATTERN_SEGMENTS),
            max_body_bytes: None,
            stream: false,
        })
        .collect();
    let script = Arc::new(LoadedScript::new("fuzz.js".into(), 1, "".into()));
    let table = RouteTable::build(&[(script, specs.clone())]);
    let path = join(&input.path, PATH_SEGMENTS);
    let method = METHODS[input.method as usize % METHODS.len()];
    let got = match table.lookup(method, &path) {
        Lookup::Found { route, params } => {
            Answer::Found(route.spec.method.clone(), route.spec.path.clone(), params)
        }
        Lookup::MethodNotAllowed(m) => {
            Answer::NotAllowed(m.iter().map(|s| s.to_string()).collect())
        }
        Lookup::NotFound => Answer::NotFound,
    };
    let want = model_lookup(&specs, method, &path);
    assert_eq!(got, want, "{method} {path} against {specs:?}");
});
