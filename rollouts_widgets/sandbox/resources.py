"""The resources the sandbox serves: names, kinds, scopes, subresources and pruning schemas.

Every resource is keyed kubectl-style: ``"pods"`` for the core group, ``"<plural>.<group>"``
otherwise (``"rollouts.argoproj.io"`` vs ``"rollouts.rollouts.kruise.io"``). Discovery, the
HTTP router and the store all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
KRUISE_GROUP = "rollouts.kruise.io"


@dataclass(frozen=True)
class ResourceType:
    """One served resource. ``versions[0]`` is the storage version."""

    group: str
    versions: tuple[str, ...]
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status_subresource: bool = True
    scale_subresource: bool = False
    builtin: bool = True  # built-in kinds accept strategic merge patches; CRDs do not
    verbs: tuple[str, ...] = ALL_VERBS
    dns_label_names: bool = False  # names must be a DNS-1123 label (no dots), not a subdomain
    # Pruning: allowed keys of a dotted path (e.g. "spec.strategy"), per version. Keys not in
    # the set are dropped silently, as a structural CRD schema does.
    prune: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.plural if not self.group else f"{self.plural}.{self.group}"

    @property
    def storage_version(self) -> str:
        return self.versions[0]

    @property
    def singular(self) -> str:
        return self.kind.lower()

    def api_version(self, version: str | None = None) -> str:
        version = version or self.storage_version
        return version if not self.group else f"{self.group}/{version}"


def _keys(*names: str) -> frozenset[str]:
    return frozenset(names)


_KRUISE_ROLLOUT_PRUNE = {
    "v1beta1": {
        "": _keys("apiVersion", "kind", "metadata", "spec", "status"),
        "spec": _keys("workloadRef", "strategy", "disabled"),
        "spec.strategy": _keys("paused", "canary", "blueGreen"),
        "status": _keys(
            "observedGeneration",
            "conditions",
            "canaryStatus",
            "blueGreenStatus",
            "phase",
            "message",
            "currentStepIndex",
            "currentStepState",
        ),
    },
    "v1alpha1": {
        "": _keys("apiVersion", "kind", "metadata", "spec", "status"),
        "spec": _keys("objectRef", "strategy", "disabled", "rolloutID"),
        "spec.strategy": _keys("paused", "canary"),
        "status": _keys("observedGeneration", "conditions", "canaryStatus", "phase", "message"),
    },
}

_SELF_SUBJECT_ACCESS_REVIEWS = ResourceType(
    "authorization.k8s.io",
    ("v1",),
    "SelfSubjectAccessReview",
    "selfsubjectaccessreviews",
    namespaced=False,
    status_subresource=False,
    verbs=("create",),
)

RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "", ("v1",), "Namespace", "namespaces", namespaced=False, short_names=("ns",),
        dns_label_names=True,
    ),
    ResourceType("", ("v1",), "Pod", "pods", short_names=("po",), categories=("all",)),
    ResourceType("", ("v1",), "Event", "events", short_names=("ev",), status_subresource=False),
    ResourceType(
        "", ("v1",), "Service", "services", short_names=("svc",), categories=("all",),
        dns_label_names=True,
    ),
    ResourceType(
        "apps", ("v1",), "Deployment", "deployments", short_names=("deploy",),
        categories=("all",), scale_subresource=True,
    ),
    ResourceType(
        "apps", ("v1",), "ReplicaSet", "replicasets", short_names=("rs",), categories=("all",),
        scale_subresource=True,
    ),
    ResourceType(
        "apps", ("v1",), "StatefulSet", "statefulsets", short_names=("sts",),
        categories=("all",), scale_subresource=True,
    ),
    ResourceType(
        "apps", ("v1",), "DaemonSet", "daemonsets", short_names=("ds",), categories=("all",)
    ),
    ResourceType(
        "apps.kruise.io", ("v1alpha1",), "CloneSet", "clonesets", short_names=("clone",),
        categories=("all",), scale_subresource=True, builtin=False,
    ),
    ResourceType(
        "argoproj.io", ("v1alpha1",), "Rollout", "rollouts", short_names=("ro",),
        categories=("all",), scale_subresource=True, builtin=False,
    ),
    ResourceType(
        "argoproj.io", ("v1alpha1",), "AnalysisRun", "analysisruns", short_names=("ar",),
        builtin=False,
    ),
    ResourceType(
        "argoproj.io", ("v1alpha1",), "AnalysisTemplate", "analysistemplates",
        short_names=("at",), status_subresource=False, builtin=False,
    ),
    ResourceType(
        "argoproj.io", ("v1alpha1",), "ClusterAnalysisTemplate", "clusteranalysistemplates",
        namespaced=False, short_names=("cat",), status_subresource=False, builtin=False,
    ),
    ResourceType(
        "argoproj.io", ("v1alpha1",), "Experiment", "experiments", short_names=("exp",),
        builtin=False,
    ),
    ResourceType(
        KRUISE_GROUP, ("v1beta1", "v1alpha1"), "Rollout", "rollouts", builtin=False,
        prune=_KRUISE_ROLLOUT_PRUNE,
    ),
    ResourceType(
        KRUISE_GROUP, ("v1beta1", "v1alpha1"), "BatchRelease", "batchreleases", builtin=False,
    ),
    _SELF_SUBJECT_ACCESS_REVIEWS,
)

BY_KEY: dict[str, ResourceType] = {rt.key: rt for rt in RESOURCE_TYPES}
# Resources kept in the object store (SelfSubjectAccessReviews are answered, never stored).
STORED_KEYS = tuple(rt.key for rt in RESOURCE_TYPES if rt is not _SELF_SUBJECT_ACCESS_REVIEWS)


def resource_type(resource: str) -> ResourceType:
    """The ResourceType for a kubectl-style key; NOT_FOUND (with a Status) if not served."""
    try:
        return BY_KEY[resource]
    except KeyError:
        raise not_found_error(resource, None) from None


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    """The resource for a manifest's ``apiVersion`` + ``kind`` (any served version)."""
    group, _, version = api_version.rpartition("/")
    for rt in RESOURCE_TYPES:
        if rt.group == group and rt.kind == kind and version in rt.versions:
            return rt
    return None


