// The detail panel in jsdom: rendering from a row, the action flow (confirmation, request,
// spinner, toasts), read-only, rollback and image editing, the analysis dialog, and the pure
// helpers (image grammar, chart parsing, confirmation texts).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DetailView } from "../src/detail/view";
import { imageError } from "../src/detail/image";
import { numeric, threshold } from "../src/detail/charts";
import { confirmation } from "../src/detail/confirm";
import { NOT_CONFIGURED_TEXT } from "../src/detail/analysis";
import { FakeModel, row } from "./fakemodel";

const XSS = "<img src=x onerror=alert(1)>";
const KEY = "c1/shop/web";
const NOW = Date.parse("2026-01-01T12:00:00Z");

function actions(overrides: Record<string, [boolean, string]> = {}) {
  const names = ["RESTART", "RETRY", "PAUSE", "RESUME", "DISABLE", "ENABLE", "PROMOTE",
    "PROMOTE-FULL", "ABORT", "ROLLBACK", "SET-IMAGE", "ANALYSIS"];
  return names.map((n) => [n, ...(overrides[n] ?? [true, ""])]);
}

function detailRow(extra: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) {
  return row("web", {
    status: "Paused", step_index: 1, step_count: 3, step_label: "Replicas: 1, Pause (awaiting approval)",
    message: XSS,
    steps: [
      { index: 1, kind: "replicas", label: "Replicas: 1, Pause", state: "awaiting-approval", raw: '{\n  "replicas": 1\n}' },
      { index: 2, kind: "replicas", label: XSS, state: "pending", raw: "{}" },
      { index: 3, kind: "replicas", label: "Replicas: 100%", state: "pending", raw: "{}" },
    ],
    detail: {
      error: "", traffic_routing: "service web", restarted_at: "", progress: "canary 1/1 ready",
      revisions: [
        { name: "web-2", kind: "ReplicaSet", role: "canary", revision: 2, template_hash: "h2", replicas: 1,
          ready_replicas: 1, available_replicas: 1, images: ["repo/web:2"], health: "Healthy", created: null,
          pods: [{ name: "web-2-a", state: "Ready", phase: "Running", reason: "", message: "", restarts: 0, ready: true, node: "n" }] },
        { name: "web-1", kind: "ReplicaSet", role: "stable", revision: 1, template_hash: "h1", replicas: 3,
          ready_replicas: 2, available_replicas: 2, images: ["repo/web:1"], health: "Progressing", created: null,
          pods: [{ name: "web-1-a", state: "CrashLoopBackOff", phase: "Running", reason: "CrashLoopBackOff", message: "", restarts: 3, ready: false, node: "n" }] },
      ],
      containers: [{ name: "app", image: "repo/web:2", init: false }, { name: "migrate", image: "tools/m:1", init: true }],
      events: [{ ts: "2026-01-01T11:59:00Z", type: "Warning", reason: "BackOff", message: XSS, object_kind: "Pod", object_name: "web-1-a", count: 2 }],
      timeline: [{ ts: "2026-01-01T11:58:00Z", step: 1, steps: 3, weight: 10, actual: 5, status: "Progressing" }],
      actions: actions(),
      ...detail,
    },
    ...extra,
  });
}

let model: FakeModel;
let el: HTMLElement;
let view: DetailView;

function mount(state: Record<string, unknown> = {}, r: any = detailRow()) {
  model = new FakeModel({ rollout: KEY, analysis_enabled: true, rollback_enabled: true, cluster_name: "c1", ...state });
  el = document.createElement("div");
  document.body.appendChild(el);
  view = new DetailView(model, el, { now: () => NOW });
  const ready = model.sent.find((m) => m.type === "ready");
  model.receive({ type: "snapshot", view: ready.view, seq: 0, chunk: 0, chunks: 1, rows: r ? [r] : [] });
  return view;
}

function button(name: string): HTMLButtonElement {
  const found = Array.from(el.querySelectorAll("button")).find((b) => b.textContent?.trim() === name);
  if (!found) throw new Error(`no button ${name}`);
  return found as HTMLButtonElement;
}

function lastRequest() {
  const requests = model.sent.filter((m) => m.type === "request");
  return requests[requests.length - 1];
}

function answer(ok: boolean, code: string | null, message: string, result: unknown = null) {
  model.receive({ type: "response", id: lastRequest().id, ok, code, message, result });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setInterval", "setTimeout", "clearInterval", "clearTimeout"] });
});
afterEach(() => {
  view?.dispose();
  el?.remove();
  document.body.innerHTML = "";
  vi.useRealTimers();
});

