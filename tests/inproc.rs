//! The in-process harness itself: the engine runs inside the test process
//! (no binary spawned), two engines side by side share nothing, and a stop
//! is graceful (an in-flight request finishes, the data file is released).

mod common;

use common::*;

const ASYNC: &str = include_str!("test_scripts/async.js");

#[tokio::test]
async fn two_engines_in_one_process_share_nothing() {
    let (a, b) = tokio::join!(InEngine::start(), InEngine::start());
    assert_ne!(a.server.addr, b.server.addr);
    a.deploy("who.js", "register('/who', () => 'a');").await;
    b.deploy("who.js", "register('/who', () => 'b');").await;
    assert_eq!(a.get("/who").await.text(), "a");
    assert_eq!(b.get("/who").await.text(), "b");
    a.deploy("only-a.js", "register('/only-a', () => 'a');")
        .await;
    assert_eq!(a.get("/only-a").await.status, 200);
    assert_eq!(b.get("/only-a").await.status, 404);
    // The other engine's token means nothing here: separate signing keys.
    let r = send(b.req("GET", "/engine/api/scripts").bearer_auth(&a.token)).await;
    assert_eq!(r.status, 401, "{}", r.text());
}

#[tokio::test]
async fn stop_is_graceful_and_releases_the_data_file() {
    let mut eng = InEngine::start().await;
    eng.deploy("async.js", ASYNC).await;
    let slow = tokio::spawn(send(eng.req("GET", "/slow")));
    eng.wait_log("async.js", |e| msg(e) == "slow started").await;
    eng.server.stop().await.expect("clean stop");
    assert_eq!(
        slow.await.unwrap().text(),
        "slow",
        "in-flight request finished"
    );
    let refused = eng.req("GET", "/fast").send().await;
    assert!(refused.is_err(), "no new connections after stop");
    // The file is closed: a new engine opens it, with the script kept.
    let mut again = InProc::start(&eng.dir.data, &Opts::default()).await;
    assert_eq!(again.get("/fast").await.text(), "fast");
    again.stop().await.expect("clean stop");
}
