"""Publishing over time on real local Spark: drift, grants and owner, prune, failures that stay local.

Each test builds its own small system catalog (see publish_helpers.make_system_catalog), so it can add columns and
drop tables without touching the shared ``system.*``."""

from __future__ import annotations

import json
import logging

import sqlglot
from publish_helpers import WORKSPACES, admin_row, config, ddl, make_system_catalog, write_admins

from rls.exitcodes import ERROR, PARTIAL
from rls.publish import FINGERPRINT_PROPERTY, GRANTS_PROPERTY, discover, publish, view_sql
from rls.publish.state import _per_view, read_existing
from rls_local.warehouse import refresh_information_schema

ALICE = "alice@example.com"


def props(warehouse, view: str) -> dict[str, str]:
    return {r["key"]: r["value"] for r in warehouse.fetch(f"SHOW TBLPROPERTIES {view}")}


def comment(warehouse, view: str) -> str | None:
    rows = warehouse.fetch(f"DESCRIBE TABLE EXTENDED {view}")
    return next((r["data_type"] for r in rows if r["col_name"] == "Comment"), None)


def test_column_drift_alters_only_that_view_and_keeps_comment_and_properties(warehouse):
    make_system_catalog(warehouse, "pubsys_drift", {
        "access.audit": "workspace_id STRING, action STRING",
        "billing.usage": "workspace_id STRING, dbus DOUBLE",
        "billing.list_prices": "sku STRING, price DOUBLE",
    }, WORKSPACES)  # fmt: skip
    write_admins(warehouse, "main", "pub_drift", [admin_row(1001, user="Alice@Example.com")])
    cfg = config("main", "pub_drift", system_catalog="pubsys_drift")
    first = publish(warehouse, cfg)
    assert first.counts == {"created": 3, "altered": 0, "unchanged": 0, "skipped": 0, "failed": 0, "dropped": 0}
    # the public price list: a reference view under its own prefix, never a per-workspace vw_system_ view
    assert first.result("billing.list_prices").view == "main.pub_drift.ref_system_billing_list_prices"
    assert not warehouse.table_exists("main.pub_drift.vw_system_billing_list_prices")

    audit = "main.pub_drift.vw_system_access_audit"
    warehouse.execute(f"COMMENT ON TABLE {audit} IS 'kept by its users'")
    warehouse.run(f"ALTER VIEW {audit} SET TBLPROPERTIES ('team' = 'finops')")
    assert comment(warehouse, audit) == "kept by its users"
    warehouse.run("ALTER TABLE pubsys_drift.access.audit ADD COLUMNS (new_col STRING)")
    refresh_information_schema(warehouse, "pubsys_drift")
    # Spark (like Databricks) froze the view's columns at creation: without an ALTER the new column stays invisible
    assert "new_col" not in warehouse.dataframe(f"SELECT * FROM {audit}").columns

    mark = len(warehouse.statements)
    second = publish(warehouse, cfg)
    changed = ddl(warehouse.statements[mark:])
    assert second.result("access.audit").status == "altered"
    assert second.result("access.audit").reason == "definition changed"
    assert second.result("billing.usage").status == "unchanged"
    assert [s.split("\n")[0] for s in changed] == [
        "ALTER VIEW `main`.`pub_drift`.`vw_system_access_audit` AS",
        f"ALTER VIEW `main`.`pub_drift`.`vw_system_access_audit` SET TBLPROPERTIES ('{FINGERPRINT_PROPERTY}' = "
        f"'{discover_fp(warehouse, cfg, 'access.audit')}')",
    ]
    after = props(warehouse, audit)
    assert after["team"] == "finops" and comment(warehouse, audit) == "kept by its users"
    assert after[FINGERPRINT_PROPERTY] == discover_fp(warehouse, cfg, "access.audit")
    assert "new_col" in warehouse.dataframe(f"SELECT * FROM {audit}").columns
    with warehouse.as_identity(ALICE):
        assert {r["workspace_id"] for r in warehouse.fetch(f"SELECT workspace_id FROM {audit}")} == {"1001"}

    mark = len(warehouse.statements)
    assert publish(warehouse, cfg).counts["unchanged"] == 3  # the two filtered views and the price list reference
    assert ddl(warehouse.statements[mark:]) == []

    # the one-query listing and the view-by-view fallback read the same fingerprints
    warehouse.run("CREATE VIEW main.pub_drift.vw_system_not_ours AS SELECT 1 AS one")
    fast = read_existing(warehouse, "main", "pub_drift")
    slow = _per_view(warehouse, "`main`.`pub_drift`", "'vw_system_*|ref_system_*'", queries=0)
    assert fast.method == "SHOW TABLE EXTENDED" and fast.queries == 1 and slow.queries == 5
    assert (
        set(fast.views)
        == set(slow.views)
        == {"vw_system_access_audit", "vw_system_billing_usage", "vw_system_not_ours", "ref_system_billing_list_prices"}
    )
    for name, view in fast.views.items():
        assert view.fingerprint == slow.views[name].fingerprint
        assert view.grants_fingerprint == slow.views[name].grants_fingerprint
    assert fast.views["vw_system_not_ours"].fingerprint is None
    assert fast.views["vw_system_access_audit"].fingerprint == discover_fp(warehouse, cfg, "access.audit")
    assert fast.views["vw_system_access_audit"].grants_fingerprint is not None


