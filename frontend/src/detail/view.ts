// The live detail panel of one rollout: header, summary, action bar, step pipeline,
// revisions, containers, events, timeline, plus the confirmation and analysis dialogs and
// toasts. The row comes from the protocol client (one row: the selected rollout); every
// action is a request that Python validates and runs with cluster.act(...).

import { h, replaceChildren } from "../common/dom";
import { ratio, shortDuration, since } from "../common/format";
import { ProtocolClient, type Model, type Response } from "../common/protocol";
import { RowStore } from "../common/rowstore";
import { renderAnalysis } from "./analysis";
import { lineChart } from "./charts";
import {
  BAR,
  CONFIRMED,
  confirmation,
  imageConfirmation,
  rollbackConfirmation,
  type Confirmation,
} from "./confirm";
import { icon, STATUS_ICONS, STEP_ICONS } from "../common/icons";
import { imageError } from "./image";
import type { AnalysisSummary, Container, DetailRow, Step } from "./types";

export const STEP_STATE_LABEL: Record<string, string> = {
  done: "done", current: "running", paused: "paused", "awaiting-approval": "awaiting approval",
  pending: "pending",
};
const TOAST_MS = 6000;

export interface DetailEnv {
  now: () => number;
}

export class DetailView {
  readonly root: HTMLElement;
  readonly store: RowStore;
  readonly client: ProtocolClient;
  private env: DetailEnv;
  private body: HTMLElement;
  private toasts: HTMLElement;
  private dialogHost: HTMLElement;
  private pending = new Set<string>(); // actions in flight ("PROMOTE", "ROLLBACK:rs-1", ...)
  private expanded = new Set<string>(); // step indexes / revision names the user opened
  private editing = new Map<string, string>(); // container id -> draft image
  private tick = 0;
  private disposers: (() => void)[] = [];
  private lastFocus: HTMLElement | null = null;

  constructor(
    private model: Model,
    el: HTMLElement,
    env: Partial<DetailEnv> = {},
  ) {
    this.env = { now: () => Date.now(), ...env };
    this.store = new RowStore(this.env.now);
    this.client = new ProtocolClient(model, this.store);
    this.body = h("div", { class: "rw-detail-body" });
    this.toasts = h("div", { class: "rw-toasts", "aria-live": "polite" });
    this.dialogHost = h("div", { class: "rw-dialog-host" });
    this.root = h("div", { class: "rw-root rw-detail", "data-lm-suppress-shortcuts": "true" },
      this.body, this.dialogHost, this.toasts);
    replaceChildren(el, this.root);

    const render = () => this.render();
    const traits = ["rollout", "read_only", "mode", "mode_reason", "last_contact", "loaded",
      "analysis_enabled", "rollback_enabled", "cluster_name"];
    for (const t of traits) model.on(`change:${t}`, render);
    const off = this.store.subscribe(render);
    this.disposers.push(() => {
      for (const t of traits) model.off(`change:${t}`, render);
      off();
    });
    this.tick = window.setInterval(() => this.updateClocks(), 1000);
    this.client.start();
    this.render();
  }

  dispose(): void {
    window.clearInterval(this.tick);
    for (const d of this.disposers) d();
    this.client.dispose();
  }

  /** The rollout shown now, or undefined. */
  get row(): DetailRow | undefined {
    const key = String(this.model.get("rollout") ?? "");
    return key ? (this.store.get(key) as unknown as DetailRow | undefined) : undefined;
  }

  private get readOnly(): boolean {
    return Boolean(this.model.get("read_only"));
  }

  // -- rendering ------------------------------------------------------------------------------

