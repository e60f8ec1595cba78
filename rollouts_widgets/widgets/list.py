"""RolloutList: the live, filterable, virtualised table of rollouts.

The browser keeps the rows and filters them locally (it keeps working while a cell runs).
``visible_frame()`` answers "which rows does the user see" on the Python side by applying
the same filter grammar (``rollouts_widgets.model.filters``, checked against the same
vectors as the front end) and the same sort (``SORT_COLUMNS`` mirrors
``frontend/src/list/sort.ts``) to the same state: the rows sent to the browser and the
synced filter traits. That does not depend on a browser being connected or answering, so
it works in a runbook, under nbconvert and with several views open; the price is that rows
in flight (at most one ~100 ms patch window) are counted as seen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import traitlets

from rollouts_widgets.errors import NOT_FOUND, RolloutsError
from rollouts_widgets.flags import Flags
from rollouts_widgets.frames import rollouts_frame
from rollouts_widgets.model.filters import filter_views
from rollouts_widgets.model.view import STATUSES, RolloutView
from rollouts_widgets.widgets.base import RowStreamWidget, bundle, refuse, static_table

# Sort columns, mirroring frontend/src/list/sort.ts: nulls first when ascending, ties by key,
# "-column" reverses the whole order.
STATUS_RANK = {s: i for i, s in enumerate(("Failed", "Paused", "Progressing", "Healthy",
                                           "Disabled", "Unknown"))}
SORT_COLUMNS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "cluster": lambda r: r["cluster"],
    "namespace": lambda r: r["namespace"],
    "name": lambda r: r["name"],
    "provider": lambda r: r["provider"],
    "strategy": lambda r: r["strategy"],
    "status": lambda r: STATUS_RANK.get(r["status"], 6),
    "step": lambda r: r["step_index"],
    "weight": lambda r: r["set_weight"],
    "replicas": lambda r: r["ready_replicas"],
    "images": lambda r: ",".join(r["images"]),
    "changed": lambda r: r["updated"] or r["created"],
}
SORTS = frozenset({"", *SORT_COLUMNS, *(f"-{c}" for c in SORT_COLUMNS)})
# cluster/namespace/name; a kubeconfig context name may itself hold slashes.
_KEY = re.compile(r"^[^\x00-\x1f/][^\x00-\x1f]{0,300}/[^/\x00-\x1f]{1,253}/[^/\x00-\x1f]{1,253}$")
MAX_QUERY = 1000
MAX_FAVORITES = 10_000
STATIC_ROWS = 500  # rows shown by the static fallback table
SELECT_WAIT = 30.0  # seconds a select may wait for the store's first listing


def sort_rows(rows: list[Mapping[str, Any]], sort: str) -> list[Mapping[str, Any]]:
    """Rows in the list's order for ``sort`` ("name", "-status", "" = by key)."""
    descending = sort.startswith("-")
    value = SORT_COLUMNS.get(sort[1:] if descending else sort)

    def order(row: Mapping[str, Any]) -> tuple[Any, ...]:
        v = value(row) if value else None
        return (v is not None, v if v is not None else 0, row["key"])

    return sorted(rows, key=order, reverse=descending)


