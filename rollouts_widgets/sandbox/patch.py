"""The three patch formats of the Kubernetes API, applied to plain dicts.

- JSON merge patch (RFC 7386): objects merge, ``null`` deletes, lists are replaced.
- JSON Patch (RFC 6902): add, remove, replace, move, copy, test.
- Strategic merge patch (built-in kinds only): like a merge patch, but lists of objects with a
  known merge key (``containers`` by ``name``, ``ports`` by ``containerPort``/``port``...) are
  merged item by item, and the ``$patch``, ``$setElementOrder/<list>``,
  ``$deleteFromPrimitiveList/<list>`` and ``$retainKeys`` directives that kubectl sends are
  understood.
A patch that cannot apply raises INVALID_INPUT with a Status (400 or 422, as the server does).
"""

from __future__ import annotations

from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.resources import api_error

# Merge keys of the lists that built-in kinds merge item by item.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "ports": ("containerPort", "port"),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
}


def _invalid(message: str, http: int = 422) -> RolloutsError:
    reason = "Invalid" if http == 422 else "BadRequest"
    return api_error(errors.INVALID_INPUT, message, http=http, reason=reason)


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (several times faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386. Returns a new value; ``target`` is not modified."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    _merge_into(result, patch)
    return result


def _merge_into(result: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            if not isinstance(current, dict):
                current = result[key] = {}
            _merge_into(current, value)
        else:
            result[key] = clone(value)


# --- JSON Patch -------------------------------------------------------------------------------


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise _invalid(f"invalid JSON pointer {path!r}", 400)
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], op: str) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _invalid(f"jsonpatch {op} operation does not apply: doc is missing path")
    return node, parts[-1]


def _index(container: list, key: str, op: str, *, insert: bool = False) -> int:
    if insert and key == "-":
        return len(container)
    if not key.isdigit():
        raise _invalid(f"jsonpatch {op} operation does not apply: invalid index {key!r}")
    idx = int(key)
    limit = len(container) if insert else len(container) - 1
    if idx > limit:
        raise _invalid(f"jsonpatch {op} operation does not apply: index {idx} out of range")
    return idx


def _get(doc: Any, parts: list[str], op: str) -> Any:
    if not parts:
        return doc
    parent, key = _parent(doc, parts, op)
    if isinstance(parent, dict):
        if key not in parent:
            raise _invalid(f"jsonpatch {op} operation does not apply: doc is missing key: {key}")
        return parent[key]
    if isinstance(parent, list):
        return parent[_index(parent, key, op)]
    raise _invalid(f"jsonpatch {op} operation does not apply: doc is missing path")


def _add(doc: Any, parts: list[str], value: Any, op: str = "add") -> Any:
    if not parts:
        return value
    parent, key = _parent(doc, parts, op)
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, key, op, insert=True), value)
    else:
        raise _invalid(f"jsonpatch {op} operation does not apply: doc is missing path")
    return doc


def _remove(doc: Any, parts: list[str], op: str = "remove") -> Any:
    if not parts:
        raise _invalid("jsonpatch remove operation cannot remove the whole document")
    parent, key = _parent(doc, parts, op)
    if isinstance(parent, dict):
        if key not in parent:
            raise _invalid(f"jsonpatch {op} operation does not apply: doc is missing key: {key}")
        del parent[key]
    elif isinstance(parent, list):
        del parent[_index(parent, key, op)]
    else:
        raise _invalid(f"jsonpatch {op} operation does not apply: doc is missing path")
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902. Returns a new document; ``target`` is not modified."""
    if not isinstance(operations, list):
        raise _invalid("json patch must be a list of operations", 400)
    doc = clone(target)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise _invalid("each json patch operation must be an object with an 'op'", 400)
        op = operation["op"]
        parts = _pointer(operation.get("path"))
        if op in ("add", "replace", "test") and "value" not in operation:
            raise _invalid(f"jsonpatch {op} operation needs a value", 400)
        if op == "add":
            doc = _add(doc, parts, clone(operation["value"]))
        elif op == "remove":
            doc = _remove(doc, parts)
        elif op == "replace":
            _get(doc, parts, op)  # must exist
            doc = _add(_remove(doc, parts, op) if parts else doc, parts,
                       clone(operation["value"]), op)
        elif op in ("move", "copy"):
            source = _pointer(operation.get("from"))
            value = clone(_get(doc, source, op))
            if op == "move":
                doc = _remove(doc, source, op)
            doc = _add(doc, parts, value, op)
        elif op == "test":
            if _get(doc, parts, op) != operation["value"]:
                raise _invalid(f"testing value {operation.get('path')} failed")
        else:
            raise _invalid(f"unexpected json patch operation {op!r}", 400)
    return doc


# --- strategic merge --------------------------------------------------------------------------


def _merge_key(field: str, items: list[Any]) -> str | None:
    candidates = MERGE_KEYS.get(field)
    if not candidates:
        return None
    dicts = [i for i in items if isinstance(i, dict)]
    for key in candidates:
        if dicts and all(key in i for i in dicts):
            return key
    return candidates[0] if not dicts else None


def _merge_list(field: str, target: list[Any], patch: list[Any]) -> list[Any]:
    key = _merge_key(field, list(target) + list(patch))
    if key is None:
        if any(isinstance(i, dict) and "$patch" in i for i in patch):
            return [i for i in patch if not (isinstance(i, dict) and "$patch" in i)]
        return clone(patch)
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [clone(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    result = [clone(i) for i in target]
    for item in patch:
        if not isinstance(item, dict):
            continue
        position = next(
            (n for n, cur in enumerate(result) if isinstance(cur, dict) and
             cur.get(key) == item.get(key)),
            None,
        )
        if item.get("$patch") == "delete":
            if position is not None:
                del result[position]
        elif position is None:
            result.append(strategic_merge({}, item))
        else:
            result[position] = strategic_merge(result[position], item)
    return result


def _order(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """Apply a ``$setElementOrder`` list: listed items first, in that order."""
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) if isinstance(o, dict) else o for o in order]
    ranked = sorted(
        range(len(items)),
        key=lambda n: (wanted.index(ident(items[n])) if ident(items[n]) in wanted
                       else len(wanted) + n),
    )
    return [items[n] for n in ranked]


def strategic_merge(target: Any, patch: Any) -> Any:
    """A strategic merge patch for built-in kinds. Returns a new value."""
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = clone(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value if isinstance(value, list) else []
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(key, result[key], value)
        elif isinstance(value, list):
            result[key] = _merge_list(key, [], value)
        else:
            merged = strategic_merge(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _order(result[field], order, _merge_key(field, result[field]))
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def apply_patch(target: dict[str, Any], patch: Any, patch_type: str) -> dict[str, Any]:
    """Apply a patch of ``patch_type`` ("merge", "json" or "strategic") to ``target``."""
    if patch_type == "json":
        result = json_patch(target, patch)
    elif patch_type == "merge":
        if not isinstance(patch, dict):
            raise _invalid("a merge patch must be a JSON object", 400)
        result = merge_patch(target, patch)
    elif patch_type == "strategic":
        if not isinstance(patch, dict):
            raise _invalid("a strategic merge patch must be a JSON object", 400)
        result = strategic_merge(target, patch)
    else:
        raise _invalid(f"unknown patch type {patch_type!r}", 400)
    if not isinstance(result, dict):
        raise _invalid("the patched object is not a JSON object")
    return result
