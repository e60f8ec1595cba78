"""The detail panel's related objects: revisions, pods and events of one rollout (pure, no I/O).

``related`` is any iterable of raw objects carrying ``kind`` (ReplicaSets, Pods, Deployments,
CloneSets, ControllerRevisions, Events, ...); each builder picks what it needs.

Revisions and their roles
- Argo: ReplicaSets owned by the Rollout (and, with ``workloadRef``, by that Deployment);
  revision from ``rollout.argoproj.io/revision`` (``deployment.kubernetes.io/revision`` for the
  Deployment's own ones); hash label ``rollouts-pod-template-hash``. Canary: ``stable`` =
  ``status.stableRS``, ``canary`` = ``status.currentPodHash``. Blue-green: ``active`` =
  ``status.blueGreen.activeSelector`` (else ``stableRS``), ``preview`` = ``previewSelector``.
  Others are ``old``.
- Kruise, Deployment workload: ReplicaSets of the Deployment and of its canary Deployment
  (labelled ``rollouts.kruise.io/canary-deployment=<name>``); ``stable`` = the status's
  ``stableRevision``, ``canary`` = ``podTemplateHash`` (and every canary-Deployment RS). With no
  release status yet, the newest ReplicaSet is ``stable``.
- Kruise, CloneSet / StatefulSet / DaemonSet: one revision per template hash seen on the
  workload's pods (``pod-template-hash``, else the suffix of ``controller-revision-hash``), on its
  ControllerRevisions and in its ``status.currentRevision`` / ``updateRevision``; counts come
  from the pods. Roles as above; with no release status, currentRevision is ``stable`` and a
  different updateRevision ``canary``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from rollouts_widgets.errors import INVALID_INPUT, RolloutsError
from rollouts_widgets.model.parse import (
    MAX_TEXT,
    api_group,
    find_workload,
    get,
    integer,
    items,
    mapping,
    related_of,
    string_map,
    template_images,
    text,
    timestamp,
)

ARGO_GROUP = "argoproj.io"
KRUISE_GROUP = "rollouts.kruise.io"
ARGO_HASH_LABEL = "rollouts-pod-template-hash"
POD_HASH_LABEL = "pod-template-hash"
REVISION_HASH_LABEL = "controller-revision-hash"
ARGO_REVISION = "rollout.argoproj.io/revision"
DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision"
CANARY_DEPLOYMENT_LABEL = "rollouts.kruise.io/canary-deployment"

RevisionRole = Literal["stable", "canary", "preview", "active", "old"]
PodState = Literal[
    "Ready", "Running", "Pending", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull",
    "Terminating", "Succeeded", "Failed", "Unknown",
]
# Waiting reasons that colour a pod as broken, worst first.
BROKEN_REASONS: tuple[str, ...] = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull")


@dataclass(frozen=True)
class PodView:
    name: str
    namespace: str
    state: PodState  # for colouring: Ready, Running (not ready), Pending, a broken reason, ...
    phase: str  # the pod's own status.phase
    reason: str = ""  # why: a waiting/terminated reason, Evicted, Unschedulable, ...
    message: str = ""
    restarts: int = 0
    ready: bool = False
    revision: str = ""  # template hash (pod-template-hash and friends)
    node: str = ""
    images: tuple[str, ...] = ()
    created: datetime | None = None


@dataclass(frozen=True)
class RevisionView:
    name: str  # ReplicaSet name, or ControllerRevision name for pod-based workloads
    kind: str  # ReplicaSet | ControllerRevision
    role: RevisionRole
    revision: int | None
    template_hash: str
    replicas: int | None  # desired (ReplicaSet spec) or pods seen (pod-based workloads)
    ready_replicas: int | None
    available_replicas: int | None
    images: tuple[str, ...] = ()
    pods: tuple[PodView, ...] = ()
    created: datetime | None = None
    health: str = ""  # Healthy | Progressing | ScaledDown | ReplicaFailure
    template: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class EventView:
    ts: datetime | None
    type: str  # Normal | Warning
    reason: str
    message: str
    object_kind: str
    object_name: str
    count: int = 1
    namespace: str = ""


# -- shared readers ---------------------------------------------------------------------------


def _name(obj: Any) -> str:
    return text(obj, "metadata", "name")


def _labels(obj: Any) -> dict[str, str]:
    return string_map(get(obj, "metadata", "labels"))


def _owned_by(obj: Any, kind: str, name: str, uid: str = "") -> bool:
    """Whether an ownerReference points at (kind, name), and at uid when both sides know it."""
    for ref in items(obj, "metadata", "ownerReferences"):
        if text(ref, "kind") != kind or text(ref, "name") != name or not name:
            continue
        if not uid or not text(ref, "uid") or text(ref, "uid") == uid:
            return True
    return False


def _hash_suffix(revision_name: str) -> str:
    """``sample-5d4f9b8c7`` -> ``5d4f9b8c7`` (CloneSet/StatefulSet revision names)."""
    return revision_name.rsplit("-", 1)[-1]


def _revision_number(obj: Any, *annotations: str) -> int | None:
    notes = string_map(get(obj, "metadata", "annotations"))
    for key in annotations:
        value = notes.get(key, "")
        if value.isascii() and value.isdigit() and len(value) < 10:
            return int(value)
    return None


def _pod_hash(pod: Any) -> str:
    labels = _labels(pod)
    if labels.get(ARGO_HASH_LABEL) or labels.get(POD_HASH_LABEL):
        return labels.get(ARGO_HASH_LABEL) or labels[POD_HASH_LABEL]
    revision = labels.get(REVISION_HASH_LABEL, "")
    return _hash_suffix(revision) if revision else ""


def _provider(rollout: Any) -> str:
    if not isinstance(rollout, dict):
        kind = type(rollout).__name__
        raise RolloutsError(INVALID_INPUT, f"expected a Rollout object, got {kind}")
    group = api_group(text(rollout, "apiVersion"))
    if group not in (ARGO_GROUP, KRUISE_GROUP):
        shown = text(rollout, "apiVersion", limit=60) or "none"
        raise RolloutsError(
            INVALID_INPUT, f"not an Argo or OpenKruise Rollout (apiVersion {shown})"
        )
    return "argo" if group == ARGO_GROUP else "kruise"


def _related(related: Iterable[Any] | None) -> list[dict[str, Any]]:
    if related is None or isinstance(related, (str, bytes, dict)):
        return []
    return [obj for obj in related if isinstance(obj, dict)]


# -- pods -------------------------------------------------------------------------------------


def pod_view(pod: dict[str, Any]) -> PodView:
    """One pod, with the state the detail panel colours it by."""
    phase = text(pod, "status", "phase") or "Unknown"
    statuses = items(pod, "status", "initContainerStatuses") + items(
        pod, "status", "containerStatuses"
    )
    waiting = [
        (text(s, "state", "waiting", "reason"), text(s, "state", "waiting", "message",
                                                     limit=MAX_TEXT))
        for s in statuses
        if text(s, "state", "waiting", "reason")
    ]
    ready = any(
        text(c, "type") == "Ready" and text(c, "status") == "True"
        for c in items(pod, "status", "conditions")
    )
    broken = [w for bad in BROKEN_REASONS for w in waiting if w[0] == bad]
    reason, message = (waiting[0] if waiting else ("", ""))
    state: PodState
    if get(pod, "metadata", "deletionTimestamp"):
        state = "Terminating"
    elif phase in ("Succeeded", "Failed"):
        state = phase  # type: ignore[assignment]
        reason = text(pod, "status", "reason") or reason
        message = text(pod, "status", "message", limit=MAX_TEXT) or message
    elif broken:
        state = broken[0][0]  # type: ignore[assignment]
        reason, message = broken[0]
    elif phase == "Pending":
        state = "Pending"
        if not reason:
            unscheduled = [
                c for c in items(pod, "status", "conditions")
                if text(c, "type") == "PodScheduled" and text(c, "status") == "False"
            ]
            if unscheduled:
                reason = text(unscheduled[0], "reason")
                message = text(unscheduled[0], "message", limit=MAX_TEXT)
    elif phase == "Running":
        state = "Ready" if ready else "Running"
    else:
        state = "Unknown"
    return PodView(
        name=_name(pod),
        namespace=text(pod, "metadata", "namespace"),
        state=state,
        phase=phase,
        reason=reason,
        message=message,
        restarts=sum(max(integer(s, "restartCount") or 0, 0) for s in statuses),
        ready=ready,
        revision=_pod_hash(pod),
        node=text(pod, "spec", "nodeName"),
        images=template_images(pod),
        created=timestamp(get(pod, "metadata", "creationTimestamp")),
    )


def _pods_of_set(rs: dict[str, Any], pods: list[dict[str, Any]], hash_: str) -> list[dict]:
    """A ReplicaSet's pods: owned by it, or (for pods without owners) carrying its hash."""
    name = _name(rs)
    uid = text(rs, "metadata", "uid")
    return [
        p for p in pods
        if _owned_by(p, "ReplicaSet", name, uid)
        or (hash_ and not items(p, "metadata", "ownerReferences") and _pod_hash(p) == hash_)
    ]


