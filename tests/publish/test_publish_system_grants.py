"""No implicit SELECT on `system`: before publishing, the job checks it may read each system schema it wraps; a
schema it may not read is skipped with one line naming the GRANT to run, the others are published, exit code 3.
And the generated views compare with session_user() (generator 6): an older view is brought over by ALTER VIEW."""

from __future__ import annotations

import itertools

from publish_helpers import admin_row, config, ddl, make_system_catalog, statements_since, write_admins

from rls.exitcodes import OK, PARTIAL
from rls.publish import discover, publish
from rls.publish.plan import plan
from rls.publish.state import read_existing
from rls_local.scenario import parse_scenario
from rls_local.warehouse.platform import grant_job_system_access

_n = itertools.count()
TABLES = {"access.audit": "workspace_id STRING, action STRING", "billing.usage": "workspace_id STRING, sku STRING"}
BOB = "bob@example.com"  # member of analysts, which administers 1001 below
SP_READER = "22222222-aaaa-bbbb-cccc-000000000000"  # etl-bot, in no group that administers anything here


def _world(warehouse, example_scenario, grants):
    n = next(_n)
    catalog, schema = f"sys_pub_grants_{n}", f"pub_grants_{n}"
    make_system_catalog(warehouse, catalog, TABLES, ["1001", "1002"])
    grant_job_system_access(warehouse, parse_scenario(example_scenario.to_json() | {"job_system_grants": grants}),
                            catalog)  # fmt: skip
    write_admins(warehouse, "main", schema, [admin_row(1001, group="analysts"), admin_row(1002, sp=SP_READER)])
    return catalog, config("main", schema, system_catalog=catalog, include=list(TABLES))


def test_a_schema_the_job_may_not_read_is_skipped_by_one_line_and_the_grant_it_names_fixes_it(
    warehouse, example_scenario
):
    catalog, cfg = _world(warehouse, example_scenario, ["access"])
    me = warehouse.platform_principal  # the job's identity: a metastore admin, which is worth nothing on `system`
    mark = len(warehouse.statements)  # the session's other tests create views of the same names elsewhere
    report = publish(warehouse, cfg)
    assert report.exit_code == PARTIAL
    assert report.result("access.audit").status == "created"
    billing = report.result("billing.usage")
    assert billing.status == "skipped"
    grant = f"GRANT USE SCHEMA, SELECT ON SCHEMA `{catalog}`.`billing` TO `{me}`"
    assert report.missing_grants == [billing.reason] and billing.reason.endswith(f"run: {grant}")
    assert "USE CATALOG" not in grant and "\n" not in billing.reason
    assert not any("vw_system_billing_usage" in s for s in ddl(warehouse.statements[mark:]))  # never attempted
    assert report.as_dict()["missing_grants"] == [billing.reason]
    with warehouse.as_identity(BOB):
        view = f"`main`.`{cfg.schema}`.`vw_system_access_audit`"
        assert {r["workspace_id"] for r in warehouse.fetch(f"SELECT workspace_id FROM {view}")} == {"1001"}
    warehouse.execute(grant)  # exactly what the line says
    again = publish(warehouse, cfg)
    assert again.exit_code == OK and again.missing_grants == []
    assert again.result("billing.usage").status == "created" and again.result("access.audit").status == "unchanged"


def test_no_grant_at_all_names_use_catalog_too_and_publishes_nothing(warehouse, example_scenario):
    catalog, cfg = _world(warehouse, example_scenario, "none")
    me = warehouse.platform_principal
    mark = len(warehouse.statements)
    report = publish(warehouse, cfg)
    assert report.exit_code == PARTIAL
    assert {r.status for r in report.results} == {"skipped"} and len(report.missing_grants) == 2
    for schema, line in zip(("access", "billing"), report.missing_grants, strict=True):
        assert line.endswith(
            f"run: GRANT USE CATALOG ON CATALOG `{catalog}` TO `{me}`;"
            f" GRANT USE SCHEMA, SELECT ON SCHEMA `{catalog}`.`{schema}` TO `{me}`"
        )
    assert not any("CREATE VIEW" in s for s in ddl(statements_since(warehouse, mark)))


def test_views_compare_session_user_and_an_older_view_is_altered_keeping_its_grants(warehouse, example_scenario):
    _, cfg = _world(warehouse, example_scenario, "all")
    assert publish(warehouse, cfg).exit_code == OK
    view = f"`main`.`{cfg.schema}`.`vw_system_access_audit`"
    assert "session_user()" in _stored_text(warehouse, cfg) and "current_user()" not in _stored_text(warehouse, cfg)
    # the same view as generator 5 made it: current_user(), another fingerprint
    query = next(d.query for d in plan(discover(warehouse, cfg), cfg).views if d.source.key == "access.audit")
    warehouse.execute(f"ALTER VIEW {view} AS {query.replace('session_user()', 'current_user()')}")
    warehouse.execute(f"ALTER VIEW {view} SET TBLPROPERTIES ('rls.fingerprint' = '{'0' * 64}')")
    mark = len(warehouse.statements)
    report = publish(warehouse, cfg)
    assert report.result("access.audit").status == "altered"
    statements = ddl(statements_since(warehouse, mark))
    assert any(s.startswith(f"ALTER VIEW {view} AS") for s in statements)
    assert not any(s.startswith("CREATE") for s in statements)  # never CREATE OR REPLACE: grants and tags stay
    assert "session_user()" in _stored_text(warehouse, cfg) and "current_user()" not in _stored_text(warehouse, cfg)
    grants = {(g["principal"], g["action_type"]) for g in warehouse.fetch(f"SHOW GRANTS ON VIEW {view}")}
    assert ("account users", "SELECT") in grants
    # a service principal reads as its application id, which session_user() returns for it
    with warehouse.as_identity(SP_READER):
        assert {r["workspace_id"] for r in warehouse.fetch(f"SELECT workspace_id FROM {view}")} == {"1002"}


def _stored_text(warehouse, cfg) -> str:
    text = read_existing(warehouse, "main", cfg.schema).views["vw_system_access_audit"].text
    assert text
    return text


def test_a_schema_information_schema_does_not_list_is_still_checked(warehouse, example_scenario):
    """On Databricks information_schema lists only what the reader may see: an ungranted schema is just absent."""
    n = next(_n)
    catalog, schema = f"sys_pub_hidden_{n}", f"pub_hidden_{n}"
    make_system_catalog(warehouse, catalog, {"access.audit": TABLES["access.audit"]}, ["1001"])
    warehouse.run(f"CREATE SCHEMA `{catalog}`.`billing`")  # exists, but not in information_schema
    warehouse.run(f"CREATE TABLE `{catalog}`.`billing`.`usage` ({TABLES['billing.usage']}) USING parquet")
    grant_job_system_access(warehouse, parse_scenario(example_scenario.to_json() | {"job_system_grants": ["access"]}),
                            catalog)  # fmt: skip
    write_admins(warehouse, "main", schema, [admin_row(1001, group="analysts")])
    report = publish(warehouse, config("main", schema, system_catalog=catalog, include=list(TABLES)))
    assert report.discovery == "information_schema" and report.result("access.audit").status == "created"
    [line] = report.missing_grants
    assert line.startswith(f"{catalog}.billing: ") and line.endswith(
        f"ON SCHEMA `{catalog}`.`billing` TO `{me(warehouse)}`"
    )
    assert report.exit_code == PARTIAL


def me(warehouse) -> str:
    return warehouse.platform_principal
