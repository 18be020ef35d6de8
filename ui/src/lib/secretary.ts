// The secretary workspace's logic: form checks, where an agenda item lands
// when moved (buttons or drag and drop), and the item that holds the
// minutes and the conclusion notice.
import type { AgendaItemView, IpcErrorCode, SecretaryMeetingView, TextLayerView, VersionView } from "./bindings";
import type { MessageKey } from "./i18n";
import { isIpcError } from "./ipc";

export interface MeetingForm {
  title: string;
  location: string;
  /** `<input type="datetime-local">` value: "YYYY-MM-DDTHH:MM", local time. */
  startsAt: string;
}

export type FormCheck<T> = { ok: true; value: T } | { ok: false; error: MessageKey };

/** Local "YYYY-MM-DDTHH:MM" → unix ms, or null when not a real date and time. */
export function parseLocalDateTime(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const date = new Date(y, mo - 1, d, h, mi);
  // Date rolls 31 February over into March: refuse instead.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d || date.getHours() !== h || date.getMinutes() !== mi) {
    return null;
  }
  return date.getTime();
}

/** Unix ms → the local "YYYY-MM-DDTHH:MM" a datetime-local input shows. */
export function toLocalDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function checkMeetingForm(f: MeetingForm): FormCheck<{ title: string; location: string; startsAt: number }> {
  const title = f.title.trim();
  if (!title) return { ok: false, error: "sec.needTitle" };
  const startsAt = parseLocalDateTime(f.startsAt);
  if (startsAt === null) return { ok: false, error: "sec.needTime" };
  return { ok: true, value: { title, location: f.location.trim(), startsAt } };
}

export function checkTitle(title: string): FormCheck<string> {
  const t = title.trim();
  return t ? { ok: true, value: t } : { ok: false, error: "sec.needTitle" };
}

/** Once members have seen the meeting (published or in session) an item or
 * a document is withdrawn with a reason instead of deleted; a draft meeting's
 * are deleted, and a closed meeting changes no more. */
export function canWithdraw(status: string): boolean {
  return status === "published" || status === "in_session";
}

/** The longest withdrawal reason the server keeps. */
export const MAX_REASON_CHARS = 500;

/** A withdrawal reason as it will stand on the record: 1 to 500 characters. */
export function checkReason(reason: string): FormCheck<string> {
  const r = reason.trim();
  if (!r) return { ok: false, error: "sec.needReason" };
  if ([...r].length > MAX_REASON_CHARS) return { ok: false, error: "sec.reasonTooLong" };
  return { ok: true, value: r };
}

/** The items sharing `item`'s parent, in order (the item included). */
export function siblingsOf(items: readonly AgendaItemView[], item: AgendaItemView): AgendaItemView[] {
  return items
    .filter((i) => i.parentId === item.parentId)
    .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
}

/** The 0-based place to send an item one step up (-1) or down (+1) among
 * its siblings; null at either end (the button is disabled there). */
export function stepTarget(items: readonly AgendaItemView[], id: string, delta: -1 | 1): number | null {
  const item = items.find((i) => i.id === id);
  if (!item) return null;
  const sibs = siblingsOf(items, item);
  const at = sibs.findIndex((i) => i.id === id) + delta;
  return at < 0 || at >= sibs.length ? null : at;
}

/** Where a dragged item goes when dropped on `targetId`: the target's place
 * among their shared siblings. Null when the drop changes nothing or would
 * move the item to another level (nesting is chosen when adding an item). */
export function dropTarget(items: readonly AgendaItemView[], draggedId: string, targetId: string): number | null {
  if (draggedId === targetId) return null;
  const dragged = items.find((i) => i.id === draggedId);
  const target = items.find((i) => i.id === targetId);
  if (!dragged || !target || dragged.parentId !== target.parentId) return null;
  return siblingsOf(items, target).findIndex((i) => i.id === targetId);
}

/** The agenda after moving `id` to `position` among its siblings, as the
 * server will renumber it: shown at once while the change syncs back. */
export function applyMove(items: readonly AgendaItemView[], id: string, position: number): AgendaItemView[] {
  const item = items.find((i) => i.id === id);
  if (!item) return items.slice();
  const sibs = siblingsOf(items, item).filter((i) => i.id !== id);
  sibs.splice(Math.max(0, Math.min(position, sibs.length)), 0, item);
  const placed = new Map(sibs.map((s, i) => [s.id, i]));
  return items.map((i) => (placed.has(i.id) ? { ...i, position: placed.get(i.id)! } : i));
}

