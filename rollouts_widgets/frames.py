"""pandas exports of rollouts, steps, revisions, pods, analysis, watch events and actions.

Every function takes either the data itself or a live source (duck-typed: the store, a cluster,
anything with the method named in its docstring), so the same call works on a list of views in a
test and on the live engine in a notebook. Times are UTC ``datetime64`` columns, counts that may
be missing are nullable ``Int64``, and an empty input gives an empty frame with the same columns
and dtypes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

import pandas as pd

from rollouts_widgets.errors import INVALID_INPUT, NOT_FOUND, RolloutsError
from rollouts_widgets.model.view import STATUSES, RolloutView

STATUS_DTYPE = pd.CategoricalDtype(list(STATUSES))
UTC = "datetime64[ns, UTC]"

# Column name -> dtype, in column order. "str" columns hold text (object dtype); "json" columns
# hold compact JSON text of a dict or list.
Schema = Mapping[str, Any]


def _record(item: Any) -> dict[str, Any]:
    """A shallow dict of a dataclass instance or a mapping (nested objects stay objects)."""
    if is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in fields(item)}
    if isinstance(item, Mapping):
        return dict(item)
    raise RolloutsError(
        INVALID_INPUT, f"expected a dataclass record or a dict, got {type(item).__name__}"
    )


def _text(value: Any) -> str:
    """A readable cell: None -> "", a list -> ``"a, b"``, a mapping -> ``"k=v, k2=v2"``."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def records_frame(rows: Iterable[Mapping[str, Any]], schema: Schema) -> pd.DataFrame:
    """The one place rows become a frame: exact columns in schema order, typed per schema.

    dtype words: ``"str"`` (readable text, see ``_text``), ``"json"`` (JSON text), ``"utc"`` (UTC
    datetime64; naive times are taken as UTC), ``"Int64"`` (nullable), ``"Float64"`` (numbers
    read from text, see ``_number``), ``"bool"``, or a pandas dtype such as the status
    categories. Values that do not fit raise INVALID_INPUT naming the column.
    """
    rows = list(rows)
    columns: dict[str, pd.Series] = {}
    for name, kind in schema.items():
        values = [row.get(name) for row in rows]
        try:
            columns[name] = _column(values, kind)
        except (TypeError, ValueError, OverflowError) as exc:
            raise RolloutsError(
                INVALID_INPUT, f"column {name!r}: cannot read the values as {kind}: {exc}"
            ) from exc
    return pd.DataFrame(columns, columns=list(schema))


def _column(values: list[Any], kind: Any) -> pd.Series:
    if kind == "str":
        return pd.Series([_text(v) for v in values], dtype=object)
    if kind == "json":
        return pd.Series([_json_text(v) for v in values], dtype=object)
    if kind == "utc":
        series = pd.Series(values, dtype=object)
        return pd.to_datetime(series, utc=True, format="mixed").astype(UTC)
    if kind == "bool":
        return pd.Series([bool(v) for v in values], dtype=bool)
    if kind == "Float64":
        return pd.Series([_number(v) for v in values], dtype="Float64")
    return pd.Series(values, dtype=kind)


