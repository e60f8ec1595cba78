"""Which rollout families (and versions) a cluster serves, from ``/apis``.

Kruise v1beta1 is preferred over v1alpha1 (same objects, two versions: watch one). Argo is
optional; a cluster with neither is not an error - ``none`` lets the widgets say what to install.
``argoproj.io`` is also Argo CD's group, so Argo Rollouts counts only if ``rollouts`` is served.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rollouts_widgets.kube.resources import (
    ARGO_ROLLOUTS,
    GVR,
    KRUISE_ROLLOUTS_V1ALPHA1,
    KRUISE_ROLLOUTS_V1BETA1,
    ResourceClient,
)

KRUISE_GROUP = "rollouts.kruise.io"
ARGO_GROUP = "argoproj.io"
INSTALL_HINT = (
    "This cluster serves neither OpenKruise Rollouts (rollouts.kruise.io) nor Argo Rollouts "
    "(argoproj.io rollouts): install one of their CRDs and controllers to see rollouts here."
)


@dataclass(frozen=True)
class Discovery:
    kruise_version: str | None = None  # "v1beta1" | "v1alpha1" | None
    argo: bool = False
    group_versions: frozenset[str] = field(default_factory=frozenset)

    @property
    def rollout_gvrs(self) -> list[GVR]:
        gvrs = []
        if self.kruise_version == "v1beta1":
            gvrs.append(KRUISE_ROLLOUTS_V1BETA1)
        elif self.kruise_version == "v1alpha1":
            gvrs.append(KRUISE_ROLLOUTS_V1ALPHA1)
        if self.argo:
            gvrs.append(ARGO_ROLLOUTS)
        return gvrs

    @property
    def none(self) -> bool:
        """True when no rollout family is served (not an error: see ``message``)."""
        return not self.rollout_gvrs

    @property
    def message(self) -> str:
        return INSTALL_HINT if self.none else ""

    def serves(self, gvr: GVR) -> bool:
        return gvr.api_version in self.group_versions

    def gvr_for(self, provider: str) -> GVR | None:
        """The rollout GVR this cluster serves for ``provider`` ("kruise" | "argo")."""
        for gvr in self.rollout_gvrs:
            if (gvr.group == ARGO_GROUP) == (provider == "argo"):
                return gvr
        return None


def _serves_rollouts(client: ResourceClient, group_version: str) -> bool:
    resources = client.request("GET", f"/apis/{group_version}").get("resources") or []
    return any(r.get("name") == "rollouts" for r in resources)


def discover(client: ResourceClient) -> Discovery:
    """Ask the API server (``/api`` and ``/apis``) what it serves."""
    groups = client.request("GET", "/apis").get("groups") or []
    group_versions = {"v1"}
    versions: dict[str, list[str]] = {}
    for group in groups:
        names = [str(v.get("version")) for v in group.get("versions") or []]
        versions[str(group.get("name"))] = names
        group_versions.update(f"{group.get('name')}/{v}" for v in names)
    kruise = versions.get(KRUISE_GROUP, [])
    kruise_version = None
    for version in ("v1beta1", "v1alpha1"):
        if version in kruise and _serves_rollouts(client, f"{KRUISE_GROUP}/{version}"):
            kruise_version = version
            break
    argo = "v1alpha1" in versions.get(ARGO_GROUP, []) and _serves_rollouts(
        client, f"{ARGO_GROUP}/v1alpha1"
    )
    return Discovery(kruise_version, argo, frozenset(group_versions))
