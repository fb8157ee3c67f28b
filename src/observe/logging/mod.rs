//! The server's own log (REQ-LOG-001/002): `tracing` to stderr and/or a
//! file, as text or JSON lines, with a level filter that a config reload
//! swaps live.
//!
//! Files rotate with tracing-appender (hourly, daily, weekly, never; its
//! names are `STEM.DATE.EXT`). Retention and compression are ours: a
//! background thread compresses every rotated file (all but the newest)
//! with gzip or zstd and deletes files beyond `retention_files` or older
//! than `retention_days`. tracing-appender's own pruning is not used, as it
//! would not see the compressed files.
//!
//! The subscriber is process-wide by nature: `cli` installs it once and
//! hands the [`Logging`] handle to the engine's config.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

mod files;

use crate::config::live::{Commit, Hook, Prepared};
use crate::config::telemetry::LoggingSection;

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// Config checks for the `[logging]` keys of the server log.
pub fn validate(cfg: &LoggingSection) -> Result<(), String> {
    filter(&cfg.level)?;
    let one_of = |key: &str, value: &str, ok: &[&str], shown: &[&str]| {
        if ok.contains(&value) {
            return Ok(());
        }
        let list: Vec<String> = shown.iter().map(|v| format!("{v:?}")).collect();
        Err(format!(
            "invalid config: logging.{key} = {value:?}; allowed: {}",
            list.join(", ")
        ))
    };
    one_of(
        "format",
        &cfg.format,
        &["pretty", "json"],
        &["pretty", "json"],
    )?;
    let rotations = ["hourly", "daily", "weekly", "never"];
    let with_test = ["minutely", "hourly", "daily", "weekly", "never"];
    one_of("rotation", &cfg.rotation, &with_test, &rotations)?;
    let kinds = ["gzip", "zstd", "none"];
    one_of("compress", &cfg.compress, &kinds, &kinds)?;
    if let Some(f) = &cfg.file {
        if f.file_name().is_none() {
            return Err(format!(
                "invalid config: logging.file = {:?}; allowed: a file path such as \"/var/log/aiwebengine/server.log\"",
                f.display()
            ));
        }
    }
    Ok(())
}

/// An `EnvFilter` from `logging.level`. Each part is a level, or has a
/// target (`target=level`, `a::b`), so a misspelt level is not taken for
/// a target name.
pub fn filter(level: &str) -> Result<EnvFilter, String> {
    let bad = |why: String| {
        format!(
            "invalid config: logging.level = {level:?}; allowed: a level (trace, debug, info, warn, error, off) or filter directives such as \"info,aiwebengine::http=debug\" ({why})"
        )
    };
    for part in level.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let plain = !part.contains('=') && !part.contains("::") && !part.contains('[');
        if plain && !LEVELS.contains(&part.to_ascii_lowercase().as_str()) {
            return Err(bad(format!("{part:?} is not a level")));
        }
    }
    EnvFilter::try_new(level).map_err(|e| bad(e.to_string()))
}

/// The installed subscriber's handles. Dropping it flushes the file log
/// and stops the maintenance thread.
pub struct Logging {
    filter: reload::Handle<EnvFilter, Registry>,
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
    _maintenance: Option<mpsc::Sender<()>>,
}

type Boxed = Box<
    dyn Layer<tracing_subscriber::layer::Layered<reload::Layer<EnvFilter, Registry>, Registry>>
        + Send
        + Sync,
>;

fn fmt_layer<W>(json: bool, writer: W, ansi: bool) -> Boxed
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let base = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    if json {
        base.json().boxed()
    } else {
        base.boxed()
    }
}

