//! kv keys: decoding an encoded key gives it back, and the byte order of
//! encoded keys is the documented key order (a model written here from
//! docs/kv.md: by part type bytes < string < number < bigint < false <
//! true, then by value; a key sorts after its own prefixes).
#![no_main]

use std::cmp::Ordering;

use aiwebengine::kv::key::{decode, encode};
use aiwebengine::kv::KeyPart;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone)]
enum Part {
    Bytes(Vec<u8>),
    String(String),
    Number(f64),
    BigInt(i64),
    Bool(bool),
}

impl Part {
    fn key_part(&self) -> KeyPart {
        match self {
            Part::Bytes(b) => KeyPart::Bytes(b.clone()),
            Part::String(s) => KeyPart::String(s.clone()),
            Part::Number(n) => KeyPart::Number(*n),
            Part::BigInt(i) => KeyPart::BigInt(*i),
            Part::Bool(b) => KeyPart::Bool(*b),
        }
    }
}

fn rank(p: &KeyPart) -> u8 {
    match p {
        KeyPart::Bytes(_) => 0,
        KeyPart::String(_) => 1,
        KeyPart::Number(_) => 2,
        KeyPart::BigInt(_) => 3,
        KeyPart::Bool(false) => 4,
        KeyPart::Bool(true) => 5,
    }
}

/// Numbers: -0 equals 0, NaN (any payload) equals NaN and sorts last.
fn number_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).expect("not NaN"),
    }
}

fn part_cmp(a: &KeyPart, b: &KeyPart) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (KeyPart::Bytes(x), KeyPart::Bytes(y)) => x.cmp(y),
        (KeyPart::String(x), KeyPart::String(y)) => x.cmp(y),
        (KeyPart::Number(x), KeyPart::Number(y)) => number_cmp(*x, *y),
        (KeyPart::BigInt(x), KeyPart::BigInt(y)) => x.cmp(y),
        _ => Ordering::Equal,
    })
}

fn key_cmp(a: &[KeyPart], b: &[KeyPart]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = part_cmp(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn same(a: &[KeyPart], b: &[KeyPart]) -> bool {
    a.len() == b.len() && key_cmp(a, b) == Ordering::Equal
}

fuzz_target!(|input: (Vec<Part>, Vec<Part>, Vec<u8>)| {
    let (a, b, raw) = input;
    let a: Vec<KeyPart> = a.iter().map(Part::key_part).collect();
    let b: Vec<KeyPart> = b.iter().map(Part::key_part).collect();
    let (ea, eb) = (encode(&a), encode(&b));
    let da = decode(&ea).expect("an encoded key decodes");
    assert!(same(&da, &a), "round trip: {a:?} -> {da:?}");
    assert_eq!(
        ea.cmp(&eb),
        key_cmp(&a, &b),
        "byte order differs from key order for {a:?} and {b:?}"
    );
    // Arbitrary bytes: an error or a key that encodes back to a key equal
    // to it (never a panic).
    if let Ok(k) = decode(&raw) {
        let again = decode(&encode(&k)).expect("re-encoded key decodes");
        assert!(same(&k, &again), "{k:?} -> {again:?}");
    }
});
