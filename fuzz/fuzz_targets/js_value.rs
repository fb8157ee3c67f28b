//! JS values stored in kv (structured clone, MessagePack) against a model:
//! a value tree is written as a JS expression, evaluated in QuickJS and
//! stored as `kv.set` does; the stored value must equal the model's value
//! for the tree (JS's own rules included: integer keys first, `Date` time
//! clipping, `Map`/`Set` keys by SameValueZero), and reading it back into
//! JS and storing it again must give the same bytes.
#![no_main]

use std::cell::RefCell;

use aiwebengine::fuzzing::JsValues;
use aiwebengine::kv::value::encode_value;
use aiwebengine::kv::KvValue;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Key {
    Str(String),
    Num(f64),
}

#[derive(Arbitrary, Debug)]
enum Tree {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    BigInt(i64),
    Str(String),
    Bytes(Vec<u8>),
    Date(f64),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
    Map(Vec<(Key, Tree)>),
    Set(Vec<Key>),
}

fn num(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "(-Infinity)".into()
        }
    } else if n == 0.0 && n.is_sign_negative() {
        "(-0)".into()
    } else {
        format!("({n})")
    }
}

fn string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn key_js(k: &Key) -> String {
    match k {
        Key::Str(s) => string(s),
        Key::Num(n) => num(*n),
    }
}

fn js(t: &Tree, depth: usize) -> String {
    if depth > 8 {
        return "null".into();
    }
    match t {
        Tree::Undefined => "undefined".into(),
        Tree::Null => "null".into(),
        Tree::Bool(b) => b.to_string(),
        Tree::Num(n) => num(*n),
        Tree::BigInt(i) => format!("({i}n)"),
        Tree::Str(s) => string(s),
        Tree::Bytes(b) => format!("new Uint8Array({:?})", b),
        Tree::Date(t) => format!("new Date({})", num(*t)),
        Tree::Array(items) => {
            let parts: Vec<String> = items.iter().map(|x| js(x, depth + 1)).collect();
            format!("[{}]", parts.join(", "))
        }
        Tree::Object(fields) => {
            // Computed keys: an own "__proto__" property, never the prototype.
            let parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("[{}]: {}", string(k), js(v, depth + 1)))
                .collect();
            format!("({{{}}})", parts.join(", "))
        }
        Tree::Map(pairs) => {
            let parts: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("[{}, {}]", key_js(k), js(v, depth + 1)))
                .collect();
            format!("new Map([{}])", parts.join(", "))
        }
        Tree::Set(items) => {
            let parts: Vec<String> = items.iter().map(key_js).collect();
            format!("new Set([{}])", parts.join(", "))
        }
    }
}

/// An array index as JS orders own keys: a canonical integer below 2^32 - 1.
fn index_of(k: &str) -> Option<u32> {
    let n: u32 = k.parse().ok()?;
    (n != u32::MAX && n.to_string() == k).then_some(n)
}

/// ECMAScript TimeClip.
fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > 8.64e15 {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

/// JavaScript has one NaN: QuickJS stores the canonical one, whatever
/// bits the tree's NaN had.
fn canon(n: f64) -> f64 {
    if n.is_nan() {
        f64::NAN
    } else {
        n
    }
}

fn key_value(k: &Key) -> KvValue {
    match k {
        Key::Str(s) => KvValue::String(s.clone()),
        // A Map or Set stores -0 as +0.
        Key::Num(n) => KvValue::Number(if *n == 0.0 { 0.0 } else { canon(*n) }),
    }
}

/// SameValueZero for the keys the tree can hold.
fn same_key(a: &KvValue, b: &KvValue) -> bool {
    match (a, b) {
        (KvValue::Number(x), KvValue::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (KvValue::String(x), KvValue::String(y)) => x == y,
        _ => false,
    }
}

fn model(t: &Tree, depth: usize) -> KvValue {
    if depth > 8 {
        return KvValue::Null;
    }
    match t {
        Tree::Undefined => KvValue::Undefined,
        Tree::Null => KvValue::Null,
        Tree::Bool(b) => KvValue::Bool(*b),
        Tree::Num(n) => KvValue::Number(canon(*n)),
        Tree::BigInt(i) => KvValue::BigInt(*i),
        Tree::Str(s) => KvValue::String(s.clone()),
        Tree::Bytes(b) => KvValue::Bytes(aiwebengine::kv::value::Bin(b.clone())),
        Tree::Date(t) => KvValue::Date(time_clip(*t)),
        Tree::Array(items) => KvValue::Array(items.iter().map(|x| model(x, depth + 1)).collect()),
        Tree::Object(fields) => {
            // Later duplicates replace the value in the first one's place;
            // integer keys come first, ascending, then the rest in order.
            let mut out: Vec<(String, KvValue)> = Vec::new();
            for (k, v) in fields {
                let v = model(v, depth + 1);
                match out.iter_mut().find(|(x, _)| x == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k.clone(), v)),
                }
            }
            let (mut ints, strs): (Vec<_>, Vec<_>) =
                out.into_iter().partition(|(k, _)| index_of(k).is_some());
            ints.sort_by_key(|(k, _)| index_of(k));
            ints.extend(strs);
            KvValue::Object(ints)
        }
        Tree::Map(pairs) => {
            let mut out: Vec<(KvValue, KvValue)> = Vec::new();
            for (k, v) in pairs {
                let (k, v) = (key_value(k), model(v, depth + 1));
                match out.iter_mut().find(|(x, _)| same_key(x, &k)) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            KvValue::Map(out)
        }
        Tree::Set(items) => {
            let mut out: Vec<KvValue> = Vec::new();
            for k in items.iter().map(key_value) {
                if !out.iter().any(|x| same_key(x, &k)) {
                    out.push(k);
                }
            }
            KvValue::Set(out)
        }
    }
}

thread_local! {
    static JS: RefCell<Option<JsValues>> = const { RefCell::new(None) };
}

fuzz_target!(|tree: Tree| {
    let expr = js(&tree, 0);
    let expected = encode_value(&model(&tree, 0)).expect("the model encodes");
    JS.with(|cell| {
        let mut cell = cell.borrow_mut();
        let js = cell.get_or_insert_with(|| JsValues::new().expect("a QuickJS context"));
        match js.store(&expr) {
            Ok(Some(stored)) => {
                assert_eq!(
                    stored.first, expected,
                    "{expr} was stored unlike the model {tree:?}"
                );
                assert_eq!(
                    stored.again, stored.first,
                    "{expr} changed when read back and stored again"
                );
            }
            // Refused values: only past the nesting limit, which the tree never reaches.
            Ok(None) => panic!("{expr} was refused"),
            Err(e) => panic!("{e}"),
        }
    });
});
