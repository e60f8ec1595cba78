"""Small, defensive readers for raw Kubernetes JSON (no I/O, never raise on bad input).

Raw objects come from the API server, the sandbox or a user's YAML: any field may be missing
or of the wrong type, and strings may be huge or hostile. These helpers read one value with a
type check and bound every string, so the provider modules stay short and total.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

MAX_TEXT = 4096  # messages: a few KB is plenty for a row, and keeps hostile objects small
MAX_SHORT = 256  # names, reasons, label keys/values, revisions, images
_ELLIPSIS = "…"


class Malformed(ValueError):
    """A structural problem in a raw object (a field of the wrong type). Caught by the model."""


def bound(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` cut to at most ``limit`` characters (the last one an ellipsis when cut)."""
    if len(value) <= limit:
        return value
    return value[: limit - 1] + _ELLIPSIS


_MISSING = object()


def get(obj: Any, *path: str | int) -> Any:
    """The value at ``path`` inside nested dicts/lists, or None when any step is missing."""
    for key in path:
        if obj.__class__ is dict and key.__class__ is str:  # the usual case, without ABC checks
            obj = obj.get(key, _MISSING)
            if obj is _MISSING:
                return None
            continue
        if obj is None:  # a missing parent (e.g. no workload among the related objects)
            return None
        if isinstance(key, int):
            if not isinstance(obj, list) or not -len(obj) <= key < len(obj):
                return None
        elif not isinstance(obj, Mapping) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _one(obj: Any, path: tuple[str | int, ...]) -> Any:
    """``get(obj, *path)``, with one key of a dict read inline (the most frequent read)."""
    if obj.__class__ is dict and len(path) == 1 and path[0].__class__ is str:
        return obj.get(path[0])
    return get(obj, *path)


def text(obj: Any, *path: str | int, limit: int = MAX_SHORT) -> str:
    """The string at ``path``, bounded; "" when missing or not a string."""
    value = _one(obj, path)
    if value.__class__ is str and len(value) <= limit:  # the usual case, without calls
        return value
    return bound(value, limit) if isinstance(value, str) else ""


_INT64_MIN, _INT64_END = -(2**63), 2**63


def integer(obj: Any, *path: str | int) -> int | None:
    """The integer at ``path``; None when missing, not an int (bools are not ints here) or
    outside Kubernetes' int64 range."""
    value = _one(obj, path)
    if isinstance(value, int) and value.__class__ is not bool and _INT64_MIN <= value < _INT64_END:
        return value
    return None


def flag(obj: Any, *path: str | int) -> bool:
    """True only when the value at ``path`` is the boolean true."""
    return get(obj, *path) is True


def mapping(obj: Any, *path: str | int) -> dict[str, Any]:
    """The dict at ``path``; {} when missing or not a dict."""
    value = get(obj, *path)
    return value if isinstance(value, dict) else {}


def items(obj: Any, *path: str | int) -> list[dict[str, Any]]:
    """The dict entries of the list at ``path`` (other entries skipped); [] when missing."""
    value = get(obj, *path)
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, dict)]


def require(obj: Any, path: tuple[str, ...], kind: type | tuple[type, ...], where: str) -> Any:
    """The value at ``path`` when missing (None) or of type ``kind``; raise Malformed otherwise.

    For the fields the model cannot work around (metadata, spec, status, steps...). Booleans
    do not count as integers.
    """
    value = get(obj, *path)
    if value is None or value.__class__ is kind:  # the usual case: present and well typed
        return value
    kinds = kind if isinstance(kind, tuple) else (kind,)
    is_bool = isinstance(value, bool)
    if value is None or (isinstance(value, kinds) and (bool in kinds or not is_bool)):
        return value
    wanted = " or ".join(_JSON_NAMES[k] for k in kinds)
    raise Malformed(f"{where} must be {wanted}, got {_json_type(value)}")


def require_fields(obj: dict[str, Any], fields: tuple[tuple[str, type, str], ...]) -> None:
    """``require(obj, (key,), kind, where)`` for each ``(key, kind, where)``; a field that is
    missing or exactly of its type costs no call (this runs for every object on every update)."""
    for key, kind, where in fields:
        value = obj.get(key)
        if value is not None and value.__class__ is not kind:
            require(obj, (key,), kind, where)


