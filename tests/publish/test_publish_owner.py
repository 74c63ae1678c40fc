"""Owners as Databricks handles them (local privilege model): the job's identity owns what it creates, OWNER TO only
when needed, a refused OWNER TO is a per-view note, and a body changed by hand is detected and restored."""

from __future__ import annotations

import pytest
from publish_helpers import admin_row, config, ddl, write_admins

from rls.exitcodes import OK, PARTIAL
from rls.publish import publish
from rls_local.warehouse.refusals import PrivilegeError

SP = "11111111-aaaa-bbbb-cccc-000000000000"  # the example scenario's collector service principal
DEPLOYER = "carol@example.com"  # a workspace user deploying the `dev` target; not metastore admin
ALICE = "Alice@Example.com"  # admin of 1001 through sales-admins


def _prerequisites(warehouse, identity: str) -> None:
    """What the README's deploy steps grant the job's identity (never more): CREATE SCHEMA on the catalog, USE CATALOG
    on `system`, USE SCHEMA and SELECT on the system schemas it publishes."""
    warehouse.execute(f"GRANT CREATE SCHEMA ON CATALOG `main` TO `{identity}`")
    warehouse.execute(f"GRANT USE CATALOG ON CATALOG `system` TO `{identity}`")
    warehouse.execute(f"GRANT USE SCHEMA, SELECT ON SCHEMA `system`.`access` TO `{identity}`")


@pytest.mark.parametrize(("identity", "schema"), [(SP, "pub_own_prod"), (DEPLOYER, "pub_own_dev")])
def test_the_job_identity_owns_its_views_without_owner_to_and_republish_is_zero_ddl(warehouse, identity, schema):
    _prerequisites(warehouse, identity)
    cfg = config("main", schema, include=["access.audit"])
    with warehouse.run_as(identity):
        write_admins(warehouse, "main", schema, [admin_row(1001, group="sales-admins")])  # the collector's table
        mark = len(warehouse.statements)
        first = publish(warehouse, cfg)
        window = warehouse.statements[mark:]
        assert first.exit_code == OK and first.result("access.audit").status == "created"
        assert not any("OWNER TO" in s.sql for s in window)
        assert warehouse.privileges.store.owner(f"main.{schema}.vw_system_access_audit") == identity
        mark = len(warehouse.statements)
        again = publish(warehouse, cfg)
        assert ddl(warehouse.statements[mark:]) == [] and again.result("access.audit").status == "unchanged"
    with warehouse.as_identity(ALICE):  # a reader holding SELECT on the view only (granted to account users)
        rows = warehouse.fetch(f"SELECT DISTINCT workspace_id AS w FROM `main`.`{schema}`.`vw_system_access_audit`")
        assert {r["w"] for r in rows} == {"1001"}
        with pytest.raises(PrivilegeError):
            warehouse.fetch("SELECT * FROM `system`.`access`.`audit`")


def test_a_refused_owner_change_is_a_note_on_the_view_not_a_failed_body(warehouse):
    schema = "pub_own_refused"
    _prerequisites(warehouse, DEPLOYER)
    cfg = config("main", schema, include=["access.audit"], owner=SP)
    with warehouse.run_as(DEPLOYER):
        write_admins(warehouse, "main", schema, [admin_row(1001, group="sales-admins")])
        report = publish(warehouse, cfg)
        r = report.result("access.audit")
        assert r.status == "created" and r.reason is None
        assert r.owner_note and "needs metastore admin" in r.owner_note and SP in r.owner_note
        assert report.exit_code == PARTIAL
        assert warehouse.privileges.store.owner(f"main.{schema}.vw_system_access_audit") == DEPLOYER
        mark = len(warehouse.statements)
        again = publish(warehouse, cfg)  # retried (someone may have granted metastore admin); still no body DDL
        assert ddl(warehouse.statements[mark:]) == [] and again.result("access.audit").status == "unchanged"
        assert again.result("access.audit").owner_note
    with warehouse.as_identity(ALICE):
        assert warehouse.fetch(f"SELECT count(*) AS n FROM `main`.`{schema}`.`vw_system_access_audit`")[0]["n"] > 0


def test_a_body_altered_by_hand_is_detected_and_restored(warehouse):
    schema = "pub_own_tamper"
    write_admins(warehouse, "main", schema, [admin_row(1001, group="sales-admins")])
    cfg = config("main", schema, include=["access.audit"])
    assert publish(warehouse, cfg).exit_code == OK
    view = f"`main`.`{schema}`.`vw_system_access_audit`"
    warehouse.execute(f"ALTER VIEW {view} AS SELECT * FROM `system`.`access`.`audit`")  # the fingerprint survives
    with warehouse.as_identity(ALICE):
        leaked = {r["w"] for r in warehouse.fetch(f"SELECT DISTINCT workspace_id AS w FROM {view}")}
    assert len(leaked) > 1  # the leak the issue describes
    repaired = publish(warehouse, cfg)
    r = repaired.result("access.audit")
    assert r.status == "altered" and "body differed" in r.reason
    with warehouse.as_identity(ALICE):
        assert {r["w"] for r in warehouse.fetch(f"SELECT DISTINCT workspace_id AS w FROM {view}")} == {"1001"}
    again = publish(warehouse, cfg)
    assert again.result("access.audit").status == "unchanged"
