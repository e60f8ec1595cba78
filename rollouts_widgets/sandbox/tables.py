"""Server-side ``Table`` output (``Accept: application/json;as=Table;g=meta.k8s.io;v=v1``), the
form ``kubectl get`` asks for: columns computed here, rows carrying object metadata."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rollouts_widgets.sandbox.resources import ResourceType
from rollouts_widgets.sandbox.selectors import field_value

# Extra columns per resource key: (header, dotted field path), after the CRDs' printer
# columns (Argo: desired/current/up-to-date/available; Kruise: status, step, state, message).
_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "pods": (("Status", "status.phase"),),
    "events": (("Type", "type"), ("Reason", "reason"), ("Object", "involvedObject.name"),
               ("Message", "message")),
    "namespaces": (("Status", "status.phase"),),
    "deployments.apps": (("Replicas", "spec.replicas"), ("Up-to-date", "status.updatedReplicas"),
                         ("Available", "status.availableReplicas")),
    "replicasets.apps": (("Desired", "spec.replicas"), ("Current", "status.replicas"),
                         ("Ready", "status.readyReplicas")),
    "clonesets.apps.kruise.io": (("Desired", "spec.replicas"),
                                 ("Updated", "status.updatedReplicas"),
                                 ("Ready", "status.readyReplicas")),
    "rollouts.argoproj.io": (("Desired", "spec.replicas"), ("Current", "status.replicas"),
                             ("Up-to-date", "status.updatedReplicas"),
                             ("Available", "status.availableReplicas")),
    "analysisruns.argoproj.io": (("Status", "status.phase"),),
    "experiments.argoproj.io": (("Status", "status.phase"),),
    "rollouts.rollouts.kruise.io": (("Status", "status.phase"),
                                    ("Canary_Step", "status.canaryStatus.currentStepIndex"),
                                    ("Canary_State", "status.canaryStatus.currentStepState"),
                                    ("Message", "status.message")),
}


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in accept.split(",")[0]


def _age(created: str | None, now: datetime) -> str:
    if not created:
        return "<unknown>"
    try:
        start = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=now.tzinfo)
    except ValueError:
        return "<unknown>"
    seconds = max(0, int((now - start).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _column_defs(rt: ResourceType) -> list[dict[str, Any]]:
    defs = [{"name": "Name", "type": "string", "format": "name", "description": "Name",
             "priority": 0}]
    for header, _ in _COLUMNS.get(rt.key, ()):
        defs.append({"name": header, "type": "string", "format": "", "description": header,
                     "priority": 0})
    defs.append({"name": "Age", "type": "string", "format": "", "description": "Age",
                 "priority": 0})
    return defs


def _row(rt: ResourceType, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    cells: list[Any] = [meta.get("name", "")]
    cells += [field_value(obj, path) for _, path in _COLUMNS.get(rt.key, ())]
    cells.append(_age(meta.get("creationTimestamp"), now))
    partial = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
               "metadata": meta}
    return {"cells": cells, "object": partial}


def to_table(rt: ResourceType, items: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": _column_defs(rt),
        "rows": [_row(rt, obj, now) for obj in items],
    }


def watch_table_row(rt: ResourceType, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The object of a watch event when the watcher asked for tables."""
    table = to_table(rt, [obj], now)
    table["metadata"] = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion")}
    return table
