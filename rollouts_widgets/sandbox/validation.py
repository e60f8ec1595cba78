"""Required-field validation of built-in workloads and pods, as the real API server does.

Only what a client could get wrong and what would break readers: the typed Python models
(pydantic, strict) cannot even read back a Deployment without a selector, or a container
without a name. Applied to what clients send over HTTP; the simulated controllers are trusted.
"""

from __future__ import annotations

from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.sandbox.resources import ResourceType, api_error

_WORKLOADS = frozenset({"deployments.apps", "replicasets.apps", "statefulsets.apps",
                        "daemonsets.apps", "clonesets.apps.kruise.io"})


def _containers(spec: Any, path: str) -> list[tuple[str, str]]:
    causes: list[tuple[str, str]] = []
    containers = spec.get("containers") if isinstance(spec, dict) else None
    if not isinstance(containers, list) or not containers:
        return [(f"{path}.containers", "Required value")]
    for n, container in enumerate(containers):
        where = f"{path}.containers[{n}]"
        if not isinstance(container, dict):
            causes.append((where, "Invalid value: must be an object"))
            continue
        for field in ("name", "image"):
            if not isinstance(container.get(field), str) or not container[field]:
                causes.append((f"{where}.{field}", "Required value"))
    return causes


def _workload(obj: dict[str, Any]) -> list[tuple[str, str]]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [("spec", "Required value")]
    causes: list[tuple[str, str]] = []
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(selector, dict) or not selector:
        causes.append(("spec.selector", "Required value"))
    if not isinstance(template, dict):
        return [*causes, ("spec.template", "Required value")]
    labels = (template.get("metadata") or {}).get("labels") or {}
    match = (selector or {}).get("matchLabels") if isinstance(selector, dict) else None
    if isinstance(match, dict) and any(labels.get(k) != v for k, v in match.items()):
        causes.append(("spec.template.metadata.labels",
                       "Invalid value: `selector` does not match template `labels`"))
    return causes + _containers(template.get("spec"), "spec.template.spec")


def validate(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Raise INVALID_INPUT (422 Invalid, with causes) if a required field is missing."""
    if rt.key in _WORKLOADS:
        causes = _workload(obj)
    elif rt.key == "pods":
        causes = _containers(obj.get("spec"), "spec")
    else:
        return
    if not causes:
        return
    name = (obj.get("metadata") or {}).get("name", "")
    kind = rt.kind if not rt.group else f"{rt.kind}.{rt.group}"
    text = f'{kind} "{name}" is invalid: ' + ", ".join(f"{f}: {m}" for f, m in causes)
    raise api_error(errors.INVALID_INPUT, text, details={
        "name": name, "group": rt.group, "kind": rt.kind,
        "causes": [{"reason": "FieldValueRequired" if m == "Required value"
                    else "FieldValueInvalid", "message": m, "field": f} for f, m in causes]})
