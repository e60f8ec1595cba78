"""Objects in and out of the store as YAML/JSON manifests.

``load_manifests`` reads files, directories, YAML text or dicts (multi-document YAML and
``kind: List`` included); ``apply_objects`` creates or updates them in the store the way
``kubectl apply`` would, converting a served non-storage version (Kruise v1alpha1);
``save_directory`` / ``load_directory`` keep a whole store (status included) on disk.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox import conversion
from rollouts_widgets.sandbox.resources import BY_KEY, ResourceType, by_kind
from rollouts_widgets.sandbox.storage import ObjectStore

Source = str | os.PathLike[str] | dict[str, Any] | Iterable[Any]
_SUFFIXES = (".yaml", ".yml", ".json")


def _documents(text: str, origin: str) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise RolloutsError(errors.INVALID_INPUT, f"{origin}: not valid YAML/JSON: {exc}") \
            from None


def _expand(doc: Any, origin: str) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        raise RolloutsError(errors.INVALID_INPUT, f"{origin}: a manifest must be an object")
    if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        return [item for entry in doc["items"] for item in _expand(entry, origin)]
    return [doc]


def load_manifests(source: Source) -> list[dict[str, Any]]:
    """Every object of a file, a directory (sorted, recursively), YAML text or dict(s)."""
    if isinstance(source, dict):
        return _expand(source, "object")
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        path = Path(text)
        if "\n" not in text and path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
            return [obj for f in files for obj in load_manifests(f)]
        if "\n" not in text and path.is_file():
            docs = _documents(path.read_text(encoding="utf-8"), str(path))
            return [obj for d in docs for obj in _expand(d, str(path))]
        if "\n" not in text and path.suffix in _SUFFIXES:
            raise RolloutsError(errors.NOT_FOUND, f"no manifest file {text}")
        return [obj for d in _documents(text, "manifest text") for obj in _expand(d, "text")]
    return [obj for item in source for obj in load_manifests(item)]


def resource_of(obj: dict[str, Any]) -> tuple[ResourceType, str]:
    """(resource type, version) of a manifest by its apiVersion and kind."""
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    rt = by_kind(api_version, kind)
    if rt is None:
        raise RolloutsError(
            errors.INVALID_INPUT, f"the sandbox does not serve {kind or '?'} "
            f"({api_version or 'no apiVersion'})")
    return rt, api_version.rpartition("/")[2]


def apply_objects(
    store: ObjectStore,
    objects: Iterable[dict[str, Any]],
    namespace: str | None = None,
    *,
    restore: bool = False,
) -> list[dict[str, Any]]:
    """Create each object, or update it (keeping its status) if it exists; returns the
    stored objects. Namespaces are created first."""
    objects = list(objects)
    objects.sort(key=lambda o: o.get("kind") != "Namespace")
    results = []
    for obj in objects:
        rt, version = resource_of(obj)
        stored = conversion.from_version(obj, rt, version)
        meta = stored.setdefault("metadata", {})
        if rt.namespaced:
            meta["namespace"] = meta.get("namespace") or namespace or "default"
        try:
            current = store.get_ref(rt.key, meta.get("namespace"), str(meta.get("name") or ""))
        except RolloutsError as err:
            if err.code != errors.NOT_FOUND:
                raise
            results.append(store.create(rt.key, stored, restore=restore))
            continue
        meta.pop("resourceVersion", None)
        if "status" not in stored and "status" in current:
            stored["status"] = current["status"]
        results.append(store.update(rt.key, stored))
        if "status" in stored and rt.status_subresource:
            results[-1] = store.update(rt.key, stored, subresource="status")
    return results


def save_directory(store: ObjectStore, directory: str | os.PathLike[str]) -> int:
    """Write every object as ``<resource>/<namespace>/<name>.yaml``, replacing what an
    earlier save wrote there (deleted objects must not come back); returns the count."""
    root = Path(directory)
    for resource in BY_KEY:
        if (root / resource).is_dir():
            shutil.rmtree(root / resource)
    count = 0
    for resource, obj in store.dump():
        meta = obj["metadata"]
        meta.pop("resourceVersion", None)  # uid and generation survive, for ownerReferences
        target = root / resource / (meta.get("namespace") or "_cluster") / f"{meta['name']}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(obj, sort_keys=False), encoding="utf-8")
        count += 1
    return count


def load_directory(store: ObjectStore, directory: str | os.PathLike[str]) -> int:
    """Load a directory written by ``save_directory`` (or any manifests); returns the count."""
    root = Path(directory)
    if not root.is_dir():
        return 0
    objects = load_manifests(root)
    # Owners before dependents would need a graph; namespaces first is what the store needs.
    order = {key: n for n, key in enumerate(BY_KEY)}
    objects.sort(key=lambda o: order.get(resource_of(o)[0].key, len(order)))
    return len(apply_objects(store, objects, restore=True))
