"""What the controllers read in one round: every object of a resource, read once from the
store and kept current through the controllers' own writes, with indexes by namespace and by
controlling owner (so a cluster of thousands of objects costs one pass per round, not one
per object)."""

from __future__ import annotations

from typing import Any

from rollouts_widgets.sandbox.controllers import helpers  # used at call time (no cycle)

Obj = dict[str, Any]
Key = tuple[str, str]
BY_NAMESPACE, BY_OWNER = "namespace", "owner"


def _key(obj: Obj) -> Key:
    meta = obj["metadata"]
    return meta.get("namespace") or "", meta["name"]


def _index_key(obj: Obj, by: str) -> str | None:
    if by == BY_NAMESPACE:
        return obj["metadata"].get("namespace") or ""
    ref = helpers.controller_of(obj)
    return ref.get("uid", "") if ref else None


class RoundCache:
    """Shared, read-only objects (the store's own immutable dicts or the results of our
    writes): never mutate one, copy it first."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self._tables: dict[str, dict[Key, Obj]] = {}
        self._indexes: dict[tuple[str, str], dict[str, dict[Key, Obj]]] = {}

    def clear(self) -> None:
        self._tables.clear()
        self._indexes.clear()

    def forget(self, resource: str) -> None:
        self._tables.pop(resource, None)
        for key in [k for k in self._indexes if k[0] == resource]:
            del self._indexes[key]

    def _table(self, resource: str) -> dict[Key, Obj]:
        table = self._tables.get(resource)
        if table is None:
            table = self._tables[resource] = {
                _key(o): o for o in self.storage.page(resource)[0]}
        return table

    def items(self, resource: str) -> list[Obj]:
        return list(self._table(resource).values())

    def by(self, resource: str, by: str, key: str) -> list[Obj]:
        index = self._indexes.get((resource, by))
        if index is None:
            index = self._indexes[(resource, by)] = {}
            for obj_key, obj in self._table(resource).items():
                value = _index_key(obj, by)
                if value is not None:
                    index.setdefault(value, {})[obj_key] = obj
        return list(index.get(key, {}).values())

    def put(self, resource: str, obj: Obj) -> None:
        """Record the stored result of our create/update, if the resource was read."""
        table = self._tables.get(resource)
        if table is None:
            return
        key = _key(obj)
        old = table.get(key)
        table[key] = obj
        for (res, by), index in self._indexes.items():
            if res != resource:
                continue
            if old is not None:
                index.get(_index_key(old, by) or "", {}).pop(key, None)
            value = _index_key(obj, by)
            if value is not None:
                index.setdefault(value, {})[key] = obj
