//! Stored values: a structured-clone-like tree, kept as rmp-serde bytes
//! together with its versionstamp and expiry.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a script can store: the structured-clone-able subset of JS values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum KvValue {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    BigInt(i64),
    String(String),
    Bytes(Bin),
    /// Milliseconds since the epoch (a `Date`).
    Date(f64),
    Array(Vec<KvValue>),
    Object(Vec<(String, KvValue)>),
    Map(Vec<(KvValue, KvValue)>),
    Set(Vec<KvValue>),
}

/// Bytes stored as msgpack `bin`, not as an array of numbers.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Bin(pub Vec<u8>);

impl Serialize for Bin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bin, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bin;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bin, E> {
                Ok(Bin(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bin, E> {
                Ok(Bin(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Bin, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = a.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bin(out))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// One row of the `kv` table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    /// rmp-serde bytes of a [`KvValue`]; kept encoded so that the value
    /// size limit is checked on exactly what is stored.
    pub value: Bin,
    pub versionstamp: u64,
    /// Milliseconds since the epoch after which the entry is gone.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl Stored {
    pub fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

pub fn encode_value(v: &KvValue) -> Result<Vec<u8>, super::KvError> {
    rmp_serde::to_vec(v).map_err(|e| super::KvError::Corrupt(e.to_string()))
}

pub fn decode_value(b: &[u8]) -> Result<KvValue, super::KvError> {
    rmp_serde::from_slice(b).map_err(|e| super::KvError::Corrupt(e.to_string()))
}

/// `versionstamp` as Deno prints it: 20 hex digits.
pub fn versionstamp_text(v: u64) -> String {
    versionstamp_ascii(v).to_string()
}

/// [`versionstamp_text`] without an allocation: 16 hex digits and `0000`.
pub fn versionstamp_ascii(v: u64) -> VersionstampText {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; 20];
    for (i, b) in out[..16].iter_mut().enumerate() {
        *b = HEX[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    VersionstampText(out)
}

/// A versionstamp's text, on the stack.
pub struct VersionstampText([u8; 20]);

impl std::ops::Deref for VersionstampText {
    type Target = str;
    fn deref(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

pub fn parse_versionstamp(s: &str) -> Option<u64> {
    if s.len() != 20 || !s.ends_with("0000") {
        return None;
    }
    u64::from_str_radix(&s[..16], 16).ok()
}

impl KvValue {
    /// A JSON view for read-only browsing. Types JSON lacks are tagged:
    /// `{"$bytes": base64}`, `{"$bigint": "12"}`, `{"$date": ms}`,
    /// `{"$map": [[k, v]]}`, `{"$set": [..]}`; undefined shows as null.
    pub fn to_json(&self) -> serde_json::Value {
        use base64::Engine as _;
        use serde_json::{json, Value};
        match self {
            KvValue::Undefined | KvValue::Null => Value::Null,
            KvValue::Bool(b) => json!(b),
            KvValue::Number(n) => number_json(*n),
            KvValue::BigInt(i) => json!({ "$bigint": i.to_string() }),
            KvValue::String(s) => json!(s),
            KvValue::Bytes(b) => {
                json!({ "$bytes": base64::engine::general_purpose::STANDARD.encode(&b.0) })
            }
            KvValue::Date(t) => json!({ "$date": t }),
            KvValue::Array(a) => Value::Array(a.iter().map(KvValue::to_json).collect()),
            KvValue::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            KvValue::Map(m) => json!({
                "$map": m.iter().map(|(k, v)| json!([k.to_json(), v.to_json()])).collect::<Vec<_>>()
            }),
            KvValue::Set(s) => {
                json!({ "$set": s.iter().map(KvValue::to_json).collect::<Vec<_>>() })
            }
        }
    }
}

/// Whole numbers print as integers (`1`, not `1.0`), as in JavaScript.
pub fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        (n as i64).into()
    } else {
        n.into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn versionstamp_text_is_20_hex_digits_and_parses_back() {
        for v in [0u64, 1, 0xab, u64::MAX, 0x0123_4567_89ab_cdef] {
            let t = super::versionstamp_text(v);
            assert_eq!(t, format!("{v:016x}0000"));
            assert_eq!(super::parse_versionstamp(&t), Some(v));
        }
    }

    use super::*;

    #[test]
    fn bytes_round_trip_as_bin() {
        let v = KvValue::Array(vec![
            KvValue::Bytes(Bin(vec![1, 2, 255])),
            KvValue::Object(vec![("a".into(), KvValue::BigInt(-5))]),
        ]);
        let enc = encode_value(&v).unwrap();
        assert_eq!(decode_value(&enc).unwrap(), v);
        assert_eq!(parse_versionstamp(&versionstamp_text(42)), Some(42));
    }
}
