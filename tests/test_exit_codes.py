"""The shell sees the exit code the report states: the console entry's `main`, as the shell runs it.

Each outcome is provoked through the public CLI on an emulated account (`rls collect|publish|run --workdir
--scenario`): a failing workspace (3), an account-wide failure (1), the circuit breaker (4), a restore that keeps
failing (5) and a view that fails to publish (3). The first run is a real process (`python -m rls`: the code reaches
the shell through the interpreter's exit); the others call the same `main` in this process (``rls_in_process``, one
Spark session for the module instead of a JVM each) and read the exit code `main` leaves with.

The first process's workdir also shows that a workdir outlives its process: this process reads the views it published
(three-part names, ``current_user()`` switched per identity, ``is_account_group_member`` from the memberships the
first process installed) and each identity sees what the oracle says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import oracle
from inprocess import Ran
from rls import exitcodes
from rls.sql import quote_name
from rls_local.scenario import load_scenario

pytestmark = pytest.mark.timeout(1200)  # Spark in a new process, then in this one: minutes on a loaded machine
EXAMPLE = Path(__file__).parent / "data" / "scenarios" / "example.json"


def rls(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "rls", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


# Each outcome needs one view and no waiting: a persistent 5xx is given up after 2 s instead of the 300 s default
# (the exit code does not depend on how long the retries lasted), restores are retried at once.
QUICK = """\
collect:
  retry_timeout_s: 2
  restore_backoff_s: 0.01
publish:
  include: [access.audit]
"""


def quick_config(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "quick.yml"
    path.write_text(QUICK + extra)
    return str(path)


def scenario_with(tmp_path: Path, name: str, **changes: Any) -> Path:
    doc = json.loads(EXAMPLE.read_text())
    doc.update(changes)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def report_and_code(proc: subprocess.CompletedProcess[str] | Ran) -> tuple[dict[str, Any], int]:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON report (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return report, max(r["exit_code"] for r in report.values())


# The first run of the module's installation: the collection succeeds (the good snapshot the circuit breaker compares
# against) while one of the two views cannot be published (a self-level view on a column the table lacks).
BAD_VIEW = """\
collect:
  retry_timeout_s: 2
publish:
  include: [access.audit, query.history]
  access_levels: {query.history: self}
  identity_columns: {query.history: [no_such_column]}
"""


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    wd = tmp_path_factory.mktemp("exit-codes")
    config = tmp_path_factory.mktemp("config") / "bad-view.yml"
    config.write_text(BAD_VIEW)
    return wd, rls("run", "--workdir", str(wd), "--scenario", str(EXAMPLE), "--config", str(config), "--json")


@pytest.fixture(scope="module")
def workdir(first_run: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    """A local installation with one good snapshot."""
    wd, proc = first_run
    report, _ = report_and_code(proc)
    assert report["collect"]["exit_code"] == exitcodes.OK, report
    return wd


def test_the_views_a_finished_process_published_answer_in_the_next_one(
    first_run: tuple[Path, subprocess.CompletedProcess[str]], rls_in_process: Callable[..., Ran]
) -> None:
    # First in the module: the workdir exactly as the first process left it (its JVM has exited).
    wd, proc = first_run
    report, _ = report_and_code(proc)
    [view] = [r["view"] for r in report["publish"]["results"] if r["source"] == "access.audit"]
    s = load_scenario(EXAMPLE)
    case = oracle.original_case(s)
    admin = oracle.admin_workspaces(s)
    assert any(admin.values()) and not all(admin.values())  # someone sees rows, someone sees none

    def seen(identity: str, name: str) -> set[str]:
        query = f"SELECT workspace_id FROM {name}"
        ran = rls_in_process("sql", "--workdir", str(wd), "--as", identity, "--json", query)
        assert ran.returncode == exitcodes.OK, ran.stderr[-3000:]
        return {r["workspace_id"] for r in json.loads(ran.stdout)}

    for ident, wids in admin.items():  # mixed-case e-mails, group admins, service principals, USER-only members
        assert seen(case[ident], "vw_system_access_audit") == {str(w) for w in wids}, ident
    ident = next(i for i, w in admin.items() if w)
    assert seen(case[ident], quote_name(*view.split("."))) == {str(w) for w in admin[ident]}  # three-part name


def test_a_failing_workspace_exits_3(workdir: Path, tmp_path: Path, rls_in_process: Callable[..., Ran]) -> None:
    faults = [{"workspace_id": 1003, "status": 500}]
    scenario = str(scenario_with(tmp_path, "f", faults=faults))
    proc = rls_in_process(
        "collect", "--workdir", str(workdir), "--scenario", scenario, "--config", quick_config(tmp_path), "--json"
    )
    report, code = report_and_code(proc)
    assert code == exitcodes.PARTIAL, report
    assert proc.returncode == code


def test_an_account_wide_failure_exits_1(workdir: Path, tmp_path: Path, rls_in_process: Callable[..., Ran]) -> None:
    faults = [{"path_contains": "scim/v2/Users", "status": 500}]
    scenario = str(scenario_with(tmp_path, "f", faults=faults))
    proc = rls_in_process(
        "collect", "--workdir", str(workdir), "--scenario", scenario, "--config", quick_config(tmp_path), "--json"
    )
    report, code = report_and_code(proc)
    assert code == exitcodes.ERROR, report
    assert proc.returncode == code


def test_the_circuit_breaker_exits_4(workdir: Path, tmp_path: Path, rls_in_process: Callable[..., Ran]) -> None:
    kept = [a for a in json.loads(EXAMPLE.read_text())["assignments"] if "ADMIN" not in a["permissions"]]
    path = scenario_with(tmp_path, "drop", assignments=kept, workspace_local_admins={})
    proc = rls_in_process(
        "run", "--workdir", str(workdir), "--scenario", str(path), "--config", quick_config(tmp_path), "--json"
    )
    report, code = report_and_code(proc)
    assert code == exitcodes.REFUSED, report
    assert proc.returncode == code


def test_a_view_that_fails_to_publish_is_seen_by_the_shell(first_run: tuple[Path, Any]) -> None:
    _, proc = first_run
    report, code = report_and_code(proc)
    assert report["collect"]["exit_code"] == exitcodes.OK
    assert report["publish"]["exit_code"] == exitcodes.PARTIAL, report["publish"]
    assert proc.returncode == code == exitcodes.PARTIAL


def test_an_elevation_that_cannot_be_undone_exits_5(
    workdir: Path, tmp_path: Path, rls_in_process: Callable[..., Ran]
) -> None:
    # Last in the module: it leaves an open elevation in the ledger (the next run repairs it).
    config = quick_config(tmp_path)
    faults = [{"method": "DELETE", "path_contains": "permissionassignments", "status": 500}]
    proc = rls_in_process(
        "collect",
        "--workdir",
        str(workdir),
        "--scenario",
        str(scenario_with(tmp_path, "f", faults=faults)),
        "--config",
        str(config),
        "--json",
    )
    report, code = report_and_code(proc)
    assert code == exitcodes.UNRESTORED, report
    assert proc.returncode == code
