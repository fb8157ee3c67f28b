//! Token buckets per client IP (or per user, when the caller is
//! authenticated) for path prefixes, in one bounded LRU map: a flood of
//! distinct IPs evicts the least recently seen buckets instead of growing
//! memory (REQ-SEC-006).

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue};
use lru::LruCache;

use super::net::{is_loopback, Cidr};
use crate::config::security::RateLimitSection;

pub const AUTH_PREFIX: &str = "/engine/auth/";

struct Rule {
    prefix: String,
    per_ip: u32,
    per_user: u32,
    window_secs: u64,
}

#[derive(Clone, Hash, PartialEq, Eq)]
enum Who {
    Ip(IpAddr),
    User(Arc<str>),
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The verdict's numbers, sent as `X-RateLimit-*` headers.
pub struct Quota {
    limit: u32,
    remaining: u32,
    /// Seconds until the bucket is full again.
    reset: u64,
    /// Seconds until one more request is allowed (only when refused).
    retry_after: Option<u64>,
}

impl Quota {
    pub fn allowed(&self) -> bool {
        self.retry_after.is_none()
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        if let Some(s) = self.retry_after {
            headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(s));
        }
    }
}

pub struct RateLimiter {
    rules: Vec<Rule>,
    loopback_exempt: bool,
    trusted: Vec<Cidr>,
    buckets: Mutex<LruCache<(usize, Who), Bucket>>,
}

impl RateLimiter {
    pub fn new(cfg: &RateLimitSection) -> RateLimiter {
        let mut rules: Vec<Rule> = cfg
            .rules
            .iter()
            .map(|r| Rule {
                prefix: r.path.clone(),
                per_ip: r.per_ip,
                per_user: r.per_user,
                window_secs: r.window_secs.max(1),
            })
            .collect();
        if cfg.auth_per_minute > 0 && !rules.iter().any(|r| r.prefix == AUTH_PREFIX) {
            rules.push(Rule {
                prefix: AUTH_PREFIX.into(),
                per_ip: cfg.auth_per_minute,
                per_user: 0,
                window_secs: 60,
            });
        }
        let cap = NonZeroUsize::new(cfg.max_clients).unwrap_or(NonZeroUsize::MIN);
        RateLimiter {
            rules,
            loopback_exempt: cfg.loopback_exempt,
            trusted: cfg
                .trusted_proxies
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            buckets: Mutex::new(LruCache::new(cap)),
        }
    }

    /// The client: the peer, or, when the peer is a trusted proxy, the
    /// right-most `X-Forwarded-For` address that is not a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if self.trusted.is_empty() || !self.is_trusted(peer) {
            return peer;
        }
        let mut client = peer;
        for value in headers.get_all("x-forwarded-for").iter().rev() {
            let Ok(list) = value.to_str() else { break };
            for hop in list.rsplit(',') {
                let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                    return client;
                };
                client = ip.to_canonical();
                if !self.is_trusted(client) {
                    return client;
                }
            }
        }
        client
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|c| c.contains(ip))
    }

    /// The rule for `path` (longest prefix), if any applies to this client.
    /// `user` is asked for only when the rule has a per-user limit.
    pub fn check(
        &self,
        client: IpAddr,
        path: &str,
        user: impl FnOnce() -> Option<Arc<str>>,
    ) -> Option<Quota> {
        if self.rules.is_empty() || (self.loopback_exempt && is_loopback(client)) {
            return None;
        }
        let (index, rule) = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| path.starts_with(&r.prefix))
            .max_by_key(|(_, r)| r.prefix.len())?;
        let (who, limit) = match (rule.per_user > 0).then(user).flatten() {
            Some(u) => (Who::User(u), rule.per_user),
            None => (Who::Ip(client), rule.per_ip),
        };
        if limit == 0 {
            return None;
        }
        Some(self.take((index, who), limit, rule.window_secs))
    }

    fn take(&self, key: (usize, Who), limit: u32, window_secs: u64) -> Quota {
        let now = Instant::now();
        let cap = f64::from(limit);
        let per_sec = cap / window_secs as f64;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.get_or_insert_mut(key, || Bucket {
            tokens: cap,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(cap);
        b.at = now;
        let retry_after = if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            None
        } else {
            Some(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64)
        };
        Quota {
            limit,
            remaining: b.tokens.floor() as u32,
            reset: ((cap - b.tokens) / per_sec).ceil() as u64,
            retry_after,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::security::RateRule;

    fn limiter(max_clients: usize) -> RateLimiter {
        RateLimiter::new(&RateLimitSection {
            loopback_exempt: false,
            max_clients,
            trusted_proxies: vec!["10.0.0.0/8".into()],
            rules: vec![RateRule {
                path: "/api/".into(),
                per_ip: 2,
                per_user: 5,
                window_secs: 60,
            }],
            ..RateLimitSection::default()
        })
    }

    #[test]
    fn refuses_after_the_burst_and_says_when_to_retry() {
        let l = limiter(10);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(l.check(ip, "/api/x", || None).unwrap().allowed());
        let q = l.check(ip, "/api/x", || None).unwrap();
        assert!(q.allowed());
        assert_eq!(q.remaining, 0);
        let q = l.check(ip, "/api/x", || None).unwrap();
        assert!(!q.allowed());
        assert_eq!(q.retry_after(), Some(30));
        assert!(l.check(ip, "/other", || None).is_none());
        // An authenticated caller has its own, larger bucket.
        let q = l.check(ip, "/api/x", || Some("u1".into())).unwrap();
        assert_eq!((q.limit, q.remaining), (5, 4));
    }

    #[test]
    fn memory_is_bounded_under_a_flood_of_ips() {
        let l = limiter(100);
        for i in 0..10_000u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0xC000_0000 + i));
            l.check(ip, "/api/", || None);
        }
        assert_eq!(l.len(), 100);
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let l = limiter(10);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.1.1.1".parse().unwrap());
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let other: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            l.client_ip(proxy, &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(l.client_ip(other, &h), other);
    }
}