  render(): void {
    const key = String(this.model.get("rollout") ?? "");
    const row = this.row;
    if (!key) {
      replaceChildren(this.body, h("div", { class: "rw-empty", role: "status" },
        "Select a rollout to see its steps, revisions and actions."));
      return;
    }
    if (!row) {
      const loading = !this.model.get("loaded") || this.client.seq < 0;
      replaceChildren(this.body, h("div", { class: "rw-empty", role: "status" },
        loading ? `Loading ${key}…` : `Rollout ${key} is not in this view (deleted, or outside its namespaces).`));
      return;
    }
    // Keep the scroll position and focus across re-renders.
    const active = document.activeElement as HTMLElement | null;
    const focusId = this.root.contains(active) ? active?.dataset?.focusId : undefined;
    const caret = active instanceof HTMLInputElement ? [active.selectionStart, active.selectionEnd] : null;
    replaceChildren(
      this.body,
      this.header(row),
      row.detail.error ? h("div", { class: "rw-alert", role: "alert" }, row.detail.error) : null,
      this.actionBar(row),
      h("div", { class: "rw-columns" },
        h("div", { class: "rw-col" }, this.summary(row), this.steps(row)),
        h("div", { class: "rw-col" }, this.revisions(row), this.containers(row),
          this.timeline(row), this.events(row))),
    );
    if (focusId) {
      const again = byFocusId(this.body, focusId);
      again?.focus();
      if (caret && again instanceof HTMLInputElement) again.setSelectionRange(caret[0], caret[1]);
    }
    this.updateClocks();
  }

  private header(r: DetailRow): HTMLElement {
    const mode = String(this.model.get("mode") ?? "connecting");
    const live = mode === "watch" ? "Live" : mode === "polling" ? "Polling (fallback)" : mode === "stopped" ? "Stopped" : "Reconnecting";
    const reason = String(this.model.get("mode_reason") ?? "");
    return h("header", { class: "rw-header" },
      h("div", { class: "rw-title-line" },
        h("span", { class: `rw-status-icon rw-st-${r.status.toLowerCase()}`, "aria-hidden": "true" },
          icon(STATUS_ICONS[r.status] ?? "question")),
        h("h2", { class: "rw-title" }, r.name),
        h("span", { class: "rw-badge rw-strategy" }, r.strategy || "—"),
        h("span", { class: `rw-badge rw-status rw-st-${r.status.toLowerCase()}` }, r.status),
        h("span", { class: "rw-spacer" }),
        h("span", { class: `rw-conn rw-conn-${mode}`, role: "status", title: reason || live },
          h("span", { class: "rw-dot", "aria-hidden": "true" }, "●"), ` ${live}`,
          h("span", { class: "rw-contact", "data-since": String(this.model.get("last_contact") ?? "") }))),
      h("div", { class: "rw-subtitle" },
        `${r.namespace} · ${r.cluster} · ${r.provider} ${r.api_version}`),
      // The attention line below repeats the message when that is the reason: show it once.
      r.message && !(r.needs_attention && (r.attention_reason || r.message) === r.message)
        ? h("div", { class: "rw-message" }, r.message) : null,
      r.needs_attention
        ? h("div", { class: "rw-attention", role: "note" }, "⚠ Needs attention: ", r.attention_reason || r.message)
        : null,
    );
  }

  private summary(r: DetailRow): HTMLElement {
    const d = r.detail;
    const step = r.step_count ? `${r.step_index ?? "-"}/${r.step_count}` : "no steps";
    const items: [string, string][] = [
      ["Step", r.step_label ? `${step} · ${r.step_label}` : step],
      ["Weight", weightText(r.set_weight, r.actual_weight)],
      ["Replicas", `${r.replicas ?? "-"} desired · ${r.updated_replicas ?? "-"} updated · ` +
        `${r.ready_replicas ?? "-"} ready · ${r.available_replicas ?? "-"} available`],
      ["Revisions", `stable ${r.stable_revision || "—"} · canary ${r.canary_revision || "—"}`],
      ["Workload", r.workload_kind ? `${r.workload_kind} ${r.workload_name}`
        : r.provider === "argo" ? "the rollout's own pod template" : "—"],
      ["Traffic routing", d.traffic_routing || "none"],
      ["Restarted", d.restarted_at || "never"],
      ["Age", r.created ? since(r.created, this.env.now()) : "—"],
    ];
    const dl = h("dl", { class: "rw-summary" });
    for (const [k, v] of items) dl.append(h("dt", {}, k), h("dd", {}, v));
    return h("section", { class: "rw-card", "aria-label": "Summary" }, h("h3", {}, "Summary"), dl);
  }

