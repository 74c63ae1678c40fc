"""SQL backends. Business code receives a :class:`SqlBackend` and never learns where its SQL runs.

- :class:`SparkBackend` runs on a SparkSession: the job's session on Databricks, a databricks-connect session from a
  laptop, or (through :class:`rls_local.warehouse.LocalWarehouseBackend`) the embedded local warehouse.
- :meth:`SqlBackend.execute` returns the :class:`Statement` it ran, which says whether it applied; every statement
  is also logged in :attr:`SqlBackend.statements`, so tests and benchmarks can count DDL.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from rls.sql.errors import SqlError, typed
from rls.sql.structs import row_converter, schema_ddl

logger = logging.getLogger(__name__)

_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|GRANT|REVOKE|COMMENT|INSERT|MERGE|TRUNCATE|SET\s+TAGS)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """One statement as it ran: what :meth:`SqlBackend.execute` returns and :attr:`SqlBackend.statements` keeps."""

    sql: str
    kind: Literal["ddl", "query", "write", "not_applicable"]
    seconds: float

    @property
    def applied(self) -> bool:
        """False when the platform has no such statement (Unity-Catalog-only DDL on the local warehouse): it was
        recorded, not run."""
        return self.kind != "not_applicable"


class SqlBackend(ABC):
    """Run SQL and save tables. Implementations must be safe to call from several threads."""

    table_format: str

    def __init__(self, table_format: str) -> None:
        self.table_format = table_format
        self._lock = threading.Lock()
        self.statements: list[Statement] = []

    # ---- what business code calls ---------------------------------------------------------------------------------
    def execute(self, sql: str) -> Statement:
        """Run a statement for its effect (DDL, DML); the returned statement says whether it applied here."""
        start = time.perf_counter()
        with named_errors():
            applicable = self._execute(sql)
        return self._record(sql, ("ddl" if _DDL.match(sql) else "query") if applicable else "not_applicable", start)

    def fetch(self, sql: str) -> list[dict[str, Any]]:
        """Run a query and return its rows as dicts (nested structs as dicts)."""
        start = time.perf_counter()
        with named_errors():
            rows = self._fetch(sql)
        self._record(sql, "query", start)
        return rows

    def save_table(
        self, full_name: str, rows: Sequence[Any], klass: type, mode: Literal["overwrite", "append"] = "overwrite"
    ) -> None:
        """Write dataclass rows to a table whose schema is derived from ``klass`` (atomic overwrite on Delta)."""
        start = time.perf_counter()
        convert = row_converter(klass)
        converted = [convert(r) for r in rows]
        with named_errors():
            self._save(full_name, converted, schema_ddl(klass), mode)
        self._after_save(full_name)
        self._record(f"-- save_table {full_name} ({len(rows)} rows, {mode})", "write", start)

    def save_tables(self, batch: Sequence[tuple[str, Sequence[Any], type]]) -> None:
        """Overwrite several tables as one snapshot: every row of every table is converted and checked against its
        table's schema before the first write, so a value the tables cannot hold changes nothing."""
        self.write_staged(self.stage_tables(batch))

    def stage_tables(self, batch: Sequence[tuple[str, Sequence[Any], type]]) -> list[tuple[str, Any, int]]:
        """Rows converted and checked against their table's schema, ready for :meth:`write_staged` (nothing
        written)."""
        staged = []
        for full_name, rows, klass in batch:
            convert = row_converter(klass)
            staged.append((full_name, self._stage([convert(r) for r in rows], schema_ddl(klass)), len(rows)))
        return staged

    def write_staged(self, staged: Sequence[tuple[str, Any, int]]) -> None:
        for full_name, frame, n in staged:
            start = time.perf_counter()
            with named_errors():
                self._write(full_name, frame, "overwrite")
            self._after_save(full_name)
            self._record(f"-- save_table {full_name} ({n} rows, overwrite)", "write", start)

    def save_query(self, full_name: str, sql: str) -> None:
        """Overwrite a table with the result of a query, computed where the data is (atomic overwrite on Delta):
        what grows with the account is expanded by the SQL engine, never held by the driver."""
        start = time.perf_counter()
        with named_errors():
            self._write(full_name, self._query_frame(sql), "overwrite")
        self._after_save(full_name)
        self._record(f"-- save_query {full_name}\n{sql}", "write", start)

    def table_exists(self, full_name: str) -> bool:
        with named_errors():
            return self._table_exists(full_name)

    def register_table_function(self, name: str, handler: type, returns: str) -> None:
        """Make ``handler`` (a class whose ``eval`` yields rows of ``returns``, a DDL column list) callable from this
        session's SQL as the table function ``name``, run by the engine's Python workers next to the data: for work
        SQL expresses badly, such as a graph walk. Temporary: it lives as long as the session."""
        self._register_table_function(name, handler, returns)

    # ---- what implementations provide ------------------------------------------------------------------------------
    @abstractmethod
    def _execute(self, sql: str) -> bool:
        """Run ``sql``; return False when the statement does not apply on this platform and was only recorded."""

    @abstractmethod
    def _fetch(self, sql: str) -> list[dict[str, Any]]: ...

    def _save(self, full_name: str, rows: list[Any], schema: str, mode: str) -> None:
        self._write(full_name, self._stage(rows, schema), mode)

    @abstractmethod
    def _stage(self, rows: list[Any], schema: str) -> Any:
        """Rows checked against ``schema`` and ready to write (raises on a value the schema cannot hold)."""

    @abstractmethod
    def _write(self, full_name: str, staged: Any, mode: str) -> None: ...

    @abstractmethod
    def _query_frame(self, sql: str) -> Any:
        """The (lazy) result of a query, in the form :meth:`_write` takes."""

    @abstractmethod
    def _table_exists(self, full_name: str) -> bool: ...

    @abstractmethod
    def _register_table_function(self, name: str, handler: type, returns: str) -> None: ...

    def _after_save(self, full_name: str) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Hook after a table was written (the local warehouse records its owner); nothing on Databricks."""

    def _record(self, sql: str, kind: Any, start: float) -> Statement:
        st = Statement(sql, kind, time.perf_counter() - start)
        with self._lock:
            self.statements.append(st)
        logger.debug("%s (%.3fs): %s", kind, st.seconds, sql[:200])
        return st


@contextmanager
def named_errors() -> Iterator[None]:
    """Every failure the seam can name leaves it typed (:mod:`rls.sql.errors`), its message unchanged."""
    try:
        yield
    except SqlError:
        raise
    except Exception as e:
        named = typed(e)
        if named is None:
            raise
        raise named from e


class SparkBackend(SqlBackend):
    """Runs on a SparkSession: the job's own on Databricks, or a databricks-connect session."""

    def __init__(self, spark: Any, table_format: str = "delta") -> None:
        super().__init__(table_format)
        self.spark = spark

    def _prepare(self, sql: str) -> str:
        """Hook for the local warehouse, which maps three-part names; on Databricks SQL runs as written."""
        return sql

    def _execute(self, sql: str) -> bool:
        self.spark.sql(self._prepare(sql)).collect()
        return True

    def _fetch(self, sql: str) -> list[dict[str, Any]]:
        return [r.asDict(recursive=True) for r in self.spark.sql(self._prepare(sql)).collect()]

    def _query_frame(self, sql: str) -> Any:
        return self.spark.sql(self._prepare(sql))

    def _stage(self, rows: list[Any], schema: str) -> Any:
        # createDataFrame over local rows converts and verifies every row eagerly (verifySchema defaults to true).
        return self.spark.createDataFrame(rows, schema)

    def _write(self, full_name: str, staged: Any, mode: str) -> None:
        (
            staged.write.format(self.table_format)
            .mode(mode)
            .option("overwriteSchema", "true" if mode == "overwrite" else "false")
            .saveAsTable(self._table_name(full_name))
        )

    def _table_name(self, full_name: str) -> str:
        return full_name

    def _table_exists(self, full_name: str) -> bool:
        return bool(self.spark.catalog.tableExists(self._table_name(full_name)))

    def _register_table_function(self, name: str, handler: type, returns: str) -> None:
        # Python UDTFs: Databricks Runtime 14.3 LTS and above (Public Preview), registered per SparkSession and
        # isolated to the job (docs.databricks.com/udf/python-udtf.html). Whether the job's wheel is importable in the
        # UDTF's Python worker is not documented for every compute type: the handler is shipped self-contained (see
        # rls.tables.expand), so being wrong there costs nothing. Failing to register fails the expansion before any
        # reporting table changed.
        from pyspark.sql.functions import udtf

        self.spark.udtf.register(name, udtf(handler, returnType=returns))


def databricks_backend(table_format: str = "delta") -> SparkBackend:
    """The backend for code running on Databricks (job/notebook), or via databricks-connect from a laptop."""
    try:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    except ImportError:
        spark = None
    if spark is None:
        try:
            from databricks.connect import DatabricksSession  # type: ignore[import-not-found]
        except ImportError:
            raise RuntimeError(
                "no Spark session: run on Databricks, install the 'connect' extra for databricks-connect, "
                "or pass --workdir DIR to use the local embedded warehouse"
            ) from None
        spark = DatabricksSession.builder.getOrCreate()
    return SparkBackend(spark, table_format)
