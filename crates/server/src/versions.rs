//! A document's versions: how an upload, whole or resumable, becomes the
//! next (unpublished) version once it is known to be a PDF members can open.

use ecabinet_protocol::{DocumentVersionBody, EntityKind, ErrorCode, MeetingBody};

use crate::access::{document_for, refuse_withdrawn, Need};
use crate::auth::Caller;
use crate::blobs::Received;
use crate::db::Tx;
use crate::records::{self, new_id, Scope};
use crate::{params, AppError, AppState};

/// Why a classified document is refused by a server that is not on an
/// isolated network.
pub const NOT_ISOLATED: &str = "Máy chủ này không thuộc mạng nội bộ tách biệt nên không được lưu tài liệu mật (mật, tối mật, tuyệt mật) theo Luật Bảo vệ bí mật nhà nước / this server is not an isolated-network deployment, so it may not hold classified documents: classified documents must stay off internet-connected systems (start the server with --isolated-network only on such a network)";

pub const WITHDRAWN_DOCUMENT: &str =
    "the document has been withdrawn from the meeting: it takes no new version";

/// Whether `bytes` look like a whole PDF file: the `%PDF-` header at the
/// start and an `%%EOF` marker near the end (a truncated upload has none).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"%PDF-") {
        return false;
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// Records an uploaded (unpublished) version whose blob is already stored;
/// with `read_scans`, its text layer is queued for OCR (see [`crate::ocr`])
/// and the record says so from the start.
/// The content of a new version: its stored blob and what the server
/// found of its embedded signatures.
pub struct NewVersion<'a> {
    pub sha256: &'a str,
    pub size: u64,
    pub signature_check: Option<&'a ecabinet_protocol::EmbeddedSignatureCheck>,
    /// Its pages, as the upload's PDF check counted them; `None` when not
    /// counted (the demo's own documents).
    pub page_count: Option<u64>,
}

pub fn insert_version(
    tx: &mut Tx<'_>,
    meeting: &MeetingBody,
    document_id: &str,
    content: NewVersion<'_>,
    now: i64,
    read_scans: bool,
) -> Result<DocumentVersionBody, AppError> {
    let NewVersion {
        sha256,
        size,
        signature_check,
        page_count,
    } = content;
    let page_count = page_count.and_then(|n| i64::try_from(n).ok());
    let size_i = i64::try_from(size).map_err(|_| AppError::invalid("too large"))?;
    tx.conn.execute(
        "INSERT INTO blobs (sha256, size, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        params![sha256, size_i, now],
    )?;
    let next = tx
        .conn
        .query(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM document_versions WHERE document_id = ?",
            params![document_id],
        )?
        .first()
        .ok_or_else(|| AppError::internal("no version"))?
        .int(0)?;
    let id = new_id();
    tx.conn.execute(
        "INSERT INTO document_versions (id, document_id, meeting_id, version, sha256, size, published_at, signature, superseded, created_at, signature_check, page_count) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?, ?, ?)",
        params![
            &id,
            document_id,
            &meeting.id,
            next,
            sha256,
            size_i,
            now,
            signature_check.map(serde_json::to_string).transpose()?,
            page_count
        ],
    )?;
    if read_scans {
        crate::ocr::queue(tx, &id, now)?;
    }
    let v = records::document_version(tx.conn, &id)?
        .ok_or_else(|| AppError::internal("version vanished"))?;
    // Unpublished versions are for editors only, even in a published meeting.
    records::emit(
        tx,
        Scope::new(&meeting.committee_id, records::Audience::Editors),
        EntityKind::DocumentVersion,
        &id,
        ecabinet_protocol::Op::Upsert,
        Some(&v),
        now,
    )?;
    Ok(v)
}

pub fn too_large(max: u64) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("the upload is larger than the server accepts ({max} bytes)"),
    )
}

