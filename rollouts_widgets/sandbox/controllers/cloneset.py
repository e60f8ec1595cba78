"""OpenKruise CloneSet controller (apps.kruise.io/v1alpha1), enough for partition releases.

Pods are owned by the CloneSet directly and labelled ``controller-revision-hash:
<name>-<hash>`` and ``pod-template-hash: <hash>``. ``updateStrategy.partition`` (int or %)
is the number of pods kept at the old revision; ``maxSurge`` / ``maxUnavailable`` bound the
update; ``minReadySeconds`` delays availability (Kruise's blue-green uses a huge value so that
old pods stay). ``status.currentRevision`` becomes ``updateRevision`` once every pod is
updated.
"""

from __future__ import annotations

import copy

from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    as_int,
    labels_of,
    scaled_value,
    template_hash,
)
from rollouts_widgets.sandbox.controllers.podsets import (
    CONTROLLER_REVISION_HASH,
    POD_TEMPLATE_HASH,
    PodOwnerController,
    count_available,
    count_ready,
    is_ready,
    new_pod,
    removal_order,
)

RESOURCE = "clonesets.apps.kruise.io"
INSTANCE_ID = "apps.kruise.io/cloneset-instance-id"


def cloneset_revision(cloneset: Obj) -> tuple[str, str]:
    """(updateRevision, pod-template-hash) of the CloneSet's current template."""
    pod_hash = template_hash(cloneset["spec"].get("template"))
    return f"{cloneset['metadata']['name']}-{pod_hash}", pod_hash


class CloneSetController(PodOwnerController):
    name = "clonesets"
    resource = RESOURCE

    def _sync(self, api: Api, cs: Obj, pods: list[Obj]) -> None:
        spec = cs["spec"]
        replicas = as_int(spec.get("replicas"), 1)
        update_rev, pod_hash = cloneset_revision(cs)
        strategy = spec.get("updateStrategy") or {}
        partition = min(scaled_value(strategy.get("partition"), replicas, True), replicas)
        surge = scaled_value(strategy.get("maxSurge"), replicas, True)
        unavailable = scaled_value(strategy.get("maxUnavailable", "20%"), replicas, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        min_ready = as_int(spec.get("minReadySeconds"))
        new = [p for p in pods if labels_of(p).get(CONTROLLER_REVISION_HASH) == update_rev]
        old = [p for p in pods if p not in new]
        want_new, want_old = replicas - partition, partition
        if not strategy.get("paused"):
            acted = self._create(api, cs, new, old, want_new, want_old, replicas + surge,
                                 update_rev, pod_hash)
            if not acted:
                budget = count_available(api, pods, min_ready) - (replicas - unavailable)
                budget = self._remove(api, old, len(old) - want_old, budget, min_ready)
                self._remove(api, new, len(new) - want_new, budget, min_ready)
        self._status(api, cs, pods, new, replicas, want_new, update_rev, min_ready)

    def _create(self, api: Api, cs: Obj, new: list[Obj], old: list[Obj], want_new: int,
                want_old: int, ceiling: int, update_rev: str, pod_hash: str) -> bool:
        room = ceiling - len(new) - len(old)
        replicas = want_new + want_old
        make_new = min(want_new - len(new), room)
        # Old-revision pods come back (scale-up or a raised partition) as copies of one.
        make_old = min(want_old - len(old), replicas - len(new) - len(old)) if old else 0
        for _ in range(max(make_new, 0)):
            self._create_pod(api, cs, cs["spec"].get("template"), update_rev, pod_hash)
        for _ in range(max(make_old, 0)):
            sample = old[0]
            template = {"metadata": {"labels": labels_of(sample),
                                     "annotations": sample["metadata"].get("annotations")},
                        "spec": sample["spec"]}
            rev = labels_of(sample).get(CONTROLLER_REVISION_HASH, "")
            self._create_pod(api, cs, template, rev, labels_of(sample).get(POD_TEMPLATE_HASH, ""))
        return make_new > 0 or make_old > 0

    def _create_pod(self, api: Api, cs: Obj, template: Obj | None, rev: str,
                    pod_hash: str) -> None:
        template = copy.deepcopy(template or {})
        if template.get("metadata", {}).get("annotations") is None:
            template.get("metadata", {}).pop("annotations", None)
        name = cs["metadata"]["name"]
        suffix = api.new_suffix(name)
        labels = {CONTROLLER_REVISION_HASH: rev, POD_TEMPLATE_HASH: pod_hash, INSTANCE_ID: suffix}
        api.create("pods", new_pod(cs, template, f"{name}-{suffix}", labels))

    def _remove(self, api: Api, pods: list[Obj], excess: int, budget: int,
                min_ready: int) -> int:
        """Delete up to ``excess`` pods: not-ready ones freely, ready ones within the
        availability ``budget`` (a ready pod held back by minReadySeconds is kept too, which
        is what keeps the old pods of a Kruise blue-green release). Returns the budget left."""
        for pod in removal_order(pods)[: max(excess, 0)]:
            ready = is_ready(pod)
            if ready and budget <= 0:
                break
            api.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
            budget -= 1 if ready else 0
        return budget

    def _status(self, api: Api, cs: Obj, pods: list[Obj], new: list[Obj], replicas: int,
                want_new: int, update_rev: str, min_ready: int) -> None:
        before = cs.get("status") or {}
        current_rev = before.get("currentRevision") or update_rev
        if len(new) == replicas == len(pods) and count_ready(new) == replicas:
            current_rev = update_rev
        status = {
            "observedGeneration": cs["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": count_ready(pods),
            "availableReplicas": count_available(api, pods, min_ready),
            "updatedReplicas": len(new),
            "updatedReadyReplicas": count_ready(new),
            "updatedAvailableReplicas": count_available(api, new, min_ready),
            "expectedUpdatedReplicas": want_new,
            "currentRevision": current_rev,
            "updateRevision": update_rev,
            "labelSelector": ",".join(
                f"{k}={v}"
                for k, v in sorted(((cs["spec"].get("selector") or {}).get("matchLabels")
                                    or {}).items())
            ),
        }
        api.update_status(RESOURCE, cs, status)
