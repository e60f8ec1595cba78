"""Pod lifecycle, standing in for the scheduler and the kubelet.

A new pod is scheduled (Pending, ContainerCreating), then becomes Running and Ready after the
scenario's readiness delay. An image whose tag is on the scenario's bad list never starts:
ImagePullBackOff, or CrashLoopBackOff with restarts at the kubelet's back-off (10 s doubling up
to 5 min). Each step is written as v1 Events, as the kubelet does.
"""

from __future__ import annotations

from typing import Any

from rollouts_widgets.sandbox.controllers.config import (
    CRASH_LOOP_BACK_OFF,
    IMAGE_PULL_BACK_OFF,
    ControllerConfig,
)
from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    add_seconds,
    controller_of,
    fmt_time,
    fnv32a,
    guarded,
    image_tag,
    record_event,
    seconds_since,
)
from rollouts_widgets.sandbox.controllers.podsets import NODE_NAME

KUBELET = "kubelet"
OWNER_RESOURCES = ("replicasets.apps", "clonesets.apps.kruise.io", "statefulsets.apps")
OWNER_KINDS = ("ReplicaSet", "CloneSet", "StatefulSet")
MAX_BACK_OFF = 300.0


def crash_back_off(restarts: int) -> float:
    """Seconds the kubelet waits before restart number ``restarts + 1``."""
    return min(10.0 * 2 ** max(restarts - 1, 0), MAX_BACK_OFF)