def _sorted_pods(pods: Iterable[dict[str, Any]]) -> tuple[PodView, ...]:
    return tuple(sorted((pod_view(p) for p in pods), key=lambda p: p.name))


# -- revisions --------------------------------------------------------------------------------


def _health(desired: int | None, available: int | None, failure: bool = False) -> str:
    """A revision's health as the Argo dashboard shows a ReplicaSet's."""
    if failure:
        return "ReplicaFailure"
    if not desired:
        return "ScaledDown"
    return "Progressing" if (available or 0) < desired else "Healthy"


def _set_revision(
    rs: dict[str, Any], role: RevisionRole, hash_: str, pods: list[dict[str, Any]]
) -> RevisionView:
    template = mapping(rs, "spec", "template")
    failure = any(
        text(c, "type") == "ReplicaFailure" and text(c, "status") == "True"
        for c in items(rs, "status", "conditions")
    )
    desired = integer(rs, "spec", "replicas")
    available = integer(rs, "status", "availableReplicas") or 0
    return RevisionView(
        name=_name(rs),
        kind="ReplicaSet",
        role=role,
        revision=_revision_number(rs, ARGO_REVISION, DEPLOYMENT_REVISION),
        template_hash=hash_,
        replicas=desired,
        ready_replicas=integer(rs, "status", "readyReplicas") or 0,
        available_replicas=available,
        images=template_images(template),
        pods=_sorted_pods(_pods_of_set(rs, pods, hash_)),
        created=timestamp(get(rs, "metadata", "creationTimestamp")),
        health=_health(desired, available, failure),
        template=copy.deepcopy(template),
    )


