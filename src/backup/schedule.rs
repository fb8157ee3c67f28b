//! Scheduled backups: with `[storage] backup_dir` set, an online snapshot
//! every `backup_interval` into that directory as
//! `aiwebengine-backup-STAMP.redb.zst`, keeping the newest `backup_keep`.

use std::path::{Path, PathBuf};

use tokio::time::{Instant, MissedTickBehavior};

use super::{download_name, snapshot_live_to, BackupError, Counts, DataFile};

/// The live data file while the server holds it; None once it let go.
pub type Upgrade = Box<dyn Fn() -> Option<Box<dyn DataFile>> + Send + Sync>;

const PREFIX: &str = "aiwebengine-backup-";
const SUFFIX: &str = ".redb.zst";

/// `[storage] backup_dir`, `backup_interval`, `backup_keep`.
pub struct Schedule {
    pub dir: PathBuf,
    pub every: std::time::Duration,
    pub keep: usize,
}

/// Starts the schedule on the current tokio runtime. The task holds the
/// data file only through `live` (a weak handle), so it never keeps it
/// open after the server has let go of it; it ends then.
pub fn start(live: Upgrade, schedule: Schedule) {
    let Schedule { dir, every, keep } = schedule;
    let weak = live;
    tracing::info!(dir = %dir.display(), every = %humantime::format_duration(every), keep, "scheduled backups on");
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(Instant::now() + every, every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(file) = weak() else {
                return;
            };
            let dir = dir.clone();
            let job =
                tokio::task::spawn_blocking(move || run_once(file.as_ref(), &dir, keep)).await;
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
pub fn run_once(
    file: &dyn DataFile,
    dir: &Path,
    keep: usize,
) -> Result<(PathBuf, Counts), BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| BackupError::io(dir, e))?;
    let out = dir.join(download_name(true));
    let counts = snapshot_live_to(file, &out)?;
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