_JSON_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer",
               bool: "a boolean"}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((dict, "an object"), (list, "a list"), (str, "a string"),
                       (int, "an integer"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def string_map(value: Any, limit: int = 128) -> dict[str, str]:
    """A label/annotation map: string pairs only, bounded in count and length."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        if len(out) >= limit:
            break
        if isinstance(key, str) and isinstance(item, str):
            out[bound(key, MAX_SHORT)] = bound(item, MAX_SHORT)
    return out


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


_times: dict[str, datetime | None] = {}
MAX_TIMES = 4096  # parsed timestamps remembered (see timestamp)


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None when missing or unparseable."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    # Objects repeat the same few timestamps (creation, conditions) on every update: parse
    # each string once. Bounded: the table starts over when full.
    when = _times.get(value, _MISSING)
    if when is _MISSING:
        if len(_times) >= MAX_TIMES:
            _times.clear()
        when = _times[value] = _parse_timestamp(value)
    return when


def _parse_timestamp(value: str) -> datetime | None:
    match = _RFC3339.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        when = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc)
    except ValueError:
        return None
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        when -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return when


def int_or_percent(value: Any) -> tuple[int, bool] | None:
    """Kubernetes IntOrString: ``3`` -> (3, False); ``"20%"`` -> (20, True); ``"3"`` -> (3, False).

    None for anything else (negative, fractional or non-numeric values).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, False) if 0 <= value < 10**9 else None
    if not isinstance(value, str):
        return None
    raw = value.strip()
    percent = raw.endswith("%")
    digits = raw[:-1].strip() if percent else raw
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        return None
    return int(digits), percent


_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(value: Any) -> float | None:
    """A pause duration in seconds: an int (seconds), a bare number string ("30" = 30 s) or a
    Go duration string ("40s", "1m30s", "1h"). None when missing or unparseable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if 0 <= value < 10**9 else None
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    raw = value.strip()
    if raw.isascii() and raw.isdigit():
        return float(raw) if len(raw) < 10 else None
    pos, total = 0, 0.0
    for match in _GO_DURATION.finditer(raw):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    return total if pos == len(raw) and pos > 0 else None


def format_seconds(seconds: float) -> str:
    """A duration in seconds as the step labels show it: 30 -> "30s", 1.5 -> "1.5s"."""
    return f"{seconds:g}s"


def latest(times: list[datetime | None]) -> datetime | None:
    """The latest of the given timestamps, ignoring missing ones."""
    present = [t for t in times if t is not None]
    return max(present) if present else None


def condition_times(conditions: list[dict[str, Any]]) -> datetime | None:
    """The last transition/update time among a status's conditions (the row's ``updated``)."""
    return latest(
        [timestamp(c.get(key)) for c in conditions for key in ("lastTransitionTime",
                                                               "lastUpdateTime")]
    )


# --- identity and related objects ------------------------------------------------------------


def api_group(api_version: str) -> str:
    """``apps/v1`` -> ``apps``; ``v1`` -> "" (the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def identity(obj: dict[str, Any]) -> dict[str, Any]:
    """The RolloutView identity fields from ``metadata``; raises Malformed on wrong types."""
    meta = require(obj, ("metadata",), dict, "metadata")
    if not meta:
        raise Malformed("metadata is missing")
    require_fields(meta, _METADATA_TYPES)
    if not text(meta, "name"):
        raise Malformed("metadata.name is missing")
    return _identity_of(meta)


_METADATA_TYPES = tuple(
    (key, kind, f"metadata.{key}")
    for key, kind in (("name", str), ("namespace", str), ("labels", dict), ("generation", int),
                      ("creationTimestamp", str), ("resourceVersion", str), ("annotations", dict))
)


def lenient_identity(obj: Any) -> dict[str, Any]:
    """Whatever identity can be read from a possibly broken object (for Unknown views)."""
    return _identity_of(get(obj, "metadata"))


def _identity_of(meta: Any) -> dict[str, Any]:
    return {
        "namespace": text(meta, "namespace"),
        "name": text(meta, "name"),
        "labels": string_map(get(meta, "labels")),
        "created": timestamp(get(meta, "creationTimestamp")),
        "resource_version": text(meta, "resourceVersion"),
    }


def same_namespace(obj: dict[str, Any], namespace: str) -> bool:
    """True when ``obj`` lives in ``namespace`` (objects without a namespace are accepted)."""
    other = get(obj, "metadata", "namespace")
    return not isinstance(other, str) or not other or not namespace or other == namespace


def related_of(related: list[dict[str, Any]], kind: str, namespace: str) -> list[dict[str, Any]]:
    """The related objects of ``kind`` in ``namespace``."""
    return [o for o in related if o.get("kind") == kind and same_namespace(o, namespace)]


def find_workload(
    related: list[dict[str, Any]], ref: dict[str, Any], namespace: str
) -> dict[str, Any] | None:
    """The workload named by a ``workloadRef`` {apiVersion, kind, name}, if ``related`` has it."""
    kind, name = text(ref, "kind"), text(ref, "name")
    group = api_group(text(ref, "apiVersion"))
    for obj in related_of(related, kind, namespace):
        same_group = not text(obj, "apiVersion") or api_group(text(obj, "apiVersion")) == group
        if text(obj, "metadata", "name") == name and same_group:
            return obj
    return None


def template_images(template: Any, limit: int = 32) -> tuple[str, ...]:
    """Images of a pod template's containers then init containers, de-duplicated, bounded."""
    images: list[str] = []
    for key in ("containers", "initContainers"):
        for container in items(template, "spec", key):
            image = text(container, "image", limit=MAX_SHORT)
            if image and image not in images and len(images) < limit:
                images.append(image)
    return tuple(images)
