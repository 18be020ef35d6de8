//! Members' comments on published drafts before the meeting (góp ý dự
//! thảo): the `comment` operation a device pushes (decided here for
//! `POST /v1/ops`), the list each caller may read, and the secretary's
//! answer (`routes::comments`). A comment is the member's own, sent once
//! under its `op_id`; it reaches the secretary and the chair, and the
//! other members only when the committee shares comments with them.

use ecabinet_protocol::{
    Classification, CommentBody, CommentRegion, CommentStatus, DraftCommentBody, DraftCommentsBody,
    ErrorCode, MeetingStatus, OpOutcome, RejectReason, RespondToCommentRequest,
    MAX_COMMENTS_PER_DOCUMENT, MAX_COMMENTS_PER_MEMBER, MAX_REPLY_CHARS,
};

use crate::access::{meeting_for, Need};
use crate::auth::Caller;
use crate::db::{Conn, Row, Tx};
use crate::{params, records, AppError};

fn rejected(reason: RejectReason) -> OpOutcome {
    OpOutcome::Rejected { reason }
}

/// Whether `b` is a comment that can be stored at all
/// ([`CommentBody::problem`]).
pub fn well_formed(b: &CommentBody) -> bool {
    b.problem().is_none()
}

/// Decides one `comment` operation of `caller` (see the module header).
pub fn decide(
    tx: &mut Tx<'_>,
    caller: &Caller,
    op_id: &str,
    b: &CommentBody,
    now: i64,
) -> Result<OpOutcome, AppError> {
    if !well_formed(b) {
        return Ok(rejected(RejectReason::Malformed));
    }
    let (version, meeting) =
        match crate::reads::published_version_for(tx.conn, caller, &b.version_id)? {
            Ok(found) => found,
            Err(reason) => return Ok(rejected(reason)),
        };
    if meeting.status == MeetingStatus::Closed {
        return Ok(rejected(RejectReason::MeetingClosed));
    }
    let Some(document) = records::document(tx.conn, &version.document_id)? else {
        return Ok(rejected(RejectReason::UnknownDocument));
    };
    let item_withdrawn = records::agenda_item(tx.conn, &document.agenda_item_id)?
        .is_some_and(|i| i.withdrawn.is_some());
    if document.withdrawn.is_some() || item_withdrawn {
        return Ok(rejected(RejectReason::Conflict));
    }
    // A comment may quote what it is about: a classified document's stay
    // off devices and files, so they are not taken at all.
    if document.policy.classification != Classification::Normal {
        return Ok(rejected(RejectReason::Forbidden));
    }
    // A page past the version's last (when its upload counted them) is
    // out of bounds like a region off the page.
    if let Some(page) = b.page {
        let pages = tx
            .conn
            .query(
                "SELECT page_count FROM document_versions WHERE id = ?",
                params![&version.id],
            )?
            .first()
            .map_or(Ok(None), |r| r.opt_int(0))?;
        if pages.is_some_and(|n| i64::from(page) > n) {
            return Ok(rejected(RejectReason::Malformed));
        }
    }
    let count = |conn: &mut dyn Conn, author: Option<&str>| -> Result<usize, AppError> {
        let rows = match author {
            Some(a) => conn.query(
                "SELECT COUNT(*) FROM draft_comments WHERE document_id = ? AND author_id = ?",
                params![&document.id, a],
            )?,
            None => conn.query(
                "SELECT COUNT(*) FROM draft_comments WHERE document_id = ?",
                params![&document.id],
            )?,
        };
        let n = rows.first().map_or(Ok(0), |r| r.int(0))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    };
    if count(tx.conn, Some(&caller.user_id))? >= MAX_COMMENTS_PER_MEMBER
        || count(tx.conn, None)? >= MAX_COMMENTS_PER_DOCUMENT
    {
        return Ok(rejected(RejectReason::LimitReached));
    }
    let region = b
        .region
        .map(|r| serde_json::to_string(&r))
        .transpose()
        .map_err(|e| AppError::internal(e.to_string()))?;
    tx.conn.execute(
        "INSERT INTO draft_comments (id, document_id, version_id, meeting_id, author_id, page, region, body, written_at, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')",
        params![
            op_id,
            &version.document_id,
            &version.id,
            &version.meeting_id,
            &caller.user_id,
            b.page.map(i64::from),
            region,
            b.text.trim(),
            b.written_at,
            now
        ],
    )?;
    Ok(OpOutcome::Accepted)
}

const COLS: &str = "c.id, c.document_id, c.version_id, COALESCE(v.version, 0), c.author_id, \
    COALESCE(a.display_name, ''), c.page, c.region, c.body, c.written_at, c.received_at, \
    c.status, c.reply, r.display_name, c.replied_at";
const FROM: &str = "draft_comments c \
    LEFT JOIN document_versions v ON v.id = c.version_id \
    LEFT JOIN users a ON a.id = c.author_id \
    LEFT JOIN users r ON r.id = c.replied_by";

