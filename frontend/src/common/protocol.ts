// The browser side of the widget protocol (see rollouts_widgets/widgets/base.py).
//
// browser -> Python:  {type: "ready", view}                       on every render
//                     {type: "request", id, op, args}             answered by a response
// Python -> browser:  {type: "snapshot", view, seq, chunk, chunks, rows}   to one view
//                     {type: "patch", seq, upserts, deletes}      to every view
//                     {type: "response", id, ok, code, message, result?}

import type { Row } from "./row";
import type { RowStore } from "./rowstore";

/** The part of anywidget's model that the widgets use. */
export interface Model {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event: string, callback: (...args: any[]) => void): void;
  send(content: unknown): void;
}

export interface Response {
  id: string;
  ok: boolean;
  code: string | null;
  message: string;
  result?: unknown;
}

interface SnapshotMsg {
  type: "snapshot";
  view: string;
  seq: number;
  chunk: number;
  chunks: number;
  rows: Row[];
}
interface PatchMsg {
  type: "patch";
  seq: number;
  upserts: Row[];
  deletes: string[];
}
interface ResponseMsg extends Response {
  type: "response";
}
type Incoming = SnapshotMsg | PatchMsg | ResponseMsg;

let counter = 0;
function newId(prefix: string): string {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}-${rand}-${counter}`;
}

export class ProtocolClient {
  readonly viewId = newId("v");
  /** Patch sequence number the rows are current with; -1 until the snapshot is in. */
  seq = -1;
  private chunks: Row[][] = [];
  private pending = new Map<string, (r: Response) => void>();
  private onMessage = (msg: Incoming) => this.receive(msg);

  constructor(
    private model: Model,
    private store: RowStore,
    private timeoutMs = 30_000,
  ) {
    model.on("msg:custom", this.onMessage);
  }

  /** Ask Python for a fresh snapshot (sent on every render). */
  start(): void {
    this.seq = -1;
    this.chunks = [];
    this.model.send({ type: "ready", view: this.viewId });
  }

  request(op: string, args: Record<string, unknown> = {}): Promise<Response> {
    const id = newId("r");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, ok: false, code: "TIMEOUT", message: `no answer to ${op} from the kernel` });
      }, this.timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.model.send({ type: "request", id, op, args });
    });
  }

  dispose(): void {
    this.model.off("msg:custom", this.onMessage);
    this.pending.clear();
  }

  receive(msg: Incoming): void {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "snapshot") {
      if (msg.view !== this.viewId) return; // another view's snapshot
      if (msg.chunk === 0) this.chunks = [];
      this.chunks[msg.chunk] = msg.rows;
      if (msg.chunk === msg.chunks - 1) {
        this.store.replace(this.chunks.flat());
        this.chunks = [];
        this.seq = msg.seq;
      }
    } else if (msg.type === "patch") {
      // Before our snapshot, patches are already folded into it; after, apply in order.
      if (this.seq < 0 || msg.seq <= this.seq) return;
      this.seq = msg.seq;
      this.store.patch(msg.upserts, msg.deletes, Boolean(this.model.get("loaded")));
    } else if (msg.type === "response") {
      const resolve = this.pending.get(msg.id);
      if (resolve) {
        this.pending.delete(msg.id);
        resolve({ id: msg.id, ok: msg.ok, code: msg.code, message: msg.message, result: msg.result });
      }
    }
  }
}
