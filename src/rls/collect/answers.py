"""How the collector reads an API answer: retries of idempotent reads on a 5xx, and checks of every field it relies
on. A malformed answer raises :class:`ApiAnswerError` naming the call, instead of flowing on as ``None`` into the
tables; a refused OAuth token is an :class:`AuthenticationError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from databricks.sdk.errors import DatabricksError, DataLoss, DeadlineExceeded, InternalError

from rls.errors import RlsError
from rls.model.directory import KIND_OF_SCIM_RESOURCE, MemberRef

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Workspace ids are BIGINT in every table: an id outside that range is a malformed answer, refused before any write.
_BIGINT = (-(2**63), 2**63 - 1)


class ApiAnswerError(RlsError, RuntimeError):
    """The API answered something the collector cannot use (missing fields, wrong shape)."""


class MembersHidden(ApiAnswerError):
    """The workspace listed its groups without their members, and reading one by id needs workspace admin."""


class AuthenticationError(ApiAnswerError):
    """The OAuth token endpoint refused the collector's credentials (wrong id/secret, revoked, expired secret)."""


# RFC 6749 section 5.2 error codes; the SDK raises them as ``ValueError("<code>: <description>")``.
OAUTH_ERRORS = ("invalid_client", "invalid_grant", "unauthorized_client", "invalid_scope", "access_denied")


def _server_error(e: DatabricksError) -> bool:
    """A transient 5xx the SDK does not retry itself (it retries 429 and 503 only): 500 and 504."""
    return isinstance(e, InternalError | DeadlineExceeded) and not isinstance(e, DataLoss)


class Reads:
    """Retries idempotent reads on a 5xx, within the same bound as the SDK's own retries (``retry_timeout_s``)."""

    def __init__(self, retry_timeout_s: float, first_backoff_s: float = 0.5) -> None:
        self.retry_timeout_s = retry_timeout_s
        self.first_backoff_s = first_backoff_s

    def __call__(self, what: str, fn: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.retry_timeout_s
        backoff = self.first_backoff_s
        while True:
            try:
                return call(what, fn)
            except DatabricksError as e:
                if not _server_error(e) or time.monotonic() + backoff > deadline:
                    raise
                logger.info("%s: %s; retrying in %.1fs", what, e, backoff)
                time.sleep(backoff)  # back-off between attempts, not synchronisation
                backoff = min(backoff * 2, 30.0)


def call(what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except DatabricksError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        text = " ".join(str(e).split())
        if isinstance(e, ValueError) and text.lower().startswith(OAUTH_ERRORS):
            raise AuthenticationError(
                f"authentication failed for {what} ({text}): check the service principal's OAuth client id and "
                "secret (secret scope keys client-id / client-secret) and that the secret has not expired"
            ) from None
        # The SDK raises these when a body is not the JSON it expects.
        raise ApiAnswerError(f"malformed answer to {what}: {type(e).__name__}: {e}") from None


def checked_workspace_id(value: Any, what: str) -> int:
    try:
        wid = int(need(value, what, "workspace_id"))
    except (TypeError, ValueError):
        raise ApiAnswerError(f"malformed answer to {what}: workspace_id {value!r} is not a number") from None
    if not _BIGINT[0] < wid <= _BIGINT[1]:
        raise ApiAnswerError(f"malformed answer to {what}: workspace_id {wid} is out of the BIGINT range")
    return wid


def need(value: Any, what: str, field: str) -> Any:
    if value is None or value == "":
        raise ApiAnswerError(f"malformed answer to {what}: an item has no {field!r}")
    return value


def scim_resources(body: Any, what: str) -> list[dict[str, Any]]:
    """The ``Resources`` of a SCIM ListResponse (absent past the end), checked for shape."""
    if not isinstance(body, dict):
        raise ApiAnswerError(f"malformed answer to {what}: not a SCIM ListResponse object")
    items = body.get("Resources") or []
    if not isinstance(items, list) or not all(isinstance(g, dict) for g in items):
        raise ApiAnswerError(f"malformed answer to {what}: Resources is not a list of objects")
    return items


def scim_members(values: list[Any], what: str) -> list[MemberRef]:
    out = []
    for m in values:
        value = need(m.value, what, "members[].value")
        kind = KIND_OF_SCIM_RESOURCE.get((m.ref or "").split("/", 1)[0])
        if kind is None:
            raise ApiAnswerError(f"malformed answer to {what}: member {value} has unknown $ref {m.ref!r}")
        out.append(MemberRef(kind, str(value)))
    return out
