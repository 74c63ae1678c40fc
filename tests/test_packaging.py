"""The job's wheel carries only what runs on Databricks (issue 14): `rls`, never the local stack (`rls_local`).

Three guards: the built wheel holds no local code or example data; no module of `rls` imports `rls_local` (not even
lazily, the plugin hook aside); the Databricks entry points import and run with `rls_local` import-blocked, and the
CLI then says in one line that `rls demo` needs the local stack.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "rls"
NOTEBOOKS = ROOT / "src" / "notebooks"
LOCAL_NAMES = ("emulator", "warehouse", "scenario", "demo", "local", "example-scenario", "demo-config")


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` sets UV to its own binary
    assert uv, "uv not found: the wheel is built the way the bundle builds it (`uv build --wheel`)"
    return uv


def test_job_wheel_holds_no_local_code(tmp_path) -> None:
    proc = subprocess.run(
        [_uv(), "build", "--wheel", "--offline", "--package", "rls", "-o", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("rls-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rls/jobs.py" in names and "rls/sql/sqltext.py" in names
    local = [
        n
        for n in names
        if n.startswith("rls_local/") or any(part in n.rsplit("/", 1)[-1] for part in LOCAL_NAMES) or "/data/" in n
    ]
    assert not local, f"the job's wheel carries local code or data: {local}"
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines() if "Requires-Dist" in line]
    assert not [r for r in requires if "rls-local" in r or ("pyspark" in r and "extra" not in r)], requires


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_rls_never_imports_the_local_stack() -> None:
    """Lazy imports included: the only way from `rls` to `rls_local` is the entry-point hook (rls.plugins)."""
    bad = [
        f"{p.relative_to(ROOT)}:{line} imports {name}"
        for p in [*SRC.rglob("*.py"), *NOTEBOOKS.glob("*.py")]
        for line, name in _imports(p)
        if name == "rls_local" or name.startswith("rls_local.")
    ]
    assert not bad, bad


def _notebook_imports() -> list[tuple[str, list[str]]]:
    """What the job runs: the wheel's console scripts (the job's python_wheel_tasks) and the notebooks' imports."""
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    # the `rls` CLI loads its plugins (the local stack, when installed): only the job's own scripts here
    found = [(t.split(":")[0], [t.split(":")[1]]) for t in scripts.values() if not t.startswith("rls.cli:")]
    for p in sorted(NOTEBOOKS.glob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rls"):
                found.append((node.module, [a.name for a in node.names]))
    return found


# Runs in a fresh interpreter. BLOCK=1: a meta path finder refuses every rls_local module, as on Databricks where
# the package is not installed. Imports every Databricks entry point, runs the Databricks-side paths that need no
# account (ledger location, config, one-line errors), then the CLI's --help.
_PROBE = """
import importlib, importlib.abc, json, os, sys

attempts = []

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "rls_local" or name.startswith("rls_local."):
            attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

if os.environ["BLOCK"] == "1":
    sys.meta_path.insert(0, Block())

for module, names in json.loads(os.environ["NOTEBOOK_IMPORTS"]):
    m = importlib.import_module(module)
    for n in names:
        assert callable(getattr(m, n)), (module, n)
for module in ("rls.jobs", "rls.collect.collector", "rls.publish.publisher", "rls.publish", "rls.verify",
               "rls.explain", "rls.errors", "rls.sql.backend", "rls.collect.clients", "rls.collect.account_api"):
    importlib.import_module(module)

from rls import jobs
from rls.config import ConfigError
from rls.context import Context
from rls.errors import explain

class Backend:
    statements = []
    def execute(self, sql):
        self.statements.append(sql)

ctx = Context(None, {"catalog": "main", "schema": "rls"}).replace(backend=Backend())
assert str(ctx.ledger_path) == "/Volumes/main/rls/rls_state/elevation-ledger"

ledger = ctx.ledger_for("publish")  # publish never creates a volume
assert Backend.statements == [] and str(ledger.location) == "/Volumes/main/rls/rls_state/elevation-ledger"
assert type(ledger.files).__name__ == "FilesApiVolume"  # the Files API, not FUSE; no client built until used
ctx.ledger_for("collect")
assert Backend.statements[-1] == "CREATE VOLUME IF NOT EXISTS `main`.`rls`.`rls_state`", Backend.statements
assert explain(ConfigError("bad key x\\nmore")) == "bad key x"
assert explain(jobs.TaskFailed("task failed\\ndetail", 3)) == "task failed"

if os.environ.get("CLI") == "1":
    from rls import cli
    try:
        cli.main(["--help"])
    except SystemExit as e:
        assert e.code == 0, e.code

loaded = sorted(m for m in sys.modules if m == "rls_local" or m.startswith("rls_local."))
print(json.dumps({"loaded": loaded, "attempts": attempts}))
"""


def _probe(block: bool, cli: bool) -> dict:
    import json

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "BLOCK": "1" if block else "0",
        "CLI": "1" if cli else "0",
        "NOTEBOOK_IMPORTS": json.dumps(_notebook_imports()),
    }
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PROBE)], capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_job_tasks_call_rls_entry_points() -> None:
    assert ("rls.task", ["main"]) in _notebook_imports()


def test_databricks_entry_points_load_nothing_local_even_when_installed() -> None:
    """With the local stack installed (the dev environment), the job's code paths still never touch it."""
    assert _probe(block=False, cli=False)["loaded"] == []


def test_databricks_entry_points_and_cli_run_with_the_local_stack_blocked() -> None:
    result = _probe(block=True, cli=True)
    assert result["loaded"] == []


@pytest.mark.parametrize(
    ("args", "needs"),
    [
        (["demo"], "rls demo"),
        (["demo", "--scenario", "x.json", "--json"], "rls demo"),
        (["sql", "SELECT 1", "--workdir", "w", "--as", "a@b.c"], "rls sql"),
        (["emulator", "--help"], "rls emulator"),
        (["collect", "--workdir", "w"], "--workdir"),
        (["verify", "--workdir", "w"], "--workdir"),
    ],
)
def test_local_commands_without_the_local_stack_say_so_in_one_line(args: list[str], needs: str) -> None:
    script = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'rls_local':\n"
        "            raise ModuleNotFoundError(name, name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rls.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"error: {needs} needs the local stack"), lines[0]
    assert "uv sync" in lines[0]
