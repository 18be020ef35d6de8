//! Loading records as their wire bodies, and recording changes in the feed.

use ecabinet_protocol::{
    AgendaItemBody, Classification, CommitteeBody, DocumentBody, DocumentPolicy,
    DocumentVersionBody, EntityKind, ExportPolicy, MajorityRule, Manifest, MeetingBody,
    MeetingStatus, MembershipBody, MotionBody, MotionKind, MotionMode, MotionStatus, Op,
    SignedManifest, SpeakerRequestBody, SpeakerStatus, WireRole, Withdrawal,
};
use serde::Serialize;

use crate::db::{Conn, DbError, FeedNudge, Row, Tx};
use crate::{params, AppError};

/// Who may see a change: every member of the committee, or only those who
/// prepare meetings (drafts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    All,
    Editors,
    /// Only the user named in the change (private records such as sealed
    /// annotations); no membership makes it visible.
    Owner,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::All => "all",
            Audience::Editors => "editors",
            Audience::Owner => "owner",
        }
    }

    /// Records of a draft meeting are for editors only.
    pub fn of_meeting(m: &MeetingBody) -> Audience {
        if m.status == MeetingStatus::Draft {
            Audience::Editors
        } else {
            Audience::All
        }
    }
}

/// Which committee a change belongs to and who in it may see it.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub committee_id: &'a str,
    pub audience: Audience,
    /// A user who sees the change even without a membership.
    pub also_user: Option<&'a str>,
}

impl<'a> Scope<'a> {
    pub fn new(committee_id: &'a str, audience: Audience) -> Self {
        Scope {
            committee_id,
            audience,
            also_user: None,
        }
    }
}

fn insert_change(
    tx: &mut Tx<'_>,
    scope: Scope<'_>,
    entity: EntityKind,
    id: &str,
    op: Op,
    body: Option<String>,
    now: i64,
) -> Result<i64, AppError> {
    let seq = tx
        .conn
        .query("SELECT COALESCE(MAX(seq), 0) + 1 FROM changes", &[])?
        .first()
        .ok_or_else(|| AppError::internal("no seq"))?
        .int(0)?;
    tx.conn.execute(
        "INSERT INTO changes (seq, committee_id, audience, user_id, entity, entity_id, op, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![seq, scope.committee_id, scope.audience.as_str(), scope.also_user, entity.as_str(), id, op.as_str(), body, now],
    )?;
    // Subscribers only need the newest seq per committee.
    tx.nudges.retain(|n| n.committee_id != scope.committee_id);
    tx.nudges.push(FeedNudge {
        committee_id: scope.committee_id.to_owned(),
        seq,
    });
    Ok(seq)
}

/// A membership change, visible to the committee and to the user it is
/// about, who thus learns of their own removal.
pub fn emit_for_user<T: Serialize>(
    tx: &mut Tx<'_>,
    committee_id: &str,
    user_id: &str,
    id: &str,
    op: Op,
    body: Option<&T>,
    now: i64,
) -> Result<i64, AppError> {
    let body = body.map(serde_json::to_string).transpose()?;
    let scope = Scope {
        also_user: Some(user_id),
        ..Scope::new(committee_id, Audience::All)
    };
    insert_change(tx, scope, EntityKind::Membership, id, op, body, now)
}

