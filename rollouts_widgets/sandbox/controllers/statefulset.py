"""StatefulSet controller (apps/v1), enough for partition releases.

Pods ``<name>-<ordinal>``, labelled ``controller-revision-hash: <name>-<hash>``; created in
order (OrderedReady) or all at once (Parallel); a RollingUpdate replaces pods with ordinal >=
``rollingUpdate.partition`` one at a time from the highest ordinal, waiting for readiness.
"""

from __future__ import annotations

from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    as_int,
    labels_of,
    template_hash,
)
from rollouts_widgets.sandbox.controllers.podsets import (
    CONTROLLER_REVISION_HASH,
    PodOwnerController,
    count_available,
    count_ready,
    is_ready,
    new_pod,
)

RESOURCE = "statefulsets.apps"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"


def statefulset_revision(sts: Obj) -> str:
    return f"{sts['metadata']['name']}-{template_hash(sts['spec'].get('template'))}"


def ordinal(pod: Obj) -> int:
    return as_int(pod["metadata"]["name"].rsplit("-", 1)[-1], -1)


class StatefulSetController(PodOwnerController):
    name = "statefulsets"
    resource = RESOURCE

    def _sync(self, api: Api, sts: Obj, pods: list[Obj]) -> None:
        spec = sts["spec"]
        replicas = as_int(spec.get("replicas"), 1)
        update_rev = statefulset_revision(sts)
        by_ordinal = {ordinal(p): p for p in pods}
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        acted = False
        for i in range(replicas):  # create missing pods, in order unless Parallel
            if i in by_ordinal:
                if ordered and not is_ready(by_ordinal[i]):
                    break
                continue
            self._create_pod(api, sts, i, update_rev)
            acted = True
            if ordered:
                break
        for i in sorted(by_ordinal, reverse=True):  # scale down from the highest ordinal
            if i >= replicas:
                pod = by_ordinal.pop(i)
                api.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
                acted = True
                if ordered:
                    break
        strategy = spec.get("updateStrategy") or {}
        if not acted and strategy.get("type", "RollingUpdate") == "RollingUpdate":
            partition = as_int((strategy.get("rollingUpdate") or {}).get("partition"))
            current = [by_ordinal[i] for i in sorted(by_ordinal)]
            if len(current) == replicas and all(is_ready(p) for p in current):
                for i in sorted(by_ordinal, reverse=True):
                    pod = by_ordinal[i]
                    if i >= partition and labels_of(pod).get(CONTROLLER_REVISION_HASH) != (
                        update_rev
                    ):
                        api.delete("pods", pod["metadata"]["namespace"],
                                   pod["metadata"]["name"])
                        break
        self._status(api, sts, pods, replicas, update_rev)

    def _create_pod(self, api: Api, sts: Obj, index: int, rev: str) -> None:
        name = f"{sts['metadata']['name']}-{index}"
        labels = {CONTROLLER_REVISION_HASH: rev, POD_NAME_LABEL: name}
        pod = new_pod(sts, sts["spec"].get("template"), name, labels)
        pod["spec"].setdefault("hostname", name)
        api.create("pods", pod)

    def _status(self, api: Api, sts: Obj, pods: list[Obj], replicas: int, rev: str) -> None:
        before = sts.get("status") or {}
        updated = [p for p in pods if labels_of(p).get(CONTROLLER_REVISION_HASH) == rev]
        current_rev = before.get("currentRevision") or rev
        if len(updated) == replicas == len(pods):
            current_rev = rev
        current = [
            p for p in pods if labels_of(p).get(CONTROLLER_REVISION_HASH) == current_rev
        ]
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": count_ready(pods),
            "availableReplicas": count_available(api, pods, as_int(sts["spec"].get(
                "minReadySeconds"))),
            "currentReplicas": len(current),
            "updatedReplicas": len(updated),
            "currentRevision": current_rev,
            "updateRevision": rev,
            "collisionCount": 0,
        }
        api.update_status(RESOURCE, sts, status)