def discover_fp(warehouse, cfg, key: str) -> str:
    table = next(t for t in discover(warehouse, cfg).tables if t.key == key)
    return view_sql(cfg, table).fingerprint


def test_include_exclude_access_levels_grants_and_owner(warehouse):
    write_admins(warehouse, "main", "pub_levels", [admin_row(1001, user=ALICE)])
    cfg = config(
        "main", "pub_levels", include=["access.*", "billing.usage"], exclude=["access.*lineage"],
        access_levels={"access.audit": "none", "access.outbound_network": "self"},
        grant_select_to=["Data Readers", "we`ird"], owner="owner-sp",
    )  # fmt: skip
    mark = len(warehouse.statements)
    report = publish(warehouse, cfg)
    window = warehouse.statements[mark:]
    status = {r.source: (r.status, r.reason) for r in report.results}
    assert status["access.audit"] == ("skipped", "access level none")
    assert not warehouse.table_exists("main.pub_levels.vw_system_access_audit")
    assert (
        status["access.outbound_network"][0] == "failed"
        and "needs publish.identity_columns" in status["access.outbound_network"][1]
    )
    assert status["access.table_lineage"] == ("skipped", "matched by publish.exclude")
    assert status["compute.clusters"] == ("skipped", "not matched by publish.include")
    assert status["billing.usage"] == ("created", None) and status["access.workspaces_latest"] == ("created", None)
    assert report.exit_code == PARTIAL  # a self view without identity columns is a failure, not a silent skip

    usage = "`main`.`pub_levels`.`vw_system_billing_usage`"
    ran = ddl(window)  # GRANT and OWNER TO run (the local privilege model), none is "not applicable"
    assert not [s for s in window if s.kind == "not_applicable"]
    assert f"GRANT SELECT ON VIEW {usage} TO `Data Readers`" in ran
    assert f"GRANT SELECT ON VIEW {usage} TO `we``ird`" in ran
    assert f"ALTER VIEW {usage} OWNER TO `owner-sp`" in ran  # the job's identity here is metastore admin
    order = [s.sql for s in window if usage in s.sql]
    assert order[0].startswith("CREATE VIEW") and order[-1].endswith("OWNER TO `owner-sp`")  # owner last
    assert all(not isinstance(sqlglot.parse_one(s, read="databricks"), sqlglot.exp.Command) for s in order[:-1])
    assert warehouse.privileges.store.owner("main.pub_levels.vw_system_billing_usage") == "owner-sp"

    # unchanged: no DDL at all, not even OWNER TO (the owner is already the configured one)
    mark = len(warehouse.statements)
    again = publish(warehouse, cfg)
    window = warehouse.statements[mark:]
    assert ddl(window) == [] and not any("OWNER TO" in s.sql for s in window)
    assert again.counts["unchanged"] == report.counts["created"]
    # a new grantee: grants and the grants fingerprint change, the body is not touched
    cfg.publish.grant_select_to.append("auditors")
    mark = len(warehouse.statements)
    third = publish(warehouse, cfg)
    window = warehouse.statements[mark:]
    assert (
        third.result("billing.usage").status == "altered" and third.result("billing.usage").reason == "grants changed"
    )
    assert not any(" AS\n" in s.sql for s in window)
    assert f"GRANT SELECT ON VIEW {usage} TO `auditors`" in [s.sql for s in window]
    assert props(warehouse, "main.pub_levels.vw_system_billing_usage")[GRANTS_PROPERTY] != ""


