"""Names from the account or a config are data: rich prints them as written, never as markup.

A workspace named ``[/]`` used to crash `rls demo`, `rls collect` and `rls explain` with a MarkupError after the
data was written, and ``[bold red]x[/]`` was silently styled (printed as a red ``x``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

import oracle
from inprocess import Ran
from rls import exitcodes, tables
from rls.collect.report import CollectReport
from rls.publish.report import PublishReport, ViewResult
from rls.render import collect_summary, publish_summary
from rls_local.regions import deployments
from rls_local.scenario import load_scenario

EXAMPLE = Path(__file__).parent / "data" / "scenarios" / "example.json"
CLOSE = "[/]"
STYLED = "[bold red]x[/]"
USER = f"{STYLED}@example.com"


def rls(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "rls", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def recording() -> Console:
    return Console(record=True, width=200, file=io.StringIO())


def test_collect_summary_prints_names_and_errors_as_written() -> None:
    run = tables.WorkspaceRun(1001, STYLED, "RUNNING", "failed", f"HTTP 500 on {CLOSE}", 0, 0, 0, False, 3)
    report = CollectReport("r1", dt.datetime.now(dt.UTC), workspaces=[run], errors=[f"group {CLOSE} unreadable"])
    report.repaired.append(f"workspace {STYLED}")
    console = recording()
    collect_summary(console, report)
    text = console.export_text()
    assert STYLED in text and f"HTTP 500 on {CLOSE}" in text and f"group {CLOSE} unreadable" in text
    assert f"repaired earlier elevation: workspace {STYLED}" in text


def test_collect_summary_prints_each_message_once_on_one_line_at_80_columns() -> None:
    """A piped `rls collect` prints at 80 columns: an error or a note that long stays one line (a log search finds
    it whole), each note once, and a run that read no workspace prints no empty table."""
    error = "elevation ledger /Volumes/main/rls/rls_state/elevation-ledger is held by run 20261207T105312Z-x " * 2
    note = "workspace 2003: the collector's assignment there is an elevation an earlier run left behind " * 2
    report = CollectReport("r1", dt.datetime.now(dt.UTC), errors=[error.strip()], notes=[note.strip()])
    console = Console(record=True, width=80, file=io.StringIO())
    collect_summary(console, report)
    lines = console.export_text().splitlines()
    assert lines.count(f"error: {error.strip()}") == 1 and lines.count(f"note: {note.strip()}") == 1
    assert lines[0] == "collect r1: failed"  # the run's outcome, and no table without rows
    assert not any(line.startswith(("+", "|", "┏", "│")) for line in lines)


@pytest.mark.parametrize("launcher", [None, "./dev rls", "python3 -m uv run rls"])
def test_the_demo_suggests_a_command_the_shell_gives_back_whole(monkeypatch, launcher: str | None) -> None:
    from rls_local.demo import QUERY_HINT, query_hint

    if launcher is None:
        monkeypatch.delenv("RLS_LAUNCHER", raising=False)
    else:
        monkeypatch.setenv("RLS_LAUNCHER", launcher)
    workdir, who = Path("my work") / "demo $HOME", f'{STYLED}\'s "sp"@example.com'
    argv = shlex.split(query_hint(workdir, who))
    command = ["sql", "--workdir", str(workdir), "--as", who, "--json", QUERY_HINT]
    assert argv == [*(launcher or "uv run rls").split(), *command]


def test_publish_summary_prints_names_as_written() -> None:
    report = PublishReport(catalog=CLOSE, schema=STYLED, discovery="static")
    report.results.append(ViewResult("access.audit", f"{CLOSE}.v", "failed", reason=f"column {STYLED} missing"))
    report.error = f"schema {CLOSE} could not be created"
    console = recording()
    publish_summary(console, report)
    text = console.export_text()
    assert f"publish {CLOSE}.{STYLED}" in text and f"column {STYLED} missing" in text
    assert f"error: schema {CLOSE} could not be created" in text


def test_publish_summary_says_which_tables_are_regional() -> None:
    report = PublishReport(catalog="main", schema="rls", discovery="static")
    for source in ("query.history", "billing.usage"):  # facts sheet: regional, global
        report.results.append(ViewResult(source, f"main.rls.vw_system_{source.replace('.', '_')}", "created"))
    console = recording()
    publish_summary(console, report)
    # Not a terminal: the table is drawn with plain ASCII rules (fits 80 columns, survives a pipe)
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in console.export_text().splitlines()
        if line.count("|") > 3 and "." in line.split("|")[1]
    }
    assert rows == {"query.history": "regional", "billing.usage": "global"}


def test_an_error_quoting_markup_is_one_literal_line(tmp_path: Path) -> None:
    missing = tmp_path / f"{CLOSE}{STYLED}.yml"
    proc = rls("collect", "--config", str(missing), timeout=120)
    assert proc.returncode == exitcodes.ERROR
    assert "Traceback" not in proc.stderr and "MarkupError" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: config file {missing}: cannot read it (No such file or directory)"
    ]


def hostile_scenario(tmp_path: Path) -> Path:
    doc = json.loads(EXAMPLE.read_text())
    names = {1001: CLOSE, 1002: STYLED}
    for w in doc["workspaces"]:
        w["workspace_name"] = names.get(w["workspace_id"], w["workspace_name"])
    groups = {"g1": CLOSE, "g2": STYLED}
    for g in doc["groups"]:
        g["display_name"] = groups.get(g["id"], g["display_name"])
    for u in doc["users"]:
        if u["id"] == "u1":
            u["user_name"] = USER
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("markup")
    return hostile_scenario(root), root / "w"


def assert_literal(proc: subprocess.CompletedProcess[str] | Ran, *expected: str) -> None:
    assert proc.returncode == exitcodes.OK, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "MarkupError" not in proc.stderr
    for text in expected:
        assert text in proc.stdout, proc.stdout[-3000:]


@pytest.mark.timeout(1200)  # the whole demo: minutes on a loaded machine
def test_demo_and_explain_print_hostile_names(hostile: tuple[Path, Path], rls_in_process: Callable[..., Ran]) -> None:
    # `rls collect` prints through the same collect_summary the demo prints first (tested alone above): the demo
    # covers it, with the progress bars and log lines of a real run around it. Both commands are the console entry
    # (`main`) in this process, printing to its captured stdout as they would to a pipe. Piped, output is 80 columns
    # wide and a summary too wide for that prints a line per row, each name whole: "[bold red]x[/]" and "[/]" survive
    # only if they were printed as text (as markup they would vanish).
    scenario, workdir = hostile
    rls = rls_in_process
    demo = rls("demo", "--scenario", str(scenario), "--workdir", str(workdir))
    assert_literal(demo, f"name {CLOSE},", f"name {STYLED},")  # the collect summary's lines: workspaces 1001, 1002
    # The command the demo suggests stays one line at 80 columns, the shell gets the hostile name back whole, and it
    # answers what the oracle says that identity administers in the home region (where `rls sql` reads by default).
    hints = [line for line in demo.stdout.splitlines() if line.startswith("query it: ")]
    assert len(hints) == 1, demo.stdout[-3000:]
    argv = shlex.split(hints[0].removeprefix("query it: "))
    assert argv[argv.index("--as") + 1] == USER and argv[argv.index("--workdir") + 1] == str(workdir), argv
    queried = rls(*argv[argv.index("sql") :])
    assert queried.returncode == exitcodes.OK, queried.stderr[-2000:]
    s = load_scenario(scenario)
    home = next(d for d in deployments(s) if d.home).workspace_ids
    want = {str(w) for w in oracle.admin_workspaces(s)[USER.lower()] & home}
    assert want and {r["workspace_id"] for r in json.loads(queried.stdout)} == want
    explained = rls("explain", "--workdir", str(workdir), "--user", USER)
    assert_literal(explained, USER, CLOSE)
