"""Shared helpers for the sandbox controllers: the write-counting API wrapper, time, conditions,
owner references, template hashing, percent math and durations.

Controllers act only through the object store (so the watch stream shows every change) and
must never write when nothing changed, so that ``run_until_quiet`` terminates.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.controllers.cache import BY_NAMESPACE, BY_OWNER, RoundCache

Obj = dict[str, Any]
log = logging.getLogger("rollouts_widgets.sandbox.controllers")
_reported: set[tuple[str, str]] = set()

# Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alike characters.
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class Api:
    """The store as a controller sees it: reads return None instead of raising, writes count
    themselves and swallow CONFLICT / NOT_FOUND (the next round re-reads and tries again).
    ``list`` returns shared, read-only objects; ``get`` returns a private copy."""

    def __init__(self, storage: Any, clock: Any) -> None:
        self.storage = storage
        self.clock = clock
        self.writes = 0
        self._names = 0
        # Lists are read once per round and kept current through our own writes, so a
        # controller sees what earlier controllers wrote in the round.
        self.cache = RoundCache(storage)

    def begin_round(self) -> None:
        self.cache.clear()

    # -- reads --
    def get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        try:
            return self.storage.get(resource, namespace, name)
        except RolloutsError as exc:
            if exc.code == errors.NOT_FOUND:
                return None
            raise

    def list(self, resource: str, namespace: str | None = None) -> list[Obj]:
        """Shared, read-only objects (never mutate one: copy it first)."""
        if namespace is None:
            return self.cache.items(resource)
        return self.cache.by(resource, BY_NAMESPACE, namespace)

    def owned(self, resource: str, owner: Obj) -> list[Obj]:
        """Objects of ``resource`` whose controller is ``owner``."""
        return self.cache.by(resource, BY_OWNER, owner["metadata"].get("uid", ""))

    # -- writes --
    def _write(self, resource: str, fn: Callable[[], Any], before: Obj | None = None) -> Any:
        try:
            result = fn()
        except RolloutsError as exc:
            if exc.code in (errors.CONFLICT, errors.NOT_FOUND):
                self.cache.forget(resource)
                self.writes += 1  # the round must be repeated with fresh reads
                return None
            raise
        if isinstance(result, dict):
            self.cache.put(resource, result)
        rv = (before or {}).get("metadata", {}).get("resourceVersion")
        if rv is None or (result or {}).get("metadata", {}).get("resourceVersion") != rv:
            self.writes += 1  # the store treats an update that changes nothing as a no-op
        return result

    def create(self, resource: str, obj: Obj) -> Obj | None:
        return self._write(resource, lambda: self.storage.create(resource, obj))

    def update(self, resource: str, obj: Obj) -> Obj | None:
        return self._write(resource, lambda: self.storage.update(resource, obj), obj)

    def update_status(self, resource: str, obj: Obj, status: Obj) -> Obj | None:
        """Write ``status`` through the status subresource, only if it differs."""
        if obj.get("status") == status:
            return None
        new = copy.copy(obj)
        new["status"] = status
        return self._write(
            resource, lambda: self.storage.update(resource, new, subresource="status"), obj
        )

    def update_if_changed(self, resource: str, before: Obj, after: Obj) -> Obj | None:
        """Write metadata/spec changes of ``after`` if it differs from ``before``."""
        if before == after:
            return None
        return self.update(resource, after)

    def patch(self, resource: str, namespace: str | None, name: str, patch: Obj,
              subresource: str | None = None) -> Obj | None:
        return self._write(resource, lambda: self.storage.patch(
            resource, namespace, name, patch, "merge", subresource))

    def delete(self, resource: str, namespace: str | None, name: str) -> None:
        self._write(resource, lambda: self.storage.delete(resource, namespace, name))
        self.cache.clear()  # the store deletes dependents too (garbage collection)

    def now(self) -> datetime:
        return self.clock.now()

    def new_suffix(self, seed: str, length: int = 5) -> str:
        """A pod-style random-looking suffix, deterministic for a given run order."""
        self._names += 1
        return safe_encode(fnv32a(f"{seed}/{self._names}"), length)


# -- time --
def fmt_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_since(api: Api, stamp: str | None) -> float:
    """Seconds from ``stamp`` to now; 0 when the stamp is missing or unreadable."""
    when = parse_time(stamp)
    return (api.now() - when).total_seconds() if when else 0.0


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float | None:
    """Seconds from ``30``, ``"30"``, ``"30s"``, ``"1m30s"`` or ``"2h"``; None if unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def add_seconds(stamp: str | None, seconds: float) -> datetime | None:
    when = parse_time(stamp)
    return when + timedelta(seconds=seconds) if when else None


# -- conditions --
def get_condition(conditions: Iterable[Obj] | None, ctype: str) -> Obj | None:
    return next((c for c in conditions or () if c.get("type") == ctype), None)


def set_condition(
    conditions: list[Obj], ctype: str, status: str, reason: str, message: str, now: datetime,
    update_key: str | None = "lastUpdateTime",
) -> list[Obj]:
    """Return ``conditions`` with ``ctype`` set. Timestamps move only when something changed
    (lastTransitionTime only when ``status`` flips), so re-asserting a condition is a no-op."""
    stamp = fmt_time(now)
    result = [dict(c) for c in conditions or []]
    current = get_condition(result, ctype)
    if current is None:
        current = {"type": ctype}
        if update_key:
            current[update_key] = stamp
        current["lastTransitionTime"] = stamp
        result.append(current)
    elif (current.get("status"), current.get("reason"), current.get("message")) == (
        status, reason, message
    ):
        return result
    else:
        if current.get("status") != status:
            current["lastTransitionTime"] = stamp
        if update_key:
            current[update_key] = stamp
    current.update(status=status, reason=reason, message=message)
    return result