describe("rendering", () => {
  it("shows the steps as a list of cards with their states", () => {
    mount();
    const list = el.querySelector('[role="list"].rw-steps')!;
    const items = Array.from(list.querySelectorAll('[role="listitem"]'));
    expect(items.map((i) => i.getAttribute("data-state"))).toEqual(["awaiting-approval", "pending", "pending"]);
    expect(items[0].textContent).toContain("awaiting approval");
    expect(items[0].textContent).toContain("canary 1/1 ready");
    expect(items[1].querySelector(".rw-step-label")!.textContent).toBe(XSS);
    expect(el.querySelector("img")).toBeNull(); // cluster strings are text, never HTML
    expect(el.querySelector(".rw-message")!.textContent).toBe(XSS);
  });

  it("expands a step to its raw JSON", () => {
    mount();
    const toggle = el.querySelector<HTMLButtonElement>('[data-index="1"] .rw-raw-toggle')!;
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    toggle.click();
    const pre = el.querySelector('[data-index="1"] pre.rw-raw')!;
    expect(pre.textContent).toBe('{\n  "replicas": 1\n}');
    expect(el.querySelector<HTMLButtonElement>('[data-index="1"] .rw-raw-toggle')!.getAttribute("aria-expanded")).toBe("true");
  });

  it("counts a timed pause down live", () => {
    let now = NOW;
    model = new FakeModel({ rollout: KEY, analysis_enabled: true, rollback_enabled: true });
    el = document.createElement("div");
    view = new DetailView(model, el, { now: () => now });
    const r = detailRow({ paused_until: "2026-01-01T12:00:30Z" });
    r.steps[0].state = "paused";
    model.receive({ type: "snapshot", view: model.sent[0].view, seq: 0, chunk: 0, chunks: 1, rows: [r] });
    const timer = el.querySelector('[role="timer"]')!;
    expect(timer.textContent).toBe(" · resumes in 30s");
    now += 12_000;
    vi.advanceTimersByTime(1000);
    expect(timer.textContent).toBe(" · resumes in 18s");
  });

  it("colours pods and explains them in tooltips", () => {
    mount();
    const pod = el.querySelector<HTMLElement>('[data-pod="web-1-a"]')!;
    expect(pod.className).toContain("rw-pod-crashloopbackoff");
    expect(pod.title).toBe("web-1-a: CrashLoopBackOff (CrashLoopBackOff), 3 restarts");
  });

  it("says when nothing is selected", () => {
    mount({ rollout: "" }, null);
    expect(el.querySelector(".rw-empty")!.textContent).toContain("Select a rollout");
  });
});

