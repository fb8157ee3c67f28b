//! The store against a model, with crashes (issue 15), as redb's own
//! `fuzz_redb` does: random kv commits (puts of small and multi-page
//! values, removes, expiries, batches) through the engine's kv adapter
//! (`store::kv`, the code the server runs) over a simulated disk
//! (`store::sim`) that may crash in the middle of any commit, or between
//! commits, keeping any subset of the writes not yet synced. After each
//! crash the store must open again; every acknowledged commit must be
//! there, and a commit cut by the crash is either whole or absent. After
//! every step the stored rows equal a `BTreeMap` model, and the expiry
//! index agrees with them (a sweep removes exactly the expiring rows).
#![no_main]

use std::collections::BTreeMap;

use aiwebengine::domain::StorageError;
use aiwebengine::kv::value::Bin;
use aiwebengine::kv::{KvRepo, KvWrite, Stored};
use aiwebengine::store::kv::RedbKvRepo;
use aiwebengine::store::sim::{Keep, SimDisk};
use aiwebengine::store::{Opener, Store};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const NS: &str = "script:fuzz.js";

#[derive(Arbitrary, Debug)]
enum Op {
    /// One commit of up to a few mutations.
    Commit(Vec<Mutation>),
    /// Crash after `after` backend operations of the next commit.
    CrashDuring { after: u8, keep: u64, then: Vec<Mutation> },
    /// Crash between commits.
    Crash { keep: u64 },
    /// A clean close and open.
    Reopen,
    /// Remove every row with an expiry (all are due at the end of time).
    Sweep,
}

#[derive(Arbitrary, Debug, Clone)]
enum Mutation {
    Put { key: u8, len: u8, byte: u8, expires: bool },
    Remove { key: u8 },
}

/// Row value, versionstamp, expiry.
type Row = (Vec<u8>, u64, Option<i64>);

#[derive(Clone, PartialEq, Debug, Default)]
struct Model {
    rows: BTreeMap<Vec<u8>, Row>,
    stamp: u64,
}

fn key(k: u8) -> Vec<u8> {
    // Keys sharing prefixes, so the order of encoded keys matters.
    vec![b'k', k % 4, k]
}

fn value(len: u8, byte: u8) -> Vec<u8> {
    // Up to about 16 KB: values that span several pages.
    vec![byte; len as usize * 64]
}

impl Model {
    fn apply(&mut self, muts: &[Mutation]) {
        self.stamp += 1;
        for m in muts {
            match m {
                Mutation::Put { key: k, len, byte, expires } => {
                    let exp = expires.then_some(1_000 + *k as i64);
                    self.rows.insert(key(*k), (value(*len, *byte), self.stamp, exp));
                }
                Mutation::Remove { key: k } => {
                    self.rows.remove(&key(*k));
                }
            }
        }
    }
}

fn commit(repo: &RedbKvRepo, muts: &[Mutation]) -> Result<(), StorageError> {
    repo.write(&mut |w: &mut dyn KvWrite| {
        let stamp = w.versionstamp()? + 1;
        for m in muts {
            match m {
                Mutation::Put { key: k, len, byte, expires } => {
                    let row = Stored {
                        value: Bin(value(*len, *byte)),
                        versionstamp: stamp,
                        expires_at: expires.then_some(1_000 + *k as i64),
                    };
                    w.put(NS, &key(*k), &row)?;
                }
                Mutation::Remove { key: k } => w.remove(NS, &key(*k))?,
            }
        }
        w.set_versionstamp(stamp)
    })
}

/// Everything stored, as the model holds it.
fn read(repo: &RedbKvRepo) -> Model {
    let mut rows = BTreeMap::new();
    repo.scan(NS, (&[][..], &[0xff][..]), false, &mut |k, s| {
        rows.insert(k.to_vec(), (s.value.0, s.versionstamp, s.expires_at));
        true
    })
    .expect("a scan of a healthy store");
    let stamp = {
        let mut stamp = 0;
        repo.write(&mut |w: &mut dyn KvWrite| {
            stamp = w.versionstamp()?;
            Err(StorageError::io("read only: roll back"))
        })
        .expect_err("rolled back");
        stamp
    };
    Model { rows, stamp }
}

fn open(disk: &SimDisk) -> RedbKvRepo {
    let d = disk.clone();
    let opener: Opener = Box::new(move || {
        redb::Builder::new()
            .set_cache_size(64 * 1024)
            .create_with_backend(d.backend())
    });
    let store = Store::open_on("fuzz.redb", opener, &|_| Ok(()))
        .expect("the store opens after any crash");
    RedbKvRepo::new(store)
}

fuzz_target!(|ops: Vec<Op>| {
    if ops.len() > 64 {
        return;
    }
    let disk = SimDisk::new();
    let mut repo = open(&disk);
    let mut model = Model::default();
    for op in &ops {
        match op {
            Op::Commit(muts) => {
                let muts = &muts[..muts.len().min(8)];
                commit(&repo, muts).expect("a commit on a healthy disk");
                model.apply(muts);
            }
            Op::CrashDuring { after, keep, then } => {
                let muts = &then[..then.len().min(8)];
                let before = model.clone();
                let mut after_model = model.clone();
                after_model.apply(muts);
                let crashes = disk.crashes();
                disk.crash_after(*after as u64 % 32, Keep(*keep));
                let acked = commit(&repo, muts).is_ok();
                disk.disarm();
                if disk.crashes() == crashes {
                    disk.crash(Keep(*keep));
                }
                drop(repo);
                repo = open(&disk);
                let found = read(&repo);
                if acked {
                    assert_eq!(found, after_model, "an acknowledged commit was lost");
                } else {
                    assert!(
                        found == before || found == after_model,
                        "a commit cut by a crash is neither whole nor absent"
                    );
                }
                model = found;
            }
            Op::Crash { keep } => {
                disk.crash(Keep(*keep));
                drop(repo);
                repo = open(&disk);
            }
            Op::Reopen => {
                drop(repo);
                repo = open(&disk);
            }
            Op::Sweep => {
                repo.sweep_expired(i64::MAX, 10_000).expect("a sweep");
                model.rows.retain(|_, (_, _, exp)| exp.is_none());
            }
        }
        assert_eq!(read(&repo), model, "after {op:?}");
    }
});