def _check_key(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise refuse(f"{what} must be a rollout key cluster/namespace/name")
    return value


class RolloutList(RowStreamWidget):
    """A live table of the rollouts of ``cluster`` (one namespace, or all when None)."""

    _esm = bundle("list.js")
    _css = bundle("list.css")

    query = traitlets.Unicode("").tag(sync=True)
    statuses = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    needs_attention = traitlets.Bool(False).tag(sync=True)
    favorites_only = traitlets.Bool(False).tag(sync=True)
    favorites = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    sort = traitlets.Unicode("").tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    sync_url = traitlets.Bool(None, allow_none=True).tag(sync=True)  # None: on in Voila
    no_crds = traitlets.Bool(False).tag(sync=True)
    scope = traitlets.Unicode("").tag(sync=True)

    BROWSER_TRAITS = frozenset(
        {"query", "statuses", "needs_attention", "favorites_only", "favorites", "sort"}
    )

    def __init__(
        self,
        cluster: Any,
        namespace: str | None = None,
        *,
        sync_url: bool | None = None,
        read_only: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self._cluster = cluster
        self._namespace = namespace
        flags = Flags.from_env(read_only=read_only)
        super().__init__(
            cluster.store(namespace=namespace),
            sync_url=sync_url,
            read_only=flags.read_only or bool(getattr(cluster, "read_only", False)),
            scope=f"namespace {namespace}" if namespace else "any namespace",
            no_crds=self._no_crds(),
            **kwargs,
        )

    def _no_crds(self) -> bool:
        """True when no cluster behind the list serves a rollout CRD (a Fleet has several)."""
        fleet = getattr(self._cluster, "clusters", None)
        members = list(fleet.values()) if isinstance(fleet, dict) else [self._cluster]
        return all(getattr(getattr(c, "discovery", None), "none", False) for c in members)

    # -- validation of everything the browser (or a user) sets ---------------------------------

    @traitlets.validate("query")
    def _valid_query(self, proposal: Any) -> str:
        if len(proposal["value"]) > MAX_QUERY:
            raise refuse(f"query longer than {MAX_QUERY} characters")
        return proposal["value"]

    @traitlets.validate("statuses")
    def _valid_statuses(self, proposal: Any) -> list[str]:
        value = proposal["value"]
        unknown = [s for s in value if s not in STATUSES]
        if unknown or len(set(value)) != len(value):
            raise refuse(f"statuses must be distinct names from {', '.join(STATUSES)}")
        return value

    @traitlets.validate("favorites")
    def _valid_favorites(self, proposal: Any) -> list[str]:
        value = proposal["value"]
        if len(value) > MAX_FAVORITES:
            raise refuse(f"more than {MAX_FAVORITES} favourites")
        for key in value:
            _check_key(key, "a favourite")
        return value

    @traitlets.validate("sort")
    def _valid_sort(self, proposal: Any) -> str:
        if proposal["value"] not in SORTS:
            raise refuse(f"sort must be one of {sorted(SORTS)}")
        return proposal["value"]

    @traitlets.validate("selected")
    def _valid_selected(self, proposal: Any) -> str:
        return proposal["value"] and _check_key(proposal["value"], "selected")

    # -- protocol hooks -----------------------------------------------------------------------

    def request_handlers(self) -> dict[str, Callable[[Mapping[str, Any]], Any]]:
        return {"select": self._select}

    def _select(self, args: Mapping[str, Any]) -> dict[str, str]:
        """Open a row (Enter, a click, a URL on load): ``{"key": "<cluster/ns/name>" | ""}``."""
        if set(args) != {"key"}:
            raise refuse("select takes exactly: key")
        key = args["key"]
        if key != "":
            _check_key(key, "select: key")
            # A page restoring its URL may ask before the first listing is in: wait for it
            # (this runs on a request thread, not the comm thread).
            self.wait_loaded(SELECT_WAIT)
            with self._lock:
                known = key in self._views
            if not known:
                raise RolloutsError(NOT_FOUND, f"no rollout {key} in this list")
        self.selected = key
        return {"key": key}

    def status(self) -> dict[str, Any]:
        return {**super().status(), "no_crds": self._no_crds()}

    # -- Python-side views of what the user sees ----------------------------------------------

    def visible_views(self) -> list[RolloutView]:
        """The views the user sees, in the table's order (same filters and sort as the browser)."""
        with self._lock:  # browser trait updates apply under this lock: read one state
            current = self.current_views()
            sent_rows = dict(self._rows)  # the rows as sent: no to_row() again
            filters = {"query": self.query, "statuses": list(self.statuses),
                       "needs_attention": self.needs_attention,
                       "favorites_only": self.favorites_only, "favorites": list(self.favorites)}
            sort = self.sort
        views = filter_views(current, **filters)
        by_key = {v.key: v for v in views}
        rows = sort_rows([sent_rows[v.key] for v in views], sort)
        return [by_key[r["key"]] for r in rows]

    def visible_frame(self) -> pd.DataFrame:
        """The rows the user sees, in the table's order, as a ``rollouts_frame``."""
        return rollouts_frame(self.visible_views())

    def close(self) -> None:
        """Stop the widget and the store it opened (shared watchers stop with their last user)."""
        super().close()
        self._source.close()

    # -- representations ----------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"RolloutList(cluster={getattr(self._cluster, 'name', '')!r}, "
            f"namespace={self._namespace!r})"
        )

    def _static_views(self) -> list[RolloutView]:
        views = getattr(self._source, "views", None)
        found = views() if callable(views) else self.current_views()
        return sorted((v for v in found if self.wants(v)), key=lambda v: v.key)

    def _repr_html_(self) -> str:
        views = self._static_views()
        several = len({v.cluster for v in views}) > 1
        headers = [*(["Cluster"] if several else []), "Namespace", "Name", "Provider",
                   "Strategy", "Status", "Step", "Weight", "Ready", "Images", "Message"]
        rows = []
        for v in views[:STATIC_ROWS]:
            step = f"{v.step_index or '-'}/{v.step_count}" if v.step_count else ""
            weight = "" if v.set_weight is None else f"{v.set_weight}%"
            if v.actual_weight is not None and v.actual_weight != v.set_weight:
                weight = f"{weight or '-'} / {v.actual_weight}%"
            ready = f"{'-' if v.ready_replicas is None else v.ready_replicas}/" + (
                "-" if v.replicas is None else str(v.replicas))
            rows.append([*([v.cluster] if several else []), v.namespace, v.name, v.provider,
                         v.strategy, v.status, step, weight, ready, ", ".join(v.images),
                         v.message])
        more = f" (first {STATIC_ROWS})" if len(views) > STATIC_ROWS else ""
        return static_table(headers, rows, f"{self!r}: {len(views)} rollouts{more}")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle_ = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(bundle_, tuple):  # (data, metadata)
            bundle_ = bundle_[0]
        bundle_ = dict(bundle_)
        bundle_["text/plain"] = repr(self)
        bundle_["text/html"] = self._repr_html_()
        return bundle_

