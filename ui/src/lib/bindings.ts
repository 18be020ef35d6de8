// Generated from src-tauri/src/ipc/ by ts-rs. Do not edit by hand:
// run `UPDATE_BINDINGS=1 cargo test -p ecabinet-app bindings`.

export type IpcErrorCode = "no_data" | "wrong_pin" | "weak_passphrase" | "keystore_unavailable" | "keystore_item_missing" | "wiped" | "offline" | "login_failed" | "insecure_url" | "untrusted_server" | "invalid_enrol_code" | "server_key_mismatch" | "server_key_changed" | "device_revoked" | "session_expired" | "rate_limited" | "account_disabled" | "not_unlocked" | "invalid_input" | "not_found" | "document_rejected" | "pdfium_unavailable" | "lease_expired" | "conflict" | "forbidden" | "export_forbidden" | "classified" | "not_pdf" | "unreadable_pdf" | "file_too_large" | "token_failed" | "meeting_closed" | "not_deletable" | "server_error" | "internal";

export type IpcError = { code: IpcErrorCode, message: string, 
/**
 * For `wrong_pin`: attempts left before the local data is wiped.
 */
attemptsLeft: number | null, 
/**
 * For `wrong_pin`: seconds the next attempt will wait before checking the PIN.
 */
retryAfterSecs: number | null, };

export type PdfiumStatus = { "kind": "loaded", version: string, path: string, } | { "kind": "unavailable", message: string, };

export type AppInfo = { appVersion: string, pdfium: PdfiumStatus, };

export type SessionState = { "kind": "first_run", serverUrl: string | null, } | { "kind": "locked", failedAttempts: number, attemptsLeft: number, retryAfterSecs: number, unsentOps: number, } | { "kind": "unlocked", username: string, serverUrl: string, } | { "kind": "revoked" };

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
position: number, title: string, 
/**
 * Set when the item was withdrawn from the agenda (it stays, marked).
 */
withdrawn: WithdrawnView | null, 
/**
 * The time the secretary planned for the item, minutes.
 */
plannedMinutes: number | null, 
/**
 * A turn's speaking-time limit on this item, ms; `null`: the
 * committee's default (`MeetingDetail.speakingLimitMs`).
 */
speakingLimitMs: number | null, 
/**
 * Time on the floor in earlier stretches, ms.
 */
timeOnFloorMs: number, 
/**
 * Server time (unix ms) the item was put on the floor, while it is
 * there: elapsed = `timeOnFloorMs` + (server now − `onFloorSince`).
 */
onFloorSince: number | null, };

export type WithdrawnView = { 
/**
 * Server time, unix ms.
 */
atMs: number, byUserId: string, reason: string, };

export type VersionState = { "kind": "ready" } | { "kind": "pending" } | { "kind": "rejected", reason: string, };

export type VersionView = { id: string, version: number, 
/**
 * A later version replaced this one; it stays readable.
 */
superseded: boolean, size: number, state: VersionState, 
/**
 * Reading the words on its scanned pages (OCR), as the server says;
 * `None` where the server reads none.
 */
textLayer: TextLayerView | null, 
/**
 * The policy this version's verified manifest signed (what the device
 * enforces); `None` until the version is verified here.
 */
policy: PolicyView | null, 
/**
 * What the server found of the PDF's embedded signatures at upload
 * (for the secretary; the viewer checks them again on this device).
 */
uploadSignatureCheck: UploadSignatureCheckView | null, };

export type UploadSignatureCheckView = { 
/**
 * `unsigned`, `valid`, `warning` or `broken`.
 */
verdict: string, 
/**
 * The signers' names, in file order.
 */
signers: Array<string>, 
/**
 * The first problem, in English.
 */
problem: string | null, };

export type PresentationView = { meetingId: string, 
/**
 * Who presents; `None` when no one has presented in this meeting.
 */
presenterId: string | null, presenterName: string | null, 
/**
 * The version shown; `None` when nothing is presented now.
 */
versionId: string | null, 
/**
 * 0-based page.
 */
page: number, 
/**
 * The part of the page the presenter points at, `[left, top, right,
 * bottom]` as fractions of the page; `None`: the whole page.
 */
region: [number, number, number, number] | null, 
/**
 * Grows with every change of the presentation.
 */
step: number, 
/**
 * I am the presenter.
 */
mine: boolean, 
/**
 * I may present (the presenter, or the committee's chair).
 */
canPresent: boolean, };

