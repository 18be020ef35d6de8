// Comments on drafts before the meeting (góp ý dự thảo): how the comment
// panel groups them by page, how a status, a queued comment's state and the
// server's reason for refusing one read, the text checks the server makes
// too, and the secretary's counts per status. Everything here is pure; the
// panel calls the server through ipc.ts.
import type { DraftCommentView } from "./bindings";
import type { MessageKey } from "./i18n";
import type { FormCheck } from "./secretary";

/** What a comment and a reply hold at most, once trimmed (as the server counts: characters). */
export const MAX_COMMENT_CHARS = 4000;
export const MAX_REPLY_CHARS = 4000;

/** The secretary's answers, in the order the panel offers them. */
export const ANSWERS = ["accepted", "answered", "declined"] as const;
export type Answer = (typeof ANSWERS)[number];
export const STATUSES = ["open", ...ANSWERS] as const;
export type CommentStatus = (typeof STATUSES)[number];

const charCount = (s: string) => [...s].length;

/** A comment's text as it is sent: trimmed, 1 to 4000 characters. */
export function checkCommentText(text: string): FormCheck<string> {
  const t = text.trim();
  if (!t) return { ok: false, error: "comments.needText" };
  if (charCount(t) > MAX_COMMENT_CHARS) return { ok: false, error: "comments.textTooLong" };
  return { ok: true, value: t };
}

/** The reply sent with an answer: trimmed, null when empty; answering
 *  (giải trình) or declining needs one. */
export function checkReply(status: Answer, reply: string): FormCheck<string | null> {
  const t = reply.trim();
  if (charCount(t) > MAX_REPLY_CHARS) return { ok: false, error: "comments.replyTooLong" };
  if (!t && status !== "accepted") return { ok: false, error: "comments.needReply" };
  return { ok: true, value: t || null };
}

export interface PageGroup {
  /** 1-based; null for the whole document. */
  page: number | null;
  comments: DraftCommentView[];
}

/** The whole document's comments first, then each page's in page order;
 *  within a group, in the order they arrived (the server's). */
export function groupByPage(comments: readonly DraftCommentView[]): PageGroup[] {
  const groups = new Map<number | null, DraftCommentView[]>();
  for (const c of comments) groups.set(c.page, [...(groups.get(c.page) ?? []), c]);
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : a - b))
    .map(([page, list]) => ({ page, comments: list }));
}

/** The label of a comment's status (the secretary's answer). */
export function statusKey(status: string): MessageKey {
  return (STATUSES as readonly string[]).includes(status) ? (`comments.status.${status}` as MessageKey) : "comments.status.open";
}

/** The label of a queued comment's state. */
export function queuedStateKey(state: string): MessageKey {
  switch (state) {
    case "sent":
      return "comments.queued.sent";
    case "rejected":
      return "comments.queued.rejected";
    case "accepted":
      return "comments.queued.accepted";
    default:
      return "comments.queued.pending";
  }
}

const REASONS: Record<string, MessageKey> = {
  meeting_closed: "comments.reason.meeting_closed",
  unknown_document: "comments.reason.unknown_document",
  malformed: "comments.reason.malformed",
  forbidden: "comments.reason.forbidden",
  conflict: "comments.reason.conflict",
  limit_reached: "comments.reason.limit_reached",
};

/** The server's reason for refusing a comment as a sentence a member understands. */
export function commentRejectKey(reason: string | null): MessageKey {
  return (reason && REASONS[reason]) || "comments.reason.other";
}

export type StatusCounts = Record<CommentStatus, number> & { total: number };

/** How many comments have each status (the secretary's header). */
export function statusCounts(comments: readonly DraftCommentView[]): StatusCounts {
  const c: StatusCounts = { open: 0, accepted: 0, answered: 0, declined: 0, total: comments.length };
  for (const x of comments) {
    const s = (STATUSES as readonly string[]).includes(x.status) ? (x.status as CommentStatus) : "open";
    c[s]++;
  }
  return c;
}
