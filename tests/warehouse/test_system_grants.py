"""No implicit SELECT on a system catalog: a metastore admin reads `system` only as granted (USE CATALOG, USE SCHEMA,
SELECT), and the job's identity holds exactly what the scenario's ``job_system_grants`` names."""

from __future__ import annotations

import itertools

import pytest

from rls_local.scenario import parse_scenario
from rls_local.warehouse.platform import grant_job_system_access
from rls_local.warehouse.privileges import SYSTEM_OWNER
from rls_local.warehouse.refusals import PrivilegeError
from rls_local.warehouse.system_schemas import SCHEMAS

_n = itertools.count()
SYSTEM_SCHEMAS = {name.split(".")[0] for name in SCHEMAS}  # every schema the local platform provides
ADMIN = "ms-admin@example.com"  # made metastore admin below; holds no grant of its own


def _system_catalog(warehouse, example_scenario, grants) -> str:
    """A small system catalog (access.audit, billing.usage) marked as the platform's, granted per ``grants``."""
    catalog = f"sysgrants_{next(_n)}"
    warehouse.create_catalog(catalog)
    for schema, table in (("access", "audit"), ("billing", "usage")):
        warehouse.run(f"CREATE SCHEMA IF NOT EXISTS `{catalog}`.`{schema}`")
        warehouse.run(f"CREATE TABLE `{catalog}`.`{schema}`.`{table}` (workspace_id STRING) USING parquet")
        warehouse.run(f"INSERT INTO `{catalog}`.`{schema}`.`{table}` VALUES ('1001')")
    doc = example_scenario.to_json() | {"job_system_grants": grants}
    granted = grant_job_system_access(warehouse, parse_scenario(doc), catalog)
    assert granted == (sorted(SYSTEM_SCHEMAS) if grants == "all" else [] if grants == "none" else sorted(grants))
    return catalog


def test_a_metastore_admin_reads_system_only_with_use_catalog_use_schema_and_select(warehouse, example_scenario):
    catalog = _system_catalog(warehouse, example_scenario, "none")
    warehouse.privileges.store.add_metastore_admin(ADMIN)
    table = f"`{catalog}`.`access`.`audit`"
    with (
        warehouse.as_identity(ADMIN),
        pytest.raises(PrivilegeError, match=f"not have USE CATALOG on Catalog '{catalog}'"),
    ):
        warehouse.fetch(f"SELECT * FROM {table}")
    warehouse.execute(f"GRANT USE CATALOG ON CATALOG `{catalog}` TO `{ADMIN}`")
    with warehouse.as_identity(ADMIN), pytest.raises(PrivilegeError, match="USE SCHEMA on Schema"):
        warehouse.fetch(f"SELECT * FROM {table}")
    warehouse.execute(f"GRANT USE SCHEMA ON SCHEMA `{catalog}`.`access` TO `{ADMIN}`")
    with (
        warehouse.as_identity(ADMIN),
        pytest.raises(PrivilegeError, match=r"INSUFFICIENT_PERMISSIONS.*SELECT on Table"),
    ):
        warehouse.fetch(f"SELECT * FROM {table}")
    warehouse.execute(f"GRANT SELECT ON SCHEMA `{catalog}`.`access` TO `{ADMIN}`")
    with warehouse.as_identity(ADMIN):
        assert warehouse.fetch(f"SELECT * FROM {table}") == [{"workspace_id": "1001"}]
        with pytest.raises(PrivilegeError, match="USE SCHEMA on Schema"):  # the grant was on `access` only
            warehouse.fetch(f"SELECT * FROM `{catalog}`.`billing`.`usage`")
        # a view created by a metastore admin is checked like any view: its body must be readable by its creator
        warehouse.execute("CREATE SCHEMA IF NOT EXISTS `main`.`sysgrants_views`")
        with pytest.raises(PrivilegeError, match="USE SCHEMA"):
            warehouse.execute(
                f"CREATE VIEW `main`.`sysgrants_views`.`{catalog}` AS SELECT * FROM `{catalog}`.`billing`.`usage`"
            )
    owner = warehouse.fetch(f"SHOW GRANTS ON TABLE {table}")[0]
    assert owner["action_type"] == "OWN" and owner["principal"] == SYSTEM_OWNER


def test_the_job_identity_holds_exactly_the_scenarios_grants(warehouse, example_scenario):
    me = warehouse.platform_principal  # the local job runs as the warehouse's own principal, a metastore admin
    only_access = _system_catalog(warehouse, example_scenario, ["access"])
    assert warehouse.fetch(f"SELECT count(*) AS n FROM `{only_access}`.`access`.`audit`") == [{"n": 1}]
    with pytest.raises(PrivilegeError, match=f"User {me} does not have USE SCHEMA on Schema '{only_access}.billing'"):
        warehouse.fetch(f"SELECT count(*) AS n FROM `{only_access}`.`billing`.`usage`")
    nothing = _system_catalog(warehouse, example_scenario, "none")
    with pytest.raises(PrivilegeError, match="USE CATALOG"):
        warehouse.fetch(f"SELECT count(*) AS n FROM `{nothing}`.`access`.`audit`")
    everything = _system_catalog(warehouse, example_scenario, "all")
    for schema, table in (("access", "audit"), ("billing", "usage")):
        assert warehouse.fetch(f"SELECT count(*) AS n FROM `{everything}`.`{schema}`.`{table}`") == [{"n": 1}]
    # a later scenario replaces the earlier one's grants instead of adding to them
    grant_job_system_access(warehouse, parse_scenario(example_scenario.to_json() | {"job_system_grants": "none"}),
                            everything)  # fmt: skip
    with pytest.raises(PrivilegeError, match="USE CATALOG"):
        warehouse.fetch(f"SELECT count(*) AS n FROM `{everything}`.`access`.`audit`")


def test_the_shared_system_catalog_is_granted_to_the_job_by_default(warehouse):
    """The session warehouse was prepared for the example scenario (no job_system_grants: "all")."""
    grants = {(g["principal"], g["action_type"]) for g in warehouse.fetch("SHOW GRANTS ON CATALOG `system`")}
    assert (warehouse.platform_principal, "USE CATALOG") in grants and ("System user", "OWN") in grants
    assert warehouse.fetch("SELECT count(*) > 0 AS ok FROM `system`.`query`.`history`") == [{"ok": True}]
