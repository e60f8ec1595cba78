"""Bearer tokens -> users, and a tiny RBAC table.

Two users by default: ``admin`` may do everything, ``viewer`` may only get, list and watch.
The same table answers SelfSubjectAccessReviews, so a client's "can I?" matches what the
server then does.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

ADMIN = "admin"
VIEWER = "viewer"
READ_VERBS = frozenset({"get", "list", "watch"})


@dataclass(frozen=True)
class Rule:
    """Verbs allowed on resources (``"*"`` = any), e.g. ``Rule({"get"}, {"pods"})``."""

    verbs: frozenset[str]
    resources: frozenset[str] = frozenset({"*"})

    def allows(self, verb: str, resource: str) -> bool:
        return ("*" in self.verbs or verb in self.verbs) and (
            "*" in self.resources or resource in self.resources
        )


@dataclass
class Authorizer:
    """Authentication (token -> user name) and authorisation (user -> rules)."""

    tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    rules: dict[str, list[Rule]] = field(default_factory=dict)  # user -> rules

    @classmethod
    def default(cls) -> Authorizer:
        return cls(
            tokens={secrets.token_urlsafe(24): ADMIN, secrets.token_urlsafe(24): VIEWER},
            rules={ADMIN: [Rule(frozenset({"*"}))], VIEWER: [Rule(READ_VERBS)]},
        )

    def token_for(self, user: str) -> str:
        return next(token for token, name in self.tokens.items() if name == user)

    def authenticate(self, authorization: str | None) -> str | None:
        """The user of an ``Authorization: Bearer <token>`` header, or None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        offered = authorization[len("Bearer "):].strip()
        for token, user in self.tokens.items():
            if hmac.compare_digest(token.encode(), offered.encode()):
                return user
        return None

    def allowed(self, user: str, verb: str, resource: str) -> bool:
        """``resource`` is ``plural`` or ``plural/subresource`` (group-agnostic table)."""
        return any(rule.allows(verb, resource) for rule in self.rules.get(user, []))

    def review(self, user: str, spec: dict[str, Any]) -> dict[str, Any]:
        """The ``status`` of a SelfSubjectAccessReview for ``spec``."""
        attrs = spec.get("resourceAttributes")
        if isinstance(attrs, dict):
            resource = str(attrs.get("resource") or "")
            if attrs.get("subresource"):
                resource += f"/{attrs['subresource']}"
            verb = str(attrs.get("verb") or "")
        else:
            non_resource = spec.get("nonResourceAttributes") or {}
            verb = str(non_resource.get("verb") or "") if isinstance(non_resource, dict) else ""
            resource = "*nonresource*"
            ok = verb == "get" or self.allowed(user, verb, resource)
            return {"allowed": ok, "reason": _reason(user, ok)}
        ok = self.allowed(user, verb, resource)
        return {"allowed": ok, "reason": _reason(user, ok)}


def _reason(user: str, ok: bool) -> str:
    if ok:
        return f'RBAC: allowed by sandbox rules for user "{user}"'
    return f'RBAC: user "{user}" has no sandbox rule allowing this'


def forbidden_message(
    user: str, verb: str, plural: str, group: str, namespace: str | None, name: str | None,
    subresource: str | None,
) -> str:
    """The message the real API server writes for a 403."""
    qualified = plural if not group else f"{plural}.{group}"
    subject = f'{qualified} "{name}"' if name else qualified
    resource = f"{plural}/{subresource}" if subresource else plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return (
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API '
        f'group "{group}" {scope}'
    )
