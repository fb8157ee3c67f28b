//! The kv data API (issue 6 §1 and §6), black-box through HTTP: atomic
//! check-and-retry under concurrency, value types, ordering, paging,
//! limits, namespaces, restart and expiry.

mod common;

use common::*;

const APP: &str = include_str!("test_scripts/kv_app.js");
const OTHER: &str = include_str!("test_scripts/kv_other.js");

async fn kv_engine(opts: Opts) -> Engine {
    let eng = Engine::start_with(opts).await;
    eng.deploy("kv_app.js", APP).await;
    eng
}

async fn post_json(eng: &Engine, path: &str, body: Value) -> Resp {
    send(eng.req("POST", path).json(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_data_003_atomic_check_race_32_increments() {
    let eng = kv_engine(Opts::default()).await;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        tasks.push(tokio::spawn(send(eng.req("POST", "/kv/incr"))));
    }
    let mut seen = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        seen.push(r.json()["n"].as_u64().unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=32).collect::<Vec<u64>>(),
        "each increment saw its own value"
    );
    assert_eq!(eng.get("/kv/counter").await.json(), json!(32));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_data_003_sum_is_atomic() {
    let eng = kv_engine(Opts::default()).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| tokio::spawn(send(eng.req("POST", "/kv/hits"))))
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().status, 200);
    }
    let r = send(eng.req("POST", "/kv/hits")).await;
    assert_eq!(r.json(), json!(21));
}

#[tokio::test]
async fn test_req_data_003_values_round_trip_with_their_types() {
    let eng = kv_engine(Opts::default()).await;
    let r = eng.get("/kv/types").await;
    assert_eq!(r.status, 200, "{}", r.text());
    for (field, ok) in r.json().as_object().unwrap() {
        assert_eq!(ok, &json!(true), "{field} did not round-trip: {}", r.text());
    }
}

#[tokio::test]
async fn test_req_data_003_get_set_delete_and_versionstamps() {
    let eng = kv_engine(Opts::default()).await;
    let missing = post_json(&eng, "/kv/get", json!({"key": ["nope"]}))
        .await
        .json();
    assert_eq!(
        missing,
        json!({"key": ["nope"], "value": null, "versionstamp": null})
    );
    let a = post_json(&eng, "/kv/put", json!({"key": ["a", 1], "value": {"x": 1}}))
        .await
        .json();
    assert_eq!(a["ok"], json!(true));
    let vs = a["versionstamp"].as_str().unwrap().to_string();
    assert_eq!(vs.len(), 20, "versionstamps are 20 hex digits: {vs}");
    let got = post_json(&eng, "/kv/get", json!({"key": ["a", 1]}))
        .await
        .json();
    assert_eq!(
        got,
        json!({"key": ["a", 1], "value": {"x": 1}, "versionstamp": vs})
    );
    let b = post_json(&eng, "/kv/put", json!({"key": ["a", 1], "value": 2}))
        .await
        .json();
    assert!(
        b["versionstamp"].as_str().unwrap() > vs.as_str(),
        "versionstamps grow"
    );
    let after = post_json(&eng, "/kv/delete", json!({"key": ["a", 1]}))
        .await
        .json();
    assert_eq!(after, Value::Null);
    let many = eng.get("/kv/many").await.json();
    assert_eq!(
        many,
        json!([
            [["m", 1], "one", "string"],
            [["m", 2], null, "object"],
            [["m", 3], "three", "string"]
        ])
    );
}

#[tokio::test]
async fn test_req_data_003_failed_check_writes_nothing() {
    let eng = kv_engine(Opts::default()).await;
    let r = eng.get("/kv/check-fails").await.json();
    assert_eq!(
        r,
        json!({"ok": false, "versionstamp": null, "first": true, "cf": "a", "other": null, "absentOk": true})
    );
}

