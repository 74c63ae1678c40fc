"""From what was read to the rows of the snapshot tables (pure computation over the collector's reads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rls import tables
from rls.model.access import effective_access, ways_in
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER, Directory, MemberRef, UnknownPrincipalError
from rls.model.memberships import FlatMember, PathNames, flatten_all, reachable_groups

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
    principals: list[tables.PrincipalRow] = dataclasses.field(default_factory=list)
    access_map: list[tables.AccessMapRow] = dataclasses.field(default_factory=list)

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
    memberships: Memberships,
) -> Snapshot:
    """``memberships``: every fetched group, flattened."""
    flat = memberships.flat
    now = dt.datetime.now(dt.UTC)
    d = c.directory
    calls = c.api.clients.limiter.stats.by_workspace
    admins: list[tables.AccessRow] = []
    users: list[tables.AccessRow] = []
    perms: list[tables.WorkspacePerms] = []
    runs: list[tables.WorkspaceRun] = []
    access_map: list[tables.AccessMapRow] = []
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
                    exclude=None,  # the collector's temporary admin right was filtered out when it was read
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
        if w.not_onboarded:
            runs.append(_run(w, "not-onboarded", 0, 0, 0, calls[wid]))
            continue
        if access is None:
            runs.append(_run(w, "failed", 0, 0, 0, calls[wid]))
            continue
        admins += access.admins
        users += access.users
        access_map += ways_in(w.info, w.grants, w.local_admins, d, run_id=c.run_id, collected_at=now)
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
    principals = principal_rows(d)
    return Snapshot(admins, users, perms, memberships.rows, runs, principals, access_map)


def principal_rows(d: Directory) -> list[tables.PrincipalRow]:
    """The id -> identity map of every listed principal: system tables that hold principal ids (lakeflow.jobs.run_as,
    creator_id) are matched to current_user() through it (the account SCIM id is the principal id)."""
    out = []
    for kind, by_id in ((USER, d.users), (SERVICE_PRINCIPAL, d.service_principals), (GROUP, d.groups)):
        out += [tables.PrincipalRow(p.id, _TYPE[kind], p.name, p.active) for p in by_id.values()]
    return out


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


class Memberships:
    """Groups flattened, and their ``group_members_flat`` rows, built as groups are fetched.

    On a large account this is tens of millions of rows of CPU work: the collector does it while elevations wait on
    the API, and only the groups fetched afterwards (local admins groups) are left for the end.
    """

    def __init__(self, directory: Directory, run_id: str) -> None:
        self.directory = directory
        self.run_id = run_id
        self.flat: dict[str, list[FlatMember]] = {}
        self.rows: list[tables.GroupMember] = []
        self._via = PathNames(directory)
        self._who: dict[MemberRef, tuple[str, str, bool]] = {}  # member -> (name, type, active), looked up once
        self._missing: set[str] = set()  # groups reached by a flattened group but not fetched (yet)

    def add(self, group_ids: set[str]) -> None:
        """Flatten the groups not flattened yet, and again those flattened while a group they reach was missing (its
        members could not be read then and have been read since)."""
        d = self.directory
        arrived = self._missing & set(d.members)
        if arrived:
            stale = {g for g in self.flat if reachable_groups({g}, d.members) & arrived}
            for g in stale:
                del self.flat[g]
            self.rows = [r for r in self.rows if r.group_id not in stale]
        new = flatten_all(d, group_ids - set(self.flat))
        self.flat.update(new)
        self._missing = (self._missing | reachable_groups(set(new), d.members)) - set(d.members)
        for gid, members in new.items():
            group_name = d.groups[gid].name if gid in d.groups else gid
            for fm in members:
                name, kind, active = self._member(fm.member)
                self.rows.append(
                    tables.GroupMember(
                        gid, group_name, fm.member.id, name, kind, active, fm.depth, self._via(fm.path), self.run_id
                    )
                )

    def release(self) -> None:
        """Free the flattening and the lookups once the snapshot's rows are built (the rows stay)."""
        self.flat = {}
        self._via = PathNames(self.directory)
        self._who.clear()

    def _member(self, m: MemberRef) -> tuple[str, str, bool]:
        if m not in self._who:
            try:
                p = self.directory.get(m.kind, m.id, "group membership")
                self._who[m] = (p.name, _TYPE[m.kind], p.active)
            except UnknownPrincipalError:
                self._who[m] = (f"<unknown {m.kind} {m.id}>", _TYPE[m.kind], False)
        return self._who[m]
