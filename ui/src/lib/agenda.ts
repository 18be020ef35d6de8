// The agenda arrives flat (id, parentId, position); the meeting screen shows a tree.
import type { AgendaItemView, DocumentView } from "./bindings";

export interface AgendaNode {
  item: AgendaItemView;
  /** "1", "2.1", … */
  number: string;
  children: AgendaNode[];
}

/** Nests items under their parents, siblings by position then id. An item
 * whose parent is missing goes to the top level rather than vanishing. */
export function buildAgendaTree(items: readonly AgendaItemView[]): AgendaNode[] {
  const ids = new Set(items.map((i) => i.id));
  const byParent = new Map<string | null, AgendaItemView[]>();
  for (const item of items) {
    const parent = item.parentId !== null && ids.has(item.parentId) && item.parentId !== item.id ? item.parentId : null;
    const list = byParent.get(parent) ?? [];
    list.push(item);
    byParent.set(parent, list);
  }
  const seen = new Set<string>();
  const build = (parent: string | null, prefix: string): AgendaNode[] =>
    (byParent.get(parent) ?? [])
      .slice()
      .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id))
      .filter((item) => !seen.has(item.id) && seen.add(item.id))
      .map((item, i) => {
        const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
        return { item, number, children: build(item.id, number) };
      });
  return build(null, "");
}

/** Documents grouped by agenda item id. */
export function documentsByItem(docs: readonly DocumentView[]): Map<string, DocumentView[]> {
  const out = new Map<string, DocumentView[]>();
  for (const d of docs) {
    const list = out.get(d.agendaItemId) ?? [];
    list.push(d);
    out.set(d.agendaItemId, list);
  }
  return out;
}
