"""The workload side of an OpenKruise release: revisions, gating and counts per workload kind.

Gating, as kruise-rollout does it (see reference/kruise.md):
- Deployment, partition style: ``spec.paused=true``, annotation
  ``rollouts.kruise.io/in-progressing`` and ``rollouts.kruise.io/deployment-strategy``
  (``rollingStyle: Partition``, ``partition``) - the new ReplicaSet gets ``partition`` pods;
- Deployment, canary style: the Deployment stays paused at the stable version and a second
  Deployment labelled ``rollouts.kruise.io/canary-deployment=<name>`` runs the canary pods;
- CloneSet: ``updateStrategy.partition``; StatefulSet: ``updateStrategy.rollingUpdate.partition``;
- blue-green (Deployment, CloneSet): ``maxSurge`` = the step's replicas with
  ``maxUnavailable: 0`` and a huge ``minReadySeconds``, so new pods come up beside the old ones
  and the old ones stay; the original settings wait in an annotation until the release ends.
"""

from __future__ import annotations

import copy
import json

from rollouts_widgets.sandbox.controllers.cloneset import cloneset_revision
from rollouts_widgets.sandbox.controllers.deployment import (
    KRUISE_DEPLOYMENT_STRATEGY,
    deployment_hash,
    revision_of,
)
from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    annotations_of,
    as_int,
    labels_of,
    owner_ref,
    scaled_value,
)
from rollouts_widgets.sandbox.controllers.podsets import (
    CONTROLLER_REVISION_HASH,
    POD_TEMPLATE_HASH,
    count_ready,
)
from rollouts_widgets.sandbox.controllers.statefulset import statefulset_revision

IN_PROGRESSING = "rollouts.kruise.io/in-progressing"
CANARY_DEPLOYMENT = "rollouts.kruise.io/canary-deployment"
ORIGINAL_SETTINGS = "rollouts.kruise.io/original-settings"
NEVER_AVAILABLE = 2147483647  # minReadySeconds that keeps new pods from counting as available

RESOURCES = {
    "Deployment": "deployments.apps",
    "CloneSet": "clonesets.apps.kruise.io",
    "StatefulSet": "statefulsets.apps",
}
PARTITION, CANARY, BLUE_GREEN = "Partition", "Canary", "BlueGreen"


