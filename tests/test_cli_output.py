"""The CLI's output as a first-time operator meets it (issue 29): tables fit 80 columns and are plain text when
piped, each publish has one table that says where it ran, and no internal name reaches an error line."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from rls import exitcodes, tables
from rls.collect.report import CollectReport
from rls.publish.report import PublishReport, ViewResult
from rls.render import collect_summary, publish_summary


def _report() -> PublishReport:
    long = "storage.predictive_optimization_operations_history"
    results = [
        ViewResult("access.audit", "main.rls.vw_system_access_audit", "created"),
        ViewResult(long, f"main.rls.vw_system_{long.replace('.', '_')}", "failed", "PERMISSION_DENIED: " + "x" * 90),
    ]
    return PublishReport("main", "rls", "information_schema", results=results)


def _piped(width: int = 80) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=False)  # what rls.cli builds when stdout is piped


def test_a_piped_publish_too_wide_for_80_columns_prints_each_view_whole_on_a_line() -> None:
    console = _piped()
    report = _report()
    publish_summary(console, report, "region eu-west-1")
    text = console.file.getvalue()
    assert text.count("publish main.rls in region eu-west-1") == 1
    assert text.isascii() and "\x1b[" not in text  # no box drawing, no colour codes
    for v in report.results:  # one line per view, every value whole: nothing folded or cut to fit
        (line,) = [x for x in text.splitlines() if v.source in x]
        assert v.view.rsplit(".", 1)[-1] in line and v.status in line and (v.reason or "") in line, line
    assert "…" not in text


def test_a_piped_publish_that_fits_is_an_ascii_table_within_80_columns() -> None:
    console = _piped()
    v = _report().results[0]
    publish_summary(console, PublishReport("main", "rls", "static", results=[v]))
    lines = console.file.getvalue().splitlines()
    rows = [x for x in lines if x.startswith("|")]
    assert [c.strip() for c in rows[1].split("|")[1:-1]] == [v.source, v.region, v.view.rsplit(".")[-1], v.status, ""]
    assert all(len(x) <= 80 for x in lines) and all(x.isascii() for x in lines), lines


@pytest.mark.parametrize("width", [80, 200])
def test_collect_prints_every_workspace_whole_at_any_width(width: int) -> None:
    """A real workspace id has 16 digits and ten columns do not fit 80: each workspace is then one line, never a
    table of cells folded to a few letters (`RUNNI` / `NG`) or cut (`123456789012…`)."""
    wide = tables.WorkspaceRun(1234567890123456, "sales-prod-emea", "RUNNING", "collected", None, 3, 40, 2, True, 12)
    down = tables.WorkspaceRun(1004, "new-ws", "PROVISIONING", "not-running", "not collected", 0, 0, 0, False, 0)
    report = CollectReport(
        "r1", dt.datetime.now(dt.UTC), workspaces=[wide, down], elevated_to={wide.workspace_id: "USER"}
    )
    console = _piped(width)
    collect_summary(console, report)
    lines = console.file.getvalue().splitlines()
    assert "…" not in "".join(lines)
    for w, cells in (
        (wide, ("sales-prod-emea", "RUNNING", "collected", "USER")),
        (down, ("PROVISIONING", "not-running", "not collected")),
    ):
        (line,) = [x for x in lines if str(w.workspace_id) in x]
        assert all(c in line for c in cells), line
    table = [x for x in lines if x.startswith(("|", "+"))]
    assert bool(table) == (width == 200) and all(len(x) <= width for x in table)


def _rls(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "rls", *args], capture_output=True, text=True, timeout=120, env=env)


def test_a_workdir_without_a_warehouse_says_what_to_run(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    proc = _rls("explain", "--workdir", str(tmp_path / "w"), "--user", "a@b.c")
    assert proc.returncode == exitcodes.ERROR
    assert proc.stderr.startswith("error: "), repr(proc.stderr)  # no blank line before the error
    (line,) = proc.stderr.strip().splitlines()
    assert "rls collect --workdir" in line and "prepare_warehouse" not in line


def test_publish_dry_run_is_documented_in_help() -> None:
    proc = _rls("publish", "--help")
    assert proc.returncode == 0 and "--dry-run" in proc.stdout
