"""The command line as operators and other teams use it: real processes, real Spark, real HTTP.

`rls demo` + `rls sql --as` is the contract in docs/scenario.md; expectations come from tests/oracle.py.
The demo (the shipped two-region account, as the README runs it) is `rls demo --json` in a process of its own, run
by the demo benchmark (benchmarks/demo_time.py, one repeat, its work directory kept): one demo checks both the
command and the benchmark's script, which would otherwise rot. `rls sql` is the console entry (`main`) in this
process (tests/inprocess.py: one Spark session for every identity instead of a JVM each); the commands that fail
before Spark are real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

import oracle
from flow import assignments_key, initial_assignments, load
from inprocess import Ran
from rls import exitcodes
from rls_local.regions import deployments
from rls_local.scenario import Scenario

pytestmark = pytest.mark.timeout(1200)  # the whole demo: minutes on a loaded machine
EXAMPLE = Path(__file__).parent / "data" / "scenarios" / "example.json"
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def rls(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "rls", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def shipped(example_scenario: Scenario) -> Scenario:
    """The account `rls demo` runs without --scenario (the README's path): two regions, a metastore each."""
    return example_scenario


@pytest.fixture(scope="module")
def demo_timed(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str], dict]:
    """The demo benchmark, once: ``rls demo --json`` in its own process, the work directory kept."""
    workdir, results = tmp_path_factory.mktemp("demo") / "w", tmp_path_factory.mktemp("demo-time")
    bench = [sys.executable, str(BENCH / "demo_time.py"), "--repeats", "1", "--keep", str(workdir)]
    proc = subprocess.run([*bench, "--out", str(results)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir, proc, json.loads((results / "demo_time.json").read_text())


@pytest.fixture(scope="module")
def demo_run(demo_timed: tuple[Path, subprocess.CompletedProcess[str], dict]) -> tuple[Path, dict]:
    workdir, _, doc = demo_timed
    [summary] = doc["reports"]
    assert summary["collect"]["outcome"] == "ok"
    return workdir, summary


def test_the_demo_benchmark_reports_each_part_of_the_demo(
    demo_timed: tuple[Path, subprocess.CompletedProcess[str], dict],
) -> None:
    _, proc, doc = demo_timed
    assert "results:" in proc.stdout
    for k in ("spark_start", "data_generation", "collect", "publish", "publish_other_regions", "total"):
        assert doc["median_seconds"][k] > 0, k
    assert doc["runs"] == [doc["reports"][0]["seconds"]]


@pytest.fixture(scope="module")
def demo_dir(demo_run: tuple[Path, dict]) -> Path:
    return demo_run[0]


def test_demo_says_who_sees_what_as_the_oracle_does(demo_run: tuple[Path, dict], shipped: Scenario) -> None:
    s = shipped
    assert len(deployments(s)) == 2  # each region's views show that region's workspaces only
    admin = oracle.admin_workspaces(s)
    region = {d.metastore_id: {str(w) for w in d.workspace_ids} for d in deployments(s)}
    seen = demo_run[1]["visibility"]
    assert {v["metastore"] for v in seen} == set(region)
    for v in seen:
        expected = {str(w) for w in admin.get(v["identity"].lower(), set())} & region[v["metastore"]]
        assert set(v["workspaces"]) == expected, v
        assert (v["rows"] > 0) == bool(expected), v


def test_demo_leaves_the_account_as_found(demo_dir: Path, shipped: Scenario) -> None:
    state = json.loads((demo_dir / "emulator-state.json").read_text())
    assert set(state) >= {"assignments", "requests"}
    assert assignments_key(state["assignments"]) == initial_assignments(shipped)
    assert all({"method", "path", "status"} <= set(r) for r in state["requests"])
    assert any(r["method"] == "PUT" for r in state["requests"])  # it did elevate, and restored


@pytest.mark.parametrize(
    ("identity", "metastore"),
    [("Alice@Example.com", None), ("Alice@Example.com", "ms-west"), ("dave@example.com", None)],
)
def test_sql_as_identity_follows_the_contract(
    demo_dir: Path, identity: str, metastore: str | None, shipped: Scenario, rls_in_process: Callable[..., Ran]
) -> None:
    """Without --metastore, `rls sql` answers from the home region (the first deployment); with it, from that one."""
    region = {d.metastore_id: d.workspace_ids for d in deployments(shipped)}
    where = ("--metastore", metastore) if metastore else ()
    query = "SELECT DISTINCT workspace_id FROM vw_system_access_audit"
    proc = rls_in_process("sql", "--workdir", str(demo_dir), *where, "--as", identity, "--json", query)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout)
    home = deployments(shipped)[0].metastore_id
    expected = oracle.admin_workspaces(shipped)[identity.lower()] & region[metastore or home]
    assert {r["workspace_id"] for r in rows} == {str(w) for w in expected}


def test_bad_scenario_is_one_clear_line(tmp_path: Path) -> None:
    bad = json.loads(EXAMPLE.read_text())
    del bad["workspaces"][1]["workspace_name"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    proc = rls("demo", "--scenario", str(path), "--workdir", str(tmp_path / "w"))
    assert proc.returncode == exitcodes.ERROR
    assert "Traceback" not in proc.stderr
    assert "workspaces[1].workspace_name" in proc.stderr and "missing" in proc.stderr


def test_sql_without_a_demo_workdir_says_what_to_do(tmp_path: Path) -> None:
    proc = rls("sql", "--workdir", str(tmp_path), "--as", "x@y.z", "--json", "SELECT 1")
    assert proc.returncode == exitcodes.ERROR and "Traceback" not in proc.stderr
    assert "rls demo" in proc.stderr


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_sql_as_a_blank_identity_is_a_usage_error(tmp_path: Path, blank: str) -> None:
    """Blank fell back to the warehouse's own principal (metastore admin) and read system.access.audit unfiltered."""
    proc = rls("sql", "--workdir", str(tmp_path), "--as", blank, "--json", "SELECT * FROM system.access.audit")
    assert proc.returncode == exitcodes.USAGE, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--as" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() == ""


def test_standalone_emulator_serves_its_state() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rls", "emulator", "--scenario", str(EXAMPLE), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()  # blocks until the server announces itself
        url = next(p.split("=", 1)[1] for p in line.split() if p.startswith("url="))
        with urllib.request.urlopen(f"{url}/_emulator/state", timeout=10) as resp:
            state = json.loads(resp.read())
        assert assignments_key(state["assignments"]) == initial_assignments(load("example"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_version_and_usage_errors() -> None:
    assert rls("--version").stdout.strip().startswith("rls ")
    assert rls("no-such-command").returncode == exitcodes.USAGE
