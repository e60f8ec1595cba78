"""Watch streams and injected faults, through the official client's Watch and ResourceClient."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import ARGO_ROLLOUTS, KRUISE_ROLLOUTS_V1ALPHA1, PODS

NS = "watching"


@pytest.fixture(scope="module", autouse=True)
def namespace(sb):
    sb.storage.create("namespaces", {"metadata": {"name": NS}})


@pytest.fixture(autouse=True)
def no_faults(sb):
    yield
    sb.faults.reset()


def argo(name: str) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name, "namespace": NS}, "spec": {"replicas": 1}}


def test_watch_from_list_version_streams_changes(sb, rc):
    _, rv = rc.list_all(ARGO_ROLLOUTS, NS)
    sb.storage.create("rollouts.argoproj.io", argo("w1"))
    sb.storage.patch("rollouts.argoproj.io", NS, "w1", {"spec": {"replicas": 3}})
    sb.storage.delete("rollouts.argoproj.io", NS, "w1")
    events = list(rc.watch(ARGO_ROLLOUTS, NS, resource_version=rv, timeout_seconds=1,
                           allow_bookmarks=False))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]
    assert events[1]["object"]["spec"]["replicas"] == 3
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)


def test_typed_watch_initial_state_and_live_events(sb, api):
    sb.storage.create("pods", {"metadata": {"name": "seen-first", "namespace": NS}})
    core = client.CoreV1Api(api)
    w = watch.Watch()
    received = []

    def writer():
        sb.storage.create("pods", {"metadata": {"name": "seen-live", "namespace": NS}})

    for event in w.stream(core.list_namespaced_pod, NS, timeout_seconds=5):
        received.append((event["type"], event["object"].metadata.name))
        if len(received) == 1:
            threading.Thread(target=writer).start()
        if len(received) == 2:
            w.stop()
    assert received == [("ADDED", "seen-first"), ("ADDED", "seen-live")]
    assert isinstance(event["object"], client.V1Pod)


def test_kruise_v1alpha1_watch_is_converted(sb, rc):
    _, rv = rc.list_all(KRUISE_ROLLOUTS_V1ALPHA1, NS)
    sb.storage.create("rollouts.rollouts.kruise.io", {
        "metadata": {"name": "k", "namespace": NS},
        "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "k"},
                 "strategy": {"canary": {"steps": [{"traffic": "30%"}]}}}})
    (event,) = list(rc.watch(KRUISE_ROLLOUTS_V1ALPHA1, NS, resource_version=rv,
                             timeout_seconds=1, allow_bookmarks=False))
    assert event["object"]["apiVersion"] == "rollouts.kruise.io/v1alpha1"
    assert event["object"]["spec"]["objectRef"]["workloadRef"]["name"] == "k"
    assert event["object"]["spec"]["strategy"]["canary"]["steps"] == [{"weight": 30}]


def test_label_selector_watch(sb, rc):
    _, rv = rc.list_all(PODS, NS)
    sb.storage.create("pods", {"metadata": {"name": "blue", "namespace": NS,
                                            "labels": {"colour": "blue"}}})
    sb.storage.create("pods", {"metadata": {"name": "red", "namespace": NS,
                                            "labels": {"colour": "red"}}})
    events = list(rc.watch(PODS, NS, resource_version=rv, timeout_seconds=1,
                           label_selector="colour in (red)", allow_bookmarks=False))
    assert [e["object"]["metadata"]["name"] for e in events] == ["red"]


def test_bookmarks_carry_the_current_version(sb, rc):
    sb.server.bookmark_interval = 0.1
    try:
        stream = rc.watch(PODS, NS, resource_version=sb.storage.resource_version,
                          timeout_seconds=5)
        event = next(stream)
        stream.close()
    finally:
        sb.server.bookmark_interval = 30.0
    assert event == {"type": "BOOKMARK", "object": {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"resourceVersion": sb.storage.resource_version}}}


def test_expired_version_gives_410_error_event(sb, rc, api):
    old = sb.storage.resource_version
    sb.storage.create("pods", {"metadata": {"name": "after-old", "namespace": NS}})
    sb.faults.compact()
    events = list(rc.watch(PODS, NS, resource_version=old, timeout_seconds=5))
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    # The official Watch turns it into an ApiException 410 when it may not retry.
    w = watch.Watch()
    with pytest.raises(ApiException) as info:
        for _ in w.stream(client.CoreV1Api(api).list_namespaced_pod, NS,
                          resource_version=old, timeout_seconds=5):
            pass
    assert info.value.status == 410


def test_expire_next_watch_fault(sb, rc):
    sb.faults.expire_next_watch()
    (event,) = list(rc.watch(PODS, NS, resource_version=sb.storage.resource_version,
                             timeout_seconds=5))
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
    events = list(rc.watch(PODS, NS, resource_version=sb.storage.resource_version,
                           timeout_seconds=1, allow_bookmarks=False))
    assert events == []  # only the next watch expires


def test_drop_watches_ends_open_streams(sb, rc):
    opened = threading.Event()
    sb.storage.create("pods", {"metadata": {"name": "before-drop", "namespace": NS}})
    received: list[dict] = []

    def consume():
        for event in rc.watch(PODS, NS, timeout_seconds=30, allow_bookmarks=False):
            received.append(event)
            opened.set()

    thread = threading.Thread(target=consume)
    thread.start()
    assert opened.wait(5)
    assert sb.faults.drop_watches() >= 1
    thread.join(5)
    assert not thread.is_alive()
    assert any(e["object"]["metadata"]["name"] == "before-drop" for e in received)


def test_fail_next_by_verb_and_count(sb, rc):
    sb.faults.fail_next(2, status=503, verb="list")
    rc.get(PODS, NS, "before-drop")  # other verbs are not affected
    for _ in range(2):
        with pytest.raises(RolloutsError) as info:
            rc.list(PODS, NS)
        assert info.value.code == errors.API_UNAVAILABLE
        assert info.value.status["code"] == 503
        assert info.value.status["reason"] == "ServiceUnavailable"
    assert rc.list(PODS, NS)["items"]
    sb.faults.fail_next(1, status=429)
    with pytest.raises(RolloutsError) as info:
        rc.get(PODS, NS, "before-drop")
    assert info.value.status["reason"] == "TooManyRequests"
    with pytest.raises(ValueError):
        sb.faults.fail_next(0)


def test_refuse_connections_then_come_back(sb, rc):
    host, port = sb.server.host, sb.server.port
    sb.faults.refuse_connections(0.3)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()
    with pytest.raises(RolloutsError) as info:
        rc.list(PODS, NS, timeout=2)
    assert info.value.code == errors.API_UNAVAILABLE
    assert sb.wait_serving(10)
    assert sb.server.port == port
    assert rc.list(PODS, NS)["items"]


def test_delay_slows_resource_requests_only(sb, rc):
    sb.faults.delay(0.05)
    assert sb.faults.delay_seconds == 0.05
    assert rc.list(PODS, NS)["items"]  # still answered
    sb.faults.delay(0)
    with pytest.raises(ValueError):
        sb.faults.delay(-1)


def test_watch_list_initial_events_end_bookmark(sb, rc):
    sb.storage.create("services", {"metadata": {"name": "initial", "namespace": NS}})
    version = sb.storage.resource_version
    stream = rc.request("GET", f"/api/v1/namespaces/{NS}/services", query={
        "watch": "true", "sendInitialEvents": "true", "allowWatchBookmarks": "true",
        "resourceVersionMatch": "NotOlderThan", "timeoutSeconds": 1}, stream=True)
    lines = [json.loads(line) for line in stream.read().splitlines() if line.strip()]
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in lines] == [
        ("ADDED", "initial"), ("BOOKMARK", None)]
    assert lines[1]["object"]["metadata"] == {
        "resourceVersion": version, "annotations": {"k8s.io/initial-events-end": "true"}}
    with pytest.raises(RolloutsError) as info:
        rc.request("GET", f"/api/v1/namespaces/{NS}/services",
                   query={"watch": "true", "sendInitialEvents": "true"}, stream=True)
    assert info.value.status["code"] == 422
