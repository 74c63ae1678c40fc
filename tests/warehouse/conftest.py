"""Starts the slow half of the persistence test early, so its JVM boots while the shared warehouse is prepared."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SCENARIO = ROOT / "local" / "src" / "rls_local" / "data" / "example-scenario.json"

# A first process: platform, a table and a view over three-part names that calls current_user() and
# is_account_group_member(); test_workdir.py reads them back from a second process.
CREATE = """
import sys
from rls_local.scenario import load_scenario
from rls_local.warehouse import open_warehouse, install_platform
b = open_warehouse(sys.argv[1], create=True)
install_platform(b, load_scenario(sys.argv[2]))
b.execute("CREATE SCHEMA IF NOT EXISTS main.rls")
b.execute("CREATE TABLE main.rls.facts (workspace_id STRING, who STRING) USING parquet")
b.execute("INSERT INTO main.rls.facts VALUES ('1001', 'bob@example.com'), ('1002', 'carol@example.com')")
b.execute(
    "CREATE VIEW `main`.`rls`.`vw_facts` AS SELECT f.* FROM main.rls.facts f "
    "WHERE lower(f.who) = lower(current_user()) OR is_account_group_member('sales-admins')"
)
b.execute("GRANT SELECT ON VIEW `main`.`rls`.`vw_facts` TO `account users`")
print("created")
"""


@dataclass
class CreatedWorkdir:
    path: Path
    process: subprocess.Popen[str]

    def wait(self) -> subprocess.CompletedProcess[str]:
        out, err = self.process.communicate(timeout=300)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)


def python_args(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code), *args]


@pytest.fixture(scope="session", autouse=True)
def created_workdir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CreatedWorkdir | None]:
    wanted = any(item.nodeid.endswith("test_views_survive_into_a_new_process") for item in request.session.items)
    if not wanted:
        yield None
        return
    path = tmp_path_factory.mktemp("persisted") / "wd"
    proc = subprocess.Popen(
        python_args(CREATE, str(path), str(EXAMPLE_SCENARIO)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    created = CreatedWorkdir(path, proc)
    yield created
    if proc.poll() is None:
        proc.kill()
        proc.communicate()
