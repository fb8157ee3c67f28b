//! Crash consistency (issue #15): the real binary is killed with SIGKILL
//! at random moments while every durable path is being written (kv `set`,
//! `atomic().sum`, `atomic().check` increments, script saves, asset
//! uploads, user creation). After each kill: `aiwebengine verify` passes on
//! the file, the server starts again, every acknowledged write is there
//! with its value, and nothing unacknowledged is half there (an asset is
//! whole or absent; a saved script answers on its route or is absent).
//!
//! Every other round an online backup (`aiwebengine backup --url`) runs
//! into the kill: it either completes and verifies, or fails and leaves no
//! file under its name.
//!
//! Reproducible: `CRASH_SEED` (default 15) picks the kill moments and the
//! sizes; `CRASH_ROUNDS` (default 20) sets the number of kills.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rand::{Rng, SeedableRng};

const APP: &str = r#"
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });
register("/c/set", async (req) => {
  await kv.set(["set", req.json.k], req.json.v);
  return json({ ok: true });
}, "POST");
register("/c/get", async (req) => json((await kv.get(["set", req.json.k])).value ?? null), "POST");
register("/c/sum", async () => {
  await kv.atomic().sum(["total"], 1).commit();
  return json({ ok: true });
}, "POST");
register("/c/total", async () => json((await kv.get(["total"])).value ?? 0));
register("/c/incr", async () => {
  for (;;) {
    const cur = await kv.get(["counter"]);
    const n = (cur.value ?? 0) + 1;
    const r = await kv.atomic().check(cur).set(["counter"], n).commit();
    if (r.ok) return json({ n });
  }
}, "POST");
register("/c/counter", async () => json((await kv.get(["counter"])).value ?? 0));
"#;

const USER_PASS: &str = "crash-test-password-1";

/// What the writers sent, and what the server acknowledged.
#[derive(Default)]
struct Ledger {
    kv: BTreeMap<u64, u64>,
    sums_acked: u64,
    sums_tried: u64,
    incr_acked: u64,
    incr_tried: u64,
    scripts: BTreeSet<u64>,
    assets: BTreeMap<String, Vec<u8>>,
    /// Every asset body ever sent, acknowledged or not, by path.
    assets_tried: BTreeMap<String, Vec<u8>>,
    users: BTreeSet<String>,
}

type Shared = Arc<Mutex<Ledger>>;

fn script_source(i: u64) -> String {
    format!(
        "register('/crash/s{i}', () => ({{ status: 200, body: 'script {i}' }}));\n// {}\n",
        "x".repeat((i % 7) as usize * 300)
    )
}

fn asset_body(i: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|j| b'a' + ((i as usize * 31 + j * 7) % 26) as u8)
        .collect()
}

/// One writer's loop: `step(i)` until the flag stops it or the server is gone.
async fn writer<F, Fut>(stop: Arc<AtomicBool>, first: u64, mut step: F)
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut i = first;
    while !stop.load(Ordering::Relaxed) {
        if !step(i).await {
            break;
        }
        i += 1;
    }
}

/// Sends and reads the whole answer; Some(status) only when it all arrived.
async fn ack(rb: reqwest::RequestBuilder) -> Option<(u16, Vec<u8>)> {
    let r = rb.send().await.ok()?;
    let status = r.status().as_u16();
    let body = r.bytes().await.ok()?;
    Some((status, body.to_vec()))
}