def remove_condition(conditions: list[Obj] | None, ctype: str) -> list[Obj]:
    return [dict(c) for c in conditions or [] if c.get("type") != ctype]


# -- ownership --
def owner_ref(owner: Obj, controller: bool = True) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"].get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_of(obj: Obj) -> Obj | None:
    refs = obj.get("metadata", {}).get("ownerReferences") or []
    return next((r for r in refs if r.get("controller")), None)


def name_of(obj: Obj) -> str:
    return obj["metadata"]["name"]


def ns_of(obj: Obj) -> str | None:
    return obj["metadata"].get("namespace")


def labels_of(obj: Obj) -> dict[str, str]:
    return obj.get("metadata", {}).get("labels") or {}


def annotations_of(obj: Obj) -> dict[str, str]:
    return obj.get("metadata", {}).get("annotations") or {}


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against a label map."""
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


# -- hashing --
def fnv32a(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode(number: int, length: int | None = None) -> str:
    """Kubernetes-style: the decimal digits mapped onto the safe alphabet."""
    digits = str(number)
    if length is not None:
        digits = (digits * length)[:length] if len(digits) < length else digits[-length:]
    return "".join(_SAFE_ALPHABET[int(d) * 2 + (i % 2)] for i, d in enumerate(digits))


def template_hash(template: Obj | None, drop_labels: tuple[str, ...] = (),
                  collision_count: int = 0) -> str:
    """A pod-template hash (fnv32a + safe encoding, like ``controller.ComputeHash``), ignoring
    the given labels so that a ReplicaSet's own hash label does not change its hash; a
    collision count (a name taken by someone else) gives another hash."""
    template = dict(template or {})
    if drop_labels and isinstance(template.get("metadata"), dict):
        meta = template["metadata"] = dict(template["metadata"])
        meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items()
                          if k not in drop_labels}
        if not meta["labels"]:
            meta.pop("labels")
    text = json.dumps(template, sort_keys=True, separators=(",", ":"))
    if collision_count:
        text += f"/{collision_count}"
    return safe_encode(fnv32a(text))


def strip_label(template: Obj | None, key: str) -> Obj:
    template = copy.deepcopy(template or {})
    labels = template.get("metadata", {}).get("labels")
    if labels:
        labels.pop(key, None)
    return template


# -- numbers --
def scaled_value(value: Any, total: int, round_up: bool = True, default: int = 0) -> int:
    """``3`` or ``"20%"`` of ``total`` (percentages rounded up unless ``round_up`` is False)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        if text.endswith("%"):
            exact = float(text[:-1]) * total / 100.0
            return math.ceil(exact - 1e-9) if round_up else math.floor(exact + 1e-9)
        return int(text)
    except ValueError:
        return default


def as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def container_images(template: Obj | None) -> list[str]:
    spec = (template or {}).get("spec") or {}
    return [
        c.get("image", "")
        for key in ("initContainers", "containers")
        for c in spec.get(key) or []
    ]


def image_tag(image: str) -> str:
    """``repo/app:1.2`` -> ``1.2``; ``repo/app@sha256:..`` -> the digest; untagged -> latest."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


# -- events --
def record_event(
    api: Api, involved: Obj, event_type: str, reason: str, message: str, component: str,
) -> None:
    """Write a v1 Event about ``involved``; a repeat of the same reason and message bumps
    ``count`` and ``lastTimestamp`` on the existing Event, as the real event recorder does."""
    meta = involved["metadata"]
    namespace = meta.get("namespace") or "default"
    name = f"{meta['name']}.{fnv32a(reason + '/' + message):08x}"
    stamp = fmt_time(api.now())
    existing = api.get("events", namespace, name)
    if existing is not None:
        existing["count"] = as_int(existing.get("count"), 1) + 1
        existing["lastTimestamp"] = stamp
        api.update("events", existing)
        return
    api.create("events", {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion", "v1"),
            "kind": involved.get("kind", ""),
            "name": meta["name"],
            "namespace": namespace,
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "type": event_type,
        "count": 1,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "source": {"component": component},
        "reportingComponent": component,
        "reportingInstance": "sandbox",
    })


# -- malformed objects --
@contextmanager
def guarded(obj: Obj, on_error: Callable[[Exception], object] | None = None) -> Iterator[None]:
    """Reconcile one object; if its content breaks the controller (a malformed object), log it
    once per version, let ``on_error`` record it, and carry on with the others."""
    try:
        yield
    except Exception as exc:  # one bad object must not stop the cluster
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        key = (str(meta.get("uid", "")), str(meta.get("resourceVersion", "")))
        if key not in _reported:
            _reported.add(key)
            log.warning("sandbox controllers: cannot reconcile %s %s/%s: %r",
                        obj.get("kind") if isinstance(obj, dict) else "?",
                        meta.get("namespace"), meta.get("name"), exc)
        if on_error is not None:
            try:
                on_error(exc)
            except Exception as again:
                log.debug("sandbox controllers: could not record the error: %r", again)