/** A move the secretary made that the synced agenda may not show yet. */
export interface PendingMove {
  id: string;
  position: number;
}

/** Whether the agenda shows a pending move: the item stands at its place
 * among its siblings, or is gone (deleted meanwhile, nothing left to show).
 * Until then the agenda is shown with the move applied on top, so a reload
 * of the cache made before the sync brought the move back does not flick
 * the list back to the old order. */
export function moveShown(items: readonly AgendaItemView[], move: PendingMove): boolean {
  const item = items.find((i) => i.id === move.id);
  if (!item) return true;
  const sibs = siblingsOf(items, item);
  return sibs.findIndex((i) => i.id === move.id) === Math.max(0, Math.min(move.position, sibs.length - 1));
}

/** A document title from a chosen file's name: the name without `.pdf`. */
export function titleFromFileName(name: string): string {
  return name.replace(/\.pdf$/i, "").replace(/[_]+/g, " ").trim();
}

/** Checks before reading a chosen file, against the server's stated limit;
 * the app checks the bytes again, and the server decides. */
export function checkPdfFile(f: { name: string; size: number; type: string }, maxBytes: number): MessageKey | null {
  if (f.size > maxBytes) return "error.file_too_large";
  if (f.type !== "application/pdf" && !/\.pdf$/i.test(f.name)) return "error.not_pdf";
  if (f.size === 0) return "error.not_pdf";
  return null;
}

/** Titles of the item that holds what is attached after the meeting. The
 * server attaches documents to agenda items only, so the minutes and the
 * conclusion notice go to one dedicated last item. */
export const RECORDS_ITEM_TITLES: readonly string[] = ["Biên bản và thông báo kết luận", "Minutes and conclusion notice"];

export function recordsItem(items: readonly AgendaItemView[]): AgendaItemView | null {
  return items.find((i) => i.parentId === null && RECORDS_ITEM_TITLES.includes(i.title)) ?? null;
}

export type VersionStatus = "draft" | "published" | "superseded";

export function versionStatus(view: SecretaryMeetingView, v: VersionView): VersionStatus {
  if (view.unpublishedVersionIds.includes(v.id)) return "draft";
  return v.superseded ? "superseded" : "published";
}

/** The line under a version about the server reading its scanned pages
 * (OCR), or null when there is nothing to say (no scanned page, or a
 * server that reads none). */
export function ocrLine(layer: TextLayerView | null): { key: MessageKey; params: Record<string, number> } | null {
  if (!layer) return null;
  switch (layer.status) {
    case "queued":
      return { key: "sec.ocr.queued", params: {} };
    case "running":
      return { key: "sec.ocr.running", params: { done: layer.pagesDone, total: layer.pagesTotal } };
    case "ready":
      return { key: "sec.ocr.ready", params: { total: layer.pagesTotal } };
    case "failed":
      return { key: "sec.ocr.failed", params: {} };
    default:
      return null;
  }
}

/** What publishing will send: the meeting itself (first time) and the
 * versions not yet published. */
export function pendingCount(view: SecretaryMeetingView): number {
  return view.unpublishedVersionIds.length;
}

const CODES: Partial<Record<IpcErrorCode, MessageKey>> = {
  offline: "sec.error.offline",
  forbidden: "sec.error.forbidden",
  conflict: "sec.error.conflict",
  meeting_closed: "error.meeting_closed",
  not_deletable: "error.not_deletable",
  invalid_input: "sec.error.invalid",
  not_pdf: "error.not_pdf",
  unreadable_pdf: "error.unreadable_pdf",
  file_too_large: "error.file_too_large",
  token_failed: "error.token_failed",
  not_found: "sec.error.notFound",
};

/** A secretary-facing sentence for a failed action. */
export function secretaryErrorKey(e: unknown): MessageKey {
  if (!isIpcError(e)) return "error.generic";
  // The server explains why it cannot hold a classified document.
  if (e.code === "conflict" && e.message.includes("isolated-network")) return "policy.notIsolated";
  return CODES[e.code] ?? "sec.error.generic";
}
