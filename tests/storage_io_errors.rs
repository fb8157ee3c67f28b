//! I/O errors and crashes under the store (issue #15, faults of the
//! storage), on a simulated disk (`store::sim`, a redb storage backend):
//! the kv service scripts use runs over a disk that fails writes, fails
//! reads, or loses power in the middle of a commit. A failed write is
//! refused with an error naming the cause and is not acknowledged; once
//! the disk works again the store reopens the file by itself, with every
//! acknowledged write there; and a crash keeps exactly the acknowledged
//! commits, whichever of the unsynced writes reached the disk.
//! (A full disk is `storage_faults.rs`, on a real filesystem.)

use std::sync::mpsc;
use std::sync::Arc;

use aiwebengine::kv::{Atomic, KeyPart, Kv, KvError, KvLimits, KvValue, Mutation};
use aiwebengine::store::kv::RedbKvRepo;
use aiwebengine::store::sim::{Keep, SimDisk};
use aiwebengine::store::{Opener, Store};

const NS: &str = "script:app.js";

fn opener(disk: &SimDisk) -> Opener {
    let disk = disk.clone();
    Box::new(move || redb::Builder::new().create_with_backend(disk.backend()))
}

fn open(disk: &SimDisk) -> (Store, Arc<Kv>) {
    let store = Store::open_on("sim.redb", opener(disk), &|_| Ok(())).expect("open the store");
    let kv = Kv::start(
        Arc::new(RedbKvRepo::new(store.clone())),
        KvLimits::default(),
    )
    .expect("start kv");
    (store, kv)
}

fn key(i: u32) -> Vec<KeyPart> {
    vec![KeyPart::String("k".into()), KeyPart::Number(i as f64)]
}

fn set(kv: &Kv, i: u32, v: &str) -> Result<Option<u64>, KvError> {
    let value = kv.encode_value(&KvValue::String(v.into())).unwrap();
    let op = Atomic {
        checks: vec![],
        mutations: vec![(
            kv.encode_key(&key(i)).unwrap(),
            Mutation::Set {
                value,
                expires_at: None,
            },
        )],
    };
    let (tx, rx) = mpsc::channel();
    kv.commit(NS.into(), op, Box::new(move |r| tx.send(r).unwrap()));
    rx.recv().expect("a reply")
}

fn get(kv: &Kv, i: u32) -> Result<Option<String>, KvError> {
    let e = kv.get_many(NS, vec![key(i)])?.remove(0);
    Ok(e.value.map(|v| match v {
        KvValue::String(s) => s,
        other => panic!("unexpected value {other:?}"),
    }))
}

#[test]
fn test_req_data_004_write_io_error_is_refused_clearly_and_the_store_recovers() {
    let disk = SimDisk::new();
    let (_store, kv) = open(&disk);
    for i in 0..50 {
        set(&kv, i, &format!("v{i}")).expect("acknowledged write");
    }

    disk.fail_writes(true);
    let err = set(&kv, 50, "lost").expect_err("a write on a failing disk is refused");
    let msg = err.to_string();
    assert!(
        msg.contains("I/O error") && msg.contains("os error 5"),
        "the error names the cause: {msg}"
    );
    // While the disk fails, later writes are refused too, with the first
    // failure named, and nothing hangs.
    let again = set(&kv, 51, "lost").expect_err("still failing").to_string();
    assert!(again.contains("I/O error"), "{again}");

    disk.fail_writes(false);
    // The store reopens the file by itself: no restart.
    for i in 0..50 {
        assert_eq!(get(&kv, i).unwrap().as_deref(), Some(&*format!("v{i}")));
    }
    assert_eq!(get(&kv, 50).unwrap(), None, "the refused write is absent");
    assert_eq!(get(&kv, 51).unwrap(), None, "the refused write is absent");
    set(&kv, 50, "after").expect("writes work again");
    assert_eq!(get(&kv, 50).unwrap().as_deref(), Some("after"));
}

#[test]
fn test_req_data_004_read_io_error_is_reported_and_reads_recover() {
    let disk = SimDisk::new();
    // A small page cache, so that reads reach the disk.
    let d = disk.clone();
    let open: Opener = Box::new(move || {
        redb::Builder::new()
            .set_cache_size(0)
            .create_with_backend(d.backend())
    });
    let store = Store::open_on("sim.redb", open, &|_| Ok(())).unwrap();
    let kv = Kv::start(Arc::new(RedbKvRepo::new(store)), KvLimits::default()).unwrap();
    for i in 0..200 {
        set(&kv, i, &"x".repeat(500)).unwrap();
    }
    disk.fail_reads(true);
    let failed = (0..200).find_map(|i| get(&kv, i).err());
    let msg = failed
        .expect("some read reaches the failing disk")
        .to_string();
    assert!(
        msg.contains("I/O error"),
        "the error names the cause: {msg}"
    );
    disk.fail_reads(false);
    for i in 0..200 {
        assert_eq!(get(&kv, i).unwrap().map(|v| v.len()), Some(500), "key {i}");
    }
    set(&kv, 200, "after").expect("writes work after the reads recovered");
}

#[test]
fn test_req_data_004_a_crash_in_any_operation_keeps_exactly_the_acknowledged_writes() {
    // Crash after each possible number of backend operations into one
    // commit (one commit takes about 8), keeping different subsets of its
    // unsynced writes.
    let mut outcomes = [0; 2];
    for ops in 0..16u64 {
        for keep in [
            Keep(0),
            Keep(u64::MAX),
            Keep(0x5555_5555_5555_5555),
            Keep(ops * 7919),
        ] {
            let disk = SimDisk::new();
            let (store, kv) = open(&disk);
            for i in 0..10 {
                set(&kv, i, "before").unwrap();
            }
            let crashes = disk.crashes();
            disk.crash_after(ops, keep);
            let acked = set(&kv, 10, "during").is_ok();
            let crashed = disk.crashes() > crashes;
            outcomes[usize::from(acked)] += 1;
            disk.disarm();
            if !crashed {
                disk.crash(keep);
            }
            kv.shutdown();
            drop((store, kv));

            let (_store, kv) = open(&disk);
            for i in 0..10 {
                assert_eq!(
                    get(&kv, i).unwrap().as_deref(),
                    Some("before"),
                    "ops {ops} keep {keep:?}: an acknowledged write survives"
                );
            }
            let during = get(&kv, 10).unwrap();
            if acked {
                assert_eq!(during.as_deref(), Some("during"), "ops {ops} keep {keep:?}");
            } else {
                assert!(
                    during.is_none() || during.as_deref() == Some("during"),
                    "ops {ops}: an unacknowledged write is whole or absent"
                );
            }
            set(&kv, 11, "after").expect("the reopened store takes writes");
        }
    }
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0,
        "both crashed and acknowledged commits were tried: {outcomes:?}"
    );
}
