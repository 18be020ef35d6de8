//! The live loop: hold `GET /v1/events` open while online, sync when the feed
//! advances, notice going offline and coming back without anyone asking.

use std::future::Future;

use ecabinet_protocol::{FEED_EVENT, RESYNC_EVENT};
use futures_util::StreamExt;

use crate::documents::backoff;
use crate::{ProgressSink, SyncError, SyncReport, Syncer};

/// Largest unfinished server-sent event kept (the server's are a few dozen
/// bytes).
const MAX_EVENT_BYTES: usize = 64 << 10;

/// What the live loop reports to the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// Connected to the server's event stream.
    Online,
    /// A sync round finished.
    Synced(SyncReport),
    /// The server cannot be reached; retrying in the background.
    Offline(String),
    /// The device was revoked and the cache wiped; the loop has stopped.
    Revoked,
    /// A sync round failed for another reason (shown, retried on the next event).
    Failed(String),
}

/// Receives the live loop's events and download progress.
pub trait LiveSink: ProgressSink {
    fn event(&self, e: &LiveEvent);
}

/// One server-sent event: its name and data.
#[derive(Debug, PartialEq, Eq)]
struct Sse {
    event: String,
    data: String,
}

/// Splits complete events off the front of `buf` (SSE: blocks separated by a
/// blank line; `event:` and `data:` fields; comments start with `:`).
fn take_events(buf: &mut String) -> Vec<Sse> {
    let mut out = Vec::new();
    loop {
        let normalized = buf.replace("\r\n", "\n");
        if normalized.len() != buf.len() {
            *buf = normalized;
        }
        let Some(end) = buf.find("\n\n") else { break };
        let block: String = buf.drain(..end + 2).collect();
        let mut ev = Sse {
            event: "message".into(),
            data: String::new(),
        };
        let mut any = false;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                ev.event = v.trim().to_owned();
                any = true;
            } else if let Some(v) = line.strip_prefix("data:") {
                if !ev.data.is_empty() {
                    ev.data.push('\n');
                }
                ev.data.push_str(v.trim_start());
                any = true;
            }
        }
        if any {
            out.push(ev);
        }
    }
    out
}

impl Syncer {
    /// Runs until `stop` completes or the device is revoked: keeps the event
    /// stream open, syncs on every "feed advanced" (and once per connection,
    /// to catch up), reconnects with backoff when the network goes away.
    pub async fn run_live(
        &self,
        sink: &dyn LiveSink,
        stop: impl Future<Output = ()>,
    ) -> Result<(), SyncError> {
        tokio::pin!(stop);
        tokio::select! {
            r = self.live_loop(sink) => r,
            () = &mut stop => Ok(()),
        }
    }

    async fn live_loop(&self, sink: &dyn LiveSink) -> Result<(), SyncError> {
        let mut failures = 0u32;
        loop {
            match self.follow_events(sink).await {
                Err(SyncError::DeviceRevoked) => {
                    sink.event(&LiveEvent::Revoked);
                    return Err(SyncError::DeviceRevoked);
                }
                Err(e @ SyncError::SessionExpired) => {
                    sink.event(&LiveEvent::Failed(e.to_string()));
                    return Err(e);
                }
                Err(e) if e.is_transient() => sink.event(&LiveEvent::Offline(e.to_string())),
                Err(e) => sink.event(&LiveEvent::Failed(e.to_string())),
                Ok(()) => sink.event(&LiveEvent::Offline("the event stream ended".into())),
            }
            failures = failures.saturating_add(1);
            tokio::time::sleep(backoff(self.options.backoff_base, failures.min(6))).await;
        }
    }

    /// One connection's life. Returns when the stream ends or fails.
    async fn follow_events(&self, sink: &dyn LiveSink) -> Result<(), SyncError> {
        let resp = self.api.send(self.api.get("/v1/events")).await?;
        sink.event(&LiveEvent::Online);
        let mut stream = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(SyncError::Offline)?;
            buf.push_str(&String::from_utf8_lossy(&chunk));
            let events = take_events(&mut buf);
            if buf.len() > MAX_EVENT_BYTES {
                // An event that never ends would grow this buffer without end.
                return Err(SyncError::ResponseTooLarge {
                    what: "server-sent event",
                    limit: MAX_EVENT_BYTES,
                });
            }
            let mut due = false;
            for ev in events {
                if ev.event == FEED_EVENT {
                    let seq = serde_json::from_str::<ecabinet_protocol::FeedAdvanced>(&ev.data)
                        .map(|f| f.seq)
                        .unwrap_or(i64::MAX);
                    let cursor = self.with_store(|s| s.cursor()).await?;
                    due |= seq > cursor;
                } else if ev.event == RESYNC_EVENT {
                    due = true;
                }
            }
            if due {
                match self.sync_once(sink).await {
                    Ok(report) => sink.event(&LiveEvent::Synced(report)),
                    Err(e) if e.is_transient() || matches!(e, SyncError::DeviceRevoked) => {
                        return Err(e)
                    }
                    Err(e) => sink.event(&LiveEvent::Failed(e.to_string())),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_on_blank_lines_and_partial_ones_wait() {
        let mut buf = String::from("event: feed\ndata: {\"seq\":5}\n\n: keep-alive\n\nevent: resync\r\ndata: {}\r\n\r\nevent: fe");
        let evs = take_events(&mut buf);
        assert_eq!(
            evs,
            vec![
                Sse {
                    event: "feed".into(),
                    data: "{\"seq\":5}".into()
                },
                Sse {
                    event: "resync".into(),
                    data: "{}".into()
                },
            ]
        );
        assert_eq!(buf, "event: fe");
        buf.push_str("ed\ndata: {\"seq\":6}\n\n");
        assert_eq!(
            take_events(&mut buf),
            vec![Sse {
                event: "feed".into(),
                data: "{\"seq\":6}".into()
            }]
        );
        assert!(buf.is_empty());
    }
}
