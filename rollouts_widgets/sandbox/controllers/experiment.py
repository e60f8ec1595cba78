"""Argo Experiments: one ReplicaSet per template, AnalysisRuns once they are available, and an
end - after ``duration``, or when every analysis has finished (without a duration), or at the
first failed analysis. At the end the ReplicaSets are scaled to zero."""

from __future__ import annotations

import copy

from rollouts_widgets.sandbox.controllers.analysis import (
    RESOURCE as ANALYSIS_RUNS,
)
from rollouts_widgets.sandbox.controllers.analysis import (
    TERMINAL,
    build_analysis_run,
    run_phase,
)
from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    add_seconds,
    as_int,
    fmt_time,
    guarded,
    owner_ref,
    parse_duration,
    template_hash,
)

RESOURCE = "experiments.argoproj.io"
POD_HASH = "rollouts-pod-template-hash"
DONE = ("Successful", "Failed", "Error", "Inconclusive")


class ExperimentController:
    name = "experiments"

    def reconcile(self, api: Api) -> None:
        for exp in api.list(RESOURCE):
            with guarded(exp):
                self._sync(api, exp, api.owned("replicasets.apps", exp),
                           api.owned(ANALYSIS_RUNS, exp))

    def _sync(self, api: Api, exp: Obj, rss: list[Obj], runs: list[Obj]) -> None:
        status = copy.deepcopy(exp.get("status") or {})
        phase = status.get("phase") or "Pending"
        by_name = {rs["metadata"]["name"]: rs for rs in rss}
        templates = exp["spec"].get("templates") or []
        if phase in DONE:
            for rs in rss:
                _scale(api, rs, 0)
            for run in runs:
                if run_phase(run) not in TERMINAL and not run["spec"].get("terminate"):
                    api.patch(ANALYSIS_RUNS, run["metadata"]["namespace"],
                              run["metadata"]["name"], {"spec": {"terminate": True}})
            status["templateStatuses"] = self._template_statuses(api, exp, by_name, status, True)
            api.update_status(RESOURCE, exp, status)
            return
        for template in templates:
            rs_name = f"{exp['metadata']['name']}-{template.get('name', '')}"
            if rs_name not in by_name:
                api.create("replicasets.apps", _replicaset(exp, template, rs_name))
        status["templateStatuses"] = self._template_statuses(api, exp, by_name, status, False)
        all_available = bool(templates) and all(
            t["availableReplicas"] >= t["replicas"] and t.get("status") == "Running"
            for t in status["templateStatuses"]
        )
        if phase == "Pending":
            status["phase"] = "Pending"
            if all_available:
                status.update(phase="Running", availableAt=fmt_time(api.now()))
        if status["phase"] == "Running":
            self._analyses(api, exp, status, runs)
            self._finish(api, exp, status)
        api.update_status(RESOURCE, exp, status)

    def _template_statuses(self, api: Api, exp: Obj, by_name: dict[str, Obj], status: Obj,
                           done: bool) -> list[Obj]:
        now = fmt_time(api.now())
        before = {t.get("name"): t for t in status.get("templateStatuses") or []}
        result = []
        for template in exp["spec"].get("templates") or []:
            name = template.get("name", "")
            rs = by_name.get(f"{exp['metadata']['name']}-{name}") or {}
            rs_status = rs.get("status") or {}
            want = as_int(template.get("replicas"), 1)
            available = as_int(rs_status.get("availableReplicas"))
            state = "Successful" if done else ("Running" if available >= want else "Progressing")
            entry = {
                "name": name,
                "replicas": as_int(rs_status.get("replicas")),
                "updatedReplicas": as_int(rs_status.get("replicas")),
                "readyReplicas": as_int(rs_status.get("readyReplicas")),
                "availableReplicas": available,
                "status": state,
                "podTemplateHash": (rs.get("metadata") or {}).get("labels", {}).get(POD_HASH, ""),
            }
            previous = before.get(name) or {}
            unchanged = previous.get("status") == state and previous.get("lastTransitionTime")
            entry["lastTransitionTime"] = previous["lastTransitionTime"] if unchanged else now
            result.append(entry)
        return result

    def _analyses(self, api: Api, exp: Obj, status: Obj, runs: list[Obj]) -> None:
        by_name = {r["metadata"]["name"]: r for r in runs}
        entries = []
        for analysis in exp["spec"].get("analyses") or []:
            run_name = f"{exp['metadata']['name']}-{analysis.get('name', '')}"
            run = by_name.get(run_name)
            if run is None:
                body, error = build_analysis_run(
                    api, exp, run_name, [analysis], analysis.get("args"),
                    {"experiment.argoproj.io/name": exp["metadata"]["name"]},
                )
                if body is None:
                    status.update(phase="Error", message=error)
                    return
                api.create(ANALYSIS_RUNS, body)
            entry = {"name": analysis.get("name", ""), "analysisRun": run_name,
                     "phase": run_phase(run)}
            message = ((run or {}).get("status") or {}).get("message")
            if message:
                entry["message"] = message
            entries.append(entry)
        if entries:
            status["analysisRuns"] = entries

    def _finish(self, api: Api, exp: Obj, status: Obj) -> None:
        if status.get("phase") != "Running":
            return
        entries = status.get("analysisRuns") or []
        for entry in entries:
            if entry["phase"] in ("Failed", "Error", "Inconclusive"):
                status["phase"] = entry["phase"]
                status["message"] = (
                    f'AnalysisRun "{entry["analysisRun"]}" assessed {entry["phase"]}'
                    + (f': {entry["message"]}' if entry.get("message") else "")
                )
                return
        if exp["spec"].get("terminate"):
            status.update(phase="Successful", message="Experiment was terminated")
            return
        duration = parse_duration(exp["spec"].get("duration"))
        if duration is not None:
            due = add_seconds(status.get("availableAt"), duration)
            if due is not None and api.now() >= due:
                status.update(phase="Successful", message="Experiment has completed")
        elif entries and all(e["phase"] in TERMINAL for e in entries):
            status.update(phase="Successful", message="Experiment has completed")


def _replicaset(exp: Obj, template: Obj, name: str) -> Obj:
    pod_template = copy.deepcopy(template.get("template") or {})
    pod_hash = template_hash(pod_template)
    pod_template.setdefault("metadata", {}).setdefault("labels", {})[POD_HASH] = pod_hash
    selector = copy.deepcopy(template.get("selector") or {})
    selector.setdefault("matchLabels", {})[POD_HASH] = pod_hash
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": exp["metadata"].get("namespace"),
            "labels": dict(pod_template["metadata"]["labels"]),
            "annotations": {"experiment.argoproj.io/template-name": template.get("name", "")},
            "ownerReferences": [owner_ref(exp)],
        },
        "spec": {
            "replicas": as_int(template.get("replicas"), 1),
            "minReadySeconds": as_int(template.get("minReadySeconds")),
            "selector": selector,
            "template": pod_template,
        },
    }


def _scale(api: Api, rs: Obj, replicas: int) -> None:
    if as_int(rs["spec"].get("replicas")) != replicas:
        want = copy.deepcopy(rs)
        want["spec"]["replicas"] = replicas
        api.update("replicasets.apps", want)

