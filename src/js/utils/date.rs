//! `formatDate(date, {format, timeZone})`: what QuickJS lacks without
//! `Intl`. Time zones are UTC or fixed offsets (`+02:00`); named zones
//! such as `Europe/Paris` need a tz database and are refused.

use rquickjs::{Ctx, Exception};
use time::{OffsetDateTime, UtcOffset};

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(super) fn format_date(
    ctx: Ctx<'_>,
    millis: f64,
    format: String,
    zone: String,
) -> rquickjs::Result<String> {
    let err = |m: String| Exception::throw_range(&ctx, &m);
    if !millis.is_finite() {
        return Err(err("formatDate: the date is invalid".into()));
    }
    let offset = parse_zone(&zone).ok_or_else(|| {
        err(format!(
            "formatDate: timeZone {zone:?} is not supported; use \"UTC\" or a fixed offset such as \"+02:00\" (named zones need Intl, which this engine does not have)"
        ))
    })?;
    let nanos = (millis.floor() as i128) * 1_000_000;
    let t = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|e| err(format!("formatDate: {e}")))?
        .to_offset(offset);
    Ok(match format.as_str() {
        "rfc3339" | "iso" => pattern(&t, "YYYY-MM-DD[T]HH:mm:ss.SSSZ", true),
        // HTTP dates are always GMT (RFC 7231 §7.1.1.1).
        "rfc7231" | "http" => pattern(
            &t.to_offset(UtcOffset::UTC),
            "ddd, DD MMM YYYY HH:mm:ss [GMT]",
            false,
        ),
        p => pattern(&t, p, false),
    })
}

/// "UTC", "Z", "GMT", "+02:00", "-0530", "+2".
fn parse_zone(z: &str) -> Option<UtcOffset> {
    if matches!(z, "" | "UTC" | "utc" | "Z" | "GMT" | "Etc/UTC") {
        return Some(UtcOffset::UTC);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    UtcOffset::from_whole_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// Tokens: YYYY YY MMMM MMM MM M DD D dddd ddd HH H hh h mm ss SSS A Z ZZ;
/// text in [brackets] is literal. `z_utc` writes UTC as `Z` (RFC 3339).
fn pattern(t: &OffsetDateTime, p: &str, z_utc: bool) -> String {
    const TOKENS: [&str; 20] = [
        "YYYY", "MMMM", "dddd", "MMM", "ddd", "SSS", "YY", "MM", "DD", "HH", "hh", "mm", "ss",
        "ZZ", "M", "D", "H", "h", "A", "Z",
    ];
    let mut out = String::with_capacity(p.len() + 8);
    let mut rest = p;
    while !rest.is_empty() {
        if let Some(lit) = rest.strip_prefix('[') {
            let end = lit.find(']').unwrap_or(lit.len());
            out.push_str(&lit[..end]);
            rest = lit.get(end + 1..).unwrap_or("");
            continue;
        }
        match TOKENS.iter().find(|tok| rest.starts_with(**tok)) {
            Some(tok) => {
                out.push_str(&token(t, tok, z_utc));
                rest = &rest[tok.len()..];
            }
            None => {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

fn token(t: &OffsetDateTime, tok: &str, z_utc: bool) -> String {
    let h12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let month = u8::from(t.month()) as usize;
    let (oh, om, _) = t.offset().as_hms();
    let sign = if t.offset().is_negative() { '-' } else { '+' };
    match tok {
        "YYYY" => format!("{:04}", t.year()),
        "YY" => format!("{:02}", t.year().rem_euclid(100)),
        "MMMM" => MONTHS[month - 1].to_string(),
        "MMM" => MONTHS[month - 1][..3].to_string(),
        "MM" => format!("{month:02}"),
        "M" => month.to_string(),
        "DD" => format!("{:02}", t.day()),
        "D" => t.day().to_string(),
        "dddd" => DAYS[t.weekday().number_days_from_monday() as usize].to_string(),
        "ddd" => DAYS[t.weekday().number_days_from_monday() as usize][..3].to_string(),
        "HH" => format!("{:02}", t.hour()),
        "H" => t.hour().to_string(),
        "hh" => format!("{h12:02}"),
        "h" => h12.to_string(),
        "mm" => format!("{:02}", t.minute()),
        "ss" => format!("{:02}", t.second()),
        "SSS" => format!("{:03}", t.millisecond()),
        "A" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
        "Z" if z_utc && t.offset().is_utc() => "Z".to_string(),
        "Z" => format!("{sign}{:02}:{:02}", oh.abs(), om.abs()),
        _ => format!("{sign}{:02}{:02}", oh.abs(), om.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_zones() {
        let t = OffsetDateTime::from_unix_timestamp(784111777).unwrap();
        assert_eq!(
            pattern(&t, "ddd, DD MMM YYYY HH:mm:ss [GMT]", false),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        let p = t.to_offset(parse_zone("+05:30").unwrap());
        assert_eq!(
            pattern(&p, "YYYY-MM-DD[T]HH:mm:ssZ", true),
            "1994-11-06T14:19:37+05:30"
        );
        assert!(parse_zone("Europe/Paris").is_none());
    }
}
