"""The pure model against the oracle: effective ADMIN/USER rows computed from a scenario's data.

The scenario is handed to the model as the collector would read it (directory, grants, local admins); the
expected answer comes from tests/oracle.py, which shares no code with the model.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle
from rls import tables
from rls.model.access import Grant, WorkspaceInfo, effective_access
from rls.model.directory import Directory, MemberRef, Principal
from rls.model.memberships import flatten_all, flatten_group
from rls_local.scenario import Scenario, load_scenario, parse_scenario
from rls_local.scenario_gen import generate

SCENARIOS = sorted((Path(__file__).parent.parent / "data" / "scenarios").glob("*.json"))
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def directory_of(s: Scenario) -> Directory:
    d = Directory()
    d.users = {u.id: Principal("user", u.id, u.user_name, u.active) for u in s.users}
    d.service_principals = {
        p.id: Principal("service_principal", p.id, p.application_id, p.active) for p in s.service_principals
    }
    d.groups = {g.id: Principal("group", g.id, g.display_name) for g in s.groups}
    d.members = {g.id: [MemberRef(m.type, m.id) for m in g.members] for g in s.groups}
    return d


def model_access(s: Scenario) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """identity -> workspaces, for ADMIN rows and USER rows, from the user_name column only."""
    d = directory_of(s)
    flat = flatten_all(d, set(d.members))
    admins: dict[str, set[int]] = {i: set() for i in oracle.identities(s)}
    users: dict[str, set[int]] = {i: set() for i in oracle.identities(s)}
    collectable = oracle.collectable(s)  # the others are not read at all (not running, or not onboarded)
    for w in s.workspaces:
        if w.workspace_id not in collectable:
            continue
        grants = [
            Grant(MemberRef(a.principal.type, a.principal.id), a.permissions)
            for a in s.assignments
            if a.workspace_id == w.workspace_id
        ]
        # The admins group is read on every workspace; principals assigned ADMIN through the account are left out of
        # it by the collector (they are recorded as direct), so only the workspace's own additions are passed here.
        local = [MemberRef(r.type, r.id) for r in s.workspace_local_admins.get(w.workspace_id, [])]
        info = WorkspaceInfo(w.workspace_id, w.workspace_name, w.deployment_name, "RUNNING", "https://x")
        acc = effective_access(info, grants, local, d, flat, exclude=None, run_id="r", collected_at=NOW)
        for rows, out in ((acc.admins, admins), (acc.users, users)):
            for r in rows:
                if r.user_name is not None:
                    out[r.user_name.lower()].add(r.workspace_id)
    return admins, users


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_admin_rows_match_oracle(path: Path) -> None:
    s = load_scenario(path)
    admins, _ = model_access(s)
    assert admins == oracle.admin_workspaces(s)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_user_rows_match_oracle_and_never_leak_into_admins(path: Path) -> None:
    s = load_scenario(path)
    admins, users = model_access(s)
    assert users == oracle.access(s, "USER")
    # A principal whose only assignment is USER must not be an admin anywhere that assignment reaches.
    expected_admins = oracle.admin_workspaces(s)
    for ident, wids in admins.items():
        assert wids <= expected_admins[ident]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), depth=st.integers(1, 10), cycles=st.booleans())
def test_random_accounts_match_oracle(seed: int, depth: int, cycles: bool) -> None:
    s = parse_scenario(generate(seed, workspaces=6, users=25, groups=10, max_depth=depth, cycles=cycles))
    admins, users = model_access(s)
    assert admins == oracle.admin_workspaces(s)
    assert users == oracle.access(s, "USER")


def test_cycle_terminates_and_lists_each_member_once() -> None:
    members = {
        "a": [MemberRef("group", "b"), MemberRef("user", "1")],
        "b": [MemberRef("group", "c")],
        "c": [MemberRef("group", "a"), MemberRef("user", "2"), MemberRef("user", "1")],
    }
    flat = flatten_group("a", members)
    refs = [fm.member for fm in flat]
    assert len(refs) == len(set(refs))
    assert set(refs) == {
        MemberRef("group", "b"),
        MemberRef("group", "c"),
        MemberRef("user", "1"),
        MemberRef("user", "2"),
    }
    by = {fm.member: fm for fm in flat}
    assert by[MemberRef("user", "2")].path == ("a", "b", "c")
    assert by[MemberRef("user", "1")].depth == 1  # shortest path wins


def test_elevated_collector_is_not_recorded_but_group_membership_is() -> None:
    s = load_scenario(SCENARIOS[0].parent / "tricky.json")
    d = directory_of(s)
    flat = flatten_all(d, set(d.members))
    me = MemberRef("service_principal", "sp0")
    info = WorkspaceInfo(2002, "legacy-a", "adb", "RUNNING", "https://x")
    # The collector shows up in the local admins group because it elevated itself there.
    local = [MemberRef("group", "g5"), me]
    acc = effective_access(info, [Grant(me, ("ADMIN",))], local, d, flat, exclude=me, run_id="r", collected_at=NOW)
    assert s.collector_identity not in {r.user_name for r in acc.admins}
    assert "local@corp.com" in {r.user_name for r in acc.admins}
    # Through an assigned group it is a real admin and stays (workspace 2006).
    info6 = WorkspaceInfo(2006, "shared", "adb", "RUNNING", "https://x")
    acc6 = effective_access(
        info6, [Grant(MemberRef("group", "g6"), ("ADMIN",))], None, d, flat, exclude=me, run_id="r", collected_at=NOW
    )
    assert s.collector_identity in {r.user_name for r in acc6.admins}


def test_group_rows_carry_the_assigned_group_for_is_account_group_member() -> None:
    s = load_scenario(SCENARIOS[0].parent / "tricky.json")
    d = directory_of(s)
    flat = flatten_all(d, set(d.members))
    info = WorkspaceInfo(2001, "finance", "adb", "RUNNING", "https://x")
    acc = effective_access(
        info, [Grant(MemberRef("group", "g1"), ("ADMIN",))], None, d, flat, exclude=None, run_id="r", collected_at=NOW
    )
    group_rows = [r for r in acc.admins if r.principal_type == tables.GROUP]
    assert [(r.user_name, r.group_name) for r in group_rows] == [(None, "finance-admins")]
    deep = next(r for r in acc.admins if r.user_name == "deep@corp.com")
    assert (deep.source, deep.via) == (tables.VIA_GROUP, "finance-admins > finance-leads > finance-core")


def test_elevated_collector_keeps_its_real_user_assignment() -> None:
    s = load_scenario(SCENARIOS[0].parent / "tricky.json")
    d = directory_of(s)
    me = MemberRef("service_principal", "sp0")
    info = WorkspaceInfo(2001, "finance", "adb", "RUNNING", "https://x")
    # Grants are read before the elevation: the collector's USER assignment there is real and stays a USER row.
    acc = effective_access(info, [Grant(me, ("USER",))], None, d, {}, exclude=me, run_id="r", collected_at=NOW)
    assert [r.user_name for r in acc.users] == [s.collector_identity] and acc.admins == []
