"""Hostile input over raw HTTPS: every answer is a Status, the server survives, the store is
untouched."""

from __future__ import annotations

import http.client
import json
import socket
import ssl

import pytest

NS = "hostile"
ROLLOUTS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts"


@pytest.fixture(scope="module")
def tls(api) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=api.configuration.ssl_ca_cert)


@pytest.fixture(scope="module", autouse=True)
def seeded(sb):
    sb.storage.create("namespaces", {"metadata": {"name": NS}})
    sb.storage.create("rollouts.argoproj.io", {
        "metadata": {"name": "keep", "namespace": NS, "annotations": {"note": "<b>x</b>"}},
        "spec": {"replicas": 1}})


@pytest.fixture
def unchanged(sb):
    """The store's objects and resourceVersion are the same after the test."""
    before = (sb.storage.dump(), sb.storage.resource_version)
    yield
    assert (sb.storage.dump(), sb.storage.resource_version) == before


def request(sb, tls, method, path, body: bytes | str | None = None, headers=None,
            token: str | None = "admin") -> tuple[int, dict]:
    conn = http.client.HTTPSConnection(sb.server.host, sb.server.port, context=tls, timeout=10)
    hdrs = {"Accept": "application/json", **(headers or {})}
    if token:
        hdrs["Authorization"] = f"Bearer {sb.token(token)}"
    if isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else {}
    finally:
        conn.close()


def assert_status(answer, code: int, reason: str) -> dict:
    status, body = answer
    assert status == code, body
    assert (body["kind"], body["status"], body["code"], body["reason"]) == (
        "Status", "Failure", code, reason)
    assert body["message"]
    return body


@pytest.mark.parametrize(("body", "fragment"), [
    ("{not json", "not valid"),
    ('{"metadata": ', "not valid"),
    (b"\xff\xfe\x00garbage", "not valid"),
    ("[1, 2, 3]", "must be a JSON object"),
    ('"just a string"', "must be a JSON object"),
    ("[" * 5000 + "]" * 5000, "not valid"),
    ('{"metadata": {"name": "deep"}, "spec": ' + '{"a": ' * 300 + "{}" + "}" * 301, "deeper"),
])
def test_malformed_bodies_are_400(sb, tls, unchanged, body, fragment):
    answer = request(sb, tls, "POST", ROLLOUTS, body, {"Content-Type": "application/json"})
    assert fragment in assert_status(answer, 400, "BadRequest")["message"]


def test_wrong_content_types_are_415(sb, tls, unchanged):
    body = json.dumps({"metadata": {"name": "x"}, "spec": {}})
    assert_status(request(sb, tls, "POST", ROLLOUTS, body, {"Content-Type": "text/plain"}),
                  415, "UnsupportedMediaType")
    assert_status(request(sb, tls, "PATCH", f"{ROLLOUTS}/keep", '{"spec":{}}',
                          {"Content-Type": "application/json"}), 415, "UnsupportedMediaType")
    assert_status(request(sb, tls, "PATCH", f"{ROLLOUTS}/keep", '{"spec":{}}',
                          {"Content-Type": "application/strategic-merge-patch+json"}),
                  415, "UnsupportedMediaType")
    assert_status(request(sb, tls, "POST", ROLLOUTS, b"k8s\x00\x01\x02",
                          {"Content-Type": "application/vnd.kubernetes.protobuf"}),
                  415, "UnsupportedMediaType")


def test_huge_bodies_are_413_and_unread(sb, tls, unchanged):
    conn = http.client.HTTPSConnection(sb.server.host, sb.server.port, context=tls, timeout=10)
    try:
        conn.putrequest("POST", ROLLOUTS)
        conn.putheader("Authorization", f"Bearer {sb.token()}")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders(b'{"metadata":')
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 413
    assert body["reason"] == "RequestEntityTooLarge"
    assert body["message"] == "Request entity too large: limit is 3145728"


@pytest.mark.parametrize("path", [
    "/apis/example.com/v1/namespaces/default/widgets",
    "/api/v1/namespaces/default/nothings",
    "/apis/argoproj.io/v9/namespaces/default/rollouts",
    "/apis/argoproj.io/v1alpha1/namespaces/default/rollouts/keep/scale/extra",
    "/apis/argoproj.io/v1alpha1/namespaces/default/analysistemplates/x/status",
    "/../../etc/passwd",
    "/api/v1/namespaces/default/pods/%3Cscript%3E",
])
def test_unknown_paths_are_404(sb, tls, unchanged, path):
    assert_status(request(sb, tls, "GET", path), 404, "NotFound")


