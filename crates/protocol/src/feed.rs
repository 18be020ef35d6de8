//! The change feed (`GET /v1/changes`) and the live event (`GET /v1/events`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Which kind of record a change is about. The `body` of an upsert is the
/// matching `*Body` type of [`crate::api`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// [`crate::CommitteeBody`]
    Committee,
    /// [`crate::MembershipBody`]
    Membership,
    /// [`crate::MeetingBody`]
    Meeting,
    /// [`crate::AgendaItemBody`]
    AgendaItem,
    /// [`crate::DocumentBody`]
    Document,
    /// [`crate::DocumentVersionBody`]
    DocumentVersion,
    /// [`crate::MotionBody`]
    Motion,
    /// [`crate::SpeakerRequestBody`]
    SpeakerRequest,
    /// [`crate::AttendanceRecordBody`]
    Attendance,
    /// [`crate::MotionResultBody`] (final results only; `id` = the motion's id)
    MotionResult,
    /// [`crate::SealedAnnotation`]: the caller's own annotations, visible to
    /// no one else (`id` = the annotation's id; deletions are upserts).
    Annotation,
    /// [`crate::PresentationBody`]: what the presenter shows in a meeting
    /// (`id` = the meeting's id; one record per meeting, the latest only).
    Presentation,
}

impl EntityKind {
    pub const ALL: [EntityKind; 12] = [
        EntityKind::Committee,
        EntityKind::Membership,
        EntityKind::Meeting,
        EntityKind::AgendaItem,
        EntityKind::Document,
        EntityKind::DocumentVersion,
        EntityKind::Motion,
        EntityKind::SpeakerRequest,
        EntityKind::Attendance,
        EntityKind::MotionResult,
        EntityKind::Annotation,
        EntityKind::Presentation,
    ];

    /// The stable snake_case name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Committee => "committee",
            EntityKind::Membership => "membership",
            EntityKind::Meeting => "meeting",
            EntityKind::AgendaItem => "agenda_item",
            EntityKind::Document => "document",
            EntityKind::DocumentVersion => "document_version",
            EntityKind::Motion => "motion",
            EntityKind::SpeakerRequest => "speaker_request",
            EntityKind::Attendance => "attendance",
            EntityKind::MotionResult => "motion_result",
            EntityKind::Annotation => "annotation",
            EntityKind::Presentation => "presentation",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Upsert carries the whole current record; delete is a tombstone (no body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Upsert,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Upsert => "upsert",
            Op::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "upsert" => Some(Op::Upsert),
            "delete" => Some(Op::Delete),
            _ => None,
        }
    }
}

/// One entry of the feed. `seq` is the single, strictly increasing sequence of
/// the server; a client stores the last `seq` it applied as its cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    pub seq: i64,
    pub entity: EntityKind,
    pub id: String,
    pub op: Op,
    /// The record for an upsert; `null` for a delete.
    pub body: Option<serde_json::Value>,
}

impl Change {
    /// Decodes the body into the wire type of its entity (e.g. [`crate::MeetingBody`]).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.body.as_ref().map(|b| T::deserialize(b)).transpose()
    }
}

/// Query of `GET /v1/changes`: `since` is the last applied `seq` (0 at first),
/// `limit` the page size (default 500, at most 5000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangesQuery {
    #[serde(default)]
    pub since: i64,
    pub limit: Option<u32>,
}

/// Default and maximum page sizes of the feed.
pub const DEFAULT_PAGE: u32 = 500;
pub const MAX_PAGE: u32 = 5000;

/// A page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangesPage {
    /// Visible changes with `seq > since`, in increasing `seq` order.
    pub changes: Vec<Change>,
    /// The cursor to send as `since` next time (the last `seq` of this page,
    /// or the request's `since` when the page is empty).
    pub next_since: i64,
    /// Whether more visible changes follow right away.
    pub has_more: bool,
    /// The server's clock, unix milliseconds UTC, so clients can measure their offset.
    pub server_time: i64,
    /// The deployment's offline lease: a device that has not synced
    /// successfully for this many hours must refuse to open its cache until
    /// it syncs again. Absent: no lease. Sent on every page so a changed
    /// policy reaches devices with their next pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_lease_hours: Option<u32>,
    /// The largest document upload the server accepts, bytes, so a
    /// secretary's app refuses a bigger file before sending it. Absent from
    /// older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_upload_bytes: Option<u64>,
    /// Standard base64 of the raw 32-byte Ed25519 key the server signs
    /// manifests with, on every page, so a client notices at its next pull
    /// that the key is no longer the one it pinned at enrolment.
    pub signing_key: String,
    /// Every rotation of the signing key, oldest first, each signed by the
    /// key it retires, so a device that pinned an older key can follow the
    /// chain to `signing_key` ([`crate::follow_rotations`]). Absent when the
    /// key was never replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_rotations: Vec<crate::KeyRotation>,
    /// When the administrator last set the roots trusted for embedded
    /// document signatures (`SignedTrustedRoots::updated_at`); a device
    /// whose copy is older fetches `GET /v1/trusted-roots`. Absent: never set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_roots_at: Option<i64>,
}

/// Name of the SSE event sent by `GET /v1/events` when the feed advances.
pub const FEED_EVENT: &str = "feed";

/// Name of the SSE event sent when the server dropped nudges for a slow
/// subscriber: pull from the cursor now.
pub const RESYNC_EVENT: &str = "resync";

/// Data of a [`FEED_EVENT`]: "the feed advanced to `seq`"; pull to catch up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedAdvanced {
    pub seq: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tombstone_has_a_null_body_and_snake_case_names() {
        let c = Change {
            seq: 7,
            entity: EntityKind::AgendaItem,
            id: "a".into(),
            op: Op::Delete,
            body: None,
        };
        assert_eq!(
            serde_json::to_value(&c).expect("json"),
            serde_json::json!({"seq": 7, "entity": "agenda_item", "id": "a", "op": "delete", "body": null})
        );
        for k in EntityKind::ALL {
            let json = serde_json::to_value(k).expect("json");
            assert_eq!(json, serde_json::Value::String(k.as_str().into()));
            assert_eq!(EntityKind::parse(k.as_str()), Some(k));
        }
    }
}
