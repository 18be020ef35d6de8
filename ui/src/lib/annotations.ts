// Annotation geometry for the viewer's overlay: PDF page coordinates (points,
// origin bottom-left of the unrotated page, what the store keeps) to the
// displayed page (points from its top-left corner, after the page's /Rotate)
// and back; snapping a drag to text lines; the session's undo stack.
import type { MessageKey } from "./i18n";
import type { AnnotationInput, AnnotationShape, AnnotationView, InkPointView, TextLineView } from "./bindings";

/** [left, bottom, right, top] in PDF page coordinates. */
export type Rect = [number, number, number, number];

/** A displayed page: its size in points after rotation, and its /Rotate. */
export type PageGeom = { width: number; height: number; rotation: number };

const norm = (r: number) => (((Math.round(r / 90) * 90) % 360) + 360) % 360;

/** Size of the unrotated page (what PDF coordinates span). */
function unrotated(g: PageGeom): [number, number] {
  return norm(g.rotation) % 180 === 0 ? [g.width, g.height] : [g.height, g.width];
}

/** PDF point → displayed point (from the top-left, y down). */
export function pdfToView(g: PageGeom, x: number, y: number): [number, number] {
  const [w0, h0] = unrotated(g);
  switch (norm(g.rotation)) {
    case 90: return [y, x];
    case 180: return [w0 - x, y];
    case 270: return [h0 - y, w0 - x];
    default: return [x, h0 - y];
  }
}

/** Displayed point → PDF point (the inverse of `pdfToView`). */
export function viewToPdf(g: PageGeom, dx: number, dy: number): [number, number] {
  const [w0, h0] = unrotated(g);
  switch (norm(g.rotation)) {
    case 90: return [dy, dx];
    case 180: return [w0 - dx, dy];
    case 270: return [w0 - dy, h0 - dx];
    default: return [dx, h0 - dy];
  }
}

/** A pointer position on the page element (its on-screen box `box`, any zoom) → PDF point. */
export function clientToPdf(
  g: PageGeom,
  box: { left: number; top: number; width: number; height: number },
  clientX: number,
  clientY: number,
): [number, number] {
  const dx = ((clientX - box.left) / box.width) * g.width;
  const dy = ((clientY - box.top) / box.height) * g.height;
  return viewToPdf(g, dx, dy);
}

/** A PDF rectangle as a displayed box {x, y, w, h}. */
export function rectToView(g: PageGeom, r: Rect): { x: number; y: number; w: number; h: number } {
  const [ax, ay] = pdfToView(g, r[0], r[1]);
  const [bx, by] = pdfToView(g, r[2], r[3]);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), w: Math.abs(bx - ax), h: Math.abs(by - ay) };
}

/** The thin band under a line of text that an underline draws. */
export function underlineBand(r: Rect): Rect {
  const t = Math.max(0.75, (r[3] - r[1]) * 0.08);
  return [r[0], r[1], r[2], r[1] + t];
}

function contains(r: Rect, x: number, y: number, slack = 0): boolean {
  return x >= r[0] - slack && x <= r[2] + slack && y >= r[1] - slack && y <= r[3] + slack;
}

/** The line a point is on: the one containing it, else the vertically nearest
 *  within one line height (and horizontally within its extent); -1 if none. */
