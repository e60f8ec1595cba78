"""Step kinds, labels and states for both projects' canary/blue-green steps.

A step is raw JSON from the rollout spec. Labels follow what each project's own tools show
("Set Weight: 20%", "Pause: 30s"); unknown step types get a generic label, never an error.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rollouts_widgets.model.parse import (
    bound,
    duration_seconds,
    format_seconds,
    get,
    int_or_percent,
    integer,
    items,
    mapping,
    text,
)
from rollouts_widgets.model.view import StepState, StepView

MAX_LABEL = 200
MAX_STEPS = 100  # Kruise allows 50; more than this is a hostile or broken object
MAX_PLANS = 4096  # distinct step lists remembered (see Plan)


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One step as the model reads it: what it does and whether/how long it pauses."""

    kind: str
    label: str
    raw: dict[str, Any]
    pauses: bool = False  # the step stops the rollout (manually or for a duration)
    pause_seconds: float | None = None  # None with pauses=True: waits for manual approval
    weight: int | None = None  # traffic weight the step sets, if it sets one


def _percent(value: Any) -> str:
    parsed = int_or_percent(value)
    if parsed is None:
        return bound(value, 32) if isinstance(value, str) else "?"
    number, is_percent = parsed
    return f"{number}%" if is_percent else str(number)


def _join(parts: list[str]) -> str:
    return bound(", ".join(p for p in parts if p), MAX_LABEL)


def _unknown(step: dict[str, Any]) -> StepSpec:
    key = next((k for k in step if isinstance(k, str)), "")
    label = f"Unknown step ({bound(key, 40)})" if key else "Unknown step"
    return StepSpec("unknown", label, step)


# --- OpenKruise -----------------------------------------------------------------------------

_KRUISE_KEYS = ("matches", "traffic", "weight", "replicas", "requestHeaderModifier", "pause")


def _kruise_match(match: dict[str, Any]) -> str:
    parts = [f"header {text(h, 'name', limit=40)}={text(h, 'value', limit=40)}"
             for h in items(match, "headers")]
    if mapping(match, "path"):
        parts.append(f"path {text(match, 'path', 'value', limit=80)}")
    parts += [f"query {text(q, 'name', limit=40)}={text(q, 'value', limit=40)}"
              for q in items(match, "queryParams")]
    return " and ".join(parts)


def _kruise_header_modifier(modifier: dict[str, Any]) -> str:
    parts = []
    for verb in ("set", "add"):
        names = [text(h, "name", limit=40) for h in items(modifier, verb)]
        if names:
            parts.append(f"{verb} {' '.join(names)}")
    removed = [bound(n, 40) for n in (get(modifier, "remove") or []) if isinstance(n, str)]
    if removed:
        parts.append(f"remove {' '.join(removed)}")
    return "Modify Headers" + (f": {'; '.join(parts)}" if parts else "")


def kruise_step(step: Any, *, last: bool, v1alpha1: bool) -> StepSpec:
    """A Kruise canary/blue-green step. A step may combine traffic, replicas and a pause; the
    kind names its main action (matches win over traffic, as in the controller)."""
    if not isinstance(step, dict):
        return StepSpec("unknown", "Unknown step", {})
    if not any(key in step for key in _KRUISE_KEYS) and step:
        return _unknown(step)
    parts: list[str] = []
    kind = ""
    weight: int | None = None
    matches = items(step, "matches")
    if matches:
        kind = "matches"
        parts.append("Match: " + " or ".join(_kruise_match(m) for m in matches[:5]))
    if "traffic" in step:
        kind = kind or "traffic"
        parts.append(f"Traffic: {_percent(step['traffic'])}")
        parsed = int_or_percent(step["traffic"])
        weight = parsed[0] if parsed else None
    elif v1alpha1 and integer(step, "weight") is not None:
        kind = kind or "weight"
        weight = integer(step, "weight")
        parts.append(f"Weight: {weight}%")
    replicas = step.get("replicas")
    if replicas is None and v1alpha1 and weight is not None:
        replicas = f"{weight}%"  # v1alpha1: a step without replicas means replicas = weight%
    elif replicas is not None:
        kind = kind or "replicas"
        parts.append(f"Replicas: {_percent(replicas)}")
    if "requestHeaderModifier" in step:
        kind = kind or "requestHeaderModifier"
        parts.append(_kruise_header_modifier(mapping(step, "requestHeaderModifier")))
    # Kruise: no pause (or no duration) waits for approval, except a last step at 100%
    # replicas, which passes by itself; a zero duration does not stop at all.
    seconds = duration_seconds(get(step, "pause", "duration"))
    passes_by_itself = last and int_or_percent(replicas) == (100, True)
    pauses = not passes_by_itself and seconds != 0
    if pauses:
        parts.append(f"Pause: {format_seconds(seconds)}" if seconds is not None else "Pause")
    return StepSpec(kind or "pause", _join(parts) or "Pause", step, pauses,
                    seconds if pauses else None, weight)


