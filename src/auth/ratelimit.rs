//! Login rate limit per account: a token bucket per email, in memory. An
//! attempt takes a token up front (so a burst of parallel guesses cannot
//! slip through) and a successful login gives it back, so only failures
//! count. Limits per client address are the HTTP layer's
//! (`[security.rate_limit]`), which knows about proxies.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::AuthError;

/// Failed attempts allowed at once per account.
const BURST: f64 = 20.0;
/// Then one more every this many seconds.
const EVERY_SECS: f64 = 6.0;
/// Past this many accounts, idle (full) buckets are dropped.
const MAX_BUCKETS: usize = 10_000;

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    burst: f64,
    every_secs: f64,
}

impl Default for RateLimiter {
    fn default() -> RateLimiter {
        RateLimiter::new(BURST, EVERY_SECS)
    }
}

impl RateLimiter {
    /// `burst` failures at once per account, then one more every `every_secs`.
    pub fn new(burst: f64, every_secs: f64) -> RateLimiter {
        RateLimiter {
            buckets: Mutex::new(HashMap::new()),
            burst,
            every_secs,
        }
    }

    /// Takes one attempt from the account's bucket, or refuses.
    pub fn take(&self, account: &str) -> Result<(), AuthError> {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() > MAX_BUCKETS {
            b.retain(|_, v| self.level(v, now) < self.burst);
        }
        let bucket = b.entry(key(account)).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let t = self.level(bucket, now);
        if t < 1.0 {
            let wait = ((1.0 - t) * self.every_secs).ceil() as u64;
            return Err(AuthError::RateLimited(wait.max(1)));
        }
        bucket.tokens = t - 1.0;
        bucket.at = now;
        Ok(())
    }

    /// Gives the attempt back (the login succeeded).
    pub fn refund(&self, account: &str) {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = b.get_mut(&key(account)) {
            bucket.tokens = (self.level(bucket, now) + 1.0).min(self.burst);
            bucket.at = now;
        }
    }
}

fn key(account: &str) -> String {
    account.trim().to_lowercase()
}

impl RateLimiter {
    fn level(&self, b: &Bucket, now: Instant) -> f64 {
        let refill = now.duration_since(b.at).as_secs_f64() / self.every_secs;
        (b.tokens + refill).min(self.burst)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_account_runs_dry_and_successes_are_free() {
        let r = super::RateLimiter::default();
        for _ in 0..100 {
            r.take("ok@b.c").unwrap();
            r.refund("ok@b.c");
        }
        for _ in 0..20 {
            r.take("A@b.c").unwrap();
        }
        assert!(r.take("a@b.c").is_err());
        assert!(r.take("other@b.c").is_ok());
    }
}
