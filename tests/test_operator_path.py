"""The README's local path as a first-time operator takes it, with a real account's variables in the environment.

Every command runs with DATABRICKS_HOST pointing at a local listener that counts connections: a `--workdir` command
uses the workdir's own emulated account, or refuses in one line, and never connects out (issue 29). After `collect`
then `publish` on a fresh workdir, a workspace admin can read the views (the default readers group), and `verify`
says when nobody can.

What the process boundary decides is run as real processes (``rls``): the refusal of a fresh workdir (nothing
printed before it) and a whole `run` (Spark's JVM notices stay in the workdir's log, off the terminal: its stderr is
empty). The other commands call the console script's `main` in this process with the same environment (``here``:
one Spark session for the module's workdir instead of a JVM per command).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import oracle
from flow import load
from inprocess import Ran, run_main_redirected
from rls import exitcodes

EXAMPLE = Path(__file__).parent / "data" / "scenarios" / "example.json"
# A process has a JVM of its own: on a loaded 2-core machine a few of them can pass the suite's 600 s default.
pytestmark = pytest.mark.timeout(1200)


class Listener:
    """A TCP listener standing in for a real account host: it only counts who connects."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    sink = Listener()
    yield sink
    sink.close()


def test_the_listener_counts_a_connection() -> None:
    """Control: a connection to the listener is counted, so a 0 below means nobody connected."""
    sink = Listener()
    with socket.create_connection(("127.0.0.1", sink.port), timeout=5):
        pass
    for _ in range(500):  # the accept thread counts it
        if sink.connections:
            break
        threading.Event().wait(0.01)
    sink.close()
    assert sink.connections == 1


def real_account(listener: Listener) -> dict[str, str]:
    """What an operator's shell holds after working on a real account (its host: the listener)."""
    return {
        "DATABRICKS_HOST": f"http://127.0.0.1:{listener.port}",
        "DATABRICKS_ACCOUNT_ID": "00000000-0000-0000-0000-000000000001",
        "DATABRICKS_TOKEN": "dapi-not-a-real-token",
    }


def rls(listener: Listener, *args: str) -> subprocess.CompletedProcess[str]:
    """`rls ARGS` as a real process, with the real account's variables in its environment."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **real_account(listener)}
    return subprocess.run([sys.executable, "-m", "rls", *args], capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture
def here(listener: Listener, rls_in_process: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """`rls ARGS` in this process (tests/inprocess.py), with the same variables in this process's environment."""
    for name, value in real_account(listener).items():
        monkeypatch.setenv(name, value)
    return rls_in_process


def _admin() -> tuple[str, set[int]]:
    """A workspace admin of the example account, and the workspaces they administer."""
    admins = oracle.admin_workspaces(load("example"))
    name = sorted(n for n, ws in admins.items() if ws)[0]
    return name, admins[name]


def test_a_fresh_workdir_without_scenario_refuses_in_one_line(tmp_path: Path, listener: Listener) -> None:
    for command in ("collect", "run"):
        proc = rls(listener, command, "--workdir", str(tmp_path / "w"))
        assert proc.returncode == exitcodes.ERROR, proc.stderr
        assert proc.stderr.startswith("error: "), repr(proc.stderr)  # no blank line, no log line before it
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "--scenario" in lines[0] and "never connects" in lines[0], proc.stderr
    assert listener.connections == 0


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, listener: Listener) -> Path:
    """The README's path: collect from the example account, then publish, on a fresh workdir (in this process)."""
    w = tmp_path_factory.mktemp("operator") / "w"
    with pytest.MonkeyPatch.context() as env:
        for name, value in real_account(listener).items():
            env.setenv(name, value)
        proc = run_main_redirected("collect", "--workdir", str(w), "--scenario", str(EXAMPLE), "--json")
        assert proc.returncode == exitcodes.OK, proc.stderr[-3000:]
        proc = run_main_redirected("publish", "--workdir", str(w), "--json")
        assert proc.returncode == exitcodes.OK, proc.stderr[-3000:]
    return w


def test_a_workspace_admin_reads_the_views_after_collect_then_publish(
    workdir: Path, listener: Listener, here: Callable[..., Ran]
) -> None:
    admin, workspaces = _admin()
    sql = "SELECT DISTINCT workspace_id FROM vw_system_access_audit"
    proc = here("sql", "--workdir", str(workdir), "--as", admin, "--json", sql)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = {int(r["workspace_id"]) for r in json.loads(proc.stdout)}
    assert proc.stderr == "", proc.stderr  # nothing but the rows (the JVM's notices: a real process, further down)
    # the example's home metastore holds part of the admin's workspaces: what it shows is theirs, and not nothing
    assert seen and seen <= workspaces
    assert listener.connections == 0


def test_doctor_on_the_workdir_reports_every_check_as_json(
    workdir: Path, listener: Listener, here: Callable[..., Ran]
) -> None:
    before = (workdir / "privileges.json").read_text()
    proc = here("doctor", "--workdir", str(workdir), "--json")
    assert proc.returncode in (exitcodes.OK, exitcodes.PARTIAL), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["exit_code"] == proc.returncode
    names = {c["name"] for c in report["checks"]}
    assert {"authentication", "account_admin", "target_schema", "readers", "bundle_cli_version"} <= names
    assert all(c["status"] in ("ok", "warn", "fail") for c in report["checks"])
    assert (workdir / "privileges.json").read_text() == before
    assert listener.connections == 0


