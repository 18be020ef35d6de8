import { describe, expect, it } from "vitest";
import { groupHits, highlightsFor, normalizeQuery, queryTooShort } from "./search";
import type { SearchHitView } from "./bindings";

const hit = (versionId: string, page: number, text: string, x = 10): SearchHitView => ({
  documentId: `d-${versionId}`,
  versionId,
  title: `Tài liệu ${versionId}`,
  version: 1,
  page,
  text,
  rects: [[x, 700, x + 50, 712]],
});

describe("search", () => {
  it("trims and collapses spaces; one letter is too short, 'qđ' is not", () => {
    expect(normalizeQuery("  quyết   định ")).toBe("quyết định");
    expect(queryTooShort(" q ")).toBe(true);
    expect(queryTooShort("qđ")).toBe(false);
  });

  it("groups hits per document in result order", () => {
    const groups = groupHits([hit("a", 0, "quyết định"), hit("b", 2, "Quyết định"), hit("a", 4, "quyet dinh")]);
    expect(groups.map((g) => [g.versionId, g.hits.map((h) => h.page)])).toEqual([
      ["a", [0, 4]],
      ["b", [2]],
    ]);
  });

  it("collects one version's rectangles per page for the viewer", () => {
    const hl = highlightsFor([hit("a", 1, "x", 10), hit("a", 1, "y", 90), hit("b", 1, "z")], "a");
    expect([...hl.keys()]).toEqual([1]);
    expect(hl.get(1)).toHaveLength(2);
  });
});
