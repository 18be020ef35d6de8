//! Meetings, agenda items, documents, motions and results as the views
//! read them.

use std::collections::HashMap;

use serde_json::Value;

use super::parse_json;
use crate::error::Result;
use crate::Store;

/// A meeting as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRow {
    /// Meeting id.
    pub id: String,
    /// Its committee.
    pub committee_id: String,
    /// Title.
    pub title: String,
    /// Start, unix ms.
    pub starts_at: i64,
    /// The whole record as received.
    pub body: Value,
}

/// An agenda item with its depth in the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct AgendaRow {
    /// Item id.
    pub id: String,
    /// Parent item, `None` at top level.
    pub parent_id: Option<String>,
    /// Order among siblings.
    pub position: i64,
    /// 0 at top level.
    pub depth: usize,
    /// The whole record as received.
    pub body: Value,
}

/// A document version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    /// Version record id.
    pub id: String,
    /// Its document.
    pub document_id: String,
    /// Version number.
    pub version: u32,
    /// Blob id of its PDF.
    pub sha256: String,
    /// The whole record, including the signed manifest.
    pub body: Value,
}

impl Store {
    /// Meetings, earliest first; of one committee or of all.
    pub fn meetings(&self, committee_id: Option<&str>) -> Result<Vec<MeetingRow>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, committee_id, title, starts_at, body FROM meeting
                 WHERE ?1 IS NULL OR committee_id = ?1 ORDER BY starts_at, id",
            )?;
            let rows = stmt.query_map([committee_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, committee_id, title, starts_at, body) = row?;
                out.push(MeetingRow {
                    id,
                    committee_id,
                    title,
                    starts_at,
                    body: parse_json(&body)?,
                });
            }
            Ok(out)
        })
    }

    /// The agenda of a meeting in reading order: depth first, siblings by position.
    /// Items whose parent is missing are listed at top level rather than hidden.
    pub fn agenda(&self, meeting_id: &str) -> Result<Vec<AgendaRow>> {
        let rows: Vec<(String, Option<String>, i64, String)> = self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, parent_id, position, body FROM agenda_item WHERE meeting_id = ?1 ORDER BY position, id",
            )?;
            let rows = stmt.query_map([meeting_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            let parent = r.1.as_deref().filter(|p| ids.contains(p));
            children.entry(parent).or_default().push(i);
        }
        let mut out = Vec::with_capacity(rows.len());
        let mut stack: Vec<(usize, usize)> = children
            .get(&None)
            .map(|v| v.iter().rev().map(|&i| (i, 0)).collect())
            .unwrap_or_default();
        let mut seen = vec![false; rows.len()];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let (id, parent_id, position, body) = &rows[i];
            out.push(AgendaRow {
                id: id.clone(),
                parent_id: parent_id.clone(),
                position: *position,
                depth,
                body: parse_json(body)?,
            });
            if let Some(kids) = children.get(&Some(id.as_str())) {
                stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
            }
        }
        Ok(out)
    }

    /// Documents of a meeting as `(id, body)`, by id.
    pub fn documents(&self, meeting_id: &str) -> Result<Vec<(String, Value)>> {
        self.bodies(
            "SELECT id, body FROM document WHERE meeting_id = ?1 ORDER BY id",
            meeting_id,
        )
    }

    /// Motions of a meeting as `(id, body)`, by id.
    pub fn motions(&self, meeting_id: &str) -> Result<Vec<(String, Value)>> {
        self.bodies(
            "SELECT id, body FROM motion WHERE meeting_id = ?1 ORDER BY id",
            meeting_id,
        )
    }

    /// Membership bodies (member, display name, role) of one committee, or
    /// of every committee. A body that does not parse is skipped, so one bad
    /// record never hides the others.
    pub fn memberships(&self, committee_id: Option<&str>) -> Result<Vec<Value>> {
        match committee_id {
            Some(c) => {
                self.lenient_bodies("SELECT body FROM membership WHERE committee_id = ?1", &[c])
            }
            None => self.lenient_bodies("SELECT body FROM membership", &[]),
        }
    }

    /// Requests to speak in a meeting (bodies; see [`Store::memberships`]
    /// for bodies that do not parse).
    pub fn speaker_requests(&self, meeting_id: &str) -> Result<Vec<Value>> {
        self.lenient_bodies(
            "SELECT body FROM speaker_request WHERE meeting_id = ?1",
            &[meeting_id],
        )
    }

    /// Attendance marks of a meeting (bodies; see [`Store::memberships`]).
    pub fn attendance(&self, meeting_id: &str) -> Result<Vec<Value>> {
        self.lenient_bodies(
            "SELECT body FROM attendance WHERE meeting_id = ?1",
            &[meeting_id],
        )
    }

    fn lenient_bodies(&self, sql: &'static str, args: &[&str]) -> Result<Vec<Value>> {
        let raw: Vec<String> = self.read(|tx| {
            let mut stmt = tx.prepare_cached(sql)?;
            let rows =
                stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })?;
        Ok(raw
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect())
    }

    /// Published results of a motion as `(id, body)`.
    pub fn motion_results(&self, motion_id: &str) -> Result<Vec<(String, Value)>> {
        self.bodies(
            "SELECT id, body FROM motion_result WHERE motion_id = ?1 ORDER BY id",
            motion_id,
        )
    }

    fn bodies(&self, sql: &'static str, key: &str) -> Result<Vec<(String, Value)>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(sql)?;
            let rows = stmt.query_map([key], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, body) = row?;
                out.push((id, parse_json(&body)?));
            }
            Ok(out)
        })
    }

    /// Versions of a document, oldest first.
    pub fn document_versions(&self, document_id: &str) -> Result<Vec<VersionRow>> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, document_id, version, sha256, body FROM document_version WHERE document_id = ?1 ORDER BY version",
            )?;
            let rows = stmt.query_map([document_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, document_id, version, sha256, body) = row?;
                out.push(VersionRow { id, document_id, version, sha256, body: parse_json(&body)? });
            }
            Ok(out)
        })
    }
}
