"""What the collector would write for a scenario, built without the API: the direct group edges and the ways in.

For the model's tests and the expansion benchmark, which exercise the SQL expansion on accounts whose API reads would
take minutes. The collector builds the same rows from the API's answers (:mod:`rls.collect.rows`,
:func:`rls.model.access.ways_in`); this only stands in for those reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rls import tables
from rls.collect.rows import group_edges
from rls.collect.workspace_groups import ListedGroup, split_admins
from rls.model.access import Grant, WorkspaceInfo, ways_in
from rls.model.directory import GROUP, Directory, MemberRef, Principal
from rls_local.scenario import WORKSPACE_GROUP, PrincipalRef, Scenario


def directory_of(s: Scenario) -> Directory:
    d = Directory()
    d.users = {u.id: Principal("user", u.id, u.user_name, u.active) for u in s.users}
    d.service_principals = {
        p.id: Principal("service_principal", p.id, p.application_id, p.active) for p in s.service_principals
    }
    d.groups = {g.id: Principal("group", g.id, g.display_name) for g in s.groups}
    d.members = {g.id: [MemberRef(m.type, m.id) for m in g.members] for g in s.groups}
    return d


def collector_rows(
    s: Scenario, workspace_ids: Iterable[int], run_id: str, collected_at: dt.datetime
) -> tuple[list[tables.GroupEdge], list[tables.AccessMapRow]]:
    """The direct edges of every group and the ways into the workspaces ``workspace_ids`` (those the collector read)."""
    d = directory_of(s)
    read = set(workspace_ids)
    ways: list[tables.AccessMapRow] = []
    for w in s.workspaces:
        if w.workspace_id not in read:
            continue
        grants = [
            Grant(MemberRef(a.principal.type, a.principal.id), a.permissions)
            for a in s.assignments
            if a.workspace_id == w.workspace_id
        ]
        # Principals assigned ADMIN through the account are left out of the admins group by the collector (recorded
        # as direct), so only the workspace's own additions are passed here.
        assigned = {g.principal for g in grants if "ADMIN" in g.permissions}
        local = [_ref(r) for r in s.workspace_local_admins.get(w.workspace_id, [])]
        direct, through_local = split_admins(local, _local_groups(s, w.workspace_id), w.workspace_id)
        info = WorkspaceInfo(w.workspace_id, w.workspace_name, w.deployment_name, "RUNNING", "https://x")
        ways += ways_in(
            info,
            grants,
            [m for m in direct if m not in assigned],
            d,
            run_id=run_id,
            collected_at=collected_at,
            local_ways=through_local.ways,
        )
    return group_edges(d, run_id), ways


def _ref(r: PrincipalRef) -> MemberRef:
    # A local group is a `Groups/<id>` member in the API, told apart by the listing: here by a prefix on its id.
    return MemberRef(GROUP, f"local:{r.id}") if r.type == WORKSPACE_GROUP else MemberRef(r.type, r.id)


def _local_groups(s: Scenario, workspace_id: int) -> dict[str, ListedGroup]:
    """The workspace's local groups as its SCIM list gives them (:func:`rls.collect.workspace_groups.split_admins`)."""
    return {
        f"local:{g.id}": ListedGroup(f"local:{g.id}", g.display_name, True, tuple(_ref(m) for m in g.members))
        for g in s.workspace_local_groups.get(workspace_id, ())
    }
