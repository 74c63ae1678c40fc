"""``LocalWarehouseBackend``: the production SQL, unchanged, on local Spark.

Three-part names: rewritten in :meth:`prepare` (see :mod:`rls.sql.sqltext` and :mod:`rls_local.warehouse.names`)
rather than served by a Java ``CatalogPlugin``: Spark 4's session catalog is the only one that persists views and
SQL functions in the Hive metastore, and a view's stored text then names ``spark_catalog.<db>.<tbl>``, which a later
process resolves without any plugin. Privileges and ownership (``GRANT``, ``OWNER TO``, who may read or change what)
run through the warehouse's privilege model (:mod:`.privileges`, :mod:`.enforce`); only
tags and catalog DDL are recorded and reported as not applicable.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from rls.sql.backend import SparkBackend
from rls.sql.sqltext import Rewriter, not_applicable, parse_name, quote, significant, tokenize
from rls_local.warehouse import emulated_statements as statements
from rls_local.warehouse import grant_reports, policies, sharing
from rls_local.warehouse.authorize import authorize_write
from rls_local.warehouse.enforce import Enforcer
from rls_local.warehouse.identity import Identities
from rls_local.warehouse.names import SESSION_CATALOG, NameRegistry, TableRef, encode, normalize
from rls_local.warehouse.platform_db import PLATFORM_DB, PLATFORM_FUNCTIONS
from rls_local.warehouse.session import WarehouseError
from rls_local.warehouse.shared_catalogs import refuse_shared_write, refuse_write
from rls_local.warehouse.versions import ReadGuard, stored, write_version

logger = logging.getLogger(__name__)


def metastore_dir(workdir: Path, metastore: str) -> Path:
    """Where the names, owners and grants of a metastore other than the first live."""
    return Path(workdir) / "metastores" / encode(metastore)


class LocalWarehouseBackend(SparkBackend):
    """A :class:`SparkBackend` on the embedded warehouse of ``workdir`` (table format parquet)."""

    def __init__(self, spark: Any, workdir: Path, metastore: str | None = None) -> None:
        super().__init__(spark, table_format="parquet")
        self.workdir = Path(workdir)
        self.metastore = metastore
        """The Unity Catalog metastore this backend is attached to (None: the scenario's first, plain names)."""
        # Catalog names, owners and grants belong to a metastore: another one keeps its own (see .names).
        self.state_dir = self.workdir if metastore is None else metastore_dir(self.workdir, metastore)
        self.names = NameRegistry.for_workdir(self.state_dir, scope=metastore)
        self._current_catalog: str | None = None
        self._state_lock = threading.Lock()
        self._versions = ReadGuard.for_workdir(self.workdir)  # old versions live while a statement may read them
        self._rewriter = Rewriter(
            is_catalog=self.names.is_catalog,
            table=lambda c, s, t: self.names.table(c, s, t).spark_name,
            namespace=lambda c, s: f"{quote(SESSION_CATALOG)}.{quote(self.names.db(c, s))}",
            functions={f: f"{quote(SESSION_CATALOG)}.{quote(PLATFORM_DB)}.{quote(f)}" for f in PLATFORM_FUNCTIONS},
        )
        self.identities = Identities(spark)  # what current_user() returns, per thread
        # Spark's own current_user() when none is set: the principal of the platform, metastore admin locally.
        self.platform_principal: str = spark.sparkContext.sparkUser()
        self.privileges = Enforcer(self)

    @property
    def metastore_id(self) -> str:
        return self.metastore or sharing.first_metastore_id(self.workdir)

    def in_metastore(self, metastore: str | None) -> LocalWarehouseBackend:
        """The same warehouse (Spark session, table files, account groups) seen from another metastore: its own
        catalogs, owners and grants. ``None``: the first metastore."""
        return LocalWarehouseBackend(self.spark, self.workdir, metastore)

    # ---- identities (rls_local.warehouse.identity) and namespace -------------------------------------------------
    def as_identity(self, identity: str) -> AbstractContextManager[None]:
        """``current_user()`` returns ``identity`` for statements run by this thread inside the block (build and
        collect inside it: Spark folds ``current_user()`` into a literal while planning)."""
        return self.identities.acting_as(identity)

    def run_as(self, identity: str | None) -> AbstractContextManager[None]:
        """The identity the job runs as, for every thread that set none itself (the publisher's worker threads):
        ``current_user()`` and the privilege model see it. ``None``: the warehouse's own principal."""
        return self.identities.job_runs_as(identity)

    @property
    def identity(self) -> str | None:
        """Who runs this thread's statements: ``as_identity``, else the job identity, else None (the platform)."""
        return self.identities.current

    @property
    def job_identity(self) -> str | None:
        return self.identities.job

    def use(self, catalog: str, schema: str) -> None:
        """Make ``catalog.schema`` the current namespace (Spark's is per session: it is shared by all threads)."""
        if not self.names.is_catalog(catalog):
            raise WarehouseError(f"catalog {catalog!r} not found (known: {', '.join(self.catalogs()) or 'none'})")
        self.spark.sql(f"USE {quote(SESSION_CATALOG)}.{quote(self.names.db(catalog, schema))}").collect()
        with self._state_lock:
            self._current_catalog = normalize(catalog)

    def use_catalog(self, catalog: str) -> None:
        """``USE CATALOG``: the current catalog only (Spark's current database stays)."""
        if not self.names.is_catalog(catalog):
            raise WarehouseError(f"catalog {catalog!r} not found")
        with self._state_lock:
            self._current_catalog = normalize(catalog)

    def reset_namespace(self) -> None:
        """Back to Spark's ``default`` database and no current catalog."""
        self.spark.sql(f"USE {quote(SESSION_CATALOG)}.`default`").collect()
        with self._state_lock:
            self._current_catalog = None

    @property
    def current_catalog(self) -> str | None:
        with self._state_lock:
            return self._current_catalog

    def catalogs(self) -> list[str]:
        return self.names.catalogs()

    def create_catalog(self, name: str) -> None:
        """Register a catalog name (there is nothing to create in Spark: its schemas are databases)."""
        self.names.add_catalog(name)

    def table_ref(self, full_name: str) -> TableRef:
        """Where a three-part name ``cat.schema.table`` (quoted or not) lives in Spark."""
        parts = parse_name(full_name)
        if len(parts) != 3:
            raise ValueError(f"not a three-part name: {full_name!r}")
        return self.names.table(*parts)

    def prepare(self, sql: str) -> str:
        """``sql`` with its three-part names (and the platform's functions) mapped to where Spark keeps them."""
        return self._rewriter.rewrite(sql)

    # ---- running SQL without recording it (warehouse housekeeping, test helpers) -------------------------------
    def dataframe(self, sql: str) -> Any:
        """The DataFrame of a query, names mapped; not recorded in :attr:`statements` (for tests and tooling)."""
        self.privileges.before(sql)
        df = self.spark.sql(self._prepare(sql))
        self.privileges.check_read(df)
        return df

    def run(self, sql: str) -> bool:
        """Run a housekeeping statement like :meth:`execute`, without recording it as the tool's SQL."""
        return self._execute(sql)

    # ---- SparkBackend hooks ---------------------------------------------------------------------------------------
    _prepare = prepare  # the hook SparkBackend runs every statement through; the helpers call the public name

    def _table_name(self, full_name: str) -> str:
        try:
            parts = parse_name(full_name)
        except ValueError:
            return full_name
        if len(parts) == 3 and self.names.is_catalog(parts[0]):
            return self.names.table(*parts).spark_name
        return full_name

    def _table_exists(self, full_name: str) -> bool:
        # A catalog nobody created holds no table (Databricks answers False); Spark would refuse the three-part name.
        parts = parse_name(full_name)
        if len(parts) == 3 and normalize(parts[0]) != SESSION_CATALOG and not self.names.is_catalog(parts[0]):
            return False
        return super()._table_exists(full_name)

    def _write(self, full_name: str, staged: Any, mode: str) -> None:
        """Every write is a new version swapped in whole (:mod:`rls_local.warehouse.versions`); an append too (copy on
        write), so a concurrent reader never sees a missing or half-written table. ``staged``: the rows as a
        DataFrame already checked against the table's schema (:meth:`SqlBackend.save_tables`)."""
        parts = parse_name(full_name)
        if len(parts) == 3:
            refuse_write(self, parts[0])
            authorize_write(self.privileges, full_name)
        name = self._table_name(full_name)
        df = staged
        with self._versions.writing, self._versions.statement():
            old = stored(self.spark, name)
            if old is not None and mode == "append":
                df = self.spark.table(name).unionByName(df, allowMissingColumns=True)
            write_version(self.spark, self._versions, self.workdir.resolve() / "warehouse", name, df, old)

    def _execute(self, sql: str) -> bool:
        with self._versions.statement(), self.identities.for_statement():
            if sharing.handles(sql):
                sharing.execute(self, sql)
                return True
            refuse_shared_write(self, sql)
            if self.privileges.run_privilege_statement(sql):
                return True
            self.privileges.before(sql)
            existed = self.privileges.exists(sql)
            applied = self._execute_statement(sql)
            self.privileges.after(sql, existed)
            return applied

    def _after_save(self, full_name: str) -> None:
        self.privileges.after_save(full_name)

    def _execute_statement(self, sql: str) -> bool:
        reason = not_applicable(sql)
        if reason is not None:
            statements.register_created_catalog(self.names, sql)
            logger.info("not applicable locally (%s): %s", reason, sql[:120])
            return False
        lead = [t.word for t in significant(tokenize(sql))[:2]]
        if lead and lead[0] == "USE":
            statements.use(self, sql)
            return True
        if lead[:2] == ["COMMENT", "ON"] and statements.comment_on(self.spark, self._prepare(sql)):
            return True
        if len(lead) == 2 and lead[0] == "CREATE" and lead[1] in ("SCHEMA", "DATABASE", "NAMESPACE"):
            statements.register_schema_catalog(self.names, sql)
        self.spark.sql(statements.replace_table(self.spark, self._prepare(sql))).collect()
        return True

    def _fetch(self, sql: str) -> list[dict[str, Any]]:
        with self._versions.statement(), self.identities.for_statement():
            return self._fetch_rows(sql)

    def _query_frame(self, sql: str) -> Any:
        # The caller must hold SELECT on what the query reads, as for any query (checked on the plan).
        with self._versions.statement(), self.identities.for_statement():
            self.privileges.before(sql)
            df = self.spark.sql(self._prepare(sql))
            self.privileges.check_read(df)
            return df

    def _fetch_rows(self, sql: str) -> list[dict[str, Any]]:
        w = [t.word for t in significant(tokenize(sql))[:3]]
        if w[:2] == ["SHOW", "CATALOGS"]:
            return [{"catalog": c} for c in self.catalogs()]
        if w[:2] in (["SHOW", "SCHEMAS"], ["SHOW", "DATABASES"]):
            return statements.show_schemas(self, sql)
        if w[:2] == ["SHOW", "GRANTS"]:
            return grant_reports.show_grants(self.privileges, sql)
        if policies.handles(sql):
            return policies.show_policies(self, sql)
        if sharing.handles(sql):
            return sharing.execute(self, sql) or []
        refuse_shared_write(self, sql)
        if self.privileges.run_privilege_statement(sql):  # GRANT / REVOKE / OWNER TO, as through execute
            return []
        self.privileges.before(sql)  # authorized before Spark sees it: a command runs as soon as it is parsed
        listing = w[:1] == ["SHOW"] and len(w) > 1 and w[1] in ("TABLES", "VIEWS", "TABLE")
        pattern = None
        if listing:
            sql, pattern = statements.listing_pattern(sql)
        df = self.spark.sql(self._prepare(sql))
        self.privileges.check_read(df)
        rows = [r.asDict(recursive=True) for r in df.collect()]
        if listing:
            decoded = [self.names.decode_listing(grant_reports.owner_in_listing(self.privileges, r)) for r in rows]
            return [
                r
                for r in decoded
                if pattern is None or statements.listing_matches(pattern, str(r.get("tableName") or r.get("viewName")))
            ]
        if w[:1] in (["DESCRIBE"], ["DESC"]):
            return grant_reports.owner_in_describe(self.privileges, self.names.decode_describe(rows))
        return rows
