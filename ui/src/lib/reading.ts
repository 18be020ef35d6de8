// Document read status (chair and secretary): who downloaded and opened each
// document of a meeting, laid out as a members × documents table.
import type { DocumentReadView, MemberReadView, ReadStatusView } from "./bindings";
import { errorKey } from "./errors";
import type { MessageKey } from "./i18n";
import { isIpcError } from "./ipc";

/** Only the committee's chair and secretary see the panel. */
export function canSeeReadStatus(myRole: string | null | undefined): boolean {
  return myRole === "chair" || myRole === "secretary";
}

/** How far one member got with one document. */
export type ReadMark =
  | { kind: "none" }
  | { kind: "downloaded"; at: number }
  | { kind: "opened"; at: number };

export function readMark(m: MemberReadView | undefined): ReadMark {
  if (m?.openedAt != null) return { kind: "opened", at: m.openedAt };
  if (m?.downloadedAt != null) return { kind: "downloaded", at: m.downloadedAt };
  return { kind: "none" };
}

export interface ReadColumn {
  versionId: string;
  title: string;
  version: number;
  downloaded: number;
  opened: number;
  total: number;
}

export interface ReadRow {
  memberId: string;
  displayName: string;
  /** One mark per column, in column order. */
  marks: ReadMark[];
}

/** Opening implies having downloaded: an opened document counts in both. */
function column(d: DocumentReadView): ReadColumn {
  const marks = d.members.map(readMark);
  return {
    versionId: d.versionId,
    title: d.title,
    version: d.version,
    downloaded: marks.filter((m) => m.kind !== "none").length,
    opened: marks.filter((m) => m.kind === "opened").length,
    total: d.members.length,
  };
}

/** The table: a column per document, a row per member of the committee
 * (in the server's order, members appearing in any document). */
export function readTable(view: ReadStatusView): { columns: ReadColumn[]; rows: ReadRow[] } {
  const columns = view.documents.map(column);
  const names = new Map<string, string>();
  for (const d of view.documents) for (const m of d.members) if (!names.has(m.memberId)) names.set(m.memberId, m.displayName);
  const rows = [...names].map(([memberId, displayName]) => ({
    memberId,
    displayName,
    marks: view.documents.map((d) => readMark(d.members.find((m) => m.memberId === memberId))),
  }));
  return { columns, rows };
}

/** The overview needs the server: "offline" gets its own explanation. */
export function readStatusErrorKey(e: unknown): MessageKey {
  return isIpcError(e) && e.code === "offline" ? "reading.offline" : errorKey(e);
}
