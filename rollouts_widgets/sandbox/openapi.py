"""A minimal OpenAPI v3 discovery: enough for kubectl apply/create to validate.

kubectl downloads ``/openapi/v3`` before ``apply`` to learn whether the server validates
fields itself (the ``fieldValidation`` query parameter on each kind's PATCH). We declare that
for every served kind, so kubectl leaves validation to the server (which prunes, as CRDs do)
instead of needing full schemas. No schemas are published: kubectl then uses its built-in
strategic-merge metadata for built-in kinds and a JSON merge patch for custom resources,
exactly what it does against a real cluster for CRDs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rollouts_widgets.sandbox.discovery import Discovery


def _group_version_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


class OpenAPI:
    def __init__(self, discovery: Discovery) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        for (group, version), types in discovery.served.items():
            paths: dict[str, Any] = {}
            for rt in types:
                base = "/" + _group_version_path(group, version)
                scope = "/namespaces/{namespace}" if rt.namespaced else ""
                gvk = {"group": group, "version": version, "kind": rt.kind}
                param = {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
                operation = {"x-kubernetes-group-version-kind": gvk, "parameters": [param],
                             "responses": {"200": {"description": "OK"}}}
                paths[f"{base}{scope}/{rt.plural}/{{name}}"] = {"patch": operation}
            self.documents[_group_version_path(group, version)] = {
                "openapi": "3.0.0",
                "info": {"title": "Kubernetes (rollouts-widgets sandbox)", "version": "v1.37.0"},
                "paths": paths,
                "components": {"schemas": {}},
            }
        digest = hashlib.sha256(json.dumps(self.documents, sort_keys=True).encode())
        self.hash = digest.hexdigest()[:32].upper()

    def root(self) -> dict[str, Any]:
        return {"paths": {
            path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={self.hash}"}
            for path in self.documents
        }}

    def document(self, path: str) -> dict[str, Any] | None:
        """``path`` is the part after ``/openapi/v3/`` (``api/v1``, ``apis/apps/v1``...)."""
        return self.documents.get(path.strip("/"))
