"""The collector is polite to the account API: paced under the limits, clients built once, Retry-After honoured."""

from __future__ import annotations

from collections import Counter

import oracle
from flow import admins_by_user_name, flow, fresh_schema, load
from rls import exitcodes
from rls_local import scenario_gen
from rls_local.emulator import EmulatorOptions
from rls_local.scenario import parse_scenario

SERVER_LIMITS = {"scim_get": 4.0, "scim_list": 2.0, "write": 3.0, "workspace": 6.0, "other": 8.0}


def _statuses(result) -> Counter:
    return Counter(r["status"] for r in result.emulator_state["requests"] if "/.well-known/" not in r["path"])


def test_client_side_limits_under_the_servers_avoid_every_429(warehouse, tmp_path) -> None:
    s = load("tricky", faults=[])
    under = {family: rate * 0.8 for family, rate in SERVER_LIMITS.items()}
    result = flow(
        warehouse,
        s,
        tmp_path,
        fresh_schema(),
        emulator_options=EmulatorOptions(rate_limits=SERVER_LIMITS),
        overrides={"collect.rate_limits": under},
    )
    assert result.collect.exit_code == exitcodes.OK
    assert _statuses(result)[429] == 0
    assert admins_by_user_name(warehouse, result.cfg) == {i: w for i, w in oracle.admin_workspaces(s).items() if w}


def test_without_client_pacing_the_server_throttles_and_retry_after_still_gets_through(warehouse, tmp_path) -> None:
    s = load("tricky", faults=[])
    result = flow(warehouse, s, tmp_path, fresh_schema(), emulator_options=EmulatorOptions(rate_limits=SERVER_LIMITS))
    assert result.collect.exit_code == exitcodes.OK
    assert _statuses(result)[429] > 0  # the tests' default client limits are far above the server's
    assert admins_by_user_name(warehouse, result.cfg) == {i: w for i, w in oracle.admin_workspaces(s).items() if w}


def test_the_account_client_is_built_once_per_run(warehouse, tmp_path) -> None:
    s = load("tricky", faults=[])
    result = flow(warehouse, s, tmp_path, fresh_schema())
    # Building the account client probes host metadata and the account's OIDC discovery document, once; each
    # workspace client copies the account's config and only discovers its own token endpoint, once.
    probes = [r for r in result.emulator_state["requests"] if "/.well-known/" in r["path"]]
    account = [r["path"] for r in probes if not r["path"].startswith("/ws/")]
    assert sorted(account) == [
        "/.well-known/databricks-config",
        f"/oidc/accounts/{s.account_id}/.well-known/oauth-authorization-server",
    ]
    per_workspace = [r["path"].split("/")[2] for r in probes if r["path"].startswith("/ws/")]
    assert per_workspace and len(per_workspace) == len(set(per_workspace))
    assert all(
        r["path"].endswith("/oidc/.well-known/oauth-authorization-server")
        for r in probes
        if r["path"].startswith("/ws/")
    )
    assert sum(w.api_calls for w in result.collect.workspaces) > 10 * len(account)


def test_group_members_are_fetched_while_workspaces_are_still_read(warehouse, tmp_path) -> None:
    """The account SCIM GETs of group members (the family at the rate-limit floor) start as soon as a workspace
    names a group, not after the last workspace: a run costs about its slowest family, not the sum of its phases."""
    s = parse_scenario(scenario_gen.generate(11, workspaces=40, users=60, groups=30, max_depth=4))
    result = flow(
        warehouse,
        s,
        tmp_path,
        fresh_schema(),
        emulator_options=EmulatorOptions(latency_ms=(20, 40)),
        publish=False,
    )
    assert result.collect.exit_code == exitcodes.OK
    log = result.emulator_state["requests"]
    group_gets = [r["start"] for r in log if "/scim/v2/Groups/" in r["path"] and not r["path"].startswith("/ws/")]
    workspace_reads = [r["start"] for r in log if r["path"].endswith("/permissionassignments")]
    assert group_gets and len(workspace_reads) >= 30
    assert min(group_gets) < max(workspace_reads)
    assert admins_by_user_name(warehouse, result.cfg) == {i: w for i, w in oracle.admin_workspaces(s).items() if w}
