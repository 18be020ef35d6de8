// Notices: what the shell found new after a sync round (a motion opened, a
// document or version arrived, the floor given to me), worded in the
// member's language, shown as in-app banners and as desktop notifications.
import type { MessageKey, Params } from "./i18n";
import type { NoticeView } from "./bindings";

export type Translate = (key: MessageKey, params?: Params) => string;

/** How long a banner stays unless the member acts on it. */
export const BANNER_MS = 12_000;
/** At most this many banners at once; older ones give way. */
export const MAX_BANNERS = 4;

export interface Banner {
  key: string;
  notice: NoticeView;
  shownAt: number;
}

/** The notification's title (what happened) and body (in which meeting). */
export function noticeText(n: NoticeView, t: Translate): { title: string; body: string } {
  return { title: t(`notice.${n.kind}` as MessageKey, { title: n.title }), body: n.meetingTitle };
}

/** Adds new notices to the banners: newest first, no duplicates, capped. */
export function addBanners(banners: Banner[], notices: NoticeView[], now: number): Banner[] {
  const fresh = notices
    .map((notice) => ({ key: `${notice.kind}:${notice.targetId}`, notice, shownAt: now }))
    .filter((b, i, all) => all.findIndex((o) => o.key === b.key) === i);
  const keys = new Set(fresh.map((b) => b.key));
  return [...fresh.reverse(), ...banners.filter((b) => !keys.has(b.key))].slice(0, MAX_BANNERS);
}

/** The banners still within their time. */
export function liveBanners(banners: Banner[], now: number): Banner[] {
  return banners.filter((b) => now - b.shownAt < BANNER_MS);
}