/// Sends a user who just joined a committee (or became one of its editors)
/// what its feed already holds and they could not see: the latest state of
/// every record visible to `audiences`, as new changes addressed to that
/// user alone, for the records the feed had already passed when it was last
/// sent to them (`users.feed_sent`). Their devices' cursors are past that
/// history, so without this they would never receive it. Records whose latest change is a
/// deletion are skipped; private records of other users are never sent.
pub fn replay_history(
    tx: &mut Tx<'_>,
    committee_id: &str,
    user_id: &str,
    audiences: &[Audience],
    now: i64,
) -> Result<usize, AppError> {
    // Records changed after what the user was last sent reach their devices
    // through the feed as it is; only the part behind it is sent again.
    let sent = tx
        .conn
        .query("SELECT feed_sent FROM users WHERE id = ?", params![user_id])?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    if sent == 0 {
        return Ok(0);
    }
    let rows = tx.conn.query(
        "SELECT entity, entity_id, op, body, audience, seq FROM changes WHERE committee_id = ? ORDER BY seq",
        params![committee_id],
    )?;
    let wanted: Vec<&str> = audiences.iter().map(|a| a.as_str()).collect();
    // The latest visible change per record, in the order records were last changed.
    let mut latest: std::collections::HashMap<(String, String), (usize, String, Option<String>)> =
        std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if !wanted.contains(&r.text(4)?.as_str()) {
            continue;
        }
        latest.insert((r.text(0)?, r.text(1)?), (i, r.text(2)?, r.opt_text(3)?));
    }
    let mut replay: Vec<_> = latest
        .into_iter()
        .filter(|(_, (i, op, _))| {
            op == Op::Upsert.as_str() && rows[*i].int(5).is_ok_and(|seq| seq <= sent)
        })
        .collect();
    replay.sort_by_key(|(_, (i, _, _))| *i);
    let scope = Scope {
        also_user: Some(user_id),
        ..Scope::new(committee_id, Audience::Owner)
    };
    for ((entity, id), (_, _, body)) in &replay {
        let kind = EntityKind::parse(entity)
            .ok_or_else(|| AppError::internal(format!("stored entity {entity:?}")))?;
        insert_change(tx, scope, kind, id, Op::Upsert, body.clone(), now)?;
    }
    Ok(replay.len())
}

/// Appends one change to the feed. The caller holds the write lock (see
/// [`Conn::begin`]), so `max + 1` is unique and commits in order.
pub fn emit<T: Serialize>(
    tx: &mut Tx<'_>,
    scope: Scope<'_>,
    entity: EntityKind,
    id: &str,
    op: Op,
    body: Option<&T>,
    now: i64,
) -> Result<i64, AppError> {
    let body = body.map(serde_json::to_string).transpose()?;
    insert_change(tx, scope, entity, id, op, body, now)
}

/// [`emit`] of an upsert of a meeting-scoped record.
pub fn emit_upsert<T: Serialize>(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    entity: EntityKind,
    id: &str,
    body: &T,
    now: i64,
) -> Result<i64, AppError> {
    emit(
        tx,
        Scope::new(&meeting.committee_id, Audience::of_meeting(meeting)),
        entity,
        id,
        Op::Upsert,
        Some(body),
        now,
    )
}

/// [`emit`] of a tombstone of a meeting-scoped record.
pub fn emit_delete(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    entity: EntityKind,
    id: &str,
    now: i64,
) -> Result<i64, AppError> {
    emit::<()>(
        tx,
        Scope::new(&meeting.committee_id, Audience::of_meeting(meeting)),
        entity,
        id,
        Op::Delete,
        None,
        now,
    )
}

fn parse<T>(v: &str, f: fn(&str) -> Option<T>) -> Result<T, DbError> {
    f(v).ok_or_else(|| DbError::Type(format!("unknown stored value {v:?}")))
}

fn u32_of(v: i64) -> Result<u32, DbError> {
    u32::try_from(v).map_err(|_| DbError::Type(format!("{v} out of range")))
}

const COMMITTEE_COLS: &str = "id, name, read_status, comments_shared, speaking_limit_ms";

fn committee_of(r: &Row) -> Result<CommitteeBody, DbError> {
    Ok(CommitteeBody {
        id: r.text(0)?,
        name: r.text(1)?,
        read_status: r.bool(2)?,
        comments_shared: r.bool(3)?,
        speaking_limit_ms: r.opt_int(4)?,
    })
}

pub fn committee(conn: &mut dyn Conn, id: &str) -> Result<Option<CommitteeBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {COMMITTEE_COLS} FROM committees WHERE id = ?"),
        params![id],
    )?;
    Ok(rows.first().map(committee_of).transpose()?)
}

/// Every committee, by name.
pub fn all_committees(conn: &mut dyn Conn) -> Result<Vec<CommitteeBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {COMMITTEE_COLS} FROM committees ORDER BY name, id"),
        params![],
    )?;
    Ok(rows.iter().map(committee_of).collect::<Result<_, _>>()?)
}

/// Since when (server time) members see each other's comments in the
/// committee: `None` while they do not.
pub fn comments_shared_since(
    conn: &mut dyn Conn,
    committee_id: &str,
) -> Result<Option<i64>, AppError> {
    let rows = conn.query(
        "SELECT comments_shared, comments_shared_since FROM committees WHERE id = ?",
        params![committee_id],
    )?;
    Ok(match rows.first() {
        Some(r) if r.bool(0)? => Some(r.opt_int(1)?.unwrap_or(0)),
        _ => None,
    })
}

