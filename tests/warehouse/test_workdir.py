"""A missing Java or a busy workdir fails with one clear line. (That a workdir outlives its process is shown by
tests/test_exit_codes.py: views a finished `rls run` process published, read from the next process.)"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rls_local.warehouse import LocalWarehouseBackend, WarehouseError, check_java

from .conftest import ROOT, python_args


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_args(code, *args),
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        check=False,
    )


def test_a_workdir_in_use_is_refused_with_one_line(warehouse: LocalWarehouseBackend):
    busy = run_python(
        "import sys\nfrom rls_local.warehouse import open_warehouse\nopen_warehouse(sys.argv[1])",
        str(warehouse.workdir),
    )
    assert busy.returncode != 0
    last = busy.stderr.strip().splitlines()[-1]
    assert last.startswith("rls_local.warehouse.session.WarehouseError: ") and "in use by another process" in last


def test_opening_a_directory_without_a_warehouse_says_so(tmp_path: Path):
    with pytest.raises(WarehouseError, match="no local warehouse in"):
        from rls_local.warehouse import open_warehouse

        open_warehouse(tmp_path / "typo")


def test_missing_java_is_one_clear_line(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WarehouseError, match=r"^Java 17 not found: install a JDK 17 or set JAVA_HOME$"):
        check_java({"PATH": str(empty)})
    with pytest.raises(WarehouseError, match="has no bin/java"):
        check_java({"JAVA_HOME": str(empty), "PATH": os.environ.get("PATH", "")})


def test_old_java_is_refused(tmp_path: Path):
    fake = tmp_path / "jdk11" / "bin"
    fake.mkdir(parents=True)
    (fake / "java").write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n")
    (fake / "java").chmod(0o755)
    with pytest.raises(WarehouseError, match="is Java 11"):
        check_java({"JAVA_HOME": str(tmp_path / "jdk11"), "PATH": ""})


def test_the_machines_java_is_accepted():
    assert Path(check_java()).name == "java"
