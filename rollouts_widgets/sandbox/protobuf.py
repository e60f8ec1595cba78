"""Just enough of the Kubernetes protobuf encoding for what kubectl sends that way.

kubectl's typed clients (``kubectl auth can-i``, ``kubectl create namespace``) send
``application/vnd.kubernetes.protobuf`` bodies: the ``k8s\\0`` magic, then a
``runtime.Unknown`` envelope (type meta + raw message). We decode SelfSubjectAccessReview and
Namespace bodies into the same dicts a JSON body gives; anything else is refused with 415 by
the caller. Answers always go back as JSON, which those clients also accept.
"""

from __future__ import annotations

from typing import Any

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

Schema = dict[int, tuple[str, Any]]  # field number -> (json name, "string" | "map" | Schema)

_OBJECT_META: Schema = {1: ("name", "string"), 2: ("generateName", "string"),
                        3: ("namespace", "string"), 11: ("labels", "map"),
                        12: ("annotations", "map")}
_RESOURCE_ATTRIBUTES: Schema = {1: ("namespace", "string"), 2: ("verb", "string"),
                                3: ("group", "string"), 4: ("version", "string"),
                                5: ("resource", "string"), 6: ("subresource", "string"),
                                7: ("name", "string")}
_NON_RESOURCE_ATTRIBUTES: Schema = {1: ("path", "string"), 2: ("verb", "string")}
SCHEMAS: dict[tuple[str, str], Schema] = {
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): {
        1: ("metadata", _OBJECT_META),
        2: ("spec", {1: ("resourceAttributes", _RESOURCE_ATTRIBUTES),
                     2: ("nonResourceAttributes", _NON_RESOURCE_ATTRIBUTES)}),
    },
    ("v1", "Namespace"): {1: ("metadata", _OBJECT_META)},
}


class ProtobufError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs; length-delimited values stay bytes."""
    out: list[tuple[int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated field")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        out.append((number, value))
    return out


def _message(data: bytes, schema: Schema) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for number, value in _fields(data):
        if number not in schema or not isinstance(value, bytes):
            continue
        name, kind = schema[number]
        if kind == "string":
            obj[name] = value.decode("utf-8")
        elif kind == "map":
            entry = dict(_fields(value))
            obj.setdefault(name, {})[entry.get(1, b"").decode()] = entry.get(2, b"").decode()
        else:
            obj[name] = _message(value, kind)
    return obj


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf-encoded Kubernetes object as a JSON-style dict (known kinds only)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic")
    envelope = dict(_fields(body[len(MAGIC):]))
    type_meta = dict(_fields(envelope.get(1, b"")))
    api_version = type_meta.get(1, b"").decode()
    kind = type_meta.get(2, b"").decode()
    schema = SCHEMAS.get((api_version, kind))
    if schema is None:
        raise ProtobufError(f"protobuf bodies of {kind or '?'} ({api_version}) are not supported")
    obj = _message(envelope.get(2, b""), schema)
    return {"apiVersion": api_version, "kind": kind, **obj}