fn spawn_writers(
    base: &str,
    token: &str,
    round: u64,
    ledger: &Shared,
    stop: &Arc<AtomicBool>,
    rng: &mut rand::rngs::StdRng,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = http_client();
    let mut tasks = Vec::new();
    let first = round * 100_000;
    for lane in 0..2u64 {
        let (c, b, l) = (client.clone(), base.to_string(), ledger.clone());
        let first = first + lane * 50_000;
        tasks.push(tokio::spawn(writer(stop.clone(), first, move |i| {
            let (c, b, l) = (c.clone(), b.clone(), l.clone());
            async move {
                let v = i * 3 + 1;
                let rb = c
                    .post(format!("{b}/c/set"))
                    .json(&serde_json::json!({"k": i, "v": v}));
                match ack(rb).await {
                    Some((200, _)) => {
                        l.lock().unwrap().kv.insert(i, v);
                        true
                    }
                    _ => false,
                }
            }
        })));
    }
    let (c, b, l) = (client.clone(), base.to_string(), ledger.clone());
    tasks.push(tokio::spawn(writer(stop.clone(), first, move |_| {
        let (c, b, l) = (c.clone(), b.clone(), l.clone());
        async move {
            l.lock().unwrap().sums_tried += 1;
            match ack(c.post(format!("{b}/c/sum"))).await {
                Some((200, _)) => {
                    l.lock().unwrap().sums_acked += 1;
                    true
                }
                _ => false,
            }
        }
    })));
    let (c, b, l) = (client.clone(), base.to_string(), ledger.clone());
    tasks.push(tokio::spawn(writer(stop.clone(), first, move |_| {
        let (c, b, l) = (c.clone(), b.clone(), l.clone());
        async move {
            l.lock().unwrap().incr_tried += 1;
            match ack(c.post(format!("{b}/c/incr"))).await {
                Some((200, body)) => {
                    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    let n = v["n"].as_u64().expect("incr answers n");
                    let mut l = l.lock().unwrap();
                    l.incr_acked = l.incr_acked.max(n);
                    true
                }
                _ => false,
            }
        }
    })));
    let (c, b, l, t) = (
        client.clone(),
        base.to_string(),
        ledger.clone(),
        token.to_string(),
    );
    tasks.push(tokio::spawn(writer(stop.clone(), first, move |i| {
        let (c, b, l, t) = (c.clone(), b.clone(), l.clone(), t.clone());
        async move {
            let rb = c
                .put(format!("{b}/engine/api/scripts/crash-{i}.js"))
                .bearer_auth(&t)
                .body(script_source(i));
            match ack(rb).await {
                Some((200 | 201, _)) => {
                    l.lock().unwrap().scripts.insert(i);
                    true
                }
                _ => false,
            }
        }
    })));
    let sizes: Vec<usize> = (0..64).map(|_| rng.random_range(1_000..300_000)).collect();
    let (c, b, l, t) = (
        client.clone(),
        base.to_string(),
        ledger.clone(),
        token.to_string(),
    );
    tasks.push(tokio::spawn(writer(stop.clone(), first, move |i| {
        let (c, b, l, t) = (c.clone(), b.clone(), l.clone(), t.clone());
        let len = sizes[(i % 64) as usize];
        async move {
            let path = format!("crash/a{i}.txt");
            let body = asset_body(i, len);
            l.lock()
                .unwrap()
                .assets_tried
                .insert(path.clone(), body.clone());
            let rb = c
                .put(format!("{b}/engine/api/assets/{path}"))
                .bearer_auth(&t)
                .header("content-type", "text/plain")
                .body(body.clone());
            match ack(rb).await {
                Some((200 | 201, _)) => {
                    l.lock().unwrap().assets.insert(path, body);
                    true
                }
                Some((status, body)) => {
                    eprintln!("asset {path}: {status} {}", String::from_utf8_lossy(&body));
                    false
                }
                None => false,
            }
        }
    })));
    let (c, b, l, t) = (client, base.to_string(), ledger.clone(), token.to_string());
    tasks.push(tokio::spawn(writer(stop.clone(), first, move |i| {
        let (c, b, l, t) = (c.clone(), b.clone(), l.clone(), t.clone());
        async move {
            let email = format!("u{i}@crash.test");
            let body = serde_json::json!({"email": email, "password": USER_PASS, "name": "c", "role": "authenticated"});
            let rb = c.post(format!("{b}/engine/api/users")).bearer_auth(&t).json(&body);
            match ack(rb).await {
                Some((201, _)) => {
                    l.lock().unwrap().users.insert(email);
                    true
                }
                _ => false,
            }
        }
    })));
    tasks
}

