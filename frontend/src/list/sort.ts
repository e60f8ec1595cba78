// Sorting of the list. Python's RolloutList.visible_frame() sorts with the same rules
// (rollouts_widgets/widgets/list.py: SORT_COLUMNS, sort_rows): nulls first when ascending,
// ties broken by key, and "-column" reverses the whole order.

import type { Row } from "../common/row";

type SortValue = string | number | null;

// Status order: what needs eyes first.
export const STATUS_RANK = new Map(
  ["Failed", "Paused", "Progressing", "Healthy", "Disabled", "Unknown"].map((s, i) => [s, i]),
);

export const SORT_COLUMNS: Record<string, (r: Row) => SortValue> = {
  cluster: (r) => r.cluster,
  namespace: (r) => r.namespace,
  name: (r) => r.name,
  provider: (r) => r.provider,
  strategy: (r) => r.strategy,
  status: (r) => STATUS_RANK.get(r.status) ?? 6,
  step: (r) => r.step_index,
  weight: (r) => r.set_weight,
  replicas: (r) => r.ready_replicas,
  images: (r) => r.images.join(","),
  changed: (r) => r.updated ?? r.created,
};

export interface SortSpec {
  column: string | null; // null: by key
  descending: boolean;
}

/** "name" / "-name" / "" (by key); unknown columns sort by key. */
export function parseSort(sort: string): SortSpec {
  const descending = sort.startsWith("-");
  const column = descending ? sort.slice(1) : sort;
  const known = Object.prototype.hasOwnProperty.call(SORT_COLUMNS, column); // not "__proto__"
  return { column: known ? column : null, descending };
}

function cmp(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** A sorted copy of `rows`. */
export function sortRows(rows: Row[], sort: string): Row[] {
  const { column, descending } = parseSort(sort);
  const value = column ? SORT_COLUMNS[column] : null;
  const sign = descending ? -1 : 1;
  // Decorate once: the value functions run n times, not n log n.
  const decorated = rows.map((row) => ({ row, v: value ? value(row) : null }));
  decorated.sort((a, b) => sign * (cmp(a.v, b.v) || cmp(a.row.key, b.row.key)));
  return decorated.map((d) => d.row);
}

/** The sort after clicking a column header: ascending, then descending, then ascending... */
export function nextSort(current: string, column: string): string {
  const { column: col, descending } = parseSort(current);
  return col === column && !descending ? `-${column}` : column;
}
