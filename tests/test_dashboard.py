"""Every dataset query of src/dashboards/*.lvdash.json runs on the local warehouse as a viewer holding only the
documented grants (SELECT on the published objects, through ``publish.grant_select_to``), and shows each viewer only
the rows of the workspaces they administer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from rls.config import RlsConfig
from rls.exitcodes import OK
from rls.publish import publish
from rls.sql import quote_name
from rls.tables import ACCESS_MAP, USER, AccessMapRow
from rls.verify import DEFAULT_DASHBOARDS
from rls_local.warehouse.refusals import PrivilegeError

ROOT = Path(__file__).resolve().parents[1]
BOARDS = sorted((ROOT / "src" / "dashboards").glob("*.lvdash.json"))
SCHEMA = "dash"
# who administers what here (the access map is written by hand, like the collector documents it)
ADMINS = {"Alice@Example.com": {"1001"}, "carol@example.com": {"1002", "1003"}, "bob@example.com": set()}


def _datasets() -> list[tuple[str, str]]:
    out = []
    for path in BOARDS:
        for ds in json.loads(path.read_text(encoding="utf-8"))["datasets"]:
            out.append((f"{path.name}:{ds['name']}", "".join(ds["queryLines"])))
    return out


@pytest.fixture(scope="module")
def published(warehouse):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = [
        AccessMapRow(int(w), f"ws-{w}", f"https://ws-{w}", "ADMIN", u, None, None, USER, "direct", "run-1", now)
        for u, ws in ADMINS.items()
        for w in sorted(ws)
    ]
    warehouse.run(f"CREATE SCHEMA IF NOT EXISTS {quote_name('main', SCHEMA)}")
    warehouse.save_table(quote_name("main", SCHEMA, ACCESS_MAP), rows, AccessMapRow)
    cfg = RlsConfig(catalog="main", schema=SCHEMA, table_format="parquet")
    cfg.publish.include = ["billing.usage", "billing.list_prices", "query.history", "lakeflow.job_run_timeline"]
    cfg.publish.grant_select_to = ["account users"]  # what the README tells admins to grant readers
    report = publish(warehouse, cfg)
    assert report.exit_code == OK, report.to_json()
    # dataset_catalog / dataset_schema of resources/rls.dashboard.yml: the datasets name views without a schema
    warehouse.use("main", SCHEMA)
    yield report
    warehouse.reset_namespace()


def test_the_bundle_ships_dashboards_and_verify_finds_them() -> None:
    assert BOARDS and tuple(BOARDS) == DEFAULT_DASHBOARDS


@pytest.mark.parametrize(("dataset", "query"), _datasets(), ids=[d for d, _ in _datasets()])
def test_every_dataset_runs_for_a_viewer_and_shows_only_their_workspaces(warehouse, published, dataset, query):
    seen: dict[str, set[str]] = {}
    for identity, workspaces in ADMINS.items():
        with warehouse.as_identity(identity):
            rows = warehouse.fetch(query)
        seen[identity] = {r["workspace_id"] for r in rows}
        assert seen[identity] <= workspaces, (dataset, identity)
    assert seen["Alice@Example.com"] == ADMINS["Alice@Example.com"] or "failed_runs" in dataset  # not vacuous
    assert seen["bob@example.com"] == set()


def test_the_cost_widget_joins_prices_and_system_tables_stay_closed_to_viewers(warehouse, published) -> None:
    cost = dict(_datasets())["rls_overview.lvdash.json:cost_daily"]
    with warehouse.as_identity("Alice@Example.com"):
        rows = warehouse.fetch(cost)
        assert rows and all(r["list_cost"] is not None for r in rows)
        with pytest.raises(PrivilegeError):  # what the dashboard used to read: no grant for viewers
            warehouse.fetch("SELECT * FROM system.billing.list_prices")