describe("actions", () => {
  it("names buttons by their labels, and disabled ones say why", () => {
    mount({}, detailRow({}, { actions: actions({ RESUME: [false, "the rollout is not paused"], ENABLE: [false, "the rollout is not disabled"] }) }));
    const labels = Array.from(el.querySelectorAll(".rw-actions button")).map((b) => b.textContent);
    expect(labels).toEqual(["RESTART", "RETRY", "PAUSE", "RESUME", "DISABLE", "PROMOTE", "PROMOTE-FULL", "ABORT", "ANALYSIS"]);
    const resume = button("RESUME");
    expect(resume.disabled).toBe(true);
    expect(resume.title).toBe("the rollout is not paused");
    expect((resume.parentElement as HTMLElement).title).toBe("the rollout is not paused");
  });

  it("PROMOTE asks first, then sends the request with a spinner, then a status toast", () => {
    mount();
    button("PROMOTE").click();
    const dialog = el.querySelector('[role="alertdialog"]')!;
    expect(dialog.textContent).toContain("Approves step 1 of 3 (Replicas: 1, Pause). It moves on to step 2 of 3.");
    expect(model.sent.filter((m) => m.type === "request")).toEqual([]);
    (Array.from(dialog.querySelectorAll("button")).find((b) => b.textContent === "PROMOTE") as HTMLButtonElement).click();
    expect(el.querySelector('[role="alertdialog"]')).toBeNull();
    expect(lastRequest()).toMatchObject({ op: "action", args: { key: KEY, action: "PROMOTE" } });
    expect(button("PROMOTE").getAttribute("aria-busy")).toBe("true");
    expect(el.querySelector(".rw-action-promote .rw-spinner")).not.toBeNull();
    answer(true, null, "", { ok: true, code: null, message: "PROMOTE shop/web: patch rollouts/status web" });
    return Promise.resolve().then(() => {
      const toast = el.querySelector('[role="status"].rw-toast')!;
      expect(toast.textContent).toContain("PROMOTE: OK");
      expect(toast.textContent).toContain("patch rollouts/status web");
      expect(button("PROMOTE").getAttribute("aria-busy")).toBeNull();
      vi.advanceTimersByTime(7000);
      expect(el.querySelector('[role="status"].rw-toast')).toBeNull();
    });
  });

  it("Cancel sends nothing; PROMOTE-FULL says something else", () => {
    mount();
    button("PROMOTE-FULL").click();
    const dialog = el.querySelector('[role="alertdialog"]')!;
    expect(dialog.textContent).toContain("Skips every remaining step (from step 1 to 3)");
    button("Cancel").click();
    expect(el.querySelector('[role="alertdialog"]')).toBeNull();
    expect(model.sent.filter((m) => m.type === "request")).toEqual([]);
  });

  it("an error toast shows code and message and stays until dismissed", async () => {
    mount();
    button("PAUSE").click(); // no confirmation for PAUSE
    answer(false, "FORBIDDEN", "user viewer may not patch rollouts");
    await Promise.resolve();
    const toast = el.querySelector('[role="alert"].rw-toast')!;
    expect(toast.textContent).toContain("PAUSE: FORBIDDEN");
    expect(toast.textContent).toContain("user viewer may not patch rollouts");
    vi.advanceTimersByTime(60_000);
    expect(el.querySelector('[role="alert"].rw-toast')).not.toBeNull();
    (toast.querySelector('[aria-label="Dismiss"]') as HTMLButtonElement).click();
    expect(el.querySelector('[role="alert"].rw-toast')).toBeNull();
  });

  it("read-only: the bar says so and offers no write", () => {
    mount({ read_only: true });
    expect(el.querySelector(".rw-readonly")!.textContent).toContain("Read-only");
    const labels = Array.from(el.querySelectorAll("button")).map((b) => b.textContent);
    expect(labels.filter((l) => ["PROMOTE", "PAUSE", "ROLLBACK", "Edit", "RESTART"].includes(l!))).toEqual([]);
    expect(labels).toContain("ANALYSIS");
  });

  it("Kruise ABORT and DISABLE say the release completes to the new version", () => {
    const r: any = detailRow();
    expect(confirmation("ABORT", r).body).toContain("the release completes to the new version");
    expect(confirmation("DISABLE", r).body).toContain("the release completes to the new version");
    expect(confirmation("ABORT", { ...r, provider: "argo" }).body).toContain("go back to the stable version");
  });
});

describe("revisions and containers", () => {
  it("ROLLBACK confirms naming the revision and sends it", () => {
    mount();
    button("ROLLBACK").click();
    const dialog = el.querySelector('[role="alertdialog"]')!;
    expect(dialog.textContent).toContain("Roll back shop/web to revision 1?");
    (Array.from(dialog.querySelectorAll("button")).find((b) => b.textContent === "ROLLBACK") as HTMLButtonElement).click();
    expect(lastRequest()).toMatchObject({ op: "rollback", args: { key: KEY, revision: "web-1" } });
  });

  it("ROLLBACK is disabled with the reason for other workloads, hidden when switched off", () => {
    mount({}, detailRow({}, { actions: actions({ ROLLBACK: [false, "rollback currently supports Deployment only"] }) }));
    const btn = button("ROLLBACK");
    expect(btn.disabled).toBe(true);
    expect(btn.title).toBe("rollback currently supports Deployment only");
    view.dispose();
    el.remove();
    mount({ rollback_enabled: false });
    expect(Array.from(el.querySelectorAll("button")).some((b) => b.textContent === "ROLLBACK")).toBe(false);
  });

  it("an image edit is validated before anything is sent", () => {
    mount();
    (el.querySelector('[aria-label="Edit the image of app"]') as HTMLButtonElement).click();
    const input = el.querySelector<HTMLInputElement>(".rw-image-input")!;
    input.value = "Repo/App:1";
    input.dispatchEvent(new Event("input"));
    expect(el.querySelector(".rw-field-error")!.textContent).toContain("Invalid image: bad path component 'Repo/App'".replace("Repo/App", "Repo"));
    expect(button("Apply").disabled).toBe(true);
    input.value = "repo/web:3";
    input.dispatchEvent(new Event("input"));
    expect(button("Apply").disabled).toBe(false);
    button("Apply").click();
    (Array.from(el.querySelectorAll('[role="alertdialog"] button')).find((b) => b.textContent === "SET IMAGE") as HTMLButtonElement).click();
    expect(lastRequest()).toMatchObject({ op: "set_image", args: { key: KEY, container: "app", image: "repo/web:3", init: false } });
  });
});

