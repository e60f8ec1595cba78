"""ReplicaSet controller: keeps ``spec.replicas`` pods of the template, whoever owns the
ReplicaSet (a Deployment, an Argo Rollout or an Experiment)."""

from __future__ import annotations

from rollouts_widgets.sandbox.controllers.helpers import Api, Obj, as_int, guarded, labels_of
from rollouts_widgets.sandbox.controllers.podsets import (
    count_available,
    count_ready,
    new_pod,
    removal_order,
)


def replicaset_status(api: Api, rs: Obj, pods: list[Obj]) -> Obj:
    min_ready = as_int(rs["spec"].get("minReadySeconds"))
    status: Obj = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": count_ready(pods),
        "availableReplicas": count_available(api, pods, min_ready),
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    # The real API omits zero counts (omitempty); keep ``replicas`` always.
    return {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}


class ReplicaSetController:
    name = "replicasets"

    def reconcile(self, api: Api) -> None:
        for rs in api.list("replicasets.apps"):
            with guarded(rs):
                self._sync(api, rs, api.owned("pods", rs))

    def _sync(self, api: Api, rs: Obj, pods: list[Obj]) -> None:
        want = as_int(rs["spec"].get("replicas"), 1)
        if len(pods) < want:
            for _ in range(want - len(pods)):
                self._create_pod(api, rs)
        elif len(pods) > want:
            for pod in removal_order(pods)[: len(pods) - want]:
                api.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
        else:
            api.update_status("replicasets.apps", rs, replicaset_status(api, rs, pods))

    def _create_pod(self, api: Api, rs: Obj) -> None:
        name = rs["metadata"]["name"]
        template_labels = labels_of(rs["spec"].get("template") or {})
        # Pods carry the ReplicaSet's hash labels (pod-template-hash or the Argo one).
        extra = {k: v for k, v in labels_of(rs).items() if k not in template_labels}
        hash_labels = {k: v for k, v in extra.items() if k.endswith("pod-template-hash")}
        pod = new_pod(rs, rs["spec"].get("template"), f"{name}-{api.new_suffix(name)}",
                      hash_labels)
        api.create("pods", pod)
