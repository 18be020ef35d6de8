//! Voting: the open motions the vote dialog offers, and casting a ballot
//! (recorded at once on this device, sent when the server can be reached).

use tauri::State;

use crate::background::{emit_ballots, refresh_status};
use crate::convert::ballot_view;
use crate::ipc::{BallotView, IpcError, IpcErrorCode, MotionView};
use crate::session::blocking;
use crate::state::AppState;

/// Open motions of every meeting that I may vote on, with my ballot if any.
#[tauri::command]
pub async fn open_motions(state: State<'_, AppState>) -> Result<Vec<MotionView>, IpcError> {
    let (store, me) = (state.content_store()?, state.user_id()?);
    blocking(move || crate::floor::open_motions(&store, &me)).await
}

/// Records my ballot now, signed, online or not; answers it as `pending`.
/// With `pin`, the ballot is also signed with my token (ký số), through the
/// token module this device signs documents with: a motion that takes only
/// signed ballots needs it, and the signature goes into the audit record.
#[tauri::command]
pub async fn cast_ballot(
    state: State<'_, AppState>,
    motion_id: String,
    choice: u32,
    pin: Option<String>,
) -> Result<BallotView, IpcError> {
    let pin = pin.map(zeroize::Zeroizing::new);
    let store = state.content_store()?;
    // The PDF engine writes a written consultation's opinion form; other
    // ballots do not need it.
    let pdf = state.pdf().cloned();
    let s = store.clone();
    let ballot = blocking(move || {
        let now = ecabinet_sync::now_ms();
        let op_id = match pin {
            None => ecabinet_sync::cast_ballot(&s, &motion_id, choice, now)?,
            Some(pin) => {
                let token = crate::commands::signing::open_token(&s, &pin)?;
                drop(pin);
                // A written consultation's opinion form, written and signed first.
                let form = match ecabinet_sync::opinion_form_text(&s, &motion_id, choice, now)? {
                    Some(text) => Some(
                        ecabinet_pdf::opinion_form::signed(&pdf?, &token, &text, now).map_err(
                            |e| match e {
                                ecabinet_pdf::opinion_form::SignedFormError::Pdf(e) => {
                                    IpcError::from(e)
                                }
                                ecabinet_pdf::opinion_form::SignedFormError::Token(e) => {
                                    crate::commands::signing::token_failed(e)
                                }
                            },
                        )?,
                    ),
                    None => None,
                };
                ecabinet_sync::cast_signed_ballot(
                    &s,
                    &motion_id,
                    choice,
                    now,
                    &mut |data| {
                        Ok(ecabinet_sync::TokenSignature {
                            signature: token.sign(data).map_err(|e| e.to_string())?,
                            certificate: token.certificate.clone(),
                            chain: token.others.clone(),
                        })
                    },
                    form,
                )?
            }
        };
        ecabinet_sync::ballots(&s)?
            .into_iter()
            .find(|b| b.op_id == op_id)
            .map(ballot_view)
            .ok_or_else(|| IpcError::new(IpcErrorCode::Internal, "the ballot was not recorded"))
    })
    .await?;
    state.wake_push();
    emit_ballots(&state, &store).await;
    refresh_status(&state, &store, |_| {}).await;
    Ok(ballot)
}
