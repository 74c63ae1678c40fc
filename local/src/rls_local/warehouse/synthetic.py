"""Synthetic ``system.*`` tables for a scenario: realistic columns, deterministic rows, every workspace covered.

Every table with a ``workspace_id`` (STRING, as on Databricks) gets ``rows_per_workspace`` rows for each scenario
workspace (running or not), for ``'0'`` (account-level) and for NULL. Identity columns (see
:data:`rls_local.warehouse.system_schemas.IDENTITY_COLUMNS`) carry what current_user() returns for the scenario's users
(``user_name`` in its original case) and service principals (``application_id``); columns that hold principal
**ids** (:data:`~rls_local.warehouse.system_schemas.PRINCIPAL_ID_COLUMNS`, e.g. ``lakeflow.jobs.run_as``) carry the
numeric account id the emulator gives that principal (:mod:`rls_local.emulator.ids`, the account SCIM id). Rotated per
workspace so that each identity has rows in several workspaces (in all of them once ``rows_per_workspace`` >= the
number of identities).
Times fall in the 30 days before ``today``. The same seed and day give the same rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyspark.sql import types as T

from rls.sql import system_tables
from rls_local.scenario import Scenario
from rls_local.warehouse.backend import LocalWarehouseBackend
from rls_local.warehouse.information_schema import refresh_information_schema
from rls_local.warehouse.system_schemas import IDENTITY_COLUMNS, NO_WORKSPACE_ID, PRINCIPAL_ID_COLUMNS, SCHEMAS

logger = logging.getLogger(__name__)

SYSTEM_CATALOG = "system"
_SECONDARY = {"creator_id", "creator_user_name", "created_by"}  # who set the thing up, as opposed to who runs it
_SKUS = ("PREMIUM_JOBS_COMPUTE", "PREMIUM_ALL_PURPOSE_COMPUTE", "PREMIUM_SQL_PRO_COMPUTE", "PREMIUM_SERVERLESS_SQL")


@dataclass(frozen=True)
class RowContext:
    """What one synthetic row is about; column generators read from it."""

    rng: random.Random
    scenario: Scenario
    workspace_id: str | None
    identity: str
    secondary: str
    when: dt.datetime
    index: int
    principal_ids: dict[str, str]  # identity -> its account principal id (str)


def identities(scenario: Scenario) -> list[str]:
    """What current_user() returns for each user and service principal (inactive ones too: they have history)."""
    return [u.user_name for u in scenario.users] + [s.application_id for s in scenario.service_principals]


def principal_ids(scenario: Scenario) -> dict[str, str]:
    """identity (as in :func:`identities`) -> the account principal id the emulator serves for it."""
    from rls_local.emulator.ids import PrincipalIds
    from rls_local.scenario import PrincipalRef

    ids = PrincipalIds(scenario)
    out = {u.user_name: str(ids.id_of(PrincipalRef("user", u.id))) for u in scenario.users}
    sps = scenario.service_principals
    out |= {s.application_id: str(ids.id_of(PrincipalRef("service_principal", s.id))) for s in sps}
    return out


@functools.cache
def struct_of(name: str) -> T.StructType:
    """The Spark type of system table ``name``, parsed once per process: each parse is a call into the JVM (about
    50 ms), and every warehouse a process prepares builds all 22 tables in each region."""
    return T._parse_datatype_string(SCHEMAS[name])


def workspace_ids(scenario: Scenario) -> list[str | None]:
    return [str(w.workspace_id) for w in scenario.workspaces] + ["0", None]


def build_system_tables(
    backend: LocalWarehouseBackend,
    scenario: Scenario,
    *,
    seed: int = 0,
    rows_per_workspace: int = 12,
    today: dt.date | None = None,
    catalog: str = SYSTEM_CATALOG,
    region_workspaces: set[int] | None = None,
    only: set[str] | None = None,
) -> dict[str, int]:
    """Create (or replace) ``<catalog>.<schema>.<table>`` for every table in :data:`SCHEMAS` (``only``: those of its
    ``schema.table`` names; the catalog's information_schema still lists every table it holds); return row counts.

    ``catalog`` lets a test build a second, independent copy (point the tool's ``system_catalog`` at it).
    ``region_workspaces``: the workspaces of this metastore's region. Regional tables (and the workspace-level rows
    of mixed ones, e.g. ``access.audit``) then hold only their rows, as on Databricks ("to see records from another
    region, view the tables from a workspace in that region"); global ones and rows of no workspace ('0', NULL)
    hold every workspace's. A workspace's rows are the same in every region that has them.
    Nothing here is recorded in ``backend.statements``.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    backend.create_catalog(catalog)
    wanted = sorted(SCHEMAS if only is None else set(SCHEMAS) & only)
    for schema in sorted({name.split(".")[0] for name in wanted}):
        backend.run(f"CREATE SCHEMA IF NOT EXISTS `{catalog}`.`{schema}`")
    ids = identities(scenario) or ["System-User"]

    structs = {name: struct_of(name) for name in wanted}

    def build(name: str) -> tuple[str, int]:
        struct = structs[name]
        rows = _rows(name, struct, scenario, ids, seed, rows_per_workspace, today)
        if region_workspaces is not None and system_tables.scope(name) != "global" and name not in NO_WORKSPACE_ID:
            at = struct.fieldNames().index("workspace_id")
            keep = {str(w) for w in region_workspaces} | {"0", None}
            rows = [r for r in rows if (None if r[at] is None else str(r[at])) in keep]
        ref = backend.names.table(catalog, *name.split("."))
        df = backend.spark.createDataFrame(rows, struct)
        df.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(ref.spark_name)
        return name, len(rows)

    # Each table is a small Spark job plus a metastore round trip: a few in parallel keep the whole build short.
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = dict(pool.map(build, wanted))
    written = {tuple(name.split(".", 1)): struct for name, struct in structs.items()}
    refresh_information_schema(backend, catalog=catalog, known=written)
    from rls_local.warehouse.platform import grant_job_system_access

    grant_job_system_access(backend, scenario, catalog)
    logger.info("built %d synthetic tables in catalog %r (%d rows)", len(counts), catalog, sum(counts.values()))
    return counts


def synthetic_rows(
    name: str, scenario: Scenario, *, seed: int = 0, rows_per_workspace: int = 12, today: dt.date | None = None
) -> list[tuple[Any, ...]]:
    """The rows :func:`build_system_tables` writes to ``system.<name>`` (needs a running Spark to parse the schema)."""
    struct = struct_of(name)
    today = today or dt.datetime.now(dt.UTC).date()
    return _rows(name, struct, scenario, identities(scenario) or ["System-User"], seed, rows_per_workspace, today)


def _rows(
    name: str,
    struct: T.StructType,
    scenario: Scenario,
    ids: list[str],
    seed: int,
    per_ws: int,
    today: dt.date,
) -> list[tuple[Any, ...]]:
    # One generator per table, seeded from the table name: adding a table does not change the others' rows.
    rng = random.Random(f"{seed}:{name}")
    start = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    has_ws = name not in NO_WORKSPACE_ID
    plan: list[tuple[int, str | None]] = []
    if name == "access.workspaces_latest":
        plan = list(enumerate(workspace_ids(scenario)))
    elif has_ws:
        plan = [(wi, ws) for wi, ws in enumerate(workspace_ids(scenario)) for _ in range(per_ws)]
    else:
        plan = [(0, None)] * max(4, per_ws // 2)
    pids = principal_ids(scenario)
    rows = []
    for i, (wi, ws) in enumerate(plan):
        k = i % per_ws if has_ws else i
        ctx = RowContext(
            rng=rng,
            scenario=scenario,
            workspace_id=ws,
            identity=ids[(k + wi) % len(ids)],
            secondary=ids[(k + wi + 1) % len(ids)],
            when=start - dt.timedelta(seconds=rng.randrange(1, 30 * 86400)),
            index=i,
            principal_ids=pids,
        )
        rows.append(tuple(_value(name, f.name, f.dataType, ctx, depth=0) for f in struct.fields))
    return rows


def _value(table: str, path: str, dtype: T.DataType, ctx: RowContext, depth: int) -> Any:
    special = _special(table, path, ctx)
    if special is not _GENERIC:
        return special
    leaf = path.rsplit(".", 1)[-1]
    rng = ctx.rng
    if isinstance(dtype, T.StructType):
        if depth >= 2:
            return None
        return tuple(_value(table, f"{path}.{f.name}", f.dataType, ctx, depth + 1) for f in dtype.fields)
    if isinstance(dtype, T.StringType):
        return f"{leaf}-{rng.randrange(10**6):06d}"
    if isinstance(dtype, T.BooleanType):
        return rng.random() < 0.5
    if isinstance(dtype, T.ByteType):
        return rng.randrange(0, 101)
    if isinstance(dtype, T.IntegerType | T.LongType | T.ShortType):
        return rng.randrange(0, 10_000)
    if isinstance(dtype, T.DoubleType | T.FloatType):
        return round(rng.uniform(0, 100), 2)
    if isinstance(dtype, T.DecimalType):
        return Decimal(f"{rng.uniform(0, 50):.6f}")
    if isinstance(dtype, T.TimestampType):
        return (
            ctx.when
            if not leaf.startswith(("end", "period_end", "usage_end"))
            else ctx.when + dt.timedelta(minutes=rng.randrange(1, 240))
        )
    if isinstance(dtype, T.DateType):
        return ctx.when.date()
    if isinstance(dtype, T.MapType):
        if isinstance(dtype.valueType, T.StringType):
            return {"team": rng.choice(("data", "ml", "finance"))}
        if isinstance(dtype.valueType, T.LongType):
            return {"/local_disk0": rng.randrange(10**9, 10**11)}
        return {}
    if isinstance(dtype, T.ArrayType):
        return [f"{leaf}-{rng.randrange(10**6):06d}"] if isinstance(dtype.elementType, T.StringType) else []
    return None


_GENERIC = object()
_IDENTITY_PATHS = {(c.table, c.path) for c in IDENTITY_COLUMNS}
_PRINCIPAL_ID_PATHS = {(c.table, c.path) for c in PRINCIPAL_ID_COLUMNS}


def _special(table: str, path: str, ctx: RowContext) -> Any:
    """Values that must be right (ids, identities, workspace facts); _GENERIC for everything else."""
    leaf = path.rsplit(".", 1)[-1]
    if (table, path) in _IDENTITY_PATHS:
        return ctx.secondary if leaf in _SECONDARY else ctx.identity
    if (table, path) in _PRINCIPAL_ID_PATHS:
        who = ctx.secondary if leaf in _SECONDARY else ctx.identity
        return ctx.principal_ids.get(who)
    if path == "account_id":
        return ctx.scenario.account_id
    if path == "workspace_id":
        return ctx.workspace_id
    if leaf in ("delete_time", "endpoint_delete_time"):
        return None
    fn = _BY_TABLE.get((table, path)) or _BY_COLUMN.get(path)
    return fn(ctx) if fn else _GENERIC


def _workspace_attr(ctx: RowContext, attr: str) -> Any:
    ws = next((w for w in ctx.scenario.workspaces if str(w.workspace_id) == ctx.workspace_id), None)
    if ws is None:
        return None
    if attr == "url":
        host = {"aws": "cloud.databricks.com", "azure": "azuredatabricks.net", "gcp": "gcp.databricks.com"}
        return f"https://{ws.deployment_name}.{host.get(ctx.scenario.cloud, 'cloud.databricks.com')}"
    return getattr(ws, attr)


_BY_COLUMN: dict[str, Callable[[RowContext], Any]] = {
    "cloud": lambda c: c.scenario.cloud.upper(),
    "sku_name": lambda c: c.rng.choice(_SKUS),
    "usage_unit": lambda c: "DBU",
    "record_type": lambda c: "ORIGINAL",
    "audit_level": lambda c: "ACCOUNT_LEVEL" if c.workspace_id == "0" else "WORKSPACE_LEVEL",
    "execution_status": lambda c: c.rng.choice(("FINISHED", "FINISHED", "FAILED", "CANCELED")),
    "result_state": lambda c: c.rng.choice(("SUCCEEDED", "SUCCEEDED", "FAILED", "CANCELLED")),
    "service_name": lambda c: c.rng.choice(("unityCatalog", "clusters", "jobs", "databrickssql", "accounts")),
    "action_name": lambda c: c.rng.choice(("getTable", "create", "runNow", "commandSubmit", "login")),
    "event_type": lambda c: c.rng.choice(("RUNNING", "SCALED_UP", "SCALED_DOWN", "STOPPED")),
}
_BY_TABLE: dict[tuple[str, str], Callable[[RowContext], Any]] = {
    ("access.workspaces_latest", "workspace_name"): lambda c: _workspace_attr(c, "workspace_name"),
    ("access.workspaces_latest", "workspace_url"): lambda c: _workspace_attr(c, "url"),
    ("access.workspaces_latest", "status"): lambda c: _workspace_attr(c, "workspace_status"),
    ("access.audit", "user_identity.subject_name"): lambda c: None,
    ("query.history", "statement_text"): lambda c: c.rng.choice(("SELECT 1", "SELECT * FROM main.sales.orders")),
    ("query.history", "statement_type"): lambda c: "SELECT",
    ("billing.usage", "usage_type"): lambda c: "COMPUTE_TIME",
    # one current list price per SKU the usage rows use, so the dashboard's cost widget joins something
    ("billing.list_prices", "sku_name"): lambda c: _SKUS[c.index % len(_SKUS)],
    ("billing.list_prices", "currency_code"): lambda c: "USD",
    ("billing.list_prices", "price_start_time"): lambda c: c.when - dt.timedelta(days=365),
    ("billing.list_prices", "price_end_time"): lambda c: None,
}
