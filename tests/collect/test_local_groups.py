"""Workspace-local groups nested in `admins` (scenario v3), end to end: the real SDK against the emulator, the real
tables and views on local Spark, every view checked identity by identity against tests/oracle.py.

Scenario tests/data/scenarios/local_groups.json: on 3001 `admins` holds the local group legacy-ops, which holds
night-shift, which holds deep-bench, which holds legacy-ops again (a cycle, depth 3), with a mixed-case user, a
service principal, an inactive user; on 3002 (not identity-federated) the collector is onboarded through a local
group; on 3003 a local group two deep. An ISOLATED catalog is bound to 3003 only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import oracle
from flow import admins_by_user_name, flow, fresh_schema, load, visible
from rls import tables
from rls.explain import explain
from rls.publish import STATIC_TABLES
from rls.sql import quote_name
from rls_local.emulator.ids import PrincipalIds, local_group_id, workspace_group_id
from rls_local.scenario import PrincipalRef, parse_scenario
from rls_local.warehouse import install_platform

SCENARIO = load("local_groups")


@pytest.fixture(scope="module")
def collected(warehouse, example_scenario, tmp_path_factory) -> Iterator[Any]:
    overrides = {"publish.include": sorted(STATIC_TABLES)}  # every view the issue names, checked below
    result = flow(warehouse, SCENARIO, tmp_path_factory.mktemp("local"), fresh_schema("local"), overrides=overrides)
    assert result.collect.exit_code == 0, result.collect.as_dict()
    assert result.publish.exit_code == 0
    yield result
    install_platform(warehouse, example_scenario)


def test_the_oracle_reads_local_groups_at_any_depth() -> None:
    admin = oracle.admin_workspaces(SCENARIO)
    assert admin["deep@corp.com"] == {3001, 3002}  # depth 3 through the cycle; directly in 3002's admins
    assert admin["mixed.case@corp.com"] == {3001}
    assert admin["abcdef01-2345-6789-abcd-ef0123456789"] == {3001}  # the service principal, lower-cased
    assert admin["plain@corp.com"] == {3003}  # USER on 3001 does not count; lab-admins > lab-leads on 3003
    assert admin["gone@corp.com"] == set() and admin["outsider@corp.com"] == set()  # inactive; a group not in admins
    assert oracle.collectable(SCENARIO) == {3001, 3002, 3003}  # 3002 only through the local group `onboarding`


def test_every_view_shows_each_identity_exactly_its_admin_workspaces(warehouse, collected) -> None:
    cfg = collected.cfg
    views = [r.view.rsplit(".", 1)[1] for r in collected.publish.results if r.status == "created"]
    assert len(views) == len(STATIC_TABLES)
    union = " UNION ALL ".join(
        f"SELECT {i} AS v, workspace_id AS w FROM {quote_name(cfg.catalog, cfg.schema, v)}" for i, v in enumerate(views)
    )
    case = oracle.original_case(SCENARIO)
    expected = oracle.admin_workspaces(SCENARIO)
    for ident, wids in expected.items():
        with warehouse.as_identity(case[ident]):
            rows = warehouse.fetch(f"SELECT DISTINCT v, w FROM ({union})")
        seen = {v: {r["w"] for r in rows if r["v"] == i} for i, v in enumerate(views)}
        assert seen == {v: {str(w) for w in wids} for v in views}, ident
    # current_user() in another case than the SCIM listing is still the same person (one view is enough)
    for ident in ("mixed.case@corp.com", "abcdef01-2345-6789-abcd-ef0123456789", "deep@corp.com"):
        assert visible(warehouse, cfg, views[0], case[ident].swapcase()) == {str(w) for w in expected[ident]}
    # the current_user() path alone is exact: local-group members are rows of their own
    assert admins_by_user_name(warehouse, cfg) == {i: ws for i, ws in oracle.admin_workspaces(SCENARIO).items() if ws}


def test_local_group_members_carry_the_chain_and_explain_names_it(warehouse, collected) -> None:
    cfg = collected.cfg
    rows = warehouse.fetch(
        f"SELECT user_name, source, via, group_name FROM {quote_name(cfg.catalog, cfg.schema, tables.ADMINS)} "
        f"WHERE workspace_id = 3001 AND source = '{tables.LOCAL_ADMINS}'"
    )
    by_user = {r["user_name"].lower(): r for r in rows}
    assert by_user["deep@corp.com"]["via"] == "legacy-ops > night-shift > deep-bench"
    assert by_user["abcdef01-2345-6789-abcd-ef0123456789"]["via"] == "legacy-ops > night-shift"
    assert by_user["mixed.case@corp.com"]["via"] == "legacy-ops"
    assert len(rows) == 3 and {r["group_name"] for r in rows} == {None}  # no group row: the platform cannot see them
    assert "gone@corp.com" not in by_user  # inactive
    e = explain(warehouse, cfg, "DEEP@corp.com")
    assert sorted(e.visible) == [3001, 3002]
    (reason,) = next(w for w in e.workspaces if w.workspace_id == 3001).reasons
    assert reason.chain == ("deep-bench", "night-shift", "legacy-ops")
    text = "\n".join(e.lines())
    assert "DEEP@corp.com → deep-bench → night-shift → legacy-ops → local admins group of 3001" in text
    assert json.dumps(e.as_dict())


def test_an_isolated_catalog_shows_on_exactly_the_workspaces_it_is_bound_to(warehouse, collected) -> None:
    cfg = collected.cfg
    rows = warehouse.fetch(
        f"SELECT workspace_id, catalogs FROM {quote_name(cfg.catalog, cfg.schema, tables.PERMS)} ORDER BY workspace_id"
    )
    names = {r["workspace_id"]: sorted(c["name"] for c in r["catalogs"]) for r in rows}
    # hr is ISOLATED and bound to 3003; peek is visible to the collector through BROWSE only
    expected = {3001: ["main", "peek"], 3002: [], 3003: ["hr", "main", "peek"]}
    assert names == expected
    catalog_calls = [r["path"] for r in collected.emulator_state["requests"] if "unity-catalog/catalogs" in r["path"]]
    assert catalog_calls and all("include_unbound=true" in p and "include_browse=true" in p for p in catalog_calls)


def _unresolvable_listing() -> str:
    """The 3001 listing with a local group that names a group the workspace does not have, and one with a member of
    no known kind."""
    ids = PrincipalIds(SCENARIO)
    user = ids.id_of(PrincipalRef("user", "u1"))
    ops, silent = local_group_id(3001, "wg1"), local_group_id(3001, "wg4")

    def group(gid: str, name: str, members: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "id": gid,
            "displayName": name,
            "meta": {"resourceType": "WorkspaceGroup"},
            "members": [{"value": v, "$ref": f"{kind}/{v}"} for kind, v in members],
        }

    resources = [
        group(workspace_group_id(3001, "admins"), "admins", [("Groups", ops), ("Groups", silent)]),
        group(ops, "legacy-ops", [("Users", str(user)), ("Groups", "999")]),
        group(silent, "silent", [("Robots", "77")]),
    ]
    return json.dumps({"totalResults": 3, "startIndex": 1, "itemsPerPage": 3, "Resources": resources})


def test_an_unresolvable_local_group_is_reported_and_never_fails_the_workspace(warehouse, tmp_path) -> None:
    doc = SCENARIO.to_json()
    # The whole listing's first page is replaced (every time it is asked for); the page after it is empty.
    page = {"workspace_id": 3001, "method": "GET", "status": 200}
    # The filtered read of `admins` (as a member) gets the same page: only `admins` is taken from it.
    doc["faults"] = [
        {**page, "path_contains": "scim/v2/Groups?filter=", "body": _unresolvable_listing()},
        {**page, "path_contains": "scim/v2/Groups?attributes=id%2CdisplayName%2Cmembers%2Cmeta&startIndex=1&",
         "body": _unresolvable_listing()},
        {**page, "path_contains": "scim/v2/Groups?attributes=id%2CdisplayName%2Cmembers%2Cmeta&startIndex=4&",
         "body": json.dumps({"totalResults": 3, "startIndex": 4, "itemsPerPage": 0})},
    ]  # fmt: skip
    s = parse_scenario(doc)
    result = flow(warehouse, s, tmp_path, fresh_schema("local_bad"), publish=False)
    assert result.collect.exit_code == 0, result.collect.as_dict()
    outcomes = {w.workspace_id: w.outcome for w in result.collect.workspaces}
    assert outcomes == dict.fromkeys((3001, 3002, 3003), "collected")
    notes = [n for n in result.collect.notes if n.startswith("workspace 3001: local group")]
    assert len(notes) == 2 and any("admins > legacy-ops" in n and "999" in n for n in notes)
    assert any("admins > silent" in n and "malformed member" in n and "Robots/77" in n for n in notes)
    (run,) = [w for w in result.collect.workspaces if w.workspace_id == 3001]
    assert run.error == "; ".join(notes)  # the workspace's note in the run table and the printed report
    cfg = result.cfg
    # what could be resolved still counts: the user directly in legacy-ops
    assert 3001 in admins_by_user_name(warehouse, cfg)["mixed.case@corp.com"]
    e = explain(warehouse, cfg, "outsider@corp.com")
    assert sorted(e.unresolved) == sorted(notes) and any("admins > silent" in line for line in e.lines())
