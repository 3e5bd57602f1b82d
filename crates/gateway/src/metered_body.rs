//! The response body: upstream chunks pass straight through (never buffered into a whole
//! response) while a [`Tap`] (tap.rs) reads token usage from them, and the request's
//! [`Recording`] is finished when the body ends, fails, times out or is dropped by a client that
//! went away.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::stages::Recording;
use crate::tap::Tap;

type Upstream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

pub struct MeteredBody {
    upstream: Upstream,
    tap: Tap,
    ready: VecDeque<Bytes>,
    idle: Pin<Box<Sleep>>,
    idle_timeout: Duration,
    response_bytes: usize,
    /// The upstream's Content-Length: the server stops polling a body once that many bytes are
    /// out, so the end is detected by count, not by waiting for the stream to say so.
    expected_bytes: Option<u64>,
    recording: Option<Recording>,
}

impl MeteredBody {
    pub fn new(
        upstream: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
        expected_bytes: Option<u64>,
        tap: Tap,
        idle_timeout: Duration,
        recording: Recording,
    ) -> Self {
        Self {
            expected_bytes,
            upstream: Box::pin(upstream),
            tap,
            ready: VecDeque::new(),
            idle: Box::pin(tokio::time::sleep(idle_timeout)),
            idle_timeout,
            response_bytes: 0,
            recording: Some(recording),
        }
    }

    /// A body with nothing to send is never polled: end it at once.
    pub fn end_if_empty(&mut self, empty: bool) {
        if empty {
            self.end(None);
        }
    }

    fn end(&mut self, error: Option<&'static str>) {
        let usage = self.tap.finish(&mut self.ready);
        let estimate = self.tap.estimate(self.response_bytes);
        if let Some(mut recording) = self.recording.take() {
            recording.set_plan_limits(self.tap.plan_found());
            recording.set_response_end(usage, estimate, error);
        }
    }
}

impl Drop for MeteredBody {
    /// The client went away mid-body: record what was used up to then.
    fn drop(&mut self) {
        if let Some(mut recording) = self.recording.take() {
            recording.set_plan_limits(self.tap.plan_found());
            let usage = self.tap.usage_so_far();
            let estimate = self.tap.estimate(self.response_bytes);
            recording.set_response_end(usage, estimate, Some("client_disconnected"));
        }
    }
}

impl Stream for MeteredBody {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(chunk) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if this.recording.is_none() {
                return Poll::Ready(None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.idle.as_mut().reset(Instant::now() + this.idle_timeout);
                    this.response_bytes += chunk.len();
                    this.tap.feed(chunk, &mut this.ready);
                    if this.expected_bytes == Some(this.response_bytes as u64) {
                        this.end(None);
                    }
                }
                Poll::Ready(None) => this.end(None),
                Poll::Ready(Some(Err(e))) => {
                    this.end(Some("upstream_stream_error"));
                    return Poll::Ready(Some(Err(std::io::Error::other(e))));
                }
                Poll::Pending => {
                    if this.idle.as_mut().poll(cx).is_ready() {
                        this.end(Some("upstream_idle_timeout"));
                        return Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the upstream stopped sending",
                        ))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
