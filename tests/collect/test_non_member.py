"""Least privilege against the local account (issue 28, part A): however a workspace refuses the collector, it is
recognised; a member is never elevated; a non-member is elevated to USER, to ADMIN only where USER is proven not
enough; a network refusal or a bad answer is `unreachable` and never elevated. Every run leaves the account's
assignments exactly as it found them, and the views are checked identity by identity against the oracle.

The scenarios are the example account (sp0: no member of federated 1001, USER on federated 1003, onboarded on
non-federated 1002) with one change each (tests/data/scenarios/v3-*.json).
"""

from __future__ import annotations

import json

import pytest

from flow import (
    account_writes,
    assignments_key,
    check_admin_views,
    flow,
    fresh_schema,
    initial_assignments,
    load,
    with_changes,
)
from rls import exitcodes
from rls_local.scenario import parse_scenario


def _outcomes(result) -> dict[int, str]:
    return {w.workspace_id: w.outcome for w in result.collect.workspaces}


def _no_write(result) -> None:
    """Nothing but reads and OAuth token requests reached the account (the request log keeps every write)."""
    writes = [r for r in result.emulator_state["requests"] if r["method"] != "GET" and "/oidc/" not in r["path"]]
    assert writes == []


@pytest.mark.parametrize(
    ("name", "refusal"),
    [("v3-non-member-401", "/ws/1001/api/"), ("v3-non-member-token-error", "/ws/1001/oidc/v1/token")],
)
def test_a_non_member_answered_by_401_or_the_token_endpoint_is_elevated_to_user(warehouse, tmp_path, name, refusal):
    s = load(name)
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    # The refusal came the way the scenario says, and was understood as "not a member".
    assert [r for r in result.emulator_state["requests"] if r["path"].startswith(refusal) and r["status"] == 401]
    assert account_writes(result) == [("PUT", "1001", ["USER"]), ("DELETE", "1001", None)]
    assert result.collect.elevated_to == {1001: "USER"}
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)
    check_admin_views(warehouse, s, result.cfg)


def test_a_member_that_is_no_admin_is_never_elevated(warehouse, tmp_path):
    s = load("v3-member-not-admin")  # sp0 is in "analysts" (USER on 1001) and USER on 1003: a member everywhere
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    assert result.collect.elevations == [] and not any(w.elevated for w in result.collect.workspaces)
    _no_write(result)
    ledger = tmp_path / "elevation-ledger"  # the run's lease files only: no elevation was recorded
    assert all(p.name.startswith("lease__") for p in ledger.iterdir()) if ledger.exists() else True
    check_admin_views(warehouse, s, result.cfg)


def test_private_link_and_ip_access_list_refusals_are_unreachable_and_never_elevated(warehouse, tmp_path):
    s = load("v3-unreachable")  # 1001 (no member there) behind Private Link, 1003 (a member) behind an IP ACL
    result = flow(warehouse, s, tmp_path, fresh_schema())
    outcomes = _outcomes(result)
    assert (outcomes[1001], outcomes[1003], outcomes[1002]) == ("unreachable", "unreachable", "collected")
    why = {w.workspace_id: w.error for w in result.collect.workspaces}
    assert "Private Link" in why[1001] and "IP access list" in why[1003], why
    assert result.collect.exit_code == exitcodes.PARTIAL  # reported, the others collected
    assert result.collect.elevations == []
    _no_write(result)
    check_admin_views(warehouse, s, result.cfg, collected={1002})


def test_admin_only_where_the_list_of_groups_hides_members_and_the_ledger_says_why(
    warehouse, tmp_path, example_scenario
):
    doc = example_scenario.to_json()
    for w in doc["workspaces"]:
        if w["workspace_id"] in (1001, 1003):
            w["list_members_for"] = "admins"  # a non-admin member gets the groups without their members
    s = parse_scenario(doc)
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    writes = account_writes(result)
    # 1001 (no member): USER first, raised to ADMIN once the list proved USER not enough, then deleted.
    assert [w for w in writes if w[1] == "1001"] == [
        ("PUT", "1001", ["USER"]),
        ("PUT", "1001", ["ADMIN"]),
        ("DELETE", "1001", None),
    ]
    # 1003 (USER already): straight to ADMIN, then USER back.
    assert [w for w in writes if w[1] == "1003"] == [("PUT", "1003", ["ADMIN"]), ("PUT", "1003", ["USER"])]
    assert result.collect.elevated_to == {1001: "ADMIN", 1003: "ADMIN"}
    notes = result.collect.notes
    assert any(n.startswith("workspace 1003: elevated to ADMIN: ") and "without their members" in n for n in notes)
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)
    files = [p for p in (tmp_path / "elevation-ledger").iterdir() if not p.name.startswith("lease__")]
    ledger = {f"{p.name.split('__')[1]}:{p.name.split('__')[3]}": json.loads(p.read_text()) for p in files}
    assert ledger["1001:elevate.json"]["set_to"] == ["USER"] and "not a member" in ledger["1001:elevate.json"]["reason"]
    assert "without their members" in ledger["1001:raised.json"]["reason"]
    assert ledger["1003:elevate.json"]["set_to"] == ["ADMIN"] and ledger["1003:elevate.json"]["previous"] == ["USER"]
    assert {"1001:restored.json", "1003:restored.json"} <= set(ledger)
    check_admin_views(warehouse, s, result.cfg)


def test_bad_answers_are_unreachable_and_nothing_is_elevated(warehouse, tmp_path, example_scenario):
    s = with_changes(
        example_scenario,
        faults=[
            # 1001 (no member: would be elevated) answers 500 past the retries
            {"workspace_id": 1001, "path_contains": "preview/scim/v2/Groups", "status": 500},
            # 1003 answers a SCIM body that is not JSON
            {"workspace_id": 1003, "path_contains": "preview/scim/v2/Groups", "status": 200, "body": "<html>"},
            # 1002 answers an error nobody documents
            {"workspace_id": 1002, "path_contains": "preview/scim/v2/Groups", "status": 418},
        ],
    )
    result = flow(warehouse, s, tmp_path, fresh_schema(), overrides={"collect.retry_timeout_s": 2.0})
    outcomes = _outcomes(result)
    assert {w: outcomes[w] for w in (1001, 1002, 1003)} == dict.fromkeys((1001, 1002, 1003), "unreachable")
    running = [w for w in result.collect.workspaces if w.workspace_id != 1004]
    assert all(w.error and w.error.startswith("unreachable: ") for w in running), running
    assert result.collect.exit_code == exitcodes.PARTIAL
    assert result.collect.elevations == []
    _no_write(result)
    check_admin_views(warehouse, s, result.cfg, collected=set())
