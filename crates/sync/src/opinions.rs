//! A written consultation's opinion forms (phiếu lấy ý kiến) as the server
//! keeps them: listed, and each read back whole and checked against the
//! SHA-256 that its ballot's token signature and audit record hold, so a
//! form changed on the server is refused rather than shown or saved.

use ecabinet_protocol::{OpinionFormBody, OpinionFormList, MAX_OPINION_FORM_BYTES};

use crate::api::{path_id as id, read_capped};
use crate::{Api, SyncError};

/// `GET /v1/motions/{id}/opinions`: the motion's forms, oldest first.
pub async fn list(api: &Api, motion_id: &str) -> Result<OpinionFormList, SyncError> {
    let path = format!("/v1/motions/{}/opinions", id(motion_id)?);
    api.json(api.get(&path)).await
}

/// One form's PDF, checked against `form.sha256`.
pub async fn fetch(
    api: &Api,
    motion_id: &str,
    form: &OpinionFormBody,
) -> Result<Vec<u8>, SyncError> {
    let path = format!(
        "/v1/motions/{}/opinions/{}",
        id(motion_id)?,
        id(&form.op_id)?
    );
    let resp = api.send(api.get(&path)).await?;
    let pdf = read_capped(resp, MAX_OPINION_FORM_BYTES, "opinion form").await?;
    let got = ecabinet_protocol::hex::sha256_hex(&pdf);
    if !got.eq_ignore_ascii_case(&form.sha256) {
        return Err(SyncError::Protocol(format!(
            "the opinion form of ballot {} is not the one its signature covers (SHA-256 {got}, expected {})",
            form.op_id, form.sha256
        )));
    }
    Ok(pdf)
}
