"""Version conversion between the stored and the requested version of a resource.

Only OpenKruise Rollouts differ between versions (see reference/kruise.md): v1beta1 is
stored, v1alpha1 is converted on the fly, as the kruise conversion webhook does:
- ``spec.objectRef.workloadRef`` (v1alpha1) <-> ``spec.workloadRef`` (v1beta1);
- step ``weight: N`` <-> ``traffic: "N%"`` (a v1alpha1 step without ``replicas`` means
  ``replicas: "N%"``);
- annotation ``rollouts.kruise.io/rolling-style`` <-> ``canary.enableExtraWorkloadForCanary``
  (any style but ``partition`` means an extra canary workload);
- v1beta1's top-level ``status.currentStepIndex/currentStepState`` mirror ``canaryStatus``;
  v1alpha1 has no blue-green, so ``blueGreen``/``blueGreenStatus`` do not survive a v1alpha1
  round trip (as on a real cluster).
Other resources only get their ``apiVersion`` rewritten.
"""

from __future__ import annotations

import re
from typing import Any

from rollouts_widgets.sandbox.patch import clone
from rollouts_widgets.sandbox.resources import ResourceType
from rollouts_widgets.sandbox.storage import prune

ROLLING_STYLE = "rollouts.kruise.io/rolling-style"
_PERCENT_RE = re.compile(r"^\s*(\d+)\s*%\s*$")


def _is_kruise_rollout(rt: ResourceType) -> bool:
    return rt.key == "rollouts.rollouts.kruise.io"


def to_version(obj: dict[str, Any], rt: ResourceType, version: str) -> dict[str, Any]:
    """A stored object as ``version`` presents it (a new dict when anything changes)."""
    if version == rt.storage_version:
        return obj
    out = clone(obj)
    out["apiVersion"] = rt.api_version(version)
    if _is_kruise_rollout(rt) and version == "v1alpha1":
        _beta_to_alpha(out)
        prune(out, rt, version)
    return out


def from_version(obj: dict[str, Any], rt: ResourceType, version: str) -> dict[str, Any]:
    """An object sent in ``version``, converted to the storage version (pruned first)."""
    out = clone(obj)
    if version == rt.storage_version:
        return out
    prune(out, rt, version)
    if _is_kruise_rollout(rt) and version == "v1alpha1":
        _alpha_to_beta(out)
    out["apiVersion"] = rt.api_version()
    return out


def _alpha_to_beta(obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    meta = obj.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    style = annotations.pop(ROLLING_STYLE, None)
    if not annotations:
        meta.pop("annotations", None)
    if isinstance(spec, dict):
        object_ref = spec.pop("objectRef", None)
        spec.pop("rolloutID", None)
        if isinstance(object_ref, dict) and object_ref.get("workloadRef") is not None:
            spec["workloadRef"] = object_ref["workloadRef"]
        canary = (spec.get("strategy") or {}).get("canary")
        if isinstance(canary, dict):
            canary["enableExtraWorkloadForCanary"] = str(style or "").lower() != "partition"
            for step in canary.get("steps") or []:
                if isinstance(step, dict) and "weight" in step:
                    weight = step.pop("weight")
                    step.setdefault("traffic", f"{weight}%")
                    step.setdefault("replicas", f"{weight}%")
    status = obj.get("status")
    if isinstance(status, dict) and isinstance(status.get("canaryStatus"), dict):
        for field in ("currentStepIndex", "currentStepState"):
            if field in status["canaryStatus"]:
                status[field] = status["canaryStatus"][field]


def _beta_to_alpha(obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        if "workloadRef" in spec:
            spec["objectRef"] = {"workloadRef": spec.pop("workloadRef")}
        canary = (spec.get("strategy") or {}).get("canary")
        if isinstance(canary, dict):
            extra = canary.pop("enableExtraWorkloadForCanary", False)
            meta = obj.setdefault("metadata", {})
            annotations = dict(meta.get("annotations") or {})
            annotations[ROLLING_STYLE] = "canary" if extra else "partition"
            meta["annotations"] = annotations
            for step in canary.get("steps") or []:
                if isinstance(step, dict) and isinstance(step.get("traffic"), str):
                    match = _PERCENT_RE.match(step["traffic"])
                    if match:
                        step.pop("traffic")
                        step["weight"] = int(match.group(1))
