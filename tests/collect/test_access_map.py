"""The access map the views read: one row per way in (assignment, local admins member), never a flattened member.

Expected rows come from the scenario file (tests/oracle.py's reading of the spec), not from the collector's code.
"""

from __future__ import annotations

import pytest

import oracle
from flow import collected_once, load
from rls import exitcodes, tables
from rls.sql import quote_name
from rls_local.scenario import Scenario, parse_scenario
from rls_local.scenario_gen import generate

SCENARIOS = {
    "example": lambda: load("example"),
    "tricky": lambda: load("tricky"),
    "generated-7": lambda: parse_scenario(generate(7, workspaces=8, users=30, groups=12, max_depth=6)),
}


def _way(s: Scenario, ref, wid: int, level: str, source: str) -> tuple | None:
    if ref.type == "group":
        return (wid, level, None, s.group(ref.id).display_name, "GROUP", source)
    if ref.type == "user":
        u = s.user(ref.id)
        return (wid, level, u.user_name, None, "USER", source) if u.active else None
    sp = s.service_principal(ref.id)
    return (wid, level, sp.application_id, None, "SERVICE_PRINCIPAL", source) if sp.active else None


def expected_ways_in(s: Scenario) -> set[tuple]:
    """(workspace, level, user_name, group_name, type, source) per assignment and local admins member of every
    collectable workspace; a local admin also assigned ADMIN on the account is recorded once, as direct."""
    collected = oracle.collectable(s)
    out: set[tuple] = set()
    assigned_admin: set[tuple[int, str, str]] = set()
    for a in s.assignments:
        if a.workspace_id in collected:
            level = "ADMIN" if "ADMIN" in a.permissions else "USER"
            if level == "ADMIN":
                assigned_admin.add((a.workspace_id, a.principal.type, a.principal.id))
            if (way := _way(s, a.principal, a.workspace_id, level, "direct")) is not None:
                out.add(way)
    for wid, refs in s.workspace_local_admins.items():
        for ref in refs:
            if wid not in collected or (wid, ref.type, ref.id) in assigned_admin:
                continue
            if (way := _way(s, ref, wid, "ADMIN", "local-admins")) is not None:
                out.add(way)
    return out


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_access_map_holds_each_way_in_once_and_no_flattened_member(warehouse, tmp_path_factory, name) -> None:
    # the run tests/collect/test_collector_e2e.py checks the views of (the same accounts, the same settings)
    s, result = collected_once(warehouse, tmp_path_factory, SCENARIOS[name]())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    rows = warehouse.fetch(
        "SELECT workspace_id, permission, user_name, group_name, principal_type, source, group_id "
        f"FROM {quote_name(*result.cfg.table(tables.ACCESS_MAP))}"
    )
    got = [
        (r["workspace_id"], r["permission"], r["user_name"], r["group_name"], r["principal_type"], r["source"])
        for r in rows
    ]
    assert sorted(got, key=str) == sorted(expected_ways_in(s), key=str)  # as many rows as ways in: no duplicate
    # every group row carries its account id (what the reporting tables are expanded from), one id per group
    ids = {(r["group_name"], r["group_id"]) for r in rows if r["group_name"] is not None}
    assert all(gid for _, gid in ids) and len(ids) == len({name for name, _ in ids})
    assert all(r["group_id"] is None for r in rows if r["group_name"] is None)
