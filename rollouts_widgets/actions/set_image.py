"""SET-IMAGE: the exact JSON patch that changes container images in a pod template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.actions.images import container_indexes, parse_image, validate_container_name
from rollouts_widgets.actions.plan import Write, json_precondition, object_meta, workload_target
from rollouts_widgets.errors import RolloutsError


def plan_set_image(
    obj: Mapping[str, Any],
    related: Sequence[Mapping[str, Any]],
    *,
    container: Any,
    image: Any,
    init: bool = False,
) -> list[Write]:
    """Replace ``image`` of the named container (``*``: all) in ``containers`` or
    ``initContainers`` of the workload (or of the Argo rollout's own template).

    The patch is computed from the object in ``related`` and only applies at its
    resourceVersion. No write when every named container already runs the image.
    """
    image_text = str(parse_image(image))
    container = validate_container_name(container)
    if not isinstance(init, bool):
        raise RolloutsError(errors.INVALID_INPUT, "init must be true or false")
    gvr, target = workload_target(obj, related)
    namespace, name, rv = object_meta(target)
    pod_spec = (target.get("spec") or {}).get("template", {}).get("spec") or {}
    field = "initContainers" if init else "containers"
    where = f"{target.get('kind')} {namespace}/{name}"
    indexes = container_indexes(pod_spec, container, init=init, where=where)
    entries = pod_spec[field]
    ops = [
        {"op": "replace", "path": f"/spec/template/spec/{field}/{i}/image", "value": image_text}
        for i in indexes
        if entries[i].get("image") != image_text
    ]
    if not ops:
        return []
    return [Write(gvr, namespace, name, "json", json_precondition(rv) + ops)]