def test_sql_names_an_unknown_identity_and_refuses_an_unknown_metastore(
    workdir: Path, listener: Listener, here: Callable[..., Ran]
) -> None:
    proc = here("sql", "--workdir", str(workdir), "--as", "nobody@nowhere.example", "--json", "SELECT 1 AS x")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "nobody@nowhere.example" in proc.stderr and "no rows" in proc.stderr
    admin, _ = _admin()
    proc = here("sql", "--workdir", str(workdir), "--as", admin, "--metastore", "ms-nope", "SELECT 1")
    assert proc.returncode == exitcodes.USAGE, proc.stderr
    assert "ms-nope" in proc.stderr
    assert listener.connections == 0


def test_later_commands_use_the_workdir_s_own_account(
    workdir: Path, listener: Listener, here: Callable[..., Ran]
) -> None:
    proc = here("run", "--workdir", str(workdir), "--json")  # no --scenario: the workdir's account
    assert proc.returncode == exitcodes.OK, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["collect"]["outcome"] == "ok"
    report = json.loads((workdir / "emulator-state.json").read_text())
    assert report["requests"], "the run read the workdir's emulated account"
    admin, _ = _admin()
    proc = here("explain", "--workdir", str(workdir), "--user", admin, "--json")
    assert proc.returncode == exitcodes.OK, proc.stderr[-2000:]
    proc = here("verify", "--workdir", str(workdir), "--json")
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["view_readers"]["status"] == "pass", checks["view_readers"]
    assert "owner None" not in proc.stdout
    # the plan of a publish with one more readers group: grants only, nothing changed
    config = workdir.parent / "more-readers.yml"
    config.write_text("publish:\n  grant_select_to: [account users, auditors]\n", encoding="utf-8")
    before = (workdir / "privileges.json").read_text()
    proc = here("publish", "--workdir", str(workdir), "--config", str(config), "--dry-run")
    assert proc.returncode == exitcodes.OK, proc.stderr[-2000:]
    assert "dry run: nothing was changed" in proc.stdout
    # piped (80 columns), each step of the plan is still one line: a grant names its view and its readers together
    grants = [line.split() for line in proc.stdout.splitlines() if line.startswith("  grant ")]
    views = ("main.rls.vw_system_", "main.rls.ref_system_")
    assert grants and all(g[1].startswith(views) and g[-1].endswith(")") for g in grants), proc.stdout
    assert any("auditors)" in g[-1] for g in grants), proc.stdout
    assert (workdir / "privileges.json").read_text() == before
    assert listener.connections == 0


def test_verify_checks_the_metastore_it_is_given_and_refuses_one_it_does_not_know(
    workdir: Path, listener: Listener, here: Callable[..., Ran]
) -> None:
    # Before the next test: it opens another workdir in this process, and the embedded metastore of this one stays
    # locked by this process's earlier session until it exits.
    from rls_local.regions import deployments

    home = deployments(load("example"))[0].metastore_id
    default = here("verify", "--workdir", str(workdir), "--json")
    named = here("verify", "--workdir", str(workdir), "--metastore", home, "--json")
    assert named.returncode == default.returncode, named.stderr[-2000:]
    assert default.stdout, default.stderr[-2000:]
    checks = {c["name"]: c["status"] for c in json.loads(named.stdout)["checks"]}
    assert checks == {c["name"]: c["status"] for c in json.loads(default.stdout)["checks"]}  # the first is the home
    assert checks["views_exist"] == "pass"
    unknown = here("verify", "--workdir", str(workdir), "--metastore", "ms-nope")
    assert unknown.returncode == exitcodes.USAGE and "ms-nope" in unknown.stderr, unknown.stderr
    bare = here("verify", "--metastore", home)  # a region on Databricks is checked where it runs
    assert bare.returncode == exitcodes.USAGE and "--metastore needs --workdir" in bare.stderr, bare.stderr
    assert listener.connections == 0


def test_views_nobody_can_read_are_warned_and_the_refusal_names_the_grant(
    tmp_path: Path, listener: Listener, here: Callable[..., Ran]
) -> None:
    config = tmp_path / "no-readers.yml"
    # one view is enough to be unreadable (the default publishes them all: the module's workdir does)
    config.write_text("publish:\n  grant_select_to: []\n  include: [access.audit]\n", encoding="utf-8")
    w = tmp_path / "w"
    # A real process: the whole path on a fresh workdir, and its stderr as the terminal gets it. Spark's JVM prints
    # notices as it starts (launcher, log4j); they stay in the workdir's log (unless --verbose), and a run with
    # --json prints nothing else there. Before this process opens the workdir: its metastore admits one JVM.
    proc = rls(listener, "run", "--workdir", str(w), "--scenario", str(EXAMPLE), "--config", str(config), "--json")
    assert proc.returncode == exitcodes.OK, proc.stderr[-3000:]
    assert proc.stderr == "", proc.stderr[-3000:]
    admin, _ = _admin()
    proc = here("sql", "--workdir", str(w), "--as", admin, "SELECT count(*) FROM vw_system_access_audit")
    assert proc.returncode == exitcodes.ERROR
    (line,) = proc.stderr.strip().splitlines()  # the refusal alone, on one line
    assert "GRANT SELECT ON VIEW" in line and "vw_system_access_audit" in line and admin in line, line
    proc = here("verify", "--workdir", str(w), "--json")
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["view_readers"]["status"] == "warn", checks["view_readers"]
    assert "publish.grant_select_to" in checks["view_readers"]["detail"]
    assert "vw_system_access_audit" in " ".join(checks["view_readers"]["problems"])
    assert listener.connections == 0