export type DocumentView = { id: string, agendaItemId: string, title: string, versions: Array<VersionView>, 
/**
 * Set when the document was withdrawn (it stays, marked).
 */
withdrawn: WithdrawnView | null, 
/**
 * The policy the secretary set (its versions carry it once signed again).
 */
policy: PolicyView, };

export type MeetingDetail = { meeting: MeetingSummary, 
/**
 * The item the chair has put on the floor.
 */
currentItemId: string | null, agenda: Array<AgendaItemView>, documents: Array<DocumentView>, 
/**
 * The committee's default speaking-time limit of a turn, ms (an
 * item's own limit overrides it); `null`: none.
 */
speakingLimitMs: number | null, };

export type PageSizeView = { width: number, height: number, };

export type OpenedDocumentView = { versionId: string, pages: Array<PageSizeView>, 
/**
 * Most pixels (width × height) a page is rendered at; the viewer says a
 * page over it at the current zoom is too large instead of asking for it.
 */
maxRenderPixels: number, 
/**
 * The watermark every page image of this document carries (the
 * reader's name and unit, then the time), one line each; `None` when
 * the document has none.
 */
watermark: Array<string> | null, 
/**
 * Whether a copy may leave the app: `allowed`, `watermarked` or
 * `forbidden` (always `forbidden` for a classified document).
 */
export: string, 
/**
 * `normal`, `confidential`, `secret` or `top_secret`: a classified
 * document was read from the server into memory and is not on the device.
 */
classification: string, };

export type SignatureView = { 
/**
 * Name and organisation from the signer's certificate.
 */
signer: string | null, organisation: string | null, 
/**
 * Who issued the certificate.
 */
issuer: string | null, 
/**
 * When the signer says it signed, unix ms.
 */
signedAt: number | null, 
/**
 * `intact`, `modified`, `broken` or `unverifiable`.
 */
integrity: string, 
/**
 * Changed after this signature, with no later signature covering it.
 */
unsignedChangesAfter: boolean, 
/**
 * It covers the whole file (else an earlier revision).
 */
coversWholeFile: boolean, 
/**
 * `trusted` or `untrusted`.
 */
trust: string, 
/**
 * `valid`, `expired` or `not_yet_valid`.
 */
validity: string, 
/**
 * End of the certificate's validity, unix ms.
 */
notAfter: number | null, 
/**
 * `good` (a current revocation list of the signer's CA does not name
 * it), `revoked`, or `unknown` (no current list on this device).
 */
revocation: string, 
/**
 * What is wrong, in English (shown as detail under the translated verdict).
 */
problem: string | null, };

export type SignaturesView = { 
/**
 * `unsigned`, `valid` (every signature intact, trusted and valid),
 * `warning` (intact, but untrusted, expired, not checkable, or changed
 * afterwards without a signature) or `broken` (a signature does not
 * match the document, or its certificate was revoked).
 */
verdict: string, signatures: Array<SignatureView>, 
/**
 * Whether the deployment trusts any root yet (none: every signature
 * shows as untrusted, and the viewer says why).
 */
rootsKnown: boolean, };

export type SignedVersionView = { documentId: string, version: number, uploadSignatureCheck: UploadSignatureCheckView | null, };

export type AccessRegisterIpcView = { entries: Array<AccessEntryView>, 
/**
 * Older entries exist beyond these.
 */
truncated: boolean, };

export type AccessEntryView = { userName: string, deviceName: string | null, version: number, 
/**
 * `confidential`, `secret` or `top_secret`.
 */
classification: string, 
/**
 * Server time, unix ms.
 */
at: number, };

export type BallotStateView = { "kind": "pending" } | { "kind": "sent" } | { "kind": "accepted" } | { "kind": "superseded" } | { "kind": "rejected", reason: string, };