#[tokio::test]
async fn test_req_data_003_keys_order_part_by_part() {
    let eng = kv_engine(Opts::default()).await;
    let r = eng.get("/kv/order").await;
    assert_eq!(
        r.json(),
        json!([
            ["u8:1"],
            ["a"],
            ["a", 1],
            ["b"],
            [-1],
            [2],
            ["10n"],
            [false],
            [true]
        ]),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn test_req_data_003_list_pages_with_a_cursor() {
    let eng = kv_engine(Opts::default()).await;
    let r = eng.get("/kv/page?n=25").await.json();
    let want: Vec<Vec<u64>> = vec![(0..10).collect(), (10..20).collect(), (20..25).collect()];
    assert_eq!(r["pages"], json!(want));
    assert_eq!(r["range"], json!(["v3", "v4", "v5"]));
    assert_eq!(r["clipped"], json!(25));
    let rev = eng.get("/kv/page?n=25&reverse=1").await.json();
    let want: Vec<Vec<u64>> = vec![
        (15..25).rev().collect(),
        (5..15).rev().collect(),
        (0..5).rev().collect(),
    ];
    assert_eq!(rev["pages"], json!(want));
}

#[tokio::test]
async fn test_req_data_003_limits_and_bad_arguments_are_clear_errors() {
    let eng = kv_engine(Opts::default()).await;
    let cases = [
        ("big-value", "RangeError", "max_value_bytes"),
        ("big-key", "RangeError", "max_key_bytes"),
        ("too-many", "RangeError", "max_atomic_keys"),
        ("bad-key", "TypeError", "array of parts"),
        ("bad-part", "TypeError", "key part 0"),
        ("function", "TypeError", "cannot be cloned or stored"),
        ("sum-string", "Error", "sum(key, n)"),
        ("open", "TypeError", "[kv] shared = [\"not-granted\"]"),
    ];
    for (case, name, text) in cases {
        let r = eng.get(&format!("/kv/error?case={case}")).await;
        let v = r.json();
        assert_eq!(v["name"], json!(name), "{case}: {}", r.text());
        let m = v["message"].as_str().unwrap_or("");
        assert!(m.contains(text), "{case}: {m:?} should mention {text:?}");
    }
}

#[tokio::test]
async fn test_req_data_003_namespaces_are_per_script_and_shared_by_grant() {
    let eng = kv_engine(Opts::config("[kv]\nshared = [\"common\"]\n")).await;
    eng.deploy("kv_other.js", OTHER).await;
    assert_eq!(send(eng.req("POST", "/kv/incr")).await.status, 200);
    let r = send(eng.req("POST", "/kv/shared").body("hello")).await;
    assert_eq!(r.text(), "stored");
    let own = eng.get("/kv/shared").await.json();
    assert_eq!(own, json!({"shared": "hello", "own": null}));
    let other = eng.get("/other/read").await.json();
    assert_eq!(
        other,
        json!({"counter": null, "shared": "hello"}),
        "own keys are private"
    );
}

#[tokio::test]
async fn test_req_data_003_data_survives_a_restart() {
    let mut eng = kv_engine(Opts::default()).await;
    for _ in 0..3 {
        assert_eq!(send(eng.req("POST", "/kv/incr")).await.status, 200);
    }
    post_json(
        &eng,
        "/kv/put",
        json!({"key": ["persist"], "value": {"kept": [1, 2]}}),
    )
    .await;
    eng.restart();
    assert_eq!(eng.get("/kv/counter").await.json(), json!(3));
    let got = post_json(&eng, "/kv/get", json!({"key": ["persist"]}))
        .await
        .json();
    assert_eq!(got["value"], json!({"kept": [1, 2]}));
    assert_eq!(
        send(eng.req("POST", "/kv/incr")).await.json()["n"],
        json!(4)
    );
}

#[tokio::test]
async fn test_req_data_003_expired_keys_are_gone() {
    let eng = kv_engine(Opts::config("[kv]\nsweep_interval_ms = 100\n")).await;
    let body = json!({"key": ["tmp"], "value": "soon gone", "expireIn": 300});
    assert_eq!(
        post_json(&eng, "/kv/put", body).await.json()["ok"],
        json!(true)
    );
    post_json(&eng, "/kv/put", json!({"key": ["keep"], "value": 1})).await;
    let now = post_json(&eng, "/kv/get", json!({"key": ["tmp"]}))
        .await
        .json();
    assert_eq!(now["value"], json!("soon gone"));
    eventually("the expired key to read as missing", || async {
        let v = post_json(&eng, "/kv/get", json!({"key": ["tmp"]}))
            .await
            .json();
        v["value"].is_null().then_some(())
    })
    .await;
    let keep = post_json(&eng, "/kv/get", json!({"key": ["keep"]}))
        .await
        .json();
    assert_eq!(keep["value"], json!(1));
}

#[tokio::test]
async fn test_req_data_003_admin_api_browses_a_scripts_keys() {
    let eng = kv_engine(Opts::default()).await;
    for i in 0..3 {
        let body = json!({"key": ["b", i], "value": {"n": i}});
        post_json(&eng, "/kv/put", body).await;
    }
    eng.get("/kv/types").await;
    let path = "/engine/api/scripts/kv_app.js/kv?prefix=%5B%22b%22%5D&limit=2";
    let r = eng.api("GET", path, None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let keys: Vec<Value> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].clone())
        .collect();
    assert_eq!(keys, vec![json!(["b", 0]), json!(["b", 1])]);
    assert_eq!(v["entries"][1]["value"], json!({"n": 1}));
    let cursor = v["cursor"].as_str().unwrap();
    let next = format!("{path}&cursor={cursor}");
    let v = eng.api("GET", &next, None).await.json();
    assert_eq!(v["entries"][0]["key"], json!(["b", 2]));
    let all = eng
        .api("GET", "/engine/api/scripts/kv_app.js/kv", None)
        .await
        .json();
    let types = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == json!(["types"]));
    let types = &types.expect("the types entry is listed")["value"];
    assert_eq!(types["big"], json!({"$bigint": "12345678901234"}));
    assert_eq!(types["bytes"], json!({"$bytes": "AAH/"}));
    let anonymous = eng.get("/engine/api/scripts/kv_app.js/kv").await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
}

