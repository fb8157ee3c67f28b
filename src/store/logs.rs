//! The redb adapter of [`crate::logs::LogRepo`]: the `script_logs` table,
//! `(script, sequence) -> LogEntry`, a ring per script.

use std::collections::HashMap;

use redb::ReadableTable;

use super::{decode, encode, tables, Store, StoreError};
use crate::domain::StorageError;
use crate::logs::{LogEntry, LogRepo};

/// The script log rings of one data file.
pub struct RedbLogRepo {
    store: Store,
}

impl RedbLogRepo {
    pub fn new(store: Store) -> RedbLogRepo {
        RedbLogRepo { store }
    }
}

impl LogRepo for RedbLogRepo {
    fn append(&self, entries: &[(String, LogEntry)], ring: u64) -> Result<(), StorageError> {
        let r = self.store.write(|txn| {
            let mut t = txn.open_table(tables::SCRIPT_LOGS)?;
            // The next sequence number of each script this batch touches;
            // read from the table once per transaction, so rows a rename or
            // delete moved since the last batch are never overwritten.
            let mut next: HashMap<&str, u64> = HashMap::new();
            for (script, entry) in entries {
                let seq = match next.get(script.as_str()) {
                    Some(n) => *n,
                    None => t
                        .range((script.as_str(), 0)..=(script.as_str(), u64::MAX))?
                        .next_back()
                        .transpose()?
                        .map_or(0, |(k, _)| k.value().1 + 1),
                };
                t.insert((script.as_str(), seq), encode(entry)?.as_slice())?;
                next.insert(script, seq + 1);
            }
            for (script, end) in next {
                // `end - 1` is the newest: keep `end - ring ..= end - 1`.
                if end > ring {
                    t.retain_in((script, 0)..=(script, end - 1 - ring), |_, _| false)?;
                }
            }
            Ok(())
        });
        Ok(r?)
    }

    fn newest(&self, script: &str, limit: usize) -> Result<Vec<LogEntry>, StorageError> {
        let r = self.store.read(|txn| {
            let t = txn.open_table(tables::SCRIPT_LOGS)?;
            let mut out = Vec::new();
            for row in t.range((script, 0)..=(script, u64::MAX))?.rev().take(limit) {
                let (_, v) = row?;
                out.push(decode(v.value())?);
            }
            Ok(out)
        });
        Ok(r?)
    }

    fn all(&self) -> Result<Vec<(String, LogEntry)>, StorageError> {
        let r = self.store.read(|txn| {
            let t = txn.open_table(tables::SCRIPT_LOGS)?;
            let mut out = Vec::new();
            for row in t.iter()? {
                let (k, v) = row?;
                out.push((k.value().0.to_string(), decode::<LogEntry>(v.value())?));
            }
            Ok::<_, StoreError>(out)
        });
        Ok(r?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(message: &str) -> LogEntry {
        LogEntry {
            time: 1,
            level: "info".into(),
            message: message.into(),
            request_id: None,
        }
    }

    #[test]
    fn rings_keep_the_newest_entries_of_each_script() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.redb"), &|_| Ok(())).unwrap();
        let repo = RedbLogRepo::new(store);
        let batch: Vec<_> = (0..5)
            .map(|i| ("a.js".to_string(), entry(&format!("a{i}"))))
            .chain([("b.js".to_string(), entry("b0"))])
            .collect();
        repo.append(&batch[..3], 3).unwrap();
        repo.append(&batch[3..], 3).unwrap();
        let a: Vec<_> = repo.newest("a.js", 10).unwrap();
        let a: Vec<_> = a.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(a, ["a4", "a3", "a2"]);
        assert_eq!(repo.newest("a.js", 1).unwrap()[0].message, "a4");
        let all: Vec<_> = repo.all().unwrap();
        let all: Vec<_> = all
            .iter()
            .map(|(s, e)| format!("{s}:{}", e.message))
            .collect();
        assert_eq!(all, ["a.js:a2", "a.js:a3", "a.js:a4", "b.js:b0"]);
    }
}