export type BallotView = { opId: string, motionId: string, 
/**
 * Index into the motion's options.
 */
choice: number, 
/**
 * Device clock, unix ms.
 */
castAt: number, state: BallotStateView, };

export type ResultView = { 
/**
 * No more ballots can change it.
 */
isFinal: boolean, 
/**
 * Ballots per option, indexed like the motion's options.
 */
counts: Array<number>, 
/**
 * Members with an accepted ballot.
 */
participating: number, 
/**
 * Eligible members present.
 */
present: number, eligible: number, quorumRequired: number, quorumMet: boolean, 
/**
 * `adopted`, `rejected` or `no_quorum`.
 */
outcome: string, 
/**
 * The audit chain head the final result was published with.
 */
auditHead: string | null, };

export type ChairCountView = { 
/**
 * Eligible members whose ballot was received.
 */
received: number, eligible: number, 
/**
 * Named motions: the names of those who have not voted; `null` for secret ones.
 */
notVoted: Array<string> | null, notVotedCount: number, 
/**
 * Eligible devices that have not reported since the motion opened.
 */
unsyncedDevices: number, };

export type ChairResultView = { motionId: string, result: ResultView, chair: ChairCountView | null, };

export type MotionView = { id: string, meetingId: string, meetingTitle: string, agendaItemId: string, question: string, options: Array<string>, 
/**
 * `named` or `secret`.
 */
kind: string, 
/**
 * `live` or `written`.
 */
mode: string, 
/**
 * `draft`, `open` or `closed`.
 */
status: string, 
/**
 * Written consultations: when voting ends, unix ms.
 */
deadline: number | null, openedAt: number | null, closedAt: number | null, 
/**
 * Live motions: how long after closing offline ballots still count, ms.
 */
graceMs: number, mayChangeVote: boolean, 
/**
 * Each ballot must also be signed with the member's token (ký số).
 */
signedBallots: boolean, 
/**
 * Members that must take part for the result to count.
 */
quorum: number, 
/**
 * Whether I may vote on it.
 */
eligible: boolean, 
/**
 * My latest ballot on it.
 */
myBallot: BallotView | null, 
/**
 * The published final result.
 */
result: ResultView | null, };

export type SpeakerView = { id: string, agendaItemId: string, userId: string, displayName: string, 
/**
 * `waiting`, `speaking`, `done` or `withdrawn`.
 */
status: string, position: number, requestedAt: number, 
/**
 * When the chair gave the floor, server time, unix ms.
 */
grantedAt: number | null, 
/**
 * The turn's time limit, ms from `granted_at`; `null`: none.
 */
timeLimitMs: number | null, };

export type MemberView = { userId: string, displayName: string, 
/**
 * `member`, `secretary` or `chair`.
 */
role: string, 
/**
 * `in_room`, `online`, `absent`, or `null` when not marked yet.
 */
presence: string | null, };

export type MeetingFloor = { meetingId: string, myUserId: string, 
/**
 * My role in the meeting's committee, if any.
 */
myRole: string | null, motions: Array<MotionView>, speakers: Array<SpeakerView>, members: Array<MemberView>, 
/**
 * My check-in is recorded on this device but not yet answered.
 */
checkInPending: boolean, 
/**
 * I asked to speak on these items and the server has not answered yet.
 */
speakPending: Array<string>, 
/**
 * The server's clock minus this device's, ms, as last measured: the
 * speaking timer counts in server time.
 */
clockOffsetMs: number, };

export type FeedAdvancedView = { cursor: number, };

export type CommitteeRoleView = { id: string, name: string, 
/**
 * `secretary` or `chair`.
 */
role: string, };

export type SecretaryMeetingView = { detail: MeetingDetail, unpublishedVersionIds: Array<string>, 
/**
 * The largest PDF the server accepts, as it last said: the workspace
 * refuses a bigger file before reading it.
 */
maxUploadBytes: number, 
/**
 * Every document of the meeting carries the reader's watermark.
 */
readerWatermark: boolean, };

export type TextLayerView = { 
/**
 * `queued`, `running`, `ready`, `not_needed` or `failed`.
 */
status: string, pagesDone: number, pagesTotal: number, 
/**
 * Why it failed, in Vietnamese and English.
 */
error: string | null, 
/**
 * The words are on this device: its scanned pages are searchable here.
 */
onDevice: boolean, };

