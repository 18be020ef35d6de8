//! The secretary's actions: typed calls to the server's meeting-preparation
//! API (meetings, the nested agenda, documents and their PDF versions,
//! publication).
//!
//! Like the chair's actions these are not outbox operations: preparing a
//! meeting is done at the office against the server, each call answers at
//! once ([`SyncError::Offline`] when the server cannot be reached), and the
//! records it changes reach every device — the secretary's own included —
//! through the feed. A draft meeting is seen only by its committee's
//! secretary and chair until it is published.

use ecabinet_protocol::{
    AgendaItemBody, CreateAgendaItemRequest, CreateDocumentRequest, CreateMeetingRequest,
    DocumentBody, DocumentVersionBody, MeetingBody, PublishResponse, UpdateAgendaItemRequest,
    UpdateMeetingRequest, WithdrawRequest,
};
use reqwest::header::CONTENT_TYPE;

use crate::api::path_id as id;
use crate::{Api, SyncError};

/// The upload limit assumed until the server has stated its own (servers
/// state it on every feed page; this is their default).
pub const DEFAULT_MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;

/// Where the server's stated upload limit is kept in the store.
const UPLOAD_LIMIT: &str = "server.max_upload_bytes";

/// The largest upload the server accepts, as it last said
/// (`ChangesPage::max_upload_bytes`), else [`DEFAULT_MAX_PDF_BYTES`].
pub fn upload_limit(store: &ecabinet_store::Store) -> u64 {
    store
        .setting(UPLOAD_LIMIT)
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_PDF_BYTES)
}

/// Keeps the limit a feed page stated (a server that states none leaves the
/// last one).
pub(crate) fn record_upload_limit(
    store: &ecabinet_store::Store,
    limit: Option<u64>,
) -> Result<(), ecabinet_store::StoreError> {
    match limit {
        Some(l) => store.set_setting(UPLOAD_LIMIT, &l.to_string()),
        None => Ok(()),
    }
}

/// Why `bytes` cannot be uploaded as a document version, checked before
/// anything is sent: over `limit` (see [`upload_limit`]), or not a whole PDF
/// ([`check_pdf_shape`]).
pub fn check_pdf(bytes: &[u8], limit: u64) -> Result<(), SyncError> {
    if bytes.len() as u64 > limit {
        return Err(SyncError::FileTooLarge {
            size_mb: (bytes.len() as u64).div_ceil(1024 * 1024),
            max_mb: limit / (1024 * 1024),
        });
    }
    check_pdf_shape(bytes)
}

/// Whether `bytes` look like a whole PDF: the `%PDF-` header and an `%%EOF`
/// near the end (a file cut short has none). The size is the server's to
/// judge (it says `payload_too_large`), or [`check_pdf`]'s with its limit.
pub fn check_pdf_shape(bytes: &[u8]) -> Result<(), SyncError> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(SyncError::NotPdf("the file is not a PDF"));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(SyncError::NotPdf(
            "the PDF file is incomplete (no end-of-file marker)",
        ));
    }
    Ok(())
}

/// `POST /v1/committees/{id}/meetings`: a draft meeting.
pub async fn create_meeting(
    api: &Api,
    committee_id: &str,
    req: &CreateMeetingRequest,
) -> Result<MeetingBody, SyncError> {
    let path = format!("/v1/committees/{}/meetings", id(committee_id)?);
    api.json(api.post(&path).json(req)).await
}

/// `PATCH /v1/meetings/{id}`: title, place or time; absent fields are kept.
pub async fn update_meeting(
    api: &Api,
    meeting_id: &str,
    req: &UpdateMeetingRequest,
) -> Result<MeetingBody, SyncError> {
    let path = format!("/v1/meetings/{}", id(meeting_id)?);
    api.json(api.patch(&path).json(req)).await
}

/// `POST /v1/meetings/{id}/agenda`: an agenda item, nested under
/// `req.parent_id` and placed at `req.position` (appended when absent).
pub async fn add_item(
    api: &Api,
    meeting_id: &str,
    req: &CreateAgendaItemRequest,
) -> Result<AgendaItemBody, SyncError> {
    if let Some(p) = &req.parent_id {
        id(p)?;
    }
    let path = format!("/v1/meetings/{}/agenda", id(meeting_id)?);
    api.json(api.post(&path).json(req)).await
}

/// `PATCH /v1/agenda/{id}`: renames, re-nests or moves an item; the server
/// renumbers the siblings it leaves and joins.
pub async fn update_item(
    api: &Api,
    item_id: &str,
    req: &UpdateAgendaItemRequest,
) -> Result<AgendaItemBody, SyncError> {
    if let Some(Some(p)) = &req.parent_id {
        id(p)?;
    }
    let path = format!("/v1/agenda/{}", id(item_id)?);
    api.json(api.patch(&path).json(req)).await
}

/// Renames an item.
pub async fn rename_item(
    api: &Api,
    item_id: &str,
    title: &str,
) -> Result<AgendaItemBody, SyncError> {
    let req = UpdateAgendaItemRequest {
        title: Some(title.to_owned()),
        ..UpdateAgendaItemRequest::default()
    };
    update_item(api, item_id, &req).await
}

