import { describe, expect, it } from "vitest";
import { ProtocolClient } from "../src/common/protocol";
import { RowStore } from "../src/common/rowstore";
import { FakeModel, row } from "./fakemodel";

describe("RowStore", () => {
  it("replaces on snapshot and applies upserts then deletes", () => {
    let now = 1000;
    const store = new RowStore(() => now);
    const seen: string[][] = [];
    store.subscribe((keys) => seen.push([...keys].sort()));
    store.replace([row("a"), row("b")]);
    expect(store.loaded).toBe(true);
    expect(store.changedAt("c1/shop/a")).toBeUndefined();
    now = 2000;
    const changed = store.patch([row("a", { status: "Failed" }), row("c")], ["c1/shop/b", "c1/shop/zz"]);
    expect([...changed].sort()).toEqual(["c1/shop/a", "c1/shop/b", "c1/shop/c"]);
    expect(store.all().map((r) => [r.key, r.status])).toEqual([
      ["c1/shop/a", "Failed"],
      ["c1/shop/c", "Healthy"],
    ]);
    expect(store.changedAt("c1/shop/a")).toBe(2000);
    expect(seen).toEqual([["c1/shop/a", "c1/shop/b"], ["c1/shop/a", "c1/shop/b", "c1/shop/c"]]);
    const v = store.version;
    store.patch([], ["c1/shop/nope"]);
    expect(store.version).toBe(v); // nothing changed, nothing emitted
  });
});

describe("ProtocolClient", () => {
  it("sends ready, assembles its own chunked snapshot and applies later patches in order", () => {
    const model = new FakeModel();
    const store = new RowStore();
    const client = new ProtocolClient(model, store);
    client.start();
    expect(model.sent).toEqual([{ type: "ready", view: client.viewId }]);
    const view = client.viewId;
    // A patch before our snapshot is already folded into it: ignored.
    model.receive({ type: "patch", seq: 4, upserts: [row("x")], deletes: [] });
    model.receive({ type: "snapshot", view: "someone-else", seq: 5, chunk: 0, chunks: 1, rows: [row("z")] });
    model.receive({ type: "snapshot", view, seq: 5, chunk: 0, chunks: 2, rows: [row("a")] });
    expect(store.loaded).toBe(false);
    model.receive({ type: "snapshot", view, seq: 5, chunk: 1, chunks: 2, rows: [row("b")] });
    expect(store.all().map((r) => r.name)).toEqual(["a", "b"]);
    model.receive({ type: "patch", seq: 5, upserts: [row("old")], deletes: [] }); // stale
    model.receive({ type: "patch", seq: 6, upserts: [row("c")], deletes: ["c1/shop/a"] });
    expect(store.all().map((r) => r.name).sort()).toEqual(["b", "c"]);
    expect(client.seq).toBe(6);
  });

  it("matches responses to requests by id", async () => {
    const model = new FakeModel();
    const client = new ProtocolClient(model, new RowStore());
    const pending = client.request("select", { key: "c1/shop/a" });
    const sent = model.sent[0];
    expect(sent).toMatchObject({ type: "request", op: "select", args: { key: "c1/shop/a" } });
    model.receive({ type: "response", id: "other", ok: true, code: null, message: "" });
    model.receive({ type: "response", id: sent.id, ok: false, code: "NOT_FOUND", message: "gone" });
    await expect(pending).resolves.toMatchObject({ ok: false, code: "NOT_FOUND", message: "gone" });
  });
});
