use ecabinet_protocol::{Change, Op};
use ecabinet_store::{Entity, FeedChange, FeedOp};

use crate::clock::now_ms;
use crate::{SyncError, Syncer};

/// Page size asked of the server.
const PAGE: u32 = 500;

/// What a pull did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PullReport {
    pub pages: u32,
    pub changes: u64,
    /// The cursor after the pull.
    pub cursor: i64,
    /// Measured offset of the server's clock over ours, in ms.
    pub clock_offset_ms: i64,
    /// Rotations of the server's signing key this pull followed (the new
    /// key is pinned).
    pub key_rotations: u32,
    /// Whether a newer list of trusted signature roots was taken.
    pub trusted_roots_updated: bool,
}

fn to_store(c: Change) -> Result<FeedChange, SyncError> {
    let entity = Entity::parse(c.entity.as_str())
        .ok_or_else(|| SyncError::Protocol(format!("unknown entity {}", c.entity.as_str())))?;
    let op = match (c.op, c.body) {
        (Op::Upsert, Some(body)) => FeedOp::Upsert(body),
        (Op::Upsert, None) => {
            return Err(SyncError::Protocol(format!(
                "upsert of {} without a body",
                c.id
            )))
        }
        (Op::Delete, _) => FeedOp::Delete,
    };
    Ok(FeedChange {
        entity,
        id: c.id,
        op,
    })
}

impl Syncer {
    /// Pages through the feed from the stored cursor to its end. Each page and
    /// its new cursor go into the cache in one transaction, so an interruption
    /// at any point leaves the cache at a page boundary and the next pull
    /// continues from there.
    pub async fn pull(&self) -> Result<PullReport, SyncError> {
        let mut report = PullReport {
            cursor: self.with_store(|s| s.cursor()).await?,
            ..PullReport::default()
        };
        let mut pinned = self
            .with_store(|s| s.manifest_key())
            .await?
            .ok_or(SyncError::NotEnrolled)?;
        loop {
            let sent_at = now_ms();
            let page = self.api.changes(report.cursor, PAGE).await?;
            let received_at = now_ms();
            // Before anything of the page is used: a server that now signs
            // with another key is refused as a whole, unless the key before
            // signed it in (a rotation), and then it is pinned from here on.
            if let Some(keys) =
                crate::enrol::check_pinned_key(&pinned, &page.signing_key, &page.key_rotations)?
            {
                let mut retired = vec![pinned.clone()];
                retired.extend(keys.iter().take(keys.len().saturating_sub(1)).cloned());
                let new = keys.last().cloned().unwrap_or_default();
                let pin = new.clone();
                self.with_store(move |s| s.rotate_manifest_key(&pin, &retired))
                    .await?;
                report.key_rotations += keys.len() as u32;
                pinned = new;
            }
            if let Some(at) = page.trusted_roots_at {
                if self
                    .refresh_trusted_roots(at, &pinned, page.server_time)
                    .await?
                {
                    report.trusted_roots_updated = true;
                }
            }
            // The server stamped its time somewhere between our send and our
            // receipt; the midpoint is the best single estimate.
            report.clock_offset_ms = page.server_time - (sent_at + received_at) / 2;
            if page.next_since < report.cursor {
                return Err(SyncError::Protocol(format!(
                    "feed cursor went backwards: {} after {}",
                    page.next_since, report.cursor
                )));
            }
            if page.has_more && page.next_since == report.cursor {
                // "More follows" from the same place would be asked for again
                // and again: a broken or hostile server, not a feed.
                return Err(SyncError::Protocol(format!(
                    "feed cursor did not advance: the server says more follows {} but sends the same cursor again",
                    report.cursor
                )));
            }
            let n = page.changes.len() as u64;
            let (annotations, others) = crate::annotations::split(page.changes);
            let annotations = self.open_annotations(annotations).await?;
            let changes = others
                .into_iter()
                .map(to_store)
                .collect::<Result<Vec<_>, _>>()?;
            let next = page.next_since;
            let offset = report.clock_offset_ms;
            let lease_hours = page.offline_lease_hours;
            let upload_limit = page.max_upload_bytes;
            self.with_store(move |s| {
                s.apply_page(&changes, &annotations, next)?;
                s.set_clock_offset_ms(offset)?;
                crate::secretary::record_upload_limit(s, upload_limit)?;
                crate::lease::record_policy(s, lease_hours)
            })
            .await?;
            report.pages += 1;
            report.changes += n;
            report.cursor = next;
            if !page.has_more {
                return Ok(report);
            }
        }
    }
}
