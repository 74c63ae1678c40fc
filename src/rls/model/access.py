"""Effective access of one workspace: who is ADMIN, who is USER, and through what.

ADMIN and USER are kept apart from the start: a principal assigned only USER never yields an admin row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rls import tables
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER, Directory, MemberRef
from rls.model.memberships import FlatMember, PathNames

ADMIN_PERMISSION = "ADMIN"
USER_PERMISSION = "USER"

_PRINCIPAL_TYPE = {USER: tables.USER, SERVICE_PRINCIPAL: tables.SERVICE_PRINCIPAL, GROUP: tables.GROUP}


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


@dataclass
class WorkspaceAccess:
    admins: list[tables.AccessRow]
    users: list[tables.AccessRow]


def effective_access(
    ws: WorkspaceInfo,
    grants: list[Grant],
    local_admins: list[MemberRef] | None,
    directory: Directory,
    flat: dict[str, list[FlatMember]],
    *,
    exclude: MemberRef | None,
    run_id: str,
    collected_at: dt.datetime,
    expanded: dict[str, list[tuple[str, str, str]]] | None = None,
) -> WorkspaceAccess:
    """Rows of the ``…_admins`` and ``…_users`` tables for one workspace.

    ``exclude`` is the collector when it elevated itself here: its temporary ADMIN right must not be recorded, so it
    is dropped wherever it appears directly as an admin (its assignment, the local admins group). Its USER
    assignment read before the elevation, and membership of an assigned group, are real access and stay.

    ``expanded`` caches each group's active members across calls: a group assigned in many workspaces is expanded
    once per collection, not once per workspace (millions of rows on a large account).
    """
    expanded = {} if expanded is None else expanded
    via = PathNames(directory)

    def members_of(gid: str, group_name: str) -> list[tuple[str, str, str]]:
        if gid not in expanded:
            out = []
            for fm in flat.get(gid, []):
                if fm.member.kind == GROUP:
                    continue  # nested groups are expanded into their members below this one
                m = directory.get(fm.member.kind, fm.member.id, f"group {group_name!r}")
                if m.active:
                    out.append((m.name, _PRINCIPAL_TYPE[fm.member.kind], via(fm.path)))
            expanded[gid] = out
        return expanded[gid]

    def expand(ref: MemberRef, source: str, where: str, admin: bool) -> list[tables.AccessRow]:
        if admin and ref == exclude:
            return []
        p = directory.get(ref.kind, ref.id, where)
        if ref.kind != GROUP:
            return [_row(ws, p.name, None, ref.kind, source, None, run_id, collected_at)] if p.active else []
        rows = [_row(ws, None, p.name, GROUP, source, None, run_id, collected_at)]
        member_source = tables.VIA_GROUP if source == tables.DIRECT else source
        row, wid, wname, url, group = tables.AccessRow, ws.workspace_id, ws.workspace_name, ws.url, p.name
        # positional and in one comprehension: this line builds millions of rows on a large account
        rows += [
            row(wid, wname, url, name, group, ptype, member_source, via, run_id, collected_at)
            for name, ptype, via in members_of(ref.id, p.name)
        ]
        return rows

    admins: list[tables.AccessRow] = []
    users: list[tables.AccessRow] = []
    where = f"permission assignments of workspace {ws.workspace_id}"
    for g in grants:
        is_admin = g.level == ADMIN_PERMISSION
        (admins if is_admin else users).extend(expand(g.principal, tables.DIRECT, where, is_admin))
    for ref in local_admins or []:
        admins.extend(expand(ref, tables.LOCAL_ADMINS, f"admins group of workspace {ws.workspace_id}", True))
    return WorkspaceAccess(admins=list(dict.fromkeys(admins)), users=list(dict.fromkeys(users)))


def ways_in(
    ws: WorkspaceInfo,
    grants: list[Grant],
    local_admins: list[MemberRef] | None,
    directory: Directory,
    *,
    run_id: str,
    collected_at: dt.datetime,
) -> list[tables.AccessMapRow]:
    """Rows of ``workspace_access_map`` for one workspace: each assignment and each member of the local admins group,
    as itself (groups are not expanded: the platform expands them when a view is read).

    Inactive users and service principals are left out (an inactive identity is refused at login, and is a member of
    no group); an assigned group always has its row. Raises UnknownPrincipalError for a reference the account's
    listing does not have.
    """
    out: list[tables.AccessMapRow] = []

    def add(ref: MemberRef, permission: str, source: str, where: str) -> None:
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
                _PRINCIPAL_TYPE[ref.kind],
                source,
                run_id,
                collected_at,
            )
        )

    where = f"permission assignments of workspace {ws.workspace_id}"
    for g in grants:
        add(g.principal, g.level, tables.DIRECT, where)
    for ref in local_admins or []:
        add(ref, ADMIN_PERMISSION, tables.LOCAL_ADMINS, f"admins group of workspace {ws.workspace_id}")
    return list(dict.fromkeys(out))


def _row(
    ws: WorkspaceInfo,
    user_name: str | None,
    group_name: str | None,
    kind: str,
    source: str,
    via: str | None,
    run_id: str,
    collected_at: dt.datetime,
) -> tables.AccessRow:
    return tables.AccessRow(
        workspace_id=ws.workspace_id,
        workspace_name=ws.workspace_name,
        workspace_url=ws.url,
        user_name=user_name,
        group_name=group_name,
        principal_type=_PRINCIPAL_TYPE[kind],
        source=source,
        via=via,
        run_id=run_id,
        collected_at=collected_at,
    )
