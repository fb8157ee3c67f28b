//! The HTTP end of a streamed response body (see `stream_body`): a
//! `Stream` of chunks that asks the owning JS worker for each one as the
//! client reads, and cancels the iteration when dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::worker::{Deliver, LocalMsg};

/// What the HTTP side asks of a stream's worker.
#[derive(Debug)]
pub enum StreamOp {
    /// The client can take the next chunk.
    Pull,
    /// The body was dropped (client gone, or `reason`: the engine gave up).
    Cancel(Option<String>),
}

pub(crate) enum Chunk {
    Data(Bytes),
    End,
    Failed(String),
}

/// A streamed response body, as the HTTP layer sees it.
pub struct ChunkStream {
    rx: mpsc::Receiver<Chunk>,
    deliver: Deliver,
    generation: u64,
    sid: u64,
    asked: bool,
    finished: bool,
    idle: Option<Duration>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl std::fmt::Debug for ChunkStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkStream")
            .field("generation", &self.generation)
            .field("sid", &self.sid)
            .finish()
    }
}

impl ChunkStream {
    pub(crate) fn new(
        rx: mpsc::Receiver<Chunk>,
        deliver: Deliver,
        generation: u64,
        sid: u64,
    ) -> ChunkStream {
        ChunkStream {
            rx,
            deliver,
            generation,
            sid,
            asked: false,
            finished: false,
            idle: None,
            timer: None,
        }
    }

    /// Each chunk must arrive within `idle` of being asked for; past it the
    /// body is cut off (the whole-request deadline ends with the head).
    pub fn with_idle_timeout(mut self, idle: Duration) -> ChunkStream {
        self.idle = Some(idle);
        self
    }

    fn ask(&mut self, op: StreamOp) {
        (self.deliver)(LocalMsg::Stream {
            generation: self.generation,
            sid: self.sid,
            op,
        });
    }
}

impl futures_util::Stream for ChunkStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        if !this.asked {
            this.asked = true;
            this.ask(StreamOp::Pull);
            this.timer = this.idle.map(|d| Box::pin(tokio::time::sleep(d)));
        }
        let fail = |this: &mut ChunkStream, msg: String| {
            this.finished = true;
            Poll::Ready(Some(Err(std::io::Error::other(msg))))
        };
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(Chunk::Data(b))) => {
                this.asked = false;
                this.timer = None;
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some(Chunk::End)) => {
                this.finished = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Chunk::Failed(msg))) => fail(this, msg),
            Poll::Ready(None) => fail(
                this,
                "the script's context ended before the streamed body was complete".into(),
            ),
            Poll::Pending => {
                let expired = this
                    .timer
                    .as_mut()
                    .is_some_and(|t| t.as_mut().poll(cx).is_ready());
                if !expired {
                    return Poll::Pending;
                }
                let ms = this.idle.unwrap_or_default().as_millis();
                let msg = format!("the streamed body produced no chunk within {ms} ms (server.request_timeout_ms); the response was cut off");
                this.ask(StreamOp::Cancel(Some(msg.clone())));
                fail(this, msg)
            }
        }
    }
}

impl Drop for ChunkStream {
    fn drop(&mut self) {
        if !self.finished {
            self.ask(StreamOp::Cancel(None));
        }
    }
}