def served_versions(rt: ResourceType, kruise_versions: tuple[str, ...]) -> tuple[str, ...]:
    """The versions served for ``rt``: kruise rollouts follow the configured list."""
    if rt.group != KRUISE_GROUP:
        return rt.versions
    return tuple(v for v in rt.versions if v in kruise_versions)


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A Kubernetes ``Status`` object as the API server sends it on errors."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


_REASON_CODES = {
    errors.NOT_FOUND: (404, "NotFound"),
    errors.CONFLICT: (409, "Conflict"),
    errors.INVALID_INPUT: (422, "Invalid"),
    errors.FORBIDDEN: (403, "Forbidden"),
    errors.UNAUTHORIZED: (401, "Unauthorized"),
}


def api_error(
    code: str, message: str, *, http: int | None = None, reason: str | None = None,
    details: dict | None = None,
) -> RolloutsError:
    """A RolloutsError whose ``status`` is the Status body the HTTP layer sends back."""
    default_http, default_reason = _REASON_CODES.get(code, (500, "InternalError"))
    body = status_body(http or default_http, reason or default_reason, message, details)
    return RolloutsError(code, message, body)


def _qualified(resource: str) -> tuple[str, str]:
    rt = BY_KEY.get(resource)
    return (rt.plural, rt.group) if rt else (resource, "")


def not_found_error(resource: str, name: str | None) -> RolloutsError:
    plural, group = _qualified(resource)
    if name is None:
        return api_error(
            errors.NOT_FOUND, "the server could not find the requested resource",
            details={"group": group, "kind": plural},
        )
    return api_error(
        errors.NOT_FOUND, f'{resource} "{name}" not found',
        details={"name": name, "group": group, "kind": plural},
    )
