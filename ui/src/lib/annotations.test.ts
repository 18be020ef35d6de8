import { describe, expect, it } from "vitest";
import type { AnnotationView, TextLineView } from "./bindings";
import {
  claimPointer, clientToPdf, freeTextRect, inkSegments, inkWidth, pdfToView, rectToView, snapToText, undoStep, UndoStack,
  upsert, viewToPdf, without, type Action, type PageGeom,
} from "./annotations";

// An A4 page (595 × 842 pt) as displayed under each /Rotate.
const a4 = (rotation: number): PageGeom =>
  rotation % 180 === 0 ? { width: 595, height: 842, rotation } : { width: 842, height: 595, rotation };

describe("PDF ↔ displayed coordinates", () => {
  it("put the PDF origin (bottom-left of the unrotated page) where the rotated page shows it", () => {
    expect(pdfToView(a4(0), 0, 0)).toEqual([0, 842]);
    expect(pdfToView(a4(90), 0, 0)).toEqual([0, 0]); // turned clockwise: bottom-left goes top-left
    expect(pdfToView(a4(180), 0, 0)).toEqual([595, 0]);
    expect(pdfToView(a4(270), 0, 0)).toEqual([842, 595]);
    // The unrotated top-left corner (0, 842).
    expect(pdfToView(a4(0), 0, 842)).toEqual([0, 0]);
    expect(pdfToView(a4(90), 0, 842)).toEqual([842, 0]);
    expect(pdfToView(a4(270), 0, 842)).toEqual([0, 595]);
  });

  it("round-trip every point under every rotation", () => {
    for (const r of [0, 90, 180, 270, -90, 450]) {
      const g = a4(((r % 360) + 360) % 360);
      g.rotation = r;
      for (const [x, y] of [[10, 20], [595, 0], [300.5, 700.25]]) {
        const [dx, dy] = pdfToView(g, x, y);
        expect(viewToPdf(g, dx, dy)).toEqual([x, y]);
      }
    }
  });

  it("map a pointer on the page element back to the same PDF point at any zoom", () => {
    const g = a4(0);
    // 100 % (793 px wide) and 200 %: the same spot of the page.
    const at100 = clientToPdf(g, { left: 100, top: 50, width: 793.33, height: 1122.67 }, 100 + 793.33 / 2, 50 + 1122.67 / 4);
    const at200 = clientToPdf(g, { left: -40, top: -300, width: 1586.67, height: 2245.33 }, -40 + 1586.67 / 2, -300 + 2245.33 / 4);
    expect(at100[0]).toBeCloseTo(297.5, 3);
    expect(at100[1]).toBeCloseTo(631.5, 3);
    expect(at200[0]).toBeCloseTo(at100[0], 3);
    expect(at200[1]).toBeCloseTo(at100[1], 3);
    // On a page displayed turned by 90°, the top-right of the screen box is the top-left of the unrotated page.
    const r = clientToPdf(a4(90), { left: 0, top: 0, width: 1122.67, height: 793.33 }, 1122.67, 0);
    expect(r[0]).toBeCloseTo(0, 3);
    expect(r[1]).toBeCloseTo(842, 3);
  });

  it("turn a PDF rectangle into a displayed box", () => {
    expect(rectToView(a4(0), [100, 700, 300, 720])).toEqual({ x: 100, y: 122, w: 200, h: 20 });
    expect(rectToView(a4(90), [100, 700, 300, 720])).toEqual({ x: 700, y: 100, w: 20, h: 200 });
  });
});

// Two lines of five 10-pt characters, and a third line further down.
const line = (top: number, left = 72): TextLineView => ({
  rect: [left, top - 12, left + 50, top],
  chars: [0, 1, 2, 3, 4].map((k) => [left + 10 * k, left + 10 * k + 10] as [number, number]),
});
const lines = [line(700), line(680), line(600)];

describe("snapping a drag to text", () => {
  it("covers the characters from the start to the end on one line, at the line's full height", () => {
    expect(snapToText(lines, [85, 692], [108, 695])).toEqual([[82, 688, 112, 700]]);
  });

  it("goes to the end of the first line and from the start of the last, whatever the drag direction", () => {
    const down = snapToText(lines, [95, 690], [85, 672]);
    expect(down).toEqual([[92, 688, 122, 700], [72, 668, 92, 680]]);
    expect(snapToText(lines, [85, 672], [95, 690])).toEqual(down);
  });

  it("takes a point just above or below a line as on it, and fills the lines in between", () => {
    const all = snapToText(lines, [72, 703], [121, 596]);
    expect(all).toEqual([[72, 688, 122, 700], [72, 668, 122, 680], [72, 588, 122, 600]]);
  });

  it("keeps the drag's own box where there is no text, and a click makes nothing", () => {
    expect(snapToText(lines, [300, 300], [400, 320])).toEqual([[300, 300, 400, 320]]);
    expect(snapToText([], [300, 300], [300.5, 300.5])).toEqual([]);
  });
});

