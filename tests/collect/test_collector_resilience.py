"""Nothing lost, nothing hung: faults, last-known-good, circuit breaker, killed runs, failed restores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import oracle
from flow import (
    admins_by_user_name,
    assignments_key,
    flow,
    fresh_schema,
    initial_assignments,
    load,
    visible,
    with_changes,
)
from rls import exitcodes, tables
from rls.collect.elevation import Ledger
from rls.runoptions import RunOptions
from rls.sql import quote_name
from rls_local.context import local_config
from rls_local.emulator import Emulator, EmulatorOptions
from rls_local.warehouse.volume import StrictVolumeFiles

VIEW = "vw_system_access_audit"
FAST = {"collect.retry_timeout_s": 3.0}


def _admin_table_rows(warehouse, cfg) -> list[dict]:
    return warehouse.fetch(f"SELECT * FROM {quote_name(cfg.catalog, cfg.schema, tables.ADMINS)}")


def test_transient_faults_are_retried_and_change_nothing(warehouse, tmp_path) -> None:
    s = load("tricky")  # a 503 on 2003's assignments and a 429 with Retry-After on account groups
    s = with_changes(
        s,
        faults=[
            *s.to_json()["faults"],
            {"workspace_id": 2002, "path_contains": "preview/scim", "status": 503, "times": 2},
        ],
    )
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK
    statuses = [r["status"] for r in result.emulator_state["requests"]]
    assert statuses.count(503) == 3 and statuses.count(429) >= 1
    assert admins_by_user_name(warehouse, result.cfg) == {i: w for i, w in oracle.admin_workspaces(s).items() if w}


def test_persistent_workspace_fault_fails_that_workspace_only(warehouse, tmp_path) -> None:
    s = load("tricky")
    s = with_changes(s, faults=[{"workspace_id": 2003, "path_contains": "permissionassignments", "status": 503}])
    result = flow(warehouse, s, tmp_path, fresh_schema(), overrides=FAST)
    assert result.collect.exit_code == exitcodes.PARTIAL
    failed = {w.workspace_id: w.error for w in result.collect.workspaces if w.outcome == "failed"}
    assert list(failed) == [2003] and failed[2003]
    collected = oracle.collectable(s) - {2003}
    for ident, wids in oracle.admin_workspaces(s, collected=collected).items():
        assert visible(warehouse, result.cfg, VIEW, oracle.original_case(s)[ident]) == {str(w) for w in wids}
    run = warehouse.fetch(f"SELECT outcome FROM {quote_name(result.cfg.catalog, result.cfg.schema, tables.RUNS)}")
    assert run == [{"outcome": "partial"}]


def test_account_wide_fault_writes_nothing(warehouse, tmp_path) -> None:
    s = with_changes(load("example"), faults=[{"path_contains": "scim/v2/Users", "status": 500}])
    schema = fresh_schema()
    result = flow(warehouse, s, tmp_path, schema, overrides=FAST)
    assert result.collect.exit_code == exitcodes.ERROR
    assert result.collect.errors and "\n" not in result.collect.errors[0]
    assert not warehouse.table_exists(quote_name("main", schema, tables.ADMINS))


def test_malformed_answer_is_a_clear_error_and_writes_nothing(warehouse, tmp_path) -> None:
    s = with_changes(
        load("example"),
        faults=[{"path_contains": "scim/v2/ServicePrincipals", "status": 200, "body": "<html>proxy</html>"}],
    )
    schema = fresh_schema()
    result = flow(warehouse, s, tmp_path, schema, overrides=FAST)
    assert result.collect.exit_code == exitcodes.ERROR
    assert "ServicePrincipals" in result.collect.errors[0]
    assert not warehouse.table_exists(quote_name("main", schema, tables.ADMINS))


def test_unknown_principal_fails_the_workspace_without_partial_rows(warehouse, tmp_path) -> None:
    ghost = {
        "permission_assignments": [
            {"principal": {"principal_id": 987654321, "user_name": "ghost@example.com"}, "permissions": ["ADMIN"]}
        ]
    }
    s = with_changes(
        load("tricky"),
        faults=[
            {
                "workspace_id": 2003,
                "path_contains": "permissionassignments",
                "method": "GET",
                "status": 200,
                "body": json.dumps(ghost),
            }
        ],
    )
    result = flow(warehouse, s, tmp_path, fresh_schema())
    failed = {w.workspace_id: w.error for w in result.collect.workspaces if w.outcome == "failed"}
    assert list(failed) == [2003] and "987654321" in failed[2003]
    assert 2003 not in {r["workspace_id"] for r in _admin_table_rows(warehouse, result.cfg)}


def test_failed_workspace_keeps_its_last_known_good_rows(warehouse, tmp_path) -> None:
    s = load("tricky")
    schema = fresh_schema()
    first = flow(warehouse, s, tmp_path, schema)
    before = {r["user_name"] for r in _admin_table_rows(warehouse, first.cfg) if r["workspace_id"] == 2001}
    broken = with_changes(s, faults=[{"workspace_id": 2001, "path_contains": "permissionassignments", "status": 503}])
    second = flow(warehouse, broken, tmp_path, schema, overrides=FAST)
    assert second.collect.exit_code == exitcodes.PARTIAL
    rows = _admin_table_rows(warehouse, second.cfg)
    kept = [r for r in rows if r["workspace_id"] == 2001]
    assert {r["user_name"] for r in kept} == before and {r["run_id"] for r in kept} == {first.collect.run_id}
    assert {r["run_id"] for r in rows if r["workspace_id"] != 2001} == {second.collect.run_id}
    for ident, wids in oracle.admin_workspaces(s).items():  # nobody lost or gained a workspace
        assert visible(warehouse, second.cfg, VIEW, oracle.original_case(s)[ident]) == {str(w) for w in wids}
    note = next(w.error for w in second.collect.workspaces if w.workspace_id == 2001)
    assert "kept" in note


def test_circuit_breaker_refuses_a_collapse_unless_forced(warehouse, tmp_path) -> None:
    s = load("tricky")
    schema = fresh_schema()
    first = flow(warehouse, s, tmp_path, schema)
    before = _admin_table_rows(warehouse, first.cfg)
    doc = s.to_json()
    # most ways in vanish (the breaker counts assignments and local admins: what the views read)
    doc["assignments"] = [a for a in doc["assignments"] if a["workspace_id"] == 2003]
    me = s.collector.to_json()  # stays onboarded where it is a local admin (non-federated 2002)
    onboarded = {w: [r for r in refs if r == me] for w, refs in doc["workspace_local_admins"].items()}
    collapsed = with_changes(s, assignments=doc["assignments"], workspace_local_admins=onboarded)
    refused = flow(warehouse, collapsed, tmp_path, schema)
    assert refused.collect.exit_code == exitcodes.REFUSED
    assert "circuit breaker" in refused.collect.errors[0]
    assert sorted(map(str, _admin_table_rows(warehouse, first.cfg))) == sorted(map(str, before))
    forced = flow(warehouse, collapsed, tmp_path, schema, options=RunOptions(force=True))
    assert forced.collect.exit_code == exitcodes.OK
    assert admins_by_user_name(warehouse, forced.cfg) == {
        i: w for i, w in oracle.admin_workspaces(collapsed).items() if w
    }


def _left_state(s, state):
    """The account as a killed run left it: the emulator's state, without the fault that held the run."""
    return with_changes(s, assignments=state["assignments"], faults=[])