def _number(value: Any) -> float | None:
    """Measurement values are text (``"0.97"``, ``"[0.97]"``); keep those that are numbers."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().strip("[]").strip()
    try:
        return float(text)
    except ValueError:
        return None


def _items(source: Any, method: str, item_type: type | None = None) -> list[Any]:
    """``source.<method>()`` when the source has it, else the source itself as an iterable."""
    if item_type is not None and isinstance(source, item_type):
        return [source]
    live = getattr(source, method, None)
    if callable(live):
        source = live()
    if source is None:
        return []
    if isinstance(source, (str, bytes, Mapping)) or not isinstance(source, Iterable):
        raise RolloutsError(
            INVALID_INPUT,
            f"expected an iterable of records or an object with .{method}(), "
            f"got {type(source).__name__}",
        )
    return list(source)


def _for_ref(source: Any, method: str, ref: str | None) -> Any:
    """``source.<method>(ref)`` for a live source, else the source itself (the data)."""
    live = getattr(source, method, None)
    if callable(live):
        if not ref:
            raise RolloutsError(INVALID_INPUT, f"a ref ('namespace/name') is needed with .{method}")
        return live(ref)
    return source


# -- rollouts and steps -----------------------------------------------------------------------

ROLLOUT_SCHEMA: Schema = {
    "key": "str",
    "cluster": "str",
    "namespace": "str",
    "name": "str",
    "provider": "str",
    "api_version": "str",
    "strategy": "str",
    "status": STATUS_DTYPE,
    "native_phase": "str",
    "message": "str",
    "needs_attention": "bool",
    "attention_reason": "str",
    "step_index": "Int64",
    "step_count": "Int64",
    "step_label": "str",
    "set_weight": "Int64",
    "actual_weight": "Int64",
    "replicas": "Int64",
    "ready_replicas": "Int64",
    "updated_replicas": "Int64",
    "available_replicas": "Int64",
    "stable_revision": "str",
    "canary_revision": "str",
    "images": "str",
    "labels": "str",
    "workload_kind": "str",
    "workload_name": "str",
    "paused_until": "utc",
    "created": "utc",
    "updated": "utc",
    "resource_version": "str",
}


def _rollout_row(view: RolloutView) -> dict[str, Any]:
    return {"key": view.key, **_record(view)}


def rollouts_frame(source: Any) -> pd.DataFrame:
    """One row per rollout: an iterable of RolloutView, or a store (anything with ``.views()``).

    ``images`` reads ``"a, b"`` and ``labels`` ``"k=v, k2=v2"``; ``status`` is categorical in
    ``STATUSES`` order.
    """
    views = _items(source, "views", RolloutView)
    return records_frame((_rollout_row(v) for v in views), ROLLOUT_SCHEMA)


STEP_SCHEMA: Schema = {
    "index": "Int64",
    "kind": "str",
    "label": "str",
    "state": "str",
    "raw": "json",
}


def _view_for(source: Any, ref: str | None) -> RolloutView:
    if isinstance(source, RolloutView):
        return source
    get = getattr(source, "get", None)
    if not callable(get) or not ref:
        raise RolloutsError(
            INVALID_INPUT, "steps_frame takes a RolloutView, or a store and a ref ('ns/name')"
        )
    view = get(ref)
    if view is None:
        raise RolloutsError(NOT_FOUND, f"rollout {ref} not found")
    return view


def steps_frame(source: Any, ref: str | None = None) -> pd.DataFrame:
    """One row per step of a rollout: a RolloutView, or a store (``.get(ref)``) and a ref."""
    view = _view_for(source, ref)
    return records_frame((_record(step) for step in view.steps), STEP_SCHEMA)


# -- revisions and pods -----------------------------------------------------------------------

REVISION_SCHEMA: Schema = {
    "name": "str",
    "kind": "str",
    "role": "str",
    "health": "str",
    "revision": "Int64",
    "template_hash": "str",
    "replicas": "Int64",
    "ready_replicas": "Int64",
    "available_replicas": "Int64",
    "pod_count": "Int64",
    "images": "str",
    "created": "utc",
}


def revisions_frame(source: Any, ref: str | None = None) -> pd.DataFrame:
    """One row per revision: an iterable of RevisionView, or a cluster (``.revisions(ref)``).

    The raw pod template is left out (it is on the RevisionView, for rollback).
    """
    revisions = _items(_for_ref(source, "revisions", ref), "revisions")
    rows = [_record(r) for r in revisions]
    for row in rows:
        row["pod_count"] = len(row.get("pods") or ())
    return records_frame(rows, REVISION_SCHEMA)


POD_SCHEMA: Schema = {
    "name": "str",
    "namespace": "str",
    "state": "str",
    "phase": "str",
    "reason": "str",
    "restarts": "Int64",
    "ready": "bool",
    "revision": "str",
    "node": "str",
    "images": "str",
    "created": "utc",
}


def pods_frame(source: Any, ref: str | None = None) -> pd.DataFrame:
    """One row per pod: an iterable of PodView, or a cluster (``.pods(ref)``)."""
    pods = _items(_for_ref(source, "pods", ref), "pods")
    return records_frame(map(_record, pods), POD_SCHEMA)


# -- analysis ---------------------------------------------------------------------------------

ANALYSIS_SCHEMA: Schema = {
    "run": "str",
    "run_phase": "str",
    "kind": "str",
    "revision": "str",
    "step_index": "Int64",
    "metric": "str",
    "metric_phase": "str",
    "phase": "str",
    "value": "str",
    "number": "Float64",
    "started": "utc",
    "finished": "utc",
    "message": "str",
    "success_condition": "str",
    "failure_condition": "str",
    "failure_limit": "Int64",
    "inconclusive_limit": "Int64",
}


def analysis_frame(source: Any, ref: str | None = None) -> pd.DataFrame:
    """One row per measurement: a RolloutAnalysisSummary, or a cluster (``.analysis(ref)``).

    ``value`` is the measurement as reported; ``number`` is it as a float where it is one.
    """
    summary = _for_ref(source, "analysis", ref)
    rows = []
    for run in getattr(summary, "runs", ()) or ():
        for metric in run.metrics:
            for m in metric.measurements:
                rows.append(
                    {
                        "run": run.name,
                        "run_phase": run.phase,
                        "kind": run.kind,
                        "revision": run.revision,
                        "step_index": run.step_index,
                        "metric": metric.name,
                        "metric_phase": metric.phase,
                        "phase": m.phase,
                        "value": m.value,
                        "number": m.value,
                        "started": m.started_at,
                        "finished": m.finished_at,
                        "message": m.message,
                        "success_condition": metric.success_condition,
                        "failure_condition": metric.failure_condition,
                        "failure_limit": metric.failure_limit,
                        "inconclusive_limit": metric.inconclusive_limit,
                    }
                )
    return records_frame(rows, ANALYSIS_SCHEMA)


# -- watch events and the timeline ------------------------------------------------------------

_TRACKED = ("status", "step_index", "set_weight", "actual_weight")

EVENT_SCHEMA: Schema = {
    "ts": "utc",
    "type": "str",
    "cluster": "str",
    "namespace": "str",
    "name": "str",
    "resource_version": "str",
    "status_before": STATUS_DTYPE,
    "status_after": STATUS_DTYPE,
    "step_index_before": "Int64",
    "step_index_after": "Int64",
    "set_weight_before": "Int64",
    "set_weight_after": "Int64",
    "actual_weight_before": "Int64",
    "actual_weight_after": "Int64",
    "message": "str",
    "code": "str",
}


def _event_row(event: Any) -> dict[str, Any]:
    row = _record(event)
    for attr in _TRACKED:
        row[f"{attr}_before"] = getattr(row.get("previous"), attr, None)
        row[f"{attr}_after"] = getattr(row.get("rollout"), attr, None)
    return row


def events_frame(source: Any) -> pd.DataFrame:
    """One row per watch event: RolloutWatchEvents, or a store (``.events()``).

    ``*_before`` come from the event's ``previous`` view and ``*_after`` from its ``rollout``.
    """
    return records_frame((_event_row(e) for e in _items(source, "events")), EVENT_SCHEMA)


TIMELINE_SCHEMA: Schema = {
    "ts": "utc",
    "type": "str",
    "status": STATUS_DTYPE,
    "step_index": "Int64",
    "step_label": "str",
    "set_weight": "Int64",
    "actual_weight": "Int64",
}


def _is_ref_of(view: RolloutView | None, ref: str) -> bool:
    return view is not None and ref in (view.key, view.ref)


def timeline_frame(source: Any, ref: str) -> pd.DataFrame:
    """One rollout's state over time (key ``cluster/ns/name`` or ref ``ns/name``), from the
    same events as ``events_frame``: snapshots and upserts give a row each; a delete gives the
    last known state."""
    if not isinstance(ref, str) or not ref:
        raise RolloutsError(INVALID_INPUT, "timeline_frame needs a ref ('namespace/name')")
    rows = []
    for event in _items(source, "events"):
        candidates = [event.rollout, *event.rollouts]
        view = next((v for v in candidates if _is_ref_of(v, ref)), None)
        if view is not None:
            row = {"ts": event.ts, "type": event.type}
            row.update((attr, getattr(view, attr)) for attr in list(TIMELINE_SCHEMA)[2:])
            rows.append(row)
    return records_frame(rows, TIMELINE_SCHEMA)


def plot_timeline(source: Any, ref: str, ax: Any = None) -> Any:
    """Plot set weight, actual weight (left axis, %) and step (right axis) over time.

    Needs matplotlib; returns the weight axis.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RolloutsError(
            INVALID_INPUT, "plot_timeline needs matplotlib: pip install matplotlib"
        ) from exc
    frame = timeline_frame(source, ref)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    times = frame["ts"].dt.tz_convert(None)  # matplotlib plots naive UTC times
    for column, style in (("set_weight", "-"), ("actual_weight", "--")):
        ax.step(times, frame[column].astype("float"), style, where="post", label=column)
    ax.set_ylabel("weight %")
    ax.set_ylim(0, 105)
    steps = ax.twinx()
    steps.step(times, frame["step_index"].astype("float"), ":", where="post", color="grey",
               label="step")
    steps.set_ylabel("step")
    ax.set_title(f"{ref}: progress")
    ax.legend(loc="upper left")
    return ax


# -- audit log of actions ---------------------------------------------------------------------

ACTION_SCHEMA: Schema = {
    "ts": "utc",
    "cluster": "str",
    "context": "str",
    "user": "str",
    "namespace": "str",
    "name": "str",
    "action": "str",
    "args": "json",
    "ok": "bool",
    "code": "str",
    "message": "str",
}


def actions_frame(source: Any) -> pd.DataFrame:
    """One row per action taken: audit records (dataclasses or dicts with ts, cluster, context,
    user, namespace, name, action, args, ok, code, message), an audit log (``.records()``), or a
    cluster (``.audit_log()``, giving either)."""
    log = source.audit_log() if callable(getattr(source, "audit_log", None)) else source
    records = _items(log, "records")
    return records_frame((_record(r) for r in records), ACTION_SCHEMA)
