//! Keys: arrays of parts, encoded so that byte order is key order.
//!
//! Each part is a type tag followed by a self-delimiting payload, as in the
//! FoundationDB tuple layer (and Deno KV). Parts of different types order
//! by tag: bytes < string < number < bigint < false < true, which is the
//! order Deno KV documents.

use super::KvError;

const BYTES: u8 = 0x01;
const STRING: u8 = 0x02;
const NUMBER: u8 = 0x21;
const BIGINT: u8 = 0x30;
const FALSE: u8 = 0x40;
const TRUE: u8 = 0x41;

#[derive(Clone, Debug, PartialEq)]
pub enum KeyPart {
    Bytes(Vec<u8>),
    String(String),
    Number(f64),
    /// Bigints are limited to the 64-bit signed range.
    BigInt(i64),
    Bool(bool),
}

impl KeyPart {
    /// A JSON view for browsing: bytes and bigints are tagged as in
    /// [`super::KvValue::to_json`].
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            KeyPart::Bytes(b) => super::KvValue::Bytes(super::value::Bin(b.clone())).to_json(),
            KeyPart::String(s) => s.as_str().into(),
            KeyPart::Number(n) => super::value::number_json(*n),
            KeyPart::BigInt(i) => serde_json::json!({ "$bigint": i.to_string() }),
            KeyPart::Bool(b) => (*b).into(),
        }
    }

    /// A key part from browsing input: strings, numbers and booleans.
    pub fn from_json(v: &serde_json::Value) -> Option<KeyPart> {
        match v {
            serde_json::Value::String(s) => Some(KeyPart::String(s.clone())),
            serde_json::Value::Number(n) => n.as_f64().map(KeyPart::Number),
            serde_json::Value::Bool(b) => Some(KeyPart::Bool(*b)),
            _ => None,
        }
    }
}

/// Encodes a whole key; the empty key encodes to no bytes.
pub fn encode(key: &[KeyPart]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * key.len());
    for part in key {
        encode_part(part, &mut out);
    }
    out
}

fn encode_part(part: &KeyPart, out: &mut Vec<u8>) {
    match part {
        KeyPart::Bytes(b) => escaped(BYTES, b, out),
        KeyPart::String(s) => escaped(STRING, s.as_bytes(), out),
        KeyPart::Number(n) => {
            out.push(NUMBER);
            // -0 and NaN have one encoding each, so equal keys are equal bytes.
            let n = if *n == 0.0 { 0.0 } else { *n };
            let bits = if n.is_nan() {
                f64::NAN.to_bits()
            } else {
                n.to_bits()
            };
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        KeyPart::BigInt(i) => {
            out.push(BIGINT);
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        KeyPart::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
    }
}

/// `0x00` inside the payload becomes `0x00 0xFF`; a lone `0x00` ends it.
fn escaped(tag: u8, bytes: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.push(0);
}

pub fn decode(mut bytes: &[u8]) -> Result<Vec<KeyPart>, KvError> {
    let bad = || KvError::Corrupt("a stored key is not a valid key encoding".into());
    let mut parts = Vec::new();
    while let Some((&tag, rest)) = bytes.split_first() {
        bytes = rest;
        let part = match tag {
            BYTES | STRING => {
                let mut buf = Vec::new();
                loop {
                    let (&b, rest) = bytes.split_first().ok_or_else(bad)?;
                    bytes = rest;
                    if b != 0 {
                        buf.push(b);
                    } else if bytes.first() == Some(&0xFF) {
                        buf.push(0);
                        bytes = &bytes[1..];
                    } else {
                        break;
                    }
                }
                if tag == BYTES {
                    KeyPart::Bytes(buf)
                } else {
                    KeyPart::String(String::from_utf8(buf).map_err(|_| bad())?)
                }
            }
            NUMBER | BIGINT => {
                let raw: [u8; 8] = bytes
                    .get(..8)
                    .ok_or_else(bad)?
                    .try_into()
                    .map_err(|_| bad())?;
                bytes = &bytes[8..];
                let v = u64::from_be_bytes(raw);
                if tag == BIGINT {
                    KeyPart::BigInt((v ^ (1 << 63)) as i64)
                } else if v >> 63 == 1 {
                    KeyPart::Number(f64::from_bits(v & !(1 << 63)))
                } else {
                    KeyPart::Number(f64::from_bits(!v))
                }
            }
            FALSE => KeyPart::Bool(false),
            TRUE => KeyPart::Bool(true),
            _ => return Err(bad()),
        };
        parts.push(part);
    }
    Ok(parts)
}

/// The encoded range of keys strictly below `prefix` (longer keys only).
pub fn prefix_range(prefix: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut start = prefix.to_vec();
    start.push(0x00);
    let mut end = prefix.to_vec();
    end.push(0xFF);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(parts: Vec<KeyPart>) -> Vec<u8> {
        encode(&parts)
    }

    #[test]
    fn order_follows_parts() {
        use KeyPart::*;
        let ordered = vec![
            k(vec![Bytes(vec![])]),
            k(vec![Bytes(vec![0])]),
            k(vec![Bytes(vec![0, 1])]),
            k(vec![Bytes(vec![1])]),
            k(vec![String("".into())]),
            k(vec![String("a".into())]),
            k(vec![String("a".into()), Number(1.0)]),
            k(vec![String("a\0".into())]),
            k(vec![String("b".into())]),
            k(vec![Number(f64::NEG_INFINITY)]),
            k(vec![Number(-2.5)]),
            k(vec![Number(-0.0)]),
            k(vec![Number(1e-300)]),
            k(vec![Number(2.0)]),
            k(vec![Number(10.0)]),
            k(vec![Number(f64::INFINITY)]),
            k(vec![BigInt(i64::MIN)]),
            k(vec![BigInt(-1)]),
            k(vec![BigInt(0)]),
            k(vec![BigInt(i64::MAX)]),
            k(vec![Bool(false)]),
            k(vec![Bool(true)]),
        ];
        for w in ordered.windows(2) {
            assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn round_trips() {
        use KeyPart::*;
        let key = vec![
            Bytes(vec![0, 0xFF, 0]),
            String("ü\0x".into()),
            Number(-3.25),
            BigInt(-7),
            Bool(true),
        ];
        assert_eq!(decode(&encode(&key)).unwrap(), key);
    }
}
