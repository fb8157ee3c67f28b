//! Process RSS and CPU time, from `/proc/self` on Linux (absent elsewhere).

pub struct ProcessStats {
    pub rss_bytes: u64,
    pub cpu_seconds: f64,
}

#[cfg(target_os = "linux")]
pub fn read() -> Option<ProcessStats> {
    // Linux has used 4 KiB pages and 100 clock ticks per second on every
    // architecture we build for; reading them needs libc.
    const PAGE: u64 = 4096;
    const TICKS: f64 = 100.0;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let rss_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line (1-based).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(ProcessStats {
        rss_bytes: rss_pages * PAGE,
        cpu_seconds: (utime + stime) / TICKS,
    })
}

#[cfg(not(target_os = "linux"))]
pub fn read() -> Option<ProcessStats> {
    None
}
