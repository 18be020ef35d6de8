// Generated from src-tauri/src/ipc.rs by ts-rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings`.

export type IpcErrorCode = "no_data" | "wrong_pin" | "locked" | "wiped" | "offline" | "login_failed" | "device_revoked" | "session_expired" | "not_unlocked" | "invalid_input" | "not_found" | "document_rejected" | "pdfium_unavailable" | "server_error" | "internal";

export type IpcError = { code: IpcErrorCode, message: string, 
/**
 * For `wrong_pin`: attempts left before the local data is wiped.
 */
attemptsLeft: number | null, 
/**
 * For `wrong_pin` and `locked`: seconds until the next attempt is accepted.
 */
retryAfterSecs: number | null, };

export type PdfiumStatus = { "kind": "loaded", version: string, path: string, } | { "kind": "unavailable", message: string, };

export type AppInfo = { appVersion: string, pdfium: PdfiumStatus, };

export type SessionState = { "kind": "first_run", serverUrl: string | null, } | { "kind": "locked", failedAttempts: number, retryAfterSecs: number, } | { "kind": "unlocked", username: string, serverUrl: string, } | { "kind": "revoked" };

export type SyncStatusView = { 
/**
 * `null` until the first sync attempt has finished.
 */
online: boolean | null, 
/**
 * A sync round is running.
 */
syncing: boolean, 
/**
 * Last successful sync, unix ms.
 */
lastSyncMs: number | null, 
/**
 * Outbox operations not yet answered by the server.
 */
pendingOutbox: number, 
/**
 * Why the last round failed, if it did.
 */
lastError: IpcErrorCode | null, };

export type SyncProgress = { documentId: string, version: number, documentDone: number, documentTotal: number, overallDone: number, overallTotal: number, };

export type MeetingSummary = { id: string, title: string, location: string, 
/**
 * Start, unix ms.
 */
startsAt: number, 
/**
 * `draft`, `published`, `in_session` or `closed`.
 */
status: string, 
/**
 * Document versions of this meeting.
 */
versionsTotal: number, 
/**
 * Of those, verified and stored.
 */
versionsReady: number, 
/**
 * Of those, refused (tampered, truncated, bad signature).
 */
versionsRejected: number, };

export type AgendaItemView = { id: string, parentId: string | null, 
/**
 * Order among siblings.
 */
position: number, title: string, };

export type VersionState = { "kind": "ready" } | { "kind": "pending" } | { "kind": "rejected", reason: string, };

export type VersionView = { id: string, version: number, 
/**
 * A later version replaced this one; it stays readable.
 */
superseded: boolean, size: number, state: VersionState, };

export type DocumentView = { id: string, agendaItemId: string, title: string, versions: Array<VersionView>, };

export type MeetingDetail = { meeting: MeetingSummary, 
/**
 * The item the chair has put on the floor.
 */
currentItemId: string | null, agenda: Array<AgendaItemView>, documents: Array<DocumentView>, };

export type PageSizeView = { width: number, height: number, };

export type OpenedDocumentView = { versionId: string, pages: Array<PageSizeView>, };

export const EVENTS = { syncStatus: "sync-status", syncProgress: "sync-progress", sessionChanged: "session-changed" } as const;
