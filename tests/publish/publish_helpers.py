"""Helpers for the publisher's tests on the local warehouse (the session-scoped ``warehouse`` fixture).

Tests never change ``system.*`` (shared by the whole session): a test that needs to add a column or drop a table
builds its own small system catalog with :func:`make_system_catalog` and points ``system_catalog`` at it. Each test
publishes into its own schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rls.config import RlsConfig
from rls.sql.backend import Statement
from rls.sql.quoting import quote_name
from rls.tables import ADMINS, GROUP, SERVICE_PRINCIPAL, USER, AccessRow

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
WORKSPACES = ("1001", "1002", "1003", "1004")  # the example scenario's: the shared system tables have their rows


def admin_row(
    workspace_id: int, *, user: str | None = None, group: str | None = None, sp: str | None = None
) -> AccessRow:
    """One row of the collector's admins table, shaped as the collector documents it (rls.tables.AccessRow)."""
    if group is not None and user is None:
        principal_type = GROUP
    elif sp is not None:
        principal_type, user = SERVICE_PRINCIPAL, sp
    else:
        principal_type = USER
    source = "direct" if group is None else "group"
    return AccessRow(
        workspace_id, f"ws-{workspace_id}", f"https://ws-{workspace_id}", user, group, principal_type, source, None,
        "run-1", NOW,
    )  # fmt: skip


def write_admins(backend, catalog: str, schema: str, rows: Iterable[AccessRow]) -> None:
    backend.run(f"CREATE SCHEMA IF NOT EXISTS {quote_name(catalog, schema)}")
    backend.save_table(quote_name(catalog, schema, ADMINS), list(rows), AccessRow)


READERS = "account users"  # the README's reader grant: SELECT on the views (they filter per reader) to every principal


def config(catalog: str, schema: str, *, system_catalog: str = "system", **publish) -> RlsConfig:
    """A publisher config that grants readers what the README tells admins to grant (``publish.grant_select_to``)."""
    cfg = RlsConfig(catalog=catalog, schema=schema, table_format="parquet", system_catalog=system_catalog)
    cfg.publish.grant_select_to = [READERS]
    for key, value in publish.items():
        setattr(cfg.publish, key, value)
    return cfg


def make_system_catalog(backend, catalog: str, tables: dict[str, str], workspaces: Iterable[str | None] = ()) -> None:
    """``{"access.audit": "workspace_id STRING, action STRING"}`` -> tables with one row per workspace (and
    '0', NULL) where they have a workspace_id, then ``<catalog>.information_schema`` describing them."""
    from rls_local.warehouse import refresh_information_schema

    backend.create_catalog(catalog)
    for key, columns in tables.items():
        schema, table = key.split(".", 1)
        name = quote_name(catalog, schema, table)
        backend.run(f"CREATE SCHEMA IF NOT EXISTS {quote_name(catalog, schema)}")
        backend.run(f"CREATE TABLE {name} ({columns}) USING parquet")
        if "workspace_id" in columns:
            values = ", ".join("(NULL)" if w is None else f"('{w}')" for w in (*workspaces, "0", None))
            backend.run(f"INSERT INTO {name} (workspace_id) VALUES {values}")
    refresh_information_schema(backend, catalog)


def statements_since(backend, mark: int) -> list[Statement]:
    return list(backend.statements[mark:])


def ddl(statements: list[Statement]) -> list[str]:
    return [s.sql for s in statements if s.kind == "ddl"]
