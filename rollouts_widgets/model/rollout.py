"""``rollout_view``: one raw Rollout (+ related objects) -> one RolloutView. Never raises.

Dispatches on the apiVersion group to one provider module (kruise, argo); each exposes
``build_view(obj, related, cluster) -> RolloutView`` and may raise ``Malformed`` for objects
it cannot read, which become a view with status "Unknown" and a message saying why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from rollouts_widgets.model import argo, kruise
from rollouts_widgets.model.parse import (
    MAX_SHORT,
    Malformed,
    api_group,
    bound,
    lenient_identity,
    text,
)
from rollouts_widgets.model.view import RolloutView

PROVIDERS: dict[str, tuple[str, ModuleType]] = {
    kruise.API_GROUP: ("kruise", kruise),
    argo.API_GROUP: ("argo", argo),
}
MAX_RELATED = 100_000  # a hostile iterable must not make one view take forever


def rollout_view(
    obj: dict[str, Any], related: Iterable[dict[str, Any]] | None = None, *, cluster: str = ""
) -> RolloutView:
    """The unified view of a raw OpenKruise or Argo Rollout.

    ``related`` is any iterable of raw objects of any kind (ReplicaSets, Pods, the workload,
    AnalysisRuns, Experiments, Events); each provider picks what it needs. Anything malformed
    gives a view with status "Unknown" and a message; this function never raises.
    """
    cluster = bound(cluster, MAX_SHORT) if isinstance(cluster, str) else ""
    try:
        if not isinstance(obj, dict):
            raise Malformed(f"expected a Rollout object, got {type(obj).__name__}")
        api_version = text(obj, "apiVersion")
        if not api_version:
            raise Malformed("apiVersion is missing")
        provider = PROVIDERS.get(api_group(api_version))
        if provider is None:
            raise Malformed(f"unsupported apiVersion {api_version!r}")
        kind = obj.get("kind")
        if kind is not None and kind != "Rollout":
            raise Malformed(f"expected kind 'Rollout', got {text(obj, 'kind', limit=60)!r}")
        _, module = provider
        return module.build_view(obj, _related_list(related), cluster)
    except Malformed as err:
        return unknown_view(obj, cluster, f"malformed rollout: {err}")
    except Exception as err:  # last resort: a table row must always come back
        return unknown_view(obj, cluster, f"could not read rollout: {type(err).__name__}")


def _related_list(related: Iterable[Any] | None) -> list[dict[str, Any]]:
    if related is None or isinstance(related, (str, bytes, dict)):
        return []
    try:
        return [o for o in itertools.islice(related, MAX_RELATED) if isinstance(o, dict)]
    except TypeError:  # not iterable: treat as no related objects
        return []


def unknown_view(obj: Any, cluster: str, message: str) -> RolloutView:
    """A view with status "Unknown" keeping whatever identity the object still has."""
    api_version = text(obj, "apiVersion")
    provider = PROVIDERS.get(api_group(api_version), ("", None))[0]
    return RolloutView(
        cluster=cluster,
        provider=provider,  # "" when the group is not recognised
        api_version=api_version,
        strategy="",
        status="Unknown",
        native_phase=text(obj, "status", "phase"),
        message=bound(message),
        **lenient_identity(obj),
    )
