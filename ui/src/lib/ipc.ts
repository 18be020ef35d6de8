// The only module that calls Tauri's `invoke` (and listens to its events).
// Every command the UI uses has one typed wrapper here; the types come from
// Rust (bindings.ts, generated).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import {
  EVENTS,
  type AppInfo,
  type BallotView,
  type ChairResultView,
  type FeedAdvancedView,
  type IpcError,
  type MeetingDetail,
  type MeetingFloor,
  type MeetingSummary,
  type MotionView,
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
  openMotions: () => call<MotionView[]>("open_motions"),
  castBallot: (motionId: string, choice: number) => call<BallotView>("cast_ballot", { motionId, choice }),
  meetingFloor: (meetingId: string) => call<MeetingFloor>("meeting_floor", { meetingId }),
  requestToSpeak: (agendaItemId: string) => call<void>("request_to_speak", { agendaItemId }),
  checkIn: (meetingId: string, presence: "in_room" | "online") => call<void>("check_in", { meetingId, presence }),
  chair: {
    motionResult: (motionId: string) => call<ChairResultView>("chair_motion_result", { motionId }),
    openMotion: (motionId: string) => call<void>("chair_open_motion", { motionId }),
    closeMotion: (motionId: string) => call<void>("chair_close_motion", { motionId }),
    createMotion: (a: { agendaItemId: string; question: string; secret: boolean; quorum: number }) =>
      call<void>("chair_create_motion", a),
    setCurrentItem: (meetingId: string, agendaItemId: string | null) =>
      call<void>("chair_set_current_item", { meetingId, agendaItemId }),
    startMeeting: (meetingId: string) => call<void>("chair_start_meeting", { meetingId }),
    closeMeeting: (meetingId: string) => call<void>("chair_close_meeting", { meetingId }),
    grantSpeaker: (speakerId: string) => call<void>("chair_grant_speaker", { speakerId }),
    endSpeaker: (speakerId: string) => call<void>("chair_end_speaker", { speakerId }),
  },
};

export const events = {
  onSyncStatus: (f: (s: SyncStatusView) => void): Promise<UnlistenFn> =>
    listen<SyncStatusView>(EVENTS.syncStatus, (e) => f(e.payload)),
  onSyncProgress: (f: (p: SyncProgress) => void): Promise<UnlistenFn> =>
    listen<SyncProgress>(EVENTS.syncProgress, (e) => f(e.payload)),
  onSessionChanged: (f: (s: SessionState) => void): Promise<UnlistenFn> =>
    listen<SessionState>(EVENTS.sessionChanged, (e) => f(e.payload)),
  onFeedAdvanced: (f: (p: FeedAdvancedView) => void): Promise<UnlistenFn> =>
    listen<FeedAdvancedView>(EVENTS.feedAdvanced, (e) => f(e.payload)),
  onVotesChanged: (f: (ballots: BallotView[]) => void): Promise<UnlistenFn> =>
    listen<BallotView[]>(EVENTS.votesChanged, (e) => f(e.payload)),
};