pub fn membership(conn: &mut dyn Conn, id: &str) -> Result<Option<MembershipBody>, AppError> {
    let rows = conn.query(
        "SELECT m.id, m.committee_id, m.user_id, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.id = ?",
        params![id],
    )?;
    rows.first()
        .map(|r| {
            Ok(MembershipBody {
                id: r.text(0)?,
                committee_id: r.text(1)?,
                user_id: r.text(2)?,
                display_name: r.text(3)?,
                role: parse(&r.text(4)?, WireRole::parse)?,
            })
        })
        .transpose()
}

const MEETING_COLS: &str =
    "id, committee_id, title, location, starts_at, status, published_at, current_item_id, reader_watermark";

fn meeting_of(r: &Row) -> Result<MeetingBody, DbError> {
    Ok(MeetingBody {
        id: r.text(0)?,
        committee_id: r.text(1)?,
        title: r.text(2)?,
        location: r.text(3)?,
        starts_at: r.int(4)?,
        status: parse(&r.text(5)?, MeetingStatus::parse)?,
        published_at: r.opt_int(6)?,
        current_item_id: r.opt_text(7)?,
        reader_watermark: r.bool(8)?,
    })
}

pub fn meeting(conn: &mut dyn Conn, id: &str) -> Result<Option<MeetingBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {MEETING_COLS} FROM meetings WHERE id = ?"),
        params![id],
    )?;
    Ok(rows.first().map(meeting_of).transpose()?)
}

const ITEM_COLS: &str = "id, meeting_id, parent_id, position, title, withdrawn_at, withdrawn_by, withdrawn_reason, planned_minutes, speaking_limit_ms, time_on_floor_ms, on_floor_since";

fn item_of(r: &Row) -> Result<AgendaItemBody, DbError> {
    Ok(AgendaItemBody {
        id: r.text(0)?,
        meeting_id: r.text(1)?,
        parent_id: r.opt_text(2)?,
        position: r.int(3)?,
        title: r.text(4)?,
        withdrawn: withdrawal_at(r, 5)?,
        planned_minutes: r.opt_int(8)?,
        speaking_limit_ms: r.opt_int(9)?,
        time_on_floor_ms: r.int(10)?,
        on_floor_since: r.opt_int(11)?,
    })
}

/// The withdrawal kept in columns `i..i + 3` (`withdrawn_at`, `_by`,
/// `_reason`), if the record was withdrawn.
fn withdrawal_at(r: &Row, i: usize) -> Result<Option<Withdrawal>, DbError> {
    Ok(match r.opt_int(i)? {
        None => None,
        Some(at_ms) => Some(Withdrawal {
            at_ms,
            by_user_id: r.opt_text(i + 1)?.unwrap_or_default(),
            reason: r.opt_text(i + 2)?.unwrap_or_default(),
        }),
    })
}

pub fn agenda_item(conn: &mut dyn Conn, id: &str) -> Result<Option<AgendaItemBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {ITEM_COLS} FROM agenda_items WHERE id = ?"),
        params![id],
    )?;
    Ok(rows.first().map(item_of).transpose()?)
}

/// All agenda items of a meeting, in (parent, position) order.
pub fn agenda_items(
    conn: &mut dyn Conn,
    meeting_id: &str,
) -> Result<Vec<AgendaItemBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {ITEM_COLS} FROM agenda_items WHERE meeting_id = ? ORDER BY position, id"),
        params![meeting_id],
    )?;
    Ok(rows.iter().map(item_of).collect::<Result<_, _>>()?)
}

pub fn document(conn: &mut dyn Conn, id: &str) -> Result<Option<DocumentBody>, AppError> {
    let rows = conn.query(
        "SELECT d.id, d.meeting_id, d.agenda_item_id, d.title, (SELECT MAX(v.version) FROM document_versions v WHERE v.document_id = d.id AND v.published_at IS NOT NULL), d.withdrawn_at, d.withdrawn_by, d.withdrawn_reason, d.reader_watermark, d.export_policy, d.classification FROM documents d WHERE d.id = ?",
        params![id],
    )?;
    rows.first()
        .map(|r| {
            Ok(DocumentBody {
                id: r.text(0)?,
                meeting_id: r.text(1)?,
                agenda_item_id: r.text(2)?,
                title: r.text(3)?,
                current_version: r.opt_int(4)?.map(u32_of).transpose()?,
                withdrawn: withdrawal_at(r, 5)?,
                policy: policy_at(r, 8)?,
            })
        })
        .transpose()
}

