// An in-memory stand-in for anywidget's model in jsdom tests: traits in a map, change
// events, and a log of the custom messages the view sends.
import type { Model } from "../src/common/protocol";

export class FakeModel implements Model {
  state: Record<string, unknown>;
  sent: any[] = [];
  saves = 0;
  private handlers = new Map<string, Set<(...args: any[]) => void>>();

  constructor(state: Record<string, unknown> = {}) {
    this.state = {
      query: "", statuses: [], needs_attention: false, favorites_only: false, favorites: [],
      sort: "", selected: "", sync_url: false, mode: "watch", mode_reason: "", last_contact: "",
      no_crds: false, scope: "any namespace", loaded: true, read_only: false, ...state,
    };
  }
  get(name: string) {
    return this.state[name];
  }
  set(name: string, value: unknown) {
    const changed = JSON.stringify(this.state[name]) !== JSON.stringify(value);
    this.state[name] = value;
    if (changed) this.emit(`change:${name}`);
  }
  save_changes() {
    this.saves++;
  }
  on(event: string, cb: (...args: any[]) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(cb);
  }
  off(event: string, cb: (...args: any[]) => void) {
    this.handlers.get(event)?.delete(cb);
  }
  send(content: unknown) {
    this.sent.push(content);
  }
  /** A message from Python. */
  receive(msg: unknown) {
    this.emit("msg:custom", msg, []);
  }
  emit(event: string, ...args: unknown[]) {
    for (const cb of this.handlers.get(event) ?? []) cb(...args);
  }
}

export function row(name: string, extra: Record<string, unknown> = {}): any {
  return {
    key: `c1/shop/${name}`, cluster: "c1", namespace: "shop", name, provider: "kruise",
    api_version: "rollouts.kruise.io/v1beta1", strategy: "Canary", status: "Healthy",
    native_phase: "Healthy", message: "", needs_attention: false, attention_reason: "",
    step_index: null, step_count: 0, step_label: "", set_weight: null, actual_weight: null,
    replicas: 3, ready_replicas: 3, updated_replicas: 3, available_replicas: 3,
    stable_revision: "", canary_revision: "", images: ["repo/app:1"], labels: {},
    workload_kind: "Deployment", workload_name: name, paused_until: null,
    created: "2026-01-01T00:00:00Z", updated: null, resource_version: "1", ...extra,
  };
}