/// Moves an item to `position` among its current siblings.
pub async fn move_item(
    api: &Api,
    item_id: &str,
    position: i64,
) -> Result<AgendaItemBody, SyncError> {
    let req = UpdateAgendaItemRequest {
        position: Some(position),
        ..UpdateAgendaItemRequest::default()
    };
    update_item(api, item_id, &req).await
}

/// `DELETE /v1/agenda/{id}`: the item with everything nested under it and
/// their documents.
pub async fn delete_item(api: &Api, item_id: &str) -> Result<(), SyncError> {
    let path = format!("/v1/agenda/{}", id(item_id)?);
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// `POST /v1/agenda/{id}/withdraw`: once members have seen the meeting an
/// item is withdrawn instead of deleted: it stays on the agenda, marked, with
/// the items under it, and `reason` stands on the record.
pub async fn withdraw_item(
    api: &Api,
    item_id: &str,
    reason: &str,
) -> Result<AgendaItemBody, SyncError> {
    let path = format!("/v1/agenda/{}/withdraw", id(item_id)?);
    api.json(api.post(&path).json(&withdraw_request(reason)?))
        .await
}

/// `POST /v1/documents/{id}/withdraw`: the document stays readable, marked
/// as withdrawn with `reason`, and takes no new version.
pub async fn withdraw_document(
    api: &Api,
    document_id: &str,
    reason: &str,
) -> Result<DocumentBody, SyncError> {
    let path = format!("/v1/documents/{}/withdraw", id(document_id)?);
    api.json(api.post(&path).json(&withdraw_request(reason)?))
        .await
}

fn withdraw_request(reason: &str) -> Result<WithdrawRequest, SyncError> {
    if reason.trim().is_empty() {
        return Err(SyncError::ReasonRequired);
    }
    Ok(WithdrawRequest {
        reason: reason.trim().to_owned(),
    })
}

/// `POST /v1/agenda/{id}/documents`: a document (without a version yet).
pub async fn create_document(
    api: &Api,
    item_id: &str,
    title: &str,
) -> Result<DocumentBody, SyncError> {
    let path = format!("/v1/agenda/{}/documents", id(item_id)?);
    let req = CreateDocumentRequest {
        title: title.to_owned(),
    };
    api.json(api.post(&path).json(&req)).await
}

/// `DELETE /v1/documents/{id}`: a document and all its versions.
pub async fn delete_document(api: &Api, document_id: &str) -> Result<(), SyncError> {
    let path = format!("/v1/documents/{}", id(document_id)?);
    api.send(api.delete(&path)).await?;
    Ok(())
}

/// `POST /v1/documents/{id}/versions`: the next version of a document. It
/// stays unpublished (seen by editors only) until the meeting is published
/// again.
pub async fn upload_version(
    api: &Api,
    document_id: &str,
    pdf: Vec<u8>,
) -> Result<DocumentVersionBody, SyncError> {
    check_pdf_shape(&pdf)?;
    let path = format!("/v1/documents/{}/versions", id(document_id)?);
    api.json(
        api.post(&path)
            .header(CONTENT_TYPE, "application/pdf")
            .body(pdf),
    )
    .await
}

/// A document titled `title` on an agenda item, with `pdf` as its first
/// version. The PDF is checked before the document is created, so a wrong
/// file leaves nothing behind.
pub async fn attach_pdf(
    api: &Api,
    item_id: &str,
    title: &str,
    pdf: Vec<u8>,
) -> Result<(DocumentBody, DocumentVersionBody), SyncError> {
    check_pdf_shape(&pdf)?;
    let doc = create_document(api, item_id, title).await?;
    match upload_version(api, &doc.id, pdf).await {
        Ok(v) => Ok((doc, v)),
        Err(e) => {
            // A document without a version would show as empty to members;
            // remove it. Should that fail too, the upload's error is the
            // one the secretary can act on.
            let _ = delete_document(api, &doc.id).await;
            Err(e)
        }
    }
}

/// `POST /v1/meetings/{id}/publish`: the meeting becomes visible to every
/// member, and every pending document version is signed and sent.
pub async fn publish(api: &Api, meeting_id: &str) -> Result<PublishResponse, SyncError> {
    let path = format!("/v1/meetings/{}/publish", id(meeting_id)?);
    api.json(api.post(&path)).await
}

#[cfg(test)]
mod tests {
    use super::{check_pdf, id};

    #[test]
    fn ids_that_could_change_the_path_are_refused() {
        assert!(id("0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in ["", "a/b", "../x", "a?b", "a b"] {
            assert!(id(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn only_whole_pdfs_within_the_limit_pass() {
        let limit = 1024 * 1024;
        assert!(check_pdf(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", limit).is_ok());
        for bad in [
            &b""[..],
            b"PK\x03\x04 a zip file %%EOF",
            b"%PDF-1.4\n1 0 obj<<>>endobj\n",
        ] {
            assert!(check_pdf(bad, limit).is_err(), "{bad:?} accepted");
        }
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(limit as usize - 5, b' ');
        big.extend_from_slice(b"%%EOF");
        assert!(check_pdf(&big, limit).is_ok(), "exactly at the limit");
        big.insert(10, b' ');
        assert!(matches!(
            check_pdf(&big, limit),
            Err(crate::SyncError::FileTooLarge { max_mb: 1, .. })
        ));
    }
}
