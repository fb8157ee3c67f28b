//! The parts of HTTP serving that are plain logic on header text:
//! conditional requests (RFC 9110 §13) and single byte ranges (§14).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a `Range` header asks of a body of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Ranged {
    /// No usable range (absent, malformed, several ranges): the whole body.
    Full,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// 416: nothing of the body is in the range.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`. Several ranges are
/// answered with the whole body, which RFC 9110 allows.
pub fn parse(header: &str, size: u64) -> Ranged {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ranged::Full;
    };
    if spec.contains(',') {
        return Ranged::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ranged::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ranged::Full,
        (true, false) => match num(b) {
            None => Ranged::Full,
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if size == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        (false, _) => {
            let (Some(start), end) = (num(a), if b.is_empty() { Some(u64::MAX) } else { num(b) })
            else {
                return Ranged::Full;
            };
            match end {
                None => Ranged::Full,
                Some(end) if end < start => Ranged::Full,
                Some(_) if start >= size => Ranged::Unsatisfiable,
                Some(end) => Ranged::Part {
                    start,
                    end: end.min(size - 1),
                },
            }
        }
    }
}

/// Weak comparison of an `If-None-Match` list with an entity tag.
pub fn none_match(header: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let mine = bare(etag);
    header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == mine)
}

/// Strong comparison for `If-Range` with an entity tag (a date is taken
/// as "changed": the whole body is sent).
pub fn if_range(header: &str, etag: &str) -> bool {
    let h = header.trim();
    !h.starts_with("W/") && !etag.starts_with("W/") && h == etag
}

/// `If-Modified-Since`: true when the content is not newer than the date
/// (compared in whole seconds, as HTTP dates carry).
pub fn not_modified_since(header: &str, modified: SystemTime) -> bool {
    let Ok(since) = httpdate::parse_http_date(header.trim()) else {
        return false;
    };
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    secs(modified) <= secs(since)
}

/// Milliseconds since the epoch as a time.
pub fn from_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse("bytes=0-9", 100), Ranged::Part { start: 0, end: 9 });
        assert_eq!(parse("bytes=90-", 100), Ranged::Part { start: 90, end: 99 });
        assert_eq!(parse("bytes=-10", 100), Ranged::Part { start: 90, end: 99 });
        assert_eq!(parse("bytes=-500", 100), Ranged::Part { start: 0, end: 99 });
        assert_eq!(
            parse("bytes=50-500", 100),
            Ranged::Part { start: 50, end: 99 }
        );
        assert_eq!(parse("bytes=100-", 100), Ranged::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Ranged::Unsatisfiable);
        assert_eq!(parse("bytes=0-1,5-6", 100), Ranged::Full);
        assert_eq!(parse("items=0-1", 100), Ranged::Full);
        assert_eq!(parse("bytes=9-1", 100), Ranged::Full);
        assert_eq!(parse("bytes=0-0", 0), Ranged::Unsatisfiable);
    }

    #[test]
    fn conditionals() {
        assert!(none_match("\"a\", \"b\"", "\"b\""));
        assert!(none_match("W/\"b\"", "\"b\""));
        assert!(none_match("*", "\"b\""));
        assert!(!none_match("\"a\"", "\"b\""));
        assert!(if_range("\"b\"", "\"b\""));
        assert!(!if_range("W/\"b\"", "\"b\""));
        let t = from_millis(1_700_000_000_500);
        assert!(not_modified_since(&httpdate::fmt_http_date(t), t));
        assert!(!not_modified_since(
            &httpdate::fmt_http_date(from_millis(1_600_000_000_000)),
            t
        ));
        assert!(!not_modified_since("yesterday", t));
    }
}
