import { describe, expect, it } from "vitest";
import { buildAgendaTree, documentsByItem, type AgendaNode } from "./agenda";
import type { AgendaItemView, DocumentView } from "./bindings";

const item = (id: string, parentId: string | null, position: number): AgendaItemView => ({
  id,
  parentId,
  position,
  title: `title ${id}`,
  withdrawn: null,
  plannedMinutes: null,
  speakingLimitMs: null,
  timeOnFloorMs: 0,
  onFloorSince: null,
});

const shape = (nodes: AgendaNode[]): unknown[] =>
  nodes.map((n) => (n.children.length ? [n.number, n.item.id, shape(n.children)] : [n.number, n.item.id]));

describe("agenda tree", () => {
  it("nests items under their parents in position order, numbered 1, 2.1, …", () => {
    // Deliberately shuffled, as rows may arrive in any order.
    const items = [item("b2", "b", 1), item("c", null, 2), item("a", null, 0), item("b", null, 1), item("b1", "b", 0), item("b1x", "b1", 0)];
    expect(shape(buildAgendaTree(items))).toEqual([
      ["1", "a"],
      ["2", "b", [["2.1", "b1", [["2.1.1", "b1x"]]], ["2.2", "b2"]]],
      ["3", "c"],
    ]);
  });

  it("keeps an item whose parent is missing, at the top level", () => {
    expect(shape(buildAgendaTree([item("a", null, 0), item("orphan", "gone", 0)]))).toEqual([
      ["1", "a"],
      ["2", "orphan"],
    ]);
  });

  it("breaks position ties by id and survives a self-parented item", () => {
    expect(shape(buildAgendaTree([item("z", null, 0), item("y", null, 0), item("s", "s", 1)]))).toEqual([
      ["1", "y"],
      ["2", "z"],
      ["3", "s"],
    ]);
  });

  it("groups documents by their agenda item", () => {
    const doc = (id: string, agendaItemId: string): DocumentView => ({ id, agendaItemId, title: id, versions: [], withdrawn: null, policy: { readerWatermark: false, export: "allowed", classification: "normal" } });
    const m = documentsByItem([doc("d1", "a"), doc("d2", "b"), doc("d3", "a")]);
    expect(m.get("a")?.map((d) => d.id)).toEqual(["d1", "d3"]);
    expect(m.get("c")).toBeUndefined();
  });
});
