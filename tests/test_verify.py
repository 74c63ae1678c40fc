"""`rls verify` on the real local stack: the job's flow (emulated account, local Spark), then hand-made damage.

One collect + publish for the module; each test damages one thing, checks that exactly the right check fails, and
repairs what it damaged. Expectations name the damage, not the code's output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow import flow, fresh_schema, load, prepare
from rls import exitcodes, tables
from rls.collect.elevation import Ledger, LedgerEntry
from rls.publish import FINGERPRINT_PROPERTY, publish
from rls.sql import quote_name
from rls.sql.structs import from_row
from rls.verify import verify
from rls_local.warehouse import install_platform
from rls_local.warehouse.platform import grant_job_system_access

VIEW = "vw_system_access_audit"
# what the dashboard reads, so that its check runs against a deployment that publishes them
INCLUDE = ["access.audit", "billing.usage", "billing.list_prices", "query.history", "lakeflow.job_run_timeline"]


@pytest.fixture(scope="module")
def deployed(warehouse, example_scenario, tmp_path_factory) -> Iterator[Any]:
    # No injected faults: this module is about the deployed state, the collector's retries are tested elsewhere.
    scenario = load("tricky", faults=[])
    sp = scenario.collector_identity
    # The README's prerequisites for the job's identity (the prod job runs as the SP), granted by a metastore admin
    # (the local warehouse's own principal): CREATE SCHEMA on the catalog, and USE CATALOG/USE SCHEMA/SELECT on the
    # system schemas it reads, which the platform gives the job's identity as the scenario says (all of them) and
    # nobody else.
    system_catalog = prepare(warehouse, scenario)
    with warehouse.run_as(sp):
        grant_job_system_access(warehouse, scenario, system_catalog)
    warehouse.execute(f"GRANT CREATE SCHEMA ON CATALOG `main` TO `{sp}`")
    overrides = {"publish.include": INCLUDE, "publish.grant_select_to": ["account users"]}
    with warehouse.run_as(sp):
        result = flow(
            warehouse, scenario, tmp_path_factory.mktemp("verify"), fresh_schema("verify"), overrides=overrides
        )
    assert result.collect.outcome == "ok" and result.publish.exit_code == exitcodes.OK
    yield result
    install_platform(warehouse, example_scenario)  # flow() switched is_account_group_member to this scenario


@pytest.fixture
def cfg(deployed) -> Any:
    return deployed.cfg


@pytest.fixture
def ledger(cfg) -> str:
    return str(cfg.collect.elevation_ledger)


def as_job(warehouse, cfg) -> Any:
    return warehouse.run_as(cfg.collect.collector_application_id)


def run(warehouse, cfg, ledger_path: str | None, **kw: Any):
    with as_job(warehouse, cfg):  # as the job's identity, which may read system
        return verify(warehouse, cfg, ledger_path=ledger_path, **kw)


def failed(report) -> set[str]:
    return {c.name for c in report.failed}


def name(cfg, table: str) -> str:
    return quote_name(cfg.catalog, cfg.schema, table)


@pytest.fixture
def republish(warehouse, cfg) -> Iterator[None]:
    """After a test that damaged a view: drop our views and publish again (as the job does), so the next test
    starts clean."""
    yield
    warehouse.run(f"DROP VIEW IF EXISTS {name(cfg, VIEW)}")
    with warehouse.run_as(cfg.collect.collector_application_id):
        assert publish(warehouse, cfg).exit_code == exitcodes.OK


def test_clean_run_passes_every_check_the_platform_can_answer(warehouse, cfg, ledger) -> None:
    before = len(warehouse.statements)
    report = run(warehouse, cfg, ledger)
    statuses = {c.name: c.status for c in report.checks}
    assert report.exit_code == exitcodes.OK, report.lines()
    # owners, grants and the dashboard are checked locally too (the warehouse's privilege model answers)
    assert {n for n, s in statuses.items() if s == "pass"} == set(statuses), report.lines()
    # The tricky account needs elevations: the ledger exists and is all closed.
    assert Path(ledger).exists() and "no open elevation" in report.check("elevation_ledger").detail
    # Verify only reads.
    assert {s.kind for s in warehouse.statements[before:]} <= {"query"}
    assert report.as_dict()["exit_code"] == exitcodes.OK
    assert report.lines()[-1].endswith("none failed")
    # the registry's regional facts reach the report: query.history is regional, billing.usage global
    detail = report.check("views_exist").detail
    assert "regional tables" in detail and "query.history" in detail and "billing.usage" not in detail


def test_dropped_view_fails_views_exist(warehouse, cfg, ledger, republish) -> None:
    warehouse.run(f"DROP VIEW {name(cfg, VIEW)}")
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"views_exist"}
    assert report.exit_code == exitcodes.CHECK_FAILED
    assert any(VIEW in p and "missing" in p for p in report.check("views_exist").problems)


def test_body_altered_by_hand_fails_views_definition_though_the_fingerprint_still_matches(
    warehouse, cfg, ledger, republish
) -> None:
    # ALTER VIEW … AS keeps TBLPROPERTIES: the fingerprint says "current" while the filter is gone.
    with as_job(warehouse, cfg):  # whoever does it must be able to read what the view reads
        warehouse.run(
            f"ALTER VIEW {name(cfg, VIEW)} AS SELECT * FROM {quote_name(cfg.system_catalog, 'access', 'audit')}"
        )
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"views_definition", "system_readers"}
    assert report.check("views_fingerprint").status == "pass"
    assert VIEW in report.check("views_definition").problems[0]
    assert "body rls did not generate" in report.check("system_readers").problems[0]


def test_view_stripped_of_its_fingerprint_fails_views_fingerprint(warehouse, cfg, ledger, republish) -> None:
    props = {r["key"]: r["value"] for r in warehouse.fetch(f"SHOW TBLPROPERTIES {name(cfg, VIEW)}")}
    assert FINGERPRINT_PROPERTY in props
    warehouse.run(f"ALTER VIEW {name(cfg, VIEW)} UNSET TBLPROPERTIES ('{FINGERPRINT_PROPERTY}')")
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"views_fingerprint"}
    assert "no rls fingerprint" in report.check("views_fingerprint").problems[0]


def test_hand_made_views_over_a_table_without_workspace_id_fail(warehouse, cfg, ledger) -> None:
    prices = quote_name(cfg.system_catalog, "billing", "list_prices")
    hidden = name(cfg, "price_list")  # any name: found by what it reads
    conventional = name(cfg, "vw_system_billing_list_prices")  # the name the publisher would give it
    with as_job(warehouse, cfg):  # whoever does it must be able to read what the views read
        assert not any(r["col_name"] == "workspace_id" for r in warehouse.fetch(f"DESCRIBE TABLE {prices}"))
        warehouse.run(f"CREATE VIEW {hidden} AS SELECT sku_name, pricing FROM {prices}")
        warehouse.run(f"CREATE VIEW {conventional} AS SELECT * FROM {prices}")
    try:
        report = run(warehouse, cfg, ledger)
    finally:
        warehouse.run(f"DROP VIEW IF EXISTS {hidden}")
        warehouse.run(f"DROP VIEW IF EXISTS {conventional}")
    assert failed(report) == {"no_unfilterable_views", "system_readers"}
    problems = report.check("no_unfilterable_views").problems
    assert any(p.startswith("price_list exposes") and "billing.list_prices" in p for p in problems)
    assert any(p.startswith("vw_system_billing_list_prices exposes") for p in problems)
    assert any("vw_system_billing_list_prices has no workspace_id column" in p for p in problems)


def test_open_ledger_entry_fails_elevation_ledger(warehouse, cfg, tmp_path) -> None:
    path = tmp_path / "ledger.jsonl"
    closed = LedgerEntry("run-a", 2002, "sp-1", None, "2026-01-01T00:00:00+00:00")
    left_open = LedgerEntry("run-b", 2005, "sp-1", ["USER"], "2026-01-02T00:00:00+00:00")
    Ledger(path).elevating(closed)
    Ledger(path).restored(closed, "deleted")  # closed entries are fine (the clean run's real ledger has them)
    Ledger(path).elevating(left_open)  # a run killed between PUT ADMIN and the restore
    report = run(warehouse, cfg, str(path))
    assert failed(report) == {"elevation_ledger"}
    (problem,) = report.check("elevation_ledger").problems
    assert "workspace 2005" in problem and "run-b" in problem and "USER" in problem


def test_unreadable_ledger_fails_rather_than_passes(warehouse, cfg, tmp_path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text('{"event": "elevate", "run_id": "r", "workspace_id": 20\n', encoding="utf-8")  # cut by a kill
    assert run(warehouse, cfg, str(path)).check("elevation_ledger").status == "fail"


def test_run_older_than_max_age_fails_collection_fresh(warehouse, cfg, ledger) -> None:
    report = run(warehouse, cfg, ledger, max_age_hours=1e-7)  # a third of a millisecond
    assert failed(report) == {"collection_fresh"}
    assert "limit 1e-07 h" in report.check("collection_fresh").detail


@pytest.fixture
def users_table(warehouse, cfg) -> Iterator[str]:
    """The users table, restored to what the collector wrote after the test."""
    table = name(cfg, tables.USERS)
    original = [from_row(tables.AccessRow, r) for r in warehouse.fetch(f"SELECT * FROM {table}")]
    yield table
    warehouse.save_table(table, original, tables.AccessRow)


def test_assignment_in_both_tables_fails_admin_user_disjoint(warehouse, cfg, ledger, users_table) -> None:
    # A USER row that leaked into the admins table cannot be told apart by its content; what can be seen is one
    # assignment in both tables. Craft that: a copy of an admin member row in the users table.
    admins = warehouse.fetch(f"SELECT * FROM {name(cfg, tables.ADMINS)} WHERE source = 'group' ORDER BY user_name")
    leaked = from_row(tables.AccessRow, admins[0])
    warehouse.save_table(users_table, [leaked], tables.AccessRow, mode="append")
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"admin_user_disjoint"}
    (problem,) = report.check("admin_user_disjoint").problems
    assert f"workspace {leaked.workspace_id}" in problem and leaked.group_name in problem


def test_local_admins_row_in_users_table_fails_access_rows_valid(warehouse, cfg, ledger, users_table) -> None:
    row = warehouse.fetch(f"SELECT * FROM {users_table} WHERE source = 'direct' AND user_name IS NOT NULL LIMIT 1")[0]
    admin_level = from_row(tables.AccessRow, {**row, "source": tables.LOCAL_ADMINS})
    warehouse.save_table(users_table, [admin_level], tables.AccessRow, mode="append")
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"access_rows_valid"}
    assert "admin-level" in report.check("access_rows_valid").problems[0]


def test_missing_collector_tables_fail_without_stopping_the_other_checks(warehouse, cfg, ledger) -> None:
    import dataclasses

    empty = dataclasses.replace(cfg, schema=fresh_schema("verify_empty"))
    report = run(warehouse, empty, ledger)
    assert {"collector_tables", "collection_fresh", "views_exist", "access_rows_valid"} <= failed(report)
    assert len(report.checks) == 19  # every check reported, none raised
    assert report.check("elevation_ledger").status == "pass"


def test_access_map_recreated_as_a_view_fails_view_sources(warehouse, cfg, ledger) -> None:
    # Issue #13 7a: a "table" that returns current_user() for every workspace shows every reader everything.
    amap = name(cfg, tables.ACCESS_MAP)
    original = [from_row(tables.AccessMapRow, r) for r in warehouse.fetch(f"SELECT * FROM {amap}")]
    warehouse.run(f"DROP TABLE {amap}")
    columns = (
        "workspace_id, workspace_name, workspace_url, 'ADMIN' AS permission, current_user() AS user_name,"
        " CAST(NULL AS STRING) AS group_id, group_name, principal_type"
    )
    users = name(cfg, tables.USERS)
    warehouse.run(f"CREATE VIEW {amap} AS SELECT {columns}, source, run_id, collected_at FROM {users}")
    try:
        report = run(warehouse, cfg, ledger)
    finally:
        warehouse.run(f"DROP VIEW IF EXISTS {amap}")
        with warehouse.run_as(cfg.collect.collector_application_id):
            warehouse.save_table(amap, original, tables.AccessMapRow)
    assert "view_sources" in failed(report)
    assert any("is a VIEW" in p and tables.ACCESS_MAP in p for p in report.check("view_sources").problems)


def test_an_extra_unfiltered_view_over_a_system_table_fails_system_readers(warehouse, cfg, ledger) -> None:
    # Issue #13 7b: not one of ours, reads system.access.audit unfiltered.
    extra = name(cfg, "vw_system_access_audit_everything")
    with as_job(warehouse, cfg):  # whoever does it must be able to read what the view reads
        warehouse.run(f"CREATE VIEW {extra} AS SELECT * FROM {quote_name(cfg.system_catalog, 'access', 'audit')}")
    try:
        report = run(warehouse, cfg, ledger)
    finally:
        warehouse.run(f"DROP VIEW IF EXISTS {extra}")
    assert failed(report) == {"system_readers"}
    (problem,) = report.check("system_readers").problems
    assert problem.startswith("vw_system_access_audit_everything reads") and "access.audit" in problem


def test_a_view_handed_to_another_owner_fails_views_owner(warehouse, cfg, ledger, republish) -> None:
    warehouse.run(f"ALTER VIEW {name(cfg, VIEW)} OWNER TO `carol@example.com`")  # a metastore admin did it
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"views_owner"}
    assert "owned by carol@example.com" in report.check("views_owner").problems[0]


def test_a_reader_granted_select_on_system_fails_system_privileges(warehouse, cfg, ledger) -> None:
    schema = quote_name(cfg.system_catalog, "access")
    warehouse.run(f"GRANT SELECT ON SCHEMA {schema} TO `analysts`")
    try:
        report = run(warehouse, cfg, ledger)
        allowed = run(warehouse, cfg, ledger, allowed_system_readers=["analysts"])
    finally:
        warehouse.run(f"REVOKE SELECT ON SCHEMA {schema} FROM `analysts`")
    assert failed(report) == {"system_privileges"}
    assert "analysts holds SELECT" in report.check("system_privileges").problems[0]
    assert "system_privileges" not in failed(allowed)


def test_a_dashboard_reading_system_tables_fails_dashboard_datasets(warehouse, cfg, ledger, tmp_path) -> None:
    board = tmp_path / "bad.lvdash.json"
    query = "SELECT u.*, p.pricing FROM vw_system_billing_usage u JOIN system.billing.list_prices p USING (sku_name)"
    board.write_text(json.dumps({"datasets": [{"name": "cost", "queryLines": [query]}], "pages": []}))
    report = run(warehouse, cfg, ledger, dashboards=[board])
    assert failed(report) == {"dashboard_datasets"}
    assert report.check("dashboard_datasets").problems == (
        "bad.lvdash.json: dataset cost reads system.billing.list_prices",
    )


def test_a_reader_granted_select_on_one_system_table_fails_system_table_grants(warehouse, cfg, ledger) -> None:
    """The bypass at table level: the catalog and schema grants are clean, one table is not."""
    table = quote_name(cfg.system_catalog, "access", "audit")
    warehouse.run(f"GRANT SELECT ON TABLE {table} TO `analysts`")
    try:
        report = run(warehouse, cfg, ledger)
        allowed = run(warehouse, cfg, ledger, allowed_system_readers=["analysts"])
    finally:
        warehouse.run(f"REVOKE SELECT ON TABLE {table} FROM `analysts`")
    assert failed(report) == {"system_table_grants"}
    assert report.check("system_table_grants").problems == (
        f"analysts holds SELECT on {cfg.system_catalog}.access.audit (bypasses its view)",
    )
    assert "system_table_grants" not in failed(allowed)


@pytest.mark.parametrize("depth", [2, 3])
def test_a_view_reaching_a_system_table_through_other_views_fails_view_lineage(warehouse, cfg, ledger, depth) -> None:
    """An unfiltered view over system.access.audit in another schema, reached through `depth - 1` more views."""
    other = quote_name("main", f"{cfg.schema}_lineage_{depth}")
    source = quote_name(cfg.system_catalog, "access", "audit")
    chain = [f"{other}.`hop_{i}`" for i in range(depth - 1)]
    entry = name(cfg, f"audit_everything_{depth}")
    try:
        # whoever does it must be able to read system (no implicit SELECT, even for a metastore admin): the job
        with as_job(warehouse, cfg):
            warehouse.run(f"CREATE SCHEMA IF NOT EXISTS {other}")
            for hop in chain:
                warehouse.run(f"CREATE VIEW {hop} AS SELECT * FROM {source}")
                source = hop
            warehouse.run(f"CREATE VIEW {entry} AS SELECT a.* FROM {source} a")
        report = run(warehouse, cfg, ledger)
    finally:
        with as_job(warehouse, cfg):
            warehouse.run(f"DROP VIEW IF EXISTS {entry}")
            for hop in reversed(chain):
                warehouse.run(f"DROP VIEW IF EXISTS {hop}")
    assert failed(report) == {"view_lineage"}, report.lines()
    (problem,) = report.check("view_lineage").problems
    assert problem.startswith(f"audit_everything_{depth} reads {cfg.system_catalog}.access.audit through")
    assert problem.count("->") == depth - 2


@pytest.mark.parametrize(
    ("securable", "privilege"),
    [("TABLE", "SELECT"), ("TABLE", "MODIFY"), ("SCHEMA", "SELECT"), ("SCHEMA", "MODIFY")],
)
def test_a_reader_granted_the_collectors_tables_fails_collector_grants(
    warehouse, cfg, ledger, securable, privilege
) -> None:
    target = name(cfg, tables.ACCESS_MAP) if securable == "TABLE" else quote_name(cfg.catalog, cfg.schema)
    warehouse.run(f"GRANT {privilege} ON {securable} {target} TO `analysts`")
    try:
        report = run(warehouse, cfg, ledger)
    finally:
        warehouse.run(f"REVOKE {privilege} ON {securable} {target} FROM `analysts`")
    assert failed(report) == {"collector_grants"}, report.lines()
    (problem,) = report.check("collector_grants").problems
    assert problem.startswith(f"analysts holds {privilege} on")


def test_with_no_owner_configured_the_views_owner_is_still_checked(warehouse, cfg, ledger, republish) -> None:
    """The shipped rls.yml configures no owner: the job's identity (the access map's owner) is expected."""
    import dataclasses

    bare = dataclasses.replace(
        cfg,
        publish=dataclasses.replace(cfg.publish, owner=None),
        collect=dataclasses.replace(cfg.collect, collector_application_id=None),
    )
    assert run(warehouse, bare, ledger).check("views_owner").status == "pass"
    warehouse.run(f"ALTER VIEW {name(cfg, VIEW)} OWNER TO `carol@example.com`")
    report = run(warehouse, bare, ledger)
    assert "views_owner" in failed(report)
    problem = report.check("views_owner").problems[0]
    assert f"owned by carol@example.com, not {cfg.collect.collector_application_id}" in problem
    assert "publish.owner" in problem