/// Everything acknowledged so far is there; nothing is half there.
async fn check(eng: &Engine, ledger: &Ledger, round: u64) {
    let at = |what: &str| format!("round {round}: {what}");
    for (k, v) in &ledger.kv {
        let r = send(eng.req("POST", "/c/get").json(&serde_json::json!({"k": k}))).await;
        assert_eq!(
            r.json(),
            serde_json::json!(v),
            "{}",
            at(&format!("kv key {k}"))
        );
    }
    let total = eng.get("/c/total").await.json().as_u64().expect("total");
    assert!(
        ledger.sums_acked <= total && total <= ledger.sums_tried,
        "{}",
        at(&format!(
            "sum total {total} not within acked {} ..= tried {}",
            ledger.sums_acked, ledger.sums_tried
        ))
    );
    let counter = eng
        .get("/c/counter")
        .await
        .json()
        .as_u64()
        .expect("counter");
    assert!(
        ledger.incr_acked <= counter && counter <= ledger.incr_tried,
        "{}",
        at(&format!(
            "counter {counter} not within acked {} ..= tried {}",
            ledger.incr_acked, ledger.incr_tried
        ))
    );
    let list = eng.api("GET", "/engine/api/scripts", None).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let stored: BTreeSet<u64> = list.json()["scripts"]
        .as_array()
        .expect("scripts")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .filter_map(|n| n.strip_prefix("crash-")?.strip_suffix(".js")?.parse().ok())
        .collect();
    for i in &ledger.scripts {
        assert!(
            stored.contains(i),
            "{}",
            at(&format!("acknowledged script crash-{i}.js is missing"))
        );
    }
    for i in &stored {
        let r = eng.get(&format!("/crash/s{i}")).await;
        assert_eq!(
            (r.status, r.text()),
            (200, format!("script {i}")),
            "{}",
            at(&format!(
                "stored script crash-{i}.js does not serve its route"
            ))
        );
    }
    let list = eng
        .api("GET", "/engine/api/assets?prefix=crash/", None)
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    let paths: BTreeSet<String> = list.json()["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .filter_map(|a| a["path"].as_str().map(str::to_string))
        .collect();
    for p in ledger.assets.keys() {
        assert!(
            paths.contains(p),
            "{}",
            at(&format!("acknowledged asset {p} is missing"))
        );
    }
    for p in &paths {
        let want = ledger
            .assets_tried
            .get(p)
            .expect("only the writers make crash/ assets");
        let got = eng.get(&format!("/{p}")).await;
        assert_eq!(
            got.status,
            200,
            "{}",
            at(&format!("listed asset {p} does not serve"))
        );
        assert!(
            got.body == *want,
            "{}",
            at(&format!(
                "asset {p} is not whole: {} of {} bytes",
                got.body.len(),
                want.len()
            ))
        );
    }
    let users = eng.api("GET", "/engine/api/users", None).await;
    assert_eq!(users.status, 200, "{}", users.text());
    let emails: BTreeSet<String> = users.json()["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["email"].as_str().map(str::to_string))
        .collect();
    for e in &ledger.users {
        assert!(
            emails.contains(e),
            "{}",
            at(&format!("acknowledged user {e} is missing"))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_req_data_004_kill_9_loses_no_acknowledged_write() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let rounds: u64 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    eprintln!("crash test: CRASH_SEED={seed} CRASH_ROUNDS={rounds}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut eng = Engine::start().await;
    eng.deploy("crash_app.js", APP).await;
    let ledger: Shared = Arc::default();
    let (mut backups_done, mut backups_failed) = (0, 0);
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = spawn_writers(
            &eng.server.base,
            &eng.token,
            round,
            &ledger,
            &stop,
            &mut rng,
        );
        let kill_after = rng.random_range(50..700);
        // Every other round an online backup runs into the kill.
        let backup = if round % 2 == 1 {
            let lead = rng.random_range(0..kill_after);
            tokio::time::sleep(Duration::from_millis(kill_after - lead)).await;
            let out = eng.dir.dir().join(format!("backup-{round}.redb"));
            let mut cmd = cli();
            cmd.args(["backup", "--url", &eng.server.base, "--token", &eng.token])
                .arg(&out)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let child = cmd.spawn().expect("spawn aiwebengine backup");
            tokio::time::sleep(Duration::from_millis(lead)).await;
            Some((child, out))
        } else {
            tokio::time::sleep(Duration::from_millis(kill_after)).await;
            None
        };
        eng.server.signal("KILL");
        eng.server.stop_after_signal();
        if let Some((child, out)) = backup {
            let done = child.wait_with_output().expect("backup exits");
            let path = out.to_str().expect("utf-8 path").to_string();
            if done.status.success() {
                backups_done += 1;
                let v = run_cli(&["verify", &path]);
                assert!(
                    v.status.success(),
                    "round {round}: a backup that reported success does not verify: {}{}",
                    v.stdout,
                    v.stderr
                );
            } else {
                backups_failed += 1;
                assert!(
                    !out.exists(),
                    "round {round}: a failed backup left a file under its final name ({})",
                    String::from_utf8_lossy(&done.stderr)
                );
            }
        }
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("writer task");
        }
        let data = eng.dir.data.to_str().expect("utf-8 path").to_string();
        let out = run_cli(&["verify", &data]);
        assert!(
            out.status.success(),
            "round {round} (CRASH_SEED={seed}): verify failed after kill -9\nstdout: {}\nstderr: {}",
            out.stdout,
            out.stderr
        );
        eng.server = Server::start(&eng.dir.data, &eng.opts);
        let l = std::mem::take(&mut *ledger.lock().unwrap());
        check(&eng, &l, round).await;
        *ledger.lock().unwrap() = l;
    }
    let l = ledger.lock().unwrap();
    eprintln!(
        "crash test: {rounds} kills survived; checked {} kv keys, {} sums, counter {}, {} scripts, {} assets, {} users; backups into a kill: {backups_done} completed and verified, {backups_failed} failed cleanly",
        l.kv.len(),
        l.sums_acked,
        l.incr_acked,
        l.scripts.len(),
        l.assets.len(),
        l.users.len()
    );
    assert!(
        !l.kv.is_empty()
            && l.sums_acked > 0
            && !l.scripts.is_empty()
            && !l.assets.is_empty()
            && !l.users.is_empty(),
        "every kind of write was acknowledged at least once"
    );
}
