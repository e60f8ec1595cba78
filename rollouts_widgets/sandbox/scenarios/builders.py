"""Small builders for scenario objects: an ``App`` (one rollout with its workload and
service) becomes plain Kubernetes dicts; ``set_image`` starts a release in a running store."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

Obj = dict[str, Any]

ARGO = "argo"
KRUISE = "kruise"
KRUISE_ALPHA = "kruise-v1alpha1"  # written as v1alpha1, stored as v1beta1 by the sandbox

WORKLOAD_RESOURCES = {
    "Deployment": "deployments.apps",
    "CloneSet": "clonesets.apps.kruise.io",
    "StatefulSet": "statefulsets.apps",
}


@dataclass(frozen=True)
class App:
    """One application under progressive delivery.

    ``strategy`` is the provider's strategy block as the user writes it (Argo:
    ``{"canary": {...}}`` / ``{"blueGreen": {...}}``; Kruise: ``{"canary": {...}}`` /
    ``{"blueGreen": {...}}``). ``release`` is the tag the scenario rolls out at start
    (None: stays at ``tag``); ``on_release`` is a merge patch applied to the rollout with it.
    """

    namespace: str
    name: str
    provider: str
    strategy: Obj
    tag: str = "1.0.0"
    replicas: int = 3
    workload: str = "Deployment"  # Kruise: Deployment | CloneSet | StatefulSet
    release: str | None = None
    on_release: Obj = field(default_factory=dict)
    spec: Obj = field(default_factory=dict)  # extra rollout spec (paused, disabled, ...)
    workload_ref: bool = False  # Argo: the template lives in a Deployment
    services: tuple[str, ...] = ()  # extra services (blue-green active/preview)
    image_repo: str = "ghcr.io/acme"

    @property
    def image(self) -> str:
        return self.image_at(self.tag)

    def image_at(self, tag: str) -> str:
        return f"{self.image_repo}/{self.name}:{tag}"

    @property
    def labels(self) -> dict[str, str]:
        return {"app": self.name, "team": self.namespace}


def namespace(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def pod_template(app: App) -> Obj:
    return {
        "metadata": {"labels": dict(app.labels)},
        "spec": {"containers": [{
            "name": app.name,
            "image": app.image,
            "ports": [{"name": "http", "containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        }]},
    }


def service(app: App, name: str | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name or app.name, "namespace": app.namespace,
                     "labels": dict(app.labels)},
        "spec": {"selector": {"app": app.name},
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }


def workload(app: App, replicas: int | None = None) -> Obj:
    kind = app.workload
    api_version = "apps.kruise.io/v1alpha1" if kind == "CloneSet" else "apps/v1"
    spec: Obj = {
        "replicas": app.replicas if replicas is None else replicas,
        "selector": {"matchLabels": {"app": app.name}},
        "template": pod_template(app),
    }
    if kind == "Deployment":
        spec["strategy"] = {"type": "RollingUpdate",
                            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    elif kind == "CloneSet":
        spec["updateStrategy"] = {"maxUnavailable": 0, "maxSurge": 1}
    elif kind == "StatefulSet":
        spec["serviceName"] = app.name
        spec["updateStrategy"] = {"type": "RollingUpdate"}
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": app.name, "namespace": app.namespace,
                         "labels": dict(app.labels)},
            "spec": spec}


def argo_rollout(app: App) -> Obj:
    spec: Obj = {"replicas": app.replicas, "revisionHistoryLimit": 3,
                 "selector": {"matchLabels": {"app": app.name}},
                 "strategy": copy.deepcopy(app.strategy), **copy.deepcopy(app.spec)}
    if app.workload_ref:
        spec["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": app.name,
                               "scaleDown": "onsuccess"}
    else:
        spec["template"] = pod_template(app)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": app.name, "namespace": app.namespace,
                         "labels": dict(app.labels)},
            "spec": spec}


def kruise_rollout(app: App) -> Obj:
    ref = {"apiVersion": "apps.kruise.io/v1alpha1" if app.workload == "CloneSet" else "apps/v1",
           "kind": app.workload, "name": app.name}
    strategy = copy.deepcopy(app.strategy)
    if app.provider == KRUISE_ALPHA:
        spec: Obj = {"objectRef": {"workloadRef": ref}, "strategy": strategy}
        meta: Obj = {"name": app.name, "namespace": app.namespace, "labels": dict(app.labels),
                     "annotations": {"rollouts.kruise.io/rolling-style": "partition"}}
        api_version = "rollouts.kruise.io/v1alpha1"
    else:
        spec = {"workloadRef": ref, "strategy": strategy}
        meta = {"name": app.name, "namespace": app.namespace, "labels": dict(app.labels)}
        api_version = "rollouts.kruise.io/v1beta1"
    spec.update(copy.deepcopy(app.spec))
    return {"apiVersion": api_version, "kind": "Rollout", "metadata": meta, "spec": spec}


def app_objects(app: App) -> list[Obj]:
    """The app's objects in creation order: services, workload, rollout."""
    objects = [service(app)] + [service(app, name) for name in app.services]
    if app.provider == ARGO:
        if app.workload_ref:
            objects.append(workload(app, replicas=app.replicas))
        return [*objects, argo_rollout(app)]
    if app.provider not in (KRUISE, KRUISE_ALPHA):
        raise RolloutsError(errors.INVALID_INPUT, f"unknown provider {app.provider!r}")
    return [*objects, workload(app), kruise_rollout(app)]


