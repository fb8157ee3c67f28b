//! The rules every outbound URL passes, on the first request and on each
//! redirect: http(s) only, the host allowlist, and no literal address in a
//! refused range. Names are checked again after DNS resolution
//! ([`super::resolve`]), so a name cannot smuggle in a private address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::FetchConfig;

/// Why an address may not be reached (unless `allow_private`).
pub fn refused_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "cloud metadata",
        _ if ip.is_broadcast() => "broadcast",
        (0, _) => "unspecified",
        (127, _) => "loopback",
        (10, _) | (192, 168) => "private",
        (172, 16..=31) => "private",
        (169, 254) => "link-local",
        (100, 64..=127) => "shared (CGNAT)",
        (198, 18..=19) => "benchmarking",
        (192, 0) if c == 0 => "IETF protocol",
        (224..=239, _) => "multicast",
        (240..=255, _) => "reserved",
        _ => return None,
    })
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some("cloud metadata");
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // Addresses that carry an IPv4 address: judge the IPv4 one.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_class(v4);
    }
    if s[..6] == [0; 6] {
        return v4_class(embedded(s[6], s[7])); // IPv4-compatible (deprecated)
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_class(embedded(s[6], s[7])); // NAT64
    }
    if s[0] == 0x2002 {
        return v4_class(embedded(s[1], s[2])); // 6to4
    }
    match s[0] {
        x if x & 0xfe00 == 0xfc00 => Some("private (unique local)"),
        x if x & 0xffc0 == 0xfe80 => Some("link-local"),
        x if x & 0xffc0 == 0xfec0 => Some("private (site-local)"),
        x if x & 0xff00 == 0xff00 => Some("multicast"),
        _ => None,
    }
}

/// A URL the rules refuse; `reason` ends with what would allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
}

/// Checks scheme, allowlist and literal addresses for `script`.
pub fn check_url(cfg: &FetchConfig, script: &str, url: &Url) -> Result<(), Refusal> {
    let refuse = |reason: String| Err(Refusal { reason });
    if !matches!(url.scheme(), "http" | "https") {
        return refuse(format!(
            "only http: and https: URLs can be fetched, not {}:",
            url.scheme()
        ));
    }
    let Some(host) = url.host() else {
        return refuse("the URL has no host".into());
    };
    let port = url.port_or_known_default().unwrap_or(0);
    let name = host_text(&host);
    if !allowed(cfg, script, &name, port) {
        let entry = match url.port() {
            Some(p) => format!("{name}:{p}"),
            None => name.clone(),
        };
        return refuse(format!(
            "host {name} is not in js.fetch.allow (add \"{entry}\" to js.fetch.allow or js.fetch.scripts.\"{script}\")"
        ));
    }
    let ip = match host {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(_) => return Ok(()),
    };
    match refused_class(ip) {
        Some(class) if !cfg.allow_private => refuse(format!(
            "{ip} is {} {class} address (allow with js.fetch.allow_private = true)",
            article(class)
        )),
        _ => Ok(()),
    }
}

pub(crate) fn article(class: &str) -> &'static str {
    if class.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The host as written in allowlist entries: lowercase, IPv6 in brackets.
fn host_text(host: &Host<&str>) -> String {
    match host {
        Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => format!("[{ip}]"),
    }
}

fn allowed(cfg: &FetchConfig, script: &str, host: &str, port: u16) -> bool {
    let extra = cfg.scripts.get(script).into_iter().flatten();
    cfg.allow
        .iter()
        .chain(extra)
        .any(|entry| entry_matches(entry, host, port))
}

/// `"*"`, `"host"`, `"host:port"`, `"*.example.com"` (subdomains only),
/// `"[::1]:8080"`. An entry without a port allows every port.
pub fn entry_matches(entry: &str, host: &str, port: u16) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    if entry == "*" {
        return true;
    }
    let (pattern, want_port) = split_port(&entry);
    if want_port.is_some_and(|p| p != port) {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
        None => pattern.trim_end_matches('.') == host,
    }
}