def test_failures_stay_local_and_prune_drops_only_our_orphans(warehouse):
    long_table = "t" * 250
    make_system_catalog(warehouse, "pubsys_prune", {
        "access.audit": "workspace_id STRING",
        "compute.clusters": "workspace_id STRING",
        "a_b.c": "workspace_id STRING",  # vw_system_a_b_c …
        "a.b_c": "workspace_id STRING",  # … twice
    }, WORKSPACES)  # fmt: skip
    write_admins(warehouse, "main", "pub_prune", [admin_row(1002, user=ALICE)])
    cfg = config("main", "pub_prune", system_catalog="pubsys_prune")
    first = publish(warehouse, cfg)
    assert first.result("a_b.c").status == first.result("a.b_c").status == "failed"
    assert "view name shared by" in first.result("a.b_c").reason
    assert first.counts["created"] == 2 and first.exit_code == PARTIAL
    warehouse.run("CREATE VIEW main.pub_prune.vw_system_handmade AS SELECT 1 AS one")  # not ours: never pruned

    # clusters disappears; two new tables appear, one of which is dropped before the run gets to it (information_schema
    # is a snapshot), and one has a name that makes the view name too long
    warehouse.run("DROP TABLE pubsys_prune.compute.clusters")
    for t in ("access.table_lineage", "access.column_lineage", f"access.{long_table}"):
        warehouse.run(f"CREATE TABLE pubsys_prune.{t} (workspace_id STRING) USING parquet")
    refresh_information_schema(warehouse, "pubsys_prune")
    warehouse.run("DROP TABLE pubsys_prune.access.column_lineage")

    kept = publish(warehouse, cfg)  # prune off (the default)
    assert kept.result("access.table_lineage").status == "created"
    assert kept.result("access.column_lineage").status == "failed"
    assert "TABLE_OR_VIEW_NOT_FOUND" in kept.result("access.column_lineage").reason
    assert "255" in kept.result(f"access.{long_table}").reason
    assert kept.result("access.audit").status == "unchanged" and kept.exit_code == PARTIAL
    assert warehouse.table_exists("main.pub_prune.vw_system_compute_clusters")

    pruned = publish(warehouse, cfg, prune=True)
    dropped = [r for r in pruned.results if r.status == "dropped"]
    assert [r.view for r in dropped] == ["main.pub_prune.vw_system_compute_clusters"]
    assert not warehouse.table_exists("main.pub_prune.vw_system_compute_clusters")
    assert warehouse.table_exists("main.pub_prune.vw_system_handmade")
    assert warehouse.table_exists("main.pub_prune.vw_system_access_table_lineage")


def test_static_fallback_when_information_schema_is_unreadable_and_no_prune_on_a_guess(warehouse, caplog):
    write_admins(warehouse, "main", "pub_static", [admin_row(1001, user=ALICE)])
    cfg = config("main", "pub_static", system_catalog="pub_no_such_catalog", include=["access.audit", "billing.usage"])
    with caplog.at_level(logging.WARNING, logger="rls.publish"):
        found = discover(warehouse, cfg)
        report = publish(warehouse, cfg, prune=True)
    assert found.source == "static" and found.error and len(found.tables) == 18
    assert any("static list" in m for m in caplog.messages)
    assert any("prune skipped" in m for m in caplog.messages)
    assert report.discovery == "static" and report.counts["failed"] == 2 and report.counts["dropped"] == 0
    assert report.exit_code == PARTIAL


def test_missing_schema_is_created_and_a_missing_access_map_fails_once(warehouse):
    cfg = config("main", "pub_fresh", include=["access.audit"])
    assert "pub_fresh" not in {r["databaseName"] for r in warehouse.fetch("SHOW SCHEMAS IN main")}
    mark = len(warehouse.statements)
    report = publish(warehouse, cfg)
    assert ddl(warehouse.statements[mark:]) == ["CREATE SCHEMA IF NOT EXISTS `main`.`pub_fresh`"]
    assert report.error and "run the collector first" in report.error and report.exit_code == ERROR
    assert report.result("access.audit").status == "failed"
    assert json.loads(report.to_json())["exit_code"] == ERROR


def test_existing_view_without_fingerprint_is_adopted_with_alter_and_a_table_is_left_alone(warehouse):
    write_admins(warehouse, "main", "pub_adopt", [admin_row(1001, user=ALICE)])
    # as the original tool left it: same name, no fingerprint, a property its users rely on
    warehouse.run("CREATE VIEW main.pub_adopt.vw_system_access_audit TBLPROPERTIES ('team' = 'sec') AS SELECT 1 AS x")
    warehouse.run("CREATE TABLE main.pub_adopt.vw_system_billing_usage (a INT) USING parquet")
    mark = len(warehouse.statements)
    report = publish(warehouse, config("main", "pub_adopt", include=["access.audit", "billing.usage"]))
    window = warehouse.statements[mark:]
    assert report.result("access.audit").status == "altered"
    assert report.result("access.audit").reason.startswith("adopted a view without an rls fingerprint")
    assert not any(s.sql.startswith("CREATE VIEW") for s in window)
    assert props(warehouse, "main.pub_adopt.vw_system_access_audit")["team"] == "sec"
    assert "workspace_id" in warehouse.dataframe("SELECT * FROM main.pub_adopt.vw_system_access_audit").columns
    usage = report.result("billing.usage")
    assert usage.status == "failed" and "not a view" in usage.reason and report.exit_code == PARTIAL
    assert warehouse.dataframe("SELECT * FROM main.pub_adopt.vw_system_billing_usage").columns == ["a"]
