// The only module that calls Tauri's `invoke` (and listens to its events).
// Every command the UI uses has one typed wrapper here; the types come from
// Rust (bindings.ts, generated).
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import * as notification from "@tauri-apps/plugin-notification";
import {
  EVENTS,
  type AccessRegisterIpcView,
  type AdminDirectoryView,
  type AnnotationInput,
  type AnnotationView,
  type AppInfo,
  type BallotView,
  type ExportView,
  type ChairResultView,
  type CommitteeRoleView,
  type CommentRegionView,
  type CommentSummaryView,
  type DraftCommentView,
  type DraftCommentsView,
  type EnrolCodeView,
  type SecretaryMeetingView,
  type SignaturesView,
  type SignedVersionView,
  type SigningCertificateView,
  type PresentationView,
  type FeedAdvancedView,
  type IpcError,
  type MeetingDetail,
  type MeetingFloor,
  type MeetingSummary,
  type MotionView,
  type OpinionFormView,
  type SavedOpinionFormView,
  type NoticeView,
  type OpenedDocumentView,
  type PageTextView,
  type ReadStatusView,
  type MeetingSearchView,
  type SessionState,
  type SyncProgress,
  type SyncStatusView,
  type TrustedRootsAdminView,
  type UploadView,
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

/** Calls a command with a raw binary body (no JSON, no base64) and string headers. */
async function callRaw<T>(cmd: string, body: Uint8Array, headers: Record<string, string>): Promise<T> {
  try {
    return await invoke<T>(cmd, body, { headers });
  } catch (e) {
    if (isIpcError(e)) throw e;
    const err: IpcError = { code: "internal", message: String(e), attemptsLeft: null, retryAfterSecs: null };
    throw err;
  }
}

export const ipc = {
  appInfo: () => call<AppInfo>("app_info"),
  sessionState: () => call<SessionState>("session_state"),
  serverFingerprint: (a: { serverUrl: string; caCert: string | null; username: string; password: string }) =>
    call<string>("server_fingerprint", a),
  enrol: (a: {
    serverUrl: string;
    caCert: string | null;
    username: string;
    password: string;
    pin: string;
    enrolCode: string | null;
    serverFingerprint: string | null;
  }) => call<SessionState>("enrol", a),
  unlock: (pin: string) => call<SessionState>("unlock", { pin }),
  lock: () => call<SessionState>("lock"),
  /** After the session ended: the password only; the store and its outbox are kept. */
  signInAgain: (password: string) => call<SessionState>("sign_in_again", { password }),
  syncStatus: () => call<SyncStatusView>("sync_status"),
  syncNow: () => call<void>("sync_now"),
  listMeetings: () => call<MeetingSummary[]>("list_meetings"),
  meetingDetail: (meetingId: string) => call<MeetingDetail>("meeting_detail", { meetingId }),
  openDocument: (versionId: string) => call<OpenedDocumentView>("open_document", { versionId }),
  closeDocument: (versionId: string) => call<void>("close_document", { versionId }),
  /** The signatures embedded in an open version, checked on this device
   *  against the synced trusted roots. It reads the whole file: ask after
   *  the pages show. */
  documentSignatures: (versionId: string) => call<SignaturesView>("document_signatures", { versionId }),
  /** What the presenter of a meeting shows, as this device last synced it. */
  presentation: (meetingId: string) => call<PresentationView>("presentation", { meetingId }),
  /** Shows a page (0-based) of a version to the meeting (presenter, chair),
   *  with the part of it pointed at ([left, top, right, bottom], fractions). */
  presentPage: (meetingId: string, versionId: string, page: number, region: [number, number, number, number] | null = null) =>
    call<void>("present_page", { meetingId, versionId, page, region }),
  stopPresenting: (meetingId: string) => call<void>("stop_presenting", { meetingId }),
  /** The PKCS#11 module this device signs with, if one was chosen. */
  tokenModule: () => call<string | null>("token_module"),
  /** Signs a version with the token and uploads it as the next version. */
  signVersion: (versionId: string, pin: string, reason: string, modulePath: string) =>
    call<SignedVersionView>("sign_version", { versionId, pin, reason, modulePath }),
  searchMeeting: (meetingId: string, query: string) =>
    call<MeetingSearchView>("search_meeting", { meetingId, query }),
  listAnnotations: (versionId: string) => call<AnnotationView[]>("list_annotations", { versionId }),
  recordAnnotation: (versionId: string, annotation: AnnotationInput) =>
    call<AnnotationView>("record_annotation", { versionId, annotation }),
  deleteAnnotation: (id: string) => call<void>("delete_annotation", { id }),
  pageText: (versionId: string, page: number) => call<PageTextView>("page_text", { versionId, page }),
  exportAnnotated: (versionId: string, path: string | null = null) =>
    call<ExportView>("export_annotated", { versionId, path }),
  /** Comments on drafts before the meeting (góp ý dự thảo). */
  comments: {
    /** Queues a comment on a published version (`page` 1-based, null for
     *  the whole document; `region` on that page); answers its id. Works
     *  offline: the next sync sends it. `invalid_input`, with the reason,
     *  for an empty or too long text or a region off its page. */
    write: (versionId: string, page: number | null, text: string, region: CommentRegionView | null = null) =>
      call<string>("write_draft_comment", { versionId, page, region, text }),
    /** The comments on a document the server lets me read, and this
     *  device's not yet taken by it; offline, only those (`offline`). */
    list: (documentId: string) => call<DraftCommentsView>("draft_comments", { documentId }),
    /** The secretary's (or chair's) answer; answered and declined need a reply. */
    respond: (commentId: string, status: "open" | "accepted" | "answered" | "declined", reply: string | null) =>
      call<DraftCommentView>("respond_draft_comment", { commentId, status, reply }),
    /** The summary table (bảng tổng hợp ý kiến) as a PDF, to `path` or a new file in Downloads. */
    exportSummary: (documentId: string, path: string | null = null) =>
      call<CommentSummaryView>("export_comment_summary", { documentId, path }),
  },
  openMotions: () => call<MotionView[]>("open_motions"),
  /** Records a ballot; with `pin`, also signed with the signing token. */
  castBallot: (motionId: string, choice: number, pin?: string) =>
    call<BallotView>("cast_ballot", { motionId, choice, pin: pin ?? null }),
  /** Chooses the signing token's PKCS#11 module (checked); answers the path kept. */
  setTokenModule: (modulePath: string) => call<string>("set_token_module", { modulePath }),
  meetingFloor: (meetingId: string) => call<MeetingFloor>("meeting_floor", { meetingId }),
  requestToSpeak: (agendaItemId: string) => call<void>("request_to_speak", { agendaItemId }),
  checkIn: (meetingId: string, presence: "in_room" | "online") => call<void>("check_in", { meetingId, presence }),
  readStatus: (meetingId: string) => call<ReadStatusView>("read_status", { meetingId }),
  chair: {
    motionResult: (motionId: string) => call<ChairResultView>("chair_motion_result", { motionId }),
    /** A written consultation's opinion forms (phiếu lấy ý kiến), from the server. */
    opinionForms: (motionId: string) => call<OpinionFormView[]>("opinion_forms", { motionId }),
    /** Saves the counting forms (each checked) into `dir`, or the Downloads folder. */
    saveOpinionForms: (motionId: string, dir: string | null = null) =>
      call<SavedOpinionFormView[]>("save_opinion_forms", { motionId, dir }),
    openMotion: (motionId: string) => call<void>("chair_open_motion", { motionId }),
    closeMotion: (motionId: string) => call<void>("chair_close_motion", { motionId }),
    createMotion: (a: { agendaItemId: string; question: string; secret: boolean; quorum: number; signedBallots?: boolean }) =>
      call<void>("chair_create_motion", { ...a, signedBallots: a.signedBallots ?? false }),
    setCurrentItem: (meetingId: string, agendaItemId: string | null) =>
      call<void>("chair_set_current_item", { meetingId, agendaItemId }),
    startMeeting: (meetingId: string) => call<void>("chair_start_meeting", { meetingId }),
    closeMeeting: (meetingId: string) => call<void>("chair_close_meeting", { meetingId }),
    grantSpeaker: (speakerId: string) => call<void>("chair_grant_speaker", { speakerId }),
    endSpeaker: (speakerId: string) => call<void>("chair_end_speaker", { speakerId }),
    /** The current speaker's time limit, ms from when they got the floor; null lifts it. */
    setSpeakingTime: (speakerId: string, timeLimitMs: number | null) =>
      call<void>("chair_set_speaking_time", { speakerId, timeLimitMs }),
  },
  secretary: {
    committees: () => call<CommitteeRoleView[]>("secretary_committees"),
    meeting: (meetingId: string) => call<SecretaryMeetingView>("secretary_meeting", { meetingId }),
    createMeeting: (a: { committeeId: string; title: string; location: string; startsAt: number }) =>
      call<string>("secretary_create_meeting", a),
    updateMeeting: (a: { meetingId: string; title: string; location: string; startsAt: number }) =>
      call<void>("secretary_update_meeting", a),
    addItem: (meetingId: string, title: string, parentId: string | null) =>
      call<string>("secretary_add_item", { meetingId, title, parentId }),
    renameItem: (itemId: string, title: string) => call<void>("secretary_rename_item", { itemId, title }),
    /** The time planned for an item (minutes) and its speaking-time limit (ms); null: none (the committee's default limit). */
    setItemTiming: (itemId: string, plannedMinutes: number | null, speakingLimitMs: number | null) =>
      call<void>("secretary_set_item_timing", { itemId, plannedMinutes, speakingLimitMs }),
    moveItem: (itemId: string, position: number) => call<void>("secretary_move_item", { itemId, position }),
    deleteItem: (itemId: string) => call<void>("secretary_delete_item", { itemId }),
    /** Opens a chunked upload of `size` bytes: a new document titled `title`
     * on `itemId`, or (with `documentId`) that document's next version. */
    uploadStart: (a: { itemId: string; title: string } | { documentId: string }, size: number) =>
      call<UploadView>("secretary_upload_start", {
        itemId: "itemId" in a ? a.itemId : null,
        title: "title" in a ? a.title : null,
        documentId: "documentId" in a ? a.documentId : null,
        size,
      }),
    /** The file's bytes from `offset` (at most 16 MiB) as a raw body; answers the server's new offset. */
    uploadChunk: (uploadId: string, offset: number, bytes: Uint8Array) =>
      callRaw<UploadView>("secretary_upload_chunk", bytes, {
        "x-ecabinet-upload": uploadId,
        "x-ecabinet-offset": String(offset),
      }),
    /** How many bytes the server has safely: where to resume after a failure. */
    uploadStatus: (uploadId: string) => call<UploadView>("secretary_upload_status", { uploadId }),
    /** The server checks the PDF and keeps it; answers the document id. */
    uploadFinish: (uploadId: string) => call<string>("secretary_upload_finish", { uploadId }),
    /** Drops the upload (and the document it created for a new attachment). */
    uploadCancel: (uploadId: string) => call<void>("secretary_upload_cancel", { uploadId }),
    deleteDocument: (documentId: string) => call<void>("secretary_delete_document", { documentId }),
    withdrawItem: (itemId: string, reason: string) => call<void>("secretary_withdraw_item", { itemId, reason }),
    withdrawDocument: (documentId: string, reason: string) =>
      call<void>("secretary_withdraw_document", { documentId, reason }),
    /** Watermarks every document of the meeting for its reader (or stops). */
    setMeetingWatermark: (meetingId: string, readerWatermark: boolean) =>
      call<void>("secretary_set_meeting_watermark", { meetingId, readerWatermark }),
    /** The readers' watermark, export policy and classification of a
     *  document; the server signs it into every published version. */
    setDocumentPolicy: (documentId: string, readerWatermark: boolean, exportPolicy: string, classification: string) =>
      call<void>("secretary_set_document_policy", { documentId, readerWatermark, export: exportPolicy, classification }),
    /** Who fetched a classified document from the server, newest first. */
    accessRegister: (documentId: string) => call<AccessRegisterIpcView>("secretary_access_register", { documentId }),
    publish: (meetingId: string) => call<number>("secretary_publish", { meetingId }),
  },
  /** The administrator's screens, done on the server (an `offline` error when it cannot be reached). */
  admin: {
    /** False when not an administrator or the server cannot say (offline); never throws for those. */
    amIAdmin: () => call<boolean>("admin_am_i_admin"),
    directory: () => call<AdminDirectoryView>("admin_directory"),
    /** Answers the new user's id. */
    createUser: (a: { username: string; displayName: string; password: string; isAdmin: boolean }) =>
      call<string>("admin_create_user", a),
    /** Every session of the user ends; their devices sign in again. */
    resetPassword: (userId: string, password: string) => call<void>("admin_reset_password", { userId, password }),
    setDisabled: (userId: string, disabled: boolean) => call<void>("admin_set_disabled", { userId, disabled }),
    /** Answers the new committee's id. */
    createCommittee: (name: string, readStatus: boolean) =>
      call<string>("admin_create_committee", { name, readStatus }),
    /** Changes what is given; the rest stays as it is. */
    updateCommittee: (committeeId: string, change: { name?: string; readStatus?: boolean; commentsShared?: boolean }) =>
      call<void>("admin_update_committee", {
        committeeId,
        name: change.name ?? null,
        readStatus: change.readStatus ?? null,
        commentsShared: change.commentsShared ?? null,
      }),
    /** The committee's default speaking-time limit of a turn, ms; null: none. */
    setSpeakingLimit: (committeeId: string, speakingLimitMs: number | null) =>
      call<void>("admin_set_speaking_limit", { committeeId, speakingLimitMs }),
    /** Adds the user to the committee, or changes their role there. */
    setMembership: (committeeId: string, userId: string, role: "member" | "secretary" | "chair") =>
      call<void>("admin_set_membership", { committeeId, userId, role }),
    removeMembership: (committeeId: string, userId: string) =>
      call<void>("admin_remove_membership", { committeeId, userId }),
    /** The device is wiped at its next contact with the server. */
    revokeDevice: (deviceId: string) => call<void>("admin_revoke_device", { deviceId }),
    /** A one-time enrol code for the user's next device, valid 1 to 1440 minutes. */
    enrolCode: (userId: string, validMinutes: number) =>
      call<EnrolCodeView>("admin_enrol_code", { userId, validMinutes }),
    /** The root certificates trusted for signatures embedded in documents. */
    trustedRoots: () => call<TrustedRootsAdminView>("admin_trusted_roots"),
    /** Replaces the whole list with the PEM certificates of `pem` (empty:
     *  trust none); `invalid_input`, with the reason, unless every block is
     *  a certificate. Devices take the new list at their next sync. */
    setTrustedRoots: (pem: string) => call<TrustedRootsAdminView>("admin_set_trusted_roots", { pem }),
    /** Registers the certificate of the user's signing token (one PEM
     *  CERTIFICATE block): ballots they sign with a token count only with
     *  one of theirs. `invalid_input`, with the reason, unless it is one
     *  certificate; `conflict` when it is registered to another user. */
    registerSigningCertificate: (userId: string, pem: string) =>
      call<SigningCertificateView>("admin_register_signing_certificate", { userId, pem }),
    /** A lost or replaced token: ballots signed with it from now on do not count. */
    removeSigningCertificate: (userId: string, sha256: string) =>
      call<void>("admin_remove_signing_certificate", { userId, sha256 }),
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
  onNotices: (f: (notices: NoticeView[]) => void): Promise<UnlistenFn> =>
    listen<NoticeView[]>(EVENTS.notices, (e) => f(e.payload)),
};

/** Shows a desktop notification, asking for permission the first time.
 *  Where the desktop has no notification service the in-app banner is all
 *  there is, so a failure here is not an error for the member. */
export async function desktopNotify(title: string, body: string): Promise<boolean> {
  try {
    let granted = await notification.isPermissionGranted();
    if (!granted) granted = (await notification.requestPermission()) === "granted";
    if (granted) notification.sendNotification({ title, body });
    return granted;
  } catch {
    return false;
  }
}
