//! Scheduled backups: with `[storage] backup_dir` set, an online snapshot
//! every `backup_interval` into that directory as
//! `aiwebengine-backup-STAMP.redb.zst`, keeping the newest `backup_keep`.

use std::path::{Path, PathBuf};

use tokio::time::{Instant, MissedTickBehavior};

use super::{download_name, snapshot_store_to, BackupError, Counts};
use crate::config::StorageSection;
use crate::store::Store;

const PREFIX: &str = "aiwebengine-backup-";
const SUFFIX: &str = ".redb.zst";

/// Starts the schedule on the current tokio runtime, if one is configured.
/// The task holds the store weakly, so it never keeps the data file open
/// after the server has let go of it; it ends then.
pub fn start(store: &Store, cfg: &StorageSection) {
    let Some(dir) = cfg.backup_dir.clone() else {
        return;
    };
    let (weak, every, keep) = (
        store.downgrade(),
        cfg.backup_interval,
        cfg.backup_keep.get(),
    );
    tracing::info!(dir = %dir.display(), every = %humantime::format_duration(every), keep, "scheduled backups on");
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(Instant::now() + every, every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(store) = weak.upgrade() else {
                return;
            };
            let dir = dir.clone();
            let job = tokio::task::spawn_blocking(move || run_once(&store, &dir, keep)).await;
            match job {
                Ok(Ok((path, counts))) => tracing::info!(
                    path = %path.display(), scripts = counts.scripts,
                    "scheduled backup written"
                ),
                Ok(Err(e)) => tracing::error!("scheduled backup failed: {e}"),
                Err(e) => tracing::error!("scheduled backup failed: {e}"),
            }
        }
    });
}

/// One scheduled backup, then pruning to the newest `keep`.
pub fn run_once(store: &Store, dir: &Path, keep: usize) -> Result<(PathBuf, Counts), BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, e))?;
    let out = dir.join(download_name(true));
    let counts = snapshot_store_to(store, &out)?;
    prune(dir, keep)?;
    Ok((out, counts))
}

/// Deletes all but the newest `keep` scheduled backups (names sort by time).
fn prune(dir: &Path, keep: usize) -> Result<(), BackupError> {
    let mut ours: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| BackupError::io(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    for old in &ours[..excess] {
        std::fs::remove_file(old).map_err(|e| BackupError::io(old, e))?;
    }
    Ok(())
}
