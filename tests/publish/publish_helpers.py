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
from rls.tables import ACCESS_MAP, GROUP, SERVICE_PRINCIPAL, USER, AccessMapRow

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
WORKSPACES = ("1001", "1002", "1003", "1004")  # the example scenario's: the shared system tables have their rows


def admin_row(
    workspace_id: int,
    *,
    user: str | None = None,
    group: str | None = None,
    sp: str | None = None,
    permission: str = "ADMIN",
) -> AccessMapRow:
    """One way in of the collector's access map (what the views read), shaped as the collector documents it
    (rls.tables.AccessMapRow): a user / service principal as itself, an account group as one row (user_name NULL)."""
    if group is not None and user is None:
        principal_type = GROUP
    elif sp is not None:
        principal_type, user = SERVICE_PRINCIPAL, sp
    else:
        principal_type = USER
    group_id = None if group is None else f"id-{group}"
    return AccessMapRow(
        workspace_id, f"ws-{workspace_id}", f"https://ws-{workspace_id}", permission, user, group_id, group,
        principal_type, "direct", "run-1", NOW,
    )  # fmt: skip


def write_admins(backend, catalog: str, schema: str, rows: Iterable[AccessMapRow]) -> None:
    """Write ``rows`` as the collector's ``workspace_access_map`` (the only collector table the views read)."""
    backend.run(f"CREATE SCHEMA IF NOT EXISTS {quote_name(catalog, schema)}")
    backend.save_table(quote_name(catalog, schema, ACCESS_MAP), list(rows), AccessMapRow)


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
