//! The read cache: recently read kv rows (and misses) in memory, so that a
//! `kv.get` of a key read before is answered on the caller's thread, with
//! no trip to the blocking pool and no storage read.
//!
//! Every entry holds the row as of the last versionstamp the writer has
//! finished with (`applied`), so the entries present always form one
//! snapshot of the data:
//! - A read from storage may fill the cache only when its snapshot is
//!   exactly `applied` (and no namespace was forgotten since it began): a
//!   read that saw a newer commit, or an older one, fills nothing.
//! - The writer, after each commit, removes the keys it changed and then
//!   moves `applied` to the commit's versionstamp, before any caller of
//!   that commit is answered. Until then, hits return the rows as they
//!   were before the commit, all of them from that same snapshot.
//! - A failed commit, whose outcome is unknown, empties the cache;
//!   `applied` is read again from storage.
//!
//! Expired rows are kept as stored; the service filters them on every read
//! as it does rows read from storage. Memory is bounded by `budget` bytes
//! (keys and values, plus a fixed cost per entry); the oldest entries go
//! first (FIFO). A budget of 0 turns the cache off.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::value::Stored;

/// What one entry costs besides its key and value: the map slot, the queue
/// slot, the `Arc` header and the allocation headers.
const ENTRY_OVERHEAD: usize = 96;

pub(crate) struct ReadCache {
    budget: usize,
    inner: Mutex<Inner>,
}

/// Where a read from storage started: fills are checked against it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    generation: u64,
}

#[derive(Default)]
struct Inner {
    /// The versionstamp whose changes the entries reflect; None when unknown
    /// (after a failed commit whose stamp could not be read back).
    applied: Option<u64>,
    /// Bumped when whole namespaces are dropped (a script renamed).
    generation: u64,
    map: HashMap<Arc<[u8]>, Slot>,
    /// Insertion order, oldest first; `(key, seq)` pairs whose `seq` no
    /// longer matches the map's slot are stale and skipped.
    order: VecDeque<(Arc<[u8]>, u64)>,
    bytes: usize,
    seq: u64,
}

struct Slot {
    row: Option<Stored>,
    seq: u64,
    weight: usize,
}

/// `ns`, a separator no UTF-8 string contains, then the encoded key.
fn cache_key(ns: &str, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(ns.len() + 1 + key.len());
    k.extend_from_slice(ns.as_bytes());
    k.push(0xff);
    k.extend_from_slice(key);
    k
}

fn weight(key: &[u8], row: &Option<Stored>) -> usize {
    ENTRY_OVERHEAD + key.len() + row.as_ref().map_or(0, |r| r.value.0.len())
}

