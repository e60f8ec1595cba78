"""Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>.

kubectl resolves ``ro``, ``rollouts.argoproj.io`` and ``rollouts.rollouts.kruise.io`` from
these, and the engine discovers which Kruise versions a cluster serves.
"""

from __future__ import annotations

from typing import Any

from rollouts_widgets.sandbox.resources import RESOURCE_TYPES, ResourceType, served_versions

KUBE_VERSION = {
    "major": "1",
    "minor": "37",
    "gitVersion": "v1.37.0-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


class Discovery:
    """The discovery documents for one set of served Kruise versions."""

    def __init__(self, kruise_versions: tuple[str, ...]) -> None:
        self.kruise_versions = kruise_versions
        # (group, version) -> served resource types
        self.served: dict[tuple[str, str], list[ResourceType]] = {}
        for rt in RESOURCE_TYPES:
            for version in served_versions(rt, kruise_versions):
                self.served.setdefault((rt.group, version), []).append(rt)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rt in self.served.get((group, version), []):
            if rt.plural == plural:
                return rt
        return None

    def group_versions(self, group: str) -> list[str]:
        """Served versions of a group, preferred (storage) first."""
        versions: list[str] = []
        for rt in RESOURCE_TYPES:
            if rt.group == group:
                for version in served_versions(rt, self.kruise_versions):
                    if version not in versions:
                        versions.append(version)
        return versions

    def api_versions(self, server_address: str) -> dict[str, Any]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
            ],
        }

    def api_group(self, group: str) -> dict[str, Any] | None:
        versions = self.group_versions(group)
        if not group or not versions:
            return None
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": entries,
            "preferredVersion": entries[0],
        }

    def api_group_list(self) -> dict[str, Any]:
        groups: list[str] = []
        for rt in RESOURCE_TYPES:
            if rt.group and rt.group not in groups and self.group_versions(rt.group):
                groups.append(rt.group)
        docs = [self.api_group(g) for g in groups]
        for doc in docs:
            if doc:
                doc.pop("kind")
                doc.pop("apiVersion")
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": docs}

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        types = self.served.get((group, version))
        if not types:
            return None
        resources: list[dict[str, Any]] = []
        for rt in types:
            entry: dict[str, Any] = {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            resources.append(entry)
            if rt.status_subresource:
                resources.append({
                    "name": f"{rt.plural}/status", "singularName": "",
                    "namespaced": rt.namespaced, "kind": rt.kind,
                    "verbs": ["get", "patch", "update"],
                })
            if rt.scale_subresource:
                resources.append({
                    "name": f"{rt.plural}/scale", "singularName": "",
                    "namespaced": rt.namespaced, "kind": "Scale", "group": "autoscaling",
                    "version": "v1", "verbs": ["get", "patch", "update"],
                })
        group_version = version if not group else f"{group}/{version}"
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": resources,
        }
