"""From what was read to the rows of the snapshot tables (pure computation over the collector's reads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rls import tables
from rls.model.access import effective_access
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER, Directory, MemberRef, UnknownPrincipalError
from rls.model.memberships import FlatMember, path_names, reachable_groups

if TYPE_CHECKING:
    from rls.collect.collector import Collector, _Ws
    from rls.model.access import WorkspaceInfo

_TYPE = {USER: tables.USER, SERVICE_PRINCIPAL: tables.SERVICE_PRINCIPAL, GROUP: tables.GROUP}


@dataclass
class Snapshot:
    admins: list[tables.AccessRow]
    users: list[tables.AccessRow]
    perms: list[tables.WorkspacePerms]
    members: list[tables.GroupMember]
    runs: list[tables.WorkspaceRun]

    def mark_kept(self, kept: dict[str, list[Any]]) -> list[tables.WorkspaceRun]:
        """Report, for each workspace not collected now, how many rows of the last snapshot it keeps."""
        admins = Counter(r.workspace_id for r in kept[tables.ADMINS])
        users = Counter(r.workspace_id for r in kept[tables.USERS])
        out = []
        for r in self.runs:
            if r.outcome != "collected" and (admins[r.workspace_id] or users[r.workspace_id]):
                note = f"kept {admins[r.workspace_id]} admin and {users[r.workspace_id]} user rows of the last run"
                r = dataclasses.replace(
                    r,
                    admins=admins[r.workspace_id],
                    users=users[r.workspace_id],
                    error=f"{r.error}; {note}" if r.error else note,
                )
            out.append(r)
        return out


def build_snapshot(
    c: Collector,
    workspaces: list[WorkspaceInfo],
    running: list[_Ws],
    collector: MemberRef,
    failed_groups: dict,
    flat: dict[str, list[FlatMember]],
) -> Snapshot:
    """``flat``: every fetched group flattened (:func:`rls.model.memberships.flatten_all`)."""
    now = dt.datetime.now(dt.UTC)
    d = c.directory
    calls = c.api.clients.limiter.stats.by_workspace
    admins: list[tables.AccessRow] = []
    users: list[tables.AccessRow] = []
    perms: list[tables.WorkspacePerms] = []
    runs: list[tables.WorkspaceRun] = []
    expanded: dict[str, list[tuple[str, str, str]]] = {}  # group id -> active members, shared by all workspaces
    for w in running:
        if not w.error:
            roots = {g.principal.id for g in w.grants if g.principal.kind == GROUP}
            roots |= {m.id for m in w.local_admins or [] if m.kind == GROUP}
            broken = sorted(reachable_groups(roots, d.members) & set(failed_groups))
            if broken:
                w.error = (
                    f"group {d.groups[broken[0]].name if broken[0] in d.groups else broken[0]} could not be "
                    f"read: {failed_groups[broken[0]]}"
                )
        access = None
        if not w.error:
            try:
                access = effective_access(
                    w.info,
                    w.grants,
                    w.local_admins,
                    d,
                    flat,
                    exclude=collector if w.elevated else None,
                    run_id=c.run_id,
                    collected_at=now,
                    expanded=expanded,
                )
            except UnknownPrincipalError as e:
                w.error = str(e)
        wid = w.info.workspace_id
        if w.would_elevate:
            runs.append(_run(w, "would-elevate", 0, 0, 0, calls[wid]))
            continue
        if access is None:
            runs.append(_run(w, "failed", 0, 0, 0, calls[wid]))
            continue
        admins += access.admins
        users += access.users
        perms.append(_perms(w, access.admins, access.users, c.run_id, now))
        runs.append(_run(w, "collected", len(access.admins), len(access.users), len(w.catalogs), calls[wid]))
    running_ids = {w.info.workspace_id for w in running}
    for info in workspaces:
        if info.workspace_id not in running_ids:
            runs.append(
                tables.WorkspaceRun(
                    info.workspace_id,
                    info.workspace_name,
                    info.status,
                    "not-running",
                    f"workspace status {info.status}: not collected",
                    0,
                    0,
                    0,
                    False,
                    0,
                )
            )
    return Snapshot(admins, users, perms, _members(d, flat, c.run_id), runs)


def _run(w: _Ws, outcome: str, admins: int, users: int, catalogs: int, calls: int) -> tables.WorkspaceRun:
    return tables.WorkspaceRun(
        w.info.workspace_id,
        w.info.workspace_name,
        w.info.status,
        outcome,
        w.error,
        admins,
        users,
        catalogs,
        w.elevated,
        calls,
    )


def _perms(
    w: _Ws, admins: list[tables.AccessRow], users: list[tables.AccessRow], run_id: str, now: dt.datetime
) -> tables.WorkspacePerms:
    def entries(rows: list[tables.AccessRow]) -> list[tables.Principal]:
        return [tables.Principal(r.user_name, r.group_name, r.principal_type, r.source, r.via) for r in rows]

    i = w.info
    return tables.WorkspacePerms(
        i.workspace_id,
        i.workspace_name,
        i.deployment_name,
        i.url,
        i.status,
        i.cloud,
        w.federated,
        entries(admins),
        entries(users),
        [tables.CatalogEntry(n, o) for n, o in w.catalogs],
        run_id,
        now,
    )


def _members(d: Directory, flat: dict, run_id: str) -> list[tables.GroupMember]:
    out = []
    vias: dict[tuple[str, ...], str] = {}  # members of one nested group share its chain
    for gid, members in flat.items():
        group_name = d.groups[gid].name if gid in d.groups else gid
        for fm in members:
            try:
                p = d.get(fm.member.kind, fm.member.id, "group membership")
                name, active = p.name, p.active
            except UnknownPrincipalError:
                name, active = f"<unknown {fm.member.kind} {fm.member.id}>", False
            if fm.path not in vias:
                vias[fm.path] = path_names(d, fm.path)
            out.append(
                tables.GroupMember(
                    gid, group_name, fm.member.id, name, _TYPE[fm.member.kind], active, fm.depth, vias[fm.path], run_id
                )
            )
    return out
