"""Workspace-local groups inside a workspace's ``admins`` group, expanded from the workspace's own SCIM list.

A workspace-local group (SCIM ``meta.resourceType: WorkspaceGroup``) exists in one workspace only: its id is no
account id (the account SCIM API answers 404 for it) and ``is_account_group_member()`` does not see it (facts file,
"Corrections, round 2"). When one sits in ``admins``, every user and service principal in it, at any depth, is an
admin of that workspace, and only the collector can tell: so they are recorded as ways in of their own, with the
local group chain (:class:`rls.model.access.LocalWay`), a snapshot until the next collection.

Everything comes from the one list call that reads ``admins`` (workspace SCIM lists carry members and are open to
workspace members); no group is read by id (``GET /Groups/{id}`` is admin-only). A local group that cannot be read or
resolved (a malformed member, a member group that is not a local group of this workspace) is reported and skipped:
it never fails the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rls.model.access import LocalWay
from rls.model.directory import GROUP, KIND_OF_SCIM_RESOURCE, MemberRef

ADMINS = "admins"
WORKSPACE_GROUP = "WorkspaceGroup"


@dataclass(frozen=True)
class ListedGroup:
    """One group of the workspace's SCIM list."""

    id: str
    name: str
    local: bool  # meta.resourceType WorkspaceGroup
    members: tuple[MemberRef, ...] | None  # None: the answer carried none we could use (see ``problem``)
    problem: str | None = None


@dataclass
class LocalAdmins:
    """What the local groups in ``admins`` add: members reached through them, and what could not be resolved."""

    ways: list[LocalWay] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def listed(group: Any) -> ListedGroup:
    """An SDK ``iam.Group`` of a workspace list, without raising: a malformed member makes that group a problem."""
    gid, name = str(group.id or ""), group.display_name or str(group.id or "?")
    local = getattr(group.meta, "resource_type", None) == WORKSPACE_GROUP
    # SDK 0.162 reads an absent "members" as an empty list (Group.from_dict): a local group listed without members
    # reads as empty and adds nobody, the safe direction (fewer admins, never more).
    refs = []
    for m in group.members or ():
        kind = KIND_OF_SCIM_RESOURCE.get((m.ref or "").split("/", 1)[0])
        if not m.value or kind is None:
            return ListedGroup(gid, name, local, None, f"malformed member (value {m.value!r}, $ref {m.ref!r})")
        refs.append(MemberRef(kind, str(m.value)))
    return ListedGroup(gid, name, local, tuple(refs))


def split_admins(
    admins: Iterable[MemberRef], groups: dict[str, ListedGroup], workspace_id: int
) -> tuple[list[MemberRef], LocalAdmins]:
    """The ``admins`` group's direct members without its local groups, and what those local groups hold at any
    depth. Breadth first from every local group in ``admins`` at once, so each member keeps its shortest chain;
    a group is expanded once (cycles end there)."""
    direct, roots = [], []
    for m in admins:
        g = groups.get(m.id) if m.kind == GROUP else None
        (roots if g is not None and g.local else direct).append(m)
    out = LocalAdmins()
    seen_groups = {m.id for m in roots}
    seen: set[MemberRef] = set()
    level = [(groups[m.id], (groups[m.id].name,)) for m in roots]
    while level:
        below = []
        for group, chain in sorted(level, key=lambda gc: gc[1]):
            if group.members is None:
                out.problems.append(_problem(workspace_id, chain, group.problem or "unreadable"))
                continue
            for m in group.members:
                if m.kind != GROUP:
                    if m not in seen:
                        seen.add(m)
                        out.ways.append(LocalWay(m, chain))
                    continue
                inner = groups.get(m.id)
                if inner is None or not inner.local:
                    what = "an account group" if inner is not None else "in none of the workspace's groups"
                    out.problems.append(
                        _problem(workspace_id, chain, f"its member group {m.id} is {what}, not a local group")
                    )
                elif m.id not in seen_groups:
                    seen_groups.add(m.id)
                    below.append((inner, (*chain, inner.name)))
        level = below
    return direct, out


def _problem(workspace_id: int, chain: tuple[str, ...], why: str) -> str:
    path = " > ".join((ADMINS, *chain))
    return (
        f"workspace {workspace_id}: local group {path} could not be resolved ({why}); "
        "who it makes admin is missing until it can be read"
    )