  // -- action bar -----------------------------------------------------------------------------

  private actionBar(r: DetailRow): HTMLElement {
    const bar = h("div", { class: "rw-actions", role: "toolbar", "aria-label": "Actions" });
    const available = new Map(r.detail.actions.map(([a, ok, why]) => [a, { ok, why }]));
    if (this.readOnly) {
      bar.appendChild(h("span", { class: "rw-badge rw-readonly", role: "note" },
        "Read-only: actions are switched off"));
    }
    for (const action of BAR) {
      if (action === "ANALYSIS" && !this.model.get("analysis_enabled")) continue;
      if (this.readOnly && action !== "ANALYSIS") continue;
      const state = available.get(action);
      if (!state) continue;
      // ENABLE only while disabled; DISABLE not while disabled (the state says it).
      if (action === "ENABLE" && !state.ok && r.status !== "Disabled") continue;
      if (action === "DISABLE" && r.status === "Disabled") continue;
      if ((action === "ENABLE" || action === "DISABLE") && r.provider === "argo") continue;
      const busy = this.pending.has(action);
      const btn = h("button", {
        type: "button",
        class: `rw-action rw-action-${action.toLowerCase()}${busy ? " rw-busy" : ""}`,
        "data-action": action,
        "data-focus-id": `action-${action}`,
        disabled: !state.ok || busy,
        "aria-disabled": !state.ok || busy ? "true" : null,
        title: state.ok ? describe(action) : state.why,
        "aria-busy": busy ? "true" : null,
      }, busy ? h("span", { class: "rw-spinner", "aria-hidden": "true" }) : null, action);
      // A disabled button gets no pointer events in some browsers: the tooltip sits on a wrapper.
      const wrap = h("span", { class: "rw-action-wrap", title: state.ok ? null : state.why }, btn);
      btn.addEventListener("click", () => this.onAction(action));
      bar.appendChild(wrap);
    }
    return bar;
  }

  private onAction(action: string): void {
    const r = this.row;
    if (!r) return;
    if (action === "ANALYSIS") {
      void this.openAnalysis(r);
      return;
    }
    const run = () => this.send(action, "action", { key: r.key, action });
    if (CONFIRMED.has(action)) this.confirm(confirmation(action, r), run);
    else run();
  }

  /** Send a request; spinner while pending; a toast with the result. */
  private async send(busyKey: string, op: string, args: Record<string, unknown>): Promise<Response> {
    this.pending.add(busyKey);
    this.render();
    let res: Response;
    try {
      res = await this.client.request(op, args);
    } finally {
      this.pending.delete(busyKey);
    }
    const label = busyKey.split(":")[0];
    this.toast(res.ok, res.ok ? `${label}: OK` : `${label}: ${res.code}`,
      res.message || resultMessage(res.result));
    this.render();
    return res;
  }

  // -- steps ----------------------------------------------------------------------------------

  private steps(r: DetailRow): HTMLElement {
    const section = h("section", { class: "rw-card", "aria-label": "Steps" }, h("h3", {}, `Steps (${r.step_count})`));
    if (!r.steps.length) {
      section.appendChild(h("div", { class: "rw-muted" }, "This rollout has no steps."));
      return section;
    }
    const list = h("ol", { class: "rw-steps", role: "list", "aria-label": "Step pipeline" });
    for (const step of r.steps) list.appendChild(this.stepCard(r, step));
    section.appendChild(list);
    return section;
  }

