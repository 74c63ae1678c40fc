"""Attacks on the local warehouse, as a plain analyst (and as an admin where the rule binds everyone): each statement
must be refused before it runs, and the warehouse must be exactly as before — catalogs, schemas, tables, views and
their definitions, functions, owners and grants.

The deployment attacked is the tool's shape: the platform owns a schema with an access map and a view over
``system.access.audit`` that every account user may read.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from rls_local.warehouse.refusals import PrivilegeError

ANALYST = "bob@example.com"  # member of `analysts`, owns nothing, holds SELECT on the view only
ADMIN_SP = "22222222-aaaa-bbbb-cccc-000000000000"  # made metastore admin below: builtins and paths bind it too
_n = itertools.count()


@pytest.fixture(scope="module")
def deployed(warehouse) -> str:
    schema = f"main.attack_{next(_n)}"
    warehouse.execute(f"CREATE SCHEMA {schema}")
    warehouse.execute(f"CREATE TABLE {schema}.access_map (workspace_id STRING, principal STRING) USING parquet")
    warehouse.execute(f"INSERT INTO {schema}.access_map VALUES ('1001', 'alice@example.com')")
    warehouse.execute(
        f"CREATE VIEW {schema}.vw_system_access_audit AS SELECT a.* FROM system.access.audit a "
        f"WHERE a.workspace_id IN (SELECT m.workspace_id FROM {schema}.access_map m "
        "WHERE lower(m.principal) = lower(current_user()) OR is_account_group_member(m.principal))"
    )
    warehouse.execute(f"GRANT SELECT ON VIEW {schema}.vw_system_access_audit TO `account users`")
    warehouse.privileges.store.add_metastore_admin(ADMIN_SP)
    return schema


def snapshot(warehouse) -> dict[str, Any]:
    """Everything a statement could change, read as the platform (no identity).

    Straight from the session's catalog (one metastore call per schema for its tables' whole descriptions): the
    Catalog API reads each table on its own and SHOW CREATE TABLE each view, minutes once the session's warehouse
    holds a few hundred schemas. A table's description (``CatalogTable``) holds a view's text and both's
    properties, comment, owner, schema and location."""
    spark = warehouse.spark
    session = spark._jsparkSession.sessionState().catalog()
    metastore = session.externalCatalog()
    dbs = sorted(_strings(metastore.listDatabases()))
    objects, functions = {}, {}
    for db in dbs:
        # temporary views are listed in every schema (isTemporary in the Catalog API), as the Catalog API lists them
        for ident in _items(session.listTables(db, "*", True)):
            if ident.database().isEmpty():
                objects[f"{db}.{ident.table()}"] = ("TEMPORARY", None)
        if db.startswith("system__"):
            continue  # the synthetic system tables: hundreds of columns, never a target below (checked by name)
        for table in _items(metastore.getTablesByName(db, metastore.listTables(db))):
            objects[f"{db}.{table.identifier().table()}"] = (table.tableType().name(), table.toString())
        for f in spark.sql(f"SHOW USER FUNCTIONS IN `{db}`").collect():
            body = spark.sql(f"DESCRIBE FUNCTION EXTENDED {f[0]}").collect()
            functions[f[0]] = [r[0] for r in body]
    system = sorted(t for d in dbs if d.startswith("system__") for t in _strings(metastore.listTables(d)))
    store = warehouse.privileges.store
    return {
        "catalogs": warehouse.catalogs(),
        "databases": dbs,
        "objects": objects,
        "system": system,
        "functions": functions,
        "privileges": json.dumps([store.owners, store.grants, store.metastore_admins], sort_keys=True),
    }


def _items(seq: Any) -> list[Any]:
    """A Scala ``Seq`` from Py4J, as a list."""
    it, out = seq.iterator(), []
    while it.hasNext():
        out.append(it.next())
    return out


def _strings(seq: Any) -> list[str]:
    return [str(x) for x in _items(seq)]


def refused_and_unchanged(warehouse, identity: str, attacks: list[tuple[str, str]]) -> None:
    """Each statement refused (through ``execute`` and ``fetch``) with its message; the warehouse unchanged after all
    of them (one snapshot per class of attack: reading the whole warehouse is the slow part)."""
    before = snapshot(warehouse)
    for sql, match in attacks:
        for run in (warehouse.execute, warehouse.fetch):
            with warehouse.as_identity(identity), pytest.raises(PrivilegeError, match=match):
                run(sql)
    assert snapshot(warehouse) == before


ANALYST_ATTACKS = [
    ("DROP VIEW {s}.vw_system_access_audit", "does not own"),
    ("DROP VIEW IF EXISTS `{cat}`.`{sch}`.`vw_system_access_audit`", "does not own"),
    ("DROP TABLE {s}.access_map", "does not own"),
    ("DROP TABLE system.access.audit", "does not own"),
    ("DROP SCHEMA {s} CASCADE", "does not own"),
    ("ALTER VIEW {s}.vw_system_access_audit AS SELECT * FROM system.access.audit", "does not own"),
    ("ALTER VIEW {s}.vw_system_access_audit SET TBLPROPERTIES ('k' = 'v')", "does not own"),
    ("ALTER VIEW {s}.vw_system_access_audit RENAME TO {s}.gone", "may not run"),
    ("COMMENT ON TABLE {s}.access_map IS 'x'", "does not own"),
    ("CREATE VIEW {s}.mine AS SELECT 1 AS one", "lacks CREATE TABLE"),
    ("CREATE OR REPLACE VIEW {s}.vw_system_access_audit AS SELECT * FROM system.access.audit", "lacks CREATE TABLE"),
    ("CREATE TABLE {s}.mine (x INT) USING parquet", "lacks CREATE TABLE"),
    ("CREATE TABLE {s}.mine USING parquet AS SELECT * FROM system.access.audit", "lacks CREATE TABLE"),
    ("CREATE SCHEMA main.mine", "lacks CREATE SCHEMA"),
    ("CREATE CATALOG mine", "lacks CREATE CATALOG"),
    ("INSERT INTO {s}.access_map VALUES ('1002', 'bob@example.com')", "lacks MODIFY"),
    ("INSERT OVERWRITE {s}.access_map SELECT '1002', 'bob@example.com'", "lacks MODIFY"),
    ("DELETE FROM {s}.access_map", "lacks MODIFY"),
    ("UPDATE {s}.access_map SET principal = 'bob@example.com'", "lacks MODIFY"),
    (
        "MERGE INTO {s}.access_map t USING {s}.access_map s ON t.workspace_id = s.workspace_id "
        "WHEN MATCHED THEN DELETE",
        "lacks MODIFY",
    ),
    ("TRUNCATE TABLE {s}.access_map", "lacks MODIFY"),
    ("CREATE FUNCTION {s}.f(g STRING) RETURNS BOOLEAN RETURN true", "lacks CREATE FUNCTION"),
    ("CREATE TEMPORARY VIEW vw_system_access_audit AS SELECT * FROM system.access.audit", "may not run"),
    ("SET spark.sql.runSQLOnFiles = true", "may not run"),
    ("EXECUTE IMMEDIATE 'DROP VIEW {s}.vw_system_access_audit'", "EXECUTE IMMEDIATE"),
    ("ALTER VIEW {s}.vw_system_access_audit OWNER TO `bob@example.com`", "does not own"),
    ("GRANT SELECT ON TABLE system.access.audit TO `bob@example.com`", "may not grant"),
    ("SELECT reflect('java.lang.System', 'getenv', 'HOME') AS leak", "Java methods"),
    (
        "SELECT * FROM {s}.access_map WHERE SYSTEM.BUILTIN.JAVA_METHOD('java.lang.System', 'exit', 1) IS NULL",
        "Java methods",
    ),
]


def test_an_analyst_changes_nothing(warehouse, deployed: str) -> None:
    cat, sch = deployed.split(".")
    attacks = [(sql.format(s=deployed, cat=cat, sch=sch), match) for sql, match in ANALYST_ATTACKS]
    refused_and_unchanged(warehouse, ANALYST, attacks)


BUILTIN_ATTACKS = [
    "CREATE OR REPLACE FUNCTION is_account_group_member(g STRING) RETURNS BOOLEAN RETURN true",
    "CREATE OR REPLACE FUNCTION {s}.is_account_group_member(g STRING) RETURNS BOOLEAN RETURN true",
    "CREATE OR REPLACE FUNCTION spark_catalog.rls_local_platform.is_account_group_member(g STRING) "
    "RETURNS BOOLEAN RETURN true",
    "DROP FUNCTION spark_catalog.rls_local_platform.is_account_group_member",
    "CREATE FUNCTION {s}.current_user() RETURNS STRING RETURN 'alice@example.com'",
    "CREATE FUNCTION {s}.session_user() RETURNS STRING RETURN 'alice@example.com'",
    "CREATE TEMPORARY FUNCTION is_account_group_member(g STRING) RETURNS BOOLEAN RETURN true",
    "CREATE TEMPORARY FUNCTION current_user() RETURNS STRING RETURN 'alice@example.com'",
]


@pytest.mark.parametrize("identity", [ANALYST, ADMIN_SP])
def test_no_one_shadows_a_builtin(warehouse, deployed: str, identity: str) -> None:
    refused_and_unchanged(warehouse, identity, [(a.format(s=deployed), "builtin") for a in BUILTIN_ATTACKS])


PATH_READS = [
    "SELECT * FROM csv.`/etc/hostname`",
    "SELECT * FROM parquet.`/tmp`",
    "SELECT * FROM delta.`/tmp`",
    "SELECT * FROM json.`/etc/hostname`",
    "SELECT * FROM text.`/etc/hostname`",
    "SELECT * FROM TEXT.`file:///etc/hostname`",
    "SELECT * FROM read_files('/etc/hostname', format => 'text')",
    "WITH x AS (SELECT * FROM text.`/etc/hostname`) SELECT * FROM x",
    "SELECT 1 AS one WHERE 'x' IN (SELECT value FROM text.`/etc/hostname`)",
    "SELECT * FROM system.access.audit a JOIN orc.`/tmp` o ON true",
    "CREATE VIEW {s}.leak AS SELECT * FROM text.`/etc/hostname`",
    "CREATE TABLE {s}.leak (value STRING) USING text LOCATION '/etc'",
    "CREATE TABLE {s}.leak (value STRING) USING text OPTIONS (path '/etc/hostname')",
]


@pytest.mark.parametrize("identity", [ANALYST, ADMIN_SP])
def test_no_one_reads_a_path(warehouse, deployed: str, identity: str) -> None:
    attacks = [(a.format(s=deployed), r"READ FILES|external location") for a in PATH_READS]
    refused_and_unchanged(warehouse, identity, attacks)


def test_a_path_in_a_stored_view_does_not_resolve(warehouse, deployed: str) -> None:
    """Even the platform's own principal cannot store a view over a path: SQL on files is off in the session."""
    with pytest.raises(Exception, match=r"TABLE_OR_VIEW_NOT_FOUND|cannot be found"):
        warehouse.execute(f"CREATE VIEW {deployed}.leak AS SELECT * FROM text.`/etc/hostname`")


def test_a_blank_identity_is_refused(warehouse, deployed: str) -> None:
    from rls_local.warehouse import WarehouseError

    for blank in ("", "   "):
        with pytest.raises(WarehouseError, match="blank"), warehouse.as_identity(blank):
            warehouse.fetch(f"SELECT count(*) AS n FROM {deployed}.access_map")


def test_the_analyst_still_reads_the_view_and_the_owner_still_writes(warehouse, deployed: str) -> None:
    """The gate refuses what it must and no more: the grant works, and the owner (the platform) changes its own."""
    with warehouse.as_identity(ANALYST):
        warehouse.fetch(f"SELECT * FROM {deployed}.vw_system_access_audit")
        assert warehouse.fetch("SHOW TABLES IN " + deployed)
    warehouse.execute(f"INSERT INTO {deployed}.access_map VALUES ('1003', 'carol@example.com')")
    assert len(warehouse.fetch(f"SELECT * FROM {deployed}.access_map")) == 2
