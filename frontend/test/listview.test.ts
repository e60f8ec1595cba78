import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAVORITES_KEY, ListView } from "../src/list/view";
import { sortRows } from "../src/list/sort";
import { FakeModel, row } from "./fakemodel";
import sortVectors from "./sort_vectors.json";

const XSS = "<img src=x onerror=alert(1)>";

function mount(state: Record<string, unknown> = {}, rows = [row("a"), row("b")]) {
  const model = new FakeModel(state);
  const el = document.createElement("div");
  document.body.appendChild(el);
  const view = new ListView(model, el, { storage: window.localStorage });
  const ready = model.sent.find((m) => m.type === "ready");
  model.receive({ type: "snapshot", view: ready.view, seq: 0, chunk: 0, chunks: 1, rows });
  view.render();
  return { model, el, view };
}

const keys = (el: HTMLElement) =>
  [...el.querySelectorAll('[role="grid"] [role="row"][data-key]')].map((r) => r.getAttribute("data-key"));
const press = (key: string, target: EventTarget = document.body, shiftKey = false) =>
  target.dispatchEvent(new KeyboardEvent("keydown", { key, shiftKey, bubbles: true, cancelable: true }));

beforeEach(() => window.localStorage.clear());
afterEach(() => (document.body.innerHTML = ""));