/// Makes a whole received upload the document's next version: it must be a
/// complete PDF that members can open (checked in a process of its own),
/// then it is stored under its hash and recorded. `finished_upload` names
/// the resumable upload it came from, removed in the same transaction.
pub async fn store_version(
    state: &AppState,
    caller: Caller,
    document_id: String,
    received: Received,
    finished_upload: Option<String>,
) -> Result<DocumentVersionBody, AppError> {
    if !looks_like_pdf(received.edges()) {
        return Err(AppError::new(
            ErrorCode::NotPdf,
            "Tệp tải lên không phải là một tệp PDF hoàn chỉnh. / The upload is not a complete PDF file.",
        ));
    }
    // A server off an isolated network keeps no classified content at all,
    // not even unreferenced: refused before the file is stored.
    if !state.config.isolated_network {
        let doc = document_id.clone();
        let classified = state
            .db
            .read(move |conn| {
                Ok::<_, AppError>(
                    crate::records::document_policy(conn, &doc)?
                        .classification
                        .is_classified(),
                )
            })
            .await?;
        if classified {
            return Err(AppError::new(ErrorCode::Conflict, NOT_ISOLATED));
        }
    }
    // Members must be able to open it: checked in a process of its own.
    let pages = state.config.pdf_check.check(received.path()).await?;
    // Its embedded signatures, against the roots trusted now: reported to
    // the secretary, never a reason to refuse (a scan of a signed paper
    // carries no valid signature).
    let signature_check = check_signatures(state, received.path()).await?;
    let (sha, size) = (received.sha256.clone(), received.size);
    state.blobs.put_file(received).await?;
    let now = state.now();
    let ocr_on = state.config.ocr.enabled;
    let isolated = state.config.isolated_network;
    let v = state
        .db
        .write(move |tx| {
            let (d, m) = document_for(tx, &caller, &document_id, Need::Prepare)?;
            refuse_withdrawn(d.withdrawn.as_ref(), WITHDRAWN_DOCUMENT)?;
            // A server moved off its isolated network keeps no new classified content.
            if d.policy.classification.is_classified() && !isolated {
                return Err(AppError::new(ErrorCode::Conflict, NOT_ISOLATED));
            }
            if let Some(id) = &finished_upload {
                // Cancelled or expired meanwhile: it does not become a version.
                if tx
                    .conn
                    .execute("DELETE FROM uploads WHERE id = ?", params![id])?
                    != 1
                {
                    return Err(AppError::not_found("upload"));
                }
            }
            let content = NewVersion {
                sha256: &sha,
                size,
                signature_check: Some(&signature_check),
                page_count: (pages > 0).then_some(pages),
            };
            insert_version(tx, &m, &d.id, content, now, ocr_on)
        })
        .await?;
    crate::ocr::start(state, v.id.clone());
    Ok(v)
}

/// The signatures embedded in the PDF at `path`, checked against the
/// deployment's trusted roots (pure Rust, no PDF engine: it runs here, with
/// the limits of `ecabinet_pades` on what a hostile file can make it do).
async fn check_signatures(
    state: &AppState,
    path: &std::path::Path,
) -> Result<ecabinet_protocol::EmbeddedSignatureCheck, AppError> {
    // One check at a time: a signature costs public-key operations, and
    // hostile uploads in parallel should not take every core.
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _turn = ONE_AT_A_TIME.acquire().await.map_err(AppError::internal)?;
    let roots = state
        .db
        .read(|conn| crate::trusted_roots::current(conn))
        .await?;
    let now = state.now() / 1000;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let trust = match roots {
            Some(list) => {
                ecabinet_pades::TrustStore::from_pem(&list.pem).map_err(AppError::internal)?
            }
            None => ecabinet_pades::TrustStore::default(),
        };
        let mut file =
            std::io::BufReader::new(std::fs::File::open(&path).map_err(AppError::internal)?);
        let reports = ecabinet_pades::verify(&mut file, &trust, now).map_err(AppError::internal)?;
        let verdict = serde_json::to_value(ecabinet_pades::verdict(&reports))?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok(ecabinet_protocol::EmbeddedSignatureCheck {
            verdict,
            signers: reports
                .iter()
                .map(|r| r.signer.clone().unwrap_or_default())
                .collect(),
            problem: reports.iter().find_map(|r| r.problem.clone()),
        })
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
}