it("a patch while editing an image keeps the draft, the focus and the caret", () => {
  mount();
  (el.querySelector('[aria-label="Edit the image of app"]') as HTMLButtonElement).click();
  const input = el.querySelector<HTMLInputElement>(".rw-image-input")!;
  input.focus();
  input.value = "repo/web:33";
  input.dispatchEvent(new Event("input"));
  input.setSelectionRange(5, 5);
  const r = detailRow({ ready_replicas: 4 });
  model.receive({ type: "patch", seq: 1, upserts: [r], deletes: [] });
  const again = el.querySelector<HTMLInputElement>(".rw-image-input")!;
  expect(again).not.toBe(input); // re-rendered
  expect(again.value).toBe("repo/web:33");
  expect(document.activeElement).toBe(again);
  expect([again.selectionStart, again.selectionEnd]).toEqual([5, 5]);
});

describe("analysis dialog", () => {
  it("shows the placeholder and an empty run list without a source", async () => {
    mount();
    button("ANALYSIS").click();
    answer(true, null, "", { source: "not_configured", status: "not_configured", summary: "No analysis source", runs: [], code: "ANALYSIS_SOURCE_NOT_CONFIGURED" });
    await Promise.resolve();
    const dialog = el.querySelector('[role="dialog"]')!;
    expect(dialog.querySelector(".rw-placeholder")!.textContent).toBe(NOT_CONFIGURED_TEXT);
    expect(dialog.querySelector(".rw-no-runs")!.textContent).toBe("No analysis runs.");
    expect(Array.from(dialog.querySelectorAll('[role="tab"]')).map((t) => t.textContent)).toEqual(["Summary", "Metrics"]);
  });

  it("shows runs, and per metric a chart with the condition line and a table", async () => {
    mount();
    button("ANALYSIS").click();
    const metric = { name: "success-rate", phase: "Successful", successful: 2, failed: 0, inconclusive: 0, error: 0, count: 2,
      success_condition: "result[0] >= 0.95", failure_condition: "", failure_limit: null, message: "", provider: "prometheus",
      measurements: [
        { phase: "Successful", value: "[0.97]", started_at: null, finished_at: "2026-01-01T11:50:00Z", message: "" },
        { phase: "Successful", value: "[0.99]", started_at: null, finished_at: "2026-01-01T11:51:00Z", message: "" }] };
    answer(true, null, "", { source: "argo", status: "Successful", summary: "1 analysis run(s)", code: null,
      runs: [{ name: "api-1", namespace: "shop", phase: "Successful", message: "", started_at: "2026-01-01T11:49:00Z",
        finished_at: "2026-01-01T11:51:00Z", metrics: [metric], kind: "step", revision: "2", step_index: 2, duration_seconds: 120 }] });
    await Promise.resolve();
    const dialog = el.querySelector('[role="dialog"]')!;
    expect(dialog.querySelector('[data-run="api-1"]')!.textContent).toContain("2m");
    (Array.from(dialog.querySelectorAll('[role="tab"]'))[1] as HTMLButtonElement).click();
    const entry = dialog.querySelector('[data-metric="success-rate"]')!;
    expect(entry.querySelectorAll("circle.rw-m-successful")).toHaveLength(2);
    expect(entry.querySelector("line.rw-cond-success")).not.toBeNull();
    expect(entry.querySelectorAll(".rw-measurements tbody tr")).toHaveLength(2);
  });
});

describe("helpers", () => {
  it("validates image references as Python does", () => {
    for (const ok of ["nginx", "repo/app:1.2", "registry.local:5000/team/app:v1", "localhost/app",
      `app@sha256:${"a".repeat(64)}`, "a__b/c-d.e:TAG_1"]) {
      expect(imageError(ok)).toBe("");
    }
    expect(imageError("")).toBe("the image is empty");
    expect(imageError("repo/app:1 ")).toBe("it contains whitespace or control characters");
    expect(imageError("Repo/app")).toContain("bad path component 'Repo'");
    expect(imageError("app@sha256:xyz")).toContain("the digest must be sha256");
    expect(imageError("repo/app:-bad")).toContain("a tag is");
    expect(imageError(XSS)).not.toBe("");
  });

  it("parses measurement values and simple conditions", () => {
    expect(numeric("[0.97]")).toBe(0.97);
    expect(numeric("12")).toBe(12);
    expect(numeric("")).toBeNull();
    expect(threshold("result[0] >= 0.95")).toEqual({ op: ">=", value: 0.95 });
    expect(threshold("result < 5")).toEqual({ op: "<", value: 5 });
    expect(threshold("result.rate > 1 && true")).toBeNull();
  });
});
