//! The script service over in-memory fakes of its ports (`fake.rs`): no
//! redb, no JS.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::fake::{repo, FakeRepo, FakeRuntime};
use super::{CatalogCell, NoHook, SaveAuthors, ScriptDeps, ScriptError, ScriptService};
use crate::domain::StorageErrorKind;
use crate::events::Streams;

fn service(repo: &Arc<FakeRepo>) -> ScriptService {
    ScriptService::open(ScriptDeps {
        repo: repo.clone(),
        runtime: Arc::new(FakeRuntime),
        streams: Streams::start(&tokio::runtime::Handle::current()),
        hook: Arc::new(NoHook),
        assets: Box::new(|_: &dyn Fn(&str) -> bool| None),
        catalog: CatalogCell::default(),
        authors: SaveAuthors::default(),
        max_script_bytes: 1024,
    })
    .expect("open")
}

/// The script serving `GET path`, with its version.
fn serving(s: &ScriptService, path: &str) -> Option<(String, u64)> {
    let catalog = s.catalog();
    let owner = catalog.table.owner_of("GET", path)?;
    let entry = catalog.entries.get(owner)?;
    Some((owner.to_string(), entry.script.version))
}

#[tokio::test]
async fn a_save_stores_record_and_version_and_serves_its_routes() {
    let repo = repo();
    let s = service(&repo);
    let first = s
        .save("a.js", "GET /a".into(), "ann@x", true)
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.record.version, 1);
    assert_eq!(first.record.owner.as_deref(), Some("ann@x"));
    let second = s
        .save("a.js", "GET /b".into(), "bob@x", false)
        .await
        .unwrap();
    assert!(!second.created);
    assert_eq!(second.record.version, 2);
    assert_eq!(second.record.owner.as_deref(), Some("ann@x"), "owner kept");
    assert_eq!(serving(&s, "/b"), Some(("a.js".into(), 2)));
    assert_eq!(serving(&s, "/a"), None);
    let (rec, ver) = s.get("a.js").await.unwrap();
    assert_eq!((rec.version, ver.source.as_str()), (2, "GET /b"));
    assert_eq!(repo.snapshot().versions.len(), 2);
    // A new service over the same data serves what was stored.
    assert_eq!(serving(&service(&repo), "/b"), Some(("a.js".into(), 2)));
}

#[tokio::test]
async fn a_route_another_script_serves_is_refused_and_nothing_is_stored() {
    let repo = repo();
    let s = service(&repo);
    s.save("a.js", "GET /x".into(), "ann@x", true)
        .await
        .unwrap();
    let err = s.save("b.js", "GET /x".into(), "bob@x", true).await;
    assert!(
        matches!(&err, Err(ScriptError::Conflict { owner, .. }) if owner == "a.js"),
        "{:?}",
        err.err()
    );
    assert!(!repo.snapshot().records.contains_key("b.js"));
    assert_eq!(serving(&s, "/x"), Some(("a.js".into(), 1)));
}

#[tokio::test]
async fn of_two_first_saves_one_creates_and_the_other_is_refused() {
    let repo = repo();
    let s = service(&repo);
    let (a, b) = tokio::join!(
        s.save("a.js", "GET /a".into(), "ann@x", true),
        s.save("a.js", "GET /b".into(), "bob@x", true),
    );
    let (won, lost) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        (a, b) => panic!("one save must win: {:?} {:?}", a.is_ok(), b.is_ok()),
    };
    assert!(won.created);
    assert!(matches!(lost, ScriptError::Exists(n) if n == "a.js"));
    let data = repo.snapshot();
    assert_eq!(data.versions.len(), 1);
    assert_eq!(data.records["a.js"].owner, won.record.owner);
}

#[tokio::test]
async fn a_rename_moves_versions_and_log_and_serves_the_same_routes() {
    let repo = repo();
    let s = service(&repo);
    s.save("a.js", "GET /a".into(), "ann@x", true)
        .await
        .unwrap();
    s.save("a.js", "GET /a\nGET /b".into(), "ann@x", false)
        .await
        .unwrap();
    s.save("c.js", "GET /c".into(), "ann@x", true)
        .await
        .unwrap();
    repo.data
        .lock()
        .unwrap()
        .logs
        .insert("a.js".into(), vec!["hi".into()]);
    let rec = s.rename("a.js", "b.js").await.unwrap();
    assert_eq!((rec.name.as_str(), rec.version), ("b.js", 2));
    assert_eq!(serving(&s, "/b"), Some(("b.js".into(), 2)));
    assert!(!s.catalog().entries.contains_key("a.js"));
    let data = repo.snapshot();
    assert_eq!(s.versions("b.js").await.unwrap().len(), 2);
    assert!(data.versions.keys().all(|(n, _)| n != "a.js"));
    assert_eq!(data.logs["b.js"], ["hi"]);
    assert!(matches!(
        s.rename("b.js", "c.js").await,
        Err(ScriptError::NameTaken(n)) if n == "c.js"
    ));
    assert!(matches!(
        s.rename("gone.js", "d.js").await,
        Err(ScriptError::NotFound(n)) if n == "gone.js"
    ));
    assert!(matches!(
        s.rename("b.js", "../x").await,
        Err(ScriptError::InvalidName(_))
    ));
}

