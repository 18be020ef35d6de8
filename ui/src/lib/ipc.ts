// The only module that calls Tauri's `invoke` (and listens to its events).
// Every command the UI uses has one typed wrapper here; the types come from
// Rust (bindings.ts, generated).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import {
  EVENTS,
  type AppInfo,
  type IpcError,
  type MeetingDetail,
  type MeetingSummary,
  type OpenedDocumentView,
  type SessionState,
  type SyncProgress,
  type SyncStatusView,
} from "./bindings";

export type * from "./bindings";

export function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Calls a command; failures are always an `IpcError` with a closed `code`. */
async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e)) throw e;
    const err: IpcError = { code: "internal", message: String(e), attemptsLeft: null, retryAfterSecs: null };
    throw err;
  }
}

export const ipc = {
  appInfo: () => call<AppInfo>("app_info"),
  sessionState: () => call<SessionState>("session_state"),
  enrol: (a: { serverUrl: string; username: string; password: string; pin: string }) =>
    call<SessionState>("enrol", a),
  unlock: (pin: string) => call<SessionState>("unlock", { pin }),
  lock: () => call<SessionState>("lock"),
  syncStatus: () => call<SyncStatusView>("sync_status"),
  syncNow: () => call<void>("sync_now"),
  listMeetings: () => call<MeetingSummary[]>("list_meetings"),
  meetingDetail: (meetingId: string) => call<MeetingDetail>("meeting_detail", { meetingId }),
  openDocument: (versionId: string) => call<OpenedDocumentView>("open_document", { versionId }),
  closeDocument: (versionId: string) => call<void>("close_document", { versionId }),
};

export const events = {
  onSyncStatus: (f: (s: SyncStatusView) => void): Promise<UnlistenFn> =>
    listen<SyncStatusView>(EVENTS.syncStatus, (e) => f(e.payload)),
  onSyncProgress: (f: (p: SyncProgress) => void): Promise<UnlistenFn> =>
    listen<SyncProgress>(EVENTS.syncProgress, (e) => f(e.payload)),
  onSessionChanged: (f: (s: SessionState) => void): Promise<UnlistenFn> =>
    listen<SessionState>(EVENTS.sessionChanged, (e) => f(e.payload)),
};
