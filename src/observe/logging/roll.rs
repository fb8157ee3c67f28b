//! The log file that rolls over with time: `PREFIX.DATE.SUFFIX`, named and
//! rounded (UTC) exactly as tracing-appender names its files, so files
//! written before keep their names and order. Time comes from a [`Clock`],
//! so a test moves it instead of waiting for a real boundary.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use time::{Duration, OffsetDateTime, Time};

use crate::domain::Clock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// For tests only (accepted by validation, never documented).
    Minutely,
    Hourly,
    Daily,
    /// Weeks start on Sunday, as tracing-appender's do.
    Weekly,
    Never,
}

impl Rotation {
    pub fn from_config(s: &str) -> Rotation {
        match s {
            "minutely" => Rotation::Minutely,
            "hourly" => Rotation::Hourly,
            "weekly" => Rotation::Weekly,
            "never" => Rotation::Never,
            _ => Rotation::Daily,
        }
    }

    /// The DATE part of the file name in use at `millis`.
    fn date(self, millis: i64) -> String {
        let nanos = i128::from(millis) * 1_000_000;
        let t =
            OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let day = t.date();
        let (y, m, d) = (day.year(), u8::from(day.month()), day.day());
        match self {
            Rotation::Minutely => format!("{y:04}-{m:02}-{d:02}-{:02}-{:02}", t.hour(), t.minute()),
            Rotation::Hourly => format!("{y:04}-{m:02}-{d:02}-{:02}", t.hour()),
            Rotation::Daily | Rotation::Never => format!("{y:04}-{m:02}-{d:02}"),
            Rotation::Weekly => {
                let back = Duration::days(t.weekday().number_days_from_sunday().into());
                let sunday = (t - back).replace_time(Time::MIDNIGHT).date();
                let (y, m, d) = (sunday.year(), u8::from(sunday.month()), sunday.day());
                format!("{y:04}-{m:02}-{d:02}")
            }
        }
    }
}

/// Writes to the file for the current period, opening the next one (in
/// append mode) the first time a write sees the period has changed.
pub struct Roller {
    dir: PathBuf,
    prefix: String,
    suffix: String,
    rotation: Rotation,
    clock: Arc<dyn Clock>,
    open: Option<(String, File)>,
}

impl Roller {
    /// Opens the current file at once, so it exists (and is the newest)
    /// before anything is logged.
    pub fn new(
        dir: PathBuf,
        prefix: String,
        suffix: String,
        rotation: Rotation,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Roller> {
        let mut r = Roller {
            dir,
            prefix,
            suffix,
            rotation,
            clock,
            open: None,
        };
        r.current()?;
        Ok(r)
    }

    fn name_at(&self, millis: i64) -> String {
        let date = (self.rotation != Rotation::Never).then(|| self.rotation.date(millis));
        let parts = [
            Some(self.prefix.as_str()),
            date.as_deref(),
            Some(self.suffix.as_str()),
        ];
        let parts: Vec<&str> = parts
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        parts.join(".")
    }

    fn current(&mut self) -> io::Result<&mut File> {
        let name = self.name_at(self.clock.now_millis());
        if self.open.as_ref().is_none_or(|(n, _)| *n != name) {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(&name))?;
            self.open = Some((name, file));
        }
        match &mut self.open {
            Some((_, f)) => Ok(f),
            None => Err(io::Error::other("no log file open")),
        }
    }
}

impl Write for Roller {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.current()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.open {
            Some((_, f)) => f.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ManualClock;

    /// 2026-01-31T23:59:30Z, a Saturday.
    const T: i64 = 1_769_903_970_000;

    #[test]
    fn names_match_tracing_appender() {
        assert_eq!(Rotation::Minutely.date(T), "2026-01-31-23-59");
        assert_eq!(Rotation::Hourly.date(T), "2026-01-31-23");
        assert_eq!(Rotation::Daily.date(T), "2026-01-31");
        assert_eq!(Rotation::Weekly.date(T), "2026-01-25");
    }

    #[test]
    fn rolls_when_the_clock_passes_a_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::at(T);
        let (p, s) = ("server".to_string(), "log".to_string());
        let mut r = Roller::new(
            dir.path().into(),
            p,
            s,
            Rotation::Minutely,
            Arc::new(clock.clone()),
        )
        .unwrap();
        r.write_all(b"one\n").unwrap();
        clock.advance(29_000);
        r.write_all(b"two\n").unwrap();
        clock.advance(1_000);
        r.write_all(b"three\n").unwrap();
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(read("server.2026-01-31-23-59.log"), "one\ntwo\n");
        assert_eq!(read("server.2026-02-01-00-00.log"), "three\n");
        // The upkeep then compresses the rolled file, not the current one.
        let cfg = crate::config::telemetry::LoggingSection {
            compress: "gzip".into(),
            ..Default::default()
        };
        super::super::files::maintain(
            dir.path(),
            "server",
            "log",
            &cfg,
            std::time::SystemTime::now(),
        )
        .unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "server.2026-01-31-23-59.log.gz",
                "server.2026-02-01-00-00.log"
            ]
        );
    }

    #[test]
    fn never_writes_one_undated_file() {
        let dir = tempfile::tempdir().unwrap();
        let (p, s) = ("server".to_string(), "log".to_string());
        let clock = Arc::new(ManualClock::at(T));
        let mut r = Roller::new(dir.path().into(), p, s, Rotation::Never, clock).unwrap();
        r.write_all(b"x\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("server.log")).unwrap(),
            "x\n"
        );
    }
}
