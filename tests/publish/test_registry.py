"""One registry of system-table facts (rls.sql.system_tables): everything else reads it (issue #12 item 5)."""

from __future__ import annotations

from rls import config
from rls.publish import STATIC_TABLES
from rls.publish.report import PublishReport, ViewResult
from rls.sql import system_tables as st
from rls_local.warehouse import system_schemas


def test_every_other_list_derives_from_the_registry() -> None:
    assert STATIC_TABLES == st.WORKSPACE_TABLES
    assert set(system_schemas.NO_WORKSPACE_ID) == {t for t in system_schemas.SCHEMAS if not st.FACTS[t].workspace_id}
    assert {(c.table, c.path) for c in system_schemas.PRINCIPAL_ID_COLUMNS} >= {
        ("lakeflow.jobs", "run_as"),
        ("lakeflow.jobs", "creator_id"),
    }
    # config.py derives its defaults from the registry (lists copied, so a config never changes the registry)
    assert config.DEFAULT_IDENTITY_COLUMNS == st.DEFAULT_IDENTITY_COLUMNS


def test_facts_sheet_regional_and_global_tables() -> None:
    for key in ("query.history", "lakeflow.jobs", "lakeflow.job_run_timeline", "compute.clusters",
                "serving.served_entities", "access.table_lineage"):  # fmt: skip
        assert st.scope(key) == "regional", key
    for key in ("billing.usage", "billing.list_prices", "access.workspaces_latest"):
        assert st.scope(key) == "global", key
    assert st.scope("access.audit") == "mixed"
    # not in the facts sheet: regional, the safe guess (reports warn that other regions' rows may be missing)
    assert st.scope("compute.warehouses") == "regional" and "assumed regional" in st.facts("compute.warehouses").quirks
    assert st.scope("brand_new.table") == "regional"
    assert "principal IDs" in st.facts("lakeflow.jobs").quirks
    assert st.known_unfilterable("marketplace.listing_access_events") and not st.known_unfilterable("access.audit")
    assert st.facts("lakeflow.jobs").identity_column("run_as").kind == st.PRINCIPAL_ID
    assert st.facts("query.history").identity_column("executed_by").kind == st.NAME


def test_the_publish_report_says_which_views_are_regional() -> None:
    report = PublishReport("main", "rls", "information_schema")
    report.results = [ViewResult("query.history", "main.rls.vw_system_query_history", "created")]
    row = report.as_dict()["results"][0]
    assert row["region"] == "regional"
    assert report.results[0].region == "regional"
