"""Pods as their owners (ReplicaSets, CloneSets, StatefulSets) see them: making a pod from a
template, readiness and availability, which pod to remove first."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    get_condition,
    guarded,
    owner_ref,
    parse_time,
)

POD_TEMPLATE_HASH = "pod-template-hash"
CONTROLLER_REVISION_HASH = "controller-revision-hash"
NODE_NAME = "sandbox-node-1"


def new_pod(owner: Obj, template: Obj | None, name: str, extra_labels: dict[str, str]) -> Obj:
    """A pod as its owner's controller creates it (status is filled in by the pod lifecycle)."""
    template = copy.deepcopy(template or {})
    meta = template.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), **extra_labels}
    pod_meta: Obj = {
        "name": name,
        "namespace": owner["metadata"].get("namespace"),
        "labels": labels,
        "ownerReferences": [owner_ref(owner)],
    }
    if meta.get("annotations"):
        pod_meta["annotations"] = dict(meta["annotations"])
    spec = template.get("spec") or {"containers": []}
    spec.setdefault("restartPolicy", "Always")
    spec["nodeName"] = NODE_NAME  # the sandbox has one node; scheduling is instant
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def is_ready(pod: Obj) -> bool:
    cond = get_condition((pod.get("status") or {}).get("conditions"), "Ready")
    return bool(cond and cond.get("status") == "True")


def is_available(api: Api, pod: Obj, min_ready_seconds: int | float = 0) -> bool:
    """Ready for at least ``min_ready_seconds``."""
    if not is_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    cond = get_condition(pod["status"].get("conditions"), "Ready") or {}
    since = parse_time(cond.get("lastTransitionTime"))
    return since is not None and (api.now() - since).total_seconds() >= min_ready_seconds


def removal_order(pods: Iterable[Obj]) -> list[Obj]:
    """Pods in the order a controller removes them: not ready first, then the newest."""
    by_age = sorted(
        pods,
        key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]),
        reverse=True,
    )
    return sorted(by_age, key=is_ready)


def count_ready(pods: Iterable[Obj]) -> int:
    return sum(1 for p in pods if is_ready(p))


def count_available(api: Api, pods: Iterable[Obj], min_ready_seconds: int | float = 0) -> int:
    return sum(1 for p in pods if is_available(api, p, min_ready_seconds))


class PodOwnerController:
    """Base of the controllers whose objects own their pods directly (CloneSet,
    StatefulSet): each object is synced with its own pods."""

    resource = ""

    def reconcile(self, api: Api) -> None:
        for obj in api.list(self.resource):
            with guarded(obj):
                self._sync(api, obj, api.owned("pods", obj))

    def _sync(self, api: Api, obj: Obj, pods: list[Obj]) -> None:
        raise NotImplementedError
