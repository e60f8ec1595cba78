"""The ``demo`` scenario: a small company's three namespaces under progressive delivery.

Seventeen rollouts (both providers) that show every status a dashboard must handle. At start
the scenario rolls out new versions of some of them (a release waiting for approval, a failing
analysis, a crash-looping canary, ...); afterwards it starts a new release of a healthy,
self-driving rollout every ``RELEASE_EVERY`` seconds of sandbox time, so a dashboard left
open shows life. To extend it, add an ``App`` to ``APPS``.
"""

from __future__ import annotations

from typing import Any

from rollouts_widgets.sandbox.controllers.config import CRASH_LOOP_BACK_OFF, IMAGE_PULL_BACK_OFF
from rollouts_widgets.sandbox.scenarios.builders import (
    ARGO,
    KRUISE,
    KRUISE_ALPHA,
    App,
    Obj,
    analysis_template,
    app_objects,
    current_tag,
    namespace,
    next_patch_tag,
    prometheus_metric,
    rollout_resource,
    set_image,
)

NAMESPACES = ("shop", "payments", "platform")
RELEASE_EVERY = 90.0  # sandbox seconds between new releases started by the demo

CRASHING_TAG = "2.0.0-rc1"
MISSING_TAG = "3.1.0-typo"

# -- strategies, as their users write them --
ARGO_MANUAL_CANARY = {"canary": {"steps": [
    {"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "30s"}},
    {"setWeight": 80}, {"pause": {"duration": "30s"}},
]}}
ARGO_TIMED_CANARY = {"canary": {"steps": [
    {"setWeight": 25}, {"pause": {"duration": "20s"}}, {"setWeight": 50},
    {"pause": {"duration": "20s"}}, {"setWeight": 75}, {"pause": {"duration": "20s"}},
]}}
ARGO_ANALYSIS_CANARY = {"canary": {"steps": [
    {"setWeight": 20}, {"analysis": {"templates": [{"templateName": "error-rate"}]}},
    {"setWeight": 60}, {"pause": {"duration": "30s"}},
]}}
ARGO_BACKGROUND_ANALYSIS = {"canary": {
    "analysis": {"templates": [{"templateName": "latency"}]},
    "steps": [{"setWeight": 30}, {"pause": {"duration": "20s"}}, {"setWeight": 70},
              {"pause": {"duration": "20s"}}],
}}
ARGO_ROUTED_CANARY = {"canary": {
    "canaryService": "recommendations-canary", "stableService": "recommendations",
    "trafficRouting": {"nginx": {"stableIngress": "recommendations"}},
    "steps": [{"setCanaryScale": {"replicas": 1}}, {"setWeight": 10},
              {"setHeaderRoute": {"name": "beta-users", "match": [
                  {"headerName": "x-beta", "headerValue": {"exact": "true"}}]}},
              {"pause": {"duration": "20s"}}, {"setWeight": 50},
              {"experiment": {"duration": "20s", "templates": [
                  {"name": "canary", "specRef": "canary", "replicas": 1}]}},
              {"plugin": {"name": "acme.io/slack-notify", "config": {"channel": "#deploys"}}},
              {"pause": {"duration": "20s"}}],
}}
ARGO_BLUE_GREEN = {"blueGreen": {"activeService": "storefront-active",
                                 "previewService": "storefront-preview",
                                 "autoPromotionEnabled": False, "scaleDownDelaySeconds": 30}}
KRUISE_MANUAL = {"canary": {"steps": [
    {"traffic": "20%", "replicas": "20%", "pause": {}},
    {"replicas": "50%", "pause": {"duration": 30}},
    {"replicas": "100%"},
]}}
KRUISE_TIMED = {"canary": {"steps": [
    {"replicas": 1, "pause": {"duration": 20}},
    {"replicas": "50%", "pause": {"duration": 20}},
    {"replicas": "100%"},
]}}
KRUISE_CANARY_STYLE = {"canary": {
    "enableExtraWorkloadForCanary": True,
    "trafficRoutings": [{"service": "search",
                         "ingress": {"classType": "nginx", "name": "search"}}],
    "steps": [{"traffic": "10%", "replicas": 1, "pause": {"duration": 20}},
              {"traffic": "50%", "replicas": "50%", "pause": {"duration": 20}},
              {"traffic": "100%", "replicas": "100%"}],
}}
KRUISE_BLUE_GREEN = {"blueGreen": {
    "trafficRoutings": [{"service": "scheduler",
                         "ingress": {"classType": "nginx", "name": "scheduler"}}],
    "steps": [{"replicas": "100%", "traffic": "0%", "pause": {}},
              {"replicas": "100%", "traffic": "50%", "pause": {"duration": 30}},
              {"replicas": "100%", "traffic": "100%"}],
}}
KRUISE_ALPHA_STEPS = {"canary": {"steps": [
    {"weight": 34, "pause": {"duration": 20}}, {"weight": 100},
]}}

APPS: tuple[App, ...] = (
    # shop
    App("shop", "checkout", ARGO, ARGO_MANUAL_CANARY, tag="1.8.0", replicas=5, release="1.9.0"),
    App("shop", "cart", ARGO, ARGO_ANALYSIS_CANARY, tag="4.2.0", replicas=4, release="4.3.0"),
    App("shop", "storefront", ARGO, ARGO_BLUE_GREEN, tag="2.3.1", replicas=3, release="2.4.0",
        services=("storefront-active", "storefront-preview")),
    App("shop", "catalog", KRUISE, KRUISE_MANUAL, tag="3.0.4", replicas=5, release="3.1.0"),
    App("shop", "search", KRUISE, KRUISE_CANARY_STYLE, tag="1.12.0", replicas=4,
        release="1.13.0"),
    App("shop", "recommendations", ARGO, ARGO_ROUTED_CANARY, tag="0.9.3", replicas=3,
        services=("recommendations-canary",)),
    # payments
    App("payments", "ledger", KRUISE, KRUISE_TIMED, tag="5.1.0", replicas=4,
        workload="CloneSet", release="5.1.1"),
    App("payments", "billing", KRUISE, KRUISE_TIMED, tag="2.2.2", replicas=2,
        spec={"disabled": True}),
    App("payments", "fraud-check", ARGO, ARGO_TIMED_CANARY, tag="7.0.1", replicas=3,
        workload_ref=True),
    App("payments", "invoices", KRUISE_ALPHA, KRUISE_ALPHA_STEPS, tag="1.1.0", replicas=3),
    App("payments", "gateway", ARGO, {"canary": {"steps": [
        {"setWeight": 25}, {"pause": {"duration": "30s"}}]}},
        tag="6.4.0", replicas=4, release=CRASHING_TAG, spec={"progressDeadlineSeconds": 90}),
    # platform
    App("platform", "auth", KRUISE, KRUISE_TIMED, tag="9.0.2", replicas=3,
        workload="StatefulSet"),
    App("platform", "notifications", ARGO, ARGO_TIMED_CANARY, tag="1.4.0", replicas=2,
        release="1.5.0", on_release={"spec": {"paused": True}}),
    App("platform", "config-service", KRUISE, KRUISE_TIMED, tag="2.0.0", replicas=4,
        release="2.1.0", on_release={"spec": {"strategy": {"paused": True}}}),
    App("platform", "metrics", ARGO, ARGO_BACKGROUND_ANALYSIS, tag="0.31.0", replicas=3,
        release="0.32.0"),
    App("platform", "scheduler", KRUISE, KRUISE_BLUE_GREEN, tag="1.0.9", replicas=2,
        release="1.1.0"),
    App("platform", "edge-proxy", ARGO, ARGO_TIMED_CANARY, tag="3.0.0", replicas=3,
        release=MISSING_TAG),
)

TEMPLATES = (
    analysis_template("shop", "error-rate", [prometheus_metric(
        "error-rate", 'sum(rate(http_requests_total{app="cart",code!~"5.."}[1m])) / '
        'sum(rate(http_requests_total{app="cart"}[1m]))')]),
    analysis_template("platform", "latency", [prometheus_metric(
        "latency-p99", "histogram_quantile(0.99, rate(request_seconds_bucket[1m]))",
        count=None, inconclusiveLimit=0)]),
)

CONFIG: Obj = {
    "readiness_delay": 3,
    "bad_images": {CRASHING_TAG: CRASH_LOOP_BACK_OFF, MISSING_TAG: IMAGE_PULL_BACK_OFF},
    "analysis": {
        "cart/error-rate": ["successful", {"outcome": "failed", "value": "0.87"},
                            {"outcome": "failed", "value": "0.81"}],
        "metrics/latency-p99": [{"outcome": "inconclusive", "value": "0.48"}],
    },
}

# Healthy rollouts that release on their own (timed steps): the demo's rotation.
ROTATION = ("invoices", "auth", "fraud-check", "recommendations", "ledger", "search")


def objects() -> list[Obj]:
    result = [namespace(ns) for ns in NAMESPACES]
    result.extend(TEMPLATES)
    for app in APPS:
        result.extend(app_objects(app))
    return result


class DemoLife:
    """Starts the opening releases once everything is deployed, then a release now and then."""

    def __init__(self, apps: tuple[App, ...] = APPS, every: float = RELEASE_EVERY) -> None:
        self.apps = {a.name: a for a in apps}
        self.every = every
        self.kicked_off = False
        self.next_release: float | None = None
        self.turn = 0

    def tick(self, storage: Any, clock: Any) -> bool:
        now = clock.monotonic()
        if not self.kicked_off:
            self.kicked_off = True
            self.next_release = now + self.every
            for app in self.apps.values():
                if app.release:
                    set_image(storage, app, app.release)
                if app.on_release:
                    storage.patch(rollout_resource(app), app.namespace, app.name,
                                  app.on_release)
            return True
        if self.next_release is None or now < self.next_release:
            return False
        self.next_release = now + self.every
        for _ in range(len(ROTATION)):
            app = self.apps.get(ROTATION[self.turn % len(ROTATION)])
            self.turn += 1
            if app is not None and _is_settled(storage, app):
                set_image(storage, app, next_patch_tag(current_tag(storage, app)))
                return True
        return False


def _is_settled(storage: Any, app: App) -> bool:
    status = storage.get(rollout_resource(app), app.namespace, app.name).get("status") or {}
    return status.get("phase") == "Healthy"


__all__ = ["APPS", "CONFIG", "DemoLife", "objects"]
