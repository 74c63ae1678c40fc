"""What a workspace's refusal means: "not a member" (an elevation can help) or "unreachable" (nothing can).

How a workspace answers an identity that is no member of it is not pinned down (facts file, "Corrections, round 2"):
a 403 (SDK ``PermissionDenied``), a 401 (``Unauthenticated``), or a refusal at the workspace's OAuth token endpoint
(the SDK raises ``ValueError("invalid_client: …")``, which :mod:`rls.collect.account_api` names an
:class:`~rls.collect.account_api.AuthenticationError`). UCX treats them alike as "cannot access workspace"
(``ucx account/workspaces.py``); so does this module, with two exceptions that are checked first because they are
subclasses or look-alikes of the 403:

- **Private Link**: the workspace front end redirects a caller from outside its network to
  ``/login.html?error=private-link-validation-error``; the SDK raises ``PrivateLinkValidationError`` (a subclass
  of ``PermissionDenied``; SDK 0.162 ``errors/private_link.py``), also from inside the OIDC discovery that
  building a workspace client performs (then wrapped in ``ValueError`` by the SDK's credential chain).
- **IP access list**: a 403 whose message reads "Source IP address: <ip> is blocked by Databricks IP ACL for
  workspace: <id>" (the platform's text, quoted in omnigent-ai/omnigent#4463 and the body shape in
  databricks/databricks-sdk-go#871).

Neither is helped by an assignment, so both are ``unreachable``: no elevation, the reason recorded, the other
workspaces go on. Anything else that is not a refusal (a 5xx past the retries, an unknown error, a malformed body)
is ``unreachable`` too, with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from databricks.sdk.errors import PermissionDenied, PrivateLinkValidationError, Unauthenticated

from rls.collect.account_api import OAUTH_ERRORS, AuthenticationError
from rls.parallel import describe

NOT_MEMBER = "not-member"
PRIVATE_LINK = "private-link"
IP_ACL = "ip-acl"
ERROR = "error"

_OAUTH_TEXT = re.compile(r"\b((?:" + "|".join(OAUTH_ERRORS) + r"): [^)]*)")
IP_ACL_TEXT = "blocked by databricks ip acl"
"""The distinctive part of the platform's IP access list refusal, compared in lower case."""


@dataclass(frozen=True)
class Refusal:
    kind: str  # not-member | private-link | ip-acl | error
    reason: str  # one line for the run report

    @property
    def may_elevate(self) -> bool:
        """Only a missing membership is something an assignment can fix."""
        return self.kind == NOT_MEMBER


def _chain(e: BaseException) -> Iterator[BaseException]:
    """``e`` and its causes: the SDK wraps discovery failures in ValueError (``raise … from e``), twice."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)


def _line(e: BaseException) -> str:
    # 401/403 messages carry the SDK's config debug string after ". Config:"; the report needs the platform's words.
    return describe(e).split(". Config:")[0]


def classify(e: BaseException, workspace_id: int) -> Refusal:
    """What ``e``, raised by a workspace call (or by building its client), means for ``workspace_id``."""
    chain = list(_chain(e))
    for c in chain:
        if isinstance(c, PrivateLinkValidationError):
            return Refusal(
                PRIVATE_LINK,
                f"unreachable: workspace {workspace_id} has Private Link and refuses this network ({_line(c)})",
            )
    for c in reversed(chain):  # the innermost: the platform's own words, not the SDK's wrapping of them
        if IP_ACL_TEXT in str(c).lower():
            return Refusal(
                IP_ACL, f"unreachable: workspace {workspace_id}'s IP access list blocks this address ({_line(c)})"
            )
    for c in chain:
        token_refused = isinstance(c, AuthenticationError) or (
            type(c) is ValueError and " ".join(str(c).split()).lower().startswith(OAUTH_ERRORS)
        )
        if token_refused:
            m = _OAUTH_TEXT.search(str(c))
            said = m.group(1) if m else _line(c)
            return Refusal(NOT_MEMBER, f"not a member of workspace {workspace_id} (its token endpoint: {said})")
        if isinstance(c, PermissionDenied | Unauthenticated):
            return Refusal(NOT_MEMBER, f"not a member of workspace {workspace_id} ({_line(c)})")
    return Refusal(ERROR, f"unreachable: {_line(e)}")
