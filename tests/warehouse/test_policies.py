"""ABAC policies as `SHOW [EFFECTIVE] POLICIES` lists them on the local warehouse (rls_local.warehouse.policies): what
a securable inherits, who may list them, unknown securables. The doctor's check that reads them: tests/test_doctor.py.
The policies are tests/conftest.py's `attached_policies`."""

from __future__ import annotations

import pytest

from rls.sql.errors import SqlNotFound
from rls_local.warehouse.refusals import PrivilegeError

READER = "bob@example.com"  # no grant anywhere near `system`


def _names(rows) -> set[str]:
    return {r["Policy Name"] for r in rows}


def test_effective_adds_what_a_securable_inherits(warehouse, attached_policies) -> None:
    assert _names(warehouse.fetch("SHOW POLICIES ON CATALOG `main`")) == {"main_rf"}
    assert _names(warehouse.fetch("SHOW EFFECTIVE POLICIES ON CATALOG main")) == {"main_rf", "everywhere_rf"}
    assert _names(warehouse.fetch("SHOW POLICIES ON METASTORE")) == {"everywhere_rf"}
    (row,) = warehouse.fetch("SHOW POLICIES ON CATALOG main")
    assert row == {"Policy Name": "main_rf", "Policy Type": "COLUMN_MASK", "Catalog": "main", "Schema": None,
                   "Table": None, "Comment": None}  # fmt: skip


def test_listing_takes_read_metadata_and_on_system_being_admin_is_not_enough(warehouse, attached_policies) -> None:
    with pytest.raises(PrivilegeError, match="does not have READ METADATA on Catalog 'system'"):
        warehouse.fetch("SHOW EFFECTIVE POLICIES ON CATALOG system")  # the platform's principal: metastore admin
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match=f"User {READER} does not have"):
        warehouse.fetch("SHOW POLICIES ON CATALOG main")
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match="on the metastore"):
        warehouse.fetch("SHOW POLICIES ON METASTORE")
    warehouse.run(f"GRANT READ METADATA ON CATALOG `system` TO `{warehouse.platform_principal}`")
    assert _names(warehouse.fetch("SHOW EFFECTIVE POLICIES ON CATALOG system")) == {"everywhere_rf"}
    assert _names(warehouse.fetch("SHOW POLICIES ON CATALOG system")) == set()


def test_an_unknown_securable_is_not_found(warehouse, attached_policies) -> None:
    # typed by what is missing, as Spark names it: the seam's `missing` (and the CLI's hints) read the class
    for sql, named, kind in (
        ("SHOW POLICIES ON CATALOG nope", "nope", "catalog"),
        ("SHOW POLICIES ON SCHEMA main.nope", r"main\.nope", "schema"),
        ("SHOW EFFECTIVE POLICIES ON TABLE main.policies_t.nope", r"main\.policies_t\.nope", "table"),
    ):
        with pytest.raises(SqlNotFound, match=named) as e:
            warehouse.fetch(sql)
        assert e.value.missing == kind, (sql, e.value.error_class)