#[tokio::test]
async fn a_delete_drops_record_versions_and_log_and_stops_serving() {
    let repo = repo();
    let s = service(&repo);
    s.save("a.js", "GET /a".into(), "ann@x", true)
        .await
        .unwrap();
    s.save("a.js", "GET /a".into(), "ann@x", false)
        .await
        .unwrap();
    repo.data
        .lock()
        .unwrap()
        .logs
        .insert("a.js".into(), vec!["hi".into()]);
    s.delete("a.js").await.unwrap();
    assert_eq!(serving(&s, "/a"), None);
    let data = repo.snapshot();
    assert!(data.records.is_empty() && data.versions.is_empty() && data.logs.is_empty());
    assert!(matches!(
        s.delete("a.js").await,
        Err(ScriptError::NotFound(_))
    ));
    assert!(matches!(s.get("a.js").await, Err(ScriptError::NotFound(_))));
    // The route is free again.
    s.save("b.js", "GET /a".into(), "bob@x", true)
        .await
        .unwrap();
}

#[tokio::test]
async fn versions_are_listed_and_a_restore_saves_an_old_source_as_new() {
    let repo = repo();
    let s = service(&repo);
    s.save("a.js", "GET /one".into(), "ann@x", true)
        .await
        .unwrap();
    s.save("a.js", "GET /two".into(), "bob@x", false)
        .await
        .unwrap();
    let list = s.versions("a.js").await.unwrap();
    let seen: Vec<_> = list.iter().map(|(n, v)| (*n, v.author.as_str())).collect();
    assert_eq!(seen, [(1, "ann@x"), (2, "bob@x")]);
    let out = s.restore("a.js", 1, "cy@x").await.unwrap();
    assert_eq!(out.record.version, 3);
    assert_eq!(serving(&s, "/one"), Some(("a.js".into(), 3)));
    let (_, ver) = s.get("a.js").await.unwrap();
    assert_eq!(
        (ver.source.as_str(), ver.author.as_str()),
        ("GET /one", "cy@x")
    );
    assert!(matches!(
        s.restore("a.js", 9, "cy@x").await,
        Err(ScriptError::VersionNotFound { version: 9, .. })
    ));
    assert!(matches!(
        s.versions("b.js").await,
        Err(ScriptError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_source_that_does_not_load_keeps_the_old_version() {
    let repo = repo();
    let s = service(&repo);
    s.save("a.js", "GET /a".into(), "ann@x", true)
        .await
        .unwrap();
    let err = s.save("a.js", "GET /b\nthrow".into(), "ann@x", false).await;
    assert!(matches!(&err, Err(ScriptError::Load(l)) if l.line == Some(2)));
    assert_eq!(serving(&s, "/a"), Some(("a.js".into(), 1)));
    assert_eq!(serving(&s, "/b"), None);
    assert_eq!(repo.snapshot().versions.len(), 1);
}

#[tokio::test]
async fn a_failed_commit_changes_neither_the_data_nor_the_catalog() {
    let repo = repo();
    let s = service(&repo);
    s.save("a.js", "GET /a".into(), "ann@x", true)
        .await
        .unwrap();
    repo.failing.store(true, Ordering::SeqCst);
    let err = s.save("a.js", "GET /b".into(), "ann@x", false).await;
    assert!(
        matches!(&err, Err(ScriptError::Store(e)) if e.kind() == StorageErrorKind::Full),
        "{:?}",
        err.err()
    );
    assert!(matches!(
        s.set_enabled("a.js", false).await,
        Err(ScriptError::Store(_))
    ));
    assert_eq!(serving(&s, "/a"), Some(("a.js".into(), 1)));
    repo.failing.store(false, Ordering::SeqCst);
    assert_eq!(repo.snapshot().records["a.js"].version, 1);
    let rec = s.set_enabled("a.js", false).await.unwrap();
    assert!(!rec.enabled);
    assert_eq!(serving(&s, "/a"), None);
}
