"""The kubeconfig a sandbox writes: one cluster, a context per user.

``sandbox`` (the admin, current) and ``sandbox-viewer`` (read-only), so kubectl, the official
client and ``rw.connect(kubeconfig=...)`` reach the sandbox like any cluster.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

ADMIN_CONTEXT = "sandbox"
VIEWER_CONTEXT = "sandbox-viewer"


def kubeconfig_dict(
    url: str, admin_token: str, viewer_token: str, ca_pem: bytes | None = None
) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    users = {ADMIN_CONTEXT: ("sandbox-admin", admin_token),
             VIEWER_CONTEXT: ("sandbox-viewer", viewer_token)}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}} for user, token in users.values()],
        "contexts": [
            {"name": context, "context": {"cluster": "sandbox", "user": user,
                                          "namespace": "default"}}
            for context, (user, _) in users.items()
        ],
        "current-context": ADMIN_CONTEXT,
        "preferences": {},
    }


def write_kubeconfig(path: str | os.PathLike[str], config: dict[str, Any]) -> Path:
    """Write ``config`` readable by the owner only (it holds bearer tokens)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    return target