  private stepCard(r: DetailRow, step: Step): HTMLElement {
    const open = this.expanded.has(`step-${step.index}`);
    const current = step.state !== "done" && step.state !== "pending";
    const toggle = h("button", {
      type: "button",
      class: "rw-icon-btn rw-raw-toggle",
      "aria-expanded": open ? "true" : "false",
      "aria-label": `Show the raw JSON of step ${step.index}`,
      title: "Raw step JSON",
      "data-focus-id": `step-${step.index}`,
    }, "{ }");
    toggle.addEventListener("click", () => {
      if (open) this.expanded.delete(`step-${step.index}`);
      else this.expanded.add(`step-${step.index}`);
      this.render();
    });
    const countdown = current && r.paused_until
      ? h("span", { class: "rw-countdown", "data-until": r.paused_until, role: "timer" })
      : null;
    return h("li", {
      class: `rw-step rw-step-${step.state}`,
      role: "listitem",
      "data-state": step.state,
      "data-index": step.index,
      "aria-current": current ? "step" : null,
    },
      h("div", { class: "rw-step-line" },
        h("span", { class: "rw-step-icon", "aria-hidden": "true" }, icon(STEP_ICONS[step.state] ?? "circle")),
        h("span", { class: "rw-step-index" }, `${step.index}.`),
        h("span", { class: "rw-step-label" }, step.label),
        h("span", { class: "rw-step-state" }, STEP_STATE_LABEL[step.state] ?? step.state),
        toggle),
      current && (r.detail.progress || countdown)
        ? h("div", { class: "rw-step-progress" }, r.detail.progress, countdown)
        : null,
      open ? h("pre", { class: "rw-raw" }, step.raw) : null,
    );
  }

  /** Live countdowns and "time since" texts, once a second without a re-render. */
  updateClocks(): void {
    const now = this.env.now();
    for (const el of Array.from(this.root.querySelectorAll<HTMLElement>(".rw-countdown"))) {
      const until = Date.parse(el.dataset.until ?? "");
      if (Number.isNaN(until)) continue;
      el.textContent = until > now ? ` · resumes in ${shortDuration(until - now + 999)}` : " · resuming…";
    }
    for (const el of Array.from(this.root.querySelectorAll<HTMLElement>(".rw-contact"))) {
      const ago = since(el.dataset.since, now);
      el.textContent = ago ? ` · ${ago} ago` : "";
    }
  }

  // -- revisions ------------------------------------------------------------------------------

  private revisions(r: DetailRow): HTMLElement {
    const section = h("section", { class: "rw-card", "aria-label": "Revisions" }, h("h3", {}, "Revisions"));
    const revs = r.detail.revisions;
    if (!revs.length) section.appendChild(h("div", { class: "rw-muted" }, "No revisions found."));
    const rollback = new Map(r.detail.actions.map(([a, ok, why]) => [a, { ok, why }])).get("ROLLBACK");
    const releasing = revs.some((v) => v.role === "canary" || v.role === "preview");
    for (const rev of revs) {
      const card = h("details", { class: `rw-revision rw-role-${rev.role}`, "data-revision": rev.name });
      if (this.expanded.has(`rev-${rev.name}`) || rev.role !== "old") card.open = !this.expanded.has(`closed-${rev.name}`);
      card.addEventListener("toggle", () => {
        const closedKey = `closed-${rev.name}`;
        if (card.open) {
          this.expanded.add(`rev-${rev.name}`);
          this.expanded.delete(closedKey);
        } else {
          this.expanded.delete(`rev-${rev.name}`);
          this.expanded.add(closedKey);
        }
      });
      const squares = h("span", { class: "rw-pods", role: "list", "aria-label": `Pods of ${rev.name}` });
      for (const pod of rev.pods) {
        const tip = `${pod.name}: ${pod.state}${pod.reason ? ` (${pod.reason})` : ""}, ${pod.restarts} restart${pod.restarts === 1 ? "" : "s"}${pod.message ? ` - ${pod.message}` : ""}`;
        squares.appendChild(h("span", {
          class: `rw-pod rw-pod-${pod.state.toLowerCase()}`, role: "listitem", title: tip,
          "aria-label": tip, "data-pod": pod.name,
        }));
      }
      const canRoll = rev.role === "old" || (releasing && (rev.role === "stable" || rev.role === "active"));
      let rollbackBtn: HTMLElement | null = null;
      if (canRoll && rollback && this.model.get("rollback_enabled") && !this.readOnly) {
        const busy = this.pending.has(`ROLLBACK:${rev.name}`);
        const btn = h("button", {
          type: "button",
          class: `rw-action rw-rollback${busy ? " rw-busy" : ""}`,
          disabled: !rollback.ok || busy,
          "aria-disabled": !rollback.ok || busy ? "true" : null,
          title: rollback.ok ? `Roll back to this revision` : rollback.why,
          "data-focus-id": `rollback-${rev.name}`,
        }, busy ? h("span", { class: "rw-spinner", "aria-hidden": "true" }) : null, "ROLLBACK");
        btn.addEventListener("click", (e) => {
          e.preventDefault();
          this.confirm(rollbackConfirmation(r, rev), () =>
            // The ReplicaSet name: revision numbers repeat across a canary-style rollout's two
            // Deployments.
            this.send(`ROLLBACK:${rev.name}`, "rollback", { key: r.key, revision: rev.name }));
        });
        rollbackBtn = h("span", { class: "rw-action-wrap", title: rollback.ok ? null : rollback.why }, btn);
      }
      card.append(
        h("summary", {},
          h("span", { class: `rw-badge rw-role rw-role-badge-${rev.role}` }, rev.role),
          h("span", { class: "rw-rev-number" }, rev.revision !== null ? `rev ${rev.revision}` : rev.template_hash),
          h("span", { class: "rw-rev-ready", title: "ready/desired" }, ratio(rev.ready_replicas, rev.replicas)),
          squares,
          h("span", { class: "rw-spacer" }),
          rollbackBtn),
        h("div", { class: "rw-rev-body" },
          h("div", {}, h("span", { class: "rw-muted" }, "Name "), rev.name, rev.health ? ` · ${rev.health}` : ""),
          h("div", {}, h("span", { class: "rw-muted" }, "Images "), rev.images.join(", ") || "—")),
      );
      section.appendChild(card);
    }
    return section;
  }

