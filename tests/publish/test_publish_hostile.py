"""Hostile names in catalog, schema and table, run for real on local Spark: the quoting holds, nothing is injected,
a view whose name would exceed 255 characters fails alone."""

from __future__ import annotations

import sqlglot
from publish_helpers import WORKSPACES, admin_row, config, make_system_catalog, write_admins
from sqlglot import exp

from rls.exitcodes import PARTIAL
from rls.publish import publish
from rls.sql.quoting import quote_name

CATALOG = "ca`t; DROP TABLE x; --"
SCHEMA = "sch'ema\"ünï"
# no backtick in the system catalog: the warehouse's refresh_information_schema does not double backticks in a catalog
# name (its bug, not the tool's; the pure generator is checked with backticks there too in test_publish_viewsql.py)
SYSTEM = "sy's; SELECT 1 ü"
SRC_SCHEMA = "ac`ce;ss"
SRC_TABLE = "tä`ble' or '1'='1"  # lower case: Unity Catalog (and the warehouse) store names lower-cased
LONG = "l" * 250


def test_hostile_names_publish_and_filter_on_spark(warehouse):
    tables = {f"{SRC_SCHEMA}.{SRC_TABLE}": "workspace_id STRING", f"{SRC_SCHEMA}.{LONG}": "workspace_id STRING"}
    make_system_catalog(warehouse, SYSTEM, tables, WORKSPACES)
    warehouse.create_catalog(CATALOG)
    write_admins(warehouse, CATALOG, SCHEMA, [admin_row(1003, user="Alice@Example.com")])
    mark = len(warehouse.statements)
    report = publish(warehouse, config(CATALOG, SCHEMA, system_catalog=SYSTEM))
    window = warehouse.statements[mark:]

    ok = report.result(f"{SRC_SCHEMA}.{SRC_TABLE}")
    assert ok.status == "created", ok.reason
    view = (CATALOG, SCHEMA, f"vw_system_{SRC_SCHEMA}_{SRC_TABLE}")
    long = report.result(f"{SRC_SCHEMA}.{LONG}")
    assert long.status == "failed" and "over the limit of 255" in long.reason and long.statements == 0
    assert report.exit_code == PARTIAL

    # every statement sent parses as one Databricks statement naming exactly the intended objects
    create = next(s.sql for s in window if s.sql.startswith("CREATE VIEW"))
    parsed = sqlglot.parse(create, read="databricks")
    assert len(parsed) == 1
    names = {(t.catalog, t.db, t.name) for t in parsed[0].find_all(exp.Table)}
    assert names == {view, (SYSTEM, SRC_SCHEMA, SRC_TABLE), (CATALOG, SCHEMA, "workspace_access_map"),
                     ("", "", "admin_groups_users")}  # fmt: skip
    for s in window:
        if s.kind != "query":
            assert len(sqlglot.parse(s.sql, read="databricks")) == 1, s.sql

    # and Spark ran it: the view exists under its hostile name and filters
    with warehouse.as_identity("alice@example.com"):
        rows = warehouse.fetch(f"SELECT DISTINCT workspace_id FROM {quote_name(*view)}")
    assert {r["workspace_id"] for r in rows} == {"1003"}
    with warehouse.as_identity("mallory@example.com"):
        assert warehouse.fetch(f"SELECT * FROM {quote_name(*view)}") == []


def test_hostile_catalog_and_schema_republish_unchanged(warehouse):
    catalog, schema = "we`ird;cat", "s'; --"
    write_admins(warehouse, catalog, schema, [admin_row(1001, user="alice@example.com")])
    warehouse.create_catalog(catalog)
    cfg = config(catalog, schema, include=["access.audit"])
    assert publish(warehouse, cfg).counts["created"] == 1
    mark = len(warehouse.statements)
    again = publish(warehouse, cfg)
    assert again.counts["unchanged"] == 1 and again.exit_code == 0
    assert not [s for s in warehouse.statements[mark:] if s.kind == "ddl"]


def test_hostile_table_name_republishes_unchanged(warehouse):
    make_system_catalog(warehouse, "pubsys_probe", {"ac`c.t`x": "workspace_id STRING"}, WORKSPACES)
    write_admins(warehouse, "main", "pub_probe", [admin_row(1003, user="a@b")])
    cfg = config("main", "pub_probe", system_catalog="pubsys_probe")
    assert publish(warehouse, cfg).counts["created"] == 1
    assert publish(warehouse, cfg).counts["unchanged"] == 1
