// The analysis dialog: a Summary tab (source, status, summary, runs with run time) and a
// Metrics tab (per metric: phase, counts, a chart of its measurements with the condition
// line where it parses, and a table). With no source (OpenKruise) it shows the placeholder
// "analysis data source not configured" and an empty run list.

import { h } from "../common/dom";
import { shortDuration, since } from "../common/format";
import { lineChart, numeric, threshold } from "./charts";
import type { AnalysisRun, AnalysisSummary, Metric } from "./types";

export const NOT_CONFIGURED_TEXT = "analysis data source not configured";

function runTime(run: AnalysisRun, now: number): string {
  if (run.duration_seconds !== null && run.duration_seconds !== undefined) {
    return shortDuration(run.duration_seconds * 1000);
  }
  return run.started_at ? `${since(run.started_at, now)} so far` : "—";
}

function summaryTab(s: AnalysisSummary, now: number): HTMLElement {
  const notConfigured = s.source === "not_configured" || s.code === "ANALYSIS_SOURCE_NOT_CONFIGURED";
  const dl = h("dl", { class: "rw-summary" },
    h("dt", {}, "Source"), h("dd", {}, notConfigured ? "none" : s.source),
    h("dt", {}, "Status"), h("dd", { class: `rw-phase rw-phase-${s.status.toLowerCase()}` }, s.status),
    h("dt", {}, "Summary"), h("dd", {}, s.summary));
  const runs = h("table", { class: "rw-table rw-runs", "aria-label": "Analysis runs" },
    h("thead", {}, h("tr", {}, h("th", {}, "Run"), h("th", {}, "Kind"), h("th", {}, "Phase"),
      h("th", {}, "Started"), h("th", {}, "Run time"))));
  const body = h("tbody");
  for (const run of s.runs) {
    body.appendChild(h("tr", { "data-run": run.name },
      h("td", {}, run.name), h("td", {}, run.kind + (run.step_index ? ` (step ${run.step_index})` : "")),
      h("td", { class: `rw-phase rw-phase-${run.phase.toLowerCase()}` }, run.phase),
      h("td", { title: run.started_at ?? "" }, run.started_at ? `${since(run.started_at, now)} ago` : "—"),
      h("td", {}, runTime(run, now))));
  }
  if (!s.runs.length) {
    body.appendChild(h("tr", { class: "rw-no-runs" }, h("td", { colspan: 5 }, "No analysis runs.")));
  }
  runs.appendChild(body);
  return h("div", {},
    notConfigured ? h("div", { class: "rw-placeholder", role: "note" }, NOT_CONFIGURED_TEXT) : null,
    dl, runs);
}

function metricEntry(m: Metric): HTMLElement {
  const points = m.measurements
    .map((x) => ({
      t: Date.parse(x.finished_at ?? x.started_at ?? ""),
      v: numeric(x.value),
      cls: `rw-m-${(x.phase || "pending").toLowerCase()}`,
      note: x.phase,
    }))
    .filter((p): p is { t: number; v: number; cls: string; note: string } => !Number.isNaN(p.t) && p.v !== null);
  const lines = [];
  const ok = threshold(m.success_condition);
  if (ok) lines.push({ value: ok.value, cls: "rw-cond-success", label: `success ${ok.op} ${ok.value}` });
  const bad = threshold(m.failure_condition);
  if (bad) lines.push({ value: bad.value, cls: "rw-cond-failure", label: `failure ${bad.op} ${bad.value}` });
  const chart = lineChart([{ points, cls: "rw-s-metric", label: m.name }],
    { title: `Measurements of ${m.name}`, lines });
  const table = h("table", { class: "rw-table rw-measurements" },
    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Phase"), h("th", {}, "Value"),
      h("th", {}, "Finished"), h("th", {}, "Message"))));
  const body = h("tbody");
  m.measurements.forEach((x, i) => body.appendChild(h("tr", {},
    h("td", {}, String(i + 1)), h("td", { class: `rw-phase rw-phase-${x.phase.toLowerCase()}` }, x.phase),
    h("td", { class: "rw-mono" }, x.value ?? ""), h("td", {}, x.finished_at ?? x.started_at ?? ""),
    h("td", {}, x.message))));
  table.appendChild(body);
  return h("div", { class: "rw-metric", "data-metric": m.name },
    h("div", { class: "rw-metric-head" },
      h("strong", {}, m.name),
      h("span", { class: `rw-badge rw-phase rw-phase-${(m.phase || "pending").toLowerCase()}` }, m.phase || "Pending"),
      h("span", { class: "rw-muted" },
        `✔ ${m.successful} · ✖ ${m.failed} · ? ${m.inconclusive} · ⚠ ${m.error} · ${m.count} measured`)),
    m.success_condition || m.failure_condition
      ? h("div", { class: "rw-muted rw-mono" },
          [m.success_condition && `success: ${m.success_condition}`, m.failure_condition && `failure: ${m.failure_condition}`]
            .filter(Boolean).join("   "))
      : null,
    chart, m.measurements.length ? table : h("div", { class: "rw-muted" }, "No measurements yet."));
}

