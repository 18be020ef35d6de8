//! Turns cache rows (the wire bodies as stored) into the UI's view types.

use std::collections::HashMap;

use ecabinet_store::{Entity, Store};
use serde_json::Value;

use crate::convert::text;
use crate::ipc::{
    AgendaItemView, DocumentView, IpcError, IpcErrorCode, MeetingDetail, MeetingSummary,
    TextLayerView, UploadSignatureCheckView, VersionState, VersionView, WithdrawnView,
};
use ecabinet_protocol::Withdrawal;

/// The withdrawal recorded in an agenda item's or a document's body.
fn withdrawn(body: &Value) -> Option<WithdrawnView> {
    let w: Withdrawal = serde_json::from_value(body.get("withdrawn")?.clone()).ok()?;
    Some(WithdrawnView {
        at_ms: w.at_ms,
        by_user_id: w.by_user_id,
        reason: w.reason,
    })
}

fn not_found(what: &str, id: &str) -> IpcError {
    IpcError::new(
        IpcErrorCode::NotFound,
        format!("{what} {id} is not in the local cache"),
    )
}

/// The documents of a meeting with their versions and cache state. What is
/// shown of a version (number, size, superseded) comes from its verified
/// signed manifest; a record not verified yet shows only that it is pending
/// or refused.
fn documents(
    store: &Store,
    meeting_id: &str,
    errors: &HashMap<String, String>,
) -> Result<Vec<DocumentView>, IpcError> {
    let mut out = Vec::new();
    for (id, body) in store.documents(meeting_id)? {
        let mut versions = Vec::new();
        for v in store.document_versions(&id)? {
            let verified = store.verified_version(&v.id)?;
            let state = if let Some(reason) = errors.get(&v.id) {
                VersionState::Rejected {
                    reason: reason.clone(),
                }
            } else if verified
                .as_ref()
                // A classified version is read from the server: ready once verified.
                .map(|m| {
                    Ok::<_, IpcError>(ecabinet_sync::is_classified(m) || store.has_blob(&m.sha256)?)
                })
                .transpose()?
                .unwrap_or(false)
            {
                VersionState::Ready
            } else {
                VersionState::Pending
            };
            let text_layer = text_layer_view(store, &v.id, &v.body)?;
            let upload_signature_check = v
                .body
                .get("signature_check")
                .and_then(|c| {
                    serde_json::from_value::<ecabinet_protocol::EmbeddedSignatureCheck>(c.clone())
                        .ok()
                })
                .map(|c| UploadSignatureCheckView {
                    verdict: c.verdict,
                    signers: c.signers,
                    problem: c.problem,
                });
            versions.push(match verified {
                Some(m) => VersionView {
                    policy: ecabinet_sync::policy_of(&m)
                        .ok()
                        .map(|p| p.unwrap_or_default().into()),
                    id: v.id,
                    version: m.version,
                    superseded: m.superseded,
                    size: m.size,
                    state,
                    text_layer,
                    upload_signature_check,
                },
                None => VersionView {
                    id: v.id,
                    version: v.version,
                    superseded: false,
                    size: 0,
                    state,
                    text_layer,
                    policy: None,
                    upload_signature_check,
                },
            });
        }
        out.push(DocumentView {
            agenda_item_id: text(&body, "agenda_item_id"),
            title: text(&body, "title"),
            withdrawn: withdrawn(&body),
            policy: body
                .get("policy")
                .and_then(|p| {
                    serde_json::from_value::<ecabinet_protocol::DocumentPolicy>(p.clone()).ok()
                })
                .unwrap_or_default()
                .into(),
            id,
            versions,
        });
    }
    Ok(out)
}

/// The server's word on a version's OCR, and whether its words are here.
fn text_layer_view(
    store: &Store,
    version_id: &str,
    body: &Value,
) -> Result<Option<TextLayerView>, IpcError> {
    let Some(layer) = body
        .get("text_layer")
        .cloned()
        .and_then(|l| serde_json::from_value::<ecabinet_protocol::TextLayerState>(l).ok())
    else {
        return Ok(None);
    };
    let status = serde_json::to_value(layer.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(Some(TextLayerView {
        status,
        pages_done: layer.pages_done,
        pages_total: layer.pages_total,
        error: layer.error,
        on_device: store.text_layer_sha(version_id)?.is_some(),
    }))
}

fn summary(
    body: &Value,
    id: &str,
    starts_at: i64,
    title: &str,
    docs: &[DocumentView],
) -> MeetingSummary {
    let versions = docs.iter().flat_map(|d| &d.versions);
    let count = |f: fn(&VersionState) -> bool| {
        u32::try_from(versions.clone().filter(|v| f(&v.state)).count()).unwrap_or(u32::MAX)
    };
    MeetingSummary {
        id: id.to_owned(),
        title: title.to_owned(),
        location: text(body, "location"),
        starts_at,
        status: text(body, "status"),
        versions_total: count(|_| true),
        versions_ready: count(|s| matches!(s, VersionState::Ready)),
        versions_rejected: count(|s| matches!(s, VersionState::Rejected { .. })),
    }
}

fn version_errors(store: &Store) -> Result<HashMap<String, String>, IpcError> {
    Ok(store.version_errors()?.into_iter().collect())
}

/// Every meeting, earliest first, with its documents' download state.
pub(crate) fn meetings(store: &Store) -> Result<Vec<MeetingSummary>, IpcError> {
    let errors = version_errors(store)?;
    store
        .meetings(None)?
        .into_iter()
        .map(|m| {
            let docs = documents(store, &m.id, &errors)?;
            Ok(summary(&m.body, &m.id, m.starts_at, &m.title, &docs))
        })
        .collect()
}

/// The meeting screen's data.
pub(crate) fn meeting_detail(store: &Store, meeting_id: &str) -> Result<MeetingDetail, IpcError> {
    let body = store
        .entity(Entity::Meeting, meeting_id)?
        .ok_or_else(|| not_found("meeting", meeting_id))?;
    let errors = version_errors(store)?;
    let docs = documents(store, meeting_id, &errors)?;
    let starts_at = body.get("starts_at").and_then(Value::as_i64).unwrap_or(0);
    let agenda = store
        .agenda(meeting_id)?
        .into_iter()
        .map(|a| AgendaItemView {
            title: text(&a.body, "title"),
            withdrawn: withdrawn(&a.body),
            planned_minutes: a.body.get("planned_minutes").and_then(Value::as_i64),
            speaking_limit_ms: a.body.get("speaking_limit_ms").and_then(Value::as_i64),
            time_on_floor_ms: a
                .body
                .get("time_on_floor_ms")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            on_floor_since: a.body.get("on_floor_since").and_then(Value::as_i64),
            id: a.id,
            parent_id: a.parent_id,
            position: a.position,
        })
        .collect();
    Ok(MeetingDetail {
        meeting: summary(&body, meeting_id, starts_at, &text(&body, "title"), &docs),
        current_item_id: body
            .get("current_item_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        agenda,
        documents: docs,
        speaking_limit_ms: committee_speaking_limit(store, &body)?,
    })
}

/// The default speaking-time limit of the meeting's committee, ms.
fn committee_speaking_limit(store: &Store, meeting: &Value) -> Result<Option<i64>, IpcError> {
    let Some(committee_id) = meeting.get("committee_id").and_then(Value::as_str) else {
        return Ok(None);
    };
    Ok(store
        .entity(Entity::Committee, committee_id)?
        .and_then(|c| c.get("speaking_limit_ms").and_then(Value::as_i64)))
}
