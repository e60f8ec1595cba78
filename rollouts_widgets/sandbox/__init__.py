"""The bundled Kubernetes-API-compatible sandbox: API server, store, faults, controllers."""

from __future__ import annotations

from rollouts_widgets.sandbox.sandbox import Sandbox

__all__ = ["Sandbox"]
