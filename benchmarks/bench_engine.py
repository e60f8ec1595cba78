"""Engine benchmark: ingest rate, 10,000-rollout initial load, memory, change latency.

    .venv/bin/python benchmarks/bench_engine.py [--rollouts 10000] [--events 20000] [--rounds 3]

1. Ingest: a watch stream recorded from the sandbox is replayed through our watcher + store +
   model (decode, cache, RolloutView, event) and, for comparison, through bare json.loads.
2. Initial load of N rollouts: cluster.store() until synced, against a bare paginated list +
   decode with the same client.
3. Memory of the store for N rollouts (tracemalloc), against the raw JSON size.
4. Latency from a change on the server to a subscriber's callback (real HTTP watch).

The machine may be shared: timed figures are measured in ``--rounds`` interleaved rounds (ours
and its baseline one after the other) and the best round of each is reported, so a burst of
load elsewhere cannot favour one side.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import threading
import time
import tracemalloc

import rollouts_widgets as rw
from rollouts_widgets.kube.resources import KRUISE_ROLLOUTS_V1BETA1, _decode_event
from rollouts_widgets.model.rollout import rollout_view
from rollouts_widgets.watch.settings import WatchSettings
from rollouts_widgets.watch.watcher import Watcher

KRUISE = "rollouts.rollouts.kruise.io"


def rollout(i: int, namespace: str = "default") -> dict:
    name = f"svc-{i:05d}"
    steps = [{"traffic": f"{w}%", "replicas": f"{w}%", "pause": {"duration": 10 if w < 100 else 0}}
             for w in (20, 40, 60, 80, 100)]
    steps[0]["pause"] = {}
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app": name, "team": f"team-{i % 17}", "tier": "web"},
                     "annotations": {"rollouts.kruise.io/rolling-style": "canary"}},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {
                "enableExtraWorkloadForCanary": True,
                "steps": steps,
                "trafficRoutings": [{"service": name,
                                     "ingress": {"classType": "nginx", "name": name}}],
            }},
        },
        "status": {
            "observedGeneration": 1,
            "phase": "Progressing",
            "message": "Rollout is in step(1/5), and you need manually confirm to enter the next "
                       "step",
            "currentStepIndex": 1,
            "currentStepState": "StepPaused",
            "canaryStatus": {
                "observedWorkloadGeneration": 3, "rolloutHash": "77cxd69w47b7bwddwv2w7vxvb4xxdbwcx",
                "stableRevision": "6bfdfb5bfb", "podTemplateHash": "6f8b7fd8d9",
                "canaryRevision": "6f8b7fd8d9", "currentStepIndex": 1,
                "currentStepState": "StepPaused", "canaryReplicas": 1, "canaryReadyReplicas": 1,
                "message": "BatchRelease is at state Ready, rollout-id , step 1",
                "lastUpdateTime": "2026-12-04T10:00:00Z",
            },
            "conditions": [
                {"type": "Progressing", "status": "True", "reason": "InRolling",
                 "message": "Rollout is in Progressing",
                 "lastUpdateTime": "2026-12-04T10:00:00Z",
                 "lastTransitionTime": "2026-12-04T10:00:00Z"},
            ],
        },
    }


def populate(sb: rw.Sandbox, count: int) -> None:
    for i in range(count):
        sb.storage.create(KRUISE, rollout(i))


def record_stream(sb: rw.Sandbox, cluster, events: int, rollouts: int) -> list[bytes]:
    """Record ``events`` raw watch lines (ADDED then MODIFIED) from the sandbox over HTTP."""
    _, rv = cluster.resources.list_all(KRUISE_ROLLOUTS_V1BETA1, "default")
    lines: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        stream = cluster.resources.open_watch(
            KRUISE_ROLLOUTS_V1BETA1, "default", resource_version=rv, timeout_seconds=600,
            allow_bookmarks=False)
        response = stream._response
        buffer = b""
        for chunk in response.stream(65536):
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            lines.extend(line for line in complete if line.strip())
            if len(lines) >= events:
                break
        stream.close()
        done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.3)
    for i in range(events):
        n = i % rollouts
        if i < rollouts:
            sb.storage.create(KRUISE, rollout(100_000 + n))
        else:
            obj = sb.storage.get(KRUISE, "default", f"svc-{100_000 + n:05d}")
            obj["status"]["canaryStatus"]["canaryReadyReplicas"] = i
            sb.storage.update(KRUISE, obj, subresource="status")
    done.wait(120)
    return lines[:events]


def bench_ingest(cluster, lines: list[bytes], rounds: int) -> dict:
    bare, model, ours = [], [], []
    upserts: list[None] = []

    def count(event) -> None:  # a subscriber that looks at every event and keeps none
        if event.type == "upsert" and event.rollout is not None:
            upserts.append(None)

    for _ in range(rounds):
        start = time.perf_counter()
        for line in lines:
            json.loads(line)
        bare.append(time.perf_counter() - start)

        decoded = [json.loads(line)["object"] for line in lines]
        start = time.perf_counter()
        for obj in decoded:
            rollout_view(obj, None, cluster=cluster.name)
        model.append(time.perf_counter() - start)
        del decoded

        store = cluster.store("nothing-here")  # an empty scope: its own watchers stay idle
        assert store.wait_synced(30)
        upserts.clear()
        store.subscribe(count)
        replay = Watcher(cluster.resources, KRUISE_ROLLOUTS_V1BETA1, "nothing-here",
                         cluster=cluster.name)
        replay.add_listener(store)
        gc.collect()
        start = time.perf_counter()
        rv = ""
        for line in lines:
            rv = replay._apply(_decode_event(line), rv)
        ours.append(time.perf_counter() - start)
        store.close()
    return {"lines": len(lines), "delivered": len(upserts), "bare_s": min(bare),
            "ours_s": min(ours), "model_s": min(model)}


def bare_list(cluster, page_size: int = 500) -> list[dict]:
    """Every rollout with the same client and pages, decoded by plain json.loads."""
    items: list[dict] = []
    token = None
    while True:
        response = cluster.resources.request(
            "GET", KRUISE_ROLLOUTS_V1BETA1.path(), stream=True,
            query={"limit": page_size, "continue": token})
        page = json.loads(response.read())
        response.release_conn()
        items.extend(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            return items


def bench_initial_load(cluster, count: int, rounds: int) -> dict:
    bare, ours = [], []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        items = bare_list(cluster)
        bare.append(time.perf_counter() - start)
        raw_bytes = sum(len(json.dumps(o, separators=(",", ":"))) for o in items)
        del items

        gc.collect()
        start = time.perf_counter()
        store = cluster.store()
        assert store.wait_synced(600)
        ours.append(time.perf_counter() - start)
        rows = len(store)
        store.close()

    # memory in a second, traced run (tracemalloc slows allocation down: not timed)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = cluster.store()
    assert store.wait_synced(600)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    store.close()
    return {"rows": rows, "bare_s": min(bare), "ours_s": min(ours), "memory": after - before,
            "raw_json": raw_bytes}


def bench_latency(sb: rw.Sandbox, cluster, changes: int) -> list[float]:
    arrived: dict[str, float] = {}
    got = threading.Event()

    def on_event(event) -> None:
        if event.type == "upsert" and event.rollout is not None:
            arrived[event.rollout.resource_version] = time.perf_counter()
            got.set()

    store = cluster.store("latency")
    assert store.wait_synced(30)
    store.subscribe(on_event)
    sb.storage.create(KRUISE, rollout(0, "latency"))
    delays = []
    for i in range(changes):
        obj = sb.storage.get(KRUISE, "latency", "svc-00000")
        obj["status"]["canaryStatus"]["canaryReadyReplicas"] = i
        got.clear()
        sent = time.perf_counter()
        rv = sb.storage.update(KRUISE, obj, subresource="status")["metadata"]["resourceVersion"]
        deadline = sent + 5
        while rv not in arrived and time.perf_counter() < deadline:
            got.wait(0.5)
            got.clear()
        delays.append(arrived.get(rv, float("inf")) - sent)
    store.close()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rollouts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts")
    args = parser.parse_args()
    with rw.Sandbox(controllers=False) as sb:
        for ns in ("nothing-here", "latency"):
            sb.storage.create("namespaces", {"metadata": {"name": ns}})
        cluster = sb.connect()
        cluster.watch_settings = WatchSettings(heartbeat_interval=3600)

        lines = record_stream(sb, cluster, args.events, min(args.events, 2_000))
        ingest = bench_ingest(cluster, lines, args.rounds)
        print(f"ingest: {ingest['lines']} recorded watch events "
              f"({sum(map(len, lines)) / 1e6:.1f} MB; best of {args.rounds} rounds)")
        print(f"  bare json.loads:            {ingest['lines'] / ingest['bare_s']:>10,.0f} ev/s")
        print(f"  model alone (rollout_view): {ingest['lines'] / ingest['model_s']:>10,.0f} ev/s")
        print(f"  watcher+store+model:        {ingest['lines'] / ingest['ours_s']:>10,.0f} ev/s"
              f"  ({ingest['ours_s'] / ingest['bare_s']:.1f}x the bare time;"
              f" {ingest['delivered']} upserts delivered)")

        for ns in ("nothing-here",):
            for obj in sb.storage.list(KRUISE, ns)[0]:
                sb.storage.delete(KRUISE, ns, obj["metadata"]["name"])
        for i in range(100_000, 100_000 + min(args.events, 2_000)):
            sb.storage.delete(KRUISE, "default", f"svc-{i:05d}")
        start = time.perf_counter()
        populate(sb, args.rollouts)
        print(f"initial load: {args.rollouts} rollouts (created in the sandbox in "
              f"{time.perf_counter() - start:.1f} s; best of {args.rounds} rounds)")
        load = bench_initial_load(cluster, args.rollouts, args.rounds)
        print(f"  bare paginated list+decode: {load['bare_s']:>8.2f} s")
        print(f"  store synced (views built): {load['ours_s']:>8.2f} s"
              f"  ({load['ours_s'] / load['bare_s']:.1f}x; {load['rows']} rows)")
        print(f"memory: store of {load['rows']} rollouts {load['memory'] / 1e6:.1f} MB "
              f"(tracemalloc) vs raw JSON {load['raw_json'] / 1e6:.1f} MB "
              f"({load['memory'] / load['raw_json']:.1f}x; "
              f"{load['memory'] / max(load['rows'], 1) / 1e3:.1f} kB per rollout)")

        delays = sorted(bench_latency(sb, cluster, args.changes))
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] * 1e3  # noqa: E731
        print(f"change -> subscriber latency over {len(delays)} changes: "
              f"median {statistics.median(delays) * 1e3:.1f} ms, p99 {p(0.99):.1f} ms, "
              f"max {delays[-1] * 1e3:.1f} ms (goal: < 1000 ms)")
        cluster.close()


if __name__ == "__main__":
    main()
