"""Scenario keys saying how the platform answers the collector where it may not go (spec version 3 and extras).

Kept apart from :mod:`.scenario` so the keys about *access answers* live in one small place:

- ``non_member_answer`` (top level, spec v3): how a workspace answers an identity that is no member of it: ``"403"``
  (default) ``PERMISSION_DENIED`` from the workspace API, ``"401"`` ``UNAUTHENTICATED``, ``"token_error"`` a refusal
  (``invalid_client``) from that workspace's OAuth token endpoint.
- ``network_refusal`` (per workspace, this project's extra): the workspace refuses the caller's network before any
  access check: ``"private_link"`` (the front end redirects to ``/login.html?error=private-link-validation-error``,
  SDK ``errors/private_link.py``) or ``"ip_acl"`` (403 "Source IP address: … is blocked by Databricks IP ACL for
  workspace: …"). Absent: reachable.
- ``list_members_for`` (per workspace, this project's extra): who gets ``members`` in the workspace SCIM ``List`` of
  groups: ``"members"`` (default: every workspace member, terraform-provider-databricks PR #4995) or ``"admins"``
  (a non-admin member gets the groups without their members, the case that makes the collector ask for ADMIN).
"""

from __future__ import annotations

from rls_local.scenario_reader import Reader

NON_MEMBER_ANSWERS = ("403", "401", "token_error")
NETWORK_REFUSALS = ("private_link", "ip_acl")
LIST_MEMBERS_FOR = ("members", "admins")


def _choice(r: Reader, key: str, choices: tuple[str, ...], default: str | None) -> str | None:
    value = r.str(key, default=default)
    if value is not None and value not in choices:
        raise r.error(key, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def non_member_answer(r: Reader) -> str:
    """The top-level ``non_member_answer`` (default ``"403"``)."""
    return _choice(r, "non_member_answer", NON_MEMBER_ANSWERS, "403") or "403"


def network_refusal(r: Reader) -> str | None:
    """A workspace's ``network_refusal`` (None: reachable)."""
    return _choice(r, "network_refusal", NETWORK_REFUSALS, None)


def list_members_for(r: Reader) -> str:
    """A workspace's ``list_members_for`` (default ``"members"``)."""
    return _choice(r, "list_members_for", LIST_MEMBERS_FOR, "members") or "members"