fn comment_of(r: &Row) -> Result<DraftCommentBody, AppError> {
    let region = r
        .opt_text(7)?
        .map(|t| serde_json::from_str::<CommentRegion>(&t))
        .transpose()?;
    let status = r.text(11)?;
    Ok(DraftCommentBody {
        id: r.text(0)?,
        document_id: r.text(1)?,
        version_id: r.text(2)?,
        version: u32::try_from(r.int(3)?).unwrap_or(0),
        author_id: r.text(4)?,
        author_name: r.text(5)?,
        page: r.opt_int(6)?.and_then(|p| u32::try_from(p).ok()),
        region,
        text: r.text(8)?,
        written_at: r.int(9)?,
        received_at: r.int(10)?,
        status: CommentStatus::parse(&status)
            .ok_or_else(|| AppError::internal(format!("comment status {status:?}")))?,
        reply: r.opt_text(12)?,
        replied_by_name: r.opt_text(13)?,
        replied_at: r.opt_int(14)?,
    })
}

/// The comments on `document_id` that `caller` may read, oldest first.
pub fn list(
    conn: &mut dyn Conn,
    caller: &Caller,
    document_id: &str,
) -> Result<DraftCommentsBody, AppError> {
    let d = records::document(conn, document_id)?.ok_or_else(|| AppError::not_found("document"))?;
    let (meeting, role) = meeting_for(conn, caller, &d.meeting_id, Need::See)?;
    let shared_since = records::comments_shared_since(conn, &meeting.committee_id)?;
    let shared = shared_since.is_some();
    let can_respond = role.can_prepare_meetings();
    let rows = match (can_respond, shared_since) {
        (true, _) => conn.query(
            &format!(
                "SELECT {COLS} FROM {FROM} WHERE c.document_id = ? ORDER BY c.received_at, c.id"
            ),
            params![document_id],
        )?,
        // The others' comments that arrived while the committee shared
        // them; what was written as private stays so.
        (false, Some(since)) => conn.query(
            &format!("SELECT {COLS} FROM {FROM} WHERE c.document_id = ? AND (c.author_id = ? OR c.received_at >= ?) ORDER BY c.received_at, c.id"),
            params![document_id, &caller.user_id, since],
        )?,
        (false, None) => conn.query(
            &format!("SELECT {COLS} FROM {FROM} WHERE c.document_id = ? AND c.author_id = ? ORDER BY c.received_at, c.id"),
            params![document_id, &caller.user_id],
        )?,
    };
    Ok(DraftCommentsBody {
        document_id: document_id.to_owned(),
        comments: rows.iter().map(comment_of).collect::<Result<_, _>>()?,
        can_respond,
        shared_with_members: shared,
    })
}

/// The secretary's (or the chair's) answer to a comment: accepted,
/// answered or declined (the last two with a reply), or open again.
pub fn respond(
    tx: &mut Tx<'_>,
    caller: &Caller,
    comment_id: &str,
    req: &RespondToCommentRequest,
    now: i64,
) -> Result<DraftCommentBody, AppError> {
    let reply = req
        .reply
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reply.is_some_and(|r| r.chars().count() > MAX_REPLY_CHARS) {
        return Err(AppError::invalid(format!(
            "a reply has at most {MAX_REPLY_CHARS} characters"
        )));
    }
    if matches!(
        req.status,
        CommentStatus::Answered | CommentStatus::Declined
    ) && reply.is_none()
    {
        return Err(AppError::invalid(
            "answering or declining a comment needs a reply to its author",
        ));
    }
    let rows = tx.conn.query(
        "SELECT meeting_id FROM draft_comments WHERE id = ?",
        params![comment_id],
    )?;
    let meeting_id = rows
        .first()
        .ok_or_else(|| AppError::not_found("comment"))?
        .text(0)?;
    // Whoever may not prepare the meeting gets the answer a missing id
    // gets: a member of the committee does not learn that another
    // member's comment exists under this id.
    meeting_for(tx.conn, caller, &meeting_id, Need::Prepare).map_err(|e| {
        if matches!(e.code, ErrorCode::NotFound | ErrorCode::Forbidden) {
            AppError::not_found("comment")
        } else {
            e
        }
    })?;
    let (by, at) = if req.status == CommentStatus::Open && reply.is_none() {
        (None, None)
    } else {
        (Some(caller.user_id.as_str()), Some(now))
    };
    tx.conn.execute(
        "UPDATE draft_comments SET status = ?, reply = ?, replied_by = ?, replied_at = ? WHERE id = ?",
        params![req.status.as_str(), reply, by, at, comment_id],
    )?;
    let rows = tx.conn.query(
        &format!("SELECT {COLS} FROM {FROM} WHERE c.id = ?"),
        params![comment_id],
    )?;
    comment_of(rows.first().ok_or_else(|| AppError::not_found("comment"))?)
}