def test_invalid_names_and_labels_are_422(sb, tls, unchanged):
    for name in ("Bad_Name", "<script>alert(1)</script>", "a" * 254, "-lead", "trail."):
        body = json.dumps({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                           "metadata": {"name": name}, "spec": {}})
        status = assert_status(request(sb, tls, "POST", ROLLOUTS, body,
                                       {"Content-Type": "application/json"}), 422, "Invalid")
        assert status["details"]["causes"][0]["field"] == "metadata.name"
    body = json.dumps({"metadata": {"name": "ok", "labels": {"x": "<img src=x>"}}, "spec": {}})
    status = assert_status(request(sb, tls, "POST", ROLLOUTS, body,
                                   {"Content-Type": "application/json"}), 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "metadata.labels"


def test_mismatches_and_bad_parameters_are_400(sb, tls, unchanged):
    wrong_kind = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    assert_status(request(sb, tls, "POST", ROLLOUTS, wrong_kind,
                          {"Content-Type": "application/json"}), 400, "BadRequest")
    other_ns = json.dumps({"metadata": {"name": "x", "namespace": "default"}, "spec": {}})
    assert_status(request(sb, tls, "POST", ROLLOUTS, other_ns,
                          {"Content-Type": "application/json"}), 400, "BadRequest")
    renamed = json.dumps({"metadata": {"name": "other"}, "spec": {}})
    assert_status(request(sb, tls, "PUT", f"{ROLLOUTS}/keep", renamed,
                          {"Content-Type": "application/json"}), 400, "BadRequest")
    for query in ("limit=-1", "limit=abc", "labelSelector=a%20in%20b", "continue=%%%",
                  "watch=true&resourceVersion=abc", "timeoutSeconds=soon&watch=1"):
        assert_status(request(sb, tls, "GET", f"{ROLLOUTS}?{query}"), 400, "BadRequest")
    json_patch_escape = '[{"op":"replace","path":"/metadata/name","value":"stolen"}]'
    assert_status(request(sb, tls, "PATCH", f"{ROLLOUTS}/keep", json_patch_escape,
                          {"Content-Type": "application/json-patch+json"}), 400, "BadRequest")
    assert_status(request(sb, tls, "PATCH", f"{ROLLOUTS}/keep", '[{"op":"explode"}]',
                          {"Content-Type": "application/json-patch+json"}), 400, "BadRequest")


def test_auth_failures_and_methods(sb, tls, unchanged):
    assert_status(request(sb, tls, "GET", ROLLOUTS, token=None), 401, "Unauthorized")
    assert_status(request(sb, tls, "DELETE", f"{ROLLOUTS}/keep", token="viewer"), 403,
                  "Forbidden")
    assert_status(request(sb, tls, "PUT", ROLLOUTS, "{}", {"Content-Type": "application/json"}),
                  405, "MethodNotAllowed")
    assert_status(request(sb, tls, "POST", "/_sandbox/faults/compact"), 404, "NotFound")
    assert request(sb, tls, "GET", "/version", token=None)[0] == 200


def test_garbage_on_the_socket_does_not_hurt(sb, tls, unchanged):
    for payload in (b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00\xff" + b"\x00" * 64,
                    b"hello\r\n\r\n"):
        with socket.create_connection((sb.server.host, sb.server.port), timeout=5) as raw:
            try:  # the server may drop us at any point: that is the point
                raw.sendall(payload)
                raw.shutdown(socket.SHUT_WR)
                raw.recv(1024)
            except OSError:
                pass
    status, body = request(sb, tls, "GET", f"{ROLLOUTS}/keep")
    assert status == 200 and body["metadata"]["annotations"] == {"note": "<b>x</b>"}


def test_keep_alive_survives_refused_bodies(sb, tls, unchanged):
    """An error answered before reading the body must not poison the next request."""
    conn = http.client.HTTPSConnection(sb.server.host, sb.server.port, context=tls, timeout=10)
    auth = {"Authorization": f"Bearer {sb.token()}", "Content-Type": "application/json"}
    body = json.dumps({"metadata": {"name": "x"}, "spec": {}})
    try:
        for method, path, code in (("PUT", ROLLOUTS, 405), ("POST", "/apis/x/v1/ys", 404),
                                   ("PUT", f"{ROLLOUTS}/keep", 403)):
            headers = dict(auth)
            if code == 403:
                headers["Authorization"] = f"Bearer {sb.token('viewer')}"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            assert (resp.status, json.loads(resp.read())["code"]) == (code, code)
        conn.request("GET", f"{ROLLOUTS}/keep", headers=auth)
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["metadata"]["name"] == "keep"
    finally:
        conn.close()


def test_malformed_request_line_gets_a_status(sb, tls, unchanged):
    raw = socket.create_connection((sb.server.host, sb.server.port), timeout=5)
    with tls.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
        conn.sendall(b"NOT A REQUEST LINE AT ALL\r\n\r\n")
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    # An unparsable request line is answered HTTP/0.9-style (no status line), as the stdlib
    # does; the body is still a Status.
    status = json.loads(data[data.index(b"{"):])
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 400, "BadRequest")