/// The policy stored in columns `at` (reader_watermark), `at + 1`
/// (export_policy) and `at + 2` (classification).
fn policy_at(r: &Row, at: usize) -> Result<DocumentPolicy, DbError> {
    Ok(DocumentPolicy {
        reader_watermark: r.bool(at)?,
        export: parse(&r.text(at + 1)?, ExportPolicy::parse)?,
        classification: parse(&r.text(at + 2)?, Classification::parse)?,
    })
}

/// The current policy of document `id` (the default for an unknown one).
pub fn document_policy(conn: &mut dyn Conn, id: &str) -> Result<DocumentPolicy, AppError> {
    let rows = conn.query(
        "SELECT reader_watermark, export_policy, classification FROM documents WHERE id = ?",
        params![id],
    )?;
    Ok(rows
        .first()
        .map(|r| policy_at(r, 0))
        .transpose()?
        .unwrap_or_default())
}

/// Signs version `version_id` (published at `published_at`) with `signer`
/// under its document's current policy, and stores the signature with the
/// policy it covers.
pub fn sign_version(
    conn: &mut dyn Conn,
    signer: &crate::signer::Signer,
    version_id: &str,
    published_at: i64,
    now: i64,
) -> Result<SignedManifest, AppError> {
    // One query for the version, its document's policy and its meeting's
    // watermark: a meeting's versions are signed in a loop.
    let rows = conn.query(
        "SELECT v.document_id, v.meeting_id, v.version, v.sha256, v.size, v.signed_at, \
                d.reader_watermark, d.export_policy, d.classification, \
                COALESCE(m.reader_watermark, 0) \
         FROM document_versions v \
         LEFT JOIN documents d ON d.id = v.document_id \
         LEFT JOIN meetings m ON m.id = v.meeting_id \
         WHERE v.id = ?",
        params![version_id],
    )?;
    let r = rows
        .first()
        .ok_or_else(|| AppError::internal(format!("no version {version_id} to sign")))?;
    let doc_id = r.text(0)?;
    // Strictly later than the statement it replaces, even within one
    // millisecond or under a clock set back: devices refuse older ones.
    let now = match r.opt_int(5)? {
        Some(previous) => now.max(previous + 1),
        None => now,
    };
    let mut policy = match r.opt_text(7)? {
        Some(_) => policy_at(r, 6)?,
        None => DocumentPolicy::default(),
    };
    // The meeting's watermark covers every document in it.
    policy.reader_watermark |= r.bool(9)?;
    let signed = signer.sign_manifest(Manifest {
        doc_id,
        version: u32_of(r.int(2)?)?,
        sha256: r.text(3)?,
        size: u64::try_from(r.int(4)?).map_err(|_| DbError::Type("negative size".into()))?,
        meeting_id: r.text(1)?,
        published_at,
        policy: Some(policy),
        signed_at: Some(now),
    });
    conn.execute(
        "UPDATE document_versions SET published_at = ?, signature = ?, signed_policy = ?, signed_at = ? WHERE id = ?",
        params![
            published_at,
            &signed.signature,
            serde_json::to_string(&policy)?,
            now,
            version_id
        ],
    )?;
    Ok(signed)
}

/// Which published versions [`resign_published`] signs again.
pub enum Published<'a> {
    /// Every published version (a new signing key).
    All,
    /// The versions of one meeting (its watermark changed).
    OfMeeting(&'a str),
    /// The versions of one document (its policy changed).
    OfDocument(&'a str),
}

/// Signs every published version in `scope` again under its current policy
/// and returns their ids in a stable order, for the caller to send again
/// ([`emit_version`]) once everything it changes is written.
pub fn resign_published(
    conn: &mut dyn Conn,
    signer: &crate::signer::Signer,
    scope: Published<'_>,
    now: i64,
) -> Result<Vec<String>, AppError> {
    const BASE: &str =
        "SELECT id, published_at FROM document_versions WHERE published_at IS NOT NULL";
    let rows = match scope {
        Published::All => conn.query(&format!("{BASE} ORDER BY id"), &[])?,
        Published::OfMeeting(id) => conn.query(
            &format!("{BASE} AND meeting_id = ? ORDER BY document_id, version"),
            params![id],
        )?,
        Published::OfDocument(id) => conn.query(
            &format!("{BASE} AND document_id = ? ORDER BY version"),
            params![id],
        )?,
    };
    let mut ids = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = r.text(0)?;
        sign_version(conn, signer, &id, r.int(1)?, now)?;
        ids.push(id);
    }
    Ok(ids)
}

