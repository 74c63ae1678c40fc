"""`rls verify` on the real local stack: the job's flow (emulated account, local Spark), then hand-made damage.

One collect + publish for the module; each test damages one thing, checks that exactly the right check fails, and
repairs what it damaged. Expectations name the damage, not the code's output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flow import flow, fresh_schema, load
from rls import exitcodes, tables
from rls.collect.elevation import Ledger, LedgerEntry
from rls.publish import FINGERPRINT_PROPERTY, publish
from rls.sql import quote_name
from rls.sql.structs import from_row
from rls.verify import verify
from rls.warehouse import install_platform

VIEW = "vw_system_access_audit"
NOT_APPLICABLE_HERE = {"views_owner", "system_privileges"}  # open-source Spark: no owners, no privilege tables


@pytest.fixture(scope="module")
def deployed(warehouse, example_scenario, tmp_path_factory) -> Iterator[Any]:
    # No injected faults: this module is about the deployed state, the collector's retries are tested elsewhere.
    result = flow(warehouse, load("tricky", faults=[]), tmp_path_factory.mktemp("verify"), fresh_schema("verify"))
    assert result.collect.outcome == "ok" and result.publish.exit_code == exitcodes.OK
    yield result
    install_platform(warehouse, example_scenario)  # flow() switched is_account_group_member to this scenario


@pytest.fixture
def cfg(deployed) -> Any:
    return deployed.cfg


@pytest.fixture
def ledger(cfg) -> str:
    return str(cfg.collect.elevation_ledger)


def run(warehouse, cfg, ledger_path: str | None, **kw: Any):
    return verify(warehouse, cfg, ledger_path=ledger_path, **kw)


def failed(report) -> set[str]:
    return {c.name for c in report.failed}


def name(cfg, table: str) -> str:
    return quote_name(cfg.catalog, cfg.schema, table)


@pytest.fixture
def republish(warehouse, cfg) -> Iterator[None]:
    """After a test that damaged a view: drop our views and publish again, so the next test starts clean."""
    yield
    warehouse.run(f"DROP VIEW IF EXISTS {name(cfg, VIEW)}")
    assert publish(warehouse, cfg).exit_code == exitcodes.OK


def test_clean_run_passes_every_check_the_platform_can_answer(warehouse, cfg, ledger) -> None:
    before = len(warehouse.statements)
    report = run(warehouse, cfg, ledger)
    statuses = {c.name: c.status for c in report.checks}
    assert report.exit_code == exitcodes.OK, report.lines()
    assert {n for n, s in statuses.items() if s == "pass"} == set(statuses) - NOT_APPLICABLE_HERE
    # Not applicable is not a pass: the report says skipped, and why.
    for n in NOT_APPLICABLE_HERE:
        assert statuses[n] == "skipped" and "not applicable" in report.check(n).detail
    # The tricky account needs elevations: the ledger exists and is all closed.
    assert Path(ledger).exists() and "no open elevation" in report.check("elevation_ledger").detail
    # Verify only reads.
    assert {s.kind for s in warehouse.statements[before:]} <= {"query"}
    assert report.as_dict()["exit_code"] == exitcodes.OK
    assert report.lines()[-1].endswith("none failed")


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
    warehouse.run(f"ALTER VIEW {name(cfg, VIEW)} AS SELECT * FROM {quote_name(cfg.system_catalog, 'access', 'audit')}")
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"views_definition"}
    assert report.check("views_fingerprint").status == "pass"
    assert VIEW in report.check("views_definition").problems[0]


def test_view_stripped_of_its_fingerprint_fails_views_fingerprint(warehouse, cfg, ledger, republish) -> None:
    props = {r["key"]: r["value"] for r in warehouse.fetch(f"SHOW TBLPROPERTIES {name(cfg, VIEW)}")}
    assert FINGERPRINT_PROPERTY in props
    warehouse.run(f"ALTER VIEW {name(cfg, VIEW)} UNSET TBLPROPERTIES ('{FINGERPRINT_PROPERTY}')")
    report = run(warehouse, cfg, ledger)
    assert failed(report) == {"views_fingerprint"}
    assert "no rls fingerprint" in report.check("views_fingerprint").problems[0]


def test_hand_made_views_over_a_table_without_workspace_id_fail(warehouse, cfg, ledger) -> None:
    prices = quote_name(cfg.system_catalog, "billing", "list_prices")
    assert not any(r["col_name"] == "workspace_id" for r in warehouse.fetch(f"DESCRIBE TABLE {prices}"))
    hidden = name(cfg, "price_list")  # any name: found by what it reads
    conventional = name(cfg, "vw_system_billing_list_prices")  # the name the publisher would give it
    warehouse.run(f"CREATE VIEW {hidden} AS SELECT sku_name, pricing FROM {prices}")
    warehouse.run(f"CREATE VIEW {conventional} AS SELECT * FROM {prices}")
    try:
        report = run(warehouse, cfg, ledger)
    finally:
        warehouse.run(f"DROP VIEW IF EXISTS {hidden}")
        warehouse.run(f"DROP VIEW IF EXISTS {conventional}")
    assert failed(report) == {"no_unfilterable_views"}
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
    assert len(report.checks) == 11  # every check reported, none raised
    assert report.check("elevation_ledger").status == "pass"
