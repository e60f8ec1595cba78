"""One exception type for the whole toolkit, carrying a stable code.

Code paths branch on ``code``; the UI shows ``message``. ``status`` keeps the Kubernetes
Status body (as a dict) when the error came from the API server.
"""

from __future__ import annotations

from typing import Any

UNSUPPORTED_ROLLBACK_KIND = "UNSUPPORTED_ROLLBACK_KIND"
WATCH_STREAM_UNAVAILABLE = "WATCH_STREAM_UNAVAILABLE"
ANALYSIS_SOURCE_NOT_CONFIGURED = "ANALYSIS_SOURCE_NOT_CONFIGURED"
ROLLOUT_NOT_PROMOTABLE = "ROLLOUT_NOT_PROMOTABLE"
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
UNAUTHORIZED = "UNAUTHORIZED"
CONFLICT = "CONFLICT"
INVALID_INPUT = "INVALID_INPUT"
READ_ONLY = "READ_ONLY"
ACTION_NOT_APPLICABLE = "ACTION_NOT_APPLICABLE"
FEATURE_DISABLED = "FEATURE_DISABLED"
NO_STABLE_REVISION = "NO_STABLE_REVISION"
REVISION_NOT_FOUND = "REVISION_NOT_FOUND"
TIMEOUT = "TIMEOUT"
API_UNAVAILABLE = "API_UNAVAILABLE"
API_ERROR = "API_ERROR"

CODES = frozenset(
    {
        UNSUPPORTED_ROLLBACK_KIND,
        WATCH_STREAM_UNAVAILABLE,
        ANALYSIS_SOURCE_NOT_CONFIGURED,
        ROLLOUT_NOT_PROMOTABLE,
        NOT_FOUND,
        FORBIDDEN,
        UNAUTHORIZED,
        CONFLICT,
        INVALID_INPUT,
        READ_ONLY,
        ACTION_NOT_APPLICABLE,
        FEATURE_DISABLED,
        NO_STABLE_REVISION,
        REVISION_NOT_FOUND,
        TIMEOUT,
        API_UNAVAILABLE,
        API_ERROR,
    }
)

# Kubernetes HTTP status -> our code, for errors that came back from the API server.
_HTTP_CODES = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT, 422: INVALID_INPUT}


class RolloutsError(Exception):
    """An error with a stable ``code`` (one of ``CODES``) and a human ``message``."""

    def __init__(self, code: str, message: str, status: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_http(cls, http_status: int, message: str, status: dict[str, Any] | None = None):
        """Map an API server answer (HTTP status + Status body) to a RolloutsError."""
        if http_status >= 500 or http_status == 0:
            code = API_UNAVAILABLE
        else:
            code = _HTTP_CODES.get(http_status, API_ERROR)
        return cls(code, message, status)
