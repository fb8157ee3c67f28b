//! The kv read cache (issue #14, `kv.get` near route speed), black-box
//! through HTTP: whatever the cache holds, a read never returns less than
//! a write already acknowledged, and data a rename moves is read where it
//! now lives. The same checks pass with the cache off.

mod common;

use common::*;

/// Each request commits a new value to one of four hot keys and reads it
/// back, along with the other three; the cache must never hand back a row
/// older than the one just committed.
const HOT: &str = r#"
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });
register("/hot/write-read", async (req) => {
  const i = Number(req.query.i);
  const key = ["hot", i % 4];
  const w = await kv.set(key, i);
  const [mine, ...others] = await kv.getMany([key, ["hot", (i + 1) % 4], ["hot", (i + 2) % 4], ["cold", i]]);
  const again = await kv.get(key);
  return json({ wrote: w.versionstamp, read: mine.versionstamp, again: again.versionstamp,
                others: others.map((e) => e.versionstamp) });
}, "POST");
register("/hot/read", async (req) => json(await kv.get(["hot", Number(req.query.k)])));
register("/hot/set", async (req) => json(await kv.set(["hot", Number(req.query.k)], Number(req.query.v))), "POST");
"#;

async fn write_read_race(config: &str) {
    let eng = Engine::start_with(Opts::config(config)).await;
    eng.deploy("hot.js", HOT).await;
    // Per key: the newest acknowledged write (versionstamp, value).
    let mut last: Vec<(String, u64)> = vec![(String::new(), 0); 4];
    for round in 0..4 {
        let tasks: Vec<_> = (0..48)
            .map(|i| {
                let i = round * 48 + i;
                let r = send(eng.req("POST", &format!("/hot/write-read?i={i}")));
                tokio::spawn(async move { (i, r.await) })
            })
            .collect();
        for t in tasks {
            let (i, r) = t.await.unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
            let v = r.json();
            let wrote = v["wrote"].as_str().unwrap().to_string();
            let newest = &mut last[(i % 4) as usize];
            if wrote > newest.0 {
                *newest = (wrote.clone(), i);
            }
            // Versionstamps are fixed-width hex: text order is commit order.
            for field in ["read", "again"] {
                let read = v[field].as_str().unwrap_or_default();
                assert!(
                    read >= wrote.as_str(),
                    "{field} read an older row than the write acknowledged before it: {v}"
                );
            }
            assert_eq!(v["others"][2], Value::Null, "a never-written key: {v}");
        }
        // Quiet between rounds: every reader sees the newest write of each
        // key (and the rows are now cached for the next round to change).
        for _ in 0..2 {
            for (k, (stamp, value)) in last.iter().enumerate() {
                let r = eng.get(&format!("/hot/read?k={k}")).await.json();
                assert_eq!(r["value"], json!(value), "key {k}: {r}");
                assert_eq!(r["versionstamp"], json!(stamp), "key {k}: {r}");
            }
        }
        // One write after the reads: the next read sees it.
        let v = 1000 + round;
        let w = send(eng.req("POST", &format!("/hot/set?k=0&v={v}")))
            .await
            .json();
        let r = eng.get("/hot/read?k=0").await.json();
        assert_eq!(
            r["value"],
            json!(v),
            "a read after an acknowledged write: {r}"
        );
        assert_eq!(r["versionstamp"], w["versionstamp"], "{r}");
        last[0] = (w["versionstamp"].as_str().unwrap().to_string(), v);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_data_003_cached_reads_never_miss_an_acknowledged_write() {
    write_read_race("").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_data_003_reads_are_the_same_with_the_cache_off() {
    write_read_race("[kv]\ncache_bytes = 0\n").await;
}

const NOTE: &str = r#"
const note = async (req) => {
  if (req.method === "POST") await kv.set(["note"], req.query.v);
  return { status: 200, body: String((await kv.get(["note"])).value ?? "none") };
};
register("/note", note, "GET");
register("/note", note, "POST");
"#;

async fn note(eng: &Engine, method: &str, v: &str) -> String {
    note_at(eng, "/note", method, v).await
}

async fn note_at(eng: &Engine, path: &str, method: &str, v: &str) -> String {
    let r = send(eng.req(method, &format!("{path}?v={v}"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[tokio::test]
async fn test_req_data_003_a_renamed_scripts_data_is_read_where_it_moved() {
    let eng = Engine::start().await;
    // b.js reads (and so caches) its own note, then is deleted; its data
    // stays in the file.
    eng.deploy("b.js", NOTE).await;
    assert_eq!(note(&eng, "POST", "old-b").await, "old-b");
    assert_eq!(note(&eng, "GET", "").await, "old-b");
    let r = eng.api("DELETE", "/engine/api/scripts/b.js", None).await;
    assert!(r.status == 200 || r.status == 204, "{}", r.text());
    // a.js writes its note and is renamed to b.js: its rows move over b's.
    eng.deploy("a.js", NOTE).await;
    assert_eq!(note(&eng, "POST", "from-a").await, "from-a");
    let r = eng
        .api(
            "POST",
            "/engine/api/scripts/a.js/rename",
            Some(json!({ "name": "b.js" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        note(&eng, "GET", "").await,
        "from-a",
        "b.js reads what moved"
    );
    // A new a.js starts with no data: nothing of the old one is cached.
    eng.deploy("b.js", &NOTE.replace("/note", "/b-note")).await;
    assert_eq!(note_at(&eng, "/b-note", "GET", "").await, "from-a");
    eng.deploy("a.js", NOTE).await;
    assert_eq!(note(&eng, "GET", "").await, "none");
}
