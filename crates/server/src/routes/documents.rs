//! Documents attached to agenda items, PDF uploads (validated, size-limited,
//! content-addressed) and publication with signed manifests.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use ecabinet_protocol::{
    CreateDocumentRequest, DocumentBody, DocumentVersionBody, EntityKind, ErrorCode, MeetingBody,
    MeetingStatus, PublishResponse,
};
use futures_util::StreamExt as _;

use crate::access::{
    document_for, item_for, meeting_for, refuse_delete_once_started, refuse_withdrawn, Need,
};
use crate::agenda::{remove_document, save_meeting};
use crate::auth::Caller;
use crate::blobs::Upload;
use crate::db::Tx;
use crate::error::{Json, Path};
use crate::records::{self, emit_upsert, new_id};

use crate::signer::Signer;
use crate::versions::{self, too_large, NOT_ISOLATED, WITHDRAWN_DOCUMENT};
use crate::{params, AppError, AppState};

pub fn insert_document(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    item_id: &str,
    title: &str,
    now: i64,
) -> Result<DocumentBody, AppError> {
    if title.trim().is_empty() {
        return Err(AppError::invalid("the document needs a title"));
    }
    let d = DocumentBody {
        id: new_id(),
        meeting_id: meeting.id.clone(),
        agenda_item_id: item_id.to_owned(),
        title: title.trim().to_owned(),
        current_version: None,
        withdrawn: None,
        policy: ecabinet_protocol::DocumentPolicy::default(),
    };
    tx.conn.execute(
        "INSERT INTO documents (id, meeting_id, agenda_item_id, title, created_at) VALUES (?, ?, ?, ?, ?)",
        params![&d.id, &d.meeting_id, &d.agenda_item_id, &d.title, now],
    )?;
    emit_upsert(tx, meeting, EntityKind::Document, &d.id, &d, now)?;
    Ok(d)
}

