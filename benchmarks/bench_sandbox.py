"""Sandbox API server benchmark: paginated list of N rollouts, and watch throughput.

    .venv/bin/python benchmarks/bench_sandbox.py [--rollouts 10000] [--events 20000]

1. Store: N Kruise rollouts created through the Python store API (rollouts/s).
2. List: every rollout over HTTPS with the official client's ApiClient (ResourceClient), in
   pages of 500 and of 100, and in one page; also the typed CustomObjectsApi in pages of 500.
3. Watch: one client watching rollouts while the store writes M changes; events/s received
   (the writer and the server share the process, as in the demo).
Prints numbers; not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import ssl
import threading
import time

from kubernetes import client

from rollouts_widgets.kube.resources import KRUISE_ROLLOUTS_V1BETA1, ResourceClient
from rollouts_widgets.sandbox import Sandbox

KRUISE = "rollouts.rollouts.kruise.io"


def rollout(i: int) -> dict:
    name = f"svc-{i:05d}"
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "bench",
                     "labels": {"app": name, "team": f"team-{i % 17}"}},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {"steps": [
                {"traffic": f"{w}%", "replicas": f"{w}%", "pause": {"duration": 10}}
                for w in (20, 40, 60, 80, 100)]}},
        },
        "status": {"phase": "Healthy", "observedGeneration": 1,
                   "canaryStatus": {"currentStepIndex": 5, "currentStepState": "Completed",
                                    "stableRevision": "6f9c7d", "podTemplateHash": "6f9c7d"}},
    }


def timed(label: str, fn, count: int, unit: str) -> float:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<62} {elapsed:8.3f} s   {count / elapsed:10,.0f} {unit}/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rollouts", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    n, m = args.rollouts, args.events

    start = time.perf_counter()
    sb = Sandbox(clock="manual", controllers=False).start()
    print(f"{'sandbox start (TLS certificate included)':<62} {time.perf_counter() - start:8.3f} s")
    sb.storage.create("namespaces", {"metadata": {"name": "bench"}})

    def create_all() -> None:
        for i in range(n):
            sb.storage.create(KRUISE, rollout(i))

    timed(f"store: create {n:,} rollouts", create_all, n, "rollouts")
    api = sb.api_client()
    rc = ResourceClient(api)
    for page in (500, 100):
        items, _ = timed(f"list {n:,} rollouts, pages of {page} (ResourceClient)",
                         lambda p=page: rc.list_all(KRUISE_ROLLOUTS_V1BETA1, "bench",
                                                    page_size=p), n, "rollouts")
        assert len(items) == n
    one = timed(f"list {n:,} rollouts, one page (ResourceClient)",
                lambda: rc.list(KRUISE_ROLLOUTS_V1BETA1, "bench"), n, "rollouts")
    assert len(one["items"]) == n
    def raw_pages() -> int:
        """The server's side alone: pages fetched over HTTPS and not decoded."""
        context = ssl.create_default_context(cafile=api.configuration.ssl_ca_cert)
        conn = http.client.HTTPSConnection(sb.server.host, sb.server.port, context=context)
        path = "/apis/rollouts.kruise.io/v1beta1/namespaces/bench/rollouts?limit=500"
        token, pages = "", 0
        while True:
            conn.request("GET", path + (f"&continue={token}" if token else ""),
                         headers={"Authorization": f"Bearer {sb.token()}"})
            body = conn.getresponse().read()
            pages += 1
            # The continue token sits in the list metadata, ahead of the items.
            head = body[:400].decode()
            marker = '"continue":"'
            if marker not in head:
                conn.close()
                return pages
            token = head.split(marker, 1)[1].split('"', 1)[0]

    pages = timed(f"list {n:,} rollouts, pages of 500 (raw HTTPS, no decoding)", raw_pages, n,
                  "rollouts")
    assert pages == -(-n // 500), pages
    custom = client.CustomObjectsApi(api)

    def typed_pages() -> int:
        total, token = 0, None
        while True:
            page = custom.list_namespaced_custom_object(
                "rollouts.kruise.io", "v1beta1", "bench", "rollouts", limit=500,
                _continue=token)
            total += len(page["items"])
            token = page["metadata"].get("continue")
            if not token:
                return total

    assert timed(f"list {n:,} rollouts, pages of 500 (CustomObjectsApi)", typed_pages, n,
                 "rollouts") == n

    received = 0
    done = threading.Event()
    ready = threading.Event()

    def consume() -> None:
        nonlocal received
        stream = rc.watch(KRUISE_ROLLOUTS_V1BETA1, "bench",
                          resource_version=sb.storage.resource_version, timeout_seconds=600,
                          allow_bookmarks=False)
        ready.set()
        for _event in stream:
            received += 1
            if received == m:
                done.set()
                stream.close()
                return

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    ready.wait(10)
    sb.storage.wait_for_watches(1, timeout=10)

    def write_and_receive() -> None:
        for i in range(m):
            sb.storage.patch(KRUISE, "bench", f"svc-{i % n:05d}",
                             {"metadata": {"annotations": {"bench/seq": str(i)}}})
        done.wait(300)

    timed(f"watch: {m:,} changes written and received", write_and_receive, m, "events")
    assert received == m, received
    sb.stop()


if __name__ == "__main__":
    main()
