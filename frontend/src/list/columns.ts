// The list's columns: header, width, sort column, and a text-only cell renderer.

import { h } from "../common/dom";
import { icon, STATUS_ICONS } from "../common/icons";
import { ratio, since, weight } from "../common/format";
import type { Row } from "../common/row";

export interface Column {
  id: string;
  title: string;
  width: string; // a CSS grid track
  sort: string | null; // key in SORT_COLUMNS, or null when not sortable
  cell: (row: Row, now: number) => HTMLElement;
}


const text = (value: string, title?: string) =>
  h("span", { class: "rw-text", title: title ?? value }, value);

export function statusCell(row: Row): HTMLElement {
  const status = row.status in STATUS_ICONS ? row.status : "Unknown";
  return h(
    "span",
    { class: `rw-status rw-status-${status.toLowerCase()}`, title: row.message || row.status },
    h("span", { class: "rw-status-icon", "aria-hidden": "true" }, icon(STATUS_ICONS[status])),
    " ",
    row.status,
  );
}

export function stepText(row: Row): string {
  if (!row.step_count) return "";
  return `${row.step_index ?? "-"}/${row.step_count}`;
}

export const COLUMNS: Column[] = [
  { id: "cluster", title: "Cluster", width: "minmax(80px,1fr)", sort: "cluster", cell: (r) => text(r.cluster) },
  { id: "namespace", title: "Namespace", width: "minmax(90px,1fr)", sort: "namespace", cell: (r) => text(r.namespace) },
  {
    id: "name",
    title: "Name",
    width: "minmax(120px,2fr)",
    sort: "name",
    cell: (r) =>
      h(
        "span",
        { class: "rw-name", title: r.key },
        r.name,
        r.needs_attention &&
          h("span", { class: "rw-attention", title: r.attention_reason || "Needs attention", "aria-label": "Needs attention" }, " ⚠"),
      ),
  },
  { id: "provider", title: "Provider", width: "70px", sort: "provider", cell: (r) => text(r.provider) },
  { id: "strategy", title: "Strategy", width: "80px", sort: "strategy", cell: (r) => text(r.strategy) },
  { id: "status", title: "Status", width: "120px", sort: "status", cell: (r) => statusCell(r) },
  { id: "step", title: "Step", width: "56px", sort: "step", cell: (r) => text(stepText(r), r.step_label) },
  {
    id: "weight",
    title: "Weight",
    width: "88px",
    sort: "weight",
    cell: (r) => text(weight(r.set_weight, r.actual_weight), "set / actual traffic weight"),
  },
  {
    id: "replicas",
    title: "Ready",
    width: "60px",
    sort: "replicas",
    cell: (r) => text(ratio(r.ready_replicas, r.replicas), "ready / desired replicas"),
  },
  { id: "images", title: "Images", width: "minmax(120px,2fr)", sort: "images", cell: (r) => text(r.images.join(", ")) },
  {
    id: "changed",
    title: "Changed",
    width: "84px",
    sort: "changed",
    cell: (r, now) => text(since(r.updated ?? r.created, now), r.updated ?? r.created ?? ""),
  },
];