def _argo_revisions(rollout: dict[str, Any], related: list[dict[str, Any]]) -> list[RevisionView]:
    namespace = text(rollout, "metadata", "namespace")
    status = mapping(rollout, "status")
    owners = [("Rollout", _name(rollout), text(rollout, "metadata", "uid"))]
    ref = mapping(rollout, "spec", "workloadRef")
    if ref:
        workload = find_workload(related, ref, namespace)
        owners.append((text(ref, "kind"), text(ref, "name"), text(workload, "metadata", "uid")))
    blue_green = bool(mapping(rollout, "spec", "strategy", "blueGreen"))
    stable, current = text(status, "stableRS"), text(status, "currentPodHash")
    active = text(status, "blueGreen", "activeSelector") or stable  # before the first cutover
    preview = text(status, "blueGreen", "previewSelector")
    pods = related_of(related, "Pod", namespace)
    result = []
    for rs in related_of(related, "ReplicaSet", namespace):
        if not any(_owned_by(rs, *owner) for owner in owners):
            continue
        labels = _labels(rs)
        hash_ = labels.get(ARGO_HASH_LABEL) or labels.get(POD_HASH_LABEL, "")
        role: RevisionRole = "old"
        if blue_green:
            if hash_ and hash_ == active:
                role = "active"
            elif hash_ and hash_ == preview:
                role = "preview"
        elif hash_ and hash_ == stable:
            role = "stable"
        elif hash_ and hash_ == current:
            role = "canary"
        result.append(_set_revision(rs, role, hash_, pods))
    return result


def _kruise_status(rollout: dict[str, Any]) -> dict[str, Any]:
    status = mapping(rollout, "status")
    return mapping(status, "canaryStatus") or mapping(status, "blueGreenStatus")


def _kruise_workload_ref(rollout: dict[str, Any]) -> dict[str, Any]:
    return mapping(rollout, "spec", "workloadRef") or mapping(
        rollout, "spec", "objectRef", "workloadRef"
    )


