"""The model against the oracle: the ways in (pure Python) and their expansion by the SQL engine (local Spark).

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
from flow import fresh_schema
from rls import tables
from rls.model.access import Grant, WorkspaceInfo, ways_in
from rls.model.directory import MemberRef
from rls.tables.expand import Names, expand
from rls_local.collector_rows import collector_rows, directory_of
from rls_local.scenario import Scenario, load_scenario, parse_scenario
from rls_local.scenario_gen import generate

SCENARIOS = sorted((Path(__file__).parent.parent / "data" / "scenarios").glob("*.json"))
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def expand_scenario(warehouse, s: Scenario) -> Names:
    """The collector's rows for ``s`` written to a fresh schema and expanded there; returns its names."""
    edges, ways = collector_rows(s, oracle.collectable(s), "r", NOW)  # the other workspaces are not read at all
    names = Names("main", fresh_schema("expand"))
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS `main`.`{names.schema}`")
    warehouse.save_tables(
        [
            (names(tables.GROUP_EDGES), edges, tables.GroupEdge),
            (names.access_map_stage, ways, tables.AccessMapRow),
            (names.perms_base, [], tables.WorkspacePerms),
        ]
    )
    expand(warehouse, names, "r")
    return names


def by_identity(warehouse, names: Names, table: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for r in warehouse.fetch(
        f"SELECT lower(user_name) AS u, workspace_id AS w FROM {names(table)} WHERE user_name IS NOT NULL"
    ):
        out.setdefault(r["u"], set()).add(r["w"])
    return out


def nonempty(access: dict[str, set[int]]) -> dict[str, set[int]]:
    return {i: ws for i, ws in access.items() if ws}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_expanded_rows_match_oracle_and_users_never_leak_into_admins(warehouse, path: Path) -> None:
    s = load_scenario(path)
    names = expand_scenario(warehouse, s)
    assert by_identity(warehouse, names, tables.ADMINS) == nonempty(oracle.admin_workspaces(s))
    assert by_identity(warehouse, names, tables.USERS) == nonempty(oracle.access(s, "USER"))


# Each example is an expansion on Spark (~10 statements): 5 random accounts per run keep the module under a minute;
# the shipped scenarios and the hand-made cycle below are expanded on every run as well.
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), depth=st.integers(1, 10), cycles=st.booleans())
def test_random_accounts_match_oracle(warehouse, seed: int, depth: int, cycles: bool) -> None:
    s = parse_scenario(generate(seed, workspaces=6, users=25, groups=10, max_depth=depth, cycles=cycles))
    names = expand_scenario(warehouse, s)
    assert by_identity(warehouse, names, tables.ADMINS) == nonempty(oracle.admin_workspaces(s))
    assert by_identity(warehouse, names, tables.USERS) == nonempty(oracle.access(s, "USER"))


def _cycle_scenario() -> Scenario:
    s = load_scenario(SCENARIOS[0].parent / "tricky.json").to_json()
    users = [{"id": "cu1", "user_name": "one@corp.com"}, {"id": "cu2", "user_name": "two@corp.com"}]
    s["users"] = s["users"] + users
    s["groups"] = s["groups"] + [
        {
            "id": "ga",
            "display_name": "cyc-a",
            "members": [{"type": "group", "id": "gb"}, {"type": "user", "id": "cu1"}],
        },
        {"id": "gb", "display_name": "cyc-b", "members": [{"type": "group", "id": "gc"}]},
        {
            "id": "gc",
            "display_name": "cyc-c",
            "members": [{"type": "group", "id": "ga"}, {"type": "user", "id": "cu2"}, {"type": "user", "id": "cu1"}],
        },
    ]
    return parse_scenario(s)


def test_cycle_terminates_and_lists_each_member_once_at_its_shortest_depth(warehouse) -> None:
    names = expand_scenario(warehouse, _cycle_scenario())
    rows = warehouse.fetch(
        f"SELECT member_name, member_type, depth, path FROM {names(tables.GROUP_MEMBERS)} WHERE group_name = 'cyc-a'"
    )
    assert sorted((r["member_name"], r["member_type"]) for r in rows) == [
        ("cyc-b", "GROUP"),
        ("cyc-c", "GROUP"),
        ("one@corp.com", "USER"),
        ("two@corp.com", "USER"),
    ]
    by = {r["member_name"]: r for r in rows}
    assert (by["two@corp.com"]["depth"], by["two@corp.com"]["path"]) == (3, "cyc-a > cyc-b > cyc-c")
    assert by["one@corp.com"]["depth"] == 1  # shortest path wins


def test_group_rows_carry_the_assigned_group_and_members_their_chain(warehouse) -> None:
    s = load_scenario(SCENARIOS[0].parent / "tricky.json")
    names = expand_scenario(warehouse, s)
    rows = warehouse.fetch(f"SELECT * FROM {names(tables.ADMINS)} WHERE workspace_id = 2001")
    assert [(r["user_name"], r["group_name"]) for r in rows if r["principal_type"] == tables.GROUP] == [
        (None, "finance-admins")
    ]
    deep = next(r for r in rows if r["user_name"] == "deep@corp.com")
    assert (deep["source"], deep["via"]) == (tables.VIA_GROUP, "finance-admins > finance-leads > finance-core")


def test_an_elevated_collectors_real_user_assignment_stays_a_user_way_in() -> None:
    s = load_scenario(SCENARIOS[0].parent / "tricky.json")
    d = directory_of(s)
    me = MemberRef("service_principal", "sp0")
    info = WorkspaceInfo(2001, "finance", "adb", "RUNNING", "https://x")
    # Grants are read before the elevation: the collector's USER assignment there is real and stays a USER row.
    ways = ways_in(info, [Grant(me, ("USER",))], None, d, run_id="r", collected_at=NOW)
    assert [(r.user_name, r.permission) for r in ways] == [(s.collector_identity, "USER")]


class _FailsWriting:
    """The warehouse, except that writing ``table`` fails (as a lost cluster or a full disk would)."""

    def __init__(self, backend, table: str) -> None:
        self._backend, self._table = backend, table

    def save_query(self, full_name: str, sql: str) -> None:
        if full_name == self._table:
            raise RuntimeError(f"injected failure writing {full_name}")
        self._backend.save_query(full_name, sql)

    def __getattr__(self, name: str):
        return getattr(self._backend, name)


@pytest.mark.parametrize("failing", ["first-stage", "perms"])
def test_a_failed_expansion_leaves_every_reporting_table_on_the_previous_run(warehouse, failing: str) -> None:
    names = expand_scenario(warehouse, load_scenario(SCENARIOS[0].parent / "tricky.json"))  # run "r"
    reporting = (tables.GROUP_MEMBERS, tables.USERS, tables.ADMINS)
    before = {t: warehouse.fetch(f"SELECT * FROM {names(t)} ORDER BY ALL") for t in reporting}
    assert all(before.values())
    # "perms": the nested perms fail after flat, users and admins were computed for the new run "r2"
    target = names.stage(tables.GROUP_MEMBERS) if failing == "first-stage" else names(tables.PERMS)
    with pytest.raises(RuntimeError, match="injected"):
        expand(_FailsWriting(warehouse, target), names, "r2")
    for t, rows in before.items():
        assert warehouse.fetch(f"SELECT * FROM {names(t)} ORDER BY ALL") == rows, t
    assert not any(warehouse.table_exists(names.stage(t)) for t in reporting)