class Workload:
    """One rollout's workload, read once per reconcile."""

    def __init__(self, api: Api, rollout: Obj, resource: str, obj: Obj) -> None:
        self.api = api
        self.rollout = rollout
        self.resource = resource
        self.obj = obj
        self.kind = obj["kind"]
        self.name = obj["metadata"]["name"]
        self.namespace = obj["metadata"].get("namespace")

    @classmethod
    def find(cls, api: Api, rollout: Obj) -> Workload | None:
        ref = rollout["spec"].get("workloadRef") or {}
        resource = RESOURCES.get(ref.get("kind", ""))
        if not resource or not ref.get("name"):
            return None
        obj = api.get(resource, rollout["metadata"].get("namespace"), ref["name"])
        return cls(api, rollout, resource, obj) if obj else None

    @property
    def replicas(self) -> int:
        return as_int(self.obj["spec"].get("replicas"), 1)

    @property
    def generation(self) -> int:
        return as_int(self.obj["metadata"].get("generation"), 1)

    # -- revisions --
    def update_revision(self) -> str:
        """The template hash of the workload's current template (``canaryRevision``)."""
        if self.kind == "Deployment":
            return deployment_hash(self.obj)
        if self.kind == "CloneSet":
            return cloneset_revision(self.obj)[1]
        return statefulset_revision(self.obj).rsplit("-", 1)[1]

    def stable_revision(self) -> str:
        """The revision the workload's pods run now (before a release gates it)."""
        if self.kind == "Deployment":
            rss = self.api.owned("replicasets.apps", self.obj)
            live = [rs for rs in rss if as_int(rs["spec"].get("replicas")) > 0] or rss
            if not live:
                return self.update_revision()
            best = max(live, key=lambda rs: (as_int(rs["spec"].get("replicas")),
                                              revision_of(rs)))
            return labels_of(best).get(POD_TEMPLATE_HASH, "")
        current = (self.obj.get("status") or {}).get("currentRevision")
        return current.rsplit("-", 1)[-1] if current else self.update_revision()

    def pod_template_hash(self, style: str) -> str:
        """The label value the new version's pods carry."""
        if self.kind == "StatefulSet":
            return statefulset_revision(self.obj)
        if style == CANARY:
            canary = self.canary_deployment()
            return deployment_hash(canary) if canary else self.update_revision()
        return self.update_revision()

    # -- gating --
    def _write(self, want: Obj) -> None:
        self.api.update_if_changed(self.resource, self.obj, want)

    def _marked(self, want: Obj) -> Obj:
        annotations = want["metadata"].setdefault("annotations", {})
        annotations[IN_PROGRESSING] = json.dumps(
            {"rolloutName": self.rollout["metadata"]["name"]}, separators=(",", ":")
        )
        return want

    def gate(self, style: str, step_replicas: object) -> None:
        """Hold the workload at ``step_replicas`` new pods (None: none yet)."""
        want = copy.deepcopy(self.obj)
        spec = want["spec"]
        canary = 0 if step_replicas is None else scaled_value(step_replicas, self.replicas)
        canary = min(canary, self.replicas)
        if self.kind == "Deployment":
            self._marked(want)
            if style == BLUE_GREEN:
                self._save_original(want)
                spec["paused"] = step_replicas is None
                spec["minReadySeconds"] = NEVER_AVAILABLE
                spec["progressDeadlineSeconds"] = NEVER_AVAILABLE
                spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {
                    "maxSurge": step_replicas if step_replicas is not None else 0,
                    "maxUnavailable": 0}}
            else:
                spec["paused"] = True
                if style == PARTITION:
                    rolling = (self.obj["spec"].get("strategy") or {}).get("rollingUpdate")
                    strategy = {"rollingStyle": PARTITION, "rollingUpdate": rolling or {},
                                "paused": False, "partition": step_replicas or 0}
                    want["metadata"]["annotations"][KRUISE_DEPLOYMENT_STRATEGY] = json.dumps(
                        strategy, separators=(",", ":"))
                elif step_replicas is not None:
                    self._ensure_canary_deployment(canary)
        elif self.kind == "CloneSet":
            strategy = spec.setdefault("updateStrategy", {})
            if style == BLUE_GREEN:
                self._save_original(want)
                spec["minReadySeconds"] = NEVER_AVAILABLE
                strategy.update(partition=0 if step_replicas is not None else self.replicas,
                                maxSurge=step_replicas or 0, maxUnavailable=0)
            else:
                strategy["partition"] = self.replicas - canary
            strategy["paused"] = False
        else:
            rolling = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            rolling.setdefault("rollingUpdate", {})["partition"] = self.replicas - canary
        self._write(want)

    def _save_original(self, want: Obj) -> None:
        annotations = want["metadata"].setdefault("annotations", {})
        if ORIGINAL_SETTINGS in annotations:
            return
        spec = self.obj["spec"]
        keys = ("strategy", "minReadySeconds", "progressDeadlineSeconds", "updateStrategy")
        annotations[ORIGINAL_SETTINGS] = json.dumps(
            {k: spec.get(k) for k in keys if k in spec}, separators=(",", ":")
        )

    def release(self) -> None:
        """Give the workload back to its own controller (which then finishes the release)."""
        want = copy.deepcopy(self.obj)
        spec = want["spec"]
        annotations = want["metadata"].get("annotations") or {}
        for key in (IN_PROGRESSING, KRUISE_DEPLOYMENT_STRATEGY):
            annotations.pop(key, None)
        original = annotations.pop(ORIGINAL_SETTINGS, None)
        if original:
            saved = json.loads(original)
            for key in ("strategy", "minReadySeconds", "progressDeadlineSeconds",
                        "updateStrategy"):
                spec.pop(key, None)
                if key in saved:
                    spec[key] = saved[key]
        if not annotations:
            want["metadata"].pop("annotations", None)
        if self.kind == "Deployment":
            spec.pop("paused", None)
        elif self.kind == "CloneSet" and not original:
            spec.setdefault("updateStrategy", {})["partition"] = 0
        elif self.kind == "StatefulSet":
            spec.setdefault("updateStrategy", {}).setdefault("rollingUpdate", {})["partition"] = 0
        self._write(want)

    def gated(self) -> bool:
        return IN_PROGRESSING in annotations_of(self.obj) or ORIGINAL_SETTINGS in annotations_of(
            self.obj)

    # -- the canary Deployment (canary style) --
    def canary_deployment(self) -> Obj | None:
        return next(
            (d for d in self.api.list("deployments.apps", self.namespace)
             if labels_of(d).get(CANARY_DEPLOYMENT) == self.name),
            None,
        )

    def _ensure_canary_deployment(self, replicas: int) -> None:
        existing = self.canary_deployment()
        template = copy.deepcopy(self.obj["spec"].get("template") or {})
        if existing is not None:
            want = copy.deepcopy(existing)
            want["spec"]["replicas"] = replicas
            want["spec"]["template"] = template
            self.api.update_if_changed("deployments.apps", existing, want)
            return
        self.api.create("deployments.apps", {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": f"{self.name}-{self.update_revision()}",
                "namespace": self.namespace,
                "labels": {**labels_of(self.obj), CANARY_DEPLOYMENT: self.name},
                "ownerReferences": [owner_ref(self.rollout)],
            },
            "spec": {
                "replicas": replicas,
                "selector": copy.deepcopy(self.obj["spec"].get("selector")),
                "template": template,
                "strategy": copy.deepcopy(self.obj["spec"].get("strategy") or {}),
            },
        })

    def remove_canary_deployment(self) -> None:
        canary = self.canary_deployment()
        if canary is not None:
            self.api.delete("deployments.apps", self.namespace, canary["metadata"]["name"])

    # -- counts --
    def new_counts(self, style: str) -> tuple[int, int]:
        """(replicas, ready replicas) of the new version's pods."""
        if self.kind == "Deployment":
            if style == CANARY:
                canary = self.canary_deployment()
                status = (canary or {}).get("status") or {}
                return as_int(status.get("replicas")), as_int(status.get("readyReplicas"))
            target = self.update_revision()
            rs = next(
                (rs for rs in self.api.owned("replicasets.apps", self.obj)
                 if labels_of(rs).get(POD_TEMPLATE_HASH) == target),
                None,
            )
            status = (rs or {}).get("status") or {}
            return as_int(status.get("replicas")), as_int(status.get("readyReplicas"))
        status = self.obj.get("status") or {}
        if self.kind == "CloneSet":
            return as_int(status.get("updatedReplicas")), as_int(status.get(
                "updatedReadyReplicas"))
        rev = statefulset_revision(self.obj)
        pods = [p for p in self.api.owned("pods", self.obj)
                if labels_of(p).get(CONTROLLER_REVISION_HASH) == rev]
        return len(pods), count_ready(pods)

    def rolled_out(self) -> bool:
        """Every pod at the current template, ready, and nothing else left."""
        status = self.obj.get("status") or {}
        if as_int(status.get("observedGeneration")) != self.generation:
            return False
        if self.kind == "Deployment":
            return (as_int(status.get("updatedReplicas")) == self.replicas
                    and as_int(status.get("replicas")) == self.replicas
                    and as_int(status.get("availableReplicas")) == self.replicas)
        ready_key = "updatedReadyReplicas" if self.kind == "CloneSet" else "readyReplicas"
        return (as_int(status.get("updatedReplicas")) == self.replicas
                and as_int(status.get(ready_key)) == self.replicas
                and as_int(status.get("replicas")) == self.replicas)