# --- Argo Rollouts --------------------------------------------------------------------------


def _names(entries: list[dict[str, Any]], key: str) -> str:
    names = [text(e, key, limit=60) for e in entries[:10]]
    names = [n for n in names if n]
    return f" ({', '.join(names)})" if names else ""


def argo_step(step: Any) -> StepSpec:
    """An Argo canary step: exactly one of the known keys, else a generic unknown step."""
    if not isinstance(step, dict):
        return StepSpec("unknown", "Unknown step", {})
    if "setWeight" in step:
        weight = integer(step, "setWeight")
        label = f"Set Weight: {weight}%" if weight is not None else "Set Weight (invalid)"
        return StepSpec("setWeight", label, step, weight=weight)
    if "pause" in step:
        raw = get(step, "pause", "duration")
        seconds = duration_seconds(raw)
        if raw is None:
            label = "Pause"
        elif isinstance(raw, str) and not raw.strip().isdigit():
            label = f"Pause: {bound(raw.strip(), 40)}"  # a Go duration, shown as written
        elif seconds is not None:
            label = f"Pause: {format_seconds(seconds)}"  # a bare number means seconds
        else:
            label = "Pause (invalid duration)"
        return StepSpec("pause", label, step, pauses=True, pause_seconds=seconds)
    if "analysis" in step:
        return StepSpec("analysis", "Analysis" + _names(items(step, "analysis", "templates"),
                                                        "templateName"), step)
    if "experiment" in step:
        return StepSpec("experiment", "Experiment" + _names(items(step, "experiment",
                                                                  "templates"), "name"), step)
    if "setCanaryScale" in step:
        scale = mapping(step, "setCanaryScale")
        if integer(scale, "weight") is not None:
            detail = f"weight {integer(scale, 'weight')}%"
        elif scale.get("matchTrafficWeight") is True:
            detail = "match traffic weight"
        elif integer(scale, "replicas") is not None:
            detail = f"{integer(scale, 'replicas')} replicas"
        else:
            detail = ""
        return StepSpec("setCanaryScale", "Canary Scale" + (f": {detail}" if detail else ""),
                        step)
    if "setHeaderRoute" in step:
        route = mapping(step, "setHeaderRoute")
        label = (f"Set Header: {text(route, 'name', limit=80)}" if items(route, "match")
                 else "Remove Header")
        return StepSpec("setHeaderRoute", label, step)
    if "setMirrorRoute" in step:
        route = mapping(step, "setMirrorRoute")
        label = (f"Set Mirror: {text(route, 'name', limit=80)}" if items(route, "match")
                 else "Remove Mirror")
        return StepSpec("setMirrorRoute", label, step)
    if "plugin" in step:
        return StepSpec("plugin", text(step, "plugin", "name", limit=80) or "Plugin", step)
    return _unknown(step)


