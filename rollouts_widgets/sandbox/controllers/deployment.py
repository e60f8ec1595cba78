"""Deployment controller: Deployment -> ReplicaSets, as kube-controller-manager does it.

One ReplicaSet per pod template (named ``<deployment>-<pod-template-hash>``, labelled with the
hash, annotated with ``deployment.kubernetes.io/revision``, owned by the Deployment); rolling
update within maxSurge/maxUnavailable, or Recreate; ``spec.paused`` stops the rollout; a
rollout that makes no progress for ``progressDeadlineSeconds`` gets ``Progressing=False``,
reason ``ProgressDeadlineExceeded``.

OpenKruise's partition style runs its own Deployment controller while the Deployment is
paused: a paused Deployment carrying the ``rollouts.kruise.io/deployment-strategy`` annotation
with ``rollingStyle: Partition`` is rolled here to ``partition`` new pods.
"""

from __future__ import annotations

import copy
import json

from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    annotations_of,
    as_int,
    fmt_time,
    get_condition,
    guarded,
    labels_of,
    owner_ref,
    record_event,
    scaled_value,
    seconds_since,
    set_condition,
    template_hash,
)
from rollouts_widgets.sandbox.controllers.podsets import POD_TEMPLATE_HASH

REVISION = "deployment.kubernetes.io/revision"
KRUISE_DEPLOYMENT_STRATEGY = "rollouts.kruise.io/deployment-strategy"
COMPONENT = "deployment-controller"
DEFAULT_PROGRESS_DEADLINE = 600


def revision_of(obj: Obj, key: str = REVISION) -> int:
    return as_int(annotations_of(obj).get(key))


def deployment_hash(deployment: Obj) -> str:
    collisions = as_int((deployment.get("status") or {}).get("collisionCount"))
    return template_hash(deployment["spec"].get("template"), drop_labels=(POD_TEMPLATE_HASH,),
                         collision_count=collisions)


def kruise_partition(deployment: Obj) -> str | int | None:
    """The partition Kruise set on a paused Deployment, or None when the native rules apply."""
    if not deployment["spec"].get("paused"):
        return None
    raw = annotations_of(deployment).get(KRUISE_DEPLOYMENT_STRATEGY)
    try:
        strategy = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(strategy, dict) or strategy.get("rollingStyle") != "Partition":
        return None
    return strategy.get("partition", 0)


def rs_replicas(rs: Obj) -> int:
    return as_int(rs["spec"].get("replicas"))


def rs_count(rs: Obj, field: str) -> int:
    return as_int((rs.get("status") or {}).get(field))


