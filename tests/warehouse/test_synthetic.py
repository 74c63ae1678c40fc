"""Synthetic system tables and information_schema, as built by the session's warehouse fixture."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from rls_local.scenario import Scenario
from rls_local.warehouse import (
    IDENTITY_COLUMNS,
    NO_WORKSPACE_ID,
    SCHEMAS,
    WORKSPACE_TABLES,
    LocalWarehouseBackend,
    identities,
    refresh_information_schema,
    synthetic_rows,
)


def test_the_expected_tables_exist(warehouse: LocalWarehouseBackend):
    assert len(WORKSPACE_TABLES) == 18
    listed = {
        (r["table_schema"], r["table_name"])
        for r in warehouse.fetch("SELECT table_schema, table_name FROM system.information_schema.tables")
    }
    assert listed == {tuple(name.split(".")) for name in SCHEMAS}


def test_workspace_id_is_a_string_only_where_real(warehouse: LocalWarehouseBackend):
    cols = warehouse.fetch(
        "SELECT table_schema, table_name, data_type FROM system.information_schema.columns "
        "WHERE column_name = 'workspace_id'"
    )
    with_ws = {f"{c['table_schema']}.{c['table_name']}": c["data_type"] for c in cols}
    assert with_ws == dict.fromkeys(WORKSPACE_TABLES, "STRING")
    assert not set(NO_WORKSPACE_ID) & set(with_ws)


def test_every_workspace_table_has_rows_for_every_workspace_and_0_and_null(
    warehouse: LocalWarehouseBackend, example_scenario: Scenario
):
    expected = {str(w.workspace_id) for w in example_scenario.workspaces} | {"0", None}
    assert "1004" in expected  # a PROVISIONING workspace: not collected, but it has rows
    union = " UNION ALL ".join(
        f"SELECT DISTINCT '{name}' AS t, workspace_id FROM system.{name}" for name in WORKSPACE_TABLES
    )
    seen = defaultdict(set)
    for r in warehouse.fetch(union):
        seen[r["t"]].add(r["workspace_id"])
    assert dict(seen) == dict.fromkeys(WORKSPACE_TABLES, expected)


def test_identity_columns_carry_scenario_identities_across_workspaces(
    warehouse: LocalWarehouseBackend, example_scenario: Scenario
):
    ids = set(identities(example_scenario))
    assert "Alice@Example.com" in ids  # original case kept
    for col in IDENTITY_COLUMNS:
        rows = warehouse.fetch(
            f"SELECT x.{col.path} AS who, count(DISTINCT x.workspace_id) AS n FROM system.{col.table} x GROUP BY 1"
        )
        by_identity = {r["who"]: r["n"] for r in rows}
        assert set(by_identity) == ids, col
        assert min(by_identity.values()) >= 2, col


def test_times_are_in_the_last_30_days(warehouse: LocalWarehouseBackend):
    today = dt.datetime.now(dt.UTC).date()
    row = warehouse.fetch("SELECT min(usage_date) AS lo, max(usage_date) AS hi FROM system.billing.usage")[0]
    assert today - dt.timedelta(days=31) <= row["lo"] <= row["hi"] <= today
    row = warehouse.fetch("SELECT min(event_date) AS lo, max(event_time) AS hi FROM system.access.audit")[0]
    assert row["lo"] >= today - dt.timedelta(days=31)
    assert row["hi"].date() <= today


def test_rows_are_deterministic_per_seed(warehouse: LocalWarehouseBackend, example_scenario: Scenario):
    day = dt.date(2025, 1, 31)
    a = synthetic_rows("billing.usage", example_scenario, seed=7, today=day)
    assert a == synthetic_rows("billing.usage", example_scenario, seed=7, today=day)
    assert a != synthetic_rows("billing.usage", example_scenario, seed=8, today=day)


def test_information_schema_refresh_sees_a_new_column(warehouse: LocalWarehouseBackend):
    # A catalog of its own, so the shared system catalog stays as other tests expect it.
    w = warehouse
    w.run("CREATE SCHEMA IF NOT EXISTS drift.billing")
    w.run("CREATE OR REPLACE TABLE drift.billing.usage (workspace_id STRING, usage_quantity DECIMAL(38,18))")
    refresh_information_schema(w, catalog="drift")
    query = (
        "SELECT column_name, ordinal_position, data_type, full_data_type, is_nullable "
        "FROM drift.information_schema.columns WHERE table_schema = 'billing' AND table_name = 'usage' "
        "ORDER BY ordinal_position"
    )
    assert [r["column_name"] for r in w.fetch(query)] == ["workspace_id", "usage_quantity"]
    w.run("ALTER TABLE drift.billing.usage ADD COLUMNS (usage_metadata STRUCT<cluster_id: STRING>)")
    assert [r["column_name"] for r in w.fetch(query)] == ["workspace_id", "usage_quantity"]  # a snapshot
    refresh_information_schema(w, catalog="drift")
    assert w.fetch(query)[-1] == {
        "column_name": "usage_metadata",
        "ordinal_position": 2,
        "data_type": "STRUCT",
        "full_data_type": "struct<cluster_id:string>",
        "is_nullable": "YES",
    }