# --- plans: the steps of a spec, read once -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """The steps of one spec. Thousands of rollouts share a few step lists, and a rollout's
    steps rarely change between its updates: a Plan is read once per distinct list and its
    StepView tuples are built once per (current step, complete, state)."""

    specs: tuple[StepSpec, ...]
    _views: dict[tuple[int | None, bool, str], tuple[StepView, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _weights: tuple[int | None, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        weights, weight = [], None
        for spec in self.specs:
            weight = spec.weight if spec.weight is not None else weight
            weights.append(weight)
        object.__setattr__(self, "_weights", tuple(weights))  # frozen: set once, here

    @property
    def has_traffic(self) -> bool:
        """True when any step sets a traffic weight."""
        return bool(self._weights) and self._weights[-1] is not None

    def weight_at(self, index: int) -> int | None:
        """The traffic weight in force at step ``index`` (1-based): the last one set at or
        before it; None when no step up to it sets one."""
        return self._weights[index - 1] if 1 <= index <= len(self._weights) else None

    def views(self, current: int | None, *, complete: bool,
              state: StepState = "current") -> tuple[StepView, ...]:
        """``step_views`` of the plan's steps (the same tuple for the same arguments)."""
        key = (current, complete, state)
        views = self._views.get(key)
        if views is None:
            views = self._views[key] = step_views(self.specs, current, complete=complete,
                                                  state=state)
        return views


_plans: dict[tuple[str, bytes], Plan] = {}


def _plan(reader: str, raw_steps: Sequence[Any],
          read: Callable[[Sequence[Any]], tuple[StepSpec, ...]]) -> Plan:
    """The Plan of ``raw_steps``, remembered by their marshal bytes: marshal tags every type,
    so equal bytes mean equal steps (objects it cannot pack are read every time). A shared
    Plan reads a private copy of the steps, so no caller's later edits can reach it."""
    try:
        packed = marshal.dumps(raw_steps)
    except ValueError:
        return Plan(read(raw_steps))
    plan = _plans.get((reader, packed))
    if plan is None:
        if len(_plans) >= MAX_PLANS:
            _plans.clear()  # bounded: hostile variety starts the table over
        plan = _plans[(reader, packed)] = Plan(read(marshal.loads(packed)))
    return plan


def kruise_plan(raw_steps: Sequence[Any], *, v1alpha1: bool) -> Plan:
    """The Plan of a Kruise step list (``kruise_step`` of each step)."""
    def read(steps: Sequence[Any]) -> tuple[StepSpec, ...]:
        return tuple(kruise_step(s, last=i == len(steps) - 1, v1alpha1=v1alpha1)
                     for i, s in enumerate(steps))

    return _plan("kruise/v1alpha1" if v1alpha1 else "kruise", raw_steps, read)


def argo_plan(raw_steps: Sequence[Any]) -> Plan:
    """The Plan of an Argo canary step list (``argo_step`` of each step)."""
    return _plan("argo", raw_steps, lambda steps: tuple(argo_step(s) for s in steps))


# --- states ---------------------------------------------------------------------------------


def step_views(
    specs: Sequence[StepSpec], current: int | None, *, complete: bool, state: StepState = "current"
) -> tuple[StepView, ...]:
    """StepViews with states: before ``current`` (1-based) done, ``current`` in ``state``,
    after it pending; everything done when ``complete``; all pending without a current step."""
    views = []
    for index, spec in enumerate(specs, start=1):
        if complete or (current is not None and index < current):
            step_state: StepState = "done"
        elif current is not None and index == current:
            step_state = state
        else:
            step_state = "pending"
        views.append(StepView(index, spec.kind, spec.label, step_state, spec.raw))
    return tuple(views)


def current_label(views: tuple[StepView, ...], index: int | None, note: str = "") -> str:
    """The label of step ``index`` (1-based) with a note on why it waits, e.g.
    "Pause (awaiting approval)"; a step awaiting approval is always marked so."""
    if index is None or not 1 <= index <= len(views):
        return ""
    step = views[index - 1]
    if not note and step.state == "awaiting-approval":
        note = "awaiting approval"
    return f"{step.label} ({note})" if note else step.label
