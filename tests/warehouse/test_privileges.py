"""The local warehouse's privilege model: owners, OWNER TO, GRANT, definer's rights in views, readers without SELECT.

Each test works in its own schema of ``main``; the identities are the example scenario's (``analysts`` = bob, dave).
"""

from __future__ import annotations

import itertools
import re

import pytest

from rls_local.warehouse.refusals import PrivilegeError

_n = itertools.count()
DEV = "carol@example.com"  # a user who deploys, not metastore admin
READER = "bob@example.com"  # member of the account group `analysts`
SP = "11111111-aaaa-bbbb-cccc-000000000000"


def _schema(warehouse) -> tuple[str, str, str]:
    """A schema with one table; DEV may create in it and read the table (as the README's prerequisites grant)."""
    schema = f"`main`.`priv_{next(_n)}`"
    warehouse.execute(f"CREATE SCHEMA {schema}")
    warehouse.execute(f"CREATE TABLE {schema}.`t` (workspace_id STRING, who STRING) USING parquet")
    warehouse.execute(f"INSERT INTO {schema}.`t` VALUES ('1001', 'x'), ('1002', 'y')")
    warehouse.execute(f"GRANT CREATE TABLE ON SCHEMA {schema} TO `{DEV}`")
    warehouse.execute(f"GRANT SELECT ON TABLE {schema}.`t` TO `{DEV}`")
    view = f"{schema}.`v`"
    with warehouse.as_identity(DEV):
        warehouse.execute(f"CREATE VIEW {view} AS SELECT * FROM {schema}.`t` WHERE workspace_id = '1001'")
    return schema, f"{schema}.`t`", view


def test_the_creator_owns_a_view_and_owner_to_another_principal_needs_metastore_admin(warehouse) -> None:
    schema, _, view = _schema(warehouse)
    store = warehouse.privileges.store
    name = schema.replace("`", "") + ".v"
    assert store.owner(name) == DEV
    with warehouse.as_identity(DEV), pytest.raises(PrivilegeError, match="needs metastore admin"):
        warehouse.execute(f"ALTER VIEW {view} OWNER TO `{SP}`")
    assert store.owner(name) == DEV
    with warehouse.as_identity(DEV):
        warehouse.execute(f"ALTER VIEW {view} OWNER TO `{DEV}`")  # to oneself: allowed, and a no-op
    warehouse.execute(f"ALTER VIEW {view} OWNER TO `{SP}`")  # the platform principal is metastore admin
    assert store.owner(name) == SP
    with warehouse.as_identity(DEV), pytest.raises(PrivilegeError, match="does not own"):
        warehouse.execute(f"ALTER VIEW {view} AS SELECT * FROM {schema}.`t`")  # only the owner changes the body


def test_owner_to_a_group_the_owner_belongs_to_is_allowed(warehouse) -> None:
    _, _, view = _schema(warehouse)
    warehouse.execute(f"ALTER VIEW {view} OWNER TO `{READER}`")
    with warehouse.as_identity(READER):
        warehouse.execute(f"ALTER VIEW {view} OWNER TO `analysts`")  # bob is a member of analysts
    with warehouse.as_identity(READER):  # a member of the owning group acts as owner
        warehouse.execute(f"ALTER VIEW {view} SET TBLPROPERTIES ('k' = 'v')")
    with warehouse.as_identity("dave@example.com"), pytest.raises(PrivilegeError, match="does not own"):
        warehouse.execute(f"ALTER VIEW {view} SET TBLPROPERTIES ('k' = 'w')")  # inactive: member of nothing


def test_a_reader_needs_select_on_the_view_and_nothing_on_what_it_reads(warehouse) -> None:
    _, table, view = _schema(warehouse)
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match=re.escape(f"{READER} lacks SELECT on")):
        warehouse.fetch(f"SELECT * FROM {view}")
    with warehouse.as_identity(DEV):
        warehouse.execute(f"GRANT SELECT ON VIEW {view} TO `analysts`")
    with warehouse.as_identity(READER):
        assert [r["workspace_id"] for r in warehouse.fetch(f"SELECT * FROM {view}")] == ["1001"]
        with pytest.raises(PrivilegeError, match=r"lacks SELECT on main\.priv_"):
            warehouse.fetch(f"SELECT * FROM {table}")  # the view's source: no grant for the reader
        with pytest.raises(PrivilegeError):
            warehouse.fetch(f"SELECT 1 AS one WHERE 1 IN (SELECT 1 FROM {table})")  # subqueries are reads too
    # definer's rights: when the owner loses SELECT on the source, the view fails for its readers
    warehouse.execute(f"REVOKE SELECT ON TABLE {table} FROM `{DEV}`")
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match="the owner of a view"):
        warehouse.fetch(f"SELECT * FROM {view}")


def test_creating_a_view_needs_select_on_its_sources_and_create_on_the_schema(warehouse) -> None:
    schema, table, _ = _schema(warehouse)
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match="CREATE TABLE"):
        warehouse.execute(f"CREATE VIEW {schema}.`w` AS SELECT * FROM {table}")
    warehouse.execute(f"GRANT CREATE TABLE ON SCHEMA {schema} TO `{READER}`")
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match="lacks SELECT"):
        warehouse.execute(f"CREATE VIEW {schema}.`w` AS SELECT * FROM {table}")
    assert not warehouse.table_exists(f"{schema}.`w`")


def test_grant_is_refused_to_non_owners(warehouse) -> None:
    _, _, view = _schema(warehouse)
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match="may not grant"):
        warehouse.execute(f"GRANT SELECT ON VIEW {view} TO `{READER}`")