pub fn document_ids_of_meeting(
    conn: &mut dyn Conn,
    meeting_id: &str,
) -> Result<Vec<String>, AppError> {
    let rows = conn.query(
        "SELECT id FROM documents WHERE meeting_id = ? ORDER BY id",
        params![meeting_id],
    )?;
    Ok(rows.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?)
}

const VERSION_COLS: &str =
    "id, document_id, meeting_id, version, sha256, size, published_at, signature, superseded, \
     status, pages_done, pages_total, layer_sha256, layer_size, layer_signature, error, signed_policy, signed_at, \
     signature_check";
/// Versions with their text layer (no text-layer column shares a name with
/// a version column, so filters on versions read as before).
const VERSIONS_WITH_LAYERS: &str =
    "document_versions LEFT JOIN text_layers ON text_layers.version_id = document_versions.id";

fn text_layer_of(r: &Row) -> Result<Option<ecabinet_protocol::TextLayerState>, DbError> {
    use ecabinet_protocol::{TextLayerState, TextLayerStatus};
    let Some(status) = r.opt_text(9)? else {
        return Ok(None);
    };
    let status = match status.as_str() {
        "queued" => TextLayerStatus::Queued,
        "running" => TextLayerStatus::Running,
        "ready" => TextLayerStatus::Ready,
        "not_needed" => TextLayerStatus::NotNeeded,
        "failed" => TextLayerStatus::Failed,
        other => return Err(DbError::Type(format!("text layer status {other:?}"))),
    };
    let count = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(Some(TextLayerState {
        status,
        pages_done: count(r.int(10)?),
        pages_total: count(r.int(11)?),
        sha256: r.opt_text(12)?,
        size: r.opt_int(13)?.and_then(|n| u64::try_from(n).ok()),
        signature: r.opt_text(14)?,
        error: r.opt_text(15)?,
    }))
}

fn version_of(r: &Row) -> Result<DocumentVersionBody, DbError> {
    let document_id = r.text(1)?;
    let meeting_id = r.text(2)?;
    let version = u32_of(r.int(3)?)?;
    let sha256 = r.text(4)?;
    let size = u64::try_from(r.int(5)?).map_err(|_| DbError::Type("negative size".into()))?;
    let published_at = r.opt_int(6)?;
    let signed = match (published_at, r.opt_text(7)?) {
        (Some(published_at), Some(signature)) => Some(SignedManifest {
            manifest: Manifest {
                doc_id: document_id.clone(),
                version,
                sha256: sha256.clone(),
                size,
                meeting_id: meeting_id.clone(),
                published_at,
                policy: r
                    .opt_text(16)?
                    .map(|p| serde_json::from_str(&p))
                    .transpose()
                    .map_err(|e| DbError::Type(format!("signed policy: {e}")))?,
                signed_at: r.opt_int(17)?,
            },
            signature,
        }),
        _ => None,
    };
    Ok(DocumentVersionBody {
        id: r.text(0)?,
        document_id,
        meeting_id,
        version,
        sha256,
        size,
        published: published_at.is_some(),
        superseded: r.bool(8)?,
        signed,
        text_layer: text_layer_of(r)?,
        signature_check: r
            .opt_text(18)?
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(|e| DbError::Type(format!("signature check: {e}")))?,
    })
}

pub fn document_version(
    conn: &mut dyn Conn,
    id: &str,
) -> Result<Option<DocumentVersionBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {VERSION_COLS} FROM {VERSIONS_WITH_LAYERS} WHERE id = ?"),
        params![id],
    )?;
    Ok(rows.first().map(version_of).transpose()?)
}

/// Versions matching `filter` (an SQL condition with `?` bound to `param`).
pub fn document_versions_where(
    conn: &mut dyn Conn,
    filter: &str,
    param: &str,
) -> Result<Vec<DocumentVersionBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {VERSION_COLS} FROM {VERSIONS_WITH_LAYERS} WHERE {filter} ORDER BY document_id, version"),
        params![param],
    )?;
    Ok(rows.iter().map(version_of).collect::<Result<_, _>>()?)
}

