"""ROLLBACK: put an earlier revision's pod template back into the workload.

- Kruise rollout of an apps/v1 Deployment: the chosen ReplicaSet's template, minus the
  ``pod-template-hash`` label, replaces the Deployment's ``spec.template`` (the Kruise
  controller sees the revert and cancels the release).
- Argo rollout: ``kubectl argo rollouts undo`` semantics - JSON patch replace ``/spec/template``
  with the ReplicaSet's template minus ``rollouts-pod-template-hash``, on the rollout itself or
  on its workloadRef Deployment.
- Any other workload kind: UNSUPPORTED_ROLLBACK_KIND ("rollback currently supports Deployment
  only"), checked by ``plan.check`` before we get here.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.actions.plan import (
    ARGO_POD_HASH_LABEL,
    KRUISE_POD_HASH_LABEL,
    Write,
    json_precondition,
    object_meta,
    workload_target,
)
from rollouts_widgets.errors import RolloutsError


@dataclass(frozen=True)
class RolloutRollbackResponse:
    message: str
    namespace: str
    rollout: str
    workload_kind: str
    workload_name: str
    revision: str

    def to_dict(self) -> dict[str, str]:
        """The wire shape of the original API: ``{message, namespace, rollout, workloadKind,
        workloadName, revision}``."""
        return {
            "message": self.message,
            "namespace": self.namespace,
            "rollout": self.rollout,
            "workloadKind": self.workload_kind,
            "workloadName": self.workload_name,
            "revision": self.revision,
        }


@dataclass(frozen=True)
class RollbackPlan:
    writes: list[Write]
    response: RolloutRollbackResponse


def strip_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a ReplicaSet's pod template without the controllers' hash labels.

    Both labels go: with an Argo workloadRef the Deployment's own older ReplicaSets carry
    ``pod-template-hash``, and neither label belongs in a template a user owns.
    """
    result = copy.deepcopy(dict(template))
    metadata = result.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("labels"), dict):
        for label in (ARGO_POD_HASH_LABEL, KRUISE_POD_HASH_LABEL):
            metadata["labels"].pop(label, None)
    return result


def choose_revision(revisions: Sequence[Any], revision: Any = None) -> Any:
    """The revision named by ``revision`` (its number, ReplicaSet name or template hash), else
    the stable one (the active one of a blue-green rollout)."""
    if revision is None:
        for role in ("stable", "active"):
            for candidate in revisions:
                if getattr(candidate, "role", "") == role:
                    return candidate
        raise RolloutsError(errors.NO_STABLE_REVISION, "the rollout has no stable revision")
    if isinstance(revision, bool) or not isinstance(revision, (int, str)):
        raise RolloutsError(errors.INVALID_INPUT, "revision must be a revision number or name")
    wanted = str(revision).strip()
    if not wanted or len(wanted) > 253:
        raise RolloutsError(errors.INVALID_INPUT, "revision must be a revision number or name")
    for candidate in revisions:
        if wanted in (getattr(candidate, "name", ""), getattr(candidate, "template_hash", "")):
            return candidate
    numbered = [c for c in revisions if str(getattr(c, "revision", None)) == wanted]
    # A canary-style Kruise rollout's extra Deployment numbers its ReplicaSets from 1 as well:
    # a bare number means the workload's own revision, not the canary's.
    own = [c for c in numbered if getattr(c, "role", "") != "canary"] or numbered
    if len(own) > 1:
        names = ", ".join(str(getattr(c, "name", "")) for c in own)
        raise RolloutsError(
            errors.INVALID_INPUT, f"revision {wanted} is ambiguous; name the ReplicaSet: {names}"
        )
    if own:
        return own[0]
    known = ", ".join(str(getattr(c, "revision", "")) for c in revisions) or "none"
    raise RolloutsError(
        errors.REVISION_NOT_FOUND, f"revision {wanted[:40]!r} not found; revisions: {known}"
    )


def plan_rollback(
    obj: Mapping[str, Any],
    related: Sequence[Mapping[str, Any]],
    *,
    revision: Any = None,
    revisions: Sequence[Any] | None = None,
) -> RollbackPlan:
    """The writes that roll back to ``revision`` (default: the stable one), and the response.

    ``revisions`` are RevisionViews (``role``, ``revision``, ``template``); by default they come
    from ``rollouts_widgets.model.related.revisions(obj, related)``. ``related`` must hold a
    fresh copy of the workload: the patch only applies at its resourceVersion.
    """
    if revisions is None:
        from rollouts_widgets.model.related import revisions as related_revisions

        revisions = related_revisions(obj, list(related))
    namespace, rollout, _ = object_meta(obj)
    target = choose_revision(revisions, revision)
    template = getattr(target, "template", None)
    number = getattr(target, "revision", None)
    number = getattr(target, "name", "") if number is None else str(number)
    if not isinstance(template, Mapping) or not template:
        raise RolloutsError(
            errors.REVISION_NOT_FOUND, f"revision {number} has no pod template to roll back to"
        )
    template = strip_template(template)
    gvr, workload = workload_target(obj, related)
    _, workload_name, rv = object_meta(workload)
    kind = str(workload.get("kind") or "")

    def response(message: str) -> RolloutRollbackResponse:
        return RolloutRollbackResponse(message, namespace, rollout, kind, workload_name, number)

    current = (workload.get("spec") or {}).get("template")
    if current == template:
        return RollbackPlan([], response(f"{kind} {workload_name} is already at revision {number}"))
    ops = [{"op": "replace", "path": "/spec/template", "value": template}]
    write = Write(gvr, namespace, workload_name, "json", json_precondition(rv) + ops)
    message = f"rolled back {kind} {workload_name} to revision {number}"
    return RollbackPlan([write], response(message))
