"""Raw, dict-in dict-out access to any Kubernetes resource through the official client.

The generated typed APIs deserialise into model classes (slow, lossy for CRDs); the
dashboard wants plain JSON. This goes through the same ``kubernetes.client.ApiClient``
(auth, TLS, proxies from the kubeconfig) and maps every failure to a ``RolloutsError``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

PatchType = Literal["merge", "json", "strategic"]
_PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}


@dataclass(frozen=True)
class GVR:
    """Group, version and plural of a resource (the core group is "")."""

    group: str
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return self.version if not self.group else f"{self.group}/{self.version}"

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
            if subresource:
                base += f"/{subresource}"
        return base


KRUISE_ROLLOUTS_V1BETA1 = GVR("rollouts.kruise.io", "v1beta1", "rollouts")
KRUISE_ROLLOUTS_V1ALPHA1 = GVR("rollouts.kruise.io", "v1alpha1", "rollouts")
ARGO_ROLLOUTS = GVR("argoproj.io", "v1alpha1", "rollouts")
ARGO_ANALYSISRUNS = GVR("argoproj.io", "v1alpha1", "analysisruns")
ARGO_ANALYSISTEMPLATES = GVR("argoproj.io", "v1alpha1", "analysistemplates")
ARGO_EXPERIMENTS = GVR("argoproj.io", "v1alpha1", "experiments")
DEPLOYMENTS = GVR("apps", "v1", "deployments")
REPLICASETS = GVR("apps", "v1", "replicasets")
STATEFULSETS = GVR("apps", "v1", "statefulsets")
DAEMONSETS = GVR("apps", "v1", "daemonsets")
CLONESETS = GVR("apps.kruise.io", "v1alpha1", "clonesets")
PODS = GVR("", "v1", "pods")
EVENTS = GVR("", "v1", "events")
SERVICES = GVR("", "v1", "services")
NAMESPACES = GVR("", "v1", "namespaces", namespaced=False)

# Workload kinds by (apiVersion, kind): resolve a workloadRef by both, never by kind alone.
WORKLOADS: dict[tuple[str, str], GVR] = {
    ("apps/v1", "Deployment"): DEPLOYMENTS,
    ("apps/v1", "StatefulSet"): STATEFULSETS,
    ("apps/v1", "DaemonSet"): DAEMONSETS,
    ("apps/v1", "ReplicaSet"): REPLICASETS,
    ("apps.kruise.io/v1alpha1", "CloneSet"): CLONESETS,
    ("apps.kruise.io/v1alpha1", "StatefulSet"): GVR("apps.kruise.io", "v1alpha1", "statefulsets"),
    ("apps.kruise.io/v1beta1", "StatefulSet"): GVR("apps.kruise.io", "v1beta1", "statefulsets"),
    ("apps.kruise.io/v1alpha1", "DaemonSet"): GVR("apps.kruise.io", "v1alpha1", "daemonsets"),
}


def workload_gvr(api_version: str, kind: str) -> GVR:
    try:
        return WORKLOADS[(api_version, kind)]
    except KeyError:
        raise RolloutsError(
            errors.INVALID_INPUT, f"unsupported workload {kind} ({api_version or 'no apiVersion'})"
        ) from None


# Objects kept as dicts repeat the same keys and short values ("status", "apps/v1",
# "Progressing", label values...). Sharing one string object for each halves their memory
# for a decoding cost (a Python hook per object: about twice json.loads' time). The value
# table is bounded: it starts over when full, so unique values (uids, timestamps) cannot make
# it grow without limit. Watch lines and list pages, the bulk of what is decoded, skip it:
# the watchers keep their objects packed (watch.watcher.pack), where shared strings would
# save nothing. One-off answers (get, patch...) keep it: it costs little at their size.
_SHARED_LIMIT = 50_000
_shared: dict[str, str] = {}


def _share_strings(
    pairs: list[tuple[str, Any]], _shared: dict[str, str] = _shared, _intern=sys.intern
) -> dict[str, Any]:
    obj = {}
    for key, value in pairs:
        if value.__class__ is str and len(value) < 40:
            value = _shared.setdefault(value, value)
        obj[_intern(key)] = value
    if len(_shared) > _SHARED_LIMIT:
        _shared.clear()
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_share_strings)


def decode_json(data: bytes | str, *, share_strings: bool = True) -> Any:
    """``json.loads``, with shared strings (see above) unless ``share_strings`` is False."""
    if not share_strings:
        return json.loads(data)
    return _DECODER.decode(data.decode("utf-8") if isinstance(data, bytes) else data)


def _status_message(exc: ApiException) -> tuple[str, dict[str, Any] | None]:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        status = json.loads(body) if body else None
    except ValueError:
        status = None
    if isinstance(status, dict) and status.get("message"):
        return str(status["message"]), status
    return f"{exc.status} {exc.reason or ''}".strip(), status if isinstance(status, dict) else None


def api_error(exc: Exception, what: str) -> RolloutsError:
    """Map a client exception to a RolloutsError naming what was being done."""
    if isinstance(exc, RolloutsError):
        return exc
    if isinstance(exc, ApiException):
        message, status = _status_message(exc)
        return RolloutsError.from_http(exc.status or 0, f"{what}: {message}", status)
    return RolloutsError(errors.API_UNAVAILABLE, f"{what}: {type(exc).__name__}: {exc}")


class ResourceClient:
    """Generic get/list/watch/create/replace/patch/delete returning plain dicts."""

    def __init__(self, api_client: ApiClient) -> None:
        self.api_client = api_client

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        stream: bool = False,
        share_strings: bool = True,
    ) -> Any:
        """One HTTP call. Returns the decoded JSON (``decode_json``), or the raw urllib3
        response if ``stream``."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        elif body is not None:
            headers["Content-Type"] = "application/json"
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        try:
            req = self.api_client.param_serialize(
                method,
                path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            resp = self.api_client.call_api(*req, _request_timeout=timeout)
            if not 200 <= resp.status <= 299:
                resp.read()
                raise ApiException.from_response(http_resp=resp, body=None, data=None)
            if stream:
                return resp.response
            data = resp.read()
        except (ApiException, Urllib3Error, OSError) as exc:
            raise api_error(exc, f"{method} {path}") from exc
        try:
            return decode_json(data, share_strings=share_strings) if data else {}
        except ValueError as exc:
            raise RolloutsError(
                errors.API_ERROR, f"{method} {path}: the server's answer is not JSON"
            ) from exc

    def get(
        self, gvr: GVR, namespace: str | None, name: str, subresource: str | None = None
    ) -> dict[str, Any]:
        return self.request("GET", gvr.path(namespace, name, subresource))

    def list(
        self,
        gvr: GVR,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """One page of a list: the List object (``items``, ``metadata.continue``...)."""
        query = {
            "labelSelector": label_selector,
            "fieldSelector": field_selector,
            "limit": limit,
            "continue": continue_token,
            "resourceVersion": resource_version,
        }
        return self.request("GET", gvr.path(namespace), query=query, timeout=timeout)

    def list_all(
        self,
        gvr: GVR,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        page_size: int = 500,
        timeout: float | tuple[float, float] | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        """Every item, following ``continue`` tokens; returns (items, list resourceVersion).

        Items get the ``kind`` and ``apiVersion`` the server leaves out of list items.
        """
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query = {
                "labelSelector": label_selector,
                "limit": page_size,
                "continue": token,
            }
            page = self.request("GET", gvr.path(namespace), query=query, timeout=timeout,
                                share_strings=False)  # the watchers pack the items
            kind = str(page.get("kind") or "").removesuffix("List")
            for item in page.get("items") or []:
                if isinstance(item, dict):
                    if kind:
                        item.setdefault("kind", kind)
                    item.setdefault("apiVersion", gvr.api_version)
                items.append(item)
            meta = page.get("metadata") or {}
            token = meta.get("continue") or None
            if not token:
                return items, str(meta.get("resourceVersion") or "")

    def open_watch(
        self,
        gvr: GVR,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        timeout_seconds: int | None = None,
        label_selector: str | None = None,
        allow_bookmarks: bool = True,
        read_timeout: float | None = None,
        connect_timeout: float = 10.0,
    ) -> WatchStream:
        """Open a watch (the HTTP answer is in when this returns) and hand back its stream.

        ``read_timeout`` bounds the wait for any byte: a stalled stream raises
        ``API_UNAVAILABLE``. A 410 answer raises ``WatchExpired`` (relist, not a failure).
        """
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "timeoutSeconds": timeout_seconds,
            "labelSelector": label_selector,
            "allowWatchBookmarks": "true" if allow_bookmarks else None,
        }
        path = gvr.path(namespace)
        try:
            resp = self.request(
                "GET",
                path,
                query=query,
                timeout=(connect_timeout, read_timeout) if read_timeout else None,
                stream=True,
            )
        except RolloutsError as exc:
            if is_gone(exc):
                raise WatchExpired(errors.API_ERROR, exc.message, exc.status) from exc
            raise
        return WatchStream(resp, f"watch {path}")

    def watch(self, gvr: GVR, namespace: str | None = None, **kwargs: Any) -> Iterator[dict]:
        """Yield watch events ``{"type", "object"}`` until the server ends the stream."""
        stream = self.open_watch(gvr, namespace, **kwargs)
        try:
            yield from stream
        finally:
            stream.close()

    def create(self, gvr: GVR, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", gvr.path(namespace), body=body)

    def replace(
        self,
        gvr: GVR,
        namespace: str | None,
        name: str,
        body: dict[str, Any],
        subresource: str | None = None,
    ) -> dict[str, Any]:
        return self.request("PUT", gvr.path(namespace, name, subresource), body=body)

    def patch(
        self,
        gvr: GVR,
        namespace: str | None,
        name: str,
        body: Any,
        patch_type: PatchType = "merge",
        subresource: str | None = None,
    ) -> dict[str, Any]:
        return self.request(
            "PATCH",
            gvr.path(namespace, name, subresource),
            body=body,
            content_type=_PATCH_CONTENT_TYPES[patch_type],
        )

    def delete(self, gvr: GVR, namespace: str | None, name: str) -> dict[str, Any]:
        return self.request("DELETE", gvr.path(namespace, name))


class WatchExpired(RolloutsError):
    """The resourceVersion is too old (HTTP 410 Gone): list again, then watch from the list."""


def is_gone(exc: RolloutsError) -> bool:
    return isinstance(exc.status, dict) and exc.status.get("code") == 410


class WatchStream:
    """The events of one open watch response; ``close()`` may be called from another thread
    and wakes up a reader blocked on the socket."""

    def __init__(self, response: Any, what: str) -> None:
        self._response = response
        self._what = what
        self._closed = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        buffer = b""
        finished = False
        try:
            for chunk in self._response.stream(65536, decode_content=True):
                buffer += chunk
                if b"\n" not in chunk:
                    continue
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield _decode_event(line)
            if buffer.strip():
                yield _decode_event(buffer)
            finished = True
        except (Urllib3Error, OSError, ValueError, AttributeError) as exc:
            if not self._closed:
                raise api_error(exc, self._what) from exc
        finally:
            self._closed = True
            if finished:
                self._response.release_conn()  # a cleanly ended stream: reuse the connection
            else:
                self._response.close()

    def close(self) -> None:
        """Stop the stream; safe from any thread (shuts the socket so a blocked read ends)."""
        self._closed = True
        try:
            self._response.shutdown()
        except (ValueError, RuntimeError, OSError):
            pass


def _decode_event(line: bytes) -> dict[str, Any]:
    try:
        event = decode_json(line, share_strings=False)  # the watcher packs the object
    except ValueError:
        # A torn or garbage line: surface it as an ERROR event; the watcher decides.
        return {
            "type": "ERROR",
            "object": {"kind": "Status", "code": 0, "message": "undecodable watch line"},
        }
    if not isinstance(event, dict):
        return {
            "type": "ERROR",
            "object": {"kind": "Status", "code": 0, "message": "watch line is not an object"},
        }
    return event