  // -- containers -----------------------------------------------------------------------------

  private containers(r: DetailRow): HTMLElement {
    const section = h("section", { class: "rw-card", "aria-label": "Containers" }, h("h3", {}, "Containers"));
    if (!r.detail.containers.length) {
      section.appendChild(h("div", { class: "rw-muted" }, "The workload's pod template is not available."));
      return section;
    }
    const table = h("table", { class: "rw-table rw-containers" },
      h("thead", {}, h("tr", {}, h("th", {}, "Container"), h("th", {}, "Image"), h("th", {}, ""))));
    const tbody = h("tbody");
    for (const c of r.detail.containers) tbody.appendChild(this.containerRow(r, c));
    table.appendChild(tbody);
    section.appendChild(table);
    return section;
  }

  private containerRow(r: DetailRow, c: Container): HTMLElement {
    const id = `${c.init ? "init" : "main"}:${c.name}`;
    const name = h("td", {}, c.name, c.init ? h("span", { class: "rw-badge rw-init" }, "init") : null);
    const draft = this.editing.get(id);
    if (draft === undefined) {
      const edit = this.readOnly ? null : h("button", {
        type: "button", class: "rw-edit-image", "data-focus-id": `edit-${id}`,
        "aria-label": `Edit the image of ${c.name}`,
      }, "Edit");
      edit?.addEventListener("click", () => {
        this.editing.set(id, c.image);
        this.render();
        byFocusId(this.body, `image-${id}`)?.focus();
      });
      return h("tr", { "data-container": c.name }, name, h("td", { class: "rw-mono" }, c.image), h("td", {}, edit));
    }
    const input = h("input", {
      type: "text", class: "rw-image-input", value: draft, spellcheck: "false", autocomplete: "off",
      "aria-label": `New image for ${c.name}`, "data-focus-id": `image-${id}`,
    });
    const error = h("div", { class: "rw-field-error", role: "alert", "aria-live": "polite" });
    const busy = this.pending.has(`SET-IMAGE:${id}`);
    const apply = h("button", { type: "button", class: "rw-action rw-apply-image", disabled: busy }, busy ? h("span", { class: "rw-spinner" }) : null, "Apply");
    const cancel = h("button", { type: "button", class: "rw-cancel-image" }, "Cancel");
    const check = () => {
      const why = input.value === c.image ? "unchanged" : imageError(input.value);
      error.textContent = why && why !== "unchanged" ? `Invalid image: ${why}` : "";
      input.setAttribute("aria-invalid", why && why !== "unchanged" ? "true" : "false");
      apply.disabled = Boolean(why) || busy;
      this.editing.set(id, input.value);
    };
    input.addEventListener("input", check);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !apply.disabled) apply.click();
      if (e.key === "Escape") cancel.click();
    });
    cancel.addEventListener("click", () => {
      this.editing.delete(id);
      this.render();
    });
    apply.addEventListener("click", () => {
      const image = input.value.trim();
      if (imageError(image)) return check();
      this.confirm(imageConfirmation(r, c.name, c.init, image), async () => {
        const res = await this.send(`SET-IMAGE:${id}`, "set_image", { key: r.key, container: c.name, image, init: c.init });
        if (res.ok) this.editing.delete(id);
        this.render();
      });
    });
    check();
    return h("tr", { "data-container": c.name, class: "rw-editing" }, name,
      h("td", {}, input, error), h("td", { class: "rw-nowrap" }, apply, " ", cancel));
  }

  // -- events and timeline --------------------------------------------------------------------

  private events(r: DetailRow): HTMLElement {
    const section = h("section", { class: "rw-card", "aria-label": "Events" }, h("h3", {}, "Events"));
    const events = r.detail.events;
    if (!events.length) {
      section.appendChild(h("div", { class: "rw-muted" }, "No recent events."));
      return section;
    }
    const list = h("ul", { class: "rw-events", "aria-label": "Latest events" });
    const now = this.env.now();
    for (const e of events.slice(0, 20)) {
      list.appendChild(h("li", { class: e.type === "Warning" ? "rw-event rw-warning" : "rw-event" },
        h("div", { class: "rw-event-head" },
          h("span", { class: "rw-event-age", title: e.ts ?? "" }, e.ts ? `${since(e.ts, now)} ago` : ""),
          h("span", { class: "rw-event-reason" }, e.reason, e.count > 1 ? ` ×${e.count}` : ""),
          h("span", { class: "rw-muted rw-event-object" }, `${e.object_kind}/${e.object_name}`),
          e.type !== "Normal" ? h("span", { class: "rw-badge rw-event-type" }, e.type) : null),
        h("div", { class: "rw-event-message" }, e.message)));
    }
    section.appendChild(list);
    return section;
  }

  private timeline(r: DetailRow): HTMLElement {
    const section = h("section", { class: "rw-card", "aria-label": "Timeline" }, h("h3", {}, "Timeline"));
    const pts = r.detail.timeline.map((p) => ({ ...p, t: Date.parse(p.ts) })).filter((p) => !Number.isNaN(p.t));
    if (pts.length < 1) {
      section.appendChild(h("div", { class: "rw-muted" }, "No changes seen since the panel opened."));
      return section;
    }
    const maxStep = Math.max(1, ...pts.map((p) => p.steps));
    const chart = lineChart([
      { label: "set weight %", cls: "rw-s-weight", step: true,
        points: pts.filter((p) => p.weight !== null).map((p) => ({ t: p.t, v: p.weight as number })) },
      { label: "actual weight %", cls: "rw-s-actual", step: true,
        points: pts.filter((p) => p.actual !== null).map((p) => ({ t: p.t, v: p.actual as number })) },
      { label: "step (as % of steps)", cls: "rw-s-step", step: true,
        points: pts.filter((p) => p.step !== null).map((p) => ({ t: p.t, v: Math.round(((p.step as number) / maxStep) * 100) })) },
    ], { title: `Step and weight of ${r.name} over time`, yMin: 0, yMax: 100, width: 360, height: 130, timeAxis: true,
      xMax: this.env.now() }); // event times come from the kernel's clock, like the browser's
    section.append(chart, h("div", { class: "rw-legend" },
      h("span", { class: "rw-key rw-s-weight" }, "set weight"),
      h("span", { class: "rw-key rw-s-actual" }, "actual weight"),
      h("span", { class: "rw-key rw-s-step" }, `step (of ${maxStep})`)));
    return section;
  }

  // -- dialogs and toasts ---------------------------------------------------------------------

  /** A modal confirmation (role="alertdialog") with Cancel and the confirm button. */
  confirm(c: Confirmation, onConfirm: () => unknown): void {
    this.lastFocus = document.activeElement as HTMLElement | null;
    const titleId = `rw-dlg-${Math.random().toString(36).slice(2, 8)}`;
    const cancel = h("button", { type: "button", class: "rw-cancel" }, "Cancel");
    const ok = h("button", { type: "button", class: `rw-confirm${c.danger ? " rw-danger" : ""}` }, c.confirm);
    const dialog = h("div", {
      class: "rw-dialog", role: "alertdialog", "aria-modal": "true", "aria-labelledby": titleId,
      "aria-describedby": `${titleId}-body`,
    },
      h("h3", { id: titleId }, c.title),
      h("p", { id: `${titleId}-body` }, c.body),
      h("div", { class: "rw-dialog-buttons" }, cancel, ok));
    const close = () => {
      replaceChildren(this.dialogHost);
      this.lastFocus?.focus?.();
    };
    cancel.addEventListener("click", close);
    ok.addEventListener("click", () => {
      close();
      void onConfirm();
    });
    dialog.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        close();
      }
    });
    replaceChildren(this.dialogHost, h("div", { class: "rw-backdrop" }, dialog));
    cancel.focus();
  }

  private async openAnalysis(r: DetailRow): Promise<void> {
    this.pending.add("ANALYSIS");
    this.render();
    let res: Response;
    try {
      res = await this.client.request("analysis", { key: r.key });
    } finally {
      this.pending.delete("ANALYSIS");
      this.render();
    }
    if (!res.ok) {
      this.toast(false, `ANALYSIS: ${res.code}`, res.message);
      return;
    }
    const close = () => replaceChildren(this.dialogHost);
    const dialog = renderAnalysis(res.result as AnalysisSummary, `${r.namespace}/${r.name}`, close, this.env.now);
    replaceChildren(this.dialogHost, h("div", { class: "rw-backdrop" }, dialog));
    dialog.querySelector<HTMLElement>("[role=tab]")?.focus();
  }

  /** A toast: success (role="status") goes away by itself; an error (role="alert") stays. */
  toast(ok: boolean, title: string, message: string): void {
    const close = h("button", { type: "button", class: "rw-icon-btn rw-toast-close", "aria-label": "Dismiss" }, "×");
    const el = h("div", { class: `rw-toast ${ok ? "rw-toast-ok" : "rw-toast-error"}`, role: ok ? "status" : "alert" },
      h("div", { class: "rw-toast-text" }, h("strong", {}, title), message ? h("div", {}, message) : null), close);
    close.addEventListener("click", () => el.remove());
    this.toasts.appendChild(el);
    if (ok) window.setTimeout(() => el.remove(), TOAST_MS);
  }
}