class DeploymentController:
    name = "deployments"

    def reconcile(self, api: Api) -> None:
        for deployment in api.list("deployments.apps"):
            with guarded(deployment):
                self._sync(api, deployment, api.owned("replicasets.apps", deployment))

    def _sync(self, api: Api, d: Obj, rss: list[Obj]) -> None:
        spec = d["spec"]
        replicas = as_int(spec.get("replicas"), 1)
        pod_hash = deployment_hash(d)
        new_rs = next((rs for rs in rss if labels_of(rs).get(POD_TEMPLATE_HASH) == pod_hash), None)
        old = sorted((rs for rs in rss if rs is not new_rs), key=revision_of)
        partition = kruise_partition(d)
        rolling = not spec.get("paused") or partition is not None
        if rolling and new_rs is None:
            self._create_rs(api, d, pod_hash, max((revision_of(r) for r in rss), default=0) + 1)
            return
        if rolling and new_rs is not None and self._sync_rs_meta(api, d, new_rs, old):
            return
        if rolling and new_rs is not None:
            if partition is not None:
                target = min(replicas, scaled_value(partition, replicas))
                self._partition(api, d, new_rs, old, replicas, target)
            elif (spec.get("strategy") or {}).get("type") == "Recreate":
                self._recreate(api, d, new_rs, old, replicas)
            else:
                self._rolling(api, d, new_rs, old, replicas)
        self._status(api, d, new_rs, old, replicas)

    # -- ReplicaSets --
    def _create_rs(self, api: Api, d: Obj, pod_hash: str, revision: int) -> None:
        meta = d["metadata"]
        template = copy.deepcopy(d["spec"].get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = pod_hash
        selector = copy.deepcopy(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = pod_hash
        name = f"{meta['name']}-{pod_hash}"
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": meta.get("namespace"),
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(
                        as_int(d["spec"].get("replicas"), 1)
                    ),
                },
                "ownerReferences": [owner_ref(d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": as_int(d["spec"].get("minReadySeconds")),
                "selector": selector,
                "template": template,
            },
        }
        if api.create("replicasets.apps", rs) is not None:
            self._progressing(api, d, "NewReplicaSetCreated", f'Created new replica set "{name}"')
        elif api.get("replicasets.apps", meta.get("namespace"), name) is not None:
            # The name is taken by a ReplicaSet we do not own: the next hash, as k8s does.
            status = copy.deepcopy(d.get("status") or {})
            status["collisionCount"] = as_int(status.get("collisionCount")) + 1
            api.update_status("deployments.apps", d, status)

    def _sync_rs_meta(self, api: Api, d: Obj, new_rs: Obj, old: list[Obj]) -> bool:
        """Keep the new ReplicaSet's revision the highest (a rollback re-uses an old one) and
        its minReadySeconds in step with the Deployment."""
        top = max((revision_of(r) for r in old), default=0)
        want = copy.deepcopy(new_rs)
        if revision_of(new_rs) <= top:
            want["metadata"]["annotations"][REVISION] = str(top + 1)
        want["spec"]["minReadySeconds"] = as_int(d["spec"].get("minReadySeconds"))
        return api.update_if_changed("replicasets.apps", new_rs, want) is not None

    def _scale(self, api: Api, d: Obj, rs: Obj, replicas: int) -> bool:
        current = rs_replicas(rs)
        if current == replicas:
            return False
        want = copy.deepcopy(rs)
        want["spec"]["replicas"] = replicas
        want["metadata"].setdefault("annotations", {})[
            "deployment.kubernetes.io/desired-replicas"
        ] = str(as_int(d["spec"].get("replicas"), 1))
        if api.update("replicasets.apps", want) is None:
            return False
        direction = "up" if replicas > current else "down"
        record_event(
            api, d, "Normal", "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} to {replicas} from {current}",
            COMPONENT,
        )
        return True

    def _scale_down_old(self, api: Api, d: Obj, old: list[Obj], budget: int) -> None:
        for rs in old:  # oldest revision first
            if budget <= 0:
                return
            step = min(rs_replicas(rs), budget)
            if step and self._scale(api, d, rs, rs_replicas(rs) - step):
                budget -= step

    # -- strategies --
    def _rolling(self, api: Api, d: Obj, new_rs: Obj, old: list[Obj], replicas: int) -> None:
        rolling = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        surge = scaled_value(rolling.get("maxSurge", "25%"), replicas, round_up=True)
        unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        total = rs_replicas(new_rs) + sum(rs_replicas(r) for r in old)
        if rs_replicas(new_rs) > replicas:
            self._scale(api, d, new_rs, replicas)
        elif rs_replicas(new_rs) < replicas:
            allowed = replicas + surge - total
            if allowed > 0:
                self._scale(api, d, new_rs, min(replicas, rs_replicas(new_rs) + allowed))
        if not any(rs_replicas(r) for r in old):
            return
        # As reconcileOldReplicaSets: first unhealthy old pods, then down to minAvailable.
        min_available = replicas - unavailable
        new_unavailable = rs_replicas(new_rs) - rs_count(new_rs, "availableReplicas")
        max_down = total - min_available - new_unavailable
        if max_down <= 0:
            return
        for rs in old:
            unhealthy = rs_replicas(rs) - rs_count(rs, "availableReplicas")
            step = min(unhealthy, max_down)
            if step > 0 and self._scale(api, d, rs, rs_replicas(rs) - step):
                max_down -= step
                return  # re-read before scaling further
        available = rs_count(new_rs, "availableReplicas") + sum(
            rs_count(r, "availableReplicas") for r in old
        )
        self._scale_down_old(api, d, old, min(available - min_available, max_down))

    def _recreate(self, api: Api, d: Obj, new_rs: Obj, old: list[Obj], replicas: int) -> None:
        if any(rs_replicas(r) for r in old):
            for rs in old:
                self._scale(api, d, rs, 0)
            return
        if any(rs_count(r, "replicas") for r in old):
            return  # wait for the old pods to go
        self._scale(api, d, new_rs, replicas)

    def _partition(
        self, api: Api, d: Obj, new_rs: Obj, old: list[Obj], replicas: int, target: int
    ) -> None:
        self._scale(api, d, new_rs, target)
        ready_new = min(target, rs_count(new_rs, "availableReplicas"))
        keep_old = max(replicas - target, replicas - ready_new)
        excess = sum(rs_replicas(r) for r in old) - keep_old
        if excess > 0:
            self._scale_down_old(api, d, old, excess)
        elif excess < 0 and old:  # partition moved back: old pods come back
            self._scale(api, d, old[-1], rs_replicas(old[-1]) - excess)

    # -- status --
    def _progressing(self, api: Api, d: Obj, reason: str, message: str,
                     status: str = "True") -> None:
        current = copy.deepcopy(d.get("status") or {})
        current["conditions"] = set_condition(
            current.get("conditions") or [], "Progressing", status, reason, message, api.now()
        )
        api.update_status("deployments.apps", d, current)

    def _status(self, api: Api, d: Obj, new_rs: Obj | None, old: list[Obj], replicas: int) -> None:
        rss = ([new_rs] if new_rs else []) + old
        before = d.get("status") or {}
        available = sum(rs_count(r, "availableReplicas") for r in rss)
        counts = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": sum(rs_count(r, "replicas") for r in rss),
            "updatedReplicas": rs_count(new_rs, "replicas") if new_rs else 0,
            "readyReplicas": sum(rs_count(r, "readyReplicas") for r in rss),
            "availableReplicas": available,
            "unavailableReplicas": max(replicas - available, 0),
        }
        status = {k: v for k, v in counts.items() if v or k == "observedGeneration"}
        if before.get("collisionCount"):
            status["collisionCount"] = before["collisionCount"]
        conditions = list(before.get("conditions") or [])
        now = api.now()
        rolling = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), replicas, False)
        if available >= replicas - max_unavailable:
            conditions = set_condition(conditions, "Available", "True", "MinimumReplicasAvailable",
                                       "Deployment has minimum availability.", now)
        else:
            conditions = set_condition(conditions, "Available", "False",
                                       "MinimumReplicasUnavailable",
                                       "Deployment does not have minimum availability.", now)
        status["conditions"] = self._progress_condition(api, d, new_rs, counts, conditions, before)
        api.update_status("deployments.apps", d, status)

    def _progress_condition(
        self, api: Api, d: Obj, new_rs: Obj | None, counts: Obj, conditions: list[Obj],
        before: Obj,
    ) -> list[Obj]:
        now = api.now()
        replicas = as_int(d["spec"].get("replicas"), 1)
        if d["spec"].get("paused") and kruise_partition(d) is None:
            return set_condition(conditions, "Progressing", "Unknown", "DeploymentPaused",
                                 "Deployment is paused", now)
        if new_rs is None:
            return conditions
        rs_name = new_rs["metadata"]["name"]
        complete = (
            counts["updatedReplicas"] == replicas
            and counts["replicas"] == replicas
            and counts["availableReplicas"] == replicas
        )
        if complete:
            return set_condition(conditions, "Progressing", "True", "NewReplicaSetAvailable",
                                 f'ReplicaSet "{rs_name}" has successfully progressed.', now)
        current = get_condition(conditions, "Progressing")
        if current and current.get("reason") == "ProgressDeadlineExceeded":
            return conditions
        moved = any(
            as_int(before.get(k)) != counts[k]
            for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
        )
        if moved or current is None or current.get("reason") in (
            "NewReplicaSetAvailable", "DeploymentPaused"
        ):
            conditions = set_condition(conditions, "Progressing", "True", "ReplicaSetUpdated",
                                       f'ReplicaSet "{rs_name}" is progressing.', now)
            if moved:  # progress refreshes lastUpdateTime, which the deadline counts from
                get_condition(conditions, "Progressing")["lastUpdateTime"] = fmt_time(now)
            return conditions
        deadline = as_int(d["spec"].get("progressDeadlineSeconds"), DEFAULT_PROGRESS_DEADLINE)
        if seconds_since(api, (current or {}).get("lastUpdateTime")) > deadline:
            return set_condition(conditions, "Progressing", "False", "ProgressDeadlineExceeded",
                                 f'ReplicaSet "{rs_name}" has timed out progressing.', now)
        return conditions