describe("ink", () => {
  it("is as wide as asked without pressure and follows the pen's pressure with it", () => {
    expect(inkWidth(2, null)).toBe(2);
    expect(inkWidth(2, 0.5)).toBeCloseTo(2);
    expect(inkWidth(2, 1)).toBeCloseTo(3.2);
    expect(inkWidth(2, 0)).toBeCloseTo(0.8);
    const segs = inkSegments(a4(0), [{ x: 0, y: 842, pressure: 1 }, { x: 10, y: 832, pressure: 1 }], 2);
    expect(segs).toEqual([{ x1: 0, y1: 0, x2: 10, y2: 10, w: inkWidth(2, 1) }]);
  });
});

describe("who draws", () => {
  it("is the first pointer down, mouse, finger or pen, and no second one", () => {
    for (const type of ["mouse", "touch", "pen"]) expect(claimPointer(null, type)).toBe("start");
    expect(claimPointer("pen", "touch")).toBe("ignore");
    expect(claimPointer("pen", "pen")).toBe("ignore");
    expect(claimPointer("mouse", "pen")).toBe("ignore");
    expect(claimPointer("touch", "touch")).toBe("ignore");
  });

  it("is the pen when it comes down on a hand already resting on the page", () => {
    expect(claimPointer("touch", "pen")).toBe("replace");
  });
});

const ann = (id: string, text = "x"): AnnotationView => ({
  id, page: 0, color: [255, 230, 0, 255], updatedAt: "t", shape: { kind: "note", x: 1, y: 2, text },
});

describe("undo", () => {
  it("undoes the last action first: a creation by deleting, an edit and a deletion by recording the earlier state", () => {
    const s = new UndoStack();
    const created: Action = { kind: "create", after: ann("a") };
    const edited: Action = { kind: "edit", before: ann("a", "old"), after: ann("a", "new") };
    const deleted: Action = { kind: "delete", before: ann("b", "keep") };
    s.push(created);
    s.push(edited);
    s.push(deleted);
    expect(undoStep(s.pop()!)).toEqual({ op: "record", input: { id: "b", page: 0, color: [255, 230, 0, 255], shape: { kind: "note", x: 1, y: 2, text: "keep" } } });
    const e = undoStep(s.pop()!);
    expect(e.op === "record" && e.input.shape.kind === "note" && e.input.shape.text).toBe("old");
    expect(undoStep(s.pop()!)).toEqual({ op: "delete", id: "a" });
    expect(s.pop()).toBeUndefined();
  });

  it("keeps an action whose undo failed, and forgets the oldest beyond its limit", () => {
    const s = new UndoStack(2);
    s.push({ kind: "create", after: ann("1") });
    s.push({ kind: "create", after: ann("2") });
    s.push({ kind: "create", after: ann("3") });
    expect(s.size).toBe(2);
    const top = s.pop()!;
    s.restore(top);
    expect(undoStep(s.pop()!)).toEqual({ op: "delete", id: "3" });
    expect(undoStep(s.pop()!)).toEqual({ op: "delete", id: "2" });
  });

  it("updates the shown list in place and removes deleted ones", () => {
    const list = upsert(upsert([], ann("a")), ann("b"));
    expect(upsert(list, ann("a", "new")).map((a) => a.shape.kind === "note" && a.shape.text)).toEqual(["new", "x"]);
    expect(without(list, "a").map((a) => a.id)).toEqual(["b"]);
  });
});

describe("free text", () => {
  it("grows with its longest line and its line count, from its top-left corner", () => {
    const r = freeTextRect(100, 500, "ab\nabcdefghij");
    expect(r[0]).toBe(100);
    expect(r[3]).toBe(500);
    expect(r[1]).toBeCloseTo(500 - (2 * 15 + 6));
    expect(r[2]).toBeGreaterThan(freeTextRect(100, 500, "ab")[2]);
  });
});
