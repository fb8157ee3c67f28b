//! Stored kv values (MessagePack): arbitrary bytes either fail to decode
//! with an error or decode to a value that survives encode -> decode
//! unchanged; never a panic, never an unbounded allocation.
#![no_main]

use aiwebengine::kv::value::{decode_value, encode_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = decode_value(data) else {
        return;
    };
    let bytes = encode_value(&v).expect("a decoded value encodes");
    let again = decode_value(&bytes).expect("an encoded value decodes");
    // NaN != NaN: compare the encodings, which are canonical.
    assert_eq!(
        encode_value(&again).expect("encodes"),
        bytes,
        "{v:?} changed in a round trip"
    );
});
