"""`self` on a table whose identity columns hold principal **ids** (facts sheet: lakeflow.jobs.run_as / creator_id):
matched through the collector's `principals` table, proven per identity against the oracle (scenario only)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import oracle
from flow import flow, fresh_schema, load
from rls import exitcodes
from rls.publish import discover, view_sql
from rls.publish.viewsql import ViewSqlError
from rls.sql import quote_name
from rls_local.warehouse.synthetic import principal_ids

JOBS = "lakeflow.jobs"
OVERRIDES = {
    "publish.include": [JOBS],
    "publish.access_levels": {JOBS: "self"},
    "publish.grant_select_to": ["account users"],  # the README's reader grant
}


def _key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def test_an_identity_sees_the_jobs_it_runs_or_created_through_the_principal_id_map(warehouse, tmp_path) -> None:
    s = load("tricky")
    result = flow(warehouse, s, tmp_path, fresh_schema("ids"), overrides=OVERRIDES)
    assert result.collect.exit_code == exitcodes.OK and result.publish.exit_code == exitcodes.OK
    cfg = result.cfg
    raw = warehouse.fetch(f"SELECT * FROM {quote_name(cfg.system_catalog, 'lakeflow', 'jobs')}")
    ids = {ident.lower(): pid for ident, pid in principal_ids(s).items()}
    assert all(r["run_as"] is None or r["run_as"].isdigit() for r in raw)  # ids, not names
    view = quote_name(cfg.catalog, cfg.schema, "vw_system_lakeflow_jobs")
    case = oracle.original_case(s)
    own_rows_seen = 0
    for ident in oracle.identities(s):
        pid = ids.get(ident)
        expected = sorted(
            _key(r)
            for r in raw
            # the oracle compares names: give it the identity wherever the row holds that identity's id
            if oracle.self_visible(
                s, ident, r["workspace_id"], [ident if v == pid else None for v in (r["run_as"], r["creator_id"])]
            )
        )
        with warehouse.as_identity(case[ident]):
            seen = sorted(_key(r) for r in warehouse.fetch(f"SELECT * FROM {view}"))
        assert seen == expected, ident
        admin = {str(w) for w in oracle.admin_workspaces(s)[ident]}
        own_rows_seen += sum(1 for r in raw if _key(r) in seen and r["workspace_id"] not in admin)
    assert own_rows_seen > 0  # not vacuous: someone sees jobs they run where they are only a USER


def test_an_identity_column_of_the_wrong_kind_is_rejected_at_publish_time(warehouse) -> None:
    from publish_helpers import config

    cfg = config("main", "ids_wrong", access_levels={JOBS: "self"})
    cfg.publish.identity_columns = {JOBS: ["job_id"]}  # a column the table has, but not an identity
    table = next(t for t in discover(warehouse, cfg).tables if t.key == JOBS)
    with pytest.raises(ViewSqlError, match=r"lakeflow\.jobs\.job_id is not an identity column"):
        view_sql(cfg, table, access_level="self")
