"""``rw.connect()``: a ``Cluster`` (one kubeconfig context) or a ``Fleet`` (several).

A Cluster knows its API (discovery), owns the pool of shared watchers behind its stores, and
reads single rollouts and their related objects fresh from the API server for actions and
exports. Its action methods (promote, pause, ...) come from ``ClusterActions``.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from kubernetes.client import ApiClient

from rollouts_widgets import errors
from rollouts_widgets.actions import ClusterActions
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.flags import Flags
from rollouts_widgets.kube.config import context_names, load_target
from rollouts_widgets.kube.discovery import Discovery, discover
from rollouts_widgets.kube.resources import GVR, ResourceClient
from rollouts_widgets.model.events import RolloutWatchEvent
from rollouts_widgets.model.view import RolloutView
from rollouts_widgets.store import Store, parse_ref
from rollouts_widgets.watch.pool import WatcherPool
from rollouts_widgets.watch.related import related_gvrs, select_related
from rollouts_widgets.watch.settings import WatchSettings

log = logging.getLogger(__name__)

_PROVIDER_ORDER = ("kruise", "argo")


class Cluster(ClusterActions):
    """One Kubernetes API server, as seen through one kubeconfig context."""

    def __init__(
        self,
        api_client: ApiClient,
        *,
        name: str,
        context: str = "",
        user: str = "",
        server: str = "",
        flags: Flags | None = None,
        watch_settings: WatchSettings | None = None,
        discovery: Discovery | None = None,
    ) -> None:
        self.name = name
        self.context = context or name
        self.user = user  # the kubeconfig user's name, never a credential
        self.server = server
        self.flags = flags or Flags.from_env()
        self.api_client = api_client
        self.resources = ResourceClient(api_client)
        self.watch_settings = watch_settings or WatchSettings()  # for watchers started later
        self.discovery = discovery if discovery is not None else discover(self.resources)
        self.pool = WatcherPool(
            self.resources,
            cluster=name,
            settings=lambda: self.watch_settings,
            watch_enabled=lambda: self.flags.watch,
        )
        self._stores: weakref.WeakSet[Store] = weakref.WeakSet()
        self._stores_lock = threading.Lock()

    @property
    def read_only(self) -> bool:
        return self.flags.read_only

    def __repr__(self) -> str:
        families = ", ".join(f"{g.group}/{g.version}" for g in self.discovery.rollout_gvrs)
        return f"<Cluster {self.name} ({families or 'no rollout CRDs'})>"

    # -- stores ----------------------------------------------------------------------------
    def store(self, namespace: str | Iterable[str] | None = None) -> Store:
        """A live store of this cluster's rollouts in ``namespace`` (None = all namespaces,
        "ns", or a list). Watchers are shared with every other store of the same scope."""
        return Store([self], namespace)

    def _register_store(self, store: Store) -> None:
        with self._stores_lock:
            self._stores.add(store)

    def _unregister_store(self, store: Store) -> None:
        with self._stores_lock:
            self._stores.discard(store)

    def events(self) -> list[RolloutWatchEvent]:
        """The event logs of this cluster's open stores, merged by time. Stores of
        overlapping scopes log the same change once each: it is kept once."""
        with self._stores_lock:
            stores = list(self._stores)
        unique = {}
        for store in stores:
            for e in store.events():
                if e.cluster in ("", self.name):
                    unique.setdefault((e.type, e.key, e.resource_version, e.code, e.message), e)
        return sorted(unique.values(), key=lambda e: e.ts)

    # -- single rollouts, read fresh -------------------------------------------------------
    def _own_ref(self, ref: Any) -> tuple[str, str]:
        cluster, namespace, name = parse_ref(ref)
        if cluster is not None and cluster != self.name:
            raise RolloutsError(
                errors.INVALID_INPUT,
                f"{ref!r:.120} belongs to cluster {cluster!r}, not {self.name!r}",
            )
        return namespace, name

    def _find(self, ref: Any) -> tuple[str, str, str, GVR, dict[str, Any]]:
        namespace, name = self._own_ref(ref)
        providers = (ref.provider,) if isinstance(ref, RolloutView) else _PROVIDER_ORDER
        for provider in providers:
            gvr = self.discovery.gvr_for(provider)
            if gvr is None:
                continue
            try:
                obj = self.resources.get(gvr, namespace, name)
            except RolloutsError as exc:
                if exc.code == errors.NOT_FOUND:
                    continue
                raise
            return namespace, name, provider, gvr, obj
        if self.discovery.none:
            raise RolloutsError(errors.NOT_FOUND, self.discovery.message)
        raise RolloutsError(
            errors.NOT_FOUND, f"rollout {namespace}/{name} not found on {self.name}"
        )

    def resolve(self, ref: Any) -> tuple[str, str, str, GVR]:
        """(namespace, name, provider, gvr) of a rollout that exists on this cluster."""
        namespace, name, provider, gvr, _ = self._find(ref)
        return namespace, name, provider, gvr

    def get_raw(self, ref: Any) -> dict[str, Any]:
        """A fresh GET of the rollout (Kruise looked up before Argo unless a view says)."""
        return self._find(ref)[4]

    def view(self, ref: Any) -> RolloutView:
        from rollouts_widgets.model.rollout import rollout_view

        obj = self.get_raw(ref)
        return rollout_view(obj, self._related_of(obj), cluster=self.name)

    def related(self, ref: Any) -> list[dict[str, Any]]:
        """The rollout's related objects (workload, ReplicaSets, pods, AnalysisRuns,
        Experiments, Events), listed fresh from its namespace."""
        return self._related_of(self.get_raw(ref))

    def _related_of(self, rollout: dict[str, Any]) -> list[dict[str, Any]]:
        namespace = str((rollout.get("metadata") or {}).get("namespace") or "")
        candidates: list[dict[str, Any]] = []
        for gvr in related_gvrs(rollout, self.discovery):
            items, _ = self.resources.list_all(gvr, namespace)
            candidates.extend(items)
        return select_related(rollout, candidates)

    def revisions(self, ref: Any) -> list[Any]:
        from rollouts_widgets.model.related import revisions

        rollout = self.get_raw(ref)
        return revisions(rollout, self._related_of(rollout))

    def pods(self, ref: Any) -> list[Any]:
        from rollouts_widgets.model.related import pods

        rollout = self.get_raw(ref)
        return pods(rollout, self._related_of(rollout))

    def close(self) -> None:
        """Close every store and stop every watcher of this cluster."""
        with self._stores_lock:
            stores = list(self._stores)
        for store in stores:
            store.close()
        self.pool.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Fleet:
    """Several clusters behind one API: one store spans them all (rows carry ``cluster``);
    per-rollout calls (``promote``, ``get_raw``, ...) go to the cluster the ref names."""

    def __init__(
        self, clusters: Iterable[Cluster], unreachable: dict[str, RolloutsError] | None = None
    ) -> None:
        # contexts that could not be reached when connecting (name -> error): the fleet
        # serves the others rather than failing as a whole
        self.unreachable: dict[str, RolloutsError] = dict(unreachable or {})
        self.clusters: dict[str, Cluster] = {}
        for cluster in clusters:
            if cluster.name in self.clusters:
                raise RolloutsError(errors.INVALID_INPUT, f"cluster {cluster.name!r} given twice")
            self.clusters[cluster.name] = cluster
        if not self.clusters:
            raise RolloutsError(errors.INVALID_INPUT, "a fleet needs at least one cluster")
        first = next(iter(self.clusters.values()))
        self.flags = first.flags
        self.name = ",".join(self.clusters)

    @property
    def read_only(self) -> bool:
        return all(c.read_only for c in self.clusters.values())

    def __getitem__(self, name: str) -> Cluster:
        try:
            return self.clusters[name]
        except KeyError:
            raise RolloutsError(errors.NOT_FOUND, f"no cluster {name!r} in this fleet") from None

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self.clusters.values())

    def __len__(self) -> int:
        return len(self.clusters)

    def __repr__(self) -> str:
        return f"<Fleet {', '.join(self.clusters)}>"

    def store(self, namespace: str | Iterable[str] | None = None) -> Store:
        return Store(list(self.clusters.values()), namespace)

    def cluster_for(self, ref: Any) -> Cluster:
        """The cluster a ref names ("cluster/ns/name" or a view); "ns/name" only when the
        fleet has one cluster."""
        cluster, _, _ = parse_ref(ref)
        if cluster is None:
            if len(self.clusters) == 1:
                return next(iter(self.clusters.values()))
            raise RolloutsError(
                errors.INVALID_INPUT, f"name the cluster: 'cluster/namespace/name', got {ref!r:.80}"
            )
        return self[cluster]

    def events(self) -> list[RolloutWatchEvent]:
        return sorted((e for c in self for e in c.events()), key=lambda e: e.ts)

    def audit_log(self) -> list[Any]:
        """Every cluster's audit records, oldest first (what ``rw.actions_frame`` reads)."""
        return sorted((r for c in self for r in c.audit_log()), key=lambda r: r.ts)

    def set_analysis_source(self, source: Any) -> None:
        for cluster in self:
            cluster.set_analysis_source(source)

    def act(self, action: str, ref: Any, **args: Any) -> Any:
        """``Cluster.act`` on the cluster the ref names (its ref is the second argument)."""
        return self.cluster_for(ref).act(action, ref, **args)

    def close(self) -> None:
        for cluster in self:
            cluster.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        """Per-rollout methods of Cluster (first argument a ref), routed by the ref."""
        if name.startswith("_") or not callable(getattr(Cluster, name, None)):
            raise AttributeError(f"'Fleet' object has no attribute {name!r}")

        def routed(ref: Any, *args: Any, **kwargs: Any) -> Any:
            return getattr(self.cluster_for(ref), name)(ref, *args, **kwargs)

        routed.__name__ = name
        return routed