def _kruise_revisions(
    rollout: dict[str, Any], related: list[dict[str, Any]]
) -> list[RevisionView]:
    ref = _kruise_workload_ref(rollout)
    if text(ref, "kind") == "Deployment":
        return _kruise_deployment_revisions(rollout, ref, related)
    if text(ref, "kind"):
        return _pod_based_revisions(rollout, ref, related)
    return []


def _canary_deployments(
    rollout: dict[str, Any], ref: dict[str, Any], related: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Kruise canary-style releases' extra Deployments. The label names the stable Deployment;
    its name, its uid or the rollout's name are accepted."""
    namespace = text(rollout, "metadata", "namespace")
    workload = find_workload(related, ref, namespace)
    canary_of = {text(ref, "name"), _name(rollout), text(workload, "metadata", "uid")} - {""}
    return [
        d for d in related_of(related, "Deployment", namespace)
        if _labels(d).get(CANARY_DEPLOYMENT_LABEL) in canary_of
    ]


def _kruise_deployment_revisions(
    rollout: dict[str, Any], ref: dict[str, Any], related: list[dict[str, Any]]
) -> list[RevisionView]:
    namespace = text(rollout, "metadata", "namespace")
    name = text(ref, "name")
    status = _kruise_status(rollout)
    stable, canary = text(status, "stableRevision"), text(status, "podTemplateHash")
    workload = find_workload(related, ref, namespace)
    owners = [(name, text(workload, "metadata", "uid"), False)]
    owners += [
        (_name(d), text(d, "metadata", "uid"), True)
        for d in _canary_deployments(rollout, ref, related)
    ]
    pods = related_of(related, "Pod", namespace)
    found = []  # (rs, hash, from the canary Deployment)
    for rs in related_of(related, "ReplicaSet", namespace):
        owner = next((o for o in owners if _owned_by(rs, "Deployment", o[0], o[1])), None)
        if owner is not None:
            found.append((rs, _labels(rs).get(POD_HASH_LABEL, ""), owner[2]))
    if not stable and not canary:  # no release yet: the Deployment's newest ReplicaSet
        own = [(_revision_number(rs, DEPLOYMENT_REVISION) or 0, h) for rs, h, c in found if not c]
        stable = max(own)[1] if own else ""
    result = []
    for rs, hash_, from_canary in found:
        role: RevisionRole = "old"
        if hash_ and hash_ == stable and not from_canary:
            role = "stable"
        elif from_canary or (hash_ and hash_ == canary):
            role = "canary"
        result.append(_set_revision(rs, role, hash_, pods))
    return result


def _pod_based_revisions(
    rollout: dict[str, Any], ref: dict[str, Any], related: list[dict[str, Any]]
) -> list[RevisionView]:
    """CloneSet / StatefulSet / DaemonSet: revisions grouped by the pods' template hash."""
    namespace = text(rollout, "metadata", "namespace")
    kind, name = text(ref, "kind"), text(ref, "name")
    workload = find_workload(related, ref, namespace)
    uid = text(workload, "metadata", "uid")
    pods = [p for p in related_of(related, "Pod", namespace) if _owned_by(p, kind, name, uid)]
    history = {
        _hash_suffix(_name(cr)): cr
        for cr in related_of(related, "ControllerRevision", namespace)
        if _owned_by(cr, kind, name, uid)
    }
    current = text(workload, "status", "currentRevision")
    update = text(workload, "status", "updateRevision")
    status = _kruise_status(rollout)
    stable = _hash_suffix(text(status, "stableRevision"))
    canary = _hash_suffix(text(status, "podTemplateHash"))
    if not stable and not canary and current:
        stable = _hash_suffix(current)
        canary = _hash_suffix(update) if update and update != current else ""
    hashes = list(history)
    for hash_ in [_pod_hash(p) for p in pods] + [_hash_suffix(r) for r in (current, update) if r]:
        if hash_ and hash_ not in hashes:
            hashes.append(hash_)
    result = []
    for hash_ in hashes:
        cr = history.get(hash_)
        own = _sorted_pods(p for p in pods if _pod_hash(p) == hash_)
        template = dict(mapping(cr, "data", "spec", "template"))
        template.pop("$patch", None)  # ControllerRevision data is a strategic-merge patch
        role: RevisionRole = "stable" if hash_ == stable else "canary" if hash_ == canary else "old"
        result.append(
            RevisionView(
                name=_name(cr) if cr else f"{name}-{hash_}",
                kind="ControllerRevision",
                role=role,
                revision=integer(cr, "revision"),
                template_hash=hash_,
                replicas=len(own),
                ready_replicas=sum(p.ready for p in own),
                available_replicas=None,  # availability (minReadySeconds) is not on the pod
                images=template_images(template) or (own[0].images if own else ()),
                pods=own,
                created=timestamp(get(cr, "metadata", "creationTimestamp"))
                or min((p.created for p in own if p.created), default=None),
                health=_health(len(own), sum(p.ready for p in own)),
                template=copy.deepcopy(template),
            )
        )
    return result


_ROLE_ORDER = {"canary": 0, "preview": 0, "stable": 1, "active": 1, "old": 2}


def _display_order(revision: RevisionView) -> tuple[int, int, float, str]:
    """The new version first, then the serving one, then old revisions newest first (a canary
    Deployment numbers its revisions on its own, so roles come before numbers)."""
    number = revision.revision if revision.revision is not None else -1
    created = revision.created.timestamp() if revision.created else 0.0
    return (_ROLE_ORDER[revision.role], -number, -created, revision.name)


def revisions(rollout: dict[str, Any], related: Iterable[dict[str, Any]]) -> list[RevisionView]:
    """The rollout's revisions with their roles and pods: canary/preview, stable/active, then
    old ones newest first."""
    provider = _provider(rollout)
    objects = _related(related)
    build = _argo_revisions if provider == "argo" else _kruise_revisions
    return sorted(build(rollout, objects), key=_display_order)


def pods(rollout: dict[str, Any], related: Iterable[dict[str, Any]]) -> list[PodView]:
    """Every pod of the rollout's revisions, in revision order, then by name."""
    return [pod for revision in revisions(rollout, related) for pod in revision.pods]


# -- events -----------------------------------------------------------------------------------


def event_view(event: dict[str, Any]) -> EventView:
    """A core/v1 or events.k8s.io/v1 Event."""
    subject = mapping(event, "involvedObject") or mapping(event, "regarding")
    count = (
        integer(event, "series", "count") or integer(event, "count")
        or integer(event, "deprecatedCount") or 1
    )
    times = (
        get(event, "series", "lastObservedTime"), get(event, "lastTimestamp"),
        get(event, "deprecatedLastTimestamp"), get(event, "eventTime"),
        get(event, "firstTimestamp"), get(event, "metadata", "creationTimestamp"),
    )
    return EventView(
        ts=next((t for t in map(timestamp, times) if t is not None), None),
        type=text(event, "type"),
        reason=text(event, "reason"),
        message=text(event, "message", limit=MAX_TEXT) or text(event, "note", limit=MAX_TEXT),
        object_kind=text(subject, "kind"),
        object_name=text(subject, "name"),
        count=max(count, 1),
        namespace=text(subject, "namespace") or text(event, "metadata", "namespace"),
    )


def events(rollout: dict[str, Any], related: Iterable[dict[str, Any]]) -> list[EventView]:
    """Events about the rollout, its workload, its ReplicaSets and its pods, newest first."""
    provider = _provider(rollout)
    objects = _related(related)
    namespace = text(rollout, "metadata", "namespace")
    subjects = {("Rollout", _name(rollout))}
    ref = _kruise_workload_ref(rollout) if provider == "kruise" else mapping(
        rollout, "spec", "workloadRef"
    )
    if ref:
        subjects.add((text(ref, "kind"), text(ref, "name")))
        canaries = _canary_deployments(rollout, ref, objects)
        subjects.update(("Deployment", _name(d)) for d in canaries)
    for revision in revisions(rollout, objects):
        subjects.add((revision.kind, revision.name))
        subjects.update(("Pod", pod.name) for pod in revision.pods)
    found = [event_view(e) for e in related_of(objects, "Event", namespace)]
    found = [
        e for e in found
        if (e.object_kind, e.object_name) in subjects and e.namespace in ("", namespace)
    ]
    return sorted(found, key=lambda e: e.ts.timestamp() if e.ts else float("-inf"), reverse=True)
