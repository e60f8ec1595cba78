"""Container image references and container lookup, for ``set_image``.

A small, honest parser of the Docker reference grammar (distribution/reference), restricted
to what a pod spec can carry::

    [registry[:port]/]path[:tag][@sha256:<64 hex>]

- the registry is the first ``/`` component when it contains ``.`` or ``:`` or is
  ``localhost``; its components are letters, digits and inner ``-``; the port is digits;
- path components are lowercase letters and digits joined by ``.``, ``_``, ``__`` or ``-``;
- a tag is ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``;
- a digest is ``sha256:`` and 64 lowercase hex digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]{{1,5}})?")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# DNS-1123 label: what Kubernetes accepts as a container name.
_CONTAINER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_MAX_NAME = 255
_MAX_REFERENCE = 512


@dataclass(frozen=True)
class ImageReference:
    registry: str  # "" when none was given (the runtime's default registry)
    path: str
    tag: str = ""
    digest: str = ""

    def __str__(self) -> str:
        text = f"{self.registry}/{self.path}" if self.registry else self.path
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _invalid(image: str, why: str) -> RolloutsError:
    shown = image if len(image) <= 80 else image[:77] + "..."
    return RolloutsError(errors.INVALID_INPUT, f"invalid image reference {shown!r}: {why}")


def parse_image(image: Any) -> ImageReference:
    """Parse and validate an image reference; a malformed one raises INVALID_INPUT."""
    if not isinstance(image, str):
        raise RolloutsError(errors.INVALID_INPUT, "the image must be a string")
    if not image:
        raise _invalid(image, "it is empty")
    if len(image) > _MAX_REFERENCE:
        raise _invalid(image, f"longer than {_MAX_REFERENCE} characters")
    if any(c.isspace() or not c.isprintable() for c in image):
        raise _invalid(image, "it contains whitespace or control characters")

    rest, digest = image, ""
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST.fullmatch(digest):
            raise _invalid(image, "the digest must be sha256: followed by 64 lowercase hex digits")

    registry = ""
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if not _DOMAIN.fullmatch(first):
            raise _invalid(image, f"bad registry {first!r}")
        registry, rest = first, remainder

    tag = ""
    if ":" in rest:
        rest, tag = rest.rsplit(":", 1)
        if not _TAG.fullmatch(tag):
            raise _invalid(image, "a tag is letters, digits, '_', '.', '-' (at most 128)")
    if not rest:
        raise _invalid(image, "the repository path is empty")
    for component in rest.split("/"):
        if not _PATH_COMPONENT.fullmatch(component):
            raise _invalid(
                image,
                f"bad path component {component!r} (lowercase letters and digits, "
                "separated by '.', '_', '__' or '-')",
            )
    if len(rest) + (len(registry) + 1 if registry else 0) > _MAX_NAME:
        raise _invalid(image, f"the name is longer than {_MAX_NAME} characters")
    return ImageReference(registry=registry, path=rest, tag=tag, digest=digest)


def validate_container_name(container: Any) -> str:
    """A DNS-1123 label, or ``*`` (every container of the list, as Argo's set image allows)."""
    if container == "*":
        return container
    if not isinstance(container, str) or not _CONTAINER_NAME.fullmatch(container):
        raise RolloutsError(
            errors.INVALID_INPUT,
            f"invalid container name {str(container)[:80]!r}: lowercase letters, digits and '-'",
        )
    return container


def container_indexes(
    pod_spec: dict[str, Any], container: str, *, init: bool, where: str
) -> list[int]:
    """Indexes in ``containers`` (or ``initContainers``) named ``container`` (all for ``*``).

    A missing container raises NOT_FOUND naming the containers that exist, so the user can
    correct the name without another look at the workload.
    """
    field = "initContainers" if init else "containers"
    entries = pod_spec.get(field) or []
    names = [str(c.get("name", "")) for c in entries if isinstance(c, dict)]
    if container == "*":
        indexes = list(range(len(names)))
    else:
        indexes = [i for i, name in enumerate(names) if name == container]
    if not indexes:
        existing = ", ".join(names) if names else "none"
        wanted = "any container" if container == "*" else f"container {container!r}"
        raise RolloutsError(
            errors.NOT_FOUND, f"{wanted} not found in the {field} of {where}; {field}: {existing}"
        )
    return indexes