def test_killed_run_is_repaired_by_the_next(warehouse, tmp_path) -> None:
    s = load("tricky")
    # A new assignment that never propagates holds the run while it is elevated: the admins group read stays denied
    # and is retried (collect.propagation_timeout_s). Elevations happen on federated workspaces only (2001, 2003).
    hold = with_changes(s, faults=[], assignment_propagation_s=3600)
    ledger_path = tmp_path / "ledger"
    with Emulator(hold, EmulatorOptions()) as emu:
        cfg = local_config(hold, emu, tmp_path)
        overrides = {
            "collect.account_host": cfg.collect.account_host,
            "collect.account_id": cfg.collect.account_id,
            "collect.collector_application_id": cfg.collect.collector_application_id,
            "collect.workspace_host_template": cfg.collect.workspace_host_template,
            "collect.elevation_ledger": str(ledger_path),
            "collect.retry_timeout_s": 120.0,
            "collect.propagation_timeout_s": 3600.0,
            "collect.cloud": "azure",
        }
        script = Path(__file__).with_name("collector_process.py")
        proc = subprocess.Popen(
            [sys.executable, str(script), json.dumps({"overrides": overrides, "client_id": emu.client_id})],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "RLS_TEST_CLIENT_SECRET": emu.client_secret},
        )
        try:
            # The run elevates on one workspace, then its read there is denied and retried: kill it there.
            put = emu.wait_for_request(lambda r: r["method"] == "PUT" and r["status"] == 200, timeout=300)
            wid = int(put["path"].split("/workspaces/")[1].split("/")[0])
            index = next(i for i, r in enumerate(emu.state()["requests"]) if r == put)
            emu.wait_for_request(
                lambda r: r["path"].startswith(f"/ws/{wid}/") and r["status"] == 403, timeout=300, start_index=index
            )
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        left = emu.state()
    collector = next(
        a for a in left["assignments"] if a["workspace_id"] == wid and a["principal"]["id"] == s.collector.id
    )
    assert collector["permissions"] == ["USER"]  # the kill left an elevation (no higher than needed) behind

    def before(w: int) -> list[str] | None:
        return next(
            (list(a.permissions) for a in s.assignments if a.workspace_id == w and a.principal == s.collector), None
        )

    # On volume semantics: every event its own whole file, so the kill left a readable "elevate" record for each
    # elevation open at that moment (up to collect.elevation_concurrency), with what to restore.
    opened = {e.workspace_id: e.previous for e in Ledger(StrictVolumeFiles(ledger_path)).open_entries()}
    assert wid in opened and len(opened) <= 4
    assert opened == {w: before(w) for w in opened}

    # The killed run still holds the ledger's lease (until collect.lease_ttl_s past its last renewal): the operator,
    # who knows it is dead, ends it at once as docs/troubleshooting.md says, by deleting its lease files.
    dead = [p for p in ledger_path.iterdir() if p.name.startswith("lease__")]
    assert len(dead) >= 1 and not any(p.name.endswith("__released.json") for p in dead)
    for p in dead:
        p.unlink()
    account = _left_state(s, left)
    result = flow(
        warehouse, account, tmp_path, fresh_schema(), overrides={"collect.elevation_ledger": str(ledger_path)}
    )
    for w in opened:  # restored, or found already undone (a kill between the restoring write and its record)
        assert any(line.startswith(f"workspace {w}: ") for line in result.collect.repaired), (
            w,
            result.collect.repaired,
        )
    assert any(line.startswith(f"workspace {wid}: restored") for line in result.collect.repaired)
    assert Ledger(ledger_path).open_entries() == []
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)
    assert result.collect.exit_code == exitcodes.OK


