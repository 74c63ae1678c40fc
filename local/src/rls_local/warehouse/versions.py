"""Table versions of the local warehouse: readers see the old or the new snapshot, as Delta gives on Databricks.

Parquet has no transaction log: overwriting a table in place deletes its files before the new ones exist, so a
reader in between fails (file not found) or sees half a table. Instead, every new version is written whole to a
fresh directory (``warehouse/_rls_versions/<db>/<table>/v…``) and the table is pointed at it with one metastore
operation (``ALTER TABLE … SET LOCATION``): a reader that resolves the table gets the old location or the new one.

A reader that planned against the old location may still be reading its files after the swap, so an old version is
deleted only once every statement that started before the swap has finished (:class:`ReadGuard`). Statements run
through :class:`~rls_local.warehouse.LocalWarehouseBackend` are tracked; a DataFrame kept beyond its statement is not.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

VERSIONS_DIR = "_rls_versions"
_counter = itertools.count()


class ReadGuard:
    """When an old table version may be deleted: epochs counted in swaps, statements registered by start epoch."""

    _shared: dict[Path, ReadGuard] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def for_workdir(cls, workdir: Path) -> ReadGuard:
        """One guard per warehouse: every backend opened on it in this process reads the same tables."""
        with cls._shared_lock:
            return cls._shared.setdefault(Path(workdir).resolve(), cls())

    def __init__(self) -> None:
        self.writing = threading.Lock()  # one swap at a time
        self._lock = threading.Lock()
        self._epoch = 0
        self._running: Counter[int] = Counter()  # start epoch -> statements still running
        self._retired: list[tuple[int, Path]] = []  # (epoch of the swap that retired it, directory)

    @contextmanager
    def statement(self) -> Iterator[None]:
        with self._lock:
            start = self._epoch
            self._running[start] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[start] -= 1
                if not self._running[start]:
                    del self._running[start]
                doomed = self._releasable()
            _delete(doomed)

    def retire(self, directory: Path) -> None:
        """``directory`` is no longer any table's location (the swap has returned)."""
        with self._lock:
            self._epoch += 1
            self._retired.append((self._epoch, directory))
            doomed = self._releasable()
        _delete(doomed)

    def protected(self) -> set[Path]:
        with self._lock:
            return {d for _, d in self._retired}

    def _releasable(self) -> list[Path]:
        # A statement that started at epoch >= E began after swap E returned: it cannot use what E retired.
        oldest = min(self._running, default=self._epoch)
        doomed = [d for e, d in self._retired if e <= oldest]
        self._retired = [(e, d) for e, d in self._retired if e > oldest]
        return doomed


@dataclass(frozen=True)
class Stored:
    """What the metastore holds for an existing table: its columns (as compared for a same-schema swap) and where its
    files are."""

    columns: list[tuple[str, str]]
    location: Path


def stored(spark: Any, name: str) -> Stored | None:
    """The table ``name`` (a Spark name, `` `db`.`table` `` or with `` `spark_catalog`. ``) as the session catalog has
    it; None when there is none. One catalog lookup through the JVM: the Catalog API and ``DESCRIBE`` would take three
    metastore round trips (exists, schema, location) for each of the dozen writes of a collection."""
    session, jvm = spark._jsparkSession.sessionState(), spark._jvm
    parts = list(jvm.scala.jdk.javaapi.CollectionConverters.asJava(session.sqlParser().parseMultipartIdentifier(name)))
    ident = jvm.org.apache.spark.sql.catalyst.TableIdentifier(parts[-1], jvm.scala.Some(parts[-2]))
    catalog = session.catalog()
    if not catalog.tableExists(ident):
        return None
    meta = catalog.getTableMetadata(ident)
    fields = meta.schema().fields()
    columns = [(f.name().lower(), f.dataType().simpleString()) for f in fields]
    return Stored(columns, Path(str(meta.location().getPath())))


def columns(schema: Any) -> list[tuple[str, str]]:
    """A DataFrame schema's columns, as :class:`Stored` lists them."""
    return [(f.name.lower(), f.dataType.simpleString()) for f in schema.fields]


def write_version(spark: Any, guard: ReadGuard, root: Path, name: str, df: Any, old: Stored | None) -> None:
    """Make ``df`` the content of table ``name`` (Spark name), whole, in one metastore operation. ``old``: the table
    as it is (:func:`stored`), read under ``guard.writing``."""
    table_root = root / VERSIONS_DIR / name_dir(name)
    target = table_root / f"v{time.time_ns()}-{next(_counter)}"
    if old is None:
        df.write.format("parquet").option("path", str(target)).saveAsTable(name)
    elif old.columns == columns(df.schema):
        df.write.format("parquet").mode("errorifexists").save(str(target))
        spark.sql(f"ALTER TABLE {name} SET LOCATION '{_sql_string(str(target))}'").collect()
    else:
        # The table's columns change (a new version of rls): readers in between see no table. Only at an upgrade.
        df.write.format("parquet").mode("errorifexists").save(str(target))
        spark.sql(f"DROP TABLE {name}").collect()
        spark.sql(f"CREATE TABLE {name} USING parquet LOCATION '{_sql_string(str(target))}'").collect()
    if old is not None and _inside(old.location, table_root):
        guard.retire(old.location)
    _delete_orphans(table_root, keep={target, *guard.protected()})


def name_dir(spark_name: str) -> str:
    """``spark_catalog.`db`.`table``` → ``db/table`` (the registry's encoded names are safe as paths)."""
    parts = [p.strip("`") for p in spark_name.split("`.`")]
    return "/".join(parts[-2:])


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _delete_orphans(table_root: Path, keep: set[Path]) -> None:
    """Versions no reader can hold (left by a process that stopped mid-swap): no statement of this process used
    them, and no other process can have the workdir open (its metastore admits one at a time)."""
    kept = {k.resolve() for k in keep}
    for d in table_root.iterdir() if table_root.is_dir() else ():
        if d.resolve() not in kept:
            _delete([d])


def _delete(dirs: list[Path]) -> None:
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
        logger.debug("deleted table version %s", d)


def _sql_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