const MOTION_COLS: &str = "id, meeting_id, agenda_item_id, question, options, kind, majority, quorum, mode, deadline, status, opened_at, closed_at, eligible, may_change_vote, grace_ms, signed_ballots";

fn motion_of(r: &Row) -> Result<MotionBody, AppError> {
    Ok(MotionBody {
        id: r.text(0)?,
        meeting_id: r.text(1)?,
        agenda_item_id: r.text(2)?,
        question: r.text(3)?,
        options: serde_json::from_str(&r.text(4)?)?,
        kind: parse(&r.text(5)?, MotionKind::parse)?,
        majority: parse(&r.text(6)?, MajorityRule::parse)?,
        quorum: u32_of(r.int(7)?)?,
        mode: parse(&r.text(8)?, MotionMode::parse)?,
        deadline: r.opt_int(9)?,
        status: parse(&r.text(10)?, MotionStatus::parse)?,
        opened_at: r.opt_int(11)?,
        closed_at: r.opt_int(12)?,
        eligible: r
            .opt_text(13)?
            .map(|e| serde_json::from_str(&e))
            .transpose()?,
        may_change_vote: r.bool(14)?,
        grace_ms: r.int(15)?,
        signed_ballots: r.bool(16)?,
    })
}

pub fn motion(conn: &mut dyn Conn, id: &str) -> Result<Option<MotionBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {MOTION_COLS} FROM motions WHERE id = ?"),
        params![id],
    )?;
    rows.first().map(motion_of).transpose()
}

pub fn motions_where(
    conn: &mut dyn Conn,
    filter: &str,
    param: &str,
) -> Result<Vec<MotionBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {MOTION_COLS} FROM motions WHERE {filter} ORDER BY id"),
        params![param],
    )?;
    rows.iter().map(motion_of).collect()
}

const SPEAKER_COLS: &str = "s.id, s.meeting_id, s.agenda_item_id, s.user_id, u.display_name, s.status, s.position, s.requested_at, s.granted_at, s.time_limit_ms";

fn speaker_of(r: &Row) -> Result<SpeakerRequestBody, DbError> {
    Ok(SpeakerRequestBody {
        id: r.text(0)?,
        meeting_id: r.text(1)?,
        agenda_item_id: r.text(2)?,
        user_id: r.text(3)?,
        display_name: r.text(4)?,
        status: parse(&r.text(5)?, SpeakerStatus::parse)?,
        position: r.int(6)?,
        requested_at: r.int(7)?,
        granted_at: r.opt_int(8)?,
        time_limit_ms: r.opt_int(9)?,
    })
}

pub fn speakers_where(
    conn: &mut dyn Conn,
    filter: &str,
    param: &str,
) -> Result<Vec<SpeakerRequestBody>, AppError> {
    let rows = conn.query(
        &format!("SELECT {SPEAKER_COLS} FROM speaker_requests s JOIN users u ON u.id = s.user_id WHERE {filter} ORDER BY s.position, s.requested_at, s.id"),
        params![param],
    )?;
    Ok(rows.iter().map(speaker_of).collect::<Result<_, _>>()?)
}

pub fn speaker(conn: &mut dyn Conn, id: &str) -> Result<Option<SpeakerRequestBody>, AppError> {
    Ok(speakers_where(conn, "s.id = ?", id)?.into_iter().next())
}

/// A fresh time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Sends version `version_id`'s record again to whoever sees it: everyone
/// the meeting reaches once it is published, else its editors — or its
/// editors only with `editors_only` (progress nobody else needs).
pub fn emit_version(
    tx: &mut Tx<'_>,
    version_id: &str,
    now: i64,
    editors_only: bool,
) -> Result<(), AppError> {
    let Some(v) = document_version(tx.conn, version_id)? else {
        return Ok(());
    };
    let Some(m) = meeting(tx.conn, &v.meeting_id)? else {
        return Ok(());
    };
    if v.published && !editors_only {
        emit_upsert(tx, &m, EntityKind::DocumentVersion, &v.id, &v, now)?;
    } else {
        emit(
            tx,
            Scope::new(&m.committee_id, Audience::Editors),
            EntityKind::DocumentVersion,
            &v.id,
            ecabinet_protocol::Op::Upsert,
            Some(&v),
            now,
        )?;
    }
    Ok(())
}