class PodController:
    name = "pods"

    def __init__(self, config: ControllerConfig) -> None:
        self.config = config

    def reconcile(self, api: Api) -> None:
        owners = {o["metadata"]["uid"] for resource in OWNER_RESOURCES
                  for o in api.list(resource)}
        for pod in api.list("pods"):
            with guarded(pod):
                ref = controller_of(pod)
                if ref is not None and ref.get("kind") in OWNER_KINDS and (
                    ref.get("uid") not in owners
                ):
                    # The garbage collector's job: a pod whose controller is gone goes too.
                    api.delete("pods", pod["metadata"].get("namespace"),
                               pod["metadata"]["name"])
                else:
                    self._reconcile_pod(api, pod)

    def _failure(self, pod: Obj) -> tuple[str | None, Obj | None]:
        for container in pod["spec"].get("containers") or []:
            image = container.get("image", "")
            mode = self.config.failure_mode(image, image_tag(image))
            if mode:
                return mode, container
        return None, None

    def _reconcile_pod(self, api: Api, pod: Obj) -> None:
        status = pod.get("status") or {}
        phase = status.get("phase")
        mode, bad = self._failure(pod)
        if not phase:
            self._schedule(api, pod)
        elif phase == "Pending":
            if mode == IMAGE_PULL_BACK_OFF:
                self._pull_failed(api, pod, bad or {})
            elif seconds_since(api, pod["metadata"].get("creationTimestamp")) >= (
                self.config.readiness_delay
            ):
                self._start(api, pod, crashing=mode == CRASH_LOOP_BACK_OFF)
        elif phase == "Running" and mode == CRASH_LOOP_BACK_OFF:
            self._maybe_restart(api, pod)

    # -- transitions --
    def _schedule(self, api: Api, pod: Obj) -> None:
        now = fmt_time(api.now())
        name = pod["metadata"]["name"]
        ip = fnv32a(f"{pod['metadata'].get('namespace')}/{name}")
        status = {
            "phase": "Pending",
            "conditions": [
                _cond("PodScheduled", "True", now),
                _cond("Initialized", "True", now),
                _cond("ContainersReady", "False", now, "ContainersNotReady"),
                _cond("Ready", "False", now, "ContainersNotReady"),
            ],
            "hostIP": "10.0.0.10",
            "podIP": f"10.244.{(ip >> 8) % 250}.{ip % 250 + 2}",
            "startTime": now,
            "qosClass": "BestEffort",
            "containerStatuses": [
                _container(c, ready=False, state={"waiting": {"reason": "ContainerCreating"}})
                for c in pod["spec"].get("containers") or []
            ],
        }
        api.update_status("pods", pod, status)
        namespace = pod["metadata"].get("namespace")
        record_event(
            api, pod, "Normal", "Scheduled",
            f"Successfully assigned {namespace}/{name} to {NODE_NAME}", "default-scheduler",
        )

    def _pull_failed(self, api: Api, pod: Obj, container: Obj) -> None:
        image = container.get("image", "")
        message = f'Back-off pulling image "{image}"'
        statuses = [
            _container(c, ready=False, state={"waiting": {"reason": IMAGE_PULL_BACK_OFF,
                                                          "message": message}})
            if c.get("name") == container.get("name") else _container(
                c, ready=False, state={"waiting": {"reason": "PodInitializing"}})
            for c in pod["spec"].get("containers") or []
        ]
        status = dict(pod["status"], containerStatuses=statuses)
        if status == pod["status"]:
            return
        api.update_status("pods", pod, status)
        record_event(api, pod, "Normal", "Pulling", f'Pulling image "{image}"', KUBELET)
        record_event(
            api, pod, "Warning", "Failed",
            f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull '
            f'and unpack image "{image}": not found', KUBELET,
        )
        record_event(api, pod, "Warning", "Failed", "Error: ErrImagePull", KUBELET)
        record_event(api, pod, "Normal", "BackOff", message, KUBELET)

    def _start(self, api: Api, pod: Obj, crashing: bool) -> None:
        now = fmt_time(api.now())
        statuses = []
        for c in pod["spec"].get("containers") or []:
            if crashing:
                statuses.append(_crashed(c, restarts=1, now=now))
            else:
                statuses.append(_container(c, ready=True, state={"running": {"startedAt": now}}))
        ready = "False" if crashing else "True"
        reason = "ContainersNotReady" if crashing else None
        conditions = [
            _cond("PodScheduled", "True", pod["status"].get("startTime", now)),
            _cond("Initialized", "True", pod["status"].get("startTime", now)),
            _cond("ContainersReady", ready, now, reason),
            _cond("Ready", ready, now, reason),
        ]
        status = dict(pod["status"], phase="Running", conditions=conditions,
                      containerStatuses=statuses)
        api.update_status("pods", pod, status)
        for c in pod["spec"].get("containers") or []:
            image, cname = c.get("image", ""), c.get("name", "")
            record_event(api, pod, "Normal", "Pulled",
                         f'Container image "{image}" already present on machine', KUBELET)
            record_event(api, pod, "Normal", "Created", f"Created container {cname}", KUBELET)
            record_event(api, pod, "Normal", "Started", f"Started container {cname}", KUBELET)
        if crashing:
            self._back_off_event(api, pod)

    def _maybe_restart(self, api: Api, pod: Obj) -> None:
        statuses = pod["status"].get("containerStatuses") or []
        if not statuses:
            return
        restarts = int(statuses[0].get("restartCount", 0))
        finished = (statuses[0].get("lastState") or {}).get("terminated", {}).get("finishedAt")
        due = add_seconds(finished, crash_back_off(restarts))
        if due is None or api.now() < due:
            return
        now = fmt_time(api.now())
        new = [_crashed(c, restarts=restarts + 1, now=now)
               for c in pod["spec"].get("containers") or []]
        api.update_status("pods", pod, dict(pod["status"], containerStatuses=new))
        self._back_off_event(api, pod)

    def _back_off_event(self, api: Api, pod: Obj) -> None:
        meta = pod["metadata"]
        for c in pod["spec"].get("containers") or []:
            record_event(
                api, pod, "Warning", "BackOff",
                f"Back-off restarting failed container {c.get('name')} in pod "
                f"{meta['name']}_{meta.get('namespace')}({meta.get('uid', '')})", KUBELET,
            )


def _cond(ctype: str, status: str, stamp: str, reason: str | None = None) -> Obj:
    cond: Obj = {"type": ctype, "status": status, "lastProbeTime": None,
                 "lastTransitionTime": stamp}
    if reason:
        cond["reason"] = reason
    return cond


def _container(container: Obj, ready: bool, state: Obj, restarts: int = 0,
               last_state: Obj | None = None) -> Obj:
    image = container.get("image", "")
    result: dict[str, Any] = {
        "name": container.get("name", ""),
        "image": image,
        "imageID": f"docker.io/{image}" if image else "",
        "ready": ready,
        "started": "running" in state,
        "restartCount": restarts,
        "state": state,
        "lastState": last_state or {},
    }
    return result


def _crashed(container: Obj, restarts: int, now: str) -> Obj:
    cname = container.get("name", "")
    message = f"back-off {int(crash_back_off(restarts))}s restarting failed container={cname}"
    return _container(
        container, ready=False, restarts=restarts,
        state={"waiting": {"reason": CRASH_LOOP_BACK_OFF, "message": message}},
        last_state={"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now,
                                   "finishedAt": now}},
    )