export type PolicyView = { 
/**
 * Every page shown carries the reader's name, unit and the time.
 */
readerWatermark: boolean, 
/**
 * `allowed`, `watermarked` or `forbidden`.
 */
export: string, 
/**
 * `normal`, `confidential` (mật), `secret` (tối mật) or `top_secret`
 * (tuyệt mật); anything but normal is read online only, never exported.
 */
classification: string, };

export type UploadView = { uploadId: string, 
/**
 * The document the PDF will be the next version of (for a new
 * attachment, the document made for it).
 */
documentId: string, size: number, offset: number, };

export type SearchHitView = { documentId: string, 
/**
 * The version searched: the newest downloaded one.
 */
versionId: string, title: string, version: number, 
/**
 * 0-based page.
 */
page: number, 
/**
 * The matched text as printed (with its diacritics).
 */
text: string, 
/**
 * Where it is: `[left, bottom, right, top]` in PDF page coordinates.
 */
rects: Array<[number, number, number, number]>, };

export type NotSearchedView = { documentId: string, title: string, version: number, 
/**
 * Why, as the UI explains it (`document_rejected` for a damaged or
 * password-protected PDF, …).
 */
code: IpcErrorCode, };

export type MeetingSearchView = { hits: Array<SearchHitView>, notSearched: Array<NotSearchedView>, };

export type NoticeKind = "motion_opened" | "document_arrived" | "new_version" | "floor_granted";

export type NoticeView = { kind: NoticeKind, 
/**
 * The motion's question, the document's title or the agenda item's title.
 */
title: string, meetingId: string, meetingTitle: string, 
/**
 * The motion, document version or speaker request id.
 */
targetId: string, };

export type InkPointView = { x: number, y: number, pressure: number | null, };

export type AnnotationShape = { "kind": "ink", strokes: Array<Array<InkPointView>>, width: number, } | { "kind": "highlight", rects: Array<[number, number, number, number]>, } | { "kind": "underline", rects: Array<[number, number, number, number]>, } | { "kind": "note", x: number, y: number, text: string, } | { "kind": "text", rect: [number, number, number, number], text: string, };

export type AnnotationView = { id: string, 
/**
 * 0-based page.
 */
page: number, 
/**
 * RGBA, alpha 255 = opaque.
 */
color: [number, number, number, number], shape: AnnotationShape, 
/**
 * The annotation clock's stamp of the last edit.
 */
updatedAt: string, };

export type AnnotationInput = { id: string | null, page: number, color: [number, number, number, number], shape: AnnotationShape, };

export type TextLineView = { rect: [number, number, number, number], chars: Array<[number, number]>, };

export type PageTextView = { page: number, rotation: number, lines: Array<TextLineView>, };

export type ExportView = { path: string, 
/**
 * Annotations written into it.
 */
annotations: number, };

export type MemberReadView = { memberId: string, displayName: string, 
/**
 * When a device of theirs first had the verified bytes, unix ms (their clock).
 */
downloadedAt: number | null, 
/**
 * When they first opened it, unix ms (their clock).
 */
openedAt: number | null, };

export type DocumentReadView = { documentId: string, versionId: string, version: number, title: string, members: Array<MemberReadView>, };

export type ReadStatusView = { meetingId: string, enabled: boolean, documents: Array<DocumentReadView>, };

export type AdminCommitteeView = { id: string, name: string, 
/**
 * Whether the chair and secretary see who downloaded and opened each document.
 */
readStatus: boolean, 
/**
 * Whether members see each other's comments on drafts.
 */
commentsShared: boolean, 
/**
 * Default speaking-time limit of a turn, ms; `null`: none.
 */
speakingLimitMs: number | null, };

export type AdminMembershipView = { committeeId: string, 
/**
 * `member`, `secretary` or `chair`.
 */
role: string, };

export type AdminDeviceView = { id: string, name: string, 
/**
 * Unix ms.
 */
enrolledAt: number, 
/**
 * Unix ms of its last push or pull; null before the first.
 */
lastSeenAt: number | null, revoked: boolean, 
/**
 * The device this app runs on.
 */
thisDevice: boolean, };

