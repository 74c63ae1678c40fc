"""HTTP request/response values and the two error shapes Databricks answers with.

Most APIs answer ``{"error_code": "...", "message": "..."}``; SCIM endpoints answer RFC 7644 errors
(``{"schemas": [...Error], "detail": "...", "status": "404"}``). The SDK's error parser understands both and maps the
HTTP status (or a known ``error_code``) to ``NotFound``, ``PermissionDenied``, ``TooManyRequests``, ...
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

_WORKSPACE_IN_PATH = re.compile(r"^/ws/(\d+)(?:/|$)|/workspaces/(\d+)(?:/|$)")


def workspace_id_of(path: str) -> int | None:
    """The workspace a request is about: ``/ws/{wid}/…`` or ``…/workspaces/{wid}/…``; None for account-wide calls."""
    m = _WORKSPACE_IN_PATH.search(path)
    if m is None:
        return None
    return int(m.group(1) or m.group(2))


@dataclass
class Request:
    method: str
    raw_path: str
    """Path with the query string, exactly as received (what the request log and fault matching see)."""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    """Request headers, names lower-cased."""
    path: str = field(init=False)
    query: dict[str, str] = field(init=False)
    workspace_id: int | None = field(init=False)
    params: dict[str, str] = field(default_factory=dict)
    """Captures of the matched route template."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.raw_path)
        self.path = parts.path
        # Repeated query keys do not occur in the APIs served here; the first value wins.
        self.query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.workspace_id = workspace_id_of(self.path)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "MALFORMED_REQUEST", "Could not parse request object: invalid JSON") from None

    def int_query(self, key: str) -> int | None:
        raw = self.query.get(key)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Parameter {key} must be an integer, got {raw!r}") from None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def raw(cls, text: str, status: int, headers: dict[str, str] | None = None) -> Response:
        """A verbatim body (injected malformed answers); the content type says JSON only when it parses as JSON."""
        try:
            json.loads(text)
            content_type = "application/json"
        except json.JSONDecodeError:
            content_type = "text/plain"
        return cls(status, text.encode(), {"Content-Type": content_type, **(headers or {})})


class ApiError(Exception):
    """Raised by route handlers; becomes a Databricks-shaped error response."""

    def __init__(self, status: int, error_code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers or {}

    def to_response(self) -> Response:
        return Response.json({"error_code": self.error_code, "message": self.message}, self.status, self.headers)


class ScimError(ApiError):
    """An error of a SCIM endpoint, in SCIM's own shape (the SDK turns it into ``error_code`` ``SCIM_<status>``)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(status, f"SCIM_{status}", detail)
        self.scim_type = scim_type

    def to_response(self) -> Response:
        body: dict[str, Any] = {"schemas": [SCIM_ERROR_SCHEMA], "detail": self.message, "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return Response.json(body, self.status)


# Error codes Databricks pairs with a status, used for injected faults that carry no body of their own.
ERROR_CODE_FOR_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "RESOURCE_CONFLICT",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
