"""The HTTP layer: Kubernetes API paths, verbs, content types, watch streams and Status bodies.

A ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive; watches are chunked JSON lines.
Every error answer is a ``Status`` object with ``reason`` and ``code``. Nothing a client sends
can crash the server or leave the store half-written: each write is one store call under its
lock, and any unexpected exception becomes a 500 Status.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox import conversion, protobuf
from rollouts_widgets.sandbox.auth import ADMIN, Authorizer, forbidden_message
from rollouts_widgets.sandbox.discovery import KUBE_VERSION, Discovery
from rollouts_widgets.sandbox.faults import Faults, reason_for
from rollouts_widgets.sandbox.openapi import OpenAPI
from rollouts_widgets.sandbox.patch import apply_patch, clone
from rollouts_widgets.sandbox.resources import ResourceType, api_error, status_body
from rollouts_widgets.sandbox.selectors import combined
from rollouts_widgets.sandbox.storage import CLOSED, ObjectStore, Watch, prune
from rollouts_widgets.sandbox.tables import to_table, wants_table, watch_table_row
from rollouts_widgets.sandbox.validation import validate

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 3 * 1024 * 1024  # the real API server's request size limit
MAX_NESTING = 100  # real objects nest ~20 levels; deeper bodies are hostile
DEFAULT_WATCH_SECONDS = 1800
ADMIN_PREFIX = "/_sandbox/"
PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
}
BODY_TYPES = ("application/json", "application/yaml")
_PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")


@dataclass(frozen=True)
class Route:
    """A resource request: what it addresses and which Kubernetes verb it is."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str | None
    verb: str


class HTTPError(Exception):
    """An error answer carrying its Status body."""

    def __init__(self, body: dict[str, Any], close: bool = False) -> None:
        super().__init__(body.get("message"))
        self.body = body
        self.close = close


