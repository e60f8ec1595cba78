"""Which objects of a namespace belong to one rollout, and which resources to watch for them.

Pure (no I/O). Ownership is followed by ownerReferences (uid when present, else kind+name):
rollout -> workload (workloadRef) -> ReplicaSets -> pods; Argo's rollout owns its ReplicaSets,
AnalysisRuns and Experiments directly; Kruise's canary-style release adds a Deployment labelled
``rollouts.kruise.io/canary-deployment``. Events are those whose involvedObject is any of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rollouts_widgets.kube.discovery import Discovery
from rollouts_widgets.kube.resources import (
    ARGO_ANALYSISRUNS,
    ARGO_EXPERIMENTS,
    DEPLOYMENTS,
    EVENTS,
    GVR,
    PODS,
    REPLICASETS,
    WORKLOADS,
)

CANARY_DEPLOYMENT_LABEL = "rollouts.kruise.io/canary-deployment"


def workload_ref(rollout: dict[str, Any]) -> dict[str, Any]:
    """``{apiVersion, kind, name}`` of the rollout's workload ({} when it names none)."""
    spec = rollout.get("spec") if isinstance(rollout.get("spec"), dict) else {}
    ref = spec.get("workloadRef")
    if not isinstance(ref, dict):  # Kruise v1alpha1
        object_ref = spec.get("objectRef")
        ref = object_ref.get("workloadRef") if isinstance(object_ref, dict) else None
    return ref if isinstance(ref, dict) else {}


def is_argo(rollout: dict[str, Any]) -> bool:
    return str(rollout.get("apiVersion") or "").startswith("argoproj.io/")


def related_gvrs(rollout: dict[str, Any], discovery: Discovery) -> list[GVR]:
    """The resources to watch in the rollout's namespace to know its related objects."""
    gvrs = [REPLICASETS, PODS, EVENTS]
    ref = workload_ref(rollout)
    workload = WORKLOADS.get((str(ref.get("apiVersion") or ""), str(ref.get("kind") or "")))
    if workload is not None and discovery.serves(workload):
        gvrs.insert(0, workload)
    if not is_argo(rollout) and DEPLOYMENTS not in gvrs:
        gvrs.insert(0, DEPLOYMENTS)  # Kruise's canary-style release adds a Deployment
    if is_argo(rollout):
        gvrs += [g for g in (ARGO_ANALYSISRUNS, ARGO_EXPERIMENTS) if discovery.serves(g)]
    return gvrs


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = _meta(obj)
    return (str(obj.get("kind") or ""), str(meta.get("name") or ""), str(meta.get("uid") or ""))


def _owned_by(obj: dict[str, Any], owners: list[tuple[str, str, str]]) -> bool:
    refs = _meta(obj).get("ownerReferences")
    if not isinstance(refs, list):
        return False
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        for kind, name, uid in owners:
            if uid and ref.get("uid"):
                if ref.get("uid") == uid:
                    return True
            elif ref.get("kind") == kind and ref.get("name") == name:
                return True
    return False


def _is_workload(obj: dict[str, Any], ref: dict[str, Any], rollout_name: str) -> bool:
    name = _meta(obj).get("name")
    if ref and obj.get("kind") == ref.get("kind") and name == ref.get("name"):
        return True
    labels = _meta(obj).get("labels")
    canary_of = labels.get(CANARY_DEPLOYMENT_LABEL) if isinstance(labels, dict) else None
    return obj.get("kind") == "Deployment" and bool(canary_of) and (
        canary_of in (ref.get("name"), rollout_name)
    )


def select_related(rollout: dict[str, Any], candidates: Iterable[dict[str, Any]]) -> list[dict]:
    """The objects among ``candidates`` (one namespace's) that belong to ``rollout``."""
    pool = [c for c in candidates if isinstance(c, dict)]
    rollout_id = _identity(rollout)
    ref = workload_ref(rollout)
    workloads = [o for o in pool if _is_workload(o, ref, rollout_id[1])]
    owners = [rollout_id] + [_identity(w) for w in workloads]
    replica_sets = [o for o in pool if o.get("kind") == "ReplicaSet" and _owned_by(o, owners)]
    pod_owners = owners + [_identity(r) for r in replica_sets]
    pods = [o for o in pool if o.get("kind") == "Pod" and _owned_by(o, pod_owners)]
    runs = [
        o for o in pool if o.get("kind") in ("AnalysisRun", "Experiment") and _owned_by(o, owners)
    ]
    selected = workloads + replica_sets + pods + runs
    involved = {(k, n) for k, n, _ in [rollout_id, *map(_identity, selected)]}
    events = []
    for o in pool:
        if o.get("kind") != "Event":
            continue
        target = o.get("involvedObject") if isinstance(o.get("involvedObject"), dict) else {}
        if (target.get("kind"), target.get("name")) in involved:
            events.append(o)
    return selected + events
