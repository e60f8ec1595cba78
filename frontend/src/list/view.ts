// The live rollout list: toolbar (search, toggles with counts, "n of N shown", connection),
// a virtualised grid, empty states and a keyboard-help dialog. Rows come from the protocol
// client; filters, sort and selection live in the model's traits.

import { h, replaceChildren } from "../common/dom";
import {
  ALL, ATTENTION, compile, rowStatus, STATUS, type FilterState,
} from "../common/filters";
import { shortDuration } from "../common/format";
import { bindShortcuts, SHORTCUTS, type KeyAction } from "../common/keyboard";
import { ProtocolClient, type Model } from "../common/protocol";
import type { Row } from "../common/row";
import { RowStore } from "../common/rowstore";
import { fromSearch, inVoila, toSearch } from "../common/urlstate";
import { COLUMNS, type Column } from "./columns";
import { nextSort, parseSort, sortRows } from "./sort";

export const TOGGLE_STATUSES = ["Healthy", "Progressing", "Paused", "Failed", "Disabled"];
export const FAVORITES_KEY = "rollouts-widgets:favorites";
const ROW_HEIGHT = 28;
const OVERSCAN = 8;
const FLASH_MS = 1500;
const CHANGED = COLUMNS.find((c) => c.id === "changed")!;

interface RenderedRow {
  el: HTMLElement;
  row: Row;
  state: string; // cursor|open|favourite|flashing when built
  index: number; // position it is drawn at
}

export interface ListEnv {
  now: () => number;
  storage: Storage | null;
  rowHeight: number;
}

function defaultStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // sandboxed frame
  }
}

export class ListView {
  readonly root: HTMLElement;
  readonly store: RowStore;
  readonly client: ProtocolClient;
  private env: ListEnv;
  private search: HTMLInputElement;
  private attentionBtn: HTMLButtonElement;
  private favoritesBtn: HTMLButtonElement;
  private statusBtns = new Map<string, HTMLButtonElement>();
  private shown: HTMLElement;
  private conn: HTMLElement;
  private connStatus: HTMLElement;
  private connAgo: HTMLElement;
  private alert: HTMLElement;
  private grid: HTMLElement;
  private head: HTMLElement;
  private scroller: HTMLElement;
  private body: HTMLElement;
  private empty: HTMLElement;
  private help: HTMLElement;
  private columns: Column[] = COLUMNS;
  private sorted: Row[] = [];
  private sortedVersion = -1;
  private sortedBy = "";
  private severalClusters = false;
  /** The rows the user sees, in order (after filters and sort). */
  visible: Row[] = [];
  private rendered = new Map<string, RenderedRow>();
  private viewport = -1; // px; -1: measure again
  private resizeObserver: ResizeObserver | null = null;
  private cursor: string | null = null;
  private favorites = new Set<string>();
  private syncUrl = false;
  private frame = 0;
  private stale = true; // filters, rows or traits changed since the last full render
  private querySave = 0;
  private disposers: (() => void)[] = [];
  private everLive = false;

