//! Typed operations the sync client and the UI need, built on
//! [`Store::write`] and [`Store::read`]. Every multi-row change is one
//! transaction. One module per family of records:
//!
//! - [`feed`]: the change feed applied page by page, and the cursor;
//! - [`identity`]: the clock offset, the server's keys, trusted versions and
//!   the device key;
//! - [`meetings`]: meetings, agenda, documents, motions and results as the
//!   views read them;
//! - [`outbox`]: queued operations and their outcomes;
//! - [`annotations`]: a member's annotations and their sync clock;
//! - [`retention`]: removing old meetings and their blobs.

mod annotations;
mod feed;
mod identity;
mod meetings;
mod outbox;
mod retention;

pub use annotations::{Annotation, QueuedOp, ReceivedAnnotation};
pub use feed::{FeedChange, FeedOp};
pub use meetings::{AgendaRow, MeetingRow, VersionRow};
pub use outbox::{OpResult, OutboxEntry, OutboxState};
pub use retention::RetentionReport;

use serde_json::Value;

use crate::error::Result;

/// Kinds of record the change feed carries (the wire's `entity` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// `committee`
    Committee,
    /// `membership` (a member of a committee and their role)
    Membership,
    /// `meeting`
    Meeting,
    /// `agenda_item`, ordered and nested through `parent_id` + `position`
    AgendaItem,
    /// `document`
    Document,
    /// `document_version` with its signed manifest
    DocumentVersion,
    /// `motion`
    Motion,
    /// `motion_result` (a published result)
    MotionResult,
    /// `speaker_request`
    SpeakerRequest,
    /// `attendance` (one member's latest presence mark at a meeting)
    Attendance,
    /// `presentation` (what the presenter shows; id = the meeting's id)
    Presentation,
}

impl Entity {
    /// Every kind.
    pub const ALL: [Entity; 11] = [
        Entity::Committee,
        Entity::Membership,
        Entity::Meeting,
        Entity::AgendaItem,
        Entity::Document,
        Entity::DocumentVersion,
        Entity::Motion,
        Entity::MotionResult,
        Entity::SpeakerRequest,
        Entity::Attendance,
        Entity::Presentation,
    ];

    /// The wire name, which is also the table name.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Committee => "committee",
            Entity::Membership => "membership",
            Entity::Meeting => "meeting",
            Entity::AgendaItem => "agenda_item",
            Entity::Document => "document",
            Entity::DocumentVersion => "document_version",
            Entity::Motion => "motion",
            Entity::MotionResult => "motion_result",
            Entity::SpeakerRequest => "speaker_request",
            Entity::Attendance => "attendance",
            Entity::Presentation => "presentation",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

fn parse_json(text: &str) -> Result<Value> {
    Ok(serde_json::from_str(text)?)
}