def analysis_template(ns: str, name: str, metrics: list[Obj]) -> Obj:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": {"name": name, "namespace": ns}, "spec": {"metrics": metrics}}


def prometheus_metric(name: str, query: str, interval: str = "10s", count: int | None = 3,
                      failure_limit: int = 1, **extra: Any) -> Obj:
    """A Prometheus metric (``count=None``: measure until the run is terminated)."""
    metric: Obj = {"name": name, "interval": interval, "failureLimit": failure_limit,
                   "successCondition": "result[0] >= 0.95",
                   "provider": {"prometheus": {"address": "http://prometheus.monitoring:9090",
                                               "query": query}}, **extra}
    if count is not None:
        metric["count"] = count
    return metric


# -- acting on a running store --
def template_owner(app: App) -> tuple[str, str]:
    """(resource, name) of the object whose pod template a release changes."""
    if app.provider == ARGO and not app.workload_ref:
        return "rollouts.argoproj.io", app.name
    return WORKLOAD_RESOURCES[app.workload if app.provider != ARGO else "Deployment"], app.name


def rollout_resource(app: App) -> str:
    return "rollouts.argoproj.io" if app.provider == ARGO else "rollouts.rollouts.kruise.io"


def set_image(storage: Any, app: App, tag: str) -> None:
    """Start a release: the app's container image becomes ``tag``."""
    resource, name = template_owner(app)
    obj = storage.get(resource, app.namespace, name)
    for container in obj["spec"]["template"]["spec"].get("containers") or []:
        if container.get("name") == app.name:
            container["image"] = app.image_at(tag)
    storage.update(resource, obj)


def current_tag(storage: Any, app: App) -> str:
    resource, name = template_owner(app)
    obj = storage.get(resource, app.namespace, name)
    for container in obj["spec"]["template"]["spec"].get("containers") or []:
        if container.get("name") == app.name:
            return container.get("image", "").rsplit(":", 1)[-1]
    return app.tag


def next_patch_tag(tag: str) -> str:
    """``1.4.2`` -> ``1.4.3`` (anything else gets ``-2`` appended)."""
    parts = tag.split(".")
    if parts and parts[-1].isdigit():
        parts[-1] = str(int(parts[-1]) + 1)
        return ".".join(parts)
    return f"{tag}-2"
