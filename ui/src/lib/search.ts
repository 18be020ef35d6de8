// Offline search across a meeting's documents: query checks and how hits are
// grouped for the list (the matching itself, with Vietnamese diacritics
// folded, is done in Rust).
import type { SearchHitView } from "./bindings";

/** Shorter queries match almost everything; the member is asked for more. */
export const MIN_QUERY = 2;

export function normalizeQuery(q: string): string {
  return q.trim().replace(/\s+/g, " ");
}

export function queryTooShort(q: string): boolean {
  return [...normalizeQuery(q)].length < MIN_QUERY;
}

export interface HitGroup {
  versionId: string;
  title: string;
  version: number;
  hits: SearchHitView[];
}

/** Hits grouped per document in the order the search returned them. */
export function groupHits(hits: SearchHitView[]): HitGroup[] {
  const groups = new Map<string, HitGroup>();
  for (const h of hits) {
    let g = groups.get(h.versionId);
    if (!g) {
      g = { versionId: h.versionId, title: h.title, version: h.version, hits: [] };
      groups.set(h.versionId, g);
    }
    g.hits.push(h);
  }
  return [...groups.values()];
}

/** The highlights a viewer shows for the hits of one version, per 0-based page. */
export function highlightsFor(hits: SearchHitView[], versionId: string): Map<number, [number, number, number, number][]> {
  const out = new Map<number, [number, number, number, number][]>();
  for (const h of hits) {
    if (h.versionId !== versionId) continue;
    out.set(h.page, [...(out.get(h.page) ?? []), ...h.rects]);
  }
  return out;
}