impl ReadCache {
    /// A cache of at most `budget` bytes that starts at versionstamp
    /// `applied` (None: unknown until the first commit).
    pub fn new(budget: usize, applied: Option<u64>) -> ReadCache {
        ReadCache {
            budget,
            inner: Mutex::new(Inner {
                applied,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing here panics while holding the lock; a poisoned lock still
        // holds a consistent map.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// The rows of every key in `keys`, or None unless all are cached.
    pub fn get(&self, ns: &str, keys: &[Vec<u8>]) -> Option<Vec<Option<Stored>>> {
        if !self.enabled() {
            return None;
        }
        let probe: Vec<Vec<u8>> = keys.iter().map(|k| cache_key(ns, k)).collect();
        let inner = self.lock();
        probe
            .iter()
            .map(|k| inner.map.get(k.as_slice()).map(|s| s.row.clone()))
            .collect()
    }

    /// Taken before a read from storage begins.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            generation: self.lock().generation,
        }
    }

    /// Keeps rows read from storage at versionstamp `stamp`, if that
    /// snapshot is the one the cache reflects (see the module docs).
    pub fn fill(
        &self,
        ticket: Ticket,
        stamp: u64,
        ns: &str,
        keys: &[Vec<u8>],
        rows: &[Option<Stored>],
    ) {
        if !self.enabled() {
            return;
        }
        let entries: Vec<(Vec<u8>, Option<Stored>)> = keys
            .iter()
            .zip(rows)
            .map(|(k, r)| (cache_key(ns, k), r.clone()))
            .filter(|(k, r)| weight(k, r) <= self.budget / 8)
            .collect();
        let mut inner = self.lock();
        if inner.applied != Some(stamp) || inner.generation != ticket.generation {
            return;
        }
        for (k, row) in entries {
            inner.insert(k, row, self.budget);
        }
    }

    /// After a commit at `stamp` that changed `changed` (namespace, key):
    /// drops those rows, then reflects `stamp`.
    pub fn committed<'a>(&self, stamp: u64, changed: impl Iterator<Item = (&'a str, &'a [u8])>) {
        let mut inner = self.lock();
        for (ns, key) in changed {
            inner.remove(&cache_key(ns, key));
        }
        inner.applied = Some(stamp);
    }

    /// After a commit that failed: its outcome is unknown, so nothing
    /// cached can be trusted; `applied` is what storage says now.
    pub fn reset(&self, applied: Option<u64>) {
        let mut inner = self.lock();
        inner.clear();
        inner.generation += 1;
        inner.applied = applied;
    }

    /// Drops every row of the namespaces in `names` (rows moved by a script
    /// rename, which is not a kv commit). Reads already under way fill
    /// nothing.
    pub fn forget_namespaces(&self, names: &[&str]) {
        let mut inner = self.lock();
        inner.generation += 1;
        let doomed: Vec<Arc<[u8]>> = inner
            .map
            .keys()
            .filter(|k| {
                names.iter().any(|ns| {
                    k.len() > ns.len() && k.starts_with(ns.as_bytes()) && k[ns.len()] == 0xff
                })
            })
            .cloned()
            .collect();
        for k in doomed {
            inner.remove(&k);
        }
    }

    /// Bytes held now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

impl Inner {
    fn insert(&mut self, key: Vec<u8>, row: Option<Stored>, budget: usize) {
        let w = weight(&key, &row);
        self.remove(&key);
        while self.bytes + w > budget {
            let Some((old, seq)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&old).is_some_and(|s| s.seq == seq) {
                self.remove(&old);
            }
        }
        self.seq += 1;
        let key: Arc<[u8]> = key.into();
        self.order.push_back((key.clone(), self.seq));
        self.map.insert(
            key,
            Slot {
                row,
                seq: self.seq,
                weight: w,
            },
        );
        self.bytes += w;
        // Removals leave stale queue slots; drop them before they outgrow
        // the live entries.
        if self.order.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.order
                .retain(|(k, seq)| map.get(k).is_some_and(|s| s.seq == *seq));
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some(slot) = self.map.remove(key) {
            self.bytes -= slot.weight;
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::value::Bin;

    fn row(v: &[u8], stamp: u64) -> Option<Stored> {
        Some(Stored {
            value: Bin(v.to_vec()),
            versionstamp: stamp,
            expires_at: None,
        })
    }

    fn keys(names: &[&str]) -> Vec<Vec<u8>> {
        names.iter().map(|n| n.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_fill_at_the_applied_stamp_is_served_and_a_commit_drops_its_keys() {
        let c = ReadCache::new(1 << 20, Some(3));
        let k = keys(&["a", "b"]);
        assert!(c.get("ns", &k).is_none());
        c.fill(c.ticket(), 3, "ns", &k, &[row(b"1", 1), None]);
        let got = c.get("ns", &k).unwrap();
        assert_eq!(got[0].as_ref().unwrap().value.0, b"1");
        assert!(got[1].is_none(), "a miss is cached too");
        assert!(c.get("other", &k).is_none(), "namespaces are apart");
        c.committed(4, [("ns", b"a".as_slice())].into_iter());
        assert!(c.get("ns", &k).is_none(), "a changed key is gone");
        assert!(c.get("ns", &keys(&["b"])).is_some(), "others stay");
    }

    #[test]
    fn a_read_of_another_snapshot_fills_nothing() {
        let c = ReadCache::new(1 << 20, Some(3));
        let k = keys(&["a"]);
        // Saw a commit the writer has not finished with yet.
        c.fill(c.ticket(), 4, "ns", &k, &[row(b"new", 4)]);
        assert!(c.get("ns", &k).is_none());
        // Began before a commit the writer has finished with since.
        let t = c.ticket();
        c.committed(4, [("ns", b"a".as_slice())].into_iter());
        c.fill(t, 3, "ns", &k, &[row(b"old", 3)]);
        assert!(c.get("ns", &k).is_none());
    }

    #[test]
    fn forgetting_a_namespace_drops_its_rows_and_fills_under_way() {
        let c = ReadCache::new(1 << 20, Some(0));
        let k = keys(&["a"]);
        for ns in ["x.js", "x.js.bak", "y.js"] {
            c.fill(c.ticket(), 0, ns, &k, &[row(ns.as_bytes(), 0)]);
        }
        let t = c.ticket();
        c.forget_namespaces(&["x.js", "y.js"]);
        assert!(c.get("x.js", &k).is_none());
        assert!(c.get("y.js", &k).is_none());
        assert!(c.get("x.js.bak", &k).is_some(), "a longer name stays");
        c.fill(t, 0, "x.js", &k, &[row(b"stale", 0)]);
        assert!(c.get("x.js", &k).is_none());
    }

    #[test]
    fn a_reset_empties_it_and_an_unknown_stamp_fills_nothing() {
        let c = ReadCache::new(1 << 20, Some(0));
        let k = keys(&["a"]);
        c.fill(c.ticket(), 0, "ns", &k, &[row(b"v", 0)]);
        c.reset(None);
        assert!(c.get("ns", &k).is_none());
        c.fill(c.ticket(), 0, "ns", &k, &[row(b"v", 0)]);
        assert!(c.get("ns", &k).is_none());
        assert_eq!(c.bytes(), 0);
    }

    #[test]
    fn memory_stays_within_the_budget_and_the_oldest_go_first() {
        let budget = 64 * 1024;
        let c = ReadCache::new(budget, Some(0));
        let value = vec![7u8; 1000];
        for i in 0..1000 {
            let k = keys(&[&format!("k{i}")]);
            c.fill(c.ticket(), 0, "ns", &k, &[row(&value, 0)]);
            assert!(c.bytes() <= budget);
        }
        assert!(c.get("ns", &keys(&["k999"])).is_some());
        assert!(c.get("ns", &keys(&["k0"])).is_none());
        // A value larger than an eighth of the budget is never kept.
        let big = vec![0u8; budget / 4];
        c.fill(c.ticket(), 0, "ns", &keys(&["big"]), &[row(&big, 0)]);
        assert!(c.get("ns", &keys(&["big"])).is_none());
    }

    #[test]
    fn a_zero_budget_turns_it_off() {
        let c = ReadCache::new(0, Some(0));
        let k = keys(&["a"]);
        c.fill(c.ticket(), 0, "ns", &k, &[row(b"v", 0)]);
        assert!(c.get("ns", &k).is_none());
    }
}