export type TrustedRootsAdminView = { roots: Array<TrustedRootView>, 
/**
 * How many CA revocation lists are kept with them.
 */
revocationLists: number, 
/**
 * When they were last set, unix ms; `None` if never.
 */
updatedAt: number | null, };

export type TrustedRootView = { name: string | null, organisation: string | null, 
/**
 * End of its validity, unix ms.
 */
notAfter: number, 
/**
 * SHA-256 fingerprint, lower-case hex.
 */
sha256: string, };

export type SigningCertificateView = { 
/**
 * SHA-256 of the certificate, lower-case hex.
 */
sha256: string, 
/**
 * Common name and organisation of its subject.
 */
name: string | null, organisation: string | null, 
/**
 * End of its validity, unix ms.
 */
notAfter: number, 
/**
 * Unix ms.
 */
registeredAt: number, };

export type CommentRegionView = { x: number, y: number, w: number, h: number, };

export type DraftCommentView = { id: string, version: number, authorName: string, 
/**
 * Written by the member using this app.
 */
mine: boolean, 
/**
 * 1-based; null for the whole document.
 */
page: number | null, region: CommentRegionView | null, text: string, 
/**
 * Unix ms (the author's device clock).
 */
writtenAt: number, 
/**
 * Unix ms (the server's clock: what is shown, a device's may be off).
 */
receivedAt: number, 
/**
 * `open`, `accepted`, `answered` or `declined`.
 */
status: string, reply: string | null, repliedByName: string | null, 
/**
 * Unix ms.
 */
repliedAt: number | null, };

export type QueuedCommentView = { opId: string, page: number | null, text: string, 
/**
 * Unix ms.
 */
writtenAt: number, 
/**
 * `pending`, `sent`, `rejected`, or (only offline) `accepted`.
 */
state: string, 
/**
 * The server's reason when rejected (`meeting_closed`, …).
 */
reason: string | null, };

export type DraftCommentsView = { 
/**
 * From the server, oldest first; empty when offline.
 */
comments: Array<DraftCommentView>, 
/**
 * This device's comments on the document not (yet) taken by the
 * server; offline, also those it took.
 */
queued: Array<QueuedCommentView>, 
/**
 * The caller answers comments (secretary, chair).
 */
canRespond: boolean, 
/**
 * Members see each other's comments.
 */
sharedWithMembers: boolean, 
/**
 * The server could not be reached: only this device's are shown.
 */
offline: boolean, };

export type CommentSummaryView = { path: string, comments: number, };

export type OpinionFormView = { opId: string, member: string, 
/**
 * The option chosen, as the motion words it.
 */
choice: string, 
/**
 * Whether its ballot still counts (not replaced by a later one).
 */
counting: boolean, receivedAt: number, };

export type SavedOpinionFormView = { member: string, path: string, verdict: string, };

export type AdminUserView = { id: string, username: string, displayName: string, isAdmin: boolean, disabled: boolean, memberships: Array<AdminMembershipView>, 
/**
 * Newest first.
 */
devices: Array<AdminDeviceView>, 
/**
 * The certificates of their signing tokens, newest first: ballots they
 * sign with a token count only with one of these.
 */
signingCertificates: Array<SigningCertificateView>, };

export type AdminDirectoryView = { committees: Array<AdminCommitteeView>, 
/**
 * Sorted by display name.
 */
users: Array<AdminUserView>, 
/**
 * The administrator using this app (they cannot disable themselves).
 */
me: string, };

export type EnrolCodeView = { 
/**
 * As the user types it (groups of symbols).
 */
code: string, 
/**
 * The server signing key's fingerprint, `FFFF-FFFF-FFFF-FFFF`.
 */
fingerprint: string, 
/**
 * Unix ms.
 */
expiresAt: number, };

export const EVENTS = { syncStatus: "sync-status", syncProgress: "sync-progress", sessionChanged: "session-changed", feedAdvanced: "feed-advanced", votesChanged: "votes-changed", notices: "notices" } as const;
