"""``rw.Sandbox``: the API server, its store, clock, controllers and faults in one handle.

    with rw.Sandbox(scenario="demo") as sb:       # or sb = rw.Sandbox(); sb.start() ... sb.stop()
        cluster = sb.connect()                    # context="sandbox-viewer" for read-only RBAC
        sb.faults.drop_watches()

With ``clock="manual"`` nothing moves until ``sb.advance(seconds)`` (which then lets the
controllers settle); otherwise the controllers run in a background thread. With
``controllers=False`` it is a bare API server (objects change only when a client writes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.auth import ADMIN, VIEWER, Authorizer
from rollouts_widgets.sandbox.faults import Faults
from rollouts_widgets.sandbox.kubeconfig import ADMIN_CONTEXT, kubeconfig_dict, write_kubeconfig
from rollouts_widgets.sandbox.manifests import (
    Source,
    apply_objects,
    load_directory,
    load_manifests,
    save_directory,
)
from rollouts_widgets.sandbox.server import SandboxServer
from rollouts_widgets.sandbox.storage import ObjectStore
from rollouts_widgets.sandbox.tls import make_certificate, openssl_available, server_context


def _make_clock(kind: str, speed: float) -> Any:
    from rollouts_widgets.sandbox import clock as clock_module

    return clock_module.make_clock(kind, speed)


class Sandbox:
    """A Kubernetes-API-compatible server on 127.0.0.1 with simulated controllers."""

    def __init__(
        self,
        scenario: str = "empty",
        *,
        speed: float = 1.0,
        clock: str = "real",
        port: int = 0,
        kruise_versions: tuple[str, ...] | list[str] = ("v1beta1", "v1alpha1"),
        data_dir: str | os.PathLike[str] | None = None,
        admin_endpoints: bool = False,
        kubeconfig_path: str | os.PathLike[str] | None = None,
        controllers: bool = True,
        tls: bool | None = None,
    ) -> None:
        versions = tuple(kruise_versions)
        if not versions or any(v not in ("v1beta1", "v1alpha1") for v in versions):
            raise RolloutsError(errors.INVALID_INPUT,
                                f"kruise_versions must be v1beta1 and/or v1alpha1, got {versions}")
        self.scenario_name = scenario
        self.clock = _make_clock(clock, speed)
        self.storage = ObjectStore(now=self.clock.now)
        self.authorizer = Authorizer.default()
        self._temp_dir: str | None = None
        self._ca_pem: bytes | None = None
        self.tls = openssl_available() if tls is None else tls
        self.server = SandboxServer(
            self.storage, self.authorizer, port=port, kruise_versions=versions,
            admin_endpoints=admin_endpoints, admin_actions={"advance": self._admin_advance},
        )
        self.faults: Faults = self.server.faults
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.run_controllers = controllers
        self.controllers: Any = None
        self.scenario: Any = None
        self._kubeconfig_wanted = Path(kubeconfig_path) if kubeconfig_path else None
        self._kubeconfig: Path | None = None
        self._started = False
        self._populated = False
        self._lifecycle = threading.RLock()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Populate the store (once), start the controllers and the server. Idempotent."""
        with self._lifecycle:
            return self._start()

    def _start(self) -> Sandbox:
        if self._started:
            return self
        if not self._populated:
            self._populate()
            self._populated = True
        if self.tls and self.server.ssl_context is None:
            cert, key = make_certificate(Path(self._work_dir()) / "tls")
            self._ca_pem = cert.read_bytes()
            self.server.ssl_context = server_context(cert, key)
        self.server.start()
        self._write_kubeconfig()
        self._start_controllers()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop controllers and server; save to ``data_dir`` if set. Idempotent."""
        with self._lifecycle:
            self._stop()

    def _stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self.controllers is not None and self.clock.kind != "manual":
            self.controllers.stop()
        self.server.stop()
        if self.data_dir is not None:
            self.save(self.data_dir)
        if self._temp_dir is not None:
            # The certificate lives on in the server's SSL context; a restart writes a new
            # kubeconfig.
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
            if self._kubeconfig_wanted is None:
                self._kubeconfig = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._started else "stopped"
        return f"<Sandbox scenario={self.scenario_name!r} {state}>"

    def _populate(self) -> None:
        if self.data_dir is not None:
            load_directory(self.storage, self.data_dir)
        if self.scenario_name == "empty" and not self.run_controllers:
            return  # a bare API server: nothing to load, nothing to configure
        from rollouts_widgets.sandbox import scenarios

        if hasattr(scenarios, "load_scenario"):
            self.scenario = scenarios.load_scenario(self.scenario_name)
            apply_objects(self.storage, getattr(self.scenario, "objects", None) or [])
        elif self.scenario_name != "empty":
            raise RolloutsError(errors.INVALID_INPUT,
                                f"scenario {self.scenario_name!r} is not available")

    def _start_controllers(self) -> None:
        if not self.run_controllers:
            return
        from rollouts_widgets.sandbox import controllers

        if not hasattr(controllers, "ControllerManager"):
            return
        if self.controllers is None:
            self.controllers = controllers.ControllerManager(self.storage, self.clock,
                                                             self.scenario)
        if self.clock.kind == "manual":
            self.controllers.run_until_quiet()
        else:
            self.controllers.start()

    def _work_dir(self) -> str:
        """A private temporary directory (certificate, kubeconfig), removed by ``stop()``."""
        if self._temp_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="rw-sandbox-")
            # Also removed if the sandbox is never stopped (garbage collection or exit).
            weakref.finalize(self, shutil.rmtree, self._temp_dir, True)
        return self._temp_dir

    def _write_kubeconfig(self) -> None:
        if self._kubeconfig_wanted is not None:
            target = self._kubeconfig_wanted
        else:
            target = Path(self._work_dir()) / "kubeconfig"
        config = kubeconfig_dict(self.url, self.authorizer.token_for(ADMIN),
                                 self.authorizer.token_for(VIEWER), self._ca_pem)
        self._kubeconfig = write_kubeconfig(target, config)

    # --- handles -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def kubeconfig_path(self) -> str:
        if self._kubeconfig is None:
            raise RolloutsError(errors.API_UNAVAILABLE, "the sandbox is not started")
        return str(self._kubeconfig)

    def token(self, user: str = ADMIN) -> str:
        """The bearer token of ``user`` ("admin" or "viewer")."""
        return self.authorizer.token_for(user)

    def advance(self, seconds: float) -> None:
        """Move a manual clock forward, then let the controllers settle."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise RolloutsError(errors.INVALID_INPUT,
                                "advance() needs Sandbox(clock='manual')")
        advance(seconds)
        if self.controllers is not None:
            self.controllers.run_until_quiet()

    def _admin_advance(self, query: dict[str, str]) -> str:
        self.advance(float(query.get("seconds", "0")))
        return self.clock.now().isoformat()

    def apply(self, manifests: Source, namespace: str | None = None) -> list[dict[str, Any]]:
        """Create or update objects from files, a directory, YAML text or dicts (as kubectl
        apply would); returns the stored objects. With a manual clock the controllers act on
        them at the next ``advance()``."""
        return apply_objects(self.storage, load_manifests(manifests), namespace)

    def save(self, directory: str | os.PathLike[str]) -> int:
        """Write every object (status included) under ``directory``; returns the count."""
        return save_directory(self.storage, directory)

    def wait_serving(self, timeout: float | None = None) -> bool:
        """Wait until the server accepts connections (after ``faults.refuse_connections``)."""
        return self.server.wait_serving(timeout)

    def api_client(self, context: str | None = None) -> Any:
        """A ``kubernetes.client.ApiClient`` for ``context`` (default: the admin)."""
        from kubernetes import config

        return config.new_client_from_config(
            config_file=self.kubeconfig_path, context=context or ADMIN_CONTEXT)

    def connect(self, context: str | None = None, read_only: bool = False) -> Any:
        """A ``Cluster`` on this sandbox, whose actions take their time from its clock."""
        from rollouts_widgets.cluster import connect

        cluster = connect(kubeconfig=self.kubeconfig_path, context=context, read_only=read_only)
        cluster.time_source = self.clock.now
        return cluster