function weightText(set: number | null, actual: number | null): string {
  if (set === null && actual === null) return "—";
  const pct = (v: number | null) => (v === null ? "—" : `${v}%`);
  return `${pct(set)} set · ${pct(actual)} actual`;
}

/** The element carrying data-focus-id=`id` (ids hold cluster strings: no selector building). */
function byFocusId(root: HTMLElement, id: string): HTMLElement | undefined {
  return Array.from(root.querySelectorAll<HTMLElement>("[data-focus-id]")).find((e) => e.dataset.focusId === id);
}

function describe(action: string): string {
  const help: Record<string, string> = {
    RESTART: "Restart the pods (a new revision)",
    RETRY: "Retry the current step / an aborted update",
    PAUSE: "Pause the rollout",
    RESUME: "Un-pause the rollout (does not approve a step)",
    DISABLE: "Disable the rollout: the release completes to the new version",
    ENABLE: "Enable the rollout again",
    PROMOTE: "Approve the current step: move one step on",
    "PROMOTE-FULL": "Skip all remaining steps: release to 100% now",
    ABORT: "Abort the update",
    ANALYSIS: "Show the analysis runs",
  };
  return help[action] ?? action;
}

function resultMessage(result: unknown): string {
  if (result && typeof result === "object" && "message" in result) {
    return String((result as { message: unknown }).message ?? "");
  }
  return "";
}

