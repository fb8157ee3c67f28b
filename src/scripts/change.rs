//! Changes other than a save: delete, rename, enable/disable. Each is one
//! transaction on the port, under the service's write lock, followed by a
//! catalog swap.

use super::repo::Renamed;
use super::service::{blocking, entry};
use super::{now_millis, validate_name, ScriptError, ScriptRecord, ScriptService};
use crate::domain::Outcome;

impl ScriptService {
    /// Deletes the script with its versions and log.
    pub async fn delete(&self, name: &str) -> Result<(), ScriptError> {
        let _guard = self.write_lock.lock().await;
        let repo = self.repo.clone();
        let n = name.to_string();
        blocking(move || Ok(repo.delete(&n)?))
            .await?
            .then_some(())
            .ok_or_else(|| ScriptError::NotFound(name.to_string()))?;
        let mut entries = self.catalog.load().entries.clone();
        entries.remove(name);
        self.swap(entries);
        Ok(())
    }

    /// Renames `from` to `to` with its versions, log and kv data. The
    /// routes stay the same, now served by `to`; ownership and grants are
    /// fields of the record and move with it.
    pub async fn rename(&self, from: &str, to: &str) -> Result<ScriptRecord, ScriptError> {
        validate_name(to).map_err(ScriptError::InvalidName)?;
        let _guard = self.write_lock.lock().await;
        let repo = self.repo.clone();
        let (f, t) = (from.to_string(), to.to_string());
        let moved = blocking(move || Ok(repo.rename(&f, &t, now_millis())?)).await?;
        let (rec, source) = match moved {
            Renamed::Moved(rec, source) => (*rec, source),
            Renamed::Missing => return Err(ScriptError::NotFound(from.to_string())),
            Renamed::Taken => return Err(ScriptError::NameTaken(to.to_string())),
        };
        self.hook.renamed(from, to);
        let mut entries = self.catalog.load().entries.clone();
        entries.remove(from);
        entries.insert(to.into(), entry(&rec, source.into()));
        self.swap(entries);
        Ok(rec)
    }

    pub async fn set_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<ScriptRecord, ScriptError> {
        let _guard = self.write_lock.lock().await;
        let entry = self
            .catalog
            .load()
            .entries
            .get(name)
            .cloned()
            .ok_or_else(|| ScriptError::NotFound(name.to_string()))?;
        if enabled && !entry.enabled {
            self.check_conflicts(name, &entry.routes)?;
            self.check_mcp(name, &entry.mcp)?;
            self.check_graphql(name, &entry.script.source, &entry.graphql, &entry.mcp)?;
        }
        let repo = self.repo.clone();
        let n = name.to_string();
        let rec = blocking(move || {
            let mut out = Outcome::new();
            let r = repo.write(&mut |tx| {
                let Some(mut rec) = tx.record(&n)? else {
                    return out.put(Ok::<_, ScriptError>(None));
                };
                rec.enabled = enabled;
                rec.updated_at = now_millis();
                tx.put_record(&rec)?;
                out.put(Ok(Some(rec)))
            });
            out.finish(r)
        })
        .await?
        .ok_or_else(|| ScriptError::NotFound(name.to_string()))?;
        self.install(&rec, entry.script.source.clone());
        Ok(rec)
    }
}
