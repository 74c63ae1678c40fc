"""The CLI's output as a first-time operator meets it (issue 29): tables fit 80 columns and are plain text when
piped, each publish has one table that says where it ran, and no internal name reaches an error line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from rls import exitcodes
from rls.publish.report import PublishReport, ViewResult
from rls.render import publish_summary


def _report() -> PublishReport:
    long = "storage.predictive_optimization_operations_history"
    results = [
        ViewResult("access.audit", "main.rls.vw_system_access_audit", "created"),
        ViewResult(long, f"main.rls.vw_system_{long.replace('.', '_')}", "failed", "PERMISSION_DENIED: " + "x" * 90),
    ]
    return PublishReport("main", "rls", "information_schema", results=results)


def test_a_piped_publish_table_is_plain_ascii_within_80_columns() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=False)  # what rls.cli builds when stdout is piped
    publish_summary(console, _report(), "region eu-west-1")
    text = buf.getvalue()
    assert text.count("publish main.rls in region eu-west-1") == 1
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    assert text.isascii() and "\x1b[" not in text  # no box drawing, no colour codes
    assert "access.audit" in text and "created" in text


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
