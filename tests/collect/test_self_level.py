"""The `self` access level end to end: admin rows plus the rows an identity caused where it is at least a USER.

Expected rows are computed per row from the raw system table and tests/oracle.py (scenario only).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import oracle
from flow import flow, fresh_schema, load, prepare
from rls import exitcodes
from rls.config import DEFAULT_IDENTITY_COLUMNS
from rls.publish import view_name
from rls.sql import quote_name, system_tables

# Tables whose identity columns hold names (compared here with the identity itself); the principal-id columns of
# lakeflow.jobs are covered by tests/publish/test_publish_selfservice_ids.py.
LEVELS = {
    table: "self"
    for table, columns in DEFAULT_IDENTITY_COLUMNS.items()
    if all(system_tables.FACTS[table].identity_column(c).kind == system_tables.NAME for c in columns)
}


def _value(row: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


def _key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def self_level(warehouse, tmp_path_factory, example_scenario):
    """The tricky account collected once, every name-column table published at the `self` level. flow() switched
    is_account_group_member to that account: the example's is put back after the module (tests/conftest.py's
    per-test restore keeps what was installed before the test, which is this module's account)."""
    from rls_local.warehouse import install_platform

    s = load("tricky")
    overrides = {"publish.include": list(LEVELS), "publish.access_levels": LEVELS}
    yield s, flow(warehouse, s, tmp_path_factory.mktemp("self"), fresh_schema(), overrides=overrides)
    install_platform(warehouse, example_scenario)


def test_self_level_shows_own_rows_where_at_least_user(warehouse, self_level) -> None:
    s, result = self_level
    prepare(warehouse, s)  # is_account_group_member answers for this account (the example's is restored after a test)
    assert result.collect.exit_code == exitcodes.OK and result.publish.exit_code == exitcodes.OK
    case = oracle.original_case(s)
    hidden_own_rows = 0
    for table in LEVELS:
        columns = DEFAULT_IDENTITY_COLUMNS[table]
        schema, name = table.split(".")
        raw = warehouse.fetch(f"SELECT * FROM {quote_name(result.cfg.system_catalog, schema, name)}")
        view = quote_name(result.cfg.catalog, result.cfg.schema, view_name(schema, name))
        for ident in oracle.identities(s):
            expected = sorted(
                _key(r)
                for r in raw
                if oracle.self_visible(s, ident, r["workspace_id"], [_value(r, c) for c in columns])
            )
            with warehouse.as_identity(case[ident]):
                seen = sorted(_key(r) for r in warehouse.fetch(f"SELECT * FROM {view}"))
            assert seen == expected, (table, ident)
            hidden_own_rows += sum(
                1 for r in raw if any((_value(r, c) or "").lower() == ident for c in columns) and _key(r) not in seen
            )
    # Not vacuous: identities do have rows in workspaces where they hold no assignment, and those stay hidden.
    assert hidden_own_rows > 0


def test_a_user_only_identity_sees_its_own_queries_but_not_the_others(warehouse, self_level) -> None:
    s, result = self_level  # query.history is one of the tables published at the `self` level there
    prepare(warehouse, s)
    assert "query.history" in LEVELS
    view = quote_name(result.cfg.catalog, result.cfg.schema, "vw_system_query_history")
    # viewer@corp.com: USER on 2001 (through the readers group), ADMIN nowhere (2005, not identity-federated, can
    # hold no account assignment).
    with warehouse.as_identity("viewer@corp.com"):
        rows = warehouse.fetch(f"SELECT workspace_id, executed_by FROM {view}")
    assert rows, "the USER sees their own queries"
    assert {r["executed_by"].lower() for r in rows} == {"viewer@corp.com"}
    assert {r["workspace_id"] for r in rows} == {"2001"}
