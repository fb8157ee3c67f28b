//! In-memory fakes of the script service's ports, for its unit tests: a
//! [`ScriptRepo`] over `BTreeMap`s (a write works on a copy that replaces
//! the data only when the body succeeds) and a [`ScriptRuntime`] that reads
//! one `METHOD /path` route per line. They show the service needs nothing
//! of redb.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::repo::{Renamed, ScriptRead, ScriptRepo, ScriptWrite};
use super::routes::RouteSpec;
use super::runtime::{LoadError, Registration, ScriptRuntime};
use super::{ScriptRecord, ScriptVersion};
use crate::domain::StorageError;

#[derive(Clone, Default)]
pub struct Data {
    pub records: BTreeMap<String, ScriptRecord>,
    pub versions: BTreeMap<(String, u64), ScriptVersion>,
    /// Log lines by script, to see rename and delete reach them.
    pub logs: BTreeMap<String, Vec<String>>,
}

#[derive(Default)]
pub struct FakeRepo {
    pub data: Mutex<Data>,
    /// Every write fails (a full disk) while set.
    pub failing: AtomicBool,
}

impl FakeRepo {
    pub fn snapshot(&self) -> Data {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check(&self) -> Result<(), StorageError> {
        match self.failing.load(Ordering::SeqCst) {
            true => Err(StorageError::full("disk full")),
            false => Ok(()),
        }
    }
}

impl ScriptRead for Data {
    fn record(&self, name: &str) -> Result<Option<ScriptRecord>, StorageError> {
        Ok(self.records.get(name).cloned())
    }

    fn records(&self) -> Result<Vec<ScriptRecord>, StorageError> {
        Ok(self.records.values().cloned().collect())
    }

    fn version(&self, name: &str, v: u64) -> Result<Option<ScriptVersion>, StorageError> {
        Ok(self.versions.get(&(name.to_string(), v)).cloned())
    }

    fn versions(&self, name: &str) -> Result<Vec<(u64, ScriptVersion)>, StorageError> {
        Ok(self
            .versions
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|((_, v), row)| (*v, row.clone()))
            .collect())
    }
}

impl ScriptWrite for Data {
    fn put_record(&mut self, record: &ScriptRecord) -> Result<(), StorageError> {
        self.records.insert(record.name.clone(), record.clone());
        Ok(())
    }

    fn put_version(&mut self, name: &str, v: u64, row: &ScriptVersion) -> Result<(), StorageError> {
        self.versions.insert((name.to_string(), v), row.clone());
        Ok(())
    }
}

impl ScriptRepo for FakeRepo {
    fn read(
        &self,
        body: &mut dyn FnMut(&dyn ScriptRead) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        body(&*self.lock())
    }

    fn write(
        &self,
        body: &mut dyn FnMut(&mut dyn ScriptWrite) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut data = self.lock();
        let mut next = data.clone();
        body(&mut next)?;
        self.check()?;
        *data = next;
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, StorageError> {
        self.check()?;
        let mut data = self.lock();
        let existed = data.records.remove(name).is_some();
        if existed {
            data.versions.retain(|(n, _), _| n != name);
            data.logs.remove(name);
        }
        Ok(existed)
    }

    fn rename(&self, from: &str, to: &str, at: i64) -> Result<Renamed, StorageError> {
        self.check()?;
        let mut data = self.lock();
        if data.records.contains_key(to) {
            return Ok(Renamed::Taken);
        }
        let Some(mut rec) = data.records.remove(from) else {
            return Ok(Renamed::Missing);
        };
        rec.name = to.to_string();
        rec.updated_at = at;
        let moved: Vec<_> = data
            .versions
            .iter()
            .filter(|((n, _), _)| n == from)
            .map(|((_, v), row)| (*v, row.clone()))
            .collect();
        data.versions.retain(|(n, _), _| n != from);
        for (v, row) in moved {
            data.versions.insert((to.to_string(), v), row);
        }
        if let Some(lines) = data.logs.remove(from) {
            data.logs.insert(to.to_string(), lines);
        }
        let source = data
            .versions
            .get(&(to.to_string(), rec.version))
            .map(|v| v.source.clone())
            .unwrap_or_default();
        data.records.insert(to.to_string(), rec.clone());
        Ok(Renamed::Moved(Box::new(rec), source))
    }
}

/// Registers one route per `METHOD /path` line; a line `throw` fails to
/// load at that line.
pub struct FakeRuntime;

impl ScriptRuntime for FakeRuntime {
    fn register(&self, _: &str, source: &str) -> Result<Registration, LoadError> {
        let mut reg = Registration::default();
        for (i, line) in source.lines().enumerate() {
            if line.trim() == "throw" {
                return Err(LoadError {
                    message: "Error: thrown".into(),
                    line: Some(i as u32 + 1),
                    column: Some(1),
                });
            }
            if let Some((method, path)) = line.split_once(' ') {
                reg.routes.push(RouteSpec {
                    method: method.to_string(),
                    path: path.to_string(),
                    max_body_bytes: None,
                    stream: false,
                });
            }
        }
        Ok(reg)
    }
}

/// A repo shared between a test and the service it builds.
pub fn repo() -> Arc<FakeRepo> {
    Arc::new(FakeRepo::default())
}
