//! The redb auth adapter against a real data file.

use super::*;
use crate::auth::Role;

/// A script record with a field the auth adapter knows nothing of.
#[derive(Serialize, serde::Deserialize, Default)]
struct Script {
    name: String,
    body: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    grants: Vec<crate::domain::ScriptGrant>,
}

impl ScriptAclRecord for Script {
    fn access(&self) -> ScriptAccess {
        ScriptAccess {
            name: self.name.clone(),
            owner: self.owner.clone(),
            grants: self.grants.clone(),
            ..ScriptAccess::default()
        }
    }
    fn set_access(&mut self, a: &ScriptAccess) {
        self.owner = a.owner.clone();
        self.grants = a.grants.clone();
    }
}

fn repo() -> (tempfile::TempDir, RedbAuthRepo<Script>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap();
    (dir, RedbAuthRepo::new(store))
}

fn user(id: &str) -> User {
    User {
        id: id.into(),
        email: format!("{id}@example.com"),
        name: id.into(),
        password_hash: String::new(),
        role: Role::Admin,
        disabled: false,
        created_at: 0,
        last_login: None,
        provider: "password".into(),
    }
}

fn users(repo: &dyn AuthRepo) -> Vec<String> {
    let mut ids = Vec::new();
    repo.read(&mut |r| {
        ids = r.users()?.into_iter().map(|u| u.id).collect();
        Ok(())
    })
    .unwrap();
    ids
}

#[test]
fn a_failed_body_writes_nothing() {
    let (_dir, repo) = repo();
    let r = repo.write(&mut |tx| {
        tx.put_user(&user("a"))?;
        Err(StorageError::io("stop"))
    });
    assert_eq!(r.unwrap_err().message(), "stop");
    assert!(users(&repo).is_empty());
    repo.write(&mut |tx| tx.put_user(&user("b"))).unwrap();
    assert_eq!(users(&repo), ["b"]);
}

#[test]
fn tables_added_after_format_1_read_as_empty() {
    let (_dir, repo) = repo();
    repo.read(&mut |r| {
        assert!(r.permissions()?.is_empty() && r.api_tokens()?.is_empty());
        assert!(r.api_token("x")?.is_none() && r.permission("x")?.is_none());
        assert!(r.totp("x")?.is_none() && r.totps()?.is_empty());
        Ok(())
    })
    .unwrap();
    assert!(repo.audit_page(10, None).unwrap().is_empty());
}

#[test]
fn script_access_is_edited_in_place() {
    let (_dir, repo) = repo();
    let s = Script {
        name: "app".into(),
        body: "export default 1".into(),
        ..Script::default()
    };
    repo.store
        .write(|txn| {
            let mut t = txn.open_table(tables::SCRIPTS)?;
            t.insert("app", encode(&s)?.as_slice())?;
            Ok(())
        })
        .unwrap();
    let mut a = ScriptAccess {
        name: "app".into(),
        owner: Some("ops".into()),
        ..ScriptAccess::default()
    };
    repo.write(&mut |tx| {
        assert!(tx.put_script_access(&a)?);
        Ok(())
    })
    .unwrap();
    a.name = "missing".into();
    repo.write(&mut |tx| {
        assert!(!tx.put_script_access(&a)?);
        Ok(())
    })
    .unwrap();
    let stored: Script = repo
        .store
        .read(|txn| get_value(&txn.open_table(tables::SCRIPTS)?, "app"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.body.as_str(), stored.owner.as_deref()),
        ("export default 1", Some("ops"))
    );
}

#[test]
fn audit_entries_are_numbered_and_trimmed() {
    let (_dir, repo) = repo();
    for action in ["a", "b", "c"] {
        let e = AuditEntry {
            id: 0,
            time: 0,
            user: String::new(),
            action: action.into(),
            target: String::new(),
            result: "ok".into(),
        };
        repo.append_audit(e, 2).unwrap();
    }
    let page = repo.audit_page(10, None).unwrap();
    let got: Vec<_> = page.iter().map(|e| (e.id, e.action.as_str())).collect();
    assert_eq!(got, [(3, "c"), (2, "b")]);
    assert_eq!(repo.audit_page(10, Some(3)).unwrap().len(), 1);
}