  constructor(
    private model: Model,
    el: HTMLElement,
    env: Partial<ListEnv> = {},
  ) {
    this.env = { now: () => Date.now(), storage: defaultStorage(), rowHeight: ROW_HEIGHT, ...env };
    this.store = new RowStore(this.env.now);
    this.client = new ProtocolClient(model, this.store);

    this.search = h("input", {
      type: "search",
      role: "searchbox",
      class: "rw-search",
      "aria-label": "Search rollouts",
      placeholder: "Search ( / ): name, image, label:value, !not, a, b",
      spellcheck: "false",
      autocomplete: "off",
    });
    this.attentionBtn = h("button", { type: "button", class: "rw-toggle rw-attention-toggle" });
    this.favoritesBtn = h("button", {
      type: "button",
      class: "rw-toggle rw-fav-toggle",
      "aria-label": "Show favourites only",
      title: "Show favourites only",
    });
    const statusGroup = h("div", { class: "rw-group", role: "group", "aria-label": "Status" });
    for (const status of TOGGLE_STATUSES) {
      const btn = h("button", {
        type: "button",
        class: `rw-toggle rw-status-toggle rw-status-${status.toLowerCase()}`,
        "data-status": status,
      });
      btn.addEventListener("click", () => this.toggleStatus(status));
      this.statusBtns.set(status, btn);
      statusGroup.appendChild(btn);
    }
    this.shown = h("span", { class: "rw-shown", "aria-live": "polite" });
    this.connStatus = h("span", { role: "status" });
    this.connAgo = h("span", { class: "rw-ago" });
    this.conn = h("span", { class: "rw-conn" }, this.connStatus, this.connAgo);
    const helpBtn = h("button", {
      type: "button",
      class: "rw-icon-btn",
      "aria-label": "Keyboard shortcuts",
      title: "Keyboard shortcuts (Shift+H)",
    }, "?");
    this.alert = h("div", { class: "rw-alert", role: "alert", hidden: true });

    this.head = h("div", { class: "rw-row rw-head", role: "row", "aria-rowindex": 1 });
    this.body = h("div", { class: "rw-body", role: "rowgroup" });
    this.scroller = h("div", { class: "rw-scroller" }, this.head, this.body);
    this.grid = h("div", { class: "rw-grid", role: "grid", "aria-label": "Rollouts" }, this.scroller);
    this.empty = h("div", { class: "rw-empty", role: "status", hidden: true });
    this.help = this.buildHelp();

    this.root = h(
      "div",
      { class: "rw-root rw-list" },
      h("div", { class: "rw-toolbar" }, this.search, this.attentionBtn, statusGroup,
        this.favoritesBtn, this.shown, h("span", { class: "rw-spacer" }), this.conn, helpBtn),
      this.help, // in the flow, so no host's overflow clipping can cut it off
      this.alert,
      this.grid,
      this.empty,
    );
    el.appendChild(this.root);

    this.search.value = String(model.get("query") ?? "");
    this.search.addEventListener("input", () => this.setQuery(this.search.value));
    this.attentionBtn.addEventListener("click", () =>
      this.setTrait("needs_attention", !model.get("needs_attention")));
    this.favoritesBtn.addEventListener("click", () =>
      this.setTrait("favorites_only", !model.get("favorites_only")));
    helpBtn.addEventListener("click", () => this.toggleHelp());
    // Scroll events already come once per frame: draw the rows in view at once.
    this.scroller.addEventListener("scroll", () => (this.stale ? this.schedule() : this.renderRows()));
    this.body.addEventListener("click", (e) => this.onBodyClick(e));

    this.initFavorites();
    this.cursor = model.get("selected") || null;
    this.syncUrl = model.get("sync_url") ?? inVoila();
    if (this.syncUrl) this.restoreFromUrl();

    const refresh = () => this.schedule();
    const traits = ["query", "statuses", "needs_attention", "favorites_only", "sort", "selected",
      "mode", "mode_reason", "last_contact", "last_error", "no_crds", "scope", "loaded"];
    for (const t of traits) model.on(`change:${t}`, refresh);
    const onFavorites = () => this.favoritesFromModel();
    model.on("change:favorites", onFavorites);
    const onQuery = () => {
      const q = String(model.get("query") ?? "");
      if (q !== this.search.value && document.activeElement !== this.search) this.search.value = q;
    };
    model.on("change:query", onQuery);
    const onSelected = () => {
      if (model.get("selected")) this.cursor = model.get("selected"); // e.g. set from Python
    };
    model.on("change:selected", onSelected);
    this.disposers.push(() => {
      for (const t of traits) model.off(`change:${t}`, refresh);
      model.off("change:favorites", onFavorites);
      model.off("change:query", onQuery);
      model.off("change:selected", onSelected);
    });
    this.disposers.push(this.store.subscribe(refresh));
    this.disposers.push(bindShortcuts(this.root, (a) => this.onKey(a)));
    const ticker = setInterval(() => this.tick(), 1000);
    this.disposers.push(() => clearInterval(ticker));

    this.render();
    this.client.start();
  }

  dispose(): void {
    for (const d of this.disposers) d();
    this.client.dispose();
    if (this.frame) cancelAnimationFrame(this.frame);
    clearTimeout(this.querySave);
    this.root.remove();
  }

  // -- state changes ----------------------------------------------------------------------

  private setTrait(name: string, value: unknown): void {
    this.model.set(name, value);
    this.model.save_changes();
    this.render(); // at once: the user's own click must show before the next frame
  }

  private setQuery(query: string): void {
    // Filter now; tell the kernel a moment later (one message per pause, not per key).
    this.model.set("query", query);
    clearTimeout(this.querySave);
    this.querySave = window.setTimeout(() => this.model.save_changes(), 250);
    this.render();
  }