/// The first ```js block after `Example (`NAME`)` in docs/javascript-apis.md.
fn doc_example(name: &str) -> String {
    let doc = include_str!("../docs/javascript-apis.md");
    let at = doc
        .find(&format!("Example (`{name}`)"))
        .unwrap_or_else(|| panic!("no example {name} in the docs"));
    let rest = &doc[at..];
    let start = rest.find("```js\n").expect("a js block") + 6;
    let end = rest[start..].find("```").expect("block end");
    rest[start..start + end].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_req_data_003_documented_examples_run() {
    let eng = Engine::start().await;
    eng.deploy("shortener.js", &doc_example("shortener.js"))
        .await;
    eng.deploy("utils.js", &doc_example("utils.js")).await;
    let link = json!({"id": "gh", "url": "https://github.com"});
    assert_eq!(post_json(&eng, "/links", link.clone()).await.status, 201);
    assert_eq!(post_json(&eng, "/links", link).await.status, 409);
    let go = eng.get("/go/gh").await;
    assert_eq!(
        (go.status, go.header("location").as_deref()),
        (302, Some("https://github.com"))
    );
    assert_eq!(eng.get("/stats").await.json(), json!({"gh": 1}));
    let visits: Vec<_> = (0..8)
        .map(|_| tokio::spawn(send(eng.req("POST", "/visits"))))
        .collect();
    let mut seen: Vec<u32> = Vec::new();
    for v in visits {
        seen.push(v.await.unwrap().text().parse().unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=8).collect::<Vec<_>>());

    let token = eng.get("/sign?user=ann").await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = send(eng.req("GET", "/verify").query(&[("token", &token)])).await;
    assert_eq!(r.json()["user"], "ann", "{}", r.text());
    let tampered = format!("x{token}");
    let r = send(eng.req("GET", "/verify").query(&[("token", &tampered)])).await;
    assert_ne!(r.status, 200);
    let q = [("name", "<b>you</b>"), ("next", "x\";alert(1)//")];
    let page = send(eng.req("GET", "/page").query(&q)).await.text();
    assert!(page.contains("Hello &lt;b&gt;you&lt;/b&gt;"), "{page}");
    assert!(
        page.contains(r#"const next = "/app/x%22;alert(1)//";"#),
        "{page}"
    );
}

#[tokio::test]
async fn test_req_data_003_seeded_shortener_example_runs() {
    let eng = Engine::start().await;
    let path = "/engine/api/scripts/example-shortener.js";
    let r = eng.api("PATCH", path, Some(json!({"enabled": true}))).await;
    assert!(r.status < 300, "{}", r.text());
    let link = json!({"id": "gh", "url": "https://github.com"});
    let r = post_json(&eng, "/examples/links", link.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(post_json(&eng, "/examples/links", link).await.status, 409);
    let bad = json!({"id": "x", "url": "javascript:alert(1)"});
    assert_eq!(post_json(&eng, "/examples/links", bad).await.status, 400);
    for _ in 0..2 {
        let go = eng.get("/examples/go/gh").await;
        assert_eq!(go.status, 302);
    }
    let list = eng.get("/examples/links").await.json();
    assert_eq!(list[0]["id"], "gh");
    assert_eq!(list[0]["clicks"], 2);
}

#[tokio::test]
async fn test_req_data_003_online_backup_carries_kv_data() {
    let eng = kv_engine(Opts::default()).await;
    let body = json!({"key": ["later"], "value": "v", "expireIn": 3_600_000});
    assert_eq!(
        post_json(&eng, "/kv/put", body).await.json()["ok"],
        json!(true)
    );
    let r = eng.api("GET", "/engine/api/backup", None).await;
    assert_eq!(r.status, 200, "backup: {}", r.text());
    let copy = DataDir::new();
    std::fs::write(&copy.data, &r.body).expect("write backup");
    let server = Server::start(&copy.data, &Opts::default());
    let got = send(
        server
            .req("POST", "/kv/get")
            .json(&json!({"key": ["later"]})),
    )
    .await;
    assert_eq!(got.json()["value"], json!("v"), "{}", got.text());
}

/// Object keys with a NUL character survive `kv.set`/`kv.get` and
/// `structuredClone` whole (they were cut at the NUL: `{"a\0b": 1}` was
/// stored as `{"a": 1}`; found by the js_value fuzz target, issue 15).
#[tokio::test]
async fn test_req_data_003_keys_with_nul_characters_are_stored_whole() {
    let eng = Engine::start().await;
    eng.deploy(
        "nul.js",
        r#"register("/nul", async () => {
  const v = { "a\u0000b": 1, "a\u0000c": { "\u0000": 2 } };
  await kv.set(["nul"], v);
  const got = (await kv.get(["nul"])).value;
  return { body: { stored: Object.keys(got), inner: Object.keys(got["a\u0000c"]), cloned: Object.keys(structuredClone(v)) } };
});"#,
    )
    .await;
    let r = eng.get("/nul").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"stored": ["a\u{0}b", "a\u{0}c"], "inner": ["\u{0}"], "cloned": ["a\u{0}b", "a\u{0}c"]})
    );
}
