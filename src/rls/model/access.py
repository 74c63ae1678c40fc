"""The ways into one workspace: who is ADMIN, who is USER, and through which assignment.

ADMIN and USER are kept apart from the start: a principal assigned only USER never yields an admin row. Groups are
kept as groups: the platform expands them when a view is read, and the SQL engine for the reporting tables
(:mod:`rls.tables.expand`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rls import tables
from rls.model.directory import GROUP, PRINCIPAL_TYPE, Directory, MemberRef

ADMIN_PERMISSION = "ADMIN"
USER_PERMISSION = "USER"


@dataclass(frozen=True)
class WorkspaceInfo:
    workspace_id: int
    workspace_name: str
    deployment_name: str
    status: str
    url: str
    cloud: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Grant:
    """One permission assignment as the account API returned it."""

    principal: MemberRef
    permissions: tuple[str, ...]

    @property
    def level(self) -> str:
        return ADMIN_PERMISSION if ADMIN_PERMISSION in self.permissions else USER_PERMISSION


@dataclass(frozen=True)
class LocalWay:
    """A user or service principal in the workspace's ``admins`` group through workspace-local groups: ``chain``
    names them from the one in ``admins`` down to the one holding ``member`` (:mod:`rls.collect.workspace_groups`)."""

    member: MemberRef
    chain: tuple[str, ...]

    @property
    def via(self) -> str:
        return " > ".join(self.chain)


def ways_in(
    ws: WorkspaceInfo,
    grants: list[Grant],
    local_admins: list[MemberRef] | None,
    directory: Directory,
    *,
    run_id: str,
    collected_at: dt.datetime,
    local_ways: list[LocalWay] | None = None,
) -> list[tables.AccessMapRow]:
    """Rows of ``workspace_access_map`` for one workspace: each assignment and each member of the local admins group,
    as itself (account groups are not expanded: the platform expands them when a view is read). Members reached
    through workspace-local groups (``local_ways``) are rows of their own, with the chain in ``via``:
    ``is_account_group_member()`` cannot see those groups, so they are flattened here (a snapshot until the next run).

    Inactive users and service principals are left out (an inactive identity is refused at login, and is a member of
    no group); an assigned group always has its row. Raises UnknownPrincipalError for a reference the account's
    listing does not have.
    """
    out: list[tables.AccessMapRow] = []

    def add(ref: MemberRef, permission: str, source: str, where: str, via: str | None = None) -> None:
        p = directory.get(ref.kind, ref.id, where)
        if ref.kind == GROUP:
            user_name, group_id, group_name = None, p.id, p.name
        elif p.active:
            user_name, group_id, group_name = p.name, None, None
        else:
            return
        out.append(
            tables.AccessMapRow(
                ws.workspace_id,
                ws.workspace_name,
                ws.url,
                permission,
                user_name,
                group_id,
                group_name,
                PRINCIPAL_TYPE[ref.kind],
                source,
                run_id,
                collected_at,
                via,
            )
        )

    where = f"permission assignments of workspace {ws.workspace_id}"
    for g in grants:
        add(g.principal, g.level, tables.DIRECT, where)
    for ref in local_admins or []:
        add(ref, ADMIN_PERMISSION, tables.LOCAL_ADMINS, f"admins group of workspace {ws.workspace_id}")
    for way in local_ways or []:
        add(way.member, ADMIN_PERMISSION, tables.LOCAL_ADMINS, f"local group {way.chain[-1]}", way.via)
    return list(dict.fromkeys(out))