def http_error(code: int, message: str, reason: str | None = None, **details: Any) -> HTTPError:
    return HTTPError(status_body(code, reason or reason_for(code), message, details or None))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: SandboxServer) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        if app.ssl_context is not None:
            # The handshake runs in the request thread (see _Handler.setup), never in the
            # accept loop, so a silent client cannot stall the server.
            self.socket = app.ssl_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("sandbox: connection error from %s", client_address, exc_info=True)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        with self.connections_lock:
            self.connections.add(sock)
        return sock, addr

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rollouts-widgets-sandbox"
    sys_version = ""
    timeout = 600  # idle keep-alive connections are closed after this many seconds
    server: _HTTPServer
    body_read = False  # set per request by SandboxServer.handle

    def setup(self) -> None:
        super().setup()
        self.tls_failed = False
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (OSError, ssl.SSLError):
                self.tls_failed = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (bad request line, huge headers...) as Status bodies."""
        self.close_connection = True
        try:
            self.send_json(code, status_body(code, reason_for(code),
                                             message or self.responses.get(code, ("",))[0]),
                           close=True)
        except OSError:
            pass

    def handle(self) -> None:
        if self.tls_failed:
            return
        try:
            super().handle()
        except (OSError, ssl.SSLError):
            self.close_connection = True  # a client that went away or spoke no TLS

    def _dispatch(self) -> None:
        self.server.app.handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    # --- responses ---------------------------------------------------------------------

    def send_json(
        self, code: int, body: Any, close: bool = False, warnings: list[str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":"))
        payload = data if isinstance(data, bytes) else data.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for warning in warnings or ():
            self.send_header("Warning", '299 - "{}"'.format(warning.replace('"', '\\"')))
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, private")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def start_chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class SandboxServer:
    """The API server: routes requests to the store; owns the listening socket."""

    def __init__(
        self,
        store: ObjectStore,
        authorizer: Authorizer,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        kruise_versions: tuple[str, ...] = ("v1beta1", "v1alpha1"),
        admin_endpoints: bool = False,
        admin_actions: dict[str, Any] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.store = store
        self.authorizer = authorizer
        self.host = host
        self.port = port
        self.discovery = Discovery(tuple(kruise_versions))
        self.openapi = OpenAPI(self.discovery)
        self.admin_endpoints = admin_endpoints
        self.admin_actions = admin_actions or {}
        self.max_body_bytes = max_body_bytes
        self.ssl_context = ssl_context
        self.bookmark_interval = 30.0
        self.faults = Faults(store, refuse=self.refuse_connections)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._serving = threading.Event()
        self._stopped = False
        self._reopen_timer: threading.Timer | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> None:
        with self._lock:
            if self._httpd is None:
                self._stopped = False
                self._open()

    def _open(self) -> None:
        httpd = _HTTPServer((self.host, self.port), self)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"sandbox-api-{self.port}", daemon=True,
        )
        self._thread.start()
        self._serving.set()

    def _close(self) -> None:
        httpd, self._httpd = self._httpd, None
        self._serving.clear()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            self.store.close_watches()
            httpd.drop_connections()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._reopen_timer is not None:
                self._reopen_timer.cancel()
                self._reopen_timer = None
            self._close()

    def refuse_connections(self, seconds: float) -> None:
        """Close the listening socket and every connection; reopen after ``seconds``."""
        with self._lock:
            if self._httpd is None:
                raise RuntimeError("the sandbox server is not serving")
            self._close()
            timer = threading.Timer(max(0.0, seconds), self._reopen)
            timer.daemon = True
            self._reopen_timer = timer
            timer.start()

    def _reopen(self) -> None:
        for _ in range(50):  # the port may linger briefly after close
            with self._lock:
                if self._stopped or self._httpd is not None:
                    return
                try:
                    self._open()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        log.error("sandbox: could not reopen port %s", self.port)

    def wait_serving(self, timeout: float | None = None) -> bool:
        """Block until the server accepts connections again (after ``refuse_connections``)."""
        return self._serving.wait(timeout)

    # --- request handling --------------------------------------------------------------

    def handle(self, req: _Handler) -> None:
        req.body_read = False
        try:
            self._handle(req)
        except HTTPError as err:
            self._send_error(req, err.body, err.close)
        except RolloutsError as err:
            body = err.status or status_body(500, "InternalError", err.message)
            self._send_error(req, body)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ssl.SSLEOFError):
            # the client went away (or the refuse_connections fault cut it off): not an error
            req.close_connection = True
        except Exception:
            log.exception("sandbox: unexpected error on %s %s", req.command, req.path)
            self._send_error(req, status_body(500, "InternalError", "internal error"), True)

    def _send_error(self, req: _Handler, body: dict[str, Any], close: bool = False) -> None:
        try:
            if not close and not req.body_read:
                self._drain(req)  # an unread body would be parsed as the next request
            req.send_json(int(body.get("code") or 500), body, close=close)
        except OSError:
            req.close_connection = True

    def _handle(self, req: _Handler) -> None:
        parts = urlsplit(req.path)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        method = req.command
        if method in ("HEAD", "OPTIONS"):
            raise http_error(405, f"the server does not allow the method {method}",
                             "MethodNotAllowed")
        if path in _PUBLIC_PATHS:
            self._drain(req)
            req.send_json(200, KUBE_VERSION if path == "/version" else b'"ok"')
            return
        user = self.authorizer.authenticate(req.headers.get("Authorization"))
        if user is None:
            self._drain(req)
            raise http_error(401, "Unauthorized", "Unauthorized")
        if path.startswith(ADMIN_PREFIX.rstrip("/")) and self.admin_endpoints:
            self._admin(req, user, path, query)
            return
        discovery = self._discovery(path)
        if discovery is not None:
            self._drain(req)
            if method != "GET":
                raise http_error(405, f"the server does not allow the method {method}",
                                 "MethodNotAllowed")
            req.send_json(200, discovery)
            return
        route = self._route(method, path, query)
        if route is None:
            self._drain(req)
            raise http_error(404, "the server could not find the requested resource",
                             "NotFound")
        # Every authenticated user may ask what it may do (system:basic-user on real clusters).
        is_review = route.rt.plural == "selfsubjectaccessreviews"
        if not is_review and not self.authorizer.allowed(user, route.verb,
                                                         self._rbac_resource(route)):
            self._drain(req)
            message = forbidden_message(user, route.verb, route.rt.plural, route.rt.group,
                                        route.namespace, route.name, route.subresource)
            raise HTTPError(status_body(403, "Forbidden", message, {
                "name": route.name or "", "group": route.rt.group, "kind": route.rt.plural}))
        if self.faults.delay_seconds:
            time.sleep(self.faults.delay_seconds)
        failure = self.faults.take_failure(route.verb)
        if failure is not None:
            self._drain(req)
            raise http_error(failure, f"sandbox fault: injected {failure} for {route.verb}")
        self._serve(req, route, query, user)

    @staticmethod
    def _rbac_resource(route: Route) -> str:
        return f"{route.rt.plural}/{route.subresource}" if route.subresource else route.rt.plural

    def _discovery(self, path: str) -> dict[str, Any] | None:
        d = self.discovery
        if path == "/openapi/v3":
            return self.openapi.root()
        if path.startswith("/openapi/v3/"):
            return self.openapi.document(path[len("/openapi/v3/"):])
        if path == "/api":
            return d.api_versions(f"{self.host}:{self.port}")
        if path == "/apis":
            return d.api_group_list()
        segments = path.strip("/").split("/")
        if segments[0] == "api" and len(segments) == 2:
            return d.resource_list("", segments[1])
        if segments[0] == "apis" and len(segments) == 2:
            return d.api_group(segments[1])
        if segments[0] == "apis" and len(segments) == 3:
            return d.resource_list(segments[1], segments[2])
        return None

    def _route(self, method: str, path: str, query: dict[str, str]) -> Route | None:
        segments = path.strip("/").split("/")
        if segments[0] == "api" and len(segments) >= 3:
            group, version, rest = "", segments[1], segments[2:]
        elif segments[0] == "apis" and len(segments) >= 4:
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            return None
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2:] != ["status"]:
            namespace, rest = rest[1], rest[2:]
        if not 1 <= len(rest) <= 3:
            return None
        rt = self.discovery.lookup(group, version, rest[0])
        if rt is None or (namespace is not None and not rt.namespaced):
            return None
        name = rest[1] if len(rest) > 1 else None
        subresource = rest[2] if len(rest) > 2 else None
        if subresource is not None and not (
            (subresource == "status" and rt.status_subresource)
            or (subresource == "scale" and rt.scale_subresource)
        ):
            return None
        if name is None:
            verbs = {"GET": "watch" if query.get("watch") in ("1", "true") else "list",
                     "POST": "create", "DELETE": "deletecollection"}
        else:
            verbs = {"GET": "get", "PUT": "update", "PATCH": "patch"}
            if subresource is None:
                verbs["DELETE"] = "delete"
        verb = verbs.get(method)
        if verb is None or verb not in rt.verbs:
            raise http_error(405, f"the server does not allow this method on the requested "
                             f"resource ({method} {rt.plural})", "MethodNotAllowed")
        return Route(rt, version, namespace, name, subresource, verb)

    # --- bodies ------------------------------------------------------------------------

    def _drain(self, req: _Handler) -> None:
        """Read and discard a request body we will not use (keeps keep-alive in step)."""
        if req.body_read:
            return
        req.body_read = True
        length = req.headers.get("Content-Length")
        if length and length.isdigit() and 0 < int(length) <= self.max_body_bytes:
            req.rfile.read(int(length))
        elif length and length != "0":
            req.close_connection = True

    def _read_body(
        self, req: _Handler, allowed: dict[str, str] | tuple[str, ...]
    ) -> tuple[Any, str]:
        """(decoded body, media type). 415 / 413 / 400 as the real server answers."""
        media = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not media and isinstance(allowed, tuple):
            media = allowed[0]  # the real server reads a body without a type as JSON
        length_text = req.headers.get("Content-Length")
        req.body_read = True
        if req.headers.get("Transfer-Encoding") or not length_text or not length_text.isdigit():
            req.close_connection = True
            raise http_error(411 if not req.headers.get("Transfer-Encoding") else 400,
                             "a request body needs a Content-Length", "BadRequest")
        length = int(length_text)
        if length > self.max_body_bytes:
            err = http_error(413, f"Request entity too large: limit is {self.max_body_bytes}",
                             "RequestEntityTooLarge")
            err.close = True
            raise err
        raw = req.rfile.read(length)
        if media == protobuf.MEDIA_TYPE and isinstance(allowed, tuple):
            try:
                return protobuf.decode(raw), media
            except (protobuf.ProtobufError, UnicodeDecodeError) as exc:
                raise http_error(415, f"the body of the request could not be decoded: {exc}; "
                                 "send application/json", "UnsupportedMediaType") from None
        if media not in allowed:
            accepted = ", ".join(allowed)
            raise http_error(415, "the body of the request was in an unknown format - "
                             f"accepted media types include: {accepted}", "UnsupportedMediaType")
        try:
            text = raw.decode("utf-8")
            body = yaml.safe_load(text) if media == "application/yaml" else json.loads(text)
        except (UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError) as exc:
            raise http_error(400, f"the request body is not valid: {exc}", "BadRequest") \
                from None
        if _depth_exceeds(body, MAX_NESTING):
            raise http_error(400, f"the request body nests deeper than {MAX_NESTING} levels",
                             "BadRequest")
        return body, media

    # --- verbs -------------------------------------------------------------------------

    def _serve(self, req: _Handler, route: Route, query: dict[str, str], user: str) -> None:
        rt = route.rt
        if rt.key == "selfsubjectaccessreviews.authorization.k8s.io":
            body, _ = self._read_body(req, BODY_TYPES)
            if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
                raise http_error(400, "a SelfSubjectAccessReview needs a spec", "BadRequest")
            review = {"kind": "SelfSubjectAccessReview", "apiVersion": rt.api_version(),
                      "metadata": {"creationTimestamp": None}, "spec": body["spec"],
                      "status": self.authorizer.review(user, body["spec"])}
            req.send_json(201, review)
            return
        if route.subresource == "scale":
            self._scale(req, route, _dry_run(query))
            return
        if route.verb in ("create", "update", "patch"):
            getattr(self, f"_{route.verb}")(req, route, query)
            return
        if route.verb == "delete":
            self._delete(req, route, query)
            return
        if route.verb == "deletecollection":
            self._delete_collection(req, route, query)
            return
        self._drain(req)
        if route.verb == "watch":
            self._watch(req, route, query)
        elif route.verb == "list":
            self._list(req, route, query)
        elif route.verb == "get":
            obj = self.store.get_ref(rt.key, route.namespace, route.name or "")
            self._send_object(req, 200, route, obj)

    def _scale(self, req: _Handler, route: Route, dry_run: bool) -> None:
        """The ``scale`` subresource: an autoscaling/v1 Scale over ``spec.replicas``."""
        rt, name = route.rt, route.name or ""
        current = self.store.get_ref(rt.key, route.namespace, name)
        scale = scale_of(current)
        if route.verb == "get":
            self._drain(req)
            req.send_json(200, scale)
            return
        if route.verb == "update":
            body, _ = self._read_body(req, BODY_TYPES)
        else:
            patch, media = self._read_body(req, PATCH_TYPES)
            body = apply_patch(scale, patch, "merge" if PATCH_TYPES[media] == "strategic"
                               else PATCH_TYPES[media])
        replicas = (body.get("spec") or {}).get("replicas") if isinstance(body, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise http_error(422, f'Scale.autoscaling "{name}" is invalid: spec.replicas: '
                             "Invalid value: must be a non-negative integer", "Invalid")
        wanted_rv = (body.get("metadata") or {}).get("resourceVersion")
        updated = self.store.patch(
            rt.key, route.namespace, name,
            {"metadata": {"resourceVersion": wanted_rv or current["metadata"]["resourceVersion"]},
             "spec": {"replicas": replicas}}, dry_run=dry_run)
        req.send_json(200, scale_of(updated))

    def _delete(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        """DELETE of one object, with optional DeleteOptions in the body."""
        dry_run = self._delete_options_dry_run(req, query)
        obj = self.store.delete(route.rt.key, route.namespace, route.name or "",
                                dry_run=dry_run)
        self._send_object(req, 200, route, obj)

    def _delete_collection(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        """DELETE on a collection: every object matching the selectors (one by one)."""
        dry_run = self._delete_options_dry_run(req, query)
        predicate = combined(query.get("labelSelector"), query.get("fieldSelector"))
        items, _, _ = self.store.page(route.rt.key, route.namespace, predicate)
        for obj in items:
            meta = obj["metadata"]
            try:
                self.store.delete(route.rt.key, meta.get("namespace"), meta["name"],
                                  dry_run=dry_run)
            except RolloutsError as err:
                if err.code != errors.NOT_FOUND:  # already gone (an owner took it along)
                    raise
        req.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Success", "details": {
                                "group": route.rt.group, "kind": route.rt.plural}})

    def _delete_options_dry_run(self, req: _Handler, query: dict[str, str]) -> bool:
        """``dryRun`` from the query or from DeleteOptions in the body (where kubectl sends
        it)."""
        dry_run = _dry_run(query)
        if req.headers.get("Content-Length") not in (None, "", "0"):
            options, _ = self._read_body(req, BODY_TYPES)
            if isinstance(options, dict) and isinstance(options.get("dryRun"), list):
                dry_run = dry_run or _dry_run({"dryRun": ",".join(map(str, options["dryRun"]))})
        else:
            self._drain(req)
        return dry_run

    def _send_object(self, req: _Handler, code: int, route: Route, obj: dict[str, Any],
                     warnings: list[str] | None = None) -> None:
        out = conversion.to_version(obj, route.rt, route.version)
        if wants_table(req.headers.get("Accept")):
            req.send_json(code, to_table(route.rt, [out], self.store.now()), warnings=warnings)
        else:
            req.send_json(code, out, warnings=warnings)

    @staticmethod
    def _unknown_fields(route: Route, query: dict[str, str], candidate: Any) -> list[str]:
        """Fields the CRD schema prunes from ``candidate`` (in the request's version), as
        ``fieldValidation`` asks: Strict -> 400, Ignore -> silent, otherwise warnings."""
        if not route.rt.prune or not isinstance(candidate, dict):
            return []
        dropped = prune(clone(candidate), route.rt, route.version)
        mode = query.get("fieldValidation") or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise http_error(400, f"invalid fieldValidation {mode!r}", "BadRequest")
        messages = [f'unknown field "{path}"' for path in dropped]
        if messages and mode == "Strict":
            raise http_error(400, "strict decoding error: " + ", ".join(messages), "BadRequest")
        return [] if mode == "Ignore" else messages

    def _incoming(self, route: Route, body: Any) -> dict[str, Any]:
        """Check a create/update body against the URL and convert it to storage."""
        if not isinstance(body, dict):
            raise http_error(400, "the request body must be a JSON object", "BadRequest")
        rt = route.rt
        expected = rt.api_version(route.version)
        if body.get("apiVersion") not in (None, expected) or body.get("kind") not in (None,
                                                                                       rt.kind):
            raise http_error(
                400, f"the API version in the data ({body.get('apiVersion')}) and kind "
                f"({body.get('kind')}) do not match the expected {expected} {rt.kind}",
                "BadRequest")
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if not isinstance(meta, dict):
            raise http_error(400, "metadata must be an object", "BadRequest")
        if rt.namespaced:
            if meta.get("namespace") not in (None, "", route.namespace):
                raise http_error(400, "the namespace of the provided object does not match "
                                 "the namespace sent on the request", "BadRequest")
            meta["namespace"] = route.namespace or "default"
        if route.name is not None and meta.get("name") not in (None, route.name):
            raise http_error(400, f"the name of the object ({meta.get('name')}) does not "
                             f"match the name on the URL ({route.name})", "BadRequest")
        if route.name is not None:
            meta["name"] = route.name
        return conversion.from_version(body, rt, route.version)

    def _create(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        if route.rt.namespaced and route.namespace is None:
            self._drain(req)
            raise http_error(405, "create needs a namespace in the path", "MethodNotAllowed")
        body, _ = self._read_body(req, BODY_TYPES)
        warnings = self._unknown_fields(route, query, body)
        incoming = self._incoming(route, body)
        validate(route.rt, incoming)
        obj = self.store.create(route.rt.key, incoming, drop_status=True,
                                dry_run=_dry_run(query))
        self._send_object(req, 201, route, obj, warnings)

    def _update(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        body, _ = self._read_body(req, BODY_TYPES)
        warnings = self._unknown_fields(route, query, body)
        incoming = self._incoming(route, body)
        if route.subresource is None:
            validate(route.rt, incoming)
        obj = self.store.update(route.rt.key, incoming, route.subresource,
                                dry_run=_dry_run(query))
        self._send_object(req, 200, route, obj, warnings)

    def _patch(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        body, media = self._read_body(req, PATCH_TYPES)
        patch_type = PATCH_TYPES[media]
        rt, dry_run = route.rt, _dry_run(query)
        warnings: list[str] = []
        if rt.prune and (patch_type != "strategic" or rt.builtin):
            current = self.store.get_ref(rt.key, route.namespace, route.name or "")
            presented = conversion.to_version(current, rt, route.version)
            warnings = self._unknown_fields(route, query,
                                            apply_patch(presented, body, patch_type))
        if route.version == rt.storage_version:
            obj = self.store.patch(rt.key, route.namespace, route.name or "", body, patch_type,
                                   route.subresource, dry_run=dry_run)
        else:
            obj = self._patch_converted(route, body, patch_type, dry_run)
        self._send_object(req, 200, route, obj, warnings)

    def _patch_converted(
        self, route: Route, body: Any, patch_type: str, dry_run: bool
    ) -> dict[str, Any]:
        """Patch in a non-storage version: convert, patch, convert back, update with a
        resourceVersion precondition (retried if another writer got in between)."""
        rt = route.rt
        if patch_type == "strategic" and not rt.builtin:
            raise api_error(errors.INVALID_INPUT, "strategic merge patch is not supported for "
                            "custom resources", http=415, reason="UnsupportedMediaType")
        for _ in range(5):
            current = self.store.get_ref(rt.key, route.namespace, route.name or "")
            presented = conversion.to_version(current, rt, route.version)
            patched = apply_patch(presented, body, patch_type)
            meta = patched.get("metadata")
            if not isinstance(meta, dict) or meta.get("name") != route.name:
                raise http_error(400, "metadata.name cannot be changed by a patch",
                                 "BadRequest")
            stored = conversion.from_version(patched, rt, route.version)
            stored["metadata"].setdefault("resourceVersion",
                                          current["metadata"]["resourceVersion"])
            try:
                return self.store.update(rt.key, stored, route.subresource, dry_run=dry_run)
            except RolloutsError as err:
                if err.code != errors.CONFLICT or "resourceVersion" in (
                    body.get("metadata") or {} if isinstance(body, dict) else {}
                ):
                    raise
        raise api_error(errors.CONFLICT, "the object kept changing; try again")

    # --- list and watch ----------------------------------------------------------------

    def _list(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        rt = route.rt
        predicate = combined(query.get("labelSelector"), query.get("fieldSelector"))
        limit = _int_param(query, "limit")
        after = None
        if query.get("continue"):
            token_rv, after = _decode_continue(query["continue"])
            try:
                self.store.check_resource_version(token_rv)
            except RolloutsError:
                raise http_error(
                    410, "The provided continue parameter is too old to display a consistent "
                    "list result. You can start a new list without the continue parameter.",
                    "Expired") from None
        items, rv, last = self.store.page(rt.key, route.namespace, predicate,
                                          limit=limit or None, after=after)
        items = [conversion.to_version(o, rt, route.version) for o in items]
        meta: dict[str, Any] = {"resourceVersion": rv}
        if last is not None:
            meta["continue"] = _encode_continue(rv, last)
        if wants_table(req.headers.get("Accept")):
            table = to_table(rt, items, self.store.now())
            table["metadata"] = meta
            req.send_json(200, table)
            return
        body = {"kind": f"{rt.kind}List", "apiVersion": rt.api_version(route.version),
                "metadata": meta, "items": items}
        req.send_json(200, body)

    def _watch(self, req: _Handler, route: Route, query: dict[str, str]) -> None:
        rt = route.rt
        timeout = _int_param(query, "timeoutSeconds") or DEFAULT_WATCH_SECONDS
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        # WatchList: the initial state as ADDED events, then a bookmark marking its end.
        initial_end = query.get("sendInitialEvents") in ("1", "true")
        if initial_end and not bookmarks:
            raise http_error(422, "sendInitialEvents requires allowWatchBookmarks=true",
                             "Invalid")
        table = wants_table(req.headers.get("Accept"))
        expired_status: dict[str, Any] | None = None
        watch: Watch | None = None
        if self.faults.take_expired_watch():
            expired_status = status_body(410, "Expired", "too old resource version: "
                                         f"{query.get('resourceVersion') or 0} (injected)")
        else:
            try:
                watch = self.store.open_watch(
                    rt.key, route.namespace,
                    None if initial_end else query.get("resourceVersion"),
                    query.get("labelSelector"), query.get("fieldSelector"))
            except RolloutsError as err:
                if not err.status or err.status.get("code") != 410:
                    raise
                expired_status = err.status
        req.start_chunked()
        try:
            if expired_status is not None:
                self._send_event(req, {"type": "ERROR", "object": expired_status})
            elif watch is not None:
                self._stream(req, route, watch, timeout, bookmarks, table,
                             watch.initial_events if initial_end else None)
            req.end_chunked()
        except OSError:
            req.close_connection = True
        finally:
            if watch is not None:
                watch.close()

    def _stream(self, req: _Handler, route: Route, watch: Watch, timeout: float,
                bookmarks: bool, table: bool, initial: int | None = None) -> None:
        """Send events until the timeout or a close; ``initial`` = how many initial-state
        events precede the ``k8s.io/initial-events-end`` bookmark (None: no such bookmark)."""
        rt = route.rt
        deadline = time.monotonic() + timeout
        next_bookmark = time.monotonic() + self.bookmark_interval
        while True:
            if initial == 0:
                initial = None
                self._send_event(req, {"type": "BOOKMARK", "object": {
                    "kind": rt.kind, "apiVersion": rt.api_version(route.version),
                    "metadata": {"resourceVersion": watch.opened_at_rv,
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}})
            now = time.monotonic()
            if now >= deadline:
                return
            wait = min(deadline, next_bookmark if bookmarks else deadline) - now
            item = watch.next(timeout=max(0.0, wait))
            if item is CLOSED:
                return
            if item is None:
                if bookmarks and time.monotonic() >= next_bookmark:
                    self._send_event(req, {"type": "BOOKMARK", "object": {
                        "kind": rt.kind, "apiVersion": rt.api_version(route.version),
                        "metadata": {"resourceVersion": self.store.resource_version}}})
                    next_bookmark = time.monotonic() + self.bookmark_interval
                continue
            event_type, obj = item
            if initial:
                initial -= 1
            out = conversion.to_version(obj, rt, route.version)
            if table:
                out = watch_table_row(rt, out, self.store.now())
            self._send_event(req, {"type": event_type, "object": out})

    @staticmethod
    def _send_event(req: _Handler, event: dict[str, Any]) -> None:
        req.write_chunk(json.dumps(event, separators=(",", ":")).encode() + b"\n")

    # --- admin endpoints ---------------------------------------------------------------

    def _admin(self, req: _Handler, user: str, path: str, query: dict[str, str]) -> None:
        """POST /_sandbox/<action>?args: faults and clock, for demos and other processes."""
        self._drain(req)
        if not self.authorizer.allowed(user, "*", "*") and user != ADMIN:
            raise http_error(403, f'User "{user}" cannot use the sandbox admin endpoints',
                             "Forbidden")
        if req.command != "POST":
            raise http_error(405, "admin endpoints take POST", "MethodNotAllowed")
        action = path[len(ADMIN_PREFIX):]
        faults = self.faults
        try:
            if action == "faults/drop_watches":
                result: Any = faults.drop_watches()
            elif action == "faults/fail_next":
                faults.fail_next(_int_param(query, "n") or 1,
                                 _int_param(query, "status") or 503, query.get("verb") or None)
                result = None
            elif action == "faults/delay":
                faults.delay(float(query.get("seconds", "0")))
                result = None
            elif action == "faults/expire_next_watch":
                result = faults.expire_next_watch()
            elif action == "faults/refuse_connections":
                seconds = float(query.get("seconds", "1"))
                req.send_json(200, {"ok": True, "result": None}, close=True)
                req.wfile.flush()
                faults.refuse_connections(seconds)
                return
            elif action == "faults/compact":
                result = faults.compact()
            elif action == "faults/reset":
                result = faults.reset()
            elif action in self.admin_actions:
                result = self.admin_actions[action](query)
            else:
                raise http_error(404, f"no sandbox admin action {action!r}", "NotFound")
        except (ValueError, RolloutsError) as exc:
            raise http_error(400, str(exc), "BadRequest") from None
        req.send_json(200, {"ok": True, "result": result})


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of a workload or Argo Rollout."""
    meta = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    match = ((spec.get("selector") or {}).get("matchLabels") or {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                          "creationTimestamp") if k in meta},
        "spec": {"replicas": spec.get("replicas", 1)},
        "status": {"replicas": status.get("replicas", 0),
                   "selector": ",".join(f"{k}={v}" for k, v in sorted(match.items()))},
    }


def _dry_run(query: dict[str, str]) -> bool:
    value = query.get("dryRun")
    if value in (None, ""):
        return False
    if value != "All":
        raise http_error(400, f"unsupported dryRun value {value!r}: only All", "BadRequest")
    return True


def _int_param(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise http_error(400, f"invalid {name}: {value!r}", "BadRequest") from None
    if number < 0:
        raise http_error(400, f"invalid {name}: must not be negative", "BadRequest")
    return number


def _encode_continue(rv: str, last: tuple[str, str]) -> str:
    raw = json.dumps({"v": "sandbox/1", "rv": rv, "start": list(last)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[str, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        start = data["start"]
        if not (isinstance(start, list) and len(start) == 2 and all(
                isinstance(s, str) for s in start)):
            raise ValueError
        return str(data["rv"]), (start[0], start[1])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise http_error(400, "continue key is not valid", "BadRequest") from None
