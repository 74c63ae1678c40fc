"""benchmarks/view_overhead_databricks.py cannot run here (no workspace): its arguments and its one-line error can."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "view_overhead_databricks.py"
sys.path.insert(0, str(SCRIPT.parent))


def test_arguments_default_to_both_layouts_and_refuse_the_system_catalog() -> None:
    import view_overhead_databricks as vod

    a = vod.parse_args(["--catalog", "main", "--schema", "rls_bench", "--rows", "1000"])
    assert (a.catalog, a.schema, a.rows, a.layout, a.group) == ("main", "rls_bench", 1000, ["clustered", "time"], None)
    with pytest.raises(SystemExit):
        vod.parse_args(["--catalog", "SYSTEM", "--schema", "x"])
    with pytest.raises(SystemExit):
        vod.parse_args(["--schema", "x"])  # --catalog is required


def test_without_databricks_connect_or_credentials_it_says_so_in_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env |= {"HOME": str(tmp_path), "DATABRICKS_CONFIG_FILE": str(tmp_path / "none.cfg")}
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--catalog", "main", "--schema", "rls_bench", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("view_overhead_databricks: "), out.stderr
    assert "databricks-connect is not installed" in lines[0] or "cannot connect" in lines[0]
    assert not list(tmp_path.glob("*.json"))  # nothing measured, nothing saved