function lineAt(lines: TextLineView[], x: number, y: number): number {
  let best = -1;
  let bestD = Infinity;
  lines.forEach((l, i) => {
    const [left, bottom, right, top] = l.rect;
    if (contains(l.rect, x, y)) {
      if (bestD > 0 || best < 0) { best = i; bestD = 0; }
      return;
    }
    const h = top - bottom;
    const d = y > top ? y - top : bottom - y;
    if (d >= 0 && d <= h && x >= left - h && x <= right + h && d < bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

/** Snaps a drag from `a` to `b` (PDF points) to the text it covers, as text
 *  selection does: the first line from the character under the start, whole
 *  lines in between, the last line up to the character under the end. One
 *  rectangle per line, the line's full height. When no text is under either
 *  end, the drag's own box (a scanned page has no text to snap to); a bare
 *  click gives nothing. */
export function snapToText(lines: TextLineView[], a: [number, number], b: [number, number]): Rect[] {
  let i = lineAt(lines, a[0], a[1]);
  let j = lineAt(lines, b[0], b[1]);
  let [start, end] = [a, b];
  if (i < 0 || j < 0) {
    const box: Rect = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])];
    return box[2] - box[0] >= 2 && box[3] - box[1] >= 2 ? [box] : [];
  }
  if (j < i || (i === j && b[0] < a[0])) {
    [i, j] = [j, i];
    [start, end] = [end, start];
  }
  const out: Rect[] = [];
  for (let k = i; k <= j; k++) {
    const l = lines[k];
    const from = k === i ? start[0] : -Infinity;
    const to = k === j ? end[0] : Infinity;
    const chars = l.chars.filter(([cl, cr]) => cr > from && cl < to);
    if (chars.length === 0) continue;
    out.push([chars[0][0], l.rect[1], chars[chars.length - 1][1], l.rect[3]]);
  }
  return out;
}

/** Line width of an ink segment: the stroke's width scaled by the pen's
 *  pressure where it reported one (0.5, a normal press, gives the width). */
export function inkWidth(width: number, pressure: number | null | undefined): number {
  if (pressure == null) return width;
  return width * (0.4 + 1.2 * Math.min(1, Math.max(0, pressure)));
}

/** An ink stroke as displayed segments, each with its own width. */
export function inkSegments(g: PageGeom, points: InkPointView[], width: number) {
  const segs: { x1: number; y1: number; x2: number; y2: number; w: number }[] = [];
  for (let k = 1; k < points.length; k++) {
    const p = points[k - 1];
    const q = points[k];
    const [x1, y1] = pdfToView(g, p.x, p.y);
    const [x2, y2] = pdfToView(g, q.x, q.y);
    const pr = p.pressure != null && q.pressure != null ? (p.pressure + q.pressure) / 2 : null;
    segs.push({ x1, y1, x2, y2, w: inkWidth(width, pr) });
  }
  return segs;
}

/** What a pointer coming down on the page does while `drawing` (the type of
 *  the pointer already drawing, or null): one pointer draws at a time, except
 *  that a pen takes over from a finger. A hand resting on a tablet touches
 *  the screen before the pen does; its stroke is dropped and the pen draws. */
export function claimPointer(drawing: string | null, incoming: string): "start" | "replace" | "ignore" {
  if (drawing === null) return "start";
  return incoming === "pen" && drawing === "touch" ? "replace" : "ignore";
}

/** The input that records `a` again as it is (an edit back, or undoing its deletion). */
export function inputOf(a: AnnotationView): AnnotationInput {
  return { id: a.id, page: a.page, color: a.color, shape: a.shape };
}

/** What the member did, as the undo stack keeps it. */
export type Action =
  | { kind: "create"; after: AnnotationView }
  | { kind: "edit"; before: AnnotationView; after: AnnotationView }
  | { kind: "delete"; before: AnnotationView };

/** What undoing an action asks of the store. */
export type UndoStep = { op: "delete"; id: string } | { op: "record"; input: AnnotationInput };

export function undoStep(a: Action): UndoStep {
  switch (a.kind) {
    case "create": return { op: "delete", id: a.after.id };
    case "edit": return { op: "record", input: inputOf(a.before) };
    case "delete": return { op: "record", input: inputOf(a.before) };
  }
}

/** The viewing session's undo history (most recent last). */
export class UndoStack {
  private items: Action[] = [];
  constructor(private readonly limit = 200) {}

  push(a: Action): void {
    this.items.push(a);
    if (this.items.length > this.limit) this.items.shift();
  }

  /** Takes the most recent action off the stack. */
  pop(): Action | undefined {
    return this.items.pop();
  }

  /** Puts an action back (its undo failed, e.g. the store was locked). */
  restore(a: Action): void {
    this.items.push(a);
  }

  get size(): number {
    return this.items.length;
  }
}

/** Applies an annotation the store answered to a list shown on screen. */
export function upsert(list: AnnotationView[], a: AnnotationView): AnnotationView[] {
  const i = list.findIndex((x) => x.id === a.id);
  if (i < 0) return [...list, a];
  const next = list.slice();
  next[i] = a;
  return next;
}

export function without(list: AnnotationView[], id: string): AnnotationView[] {
  return list.filter((x) => x.id !== id);
}

/** Colours per tool (RGBA), as the CLI and the export use them. */
export const COLORS: Readonly<Record<AnnotationShape["kind"], [number, number, number, number]>> = {
  ink: [220, 0, 0, 255],
  highlight: [255, 230, 0, 255],
  underline: [0, 70, 200, 255],
  note: [255, 230, 0, 255],
  text: [0, 0, 0, 255],
};

/** Size of a sticky note's icon in points (as exported). */
export const NOTE_SIZE = 20;
/** Font size of free text in points (as exported). */
export const TEXT_SIZE = 12;

/** The box free text of `text` takes when written with its top-left at (x, y). */
export function freeTextRect(x: number, y: number, text: string): Rect {
  const lines = text.split("\n");
  const longest = Math.max(...lines.map((l) => l.length));
  const w = Math.max(40, Math.min(400, longest * TEXT_SIZE * 0.55 + 8));
  const h = lines.length * TEXT_SIZE * 1.25 + 6;
  return [x, y - h, x + w, y];
}

/** The viewer's tools; `select` draws nothing (notes open, pages scroll). */
export type Tool = "select" | "pen" | "highlight" | "underline" | "note" | "text" | "eraser";

export const TOOLS: readonly Tool[] = ["select", "pen", "highlight", "underline", "note", "text", "eraser"];

/** The label of each tool, and of the annotation kind it makes. */
export const TOOL_LABELS: Record<Tool | AnnotationShape["kind"], MessageKey> = {
  select: "annot.select",
  pen: "annot.pen",
  ink: "annot.pen",
  highlight: "annot.highlight",
  underline: "annot.underline",
  note: "annot.note",
  text: "annot.text",
  eraser: "annot.eraser",
};
