"""From what was read to the rows of the snapshot tables (pure computation over the collector's reads)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rls import tables
from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION, LocalWay, ways_in
from rls.model.directory import (
    GROUP,
    PRINCIPAL_TYPE,
    SERVICE_PRINCIPAL,
    USER,
    Directory,
    MemberRef,
    UnknownPrincipalError,
)
from rls.model.memberships import reachable_groups

if TYPE_CHECKING:
    from rls.collect.workspace_reads import WorkspaceState
    from rls.model.access import WorkspaceInfo


@dataclass
class Snapshot:
    """What the driver writes: API answers, one row per way in or per edge. The reporting tables that grow with
    the members of groups are expanded from these by the SQL engine (:mod:`rls.tables.expand`)."""

    access_map: list[tables.AccessMapRow]
    perms: list[tables.WorkspacePerms]  # each workspace's own row; its admins/users lists are filled by the expansion
    edges: list[tables.GroupEdge]
    runs: list[tables.WorkspaceRun]
    principals: list[tables.PrincipalRow] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)  # local groups that could not be resolved

    @property
    def admin_ways(self) -> int:
        return sum(1 for r in self.access_map if r.permission == ADMIN_PERMISSION)

    def mark_kept(self, kept: dict[str, list[Any]]) -> list[tables.WorkspaceRun]:
        """Report, for each workspace not collected now, how many ways in of the last snapshot it keeps."""
        ways = Counter((r.workspace_id, r.permission) for r in kept[tables.ACCESS_MAP])
        out = []
        for r in self.runs:
            admins, users = ways[(r.workspace_id, ADMIN_PERMISSION)], ways[(r.workspace_id, USER_PERMISSION)]
            if r.outcome != "collected" and (admins or users):
                note = f"kept {admins} admin and {users} user assignments of the last run"
                r = dataclasses.replace(r, admins=admins, users=users, error=f"{r.error}; {note}" if r.error else note)
            out.append(r)
        return out


def build_snapshot(
    run_id: str,
    directory: Directory,
    calls: Mapping[int, int],
    workspaces: list[WorkspaceInfo],
    running: list[WorkspaceState],
    failed_groups: dict[str, str],
) -> Snapshot:
    """``calls``: API calls made per workspace (for the run report)."""
    now = dt.datetime.now(dt.UTC)
    d = directory
    access_map: list[tables.AccessMapRow] = []
    perms: list[tables.WorkspacePerms] = []
    runs: list[tables.WorkspaceRun] = []
    notes: list[str] = []
    for w in running:
        if not w.error:
            broken = sorted(reachable_groups(w.groups_named(), d.members) & set(failed_groups))
            if broken:
                w.error = (
                    f"group {d.groups[broken[0]].name if broken[0] in d.groups else broken[0]} could not be "
                    f"read: {failed_groups[broken[0]]}"
                )
        ways = None
        if not w.error:
            local, problems = _known(w.local_groups.ways, d, w.info.workspace_id)
            problems = w.local_groups.problems + problems
            try:
                # the collector's temporary admin right was filtered out when it was read
                ways = ways_in(w.info, w.grants, w.local_admins, d, run_id=run_id, collected_at=now, local_ways=local)
            except UnknownPrincipalError as e:
                w.error = str(e)
        wid = w.info.workspace_id
        if w.would_elevate:
            runs.append(_run(w, "would-elevate", 0, 0, 0, calls[wid]))
        elif w.not_onboarded:
            runs.append(_run(w, "not-onboarded", 0, 0, 0, calls[wid]))
        elif w.unreachable:
            runs.append(_run(w, "unreachable", 0, 0, 0, calls[wid]))
        elif ways is None:
            runs.append(_run(w, "failed", 0, 0, 0, calls[wid]))
        else:
            access_map += ways
            perms.append(_perms(w, run_id, now, problems))
            notes += problems
            admins = sum(1 for r in ways if r.permission == ADMIN_PERMISSION)
            run = _run(w, "collected", admins, len(ways) - admins, len(w.catalogs), calls[wid])
            # collected all the same: the local groups it could not resolve are the workspace's note
            runs.append(dataclasses.replace(run, error="; ".join(problems)) if problems else run)
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
    return Snapshot(access_map, perms, group_edges(d, run_id), runs, principal_rows(d), notes)


def group_edges(d: Directory, run_id: str) -> list[tables.GroupEdge]:
    """The direct members of every fetched group (a member the listing lacks is kept, named, and inactive)."""
    who: dict[MemberRef, tuple[str, str, bool]] = {}

    def member(m: MemberRef) -> tuple[str, str, bool]:
        if m not in who:
            try:
                p = d.get(m.kind, m.id, "group membership")
                who[m] = (p.name, PRINCIPAL_TYPE[m.kind], p.active)
            except UnknownPrincipalError:
                who[m] = (f"<unknown {m.kind} {m.id}>", PRINCIPAL_TYPE[m.kind], False)
        return who[m]

    out = []
    for gid, members in d.members.items():
        group_name = d.groups[gid].name if gid in d.groups else gid
        for m in members:
            name, kind, active = member(m)
            out.append(tables.GroupEdge(gid, group_name, m.id, name, kind, active, run_id))
    return out


def principal_rows(d: Directory) -> list[tables.PrincipalRow]:
    """The id -> identity map of every listed principal: system tables that hold principal ids (lakeflow.jobs.run_as,
    creator_id) are matched to current_user() through it (the account SCIM id is the principal id)."""
    out = []
    for kind, by_id in ((USER, d.users), (SERVICE_PRINCIPAL, d.service_principals), (GROUP, d.groups)):
        out += [tables.PrincipalRow(p.id, PRINCIPAL_TYPE[kind], p.name, p.active) for p in by_id.values()]
    return out


def _run(w: WorkspaceState, outcome: str, admins: int, users: int, catalogs: int, calls: int) -> tables.WorkspaceRun:
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


def _known(ways: list[LocalWay], d: Directory, workspace_id: int) -> tuple[list[LocalWay], list[str]]:
    """Members reached through local groups that the account's listing has; the others are reported, not fatal."""
    known, problems = [], []
    for way in ways:
        try:
            d.get(way.member.kind, way.member.id, "")
            known.append(way)
        except UnknownPrincipalError:
            problems.append(
                f"workspace {workspace_id}: local group admins > {way.via} lists {way.member.kind.replace('_', ' ')} "
                f"{way.member.id}, which the account SCIM listing does not have; not counted"
            )
    return known, problems


def _perms(w: WorkspaceState, run_id: str, now: dt.datetime, problems: list[str]) -> tables.WorkspacePerms:
    i = w.info
    return tables.WorkspacePerms(
        i.workspace_id,
        i.workspace_name,
        i.deployment_name,
        i.url,
        i.status,
        i.cloud,
        i.region,
        w.federated,
        [],
        [],
        [tables.CatalogEntry(n, o) for n, o in w.catalogs],
        run_id,
        now,
        problems,
    )
