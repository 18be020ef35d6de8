//! Retention: meetings older than a date removed with their records and
//! the blobs no other meeting uses.

use crate::error::Result;
use crate::Store;

/// What [`Store::remove_meetings_before`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    /// Meetings removed.
    pub meetings: usize,
    /// Documents removed.
    pub documents: usize,
    /// Blob files deleted.
    pub blobs: usize,
}

impl Store {
    /// Removes meetings that started before `before_ms` (unix ms) with their
    /// agenda, documents, versions, motions, speaker requests and annotations
    /// in one transaction, then deletes the blob files no remaining version uses.
    pub fn remove_meetings_before(&self, before_ms: i64) -> Result<RetentionReport> {
        let (mut report, orphans) = self.write(|tx| {
            tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS old_meeting (id TEXT PRIMARY KEY); DELETE FROM old_meeting;")?;
            let meetings = tx.execute("INSERT INTO old_meeting SELECT id FROM meeting WHERE starts_at < ?1", [before_ms])?;
            let mut shas: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT DISTINCT sha256 FROM document_version WHERE meeting_id IN (SELECT id FROM old_meeting)",
                )?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.execute(
                "DELETE FROM annotation WHERE doc_id IN
                   (SELECT id FROM document WHERE meeting_id IN (SELECT id FROM old_meeting))",
                [],
            )?;
            tx.execute(
                "DELETE FROM trusted_version WHERE document_id IN
                   (SELECT id FROM document WHERE meeting_id IN (SELECT id FROM old_meeting))",
                [],
            )?;
            let documents =
                tx.execute("DELETE FROM document WHERE meeting_id IN (SELECT id FROM old_meeting)", [])?;
            for table in ["document_version", "verified_version", "agenda_item", "speaker_request", "attendance"] {
                tx.execute(&format!("DELETE FROM {table} WHERE meeting_id IN (SELECT id FROM old_meeting)"), [])?;
            }
            tx.execute(
                "DELETE FROM motion_result WHERE motion_id IN
                   (SELECT id FROM motion WHERE meeting_id IN (SELECT id FROM old_meeting))",
                [],
            )?;
            tx.execute("DELETE FROM motion WHERE meeting_id IN (SELECT id FROM old_meeting)", [])?;
            tx.execute("DELETE FROM meeting WHERE id IN (SELECT id FROM old_meeting)", [])?;
            tx.execute("DELETE FROM old_meeting", [])?;
            // A blob shared with a kept meeting's version stays.
            let mut still_used = tx.prepare(
                "SELECT 1 FROM document_version WHERE sha256 = ?1
                 UNION ALL SELECT 1 FROM verified_version WHERE sha256 = ?1 LIMIT 1",
            )?;
            shas.retain(|s| !still_used.exists([s]).unwrap_or(true));
            Ok((RetentionReport { meetings, documents, blobs: 0 }, shas))
        })?;
        // Files go after the commit: a crash in between leaves unreferenced
        // ciphertext, never a row pointing at a missing blob.
        for sha in orphans {
            if self.has_blob(&sha)? {
                report.blobs += 1;
            }
            self.remove_blob(&sha)?;
        }
        Ok(report)
    }
}