  private toggleStatus(status: string): void {
    const current: string[] = [...(this.model.get("statuses") ?? [])];
    const i = current.indexOf(status);
    if (i >= 0) current.splice(i, 1);
    else current.push(status);
    this.setTrait("statuses", TOGGLE_STATUSES.filter((s) => current.includes(s)));
  }

  clearFilters(): void {
    this.search.value = "";
    this.model.set("query", "");
    this.model.set("statuses", []);
    this.model.set("needs_attention", false);
    this.model.set("favorites_only", false);
    this.model.save_changes();
    this.render();
  }

  private initFavorites(): void {
    const fromModel: string[] = this.model.get("favorites") ?? [];
    let stored: string[] = [];
    try {
      const raw = this.env.storage?.getItem(FAVORITES_KEY);
      const parsed = raw ? JSON.parse(raw) : [];
      if (Array.isArray(parsed)) stored = parsed.filter((k) => typeof k === "string");
    } catch {
      stored = []; // unreadable storage: the trait still has them
    }
    this.favorites = new Set([...fromModel, ...stored]);
    this.saveFavorites(fromModel);
  }

  private favoritesFromModel(): void {
    this.favorites = new Set(this.model.get("favorites") ?? []);
    this.saveFavorites(this.model.get("favorites") ?? []);
    this.schedule();
  }

  /** Write favourites to localStorage, and to the trait when it differs. */
  private saveFavorites(current: string[]): void {
    const list = Array.from(this.favorites).sort();
    try {
      this.env.storage?.setItem(FAVORITES_KEY, JSON.stringify(list));
    } catch {
      // quota or privacy mode: the trait still carries them
    }
    if (JSON.stringify([...current].sort()) !== JSON.stringify(list)) {
      this.model.set("favorites", list);
      this.model.save_changes();
    }
  }

  toggleFavorite(key: string): void {
    if (this.favorites.has(key)) this.favorites.delete(key);
    else this.favorites.add(key);
    this.saveFavorites(this.model.get("favorites") ?? []);
    this.schedule();
  }

  private async open(key: string): Promise<void> {
    this.cursor = key || null;
    this.schedule();
    const res = await this.client.request("select", { key });
    this.showAlert(res.ok ? "" : res.message);
  }

  private showAlert(message: string): void {
    this.alert.textContent = message;
    this.alert.hidden = !message;
  }

  // -- URL sync -------------------------------------------------------------------------------

  private restoreFromUrl(): void {
    const state = fromSearch(window.location.search);
    // The URL is anyone's to edit: keep only values the widget could have written.
    if (state.statuses) state.statuses = state.statuses.filter((s) => TOGGLE_STATUSES.includes(s));
    if (state.sort !== undefined && state.sort !== "" && parseSort(state.sort).column === null) {
      delete state.sort;
    }
    const { selected, ...filters } = state;
    for (const [name, value] of Object.entries(filters)) this.model.set(name, value);
    if (Object.keys(filters).length) this.model.save_changes();
    if (state.query !== undefined) this.search.value = state.query;
    if (selected) void this.open(selected);
  }

  private writeUrl(): void {
    const search = toSearch(
      {
        query: this.model.get("query") ?? "",
        statuses: this.model.get("statuses") ?? [],
        needs_attention: Boolean(this.model.get("needs_attention")),
        favorites_only: Boolean(this.model.get("favorites_only")),
        sort: this.model.get("sort") ?? "",
        selected: this.model.get("selected") ?? "",
      },
      window.location.search,
    );
    if (search !== window.location.search) {
      const { pathname, hash } = window.location;
      window.history.replaceState(window.history.state, "", `${pathname}${search}${hash}`);
    }
  }

  // -- keyboard -------------------------------------------------------------------------------

  onKey(action: KeyAction): void {
    if (action === "focus-search") {
      this.search.focus();
      this.search.select();
    } else if (action === "toggle-help") {
      this.toggleHelp();
    } else if (action === "escape") {
      if (!this.help.hidden) this.toggleHelp(false);
      else {
        this.cursor = null;
        if (this.model.get("selected")) void this.open("");
        this.schedule();
      }
    } else if (action === "up" || action === "down") {
      this.moveCursor(action === "up" ? -1 : 1);
    } else if (action === "open" && this.cursor) {
      void this.open(this.cursor);
    }
  }

  private toggleHelp(show = this.help.hidden): void {
    this.help.hidden = !show;
    if (show) (this.help.querySelector("button") as HTMLElement | null)?.focus();
    else this.root.focus();
  }

