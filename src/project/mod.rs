//! A project folder on disk and a running server's copy of it:
//! [`scan`] reads the folder (scripts by relative path, `public/` as
//! assets, each with its SHA-256), [`plan`] compares it with what the
//! server reports, [`remote`] talks to the management API, and [`cli`] is
//! `aiwebengine deploy` and `aiwebengine pull`.

pub mod cli;
pub mod plan;
pub mod remote;
pub mod scan;

pub use plan::{Kind, Op, Plan, Step};
pub use scan::{scan, LocalFile, Project};

/// Why `deploy` or `pull` stopped; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// Reading or writing the folder.
    #[error("{0}")]
    Local(String),
    /// Reaching the server, or an answer it should not give.
    #[error("{0}")]
    Remote(String),
    /// The server refused one file (a load error, a conflict, a bad name).
    #[error("{file}{at}: {message}", at = at(*line, *column))]
    Refused {
        file: String,
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
}

fn at(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// Lower-case hex SHA-256, as the server reports for scripts and assets.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
