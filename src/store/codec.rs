//! rmp-serde values inside a versioned envelope, so fields can be added later.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::StoreError;

/// Current envelope version. Readers accept any version up to this one;
/// new fields must be `#[serde(default)]` so older rows still decode.
const ENVELOPE_VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u16,
    data: T,
}

#[derive(Serialize)]
struct EnvelopeRef<'a, T> {
    v: u16,
    data: &'a T,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    rmp_serde::to_vec_named(&EnvelopeRef {
        v: ENVELOPE_VERSION,
        data: value,
    })
    .map_err(|e| StoreError::Codec(e.to_string()))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    let env: Envelope<T> =
        rmp_serde::from_slice(bytes).map_err(|e| StoreError::Codec(e.to_string()))?;
    if env.v > ENVELOPE_VERSION {
        return Err(StoreError::Codec(format!(
            "value written by a newer engine (envelope v{})",
            env.v
        )));
    }
    Ok(env.data)
}
