//! Spreads connections over the I/O threads (issue 14, multi-core).
//!
//! Every I/O thread accepts on the same listening sockets, and a thread that
//! wakes first drains the whole backlog: when a client opened its 64
//! keep-alive connections at once, one thread could end up serving all of
//! them while another core idled. So each accepted connection goes to the
//! thread serving the fewest open connections now. The accepting thread keeps
//! it on a tie (no hop), otherwise hands the socket over through that
//! thread's inbox; the handshake, TLS included, happens there.

use std::net::SocketAddr;
use std::sync::Mutex;

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::mpsc;

/// An accepted connection on its way to another I/O thread.
pub(super) struct Handoff {
    pub stream: std::net::TcpStream,
    pub peer: SocketAddr,
    pub secure: bool,
    /// The count it was given, taken back when the connection ends.
    pub open: Gauge,
}

/// The open-connection count of each I/O thread (the metric's gauges) and
/// the inbox each thread receives handed-over connections in.
pub(super) struct Balance {
    open: Vec<Gauge>,
    /// Two threads choosing at once would both see the same counts and
    /// could pick the same thread; a choice is rare next to requests.
    choosing: Mutex<()>,
    inbox: Vec<mpsc::UnboundedSender<Handoff>>,
}

impl Balance {
    /// For `open.len()` threads; thread `i` reads the `i`-th receiver.
    pub fn new(open: Vec<Gauge>) -> (Balance, Vec<mpsc::UnboundedReceiver<Handoff>>) {
        let (inbox, rx) = open.iter().map(|_| mpsc::unbounded_channel()).unzip();
        (
            Balance {
                open,
                choosing: Mutex::new(()),
                inbox,
            },
            rx,
        )
    }

    /// The thread that takes a connection `me` accepted, counted as one
    /// more open connection of that thread.
    pub fn choose(&self, me: usize) -> (usize, Gauge) {
        let _one_at_a_time = self.choosing.lock().unwrap_or_else(|e| e.into_inner());
        let mut best = me;
        let mut fewest = self.open[me].get();
        for (i, g) in self.open.iter().enumerate() {
            let n = g.get();
            if n < fewest {
                (best, fewest) = (i, n);
            }
        }
        let gauge = self.open[best].clone();
        gauge.inc();
        (best, gauge)
    }

    /// Hands `h` to thread `to`; gives it back when that thread has stopped.
    pub fn send(&self, to: usize, h: Handoff) -> Result<(), Handoff> {
        self.inbox[to].send(h).map_err(|e| e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_goes_to_the_thread_with_the_fewest() {
        let (b, _rx) = Balance::new(vec![Gauge::default(), Gauge::default(), Gauge::default()]);
        // A burst accepted by thread 0 alone ends up spread over all three.
        let picks: Vec<usize> = (0..6).map(|_| b.choose(0).0).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
        // A connection ending on thread 1 makes it the next choice of any
        // accepting thread.
        b.open[1].dec();
        assert_eq!(b.choose(2).0, 1);
        // On a tie the accepting thread keeps it.
        assert_eq!(b.choose(2).0, 2);
    }
}