impl Logging {
    /// Installs the process-wide subscriber from `[logging]` (already
    /// validated). Fails when the log file's directory cannot be made.
    pub fn install(cfg: &LoggingSection) -> io::Result<Logging> {
        let level = filter(&cfg.level).unwrap_or_else(|_| EnvFilter::new("info"));
        let (level, handle) = reload::Layer::new(level);
        let json = cfg.format == "json";
        let console = cfg.console.then(|| {
            let ansi = !json && io::IsTerminal::is_terminal(&io::stderr());
            fmt_layer(json, io::stderr, ansi)
        });
        let mut guard = None;
        let mut maintenance = None;
        let file = match &cfg.file {
            Some(path) => {
                let files = LogFiles::new(path, &cfg.rotation);
                std::fs::create_dir_all(&files.dir)?;
                let appender = files.appender()?;
                let (writer, g) = tracing_appender::non_blocking(appender);
                guard = Some(g);
                maintenance = Some(files.spawn_maintenance(cfg.clone())?);
                Some(fmt_layer(json, writer, false))
            }
            None => None,
        };
        let outputs: Vec<Boxed> = [console, file].into_iter().flatten().collect();
        let _ = tracing_subscriber::registry()
            .with(level)
            .with(outputs)
            .try_init();
        Ok(Logging {
            filter: handle,
            _file: guard,
            _maintenance: maintenance,
        })
    }

    /// For commands other than `serve`: text on stderr, `AIWEBENGINE_LOG`
    /// or info.
    pub fn console_only() -> Logging {
        let level = std::env::var("AIWEBENGINE_LOG").unwrap_or_else(|_| "info".into());
        let cfg = LoggingSection {
            level,
            file: None,
            ..LoggingSection::default()
        };
        Logging::install(&cfg).unwrap_or_else(|_| Logging::none())
    }

    fn none() -> Logging {
        let (_, handle) = reload::Layer::new(EnvFilter::new("info"));
        Logging {
            filter: handle,
            _file: None,
            _maintenance: None,
        }
    }

    /// The config reload part: swaps the level filter when it changed.
    pub fn hook(&self) -> Hook {
        let handle = self.filter.clone();
        Box::new(move |old, new| {
            if old.logging.level == new.logging.level {
                return Ok(Prepared::nothing());
            }
            let f = filter(&new.logging.level)?;
            let handle = handle.clone();
            let level = new.logging.level.clone();
            let commit: Commit = Box::new(move || match handle.reload(f) {
                Ok(()) => Some(format!("log level is now {level:?}")),
                Err(e) => Some(format!("log level unchanged: {e}")),
            });
            Ok(Prepared::commit(commit))
        })
    }
}

/// Where the log files live and how they are named.
struct LogFiles {
    dir: PathBuf,
    prefix: String,
    suffix: String,
    rotation: Rotation,
}

impl LogFiles {
    fn new(path: &Path, rotation: &str) -> LogFiles {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let prefix = path
            .file_stem()
            .map_or("aiwebengine".into(), |s| s.to_string_lossy().into_owned());
        let suffix = path
            .extension()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let rotation = match rotation {
            "minutely" => Rotation::MINUTELY,
            "hourly" => Rotation::HOURLY,
            "weekly" => Rotation::WEEKLY,
            "never" => Rotation::NEVER,
            _ => Rotation::DAILY,
        };
        LogFiles {
            dir,
            prefix,
            suffix,
            rotation,
        }
    }

    fn appender(&self) -> io::Result<RollingFileAppender> {
        let mut b = RollingFileAppender::builder()
            .rotation(self.rotation.clone())
            .filename_prefix(&self.prefix);
        if !self.suffix.is_empty() {
            b = b.filename_suffix(&self.suffix);
        }
        b.build(&self.dir).map_err(io::Error::other)
    }

    /// Compresses and prunes now, then every little while, until the
    /// returned sender is dropped.
    fn spawn_maintenance(self, cfg: LoggingSection) -> io::Result<mpsc::Sender<()>> {
        let (tx, rx) = mpsc::channel::<()>();
        if self.rotation == Rotation::NEVER {
            return Ok(tx);
        }
        let every = if self.rotation == Rotation::MINUTELY {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(30)
        };
        std::thread::Builder::new()
            .name("log-files".into())
            .spawn(move || loop {
                if let Err(e) = files::maintain(
                    &self.dir,
                    &self.prefix,
                    &self.suffix,
                    &cfg,
                    SystemTime::now(),
                ) {
                    tracing::warn!("log file rotation upkeep in {}: {e}", self.dir.display());
                }
                match rx.recv_timeout(every) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            })?;
        Ok(tx)
    }
}