def connect(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | Iterable[str] | None = None,
    read_only: bool | None = None,
    *,
    watch_settings: WatchSettings | None = None,
    name: str | None = None,
    **flag_overrides: bool | None,
) -> Cluster | Fleet:
    """Connect to the kubeconfig's current context (or in-cluster config).

    ``context`` may name a context, a list of them (-> a ``Fleet``), or ``"*"`` for every
    context in the kubeconfig. ``read_only`` and ``flag_overrides`` (watch, analysis,
    rollback) override the ROLLOUTS_WIDGETS_* environment flags.
    """
    unknown = set(flag_overrides) - {"watch", "analysis", "rollback"}
    if unknown:
        raise RolloutsError(errors.INVALID_INPUT, f"unknown flags: {', '.join(sorted(unknown))}")
    flags = Flags.from_env(read_only=read_only, **flag_overrides)
    if context == "*":
        context = context_names(kubeconfig)
    if context is not None and not isinstance(context, str):
        clusters: list[Cluster] = []
        unreachable: dict[str, RolloutsError] = {}
        for name in context:
            try:
                cluster = connect(kubeconfig, name, read_only, watch_settings=watch_settings,
                                  **flag_overrides)
            except RolloutsError as exc:
                if exc.code != errors.API_UNAVAILABLE:
                    raise
                log.warning("fleet: context %s is unreachable: %s", name, exc.message)
                unreachable[name] = exc
            else:
                clusters.append(cluster)  # type: ignore[arg-type]
        if not clusters and unreachable:
            raise next(iter(unreachable.values()))
        return Fleet(clusters, unreachable)
    target = load_target(kubeconfig, context)
    try:
        discovery = discover(ResourceClient(target.api_client))
    except RolloutsError as exc:
        target.api_client.close()
        raise RolloutsError(
            exc.code, f"cannot reach {target.server} (context {target.context}): {exc.message}"
        ) from exc
    return Cluster(
        target.api_client,
        name=name or target.context,
        context=target.context,
        user=target.user,
        server=target.server,
        flags=flags,
        watch_settings=watch_settings,
        discovery=discovery,
    )
