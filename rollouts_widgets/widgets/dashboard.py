"""RolloutsDashboard: the live list and the detail panel side by side, with pickers.

Why two anywidgets in an ipywidgets Box rather than one widget: each half already speaks the
row protocol on its own (the list streams every rollout, the panel one rollout with its
related objects), so composing them reuses both unchanged; the dashboard is then an ordinary
ipywidgets container that composes with other widgets (``dash.observe(cb, "selected")``,
``ipywidgets.link``), and the Box's flex-wrap layout stacks the two halves on narrow outputs
without any front-end code of its own. The selection lives in the list (so it reaches the
page URL in Voila through the list's URL sync, and comes back from it on load) and is
mirrored here in ``selected`` and in the panel's ``rollout``.
"""

from __future__ import annotations

import logging
from typing import Any

import ipywidgets
import traitlets

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import NAMESPACES
from rollouts_widgets.widgets.detail import RolloutDetail
from rollouts_widgets.widgets.list import RolloutList

log = logging.getLogger("rollouts_widgets.widgets")

ALL_NAMESPACES = "All namespaces"
ALL_CLUSTERS = "All clusters"


def _as_target(cluster_or_clusters: Any) -> Any:
    """A Cluster or a Fleet; a list of clusters becomes a Fleet."""
    if isinstance(cluster_or_clusters, (list, tuple)):
        from rollouts_widgets.cluster import Fleet

        return Fleet(cluster_or_clusters)
    if not callable(getattr(cluster_or_clusters, "store", None)):
        raise RolloutsError(errors.INVALID_INPUT,
                            "RolloutsDashboard needs a Cluster, a Fleet or a list of clusters")
    return cluster_or_clusters


class RolloutsDashboard(ipywidgets.VBox):
    """List + detail of ``cluster_or_clusters`` (a Cluster, a Fleet or a list of Clusters) in
    ``namespace`` (None = all namespaces).

    ``dash.selected`` is the open rollout (``cluster/namespace/name``, "" for none; set it to
    open one), ``dash.list`` and ``dash.detail`` are the two widgets, ``dash.namespace`` and
    ``dash.cluster`` the pickers' values.
    """

    selected = traitlets.Unicode("")
    namespace = traitlets.Unicode(None, allow_none=True)
    cluster = traitlets.Unicode("")  # "" = every cluster of the fleet

    def __init__(
        self,
        cluster_or_clusters: Any,
        namespace: str | None = None,
        *,
        read_only: bool | None = None,
        sync_url: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.list: RolloutList | None = None
        self.detail: RolloutDetail | None = None
        self._target = _as_target(cluster_or_clusters)
        self._read_only = read_only
        self._sync_url = sync_url
        fleet = getattr(self._target, "clusters", None)
        self._clusters: dict[str, Any] = dict(fleet) if isinstance(fleet, dict) else {}
        self._namespace_picker = ipywidgets.Dropdown(
            description="Namespace", layout=ipywidgets.Layout(width="280px"))
        self._cluster_picker = ipywidgets.Dropdown(
            description="Cluster", options=[ALL_CLUSTERS, *self._clusters],
            layout=ipywidgets.Layout(width="280px",
                                     display="" if len(self._clusters) > 1 else "none"))
        self._body = ipywidgets.Box(layout=ipywidgets.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start", width="100%",
            grid_gap="12px"))
        bar = ipywidgets.HBox([self._cluster_picker, self._namespace_picker],
                              layout=ipywidgets.Layout(flex_flow="row wrap"))
        super().__init__([bar, self._body], namespace=namespace, **kwargs)
        self.add_class("rw-dashboard")
        self._namespace_picker.options = self._namespace_options()
        self._namespace_picker.value = namespace or ALL_NAMESPACES
        self._build()
        self._namespace_picker.observe(self._on_namespace_pick, names="value")
        self._cluster_picker.observe(self._on_cluster_pick, names="value")
        self.observe(self._on_selected, names="selected")
        self.observe(self._rebuild, names=["namespace", "cluster"])

    # -- the two halves ---------------------------------------------------------------------------

    def _scope(self) -> Any:
        return self._clusters[self.cluster] if self.cluster else self._target

    def _build(self) -> None:
        target = self._scope()
        self.list = RolloutList(target, namespace=self.namespace, read_only=self._read_only,
                                sync_url=self._sync_url)
        self.detail = RolloutDetail(target, None, namespace=self.namespace,
                                    read_only=self._read_only)
        # Side by side while both fit (the panel a little wider: it holds two columns
        # itself), one above the other on narrow outputs.
        self.list.layout = ipywidgets.Layout(flex="1 1 520px", min_width="0", max_width="100%")
        self.detail.layout = ipywidgets.Layout(flex="1.4 1 460px", min_width="0",
                                               max_width="100%")
        self.list.observe(self._on_list_selected, names="selected")
        self._body.children = (self.list, self.detail)
        if self.selected:
            self._on_selected({"new": self.selected})

    def _teardown(self) -> None:
        if self.list is not None:
            self.list.unobserve(self._on_list_selected, names="selected")
            self.list.close()
        if self.detail is not None:
            self.detail.close()
        self.list = self.detail = None

    def _rebuild(self, _change: Any = None) -> None:
        self._teardown()
        self.selected = ""
        self._build()

    # -- selection --------------------------------------------------------------------------------

    def _on_list_selected(self, change: Any) -> None:
        self.selected = change["new"] or ""

    def _on_selected(self, change: Any) -> None:
        key = change["new"] or ""
        if self.list is not None and self.list.selected != key:
            self.list.selected = key
        if self.detail is not None and self.detail.rollout != key:
            self.detail.rollout = key

    # -- pickers ----------------------------------------------------------------------------------

    def _namespace_options(self) -> list[str]:
        """All namespaces first, then the cluster's namespaces (or, without the right to list
        them, the namespaces of the rollouts the list has)."""
        names: set[str] = set()
        members = list(self._clusters.values()) or [self._target]
        for member in members:
            try:
                items, _ = member.resources.list_all(NAMESPACES, None)
                names.update(str((o.get("metadata") or {}).get("name") or "") for o in items)
            except (RolloutsError, AttributeError) as err:
                log.info("cannot list namespaces: %s", err)
        if self.list is not None:
            names.update(v.namespace for v in self.list.current_views())
        if self.namespace:
            names.add(self.namespace)
        return [ALL_NAMESPACES, *sorted(n for n in names if n)]

    def _on_namespace_pick(self, change: Any) -> None:
        value = change["new"]
        self.namespace = None if value in (None, ALL_NAMESPACES) else value

    def _on_cluster_pick(self, change: Any) -> None:
        value = change["new"]
        self.cluster = "" if value in (None, ALL_CLUSTERS) else value

    def set_namespace(self, namespace: str | None) -> None:
        """Show ``namespace`` (None = all); the picker follows."""
        if namespace and namespace not in self._namespace_picker.options:
            self._namespace_picker.options = [*self._namespace_picker.options, namespace]
        self._namespace_picker.value = namespace or ALL_NAMESPACES

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop both halves (their stores and watches) and close the dashboard."""
        self._teardown()
        super().close()

    def __repr__(self) -> str:
        return (f"RolloutsDashboard(cluster={getattr(self._target, 'name', '')!r}, "
                f"namespace={self.namespace!r})")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["text/plain"] = repr(self)
        if self.list is not None:
            data["text/html"] = self.list._repr_html_()
        return data