pub async fn create_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(item_id): Path<String>,
    Json(req): Json<CreateDocumentRequest>,
) -> Result<(StatusCode, Json<DocumentBody>), AppError> {
    let now = state.now();
    let d = state
        .db
        .write(move |tx| {
            let (item, m) = item_for(tx, &caller, &item_id, Need::Prepare)?;
            refuse_withdrawn(
                item.withdrawn.as_ref(),
                "the agenda item has been withdrawn: no document is added to it",
            )?;
            insert_document(tx, &m, &item.id, &req.title, now)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

pub async fn delete_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let now = state.now();
    state
        .db
        .write(move |tx| {
            let (d, m) = document_for(tx, &caller, &document_id, Need::Prepare)?;
            refuse_delete_once_started(
                &m,
                "the meeting has started, so its documents can no longer be deleted; upload a new version to supersede one",
            )?;
            remove_document(tx, &m, &d.id, now)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/documents/{id}/versions`. The caller and the declared type and
/// length are checked before a byte of the body is read (anyone with a login
/// can send a gigabyte); the body is then streamed into a temporary file,
/// hashed on the way, so memory stays bounded whatever its size.
pub async fn upload_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<DocumentVersionBody>), AppError> {
    let doc = document_id.clone();
    let c = caller.clone();
    state
        .db
        .write(move |tx| {
            let (d, _) = document_for(tx, &c, &doc, Need::Prepare)?;
            refuse_withdrawn(d.withdrawn.as_ref(), WITHDRAWN_DOCUMENT)
        })
        .await?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.split(';').next().map(str::trim) != Some("application/pdf") {
        return Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            "upload the document as `Content-Type: application/pdf`",
        ));
    }
    let max = u64::try_from(state.config.max_upload_bytes).unwrap_or(u64::MAX);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let mut upload = Upload::create(state.blobs.incoming_dir()).await?;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::new(
                ErrorCode::BadRequest,
                format!("the upload did not arrive whole ({e}); send it again"),
            )
        })?;
        if upload.size().saturating_add(chunk.len() as u64) > max {
            return Err(too_large(max));
        }
        upload.write(&chunk).await?;
    }
    let received = upload.finish().await?;
    let v = versions::store_version(&state, caller, document_id, received, None).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// `PATCH /v1/documents/{id}`: the readers' watermark and the export
/// policy. Every published version is signed again under the new policy and
/// sent again, so devices take it with the next sync (and cannot keep the
/// looser one: a manifest's policy cannot be changed without the key).
pub async fn update_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
    Json(req): Json<ecabinet_protocol::UpdateDocumentRequest>,
) -> Result<Json<DocumentBody>, AppError> {
    let now = state.now();
    let st = state.clone();
    let d = state
        .db
        .write(move |tx| {
            let (mut d, m) = document_for(tx, &caller, &document_id, Need::Prepare)?;
            let policy = ecabinet_protocol::DocumentPolicy {
                reader_watermark: req.reader_watermark.unwrap_or(d.policy.reader_watermark),
                export: req.export.unwrap_or(d.policy.export),
                classification: req.classification.unwrap_or(d.policy.classification),
            };
            if policy == d.policy {
                return Ok(d);
            }
            if policy.classification.is_classified() && !st.config.isolated_network {
                return Err(AppError::new(ErrorCode::Conflict, NOT_ISOLATED));
            }
            tx.conn.execute(
                "UPDATE documents SET reader_watermark = ?, export_policy = ?, classification = ? WHERE id = ?",
                params![
                    policy.reader_watermark,
                    policy.export.as_str(),
                    policy.classification.as_str(),
                    &d.id
                ],
            )?;
            d.policy = policy;
            let resigned = records::resign_published(
                tx.conn,
                &st.signer,
                records::Published::OfDocument(&d.id),
                now,
            )?;
            emit_upsert(tx, &m, EntityKind::Document, &d.id, &d, now)?;
            for id in &resigned {
                records::emit_version(tx, id, now, false)?;
            }
            Ok::<_, AppError>(d)
        })
        .await?;
    Ok(Json(d))
}

/// Publishes a meeting: makes it visible to members (first time: the whole
/// meeting is recorded again for them), signs every pending document version
/// and marks the versions it replaces superseded.
pub fn publish_meeting(
    tx: &mut Tx<'_>,
    signer: &Signer,
    mut m: MeetingBody,
    now: i64,
) -> Result<PublishResponse, AppError> {
    if m.status == MeetingStatus::Closed {
        return Err(AppError::conflict("the meeting is closed"));
    }
    let first = m.status == MeetingStatus::Draft;
    if first {
        m.status = MeetingStatus::Published;
        m.published_at = Some(now);
    }
    let pending = records::document_versions_where(
        tx.conn,
        "meeting_id = ? AND published_at IS NULL",
        &m.id,
    )?;
    let mut published = Vec::new();
    let mut touched_docs = Vec::new();
    for v in pending {
        records::sign_version(tx.conn, signer, &v.id, now, now)?;
        if !touched_docs.contains(&v.document_id) {
            touched_docs.push(v.document_id.clone());
        }
        published.push(v.id.clone());
    }
    // Within each touched document, every published version but the newest is superseded.
    let mut superseded = Vec::new();
    for d in &touched_docs {
        let rows = tx.conn.query(
            "SELECT id FROM document_versions WHERE document_id = ? AND published_at IS NOT NULL AND superseded = 0 AND version < (SELECT MAX(version) FROM document_versions WHERE document_id = ? AND published_at IS NOT NULL)",
            params![d, d],
        )?;
        for r in rows {
            let id = r.text(0)?;
            tx.conn.execute(
                "UPDATE document_versions SET superseded = 1 WHERE id = ?",
                params![&id],
            )?;
            superseded.push(id);
        }
    }
    save_meeting(tx, &m, now)?;
    if first {
        // Members never saw the draft's records: give them everything now.
        for item in records::agenda_items(tx.conn, &m.id)? {
            emit_upsert(tx, &m, EntityKind::AgendaItem, &item.id, &item, now)?;
        }
        for d in records::document_ids_of_meeting(tx.conn, &m.id)? {
            if let Some(doc) = records::document(tx.conn, &d)? {
                emit_upsert(tx, &m, EntityKind::Document, &d, &doc, now)?;
            }
        }
        for v in records::document_versions_where(
            tx.conn,
            "meeting_id = ? AND published_at IS NOT NULL",
            &m.id,
        )? {
            emit_upsert(tx, &m, EntityKind::DocumentVersion, &v.id, &v, now)?;
        }
        for mo in records::motions_where(tx.conn, "meeting_id = ? AND status <> 'draft'", &m.id)? {
            emit_upsert(tx, &m, EntityKind::Motion, &mo.id, &mo, now)?;
        }
    } else {
        for d in &touched_docs {
            if let Some(doc) = records::document(tx.conn, d)? {
                emit_upsert(tx, &m, EntityKind::Document, d, &doc, now)?;
            }
        }
        for id in published.iter().chain(&superseded) {
            if let Some(v) = records::document_version(tx.conn, id)? {
                emit_upsert(tx, &m, EntityKind::DocumentVersion, id, &v, now)?;
            }
        }
    }
    let mut published_versions = Vec::new();
    for id in &published {
        if let Some(v) = records::document_version(tx.conn, id)? {
            published_versions.push(v);
        }
    }
    Ok(PublishResponse {
        meeting: m,
        published_versions,
    })
}

pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(meeting_id): Path<String>,
) -> Result<Json<PublishResponse>, AppError> {
    let now = state.now();
    let st = state.clone();
    let out = state
        .db
        .write(move |tx| {
            let (m, _) = meeting_for(tx.conn, &caller, &meeting_id, Need::Prepare)?;
            publish_meeting(tx, &st.signer, m, now)
        })
        .await?;
    Ok(Json(out))
}

/// `GET /v1/documents/{document_id}/access-register` (the committee's
/// secretary or chair, an administrator): who fetched the document's bytes
/// while it was classified, from which device and when, newest first.
pub async fn access_register(
    State(state): State<AppState>,
    caller: Caller,
    Path(document_id): Path<String>,
) -> Result<Json<ecabinet_protocol::AccessRegisterView>, AppError> {
    use ecabinet_protocol::{AccessEntry, AccessRegisterView, Classification, MAX_ACCESS_ENTRIES};
    let view = state
        .db
        .read(move |conn| {
            let d = records::document(conn, &document_id)?
                .ok_or_else(|| AppError::not_found("document"))?;
            if !caller.is_admin {
                // Readable after the meeting closed too (`Need::Prepare`
                // refuses a closed meeting): that is when an audit asks.
                let (_, role) =
                    meeting_for(conn, &caller, &d.meeting_id, Need::See).map_err(|e| {
                        if e.code == ErrorCode::NotFound {
                            AppError::not_found("document")
                        } else {
                            e
                        }
                    })?;
                if !role.can_prepare_meetings() {
                    return Err(AppError::forbidden(
                        "the access register is for the committee's secretary and chair",
                    ));
                }
            }
            let rows = conn.query(
                "SELECT a.user_id, COALESCE(u.display_name, ''), a.device_id, dv.name, \
                        COALESCE(v.version, 0), a.classification, a.at \
                 FROM access_register a \
                 LEFT JOIN users u ON u.id = a.user_id \
                 LEFT JOIN devices dv ON dv.id = a.device_id \
                 LEFT JOIN document_versions v ON v.id = a.version_id \
                 WHERE a.document_id = ? ORDER BY a.at DESC, a.id LIMIT ?",
                params![&d.id, (MAX_ACCESS_ENTRIES + 1) as i64],
            )?;
            let mut entries = rows
                .iter()
                .map(|r| {
                    Ok(AccessEntry {
                        user_id: r.text(0)?,
                        user_name: r.text(1)?,
                        device_id: r.opt_text(2)?,
                        device_name: r.opt_text(3)?,
                        version: u32::try_from(r.int(4)?).map_err(AppError::internal)?,
                        classification: Classification::parse(&r.text(5)?)
                            .ok_or_else(|| AppError::internal("stored classification"))?,
                        at: r.int(6)?,
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            let truncated = entries.len() > MAX_ACCESS_ENTRIES;
            entries.truncate(MAX_ACCESS_ENTRIES);
            Ok::<_, AppError>(AccessRegisterView {
                document_id: d.id,
                entries,
                truncated,
            })
        })
        .await?;
    Ok(Json(view))
}