fn split_port(entry: &str) -> (&str, Option<u16>) {
    // "[::1]:8080" or "host:8080"; a bare IPv6 address has no port.
    let colon = if entry.starts_with('[') {
        entry.find("]:").map(|i| i + 1)
    } else if entry.matches(':').count() == 1 {
        entry.find(':')
    } else {
        None
    };
    match colon.and_then(|i| Some((&entry[..i], entry[i + 1..].parse().ok()?))) {
        Some((host, port)) => (host, Some(port)),
        None => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(allow: &[&str]) -> FetchConfig {
        FetchConfig {
            allow: allow.iter().map(|s| s.to_string()).collect(),
            ..FetchConfig::default()
        }
    }

    fn check(c: &FetchConfig, url: &str) -> Result<(), String> {
        check_url(c, "blog.js", &Url::parse(url).unwrap()).map_err(|r| r.reason)
    }

    #[test]
    fn off_by_default_and_names_the_key() {
        let e = check(&FetchConfig::default(), "https://x.com/").unwrap_err();
        assert_eq!(
            e,
            "host x.com is not in js.fetch.allow (add \"x.com\" to js.fetch.allow or js.fetch.scripts.\"blog.js\")"
        );
    }

    #[test]
    fn allowlist_entries() {
        assert!(entry_matches("*", "a.b", 1));
        assert!(entry_matches("API.example.com", "api.example.com", 443));
        assert!(entry_matches(
            "api.example.com:8443",
            "api.example.com",
            8443
        ));
        assert!(!entry_matches(
            "api.example.com:8443",
            "api.example.com",
            443
        ));
        assert!(entry_matches("*.example.com", "a.b.example.com", 443));
        assert!(!entry_matches("*.example.com", "example.com", 443));
        assert!(!entry_matches("*.example.com", "badexample.com", 443));
        assert!(!entry_matches("example.com", "example.com.evil.net", 443));
        assert!(entry_matches("[::1]:8080", "[::1]", 8080));
        assert!(entry_matches("127.0.0.1", "127.0.0.1", 4000));
    }

    #[test]
    fn per_script_entries() {
        let mut c = cfg(&[]);
        c.scripts
            .insert("blog.js".into(), vec!["api.example.com".into()]);
        assert!(check(&c, "https://api.example.com/x").is_ok());
        let other = check_url(
            &c,
            "other.js",
            &Url::parse("https://api.example.com/").unwrap(),
        );
        assert!(other.is_err());
    }

    #[test]
    fn schemes_other_than_http_are_refused() {
        let e = check(&cfg(&["*"]), "file:///etc/passwd").unwrap_err();
        assert!(e.contains("only http: and https:"), "{e}");
    }

    #[test]
    fn literal_private_addresses_are_refused() {
        let c = cfg(&["*"]);
        let e = check(&c, "http://10.0.0.5/").unwrap_err();
        assert_eq!(
            e,
            "10.0.0.5 is a private address (allow with js.fetch.allow_private = true)"
        );
        for url in [
            "http://127.0.0.1:8080/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[fd00:ec2::254]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://255.255.255.255/",
            "http://2130706433/", // 127.0.0.1 in decimal, as the URL parser reads it
        ] {
            assert!(check(&c, url).is_err(), "{url} should be refused");
        }
        assert!(check(&c, "http://93.184.216.34/").is_ok());
        assert!(check(&c, "http://[2606:4700::1111]/").is_ok());
        let open = FetchConfig {
            allow_private: true,
            ..c
        };
        assert!(check(&open, "http://127.0.0.1/").is_ok());
    }

    #[test]
    fn metadata_is_named() {
        let e = check(&cfg(&["*"]), "http://169.254.169.254/").unwrap_err();
        assert!(e.contains("cloud metadata"), "{e}");
    }
}
