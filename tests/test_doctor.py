"""`rls doctor`: the read-only preflight (issue 29), against the emulated account over HTTP and the local warehouse.

Read-only is judged on the platform's side: the emulator's request log (GETs only, apart from OAuth token requests)
and the warehouse's statement log (no DDL, no writes). What each check says is judged against the scenario file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flow import load
from rls import exitcodes
from rls.collect.account_api import AccountApi
from rls.doctor import DoctorContext, doctor
from rls_local.context import clients_for, local_config, local_ledger
from rls_local.emulator import Emulator
from rls_local.warehouse.policies import detach_policy

ROOT = Path(__file__).resolve().parents[1]
CHECKS = {
    "authentication",
    "account_admin",
    "metastores",
    "abac_policies",
    "target_schema",
    "ledger",
    "sql_warehouse",
    "readers",
    "sharing",
    "bundle_cli_version",
}


def _doctor(warehouse, tmp_path: Path, **overrides):
    scenario = load("example")
    with Emulator(scenario) as emu:
        cfg = local_config(scenario, emu, tmp_path, None, {"catalog": "main", "schema": "doctor_x", **overrides})
        ctx = DoctorContext(
            backend=warehouse,
            api=AccountApi(clients_for(cfg, emu)),
            ledger=local_ledger(cfg, tmp_path),
            warehouse="the local warehouse",
            bundle_file=ROOT / "databricks.yml",
        )
        mark = len(warehouse.statements)
        report = doctor(cfg, ctx, "test")
        requests = emu.state()["requests"]
    return scenario, report, requests, warehouse.statements[mark:]


def test_doctor_reads_only_and_answers_every_question(warehouse, tmp_path: Path) -> None:
    scenario, report, requests, statements = _doctor(warehouse, tmp_path)
    writes = [r for r in requests if r["method"] != "GET" and not r["path"].rstrip("/").endswith("/token")]
    assert requests and writes == [], writes
    assert [s.sql for s in statements if s.kind != "query"] == []
    checks = {c.name: c for c in report.checks}
    assert checks.keys() >= CHECKS, CHECKS - checks.keys()
    assert all(c.status in ("ok", "warn", "fail") and c.detail and "\n" not in c.detail for c in report.checks)
    assert all(c.fix for c in report.checks if c.status != "ok")
    # one check per workspace, saying what a run would do there (the scenario file decides)
    for w in scenario.workspaces:
        check = checks[f"workspace {w.workspace_id}"]
        if w.workspace_status != "RUNNING":
            assert check.status == "warn" and w.workspace_status in check.detail
        elif not w.identity_federated and "not identity-federated and the collector is no member" in check.detail:
            assert check.status == "warn" and "admins" in check.fix
    assert any("USER" in c.detail for n, c in checks.items() if n.startswith("workspace "))  # a run would elevate
    # the warehouse's identity (metastore admin here) reads every wrapped system schema
    assert [n for n, c in checks.items() if n.startswith("system.") and c.status != "ok"] == []
    assert checks["target_schema"].status == "warn"  # doctor_x does not exist: publish would create it
    assert checks["bundle_cli_version"].status == "ok"
    assert report.exit_code == exitcodes.PARTIAL  # warnings only
    assert report.as_dict()["checks"][0]["name"] == "authentication"


@pytest.mark.parametrize(
    ("overrides", "check", "status", "code"),
    [
        ({"publish.grant_select_to": ["no-such-group"]}, "readers", "fail", exitcodes.CHECK_FAILED),
        ({"publish.grant_select_to": []}, "readers", "warn", exitcodes.PARTIAL),
        ({"collect.collector_application_id": "not-the-collector"}, "account_admin", "fail", exitcodes.CHECK_FAILED),
    ],
)
def test_doctor_fails_what_would_break_a_run(warehouse, tmp_path: Path, overrides, check, status, code) -> None:
    _, report, requests, _ = _doctor(warehouse, tmp_path, **overrides)
    got = next(c for c in report.checks if c.name == check)
    assert got.status == status and got.fix, got
    assert report.exit_code == code
    assert all(r["method"] == "GET" or r["path"].rstrip("/").endswith("/token") for r in requests)


def test_doctor_names_the_system_grants_the_job_identity_lacks(warehouse, tmp_path: Path) -> None:
    """Run as an identity holding no grant on `system` (a metastore admin holds none implicitly either): each wrapped
    system schema fails, and the fix is the GRANT a metastore admin runs."""
    with warehouse.run_as("sp-without-grants"):
        _, report, _, statements = _doctor(warehouse, tmp_path)
    system = [c for c in report.checks if c.name.startswith("system")]
    assert system and all(c.status == "fail" for c in system), system
    assert all("GRANT USE CATALOG ON CATALOG `system` TO `sp-without-grants`" in c.fix for c in system)
    assert report.exit_code == exitcodes.CHECK_FAILED
    assert [s.sql for s in statements if s.kind != "query"] == []


def test_the_doctor_says_which_policy_applies_to_system_or_that_it_cannot_tell(
    warehouse, attached_policies, tmp_path: Path
) -> None:
    def check():
        _, report, _, _ = _doctor(warehouse, tmp_path)
        return next(c for c in report.checks if c.name == "abac_policies")

    refused = check()  # no READ METADATA on `system`: the doctor cannot tell, and says how to look
    assert refused.status == "warn" and "READ METADATA" in refused.detail and "Policies" in refused.fix, refused
    warehouse.run(f"GRANT READ METADATA ON CATALOG `system` TO `{warehouse.platform_principal}`")
    found = check()  # the metastore's row filter reaches `system`; the one on `main` does not
    # named by the statement's `Policy Name` alone (not the whole row), and not the policy on `main`
    assert found.status == "fail" and found.detail.endswith(": everywhere_rf"), found
    detach_policy(warehouse.privileges.store, "everywhere_rf")
    assert check().status == "ok"
