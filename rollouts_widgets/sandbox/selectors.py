"""Label and field selectors with the Kubernetes grammar.

Label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x,y)``, ``a``,
``!a``, joined by commas. Field selectors: ``path=value`` / ``path==value`` /
``path!=value`` where path is a dotted field path (``metadata.name``, ``metadata.namespace``,
``involvedObject.name``...). A malformed selector raises INVALID_INPUT (HTTP 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.resources import api_error

Predicate = Callable[[dict[str, Any]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^()]*)\)\s*$")
_CMP_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _bad(kind: str, text: str) -> RolloutsError:
    return api_error(
        errors.INVALID_INPUT, f"unable to parse requirement: invalid {kind} selector {text!r}",
        http=400, reason="BadRequest",
    )


def _split_requirements(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth, current = 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str | None) -> Predicate:
    """A predicate on an object's ``metadata.labels``."""
    if not text or not text.strip():
        return lambda obj: True
    checks: list[Callable[[dict[str, str]], bool]] = []
    for req in _split_requirements(text):
        if m := _SET_RE.match(req):
            if m.group(1):
                raise _bad("label", text)
            key, op = m.group(2), m.group(3)
            values = frozenset(v.strip() for v in m.group(4).split(",") if v.strip())
            if op == "in":
                checks.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                checks.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif m := _CMP_RE.match(req):
            key, op, value = m.groups()
            if op == "!=":
                checks.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                checks.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif m := _EXISTS_RE.match(req):
            negate, key = m.groups()
            if negate:
                checks.append(lambda labels, k=key: k not in labels)
            else:
                checks.append(lambda labels, k=key: k in labels)
        else:
            raise _bad("label", text)

    def predicate(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(check(labels) for check in checks)

    return predicate


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string value of a dotted field path ("" when absent), as field selectors see it."""
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_field_selector(text: str | None) -> Predicate:
    """A predicate on arbitrary dotted field paths of the object."""
    if not text or not text.strip():
        return lambda obj: True
    checks: list[tuple[str, bool, str]] = []
    for req in _split_requirements(text):
        m = _CMP_RE.match(req)
        if not m:
            raise _bad("field", text)
        path, op, value = m.groups()
        checks.append((path, op == "!=", value))

    def predicate(obj: dict[str, Any]) -> bool:
        return all((field_value(obj, p) != v) if neg else (field_value(obj, p) == v)
                   for p, neg, v in checks)

    return predicate


def combined(label_selector: str | None, field_selector: str | None) -> Predicate:
    labels = parse_label_selector(label_selector)
    fields = parse_field_selector(field_selector)
    return lambda obj: labels(obj) and fields(obj)
