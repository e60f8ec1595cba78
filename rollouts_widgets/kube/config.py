"""An ``ApiClient`` from a kubeconfig context (or the in-cluster service account).

Only names travel out of here (context, user, server): never a token or a key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kubernetes import config as kube_config
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

IN_CLUSTER = "in-cluster"
# Every watcher holds one connection open; a dashboard with detail panels runs dozens.
POOL_SIZE = 64


@dataclass(frozen=True)
class KubeTarget:
    """Where a client points: the context it came from and the user it acts as (by name)."""

    api_client: ApiClient
    context: str
    user: str
    server: str


def _kubeconfig_paths(kubeconfig: str | os.PathLike[str] | None) -> str | None:
    """The kubeconfig to use, or None when there is none (then: in-cluster)."""
    if kubeconfig is not None:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise RolloutsError(errors.INVALID_INPUT, f"kubeconfig {path} does not exist")
        return str(path)
    env = os.environ.get("KUBECONFIG")
    if env:
        existing = [p for p in env.split(os.pathsep) if p and Path(p).expanduser().is_file()]
        return os.pathsep.join(existing) or None
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


def load_target(
    kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None
) -> KubeTarget:
    """A client for ``context`` of ``kubeconfig`` (defaults: $KUBECONFIG, ~/.kube/config,
    current context), falling back to the in-cluster config when there is no kubeconfig."""
    path = _kubeconfig_paths(kubeconfig)
    configuration = Configuration()
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, POOL_SIZE)
    if path is None:
        if context not in (None, IN_CLUSTER):
            raise RolloutsError(
                errors.INVALID_INPUT, f"no kubeconfig found for context {context!r}"
            )
        try:
            kube_config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise RolloutsError(
                errors.INVALID_INPUT,
                "no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a cluster",
            ) from exc
        client = ApiClient(configuration)
        return KubeTarget(client, IN_CLUSTER, "serviceaccount", configuration.host)
    try:
        contexts, active = kube_config.list_kube_config_contexts(config_file=path)
        chosen = active if context is None else next(
            (c for c in contexts if c.get("name") == context), None
        )
        if chosen is None:
            names = ", ".join(sorted(c.get("name", "") for c in contexts)) or "none"
            raise RolloutsError(
                errors.INVALID_INPUT, f"context {context!r} not in kubeconfig (contexts: {names})"
            )
        kube_config.load_kube_config(
            config_file=path,
            context=chosen["name"],
            client_configuration=configuration,
            persist_config=False,
        )
    except ConfigException as exc:
        raise RolloutsError(errors.INVALID_INPUT, f"kubeconfig {path}: {exc}") from exc
    user = str((chosen.get("context") or {}).get("user") or "")
    return KubeTarget(ApiClient(configuration), chosen["name"], user, configuration.host)


def context_names(kubeconfig: str | os.PathLike[str] | None = None) -> list[str]:
    """Every context name in the kubeconfig (for connecting to a whole fleet)."""
    path = _kubeconfig_paths(kubeconfig)
    if path is None:
        return [IN_CLUSTER]
    contexts, _ = kube_config.list_kube_config_contexts(config_file=path)
    return [c["name"] for c in contexts]