def test_failed_restore_is_reported_and_repaired_next_run(warehouse, tmp_path) -> None:
    s = load("tricky")
    stuck = with_changes(s, faults=[{"method": "DELETE", "path_contains": "permissionassignments", "status": 500}])
    schema = fresh_schema()
    first = flow(warehouse, stuck, tmp_path, schema)
    assert first.collect.exit_code == exitcodes.UNRESTORED
    assert len(first.collect.unrestored) == 1 and "next run repairs it" in first.collect.unrestored[0]
    # It stopped elevating after the first failed restore: only one workspace is left elevated.
    before = {(a.workspace_id, tuple(a.permissions)) for a in s.assignments if a.principal == s.collector}
    elevated = [
        a
        for a in first.emulator_state["assignments"]
        if a["principal"]["id"] == s.collector.id and (a["workspace_id"], tuple(a["permissions"])) not in before
    ]
    assert len(elevated) == 1
    ledger = tmp_path / "elevation-ledger"
    assert len(Ledger(ledger).open_entries()) == 1

    account = _left_state(s, first.emulator_state)
    second = flow(warehouse, account, tmp_path, schema)
    assert second.collect.exit_code == exitcodes.OK
    assert Ledger(ledger).open_entries() == []
    assert assignments_key(second.emulator_state["assignments"]) == initial_assignments(s)
