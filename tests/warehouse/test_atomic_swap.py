"""Local table writes are atomic for readers: the old snapshot or the new one, never a missing or half table.

Before, an overwrite deleted the table's parquet files before writing the new ones, and a reader in between got
file-not-found errors (or an empty table) during a local collect.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rls_local.warehouse.versions import VERSIONS_DIR, ReadGuard, name_dir

SCHEMA = "main.swap_test"


@dataclass(frozen=True)
class Row:
    workspace_id: int
    user_name: str


def rows(n: int) -> list[Row]:
    return [Row(1000 + i, f"u{i}@example.com") for i in range(n)]


def test_a_reader_sees_whole_snapshots_while_a_writer_overwrites(warehouse) -> None:
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    table = f"{SCHEMA}.flip"
    sizes = [3 + 5 * i for i in range(10)]  # every version has its own row count
    warehouse.save_table(table, rows(sizes[0]), Row)
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()
    first_read = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.append(warehouse.fetch(f"SELECT count(*) AS n FROM {table}")[0]["n"])
            except BaseException as e:  # what the writer used to cause: file not found, table not found
                errors.append(e)
                return
            finally:
                first_read.set()

    reader = threading.Thread(target=read, name="reader")
    reader.start()
    first_read.wait(timeout=120)
    writes_started = len(seen)
    for n in sizes[1:] + sizes[:1]:
        warehouse.save_table(table, rows(n), Row)
    done.set()
    reader.join(timeout=120)
    assert not errors, f"a reader failed during the overwrites: {str(errors[0]).splitlines()[0]}"
    assert len(seen) > writes_started, "the reader read nothing while the writer wrote"
    assert set(seen) <= set(sizes), f"a read saw a partial table: {sorted(set(seen) - set(sizes))}"
    assert warehouse.fetch(f"SELECT count(*) AS n FROM {table}")[0]["n"] == sizes[0]


def test_superseded_versions_are_deleted_once_nobody_reads_them(warehouse) -> None:
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    table = f"{SCHEMA}.cleaned"
    for n in (1, 2, 3):
        warehouse.save_table(table, rows(n), Row)
    root = warehouse.workdir.resolve() / "warehouse" / VERSIONS_DIR / name_dir(warehouse.table_ref(table).spark_name)
    assert len(list(root.iterdir())) == 1
    assert warehouse.fetch(f"SELECT count(*) AS n FROM {table}")[0]["n"] == 3


def test_an_append_is_a_new_whole_version(warehouse) -> None:
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    table = f"{SCHEMA}.runs"
    warehouse.save_table(table, rows(2), Row)
    warehouse.save_table(table, rows(1), Row, mode="append")
    assert warehouse.fetch(f"SELECT count(*) AS n FROM {table}")[0]["n"] == 3


def test_a_version_lives_while_a_statement_begun_before_the_swap_runs(tmp_path: Path) -> None:
    guard = ReadGuard()
    old, older = tmp_path / "v1", tmp_path / "v0"
    old.mkdir()
    older.mkdir()
    with guard.statement():  # planned against v1 before the swap
        guard.retire(old)
        with guard.statement():  # began after the swap: cannot hold v1
            pass
        assert old.exists()
    assert not old.exists()
    guard.retire(older)  # nobody running: deleted at once
    assert not older.exists()


def test_every_backend_on_a_warehouse_shares_its_guard(tmp_path: Path) -> None:
    # A second backend opened on the same workdir must not delete what the first one's readers still read.
    assert ReadGuard.for_workdir(tmp_path / "w") is ReadGuard.for_workdir(tmp_path / "w" / ".." / "w")
