//! Signing a document with the member's PKCS#11 token (ký số): the chair
//! signs the minutes, the secretary a decision. The version on this device
//! is signed (PAdES, an incremental update that leaves earlier signatures
//! intact) and uploaded as the document's next version, which the server
//! checks and the meeting publishes like any other.
//!
//! The token's module (its driver from the CA) is a setting of this device,
//! loaded only from the system's library folders (the page names it, and
//! loading it runs its code); the PIN comes from the screen for this one
//! signature and is never kept, logged or sent anywhere but to the token.

use tauri::State;

use crate::ipc::{IpcError, IpcErrorCode, SignedVersionView, UploadSignatureCheckView};
use crate::session::blocking;
use crate::state::AppState;

/// The setting that names the token's PKCS#11 module.
const TOKEN_MODULE: &str = "token_module";

pub(crate) fn token_failed(e: impl std::fmt::Display) -> IpcError {
    IpcError::new(IpcErrorCode::TokenFailed, e.to_string())
}

/// The token module this device signs with, if one was chosen.
#[tauri::command]
pub async fn token_module(state: State<'_, AppState>) -> Result<Option<String>, IpcError> {
    let store = state.content_store()?;
    blocking(move || Ok(store.setting(TOKEN_MODULE)?)).await
}

/// Chooses the token module this device signs with (checked: a `.so` in the
/// system's library folders); answers the resolved path kept.
#[tauri::command]
pub async fn set_token_module(
    state: State<'_, AppState>,
    module_path: String,
) -> Result<String, IpcError> {
    let resolved =
        ecabinet_pades::token::check_module_path(std::path::Path::new(module_path.trim()))
            .map_err(token_failed)?
            .to_string_lossy()
            .into_owned();
    let store = state.content_store()?;
    let kept = resolved.clone();
    blocking(move || Ok(store.set_setting(TOKEN_MODULE, &kept)?)).await?;
    Ok(resolved)
}

/// Opens the token through the module this device signs with (the saved
/// setting, checked like a module named on the screen) and logs in with `pin`.
pub(crate) fn open_token(
    store: &ecabinet_store::Store,
    pin: &str,
) -> Result<ecabinet_pades::token::Token, IpcError> {
    let module = store.setting(TOKEN_MODULE)?.ok_or_else(|| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            "choose the token's PKCS#11 module (its driver, from the CA) first: sign a document once, or set it in the signing dialog",
        )
    })?;
    let module = ecabinet_pades::token::check_module_path(std::path::Path::new(&module))
        .map_err(token_failed)?;
    ecabinet_pades::token::Token::open(&module, pin, None).map_err(token_failed)
}

/// Signs verified version `version_id` with the token (its module:
/// `module_path`, else the saved one; kept for next time once it signed)
/// and uploads the result as the document's next version.
#[tauri::command]
pub async fn sign_version(
    state: State<'_, AppState>,
    version_id: String,
    pin: String,
    reason: Option<String>,
    module_path: Option<String>,
) -> Result<SignedVersionView, IpcError> {
    // Not kept in memory past the login (the IPC message it came in is
    // the webview's and not ours to clear).
    let pin = zeroize::Zeroizing::new(pin);
    let store = state.content_store()?;
    let (document_id, signed, module) = blocking(move || {
        let module = match module_path.filter(|p| !p.trim().is_empty()) {
            Some(path) => path,
            None => store.setting(TOKEN_MODULE)?.ok_or_else(|| {
                IpcError::new(
                    IpcErrorCode::InvalidInput,
                    "choose the token's PKCS#11 module (its driver, from the CA) first",
                )
            })?,
        };
        // The path comes from the page: only a module installed in the
        // system's library folders is loaded into the app.
        let module = ecabinet_pades::token::check_module_path(std::path::Path::new(&module))
            .map_err(token_failed)?
            .to_string_lossy()
            .into_owned();
        let version = ecabinet_sync::version_to_open(&store, &version_id)?;
        // Only the document's current version: signing an older one would
        // upload its content again as the newest.
        let current = ecabinet_sync::current_version_to_open(&store, &version.document_id)?;
        if current.id != version.id {
            return Err(IpcError::new(
                IpcErrorCode::Conflict,
                format!(
                    "version {} is no longer the current one: sign version {}",
                    version.version, current.version
                ),
            ));
        }
        if version.size > ecabinet_pades::sign::MAX_SIGN_BYTES as u64 {
            return Err(IpcError::new(
                IpcErrorCode::FileTooLarge,
                ecabinet_pades::sign::SignError::TooLarge.to_string(),
            ));
        }
        let pdf = store.read_blob(&version.sha256)?;
        let token = ecabinet_pades::token::Token::open(std::path::Path::new(&module), &pin, None)
            .map_err(token_failed)?;
        drop(pin);
        let reason = reason.filter(|r| !r.trim().is_empty());
        let signed = ecabinet_pades::token::sign_document(
            &token,
            pdf,
            reason,
            ecabinet_sync::now_ms() / 1000,
        )
        .map_err(token_failed)?;
        Ok((version.document_id, signed, module))
    })
    .await?;
    let uploaded =
        ecabinet_sync::secretary::upload_version(&state.api()?, &document_id, signed).await?;
    let store = state.content_store()?;
    blocking(move || Ok(store.set_setting(TOKEN_MODULE, &module)?)).await?;
    state.wake_sync()?;
    Ok(SignedVersionView {
        document_id: uploaded.document_id,
        version: uploaded.version,
        upload_signature_check: uploaded.signature_check.map(|c| UploadSignatureCheckView {
            verdict: c.verdict,
            signers: c.signers,
            problem: c.problem,
        }),
    })
}