describe("ListView", () => {
  it("renders rows with accessible markup and counts", () => {
    const { el } = mount({}, [row("a"), row("b", { status: "Failed", needs_attention: true })]);
    expect(el.querySelector('[role="grid"]')).not.toBeNull();
    expect(keys(el)).toEqual(["c1/shop/a", "c1/shop/b"]);
    expect(el.querySelector('[role="searchbox"]')).not.toBeNull();
    expect(el.querySelector(".rw-shown")!.textContent).toBe("2 of 2 shown");
    const failed = el.querySelector('[data-status="Failed"]')!;
    expect(failed.getAttribute("aria-pressed")).toBe("false");
    expect(failed.textContent).toBe("Failed 1");
    expect(el.querySelector(".rw-attention-toggle")!.textContent).toBe("⚠ Needs attention 1");
    expect(el.querySelector('[role="dialog"]')!.hasAttribute("hidden")).toBe(true);
    for (const btn of el.querySelectorAll("button")) {
      expect(btn.textContent!.trim() || btn.getAttribute("aria-label")).toBeTruthy();
    }
    expect(el.querySelector('[role="columnheader"].rw-col-cluster')).toBeNull(); // one cluster
  });

  it("renders cluster strings as text, never as HTML", () => {
    const { el } = mount({}, [row(XSS, { message: XSS, images: [XSS], labels: { note: XSS } })]);
    expect(el.querySelector("img")).toBeNull();
    const name = el.querySelector(".rw-name")!;
    expect(name.textContent).toBe(XSS);
    expect(el.querySelector(".rw-status")!.getAttribute("title")).toBe(XSS);
  });

  it("filters with the search grammar, toggles, favourites; offers to clear", () => {
    const rows = [row("a"), row("b", { status: "Failed" }), row("c", { status: "Paused", needs_attention: true })];
    const { el, model, view } = mount({}, rows.map((r) => ({ ...r, workload_name: `app-${r.name}` })));
    const search = el.querySelector<HTMLInputElement>('[role="searchbox"]')!;
    search.value = "!app-a";
    search.dispatchEvent(new Event("input"));
    expect(keys(el)).toEqual(["c1/shop/b", "c1/shop/c"]);
    expect(model.get("query")).toBe("!app-a");
    (el.querySelector('[data-status="Failed"]') as HTMLButtonElement).click();
    view.render();
    expect(model.get("statuses")).toEqual(["Failed"]);
    expect(keys(el)).toEqual(["c1/shop/b"]);
    expect(el.querySelector(".rw-shown")!.textContent).toBe("1 of 3 shown");
    (el.querySelector(".rw-attention-toggle") as HTMLButtonElement).click();
    view.render();
    expect(keys(el)).toEqual([]);
    const clear = el.querySelector<HTMLButtonElement>(".rw-empty button")!;
    expect(clear.textContent).toBe("Clear filters");
    clear.click();
    expect(keys(el)).toEqual(["c1/shop/a", "c1/shop/b", "c1/shop/c"]);
    expect([model.get("query"), model.get("statuses"), model.get("needs_attention")]).toEqual(["", [], false]);

    (el.querySelector('[data-key="c1/shop/c"] [data-action="favorite"]') as HTMLButtonElement).click();
    expect(model.get("favorites")).toEqual(["c1/shop/c"]);
    expect(JSON.parse(window.localStorage.getItem(FAVORITES_KEY)!)).toEqual(["c1/shop/c"]);
    (el.querySelector(".rw-fav-toggle") as HTMLButtonElement).click();
    view.render();
    expect(keys(el)).toEqual(["c1/shop/c"]);
  });

  it("restores favourites from localStorage into the trait on load", () => {
    window.localStorage.setItem(FAVORITES_KEY, JSON.stringify(["c1/shop/b"]));
    const { model, el } = mount({ favorites: ["c1/shop/a"] });
    expect(model.get("favorites")).toEqual(["c1/shop/a", "c1/shop/b"]);
    expect(el.querySelector('[data-key="c1/shop/b"] .rw-star')!.getAttribute("aria-pressed")).toBe("true");
  });

  it("keyboard: / focuses search, H typed in search stays text, Shift+H and Esc toggle help", () => {
    const { el } = mount();
    const root = el.querySelector<HTMLElement>(".rw-root")!;
    expect(root.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    root.focus();
    const search = el.querySelector<HTMLInputElement>('[role="searchbox"]')!;
    expect(press("/", root)).toBe(false); // handled: default prevented
    expect(document.activeElement).toBe(search);
    expect(press("H", search, true)).toBe(true); // in the search box: left alone
    expect(el.querySelector('[role="dialog"]')!.hasAttribute("hidden")).toBe(true);
    root.focus();
    press("H", root, true);
    const dialog = el.querySelector('[role="dialog"]')!;
    expect(dialog.hasAttribute("hidden")).toBe(false);
    expect(dialog.getAttribute("aria-label")).toBe("Keyboard shortcuts");
    press("Escape", document.activeElement!);
    expect(dialog.hasAttribute("hidden")).toBe(true);
  });

  it("keyboard: arrows move the cursor, Enter asks Python to select, Esc clears", () => {
    const { el, model, view } = mount();
    const root = el.querySelector<HTMLElement>(".rw-root")!;
    root.focus();
    press("ArrowDown", root);
    press("ArrowDown", root);
    press("ArrowUp", root);
    view.render();
    expect(el.querySelector('[aria-selected="true"]')!.getAttribute("data-key")).toBe("c1/shop/a");
    press("Enter", root);
    const req = model.sent.filter((m) => m.type === "request").slice(-1)[0];
    expect(req).toMatchObject({ op: "select", args: { key: "c1/shop/a" } });
    model.set("selected", "c1/shop/a");
    press("Escape", root);
    const clear = model.sent.filter((m) => m.type === "request").slice(-1)[0];
    expect(clear).toMatchObject({ op: "select", args: { key: "" } });
  });

  it("ignores keys when neither focused nor hovered", () => {
    const { el } = mount();
    press("H", document.body, true);
    expect(el.querySelector('[role="dialog"]')!.hasAttribute("hidden")).toBe(true);
  });

  it("sorts by a header click and marks aria-sort", () => {
    const { el, model, view } = mount({}, [row("b", { status: "Healthy" }), row("a", { status: "Failed" })]);
    const status = el.querySelector<HTMLButtonElement>('[data-sort="status"]')!;
    status.click();
    view.render();
    expect(model.get("sort")).toBe("status");
    expect(keys(el)).toEqual(["c1/shop/a", "c1/shop/b"]);
    el.querySelector<HTMLButtonElement>('[data-sort="status"]')!.click();
    view.render();
    expect(model.get("sort")).toBe("-status");
    expect(el.querySelector(".rw-col-status")!.getAttribute("aria-sort")).toBe("descending");
    expect(keys(el)).toEqual(["c1/shop/b", "c1/shop/a"]);
  });

  it("flashes changed rows and shows empty states", () => {
    const { el, model, view } = mount();
    const ready = model.sent.find((m) => m.type === "ready");
    model.receive({ type: "patch", seq: 1, upserts: [row("a", { status: "Paused" })], deletes: [] });
    view.render();
    expect(el.querySelector('[data-key="c1/shop/a"]')!.classList.contains("rw-flash")).toBe(true);
    expect(el.querySelector('[data-key="c1/shop/b"]')!.classList.contains("rw-flash")).toBe(false);
    model.receive({ type: "snapshot", view: ready.view, seq: 2, chunk: 0, chunks: 1, rows: [] });
    view.render();
    expect(el.querySelector(".rw-empty")!.textContent).toBe("No rollouts in any namespace.");
    model.set("no_crds", true);
    view.render();
    expect(el.querySelector(".rw-empty")!.textContent).toContain("Install OpenKruise Rollouts (rollouts.kruise.io) or Argo Rollouts (argoproj.io)");
  });

  it("says Loading until the store has listed, and does not flash the first listing", () => {
    const { el, model, view } = mount({ loaded: false }, []);
    expect(el.querySelector(".rw-empty")!.textContent).toBe("Loading rollouts…");
    model.receive({ type: "patch", seq: 1, upserts: [row("a")], deletes: [] });
    model.set("loaded", true);
    view.render();
    expect(el.querySelector(".rw-empty")!.hasAttribute("hidden")).toBe(true);
    expect(el.querySelector('[data-key="c1/shop/a"]')!.classList.contains("rw-flash")).toBe(false);
  });

  it("shows a cluster column only when rows come from several clusters", () => {
    const { el, model, view } = mount();
    expect(el.querySelector('[role="columnheader"].rw-col-cluster')).toBeNull();
    model.receive({ type: "patch", seq: 1, upserts: [{ ...row("a"), key: "c2/shop/a", cluster: "c2" }], deletes: [] });
    view.render();
    expect(el.querySelector('[role="columnheader"].rw-col-cluster')!.textContent).toBe("Cluster");
    expect(el.querySelector('[data-key="c2/shop/a"] .rw-col-cluster')!.textContent).toBe("c2");
  });

  it("shows the connection state", () => {
    const { el, model, view } = mount({
      mode: "polling", mode_reason: "watch failed 5 times", last_error: "WATCH_STREAM_UNAVAILABLE: refused",
    });
    expect(el.querySelector(".rw-conn")!.textContent).toContain("Polling (fallback): watch failed 5 times");
    expect(el.querySelector(".rw-conn")!.getAttribute("title")).toContain("Last error: WATCH_STREAM_UNAVAILABLE: refused");
    model.set("mode", "watch");
    view.render();
    expect(el.querySelector(".rw-conn")!.textContent).toContain("Live");
    model.set("mode", "connecting");
    view.render();
    expect(el.querySelector(".rw-conn")!.textContent).toContain("Reconnecting");
  });

  it("mirrors filters in the URL when sync_url is on, and restores them on load", () => {
    window.history.replaceState(null, "", "/voila/render/x.ipynb?keep=1&q=b&status=Failed&attention=1");
    const { model, el, view } = mount({ sync_url: true }, [row("a"), row("b", { status: "Failed", needs_attention: true })]);
    expect([model.get("query"), model.get("statuses"), model.get("needs_attention")]).toEqual(["b", ["Failed"], true]);
    expect(el.querySelector<HTMLInputElement>('[role="searchbox"]')!.value).toBe("b");
    expect(keys(el)).toEqual(["c1/shop/b"]);
    model.set("sort", "-name");
    view.render();
    expect(window.location.search).toBe("?keep=1&q=b&status=Failed&attention=1&sort=-name");
  });

  it("restores only values it could have written from a hand-edited URL", () => {
    window.history.replaceState(null, "", "/x?status=Failed,%3Cscript%3E&sort=__proto__");
    const { model } = mount({ sync_url: true });
    expect(model.get("statuses")).toEqual(["Failed"]);
    expect(model.get("sort")).toBe("");
    window.history.replaceState(null, "", "/");
  });
});

describe("sortRows (frontend/test/sort_vectors.json, also run by the Python tests)", () => {
  it.each(sortVectors.cases.map((c) => [c.sort || "by key", c] as const))("%s", (_name, c) => {
    expect(sortRows(sortVectors.rows as any[], c.sort).map((r) => r.key)).toEqual(c.expected);
  });
});

describe("inVoila", () => {
  it("is true only on a page whose body Voila marked", async () => {
    const { inVoila } = await import("../src/common/urlstate");
    expect(inVoila()).toBe(false);
    const script = document.createElement("script");
    script.src = "/lab/extensions/@voila-dashboards/jupyterlab-preview/remoteEntry.js";
    document.head.appendChild(script); // JupyterLab with Voila's preview extension
    expect(inVoila()).toBe(false);
    document.body.setAttribute("data-voila", "voila");
    expect(inVoila()).toBe(true);
    document.body.removeAttribute("data-voila");
    script.remove();
  });
});