  private moveCursor(delta: number): void {
    if (!this.visible.length) return;
    const i = this.cursor ? this.visible.findIndex((r) => r.key === this.cursor) : -1;
    const next = i < 0 ? (delta > 0 ? 0 : this.visible.length - 1)
      : Math.min(this.visible.length - 1, Math.max(0, i + delta));
    this.cursor = this.visible[next].key;
    this.scrollIntoView(next);
    this.renderRows();
  }

  private scrollIntoView(index: number): void {
    const rh = this.env.rowHeight;
    const top = index * rh;
    const view = this.scroller.clientHeight - this.head.offsetHeight;
    const scrollTop = this.scroller.scrollTop;
    if (top < scrollTop) this.scroller.scrollTop = top;
    else if (view > 0 && top + rh > scrollTop + view) this.scroller.scrollTop = top + rh - view;
  }

  // -- rendering ------------------------------------------------------------------------------

  /** Redraw at the next frame: everything, or (scrolling) only the rows in view. */
  private schedule(rowsOnly = false): void {
    if (!rowsOnly) this.stale = true;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.stale) this.render();
      else this.renderRows();
    });
  }

  private filterState(): FilterState {
    return {
      query: this.model.get("query") ?? "",
      statuses: this.model.get("statuses") ?? [],
      needs_attention: Boolean(this.model.get("needs_attention")),
      favorites_only: Boolean(this.model.get("favorites_only")),
      favorites: Array.from(this.favorites),
    };
  }

  /** Recompute the visible rows and counts, then draw the toolbar, the grid and any empty state. */
  render(): void {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    this.stale = false;
    const sort = String(this.model.get("sort") ?? "");
    if (this.sortedVersion !== this.store.version || this.sortedBy !== sort) {
      this.sorted = sortRows(this.store.all(), sort);
      this.severalClusters = new Set(this.sorted.map((r) => r.cluster)).size > 1;
      this.sortedVersion = this.store.version;
      this.sortedBy = sort;
    }
    const state = this.filterState();
    const judge = compile(state);
    const statusCounts = new Map<string, number>();
    let attentionCount = 0;
    const visible: Row[] = [];
    // Each toggle counts the rows that the other filters let through.
    const notStatus = ALL & ~STATUS;
    const notAttention = ALL & ~ATTENTION;
    for (const row of this.sorted) {
      const bits = judge(row);
      if ((bits & notStatus) === notStatus) {
        const s = rowStatus(row);
        statusCounts.set(s, (statusCounts.get(s) ?? 0) + 1);
      }
      if ((bits & notAttention) === notAttention && row.needs_attention) attentionCount++;
      if (bits === ALL) visible.push(row);
    }
    this.visible = visible;

    this.attentionBtn.setAttribute("aria-pressed", String(state.needs_attention));
    replaceChildren(this.attentionBtn, "⚠ Needs attention ",
      h("span", { class: "rw-count" }, attentionCount));
    for (const [status, btn] of this.statusBtns) {
      btn.setAttribute("aria-pressed", String(state.statuses.includes(status)));
      replaceChildren(btn, `${status} `,
        h("span", { class: "rw-count" }, statusCounts.get(status.toLowerCase()) ?? 0));
    }
    this.favoritesBtn.setAttribute("aria-pressed", String(state.favorites_only));
    replaceChildren(this.favoritesBtn, state.favorites_only ? "★" : "☆",
      ` ${this.favorites.size}`);
    this.shown.textContent = `${visible.length} of ${this.store.size} shown`;
    this.renderConnection();

    const columns = COLUMNS.filter((c) => c.id !== "cluster" || this.severalClusters);
    if (columns.length !== this.columns.length) this.rendered.clear();
    this.columns = columns;
    const template = ["28px", ...columns.map((c) => c.width)].join(" ");
    this.grid.style.setProperty("--rw-columns", template);
    this.grid.setAttribute("aria-rowcount", String(visible.length + 1));
    this.renderHead(sort);
    this.renderEmpty(state);
    this.renderRows();
    if (this.syncUrl) this.writeUrl();
  }

  private renderHead(sort: string): void {
    const { column, descending } = parseSort(sort);
    const key = `${sort}|${this.columns.map((c) => c.id).join(",")}`;
    if (this.head.dataset.state === key) return;
    this.head.dataset.state = key;
    const cells = [h("div", { role: "columnheader", class: "rw-cell rw-star-cell", "aria-label": "Favourite" }, "★")];
    for (const c of this.columns) {
      const sorted = c.sort !== null && c.sort === column;
      const ariaSort = sorted ? (descending ? "descending" : "ascending") : "none";
      const arrow = sorted ? (descending ? " ▼" : " ▲") : "";
      const btn = h("button", { type: "button", class: "rw-sort", "data-sort": c.sort ?? "" },
        c.title, h("span", { "aria-hidden": "true" }, arrow));
      if (c.sort) {
        const by = c.sort;
        btn.addEventListener("click", () => this.setTrait("sort", nextSort(String(this.model.get("sort") ?? ""), by)));
      }
      cells.push(h("div", { role: "columnheader", class: `rw-cell rw-col-${c.id}`, "aria-sort": ariaSort }, btn));
    }
    replaceChildren(this.head, ...cells);
  }

  private renderEmpty(state: FilterState): void {
    let content: (Node | string)[] = [];
    const loading = !this.store.loaded || !this.model.get("loaded");
    if (this.store.size === 0 && loading) content = ["Loading rollouts…"];
    else if (this.store.size === 0 && this.model.get("no_crds")) {
      content = [
        h("strong", {}, "No rollout CRDs on this cluster."),
        " Install OpenKruise Rollouts (rollouts.kruise.io) or Argo Rollouts (argoproj.io) to see rollouts here.",
      ];
    } else if (this.store.size === 0) {
      content = [`No rollouts in ${this.model.get("scope") || "this cluster"}.`];
    } else if (this.visible.length === 0) {
      const clear = h("button", { type: "button", class: "rw-clear" }, "Clear filters");
      clear.addEventListener("click", () => this.clearFilters());
      const what = state.query ? `“${state.query}”` : "the filters";
      content = [`No rollout matches ${what}. `, clear];
    }
    this.empty.hidden = content.length === 0;
    this.grid.hidden = content.length > 0 && this.store.size === 0;
    replaceChildren(this.empty, ...content);
  }

  private renderRows(): void {
    const rh = this.env.rowHeight;
    const height = `${this.visible.length * rh}px`;
    if (this.body.style.height !== height) this.body.style.height = height;
    const viewport = this.viewportHeight();
    const scrollTop = this.scroller.scrollTop;
    const visibleCount = viewport > 0 ? Math.ceil(viewport / rh) : 20; // 20: no layout (tests)
    const first = Math.max(0, Math.floor(scrollTop / rh) - OVERSCAN);
    const last = Math.min(this.visible.length, Math.floor(scrollTop / rh) + visibleCount + OVERSCAN);
    const now = this.env.now();
    const selected = this.model.get("selected") || "";
    const keep = new Map<string, RenderedRow>();
    for (let i = first; i < last; i++) {
      const row = this.visible[i];
      const flashing = (this.store.changedAt(row.key) ?? -Infinity) > now - FLASH_MS;
      const state = `${this.cursor === row.key}|${selected === row.key}|${this.favorites.has(row.key)}|${flashing}`;
      let entry = this.rendered.get(row.key);
      if (!entry || entry.row !== row || entry.state !== state) {
        const el = this.buildRow(row, now, flashing);
        if (entry) entry.el.replaceWith(el);
        else this.body.appendChild(el);
        entry = { el, row, state, index: -1 };
      }
      if (entry.index !== i) { // touch the DOM only where a row moved
        entry.index = i;
        entry.el.style.transform = `translateY(${i * rh}px)`;
        entry.el.setAttribute("aria-rowindex", String(i + 2));
      }
      keep.set(row.key, entry);
    }
    for (const [key, entry] of this.rendered) if (!keep.has(key)) entry.el.remove();
    // DOM order = visual order, for screen readers and anyone reading the grid's rows.
    let i = 0;
    for (const { el } of keep.values()) {
      if (this.body.children[i] !== el) this.body.insertBefore(el, this.body.children[i] ?? null);
      i++;
    }
    this.rendered = keep;
  }

  /** Height of the rows' viewport, kept by a ResizeObserver (no layout read per frame). */
  private viewportHeight(): number {
    if (this.viewport > 0) return this.viewport;
    const measured = Math.max(0, this.scroller.clientHeight - this.head.offsetHeight);
    if (measured > 0 && typeof ResizeObserver !== "undefined") { // 0: hidden, measure again
      this.viewport = measured;
      if (!this.resizeObserver) {
        this.resizeObserver = new ResizeObserver(() => (this.viewport = -1));
        this.resizeObserver.observe(this.scroller);
        this.disposers.push(() => this.resizeObserver?.disconnect());
      }
    }
    return measured;
  }

  private buildRow(row: Row, now: number, flashing: boolean): HTMLElement {
    const fav = this.favorites.has(row.key);
    const star = h("button", {
      type: "button",
      class: "rw-star",
      "data-action": "favorite",
      "aria-pressed": String(fav),
      "aria-label": `Favourite ${row.namespace}/${row.name}`,
      title: fav ? "Remove from favourites" : "Add to favourites",
    }, fav ? "★" : "☆");
    const classes = ["rw-row"];
    if (this.cursor === row.key) classes.push("rw-cursor");
    if (this.model.get("selected") === row.key) classes.push("rw-open");
    if (row.needs_attention) classes.push("rw-needs-attention");
    const el = h("div", {
      role: "row",
      class: classes.join(" "),
      "data-key": row.key,
      "aria-selected": String(this.cursor === row.key),
    }, h("div", { role: "gridcell", class: "rw-cell rw-star-cell" }, star));
    for (const c of this.columns) {
      el.appendChild(h("div", { role: "gridcell", class: `rw-cell rw-col-${c.id}` }, c.cell(row, now)));
    }
    if (flashing) {
      el.classList.add("rw-flash");
      const elapsed = now - (this.store.changedAt(row.key) ?? now);
      el.style.animationDelay = `-${elapsed}ms`; // keep the flash's phase across re-renders
    }
    return el;
  }

  private onBodyClick(e: Event): void {
    const target = e.target as Element;
    const rowEl = target.closest("[data-key]");
    if (!rowEl) return;
    const key = rowEl.getAttribute("data-key")!;
    if (target.closest('[data-action="favorite"]')) this.toggleFavorite(key);
    else void this.open(key);
  }

  private renderConnection(): void {
    const mode = String(this.model.get("mode") ?? "connecting");
    const reason = String(this.model.get("mode_reason") ?? "");
    if (mode === "watch") this.everLive = true;
    const last = this.model.get("last_contact");
    const ago = last ? shortDuration(this.env.now() - Date.parse(last)) : "";
    const labels: Record<string, string> = {
      watch: "Live",
      polling: "Polling (fallback)",
      connecting: this.everLive ? "Reconnecting" : "Connecting",
      stopped: "Stopped",
    };
    const label = labels[mode] ?? mode;
    const error = String(this.model.get("last_error") ?? "");
    this.conn.className = `rw-conn rw-conn-${mode}`;
    this.conn.title = [reason ? `${label}: ${reason}` : label, error && `Last error: ${error}`]
      .filter(Boolean).join("\n");
    // The status region changes only with the state; the ticking age sits outside it, so
    // a screen reader is not told the time every second.
    const state = `${label}|${mode === "polling" ? reason : ""}`;
    if (this.connStatus.dataset.state !== state) {
      this.connStatus.dataset.state = state;
      replaceChildren(this.connStatus,
        h("span", { class: "rw-dot", "aria-hidden": "true" }, "●"),
        ` ${label}`,
        mode === "polling" && reason ? h("span", { class: "rw-reason" }, `: ${reason}`) : null);
    }
    this.connAgo.textContent = ago ? ` · ${ago} ago` : "";
  }

  /** Once a second: times since the last contact and since each row's change, end of flashes. */
  private tick(): void {
    this.renderConnection();
    const now = this.env.now();
    for (const { el, row } of this.rendered.values()) {
      const cell = el.querySelector(".rw-col-changed .rw-text");
      if (cell) cell.textContent = CHANGED.cell(row, now).textContent;
    }
  }

  private buildHelp(): HTMLElement {
    const close = h("button", { type: "button", class: "rw-icon-btn", "aria-label": "Close help" }, "✕");
    close.addEventListener("click", () => this.toggleHelp(false));
    const rows = SHORTCUTS.map(([k, what]) => h("tr", {}, h("th", {}, h("kbd", {}, k)), h("td", {}, what)));
    return h("div", { class: "rw-help", role: "dialog", "aria-label": "Keyboard shortcuts", hidden: true },
      h("div", { class: "rw-help-head" }, h("strong", {}, "Keyboard shortcuts"), close),
      h("table", {}, h("tbody", {}, ...rows)),
      h("p", {}, "Search: words AND, commas OR, !negates, key:value matches labels, \"quotes\" keep spaces."));
  }
}
