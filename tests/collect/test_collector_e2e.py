"""The collector end to end: real SDK over HTTP to the emulator, real tables and views on local Spark.

Every expectation comes from tests/oracle.py (computed from the scenario file), never from the code under test.
"""

from __future__ import annotations

import json

import pytest

import oracle
from flow import (
    admins_by_user_name,
    assignments_key,
    collected_once,
    flow,
    fresh_schema,
    initial_assignments,
    load,
    visible,
)
from rls import exitcodes, tables
from rls.runoptions import RunOptions
from rls.sql import quote_name
from rls_local.scenario import parse_scenario
from rls_local.scenario_gen import generate

VIEW = "vw_system_access_audit"


def _expect(s, collected=None) -> dict[str, set[str]]:
    return {i: {str(w) for w in ws} for i, ws in oracle.admin_workspaces(s, collected=collected).items()}


def _check_views(warehouse, s, cfg, collected=None) -> None:
    expected = _expect(s, collected)
    case = oracle.original_case(s)
    for ident, wids in expected.items():
        assert visible(warehouse, cfg, VIEW, case[ident]) == wids, ident
    # current_user() may come back in another case than the SCIM listing: still the same person.
    for ident in list(expected)[:3]:
        assert visible(warehouse, cfg, VIEW, case[ident].upper()) == expected[ident]


SCENARIOS = {
    "example": lambda: load("example"),
    "tricky": lambda: load("tricky"),
    "generated-7": lambda: parse_scenario(generate(7, workspaces=8, users=30, groups=12, max_depth=6)),
    "generated-21": lambda: parse_scenario(generate(21, workspaces=8, users=30, groups=12, max_depth=10)),
}


@pytest.fixture(scope="module")
def collected(warehouse, tmp_path_factory):
    """``collected(name)`` -> (scenario, flow result): each account collected and published once for the session
    (tests/collect/test_access_map.py reads the same runs), is_account_group_member answering for it."""
    return lambda name: collected_once(warehouse, tmp_path_factory, SCENARIOS[name]())


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_views_show_each_identity_exactly_its_admin_workspaces(warehouse, collected, name) -> None:
    s, result = collected(name)
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    _check_views(warehouse, s, result.cfg)
    # The current_user() path alone (without is_account_group_member) is already exact.
    assert admins_by_user_name(warehouse, result.cfg) == {i: ws for i, ws in oracle.admin_workspaces(s).items() if ws}
    # The account is left exactly as found.
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)


def test_elevation_restores_the_previous_assignment_exactly(warehouse, tmp_path) -> None:
    doc = load("tricky").to_json()
    # The collector is USER on 2001, so a member: there it needs ADMIN only where the list of groups hides members.
    next(w for w in doc["workspaces"] if w["workspace_id"] == 2001)["list_members_for"] = "admins"
    s = parse_scenario(doc)
    result = flow(warehouse, s, tmp_path, fresh_schema())
    collector_id = str(_principal_id(result, s))
    writes = [
        r
        for r in result.emulator_state["requests"]
        if r["method"] in ("PUT", "DELETE") and r["path"].endswith(f"/principals/{collector_id}")
    ]
    by_ws: dict[str, list[str]] = {}
    for r in writes:
        by_ws.setdefault(r["path"].split("/workspaces/")[1].split("/")[0], []).append(r["method"])
    # 2001: collector was USER, the list hides members -> PUT ADMIN, PUT USER back. 2003: nothing -> PUT USER,
    # DELETE. 2006: admin through a group -> never elevated. 2002/2005 are not identity-federated: never written to
    # (onboarded on 2002 only).
    assert by_ws == {"2001": ["PUT", "PUT"], "2003": ["PUT", "DELETE"]}
    assert sorted(result.collect.elevations) == [2001, 2003]
    assert result.collect.elevated_to == {2001: "ADMIN", 2003: "USER"}
    bodies = {(r["path"].split("/workspaces/")[1].split("/")[0], r["method"], r["body"]) for r in writes}
    assert {(w, m, json.loads(b)["permissions"][0] if m == "PUT" else None) for w, m, b in bodies} == {
        ("2001", "PUT", "ADMIN"),
        ("2001", "PUT", "USER"),
        ("2003", "PUT", "USER"),
        ("2003", "DELETE", None),
    }
    admins = warehouse.fetch(
        f"SELECT user_name, source FROM {quote_name(result.cfg.catalog, result.cfg.schema, tables.ADMINS)} "
        f"WHERE lower(user_name) = lower('{s.collector_identity}')"
    )
    # only its real rights: through a group on 2006, and as a member of 2002's own admins group (its onboarding)
    assert sorted(admins, key=lambda r: r["source"]) == [
        {"user_name": s.collector_identity, "source": tables.VIA_GROUP},
        {"user_name": s.collector_identity, "source": tables.LOCAL_ADMINS},
    ]


def _principal_id(result, s) -> int:
    # The numeric id the API uses for the collector, as seen in its own assignment listing.
    for r in result.emulator_state["requests"]:
        if r["method"] == "PUT":
            return int(r["path"].rsplit("/", 1)[1])
    raise AssertionError("no elevation happened")


def test_dry_run_elevates_nothing_and_writes_nothing(warehouse, tmp_path) -> None:
    s = load("tricky")
    schema = fresh_schema()
    result = flow(warehouse, s, tmp_path, schema, options=RunOptions(dry_run=True))
    # 2001: the collector is USER there, a member, so it reads the list itself; 2003: no member, would be USER.
    assert result.collect.dry_run and sorted(result.collect.elevations) == [2003]
    assert result.collect.elevated_to == {2003: "USER"}
    # nothing but reads and OAuth token requests (a POST that changes nothing on the account)
    assert not [r for r in result.emulator_state["requests"] if r["method"] != "GET" and "/oidc/" not in r["path"]]
    assert not warehouse.table_exists(quote_name(result.cfg.catalog, schema, tables.ADMINS))
    assert not (tmp_path / "elevation-ledger").exists()
    assert {w.workspace_id for w in result.collect.workspaces if w.outcome == "would-elevate"} == {2003}


def test_views_of_every_schema_filter_by_the_oracle(warehouse, tmp_path) -> None:
    # One table per system schema (tests/publish covers all 18 views on a hand-made account).
    tables = [
        "access.audit",
        "billing.usage",
        "compute.clusters",
        "lakeflow.jobs",
        "query.history",
        "serving.served_entities",
        "storage.predictive_optimization_operations_history",
    ]
    s = load("tricky")
    result = flow(warehouse, s, tmp_path, fresh_schema(), overrides={"publish.include": tables})
    views = [r.view.rsplit(".", 1)[1] for r in result.publish.results if r.status == "created"]
    assert len(views) == len(tables)
    union = " UNION ALL ".join(
        f"SELECT '{v}' AS v, workspace_id AS w FROM {quote_name(result.cfg.catalog, result.cfg.schema, v)}"
        for v in views
    )
    case = oracle.original_case(s)
    for ident, wids in oracle.admin_workspaces(s).items():
        with warehouse.as_identity(case[ident]):
            rows = warehouse.fetch(f"SELECT DISTINCT v, w FROM ({union})")
        seen = {v: {r["w"] for r in rows if r["v"] == v} for v in views}
        assert seen == {v: {str(w) for w in wids} for v in views}, ident
