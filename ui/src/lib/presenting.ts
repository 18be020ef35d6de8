// Presenter follow mode (trình chiếu): what a viewer does with the meeting's
// presentation as this device last synced it. Following is the default; a
// member who reads elsewhere stays there until they come back (or until the
// presenter turns the page while they still follow). Pages always come from
// this device's own cache.
import type { CommentRegionView, PresentationView } from "./bindings";
import type { MessageKey, Params } from "./i18n";
import { fromPresentRegion } from "./regions";

export type FollowAction =
  | { kind: "none" }
  | { kind: "goto"; page: number; region: CommentRegionView | null }
  | { kind: "open"; versionId: string; page: number };

/** What a following viewer of `versionId` does with presentation `p`: go
 *  to the page (and the region pointed at on it), or open the document. */
export function followAction(p: PresentationView | null, following: boolean, versionId: string): FollowAction {
  if (!p || !following || p.mine || !p.versionId) return { kind: "none" };
  if (p.versionId !== versionId) return { kind: "open", versionId: p.versionId, page: p.page };
  return { kind: "goto", page: p.page, region: fromPresentRegion(p.region) };
}

/** The region the presenter points at, to draw over page `page` of this
 *  viewer: for the presenter, and for a member while following. */
export function shownRegion(
  p: PresentationView | null,
  following: boolean,
  versionId: string,
): { page: number; region: CommentRegionView } | null {
  if (!p || p.versionId !== versionId || !(p.mine || following)) return null;
  const region = fromPresentRegion(p.region);
  return region ? { page: p.page, region } : null;
}

/** The banner above the pages: who presents, and the control to leave or
 *  come back; `null` when nothing is presented, or I present. */
export function followBanner(
  p: PresentationView | null,
  following: boolean,
): { key: MessageKey; params: Params; action: "leave" | "back" } | null {
  if (!p || p.mine || !p.versionId) return null;
  const params = { name: p.presenterName ?? "" };
  return following
    ? { key: "present.following", params, action: "leave" }
    : { key: "present.away", params, action: "back" };
}

/** Whether this viewer is the one presenting `versionId` now. */
export function presentingHere(p: PresentationView | null, versionId: string): boolean {
  return !!p && p.mine && p.versionId === versionId;
}
