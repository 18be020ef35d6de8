// A document's readers' policy in the UI: the secretary's choices, what is
// shown while a change is on its way, and what the viewer's export does.
// The policy itself is enforced by the Rust side (signed, in the pixels).
import type { AccessRegisterIpcView, PolicyView } from "./bindings";
import type { Lang, MessageKey, Params } from "./i18n";
import { formatDateTime } from "./meetings";

export const EXPORT_CHOICES = ["allowed", "watermarked", "forbidden"] as const;
export type ExportChoice = (typeof EXPORT_CHOICES)[number];
export const CLASSIFICATIONS = ["normal", "confidential", "secret", "top_secret"] as const;
export type ClassificationChoice = (typeof CLASSIFICATIONS)[number];

/** How long a wanted policy is shown before the synced one wins again. */
export const PENDING_MS = 15_000;

export type PendingPolicy = { policy: PolicyView; since: number };

function same(a: PolicyView, b: PolicyView): boolean {
  return a.readerWatermark === b.readerWatermark && a.export === b.export && a.classification === b.classification;
}

/** The policy to show: the one asked for, until the synced document shows
 *  it or `PENDING_MS` passed (the server refused it, or someone changed it). */
export function shownPolicy(synced: PolicyView, pending: PendingPolicy | undefined, now: number): PolicyView {
  if (!pending || same(synced, pending.policy) || now - pending.since > PENDING_MS) return synced;
  return pending.policy;
}

/** Whether a pending change is still on its way. */
export function stillPending(synced: PolicyView, pending: PendingPolicy | undefined, now: number): boolean {
  return !!pending && !same(synced, pending.policy) && now - pending.since <= PENDING_MS;
}

export function exportKey(e: string): MessageKey {
  return (EXPORT_CHOICES as readonly string[]).includes(e) ? (`policy.export.${e}` as MessageKey) : "policy.export.allowed";
}

export function classificationKey(c: string): MessageKey {
  return (CLASSIFICATIONS as readonly string[]).includes(c) ? (`policy.class.${c}` as MessageKey) : "policy.class.normal";
}

/** The viewer's export button for an opened document: whether it works,
 *  and its label (the reason when it does not). A copy carries the
 *  watermark when export is `watermarked` or the pages are watermarked for
 *  the reader (`readerWatermark`: the opened document has a watermark). */
export function exportButton(
  exportPolicy: string,
  classification: string,
  readerWatermark = false,
): { enabled: boolean; key: MessageKey } {
  if (exportPolicy === "forbidden" || (classification !== "normal" && classification !== "")) {
    return { enabled: false, key: "policy.exportForbidden" };
  }
  if (exportPolicy === "watermarked" || readerWatermark) return { enabled: true, key: "policy.exportWatermarked" };
  return { enabled: true, key: "annot.export" };
}

/** The small markers of a document in lists: classification first. */
export function badges(p: PolicyView | null | undefined): MessageKey[] {
  if (!p) return [];
  const out: MessageKey[] = [];
  if (p.classification && p.classification !== "normal") out.push(classificationKey(p.classification));
  if (p.readerWatermark) out.push("policy.badgeWatermark");
  if (p.export === "forbidden") out.push("policy.badgeNoExport");
  return out;
}

/** The access register's lines, newest first as the server sends them:
 *  when, who, which version (params of `policy.registerLine`), the device
 *  (`null`: unknown) and the level's key, in the device's time zone
 *  unless `timeZone`. */
export function registerLines(
  r: AccessRegisterIpcView,
  lang: Lang,
  timeZone?: string,
): { params: Params; device: string | null; level: MessageKey }[] {
  return r.entries.map((e) => ({
    params: {
      when: formatDateTime(e.at, lang, timeZone),
      who: e.userName.trim().normalize("NFC") || "?",
      version: e.version,
    },
    device: e.deviceName?.trim() || null,
    level: classificationKey(e.classification),
  }));
}