function metricsTab(s: AnalysisSummary): HTMLElement {
  const panel = h("div", {});
  if (!s.runs.length) {
    panel.appendChild(h("div", { class: "rw-muted" },
      s.source === "not_configured" ? NOT_CONFIGURED_TEXT : "No analysis runs."));
    return panel;
  }
  for (const run of s.runs) {
    const block = h("details", { class: "rw-run", "data-run": run.name },
      h("summary", {}, h("strong", {}, run.name), " ",
        h("span", { class: `rw-badge rw-phase rw-phase-${run.phase.toLowerCase()}` }, run.phase),
        run.message ? h("span", { class: "rw-muted" }, ` ${run.message}`) : null));
    block.open = run === s.runs[0];
    for (const m of run.metrics) block.appendChild(metricEntry(m));
    panel.appendChild(block);
  }
  return panel;
}

/** The dialog element (role="dialog") with its two tabs; `close` removes it. */
export function renderAnalysis(s: AnalysisSummary, ref: string, close: () => void, now: () => number): HTMLElement {
  const id = `rw-an-${Math.random().toString(36).slice(2, 8)}`;
  const tabs = [
    { name: "Summary", panel: summaryTab(s, now()) },
    { name: "Metrics", panel: metricsTab(s) },
  ];
  const tablist = h("div", { role: "tablist", class: "rw-tabs", "aria-label": "Analysis views" });
  const panels: HTMLElement[] = [];
  const buttons: HTMLButtonElement[] = [];
  const select = (i: number) => {
    buttons.forEach((b, j) => {
      b.setAttribute("aria-selected", String(i === j));
      b.tabIndex = i === j ? 0 : -1;
    });
    panels.forEach((p, j) => (p.hidden = i !== j));
  };
  tabs.forEach((t, i) => {
    const b = h("button", { type: "button", role: "tab", id: `${id}-tab-${i}`, "aria-controls": `${id}-panel-${i}`, class: "rw-tab" }, t.name);
    b.addEventListener("click", () => select(i));
    b.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const next = (i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length;
        select(next);
        buttons[next].focus();
      }
    });
    buttons.push(b);
    tablist.appendChild(b);
    panels.push(h("div", { role: "tabpanel", id: `${id}-panel-${i}`, "aria-labelledby": `${id}-tab-${i}`, class: "rw-tabpanel" }, t.panel));
  });
  select(0);
  const closeBtn = h("button", { type: "button", class: "rw-cancel" }, "Close");
  closeBtn.addEventListener("click", close);
  const dialog = h("div", { class: "rw-dialog rw-analysis", role: "dialog", "aria-modal": "true", "aria-labelledby": `${id}-title` },
    h("h3", { id: `${id}-title` }, `Analysis of ${ref}`), tablist, ...panels,
    h("div", { class: "rw-dialog-buttons" }, closeBtn));
  dialog.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      close();
    }
  });
  return dialog;
}
