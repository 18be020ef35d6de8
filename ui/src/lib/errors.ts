// IpcError → a sentence the member understands, in the UI language.
import type { IpcError, IpcErrorCode } from "./bindings";
import type { MessageKey } from "./i18n";
import { isIpcError } from "./ipc";

const KEYS: Record<IpcErrorCode, MessageKey> = {
  no_data: "error.no_data",
  wrong_pin: "error.wrong_pin",
  weak_passphrase: "error.weak_passphrase",
  keystore_unavailable: "error.keystore_unavailable",
  keystore_item_missing: "error.keystore_item_missing",
  wiped: "error.wiped",
  offline: "error.offline",
  login_failed: "error.login_failed",
  insecure_url: "error.insecure_url",
  untrusted_server: "error.untrusted_server",
  invalid_enrol_code: "error.invalid_enrol_code",
  server_key_mismatch: "error.server_key_mismatch",
  server_key_changed: "error.server_key_changed",
  device_revoked: "error.device_revoked",
  session_expired: "error.session_expired",
  rate_limited: "error.rate_limited",
  account_disabled: "error.account_disabled",
  not_unlocked: "error.not_unlocked",
  invalid_input: "error.invalid_input",
  not_found: "error.not_found",
  document_rejected: "error.document_rejected",
  pdfium_unavailable: "error.pdfium_unavailable",
  lease_expired: "error.lease_expired",
  conflict: "error.conflict",
  forbidden: "error.forbidden",
  export_forbidden: "error.export_forbidden",
  classified: "error.classified",
  not_pdf: "error.not_pdf",
  unreadable_pdf: "error.unreadable_pdf",
  file_too_large: "error.file_too_large",
  token_failed: "error.token_failed",
  meeting_closed: "error.meeting_closed",
  not_deletable: "error.not_deletable",
  server_error: "error.server_error",
  internal: "error.internal",
};

/** The message for an error code (e.g. the status bar's last sync error). */
export function codeKey(code: IpcErrorCode): MessageKey {
  return KEYS[code];
}

export function errorKey(e: unknown): MessageKey {
  return isIpcError(e) ? KEYS[e.code] : "error.generic";
}

export function asIpcError(e: unknown): IpcError {
  return isIpcError(e) ? e : { code: "internal", message: String(e), attemptsLeft: null, retryAfterSecs: null };
}
