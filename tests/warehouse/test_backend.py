"""LocalWarehouseBackend on real local Spark: three-part names, DDL the tool issues, not-applicable statements."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality

from rls.sql.quoting import quote_name, quote_string
from rls_local.warehouse import LocalWarehouseBackend, WarehouseError


def kinds_since(backend: LocalWarehouseBackend, n: int) -> list[tuple[str, str]]:
    return [(s.kind, s.sql) for s in backend.statements[n:]]


def test_three_part_create_query_alter(warehouse: LocalWarehouseBackend):
    w = warehouse
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.tp")
    assert "lab" in w.catalogs()
    w.execute("CREATE OR REPLACE TABLE lab.tp.events (workspace_id STRING, n INT) USING parquet")
    w.execute("INSERT INTO lab.tp.events VALUES ('1001', 1), ('1002', 2), (NULL, 3)")
    w.execute("CREATE OR REPLACE VIEW `lab`.`tp`.`v_events` AS SELECT x.* FROM lab.tp.events x WHERE x.n > 1")
    assert w.fetch("SELECT workspace_id FROM lab.tp.v_events ORDER BY n") == [
        {"workspace_id": "1002"},
        {"workspace_id": None},
    ]

    w.execute("ALTER VIEW lab.tp.v_events AS SELECT x.* FROM lab.tp.events x WHERE x.n = 1")
    w.execute("ALTER VIEW lab.tp.v_events SET TBLPROPERTIES ('rls.fingerprint' = 'abc')")
    w.execute("COMMENT ON TABLE lab.tp.v_events IS 'filtered audit'")
    w.execute("COMMENT ON TABLE lab.tp.events IS 'raw'")
    assert w.fetch("SELECT n FROM lab.tp.v_events") == [{"n": 1}]
    props = {r["key"]: r["value"] for r in w.fetch("SHOW TBLPROPERTIES lab.tp.v_events")}
    assert props["rls.fingerprint"] == "abc"

    desc = {r["col_name"]: r["data_type"] for r in w.fetch("DESCRIBE TABLE EXTENDED lab.tp.v_events")}
    assert (desc["Catalog"], desc["Database"], desc["Table"], desc["Type"]) == ("lab", "tp", "v_events", "VIEW")
    assert desc["Comment"] == "filtered audit"
    assert desc["workspace_id"] == "string"
    table_desc = {r["col_name"]: r["data_type"] for r in w.fetch("DESCRIBE TABLE EXTENDED lab.tp.events")}
    assert table_desc["Comment"] == "raw"

    views = w.fetch("SHOW VIEWS IN lab.tp")
    assert [(v["namespace"], v["viewName"]) for v in views] == [("tp", "v_events")]
    assert {"databaseName": "tp"} in w.fetch("SHOW SCHEMAS IN lab")
    assert {"catalog": "lab"} in w.fetch("SHOW CATALOGS")

    w.execute("DROP VIEW IF EXISTS lab.tp.v_events")
    assert w.fetch("SHOW VIEWS IN lab.tp") == []
    assert not w.table_exists("lab.tp.v_events")
    assert w.table_exists("`lab`.`tp`.`events`")


def test_unknown_catalog_is_an_error_not_a_silent_two_level_name(warehouse: LocalWarehouseBackend):
    with pytest.raises(Exception, match=r"(?i)nosuchcatalog|not found|namespace"):
        warehouse.fetch("SELECT * FROM nosuchcatalog.s.t")


def test_hostile_names_round_trip(warehouse: LocalWarehouseBackend):
    w = warehouse
    cat, schema = "hostile`cat", "s; DROP TABLE x; --"
    table = "t'ab\"le `with` spaces, ünïcødé 表"
    view = "v" + "é" * 200 + "`" * 54  # 255 characters
    assert len(view) == 255
    w.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(cat, schema)}")
    w.execute(f"CREATE TABLE IF NOT EXISTS {quote_name(cat, schema, table)} (workspace_id STRING) USING parquet")
    w.execute(f"INSERT INTO {quote_name(cat, schema, table)} VALUES ({quote_string(table)})")
    w.execute(
        f"CREATE OR REPLACE VIEW {quote_name(cat, schema, view)} AS SELECT * FROM {quote_name(cat, schema, table)}"
    )
    assert w.fetch(f"SELECT workspace_id FROM {quote_name(cat, schema, view)}") == [{"workspace_id": table}]
    # Unity Catalog names are case-insensitive: upper case reaches the same objects
    assert w.fetch(f"SELECT count(*) AS n FROM {quote_name(cat.upper(), schema.upper(), view.upper())}") == [{"n": 1}]
    listed = {r["tableName"] for r in w.fetch(f"SHOW TABLES IN {quote_name(cat, schema)}")}
    assert listed == {table.lower(), view.lower()}
    assert {r["viewName"] for r in w.fetch(f"SHOW VIEWS IN {quote_name(cat, schema)}")} == {view.lower()}
    assert {"databaseName": schema.lower()} in w.fetch(f"SHOW SCHEMAS IN {quote_name(cat)}")
    # LIKE patterns match the real names, as on Databricks (Spark alone would match its encoded stand-ins)
    where = quote_name(cat, schema)
    assert {r["tableName"] for r in w.fetch(f"SHOW TABLES IN {where} LIKE 'V*'")} == {view.lower()}
    assert {r["tableName"] for r in w.fetch(f"SHOW TABLES IN {where} LIKE r'V*'")} == {view.lower()}  # raw literal
    alternatives = quote_string("nothing*|t'ab*")  # a quote in the pattern, escaped as Databricks SQL does
    assert {r["tableName"] for r in w.fetch(f"SHOW TABLES IN {where} LIKE {alternatives}")} == {table.lower()}
    assert w.fetch(f"SHOW VIEWS IN {where} LIKE 't*'") == []
    extended = w.fetch(f"SHOW TABLE EXTENDED IN {where} LIKE 'vé*'")
    assert [r["tableName"] for r in extended] == [view.lower()] and "Type: VIEW" in extended[0]["information"]


def test_struct_access_and_string_literals_survive(warehouse: LocalWarehouseBackend):
    rows = warehouse.fetch(
        "SELECT x.user_identity.email AS email, 'system.access.audit' AS lit, 'main.rls.x -- not a comment' AS lit2 "
        "FROM system.access.audit x /* system.access.audit */ WHERE x.user_identity.email = 'bob@example.com' LIMIT 1"
    )
    assert rows == [{"email": "bob@example.com", "lit": "system.access.audit", "lit2": "main.rls.x -- not a comment"}]


def test_dataframe_of_a_view_matches_its_definition(warehouse: LocalWarehouseBackend):
    w = warehouse
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.df")
    w.execute(
        "CREATE OR REPLACE VIEW lab.df.usage_1001 AS SELECT u.workspace_id, u.usage_quantity "
        "FROM system.billing.usage u WHERE u.workspace_id = '1001'"
    )
    expected = w.dataframe(
        "SELECT workspace_id, usage_quantity FROM system.billing.usage WHERE workspace_id = '1001'"
    ).orderBy("usage_quantity")
    actual = w.dataframe("SELECT * FROM lab.df.usage_1001").orderBy("usage_quantity")
    assert_df_equality(actual, expected)
    assert actual.count() > 0


def test_privilege_statements_run_and_only_tags_and_catalogs_are_not_applicable(warehouse: LocalWarehouseBackend):
    w = warehouse
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.na")
    w.execute("CREATE OR REPLACE VIEW lab.na.v AS SELECT 1 AS one")
    n = len(w.statements)
    # The privilege model runs (or refuses) what Databricks would run: never skipped as "not applicable".
    run = [
        "GRANT SELECT ON VIEW lab.na.v TO `account users`",
        "REVOKE SELECT ON VIEW lab.na.v FROM `account users`",
        "ALTER VIEW lab.na.v OWNER TO `11111111-aaaa-bbbb-cccc-000000000000`",
    ]
    skipped = ["ALTER VIEW lab.na.v SET TAGS ('rls' = 'managed')", "CREATE CATALOG IF NOT EXISTS brand_new"]
    outcomes = [w.execute(sql) for sql in run + skipped]
    assert [(st.sql, st.applied) for st in outcomes] == [(s, True) for s in run] + [(s, False) for s in skipped]
    w.execute("ALTER VIEW lab.na.v SET TBLPROPERTIES ('owner_note' = 'OWNER TO nobody')")
    recorded = kinds_since(w, n)
    assert recorded == [("ddl", s) for s in run] + [("not_applicable", s) for s in skipped] + [
        ("ddl", "ALTER VIEW lab.na.v SET TBLPROPERTIES ('owner_note' = 'OWNER TO nobody')")
    ]
    assert "brand_new" in w.catalogs()  # registered, so later CREATE SCHEMA brand_new.x works
    assert w.fetch("SELECT one FROM lab.na.v") == [{"one": 1}]


def test_use_sets_the_namespace_for_unqualified_names(warehouse: LocalWarehouseBackend):
    w = warehouse
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.ns")
    w.execute("CREATE OR REPLACE VIEW lab.ns.vw_here AS SELECT 'here' AS where_am_i")
    w.use("lab", "ns")
    try:
        assert w.fetch("SELECT where_am_i FROM vw_here") == [{"where_am_i": "here"}]
        w.execute("USE CATALOG system")
        w.execute("USE SCHEMA billing")
        assert w.fetch("SELECT count(*) AS n FROM list_prices")[0]["n"] > 0
        with pytest.raises(WarehouseError, match="not found"):
            w.use("no_such_catalog", "x")
    finally:
        w.reset_namespace()


def test_save_table_and_table_exists_map_three_part_names(warehouse: LocalWarehouseBackend):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:
        workspace_id: str
        user_name: str | None

    w = warehouse
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.save")
    w.save_table("`lab`.`save`.`perms`", [Row("1001", "Alice@Example.com"), Row("1002", None)], Row)
    assert w.statements[-1].kind == "write"
    assert w.table_exists("lab.save.perms")
    assert w.fetch("SELECT * FROM lab.save.perms ORDER BY workspace_id") == [
        {"workspace_id": "1001", "user_name": "Alice@Example.com"},
        {"workspace_id": "1002", "user_name": None},
    ]
