//! Web-standard utilities (issue 6 §3, §6) against published vectors:
//! FIPS 180 SHA examples, RFC 4231 HMAC, RFC 4648 base64, WHATWG URL.

mod common;

use common::*;

const SCRIPT: &str = include_str!("test_scripts/kv_utils.js");

async fn utils_engine() -> Engine {
    let eng = Engine::start().await;
    eng.deploy("kv_utils.js", SCRIPT).await;
    eng
}

async fn get_json(eng: &Engine, path: &str) -> Value {
    let r = eng.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

#[tokio::test]
async fn test_req_jsapi_006_utilities_match_known_vectors() {
    let eng = utils_engine().await;

    let h = get_json(&eng, "/utils/hash").await;
    assert_eq!(h["sha1_abc"], "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        h["sha256_abc"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        h["sha256_empty"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(h["sha384_abc"], "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    assert_eq!(h["sha512_abc"], "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    assert_eq!(
        h["sha256_448"],
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    assert_eq!(
        h["sha256_b64"],
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
    assert_eq!(h["sha256_bytes"], true);

    let m = get_json(&eng, "/utils/hmac").await;
    assert_eq!(
        m["tc1_256"],
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    assert_eq!(m["tc1_384"], "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6");
    assert_eq!(m["tc1_512"], "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    assert_eq!(
        m["tc2_256"],
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        m["tc6_256"],
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    assert_eq!(m["tc2_sha1"], "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    assert_eq!(
        (&m["safe_eq"], &m["safe_ne"], &m["safe_len"]),
        (&json!(true), &json!(false), &json!(false))
    );

    let b = get_json(&eng, "/utils/base64").await;
    assert_eq!(
        b["rfc4648"],
        json!(["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"])
    );
    assert_eq!(
        b["back"],
        json!(["", "f", "fo", "foo", "foob", "fooba", "foobar"])
    );
    assert_eq!(b["latin1"], "//4=");
    assert_eq!(
        b["errors"],
        json!(["no error", "InvalidCharacterError", "InvalidCharacterError"])
    );

    let t = get_json(&eng, "/utils/text").await;
    assert_eq!(t["hex"], "e282ac2061c3a920f09f9880");
    assert_eq!(t["back"], "€ aé 😀");
    assert_eq!(t["lossy"], "a\u{fffd}b");
    assert_eq!(t["bom"], "a");
    assert_eq!(t["fatal"], "TypeError");
    assert_eq!(t["encodeInto"], json!({"read": 2, "written": 4}));
    assert_eq!(t["encoding"], "utf-8");
}

#[tokio::test]
async fn test_req_jsapi_006_url_follows_whatwg_examples() {
    let eng = utils_engine().await;
    let u = get_json(&eng, "/utils/url").await;
    assert_eq!(
        u["parts"],
        json!({
            "href": "https://user:pa%20ss@example.com/a/c?x=1&y=2#frag",
            "origin": "https://example.com",
            "protocol": "https:",
            "username": "user",
            "password": "pa%20ss",
            "host": "example.com",
            "hostname": "example.com",
            "port": "",
            "pathname": "/a/c",
            "search": "?x=1&y=2",
            "hash": "#frag",
        })
    );
    assert_eq!(u["rel"], "http://example.org/a/d?q#h");
    assert_eq!(u["idn"], "xn--mnchen-3ya.de");
    assert_eq!(u["ipv4"], "127.0.0.1");
    assert_eq!(u["ipv6"], "[::1]");
    assert_eq!(u["bad"], json!(["TypeError", "TypeError", "TypeError"]));
    assert_eq!(
        u["mutated"],
        "http://example.com:8080/new%20path?a=1&b=x+y#h"
    );
    assert_eq!(u["sp"], "a=1&a=3&c=+d+e&z=%C3%A9%26");
    assert_eq!(u["spAll"], json!(["1", "3"]));
    assert_eq!(u["spGet"], " d e");
    assert_eq!(u["spHas"], false);
    assert_eq!(u["size"], 4);
    assert_eq!(u["fromObj"], "q=a+b&n=1");
    assert_eq!(u["canParse"], json!([true, false]));
}

#[tokio::test]
async fn test_req_jsapi_006_clone_random_escapes_and_dates() {
    let eng = utils_engine().await;
    let m = get_json(&eng, "/utils/misc").await;
    assert_eq!(m["order"], json!(["sync", "micro"]));
    assert_eq!(m["cloneDeep"], true);
    assert_eq!(m["cloneErr"], "TypeError");
    assert_eq!(
        m["protoKept"], true,
        "a \"__proto__\" key is copied as data"
    );
    assert_eq!(
        (&m["uuid"], &m["uuidsDiffer"], &m["random"]),
        (&json!(true), &json!(true), &json!(true))
    );
    assert_eq!(
        m["escapeHtml"],
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(m["escapeJs"], "\\u0022\\u003c/script\\u003e\\u000a\\u0027");
    assert_eq!(m["escapeUrl"], "a%20b%26c%2F%C3%A9");

    let d = get_json(&eng, "/utils/date").await;
    assert_eq!(d["rfc3339"], "1994-11-06T08:49:37.005Z");
    assert_eq!(d["rfc3339_offset"], "1994-11-06T14:19:37.005+05:30");
    assert_eq!(d["rfc7231"], "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(d["pattern"], "Sunday 6 November 94, 12:49 AM at -0800");
    assert_eq!(d["fromNumber"], "1970-01-01 00:00:00.000");
    let err = d["zoneErr"].as_str().unwrap_or("");
    assert!(
        err.starts_with("RangeError") && err.contains("fixed offset"),
        "{err}"
    );
}

/// The utilities load on first use; names a script defines itself win.
#[tokio::test]
async fn test_req_jsapi_006_scripts_may_shadow_utility_names() {
    let eng = Engine::start().await;
    let src = r#"
var formatDate = "mine";
function escapeUrl(s) { return "custom:" + s; }
register("/shadow", async () => {
  await kv.get(["x"]);
  return JSON.stringify([formatDate, escapeUrl("a"), typeof URL, typeof crypto.hash]);
});
"#;
    eng.deploy("shadow.js", src).await;
    let r = eng.get("/shadow").await;
    assert_eq!(
        r.json(),
        json!(["mine", "custom:a", "function", "function"]),
        "{}",
        r.text()
    );
}
