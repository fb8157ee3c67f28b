//! `tokio::time::timeout_at` that arms its timer only when the future is not
//! ready at once (issue 14). A GET to a warm inline handler finishes within
//! its first poll, and the script path wraps three steps in the request's
//! deadline: making a `Sleep` for each (a timer entry, the runtime's time
//! handle) was work for nothing on most requests.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

use tokio::time::{sleep_until, Instant, Sleep};

/// The deadline passed before the future finished.
#[derive(Debug, PartialEq, Eq)]
pub struct Elapsed;

/// `fut`'s output, or [`Elapsed`] once `deadline` has passed. The future is
/// polled first, so one that is ready is never timed out, as with tokio's.
pub async fn within<F: Future>(deadline: Instant, fut: F) -> Result<F::Output, Elapsed> {
    let mut fut = pin!(fut);
    let mut sleep = pin!(None::<Sleep>);
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        if sleep.is_none() {
            sleep.set(Some(sleep_until(deadline)));
        }
        match sleep.as_mut().as_pin_mut() {
            Some(s) => s.poll(cx).map(|()| Err(Elapsed)),
            None => Poll::Pending,
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn ready_slow_and_stuck_futures() {
        let soon = Instant::now() + Duration::from_secs(5);
        assert_eq!(within(soon, async { 7 }).await, Ok(7));
        // Ready even though the deadline has passed: polled first.
        let past = Instant::now() - Duration::from_millis(1);
        assert_eq!(within(past, async { 8 }).await, Ok(8));
        let slow = tokio::time::sleep(Duration::from_millis(20));
        assert_eq!(within(soon, slow).await, Ok(()));
        let start = Instant::now();
        let late = start + Duration::from_millis(50);
        let stuck = std::future::pending::<()>();
        assert_eq!(within(late, stuck).await, Err(Elapsed));
        assert!(Instant::now() >= late);
    }
}
