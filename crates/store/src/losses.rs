//! What a wipe would lose, kept outside the encrypted database.
//!
//! `unsent.json` lists the ids of the outbox operations the server has not
//! answered yet (ballots, attendance, annotation edits). It is rewritten
//! after every outbox change and at every unlock, so it can be read while
//! the store is locked: the unlock screen warns "the next wrong PIN erases N
//! unsent operations". When the last wrong PIN wipes the store, the list
//! becomes `lost.json`, which survives the wipe and the next enrolment: the
//! CLI's `enrol` tells the member, and the new device reports the ids to the
//! server, after which they move to `lost-reported.json` (kept so the member
//! can still be told; never reported twice).
//!
//! Not secret, by choice: operation ids are random UUIDs that say nothing of
//! what was voted or written; the count says that something is pending,
//! which is what the member has to be told before the wipe anyway.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{io_err, Result};
use crate::fsutil;

/// Ids of the operations not yet answered by the server.
pub(crate) const UNSENT_FILE: &str = "unsent.json";
/// The operations a wrong-PIN wipe erased, until reported.
pub const LOST_FILE: &str = "lost.json";
/// The erased operations the server has been told of.
pub const LOST_REPORTED_FILE: &str = "lost-reported.json";

/// Operations erased by a wrong-PIN wipe, still to be reported to the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostOps {
    /// Outbox operation ids (random UUIDs) that never got an answer.
    pub op_ids: Vec<String>,
}

fn write_atomic(dir: &Path, name: &str, value: &LostOps) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = fs::File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(&serde_json::to_vec(value)?)
            .map_err(io_err("write", &tmp))?;
        f.sync_all().map_err(io_err("fsync", &tmp))?;
    }
    let path = dir.join(name);
    fs::rename(&tmp, &path).map_err(io_err("rename", &path))?;
    fsutil::sync_dir(dir)
}

fn read(dir: &Path, name: &str) -> Option<LostOps> {
    // Damage here must never stand between the member and their data.
    fs::read(dir.join(name))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// Replaces the list of unanswered operations.
pub(crate) fn set_unsent(dir: &Path, op_ids: Vec<String>) -> Result<()> {
    write_atomic(dir, UNSENT_FILE, &LostOps { op_ids })
}

/// How many operations a wipe would erase now.
pub(crate) fn unsent_count(dir: &Path) -> u32 {
    read(dir, UNSENT_FILE).map_or(0, |u| u.op_ids.len() as u32)
}

/// Moves the unsent list into the loss record (merged with an unreported
/// earlier one); called just before a wrong-PIN wipe.
pub(crate) fn record_loss(dir: &Path) -> Result<()> {
    let mut lost = read(dir, LOST_FILE).unwrap_or_default();
    let unsent = read(dir, UNSENT_FILE).unwrap_or_default();
    if unsent.op_ids.is_empty() {
        return Ok(());
    }
    for id in unsent.op_ids {
        if !lost.op_ids.contains(&id) {
            lost.op_ids.push(id);
        }
    }
    write_atomic(dir, LOST_FILE, &lost)
}

/// The unreported loss record of `dir`, if any.
pub fn lost_ops(dir: &Path) -> Option<LostOps> {
    read(dir, LOST_FILE).filter(|l| !l.op_ids.is_empty())
}

/// The operations of `dir` the server has been told were erased, if any.
pub fn reported_lost_ops(dir: &Path) -> Option<LostOps> {
    read(dir, LOST_REPORTED_FILE).filter(|l| !l.op_ids.is_empty())
}

/// Records that the server accepted the report of `reported`: the ids join
/// `lost-reported.json` and leave `lost.json` (removed once empty), so they
/// are not reported again. A loss recorded since the report was read stays
/// unreported.
pub fn mark_lost_reported(dir: &Path, reported: &LostOps) -> Result<()> {
    let mut done = read(dir, LOST_REPORTED_FILE).unwrap_or_default();
    for id in &reported.op_ids {
        if !done.op_ids.contains(id) {
            done.op_ids.push(id.clone());
        }
    }
    write_atomic(dir, LOST_REPORTED_FILE, &done)?;
    let mut left = read(dir, LOST_FILE).unwrap_or_default();
    left.op_ids.retain(|id| !reported.op_ids.contains(id));
    if left.op_ids.is_empty() {
        fsutil::remove_file_if_exists(&dir.join(LOST_FILE))?;
        fsutil::sync_dir(dir)
    } else {
        write_atomic(dir, LOST_FILE, &left)
    }
}
