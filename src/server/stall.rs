//! Slow readers: a connection whose writes make no progress for
//! `server.write_timeout_ms` is closed. Without it a client that stops
//! reading (an SSE subscriber that never reads, a download left paused)
//! holds its connection, its queued response and a `max_connections` slot
//! for as long as it likes. The timer exists only while a write is blocked,
//! so a connection that keeps up pays nothing.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

pub struct WriteStall<S> {
    inner: S,
    limit: Duration,
    /// `aiwebengine_http_write_timeouts`.
    closed: Counter,
    /// Armed when a write first returns Pending; cleared by any progress.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteStall<S> {
    pub fn new(inner: S, limit: Duration, closed: Counter) -> WriteStall<S> {
        WriteStall {
            inner,
            limit,
            closed,
            timer: None,
        }
    }

    /// The write is blocked: Pending until the limit, then an error that
    /// ends the connection.
    fn blocked<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.closed.inc();
                Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client read nothing for {} ms (server.write_timeout_ms); connection closed",
                    limit.as_millis()
                ),
                )))
            }
        }
    }

    fn progressed<T>(
        &mut self,
        r: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(r) => {
                self.timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.blocked(cx),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStall<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStall<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.progressed(r, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.progressed(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_flush(cx);
        this.progressed(r, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_reader_that_stops_is_cut_off_and_one_that_reads_is_not() {
        // A pipe with a 1 KiB buffer: writes block once it is full.
        let (client, server) = tokio::io::duplex(1024);
        let closed = Counter::default();
        let mut w = WriteStall::new(server, Duration::from_millis(200), closed.clone());
        let started = std::time::Instant::now();
        let mut err = None;
        for _ in 0..100 {
            if let Err(e) = w.write_all(&[b'x'; 512]).await {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("the blocked write must fail");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("server.write_timeout_ms"), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(closed.get(), 1);
        drop(client);

        // A reader that keeps up: many times the buffer goes through.
        let (mut client, server) = tokio::io::duplex(1024);
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut client, &mut sink)
                .await
                .map(|_| sink.len())
        });
        let mut w = WriteStall::new(server, Duration::from_millis(200), closed.clone());
        for _ in 0..200 {
            w.write_all(&[b'y'; 512])
                .await
                .expect("a reading client is never cut off");
        }
        w.shutdown().await.unwrap();
        drop(w);
        assert_eq!(reader.await.unwrap().unwrap(), 200 * 512);
        assert_eq!(closed.get(), 1, "no second timeout");
    }
}
