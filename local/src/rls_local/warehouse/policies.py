"""ABAC policies as ``SHOW [EFFECTIVE] POLICIES`` lists them, so that `rls doctor`'s question is answered locally as
Databricks answers it (Spark itself cannot parse the statement).

Modeled (SQL reference, "SHOW POLICIES", Databricks Runtime 16.4 and above):

- ``SHOW [ EFFECTIVE ] POLICIES ON { METASTORE | CATALOG c | SCHEMA s | TABLE t }``: the policies attached to that
  securable; ``EFFECTIVE`` adds those inherited from its parents (metastore, catalog, schema). Columns ``Policy Name``,
  ``Policy Type``, ``Catalog``, ``Schema``, ``Table``, ``Comment``.
- The caller needs ``READ METADATA`` or ``MANAGE`` on the securable (inherited from its parents), or owns it; on the
  metastore, a metastore admin. Outside system catalogs a metastore admin passes, as everywhere in this model. On a
  system catalog the docs are silent about metastore admins, so being one counts for nothing (the strict answer: the
  doctor then says it cannot tell, and how to look, rather than "no policy").

A policy is attached by the platform (:func:`attach_policy`, for tests): creating one takes ``MANAGE`` on the
securable, which nobody holds on ``system``; a metastore-level policy (Beta) is the way one reaches it.
"""

from __future__ import annotations

import re
from typing import Any

from rls.sql.errors import SqlNotFound
from rls.sql.sqltext import parse_name
from rls_local.warehouse.names import normalize
from rls_local.warehouse.privileges import PrivilegeStore
from rls_local.warehouse.protocols import Backend
from rls_local.warehouse.refusals import NotVisibleError, PrivilegeError
from rls_local.warehouse.sharing_rules import METASTORE

_SHOW = re.compile(
    r"^\s*SHOW\s+(?P<effective>EFFECTIVE\s+)?POLICIES\s+ON\s+"
    r"(?:(?P<metastore>METASTORE)|(?P<kind>CATALOG|SCHEMA|TABLE)\s+(?P<name>\S.*?))\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_PARTS = {"CATALOG": 1, "SCHEMA": 2, "TABLE": 3}
_SEE = {"READ METADATA", "MANAGE", "ALL PRIVILEGES"}
COLUMNS = ("Policy Name", "Policy Type", "Catalog", "Schema", "Table", "Comment")


def handles(sql: str) -> bool:
    return bool(re.match(r"^\s*SHOW\s+(?:EFFECTIVE\s+)?POLICIES\b", sql, re.IGNORECASE))


def attach_policy(store: PrivilegeStore, securable: str | None, name: str, policy_type: str = "ROW_FILTER") -> None:
    """The platform attaches policy ``name`` to ``securable`` (``catalog[.schema[.table]]``; None: the metastore)."""
    store.add_policy({"on": (securable or METASTORE).lower(), "name": name, "type": policy_type})


def detach_policy(store: PrivilegeStore, name: str) -> None:
    store.remove_policy(name)


def show_policies(backend: Backend, sql: str) -> list[dict[str, Any]]:
    store = backend.privileges.store
    m = _SHOW.match(sql)
    if m is None:
        raise ValueError(f"[PARSE_SYNTAX_ERROR] expected SHOW [EFFECTIVE] POLICIES ON <securable>: {sql.strip()}")
    if m["metastore"]:
        obj, kind = METASTORE, "METASTORE"
    else:
        kind = m["kind"].upper()
        parts = [normalize(p) for p in parse_name(m["name"])]
        if len(parts) != _PARTS[kind]:
            raise _not_found(kind, m["name"])
        obj = ".".join(parts)
        _require_exists(backend, kind, parts)
    _authorize(backend, store, kind, obj)
    on = {obj} | (_parents(obj) if m["effective"] else set())
    return [_row(p) for p in store.policies if p["on"] in on]


def _parents(obj: str) -> set[str]:
    parts = obj.split(".")
    return {METASTORE} | {".".join(parts[:n]) for n in range(1, len(parts))}


def _require_exists(backend: Backend, kind: str, parts: list[str]) -> None:
    if not backend.names.is_catalog(parts[0]):
        raise _not_found("CATALOG", parts[0])
    if kind == "SCHEMA" and not backend.spark.catalog.databaseExists(backend.names.db(*parts)):
        raise _not_found(kind, ".".join(parts))
    if kind == "TABLE" and not backend.spark.catalog.tableExists(backend.names.table(*parts).spark_name):
        raise NotVisibleError(f"TABLE_OR_VIEW_NOT_FOUND: {'.'.join(parts)}")


def _not_found(kind: str, name: str) -> SqlNotFound:
    """The securable does not exist, typed by its kind as Spark names it (``CATALOG_NOT_FOUND``, ``SCHEMA_NOT_FOUND``;
    a table: ``TABLE_OR_VIEW_NOT_FOUND``), so the seam's ``missing`` says which."""
    if kind == "TABLE":
        return NotVisibleError(f"TABLE_OR_VIEW_NOT_FOUND: {name}")
    error_class = f"{kind}_NOT_FOUND"
    return SqlNotFound(f"[{error_class}] The {kind.lower()} {name} cannot be found.", error_class)


def _authorize(backend: Backend, store: PrivilegeStore, kind: str, obj: str) -> None:
    caller, groups = backend.privileges.caller()
    who = caller or store.platform  # no identity set: the platform's own principal
    admin = store.is_admin(who, groups)
    if kind == "METASTORE":
        allowed = admin
    elif admin and not store.is_system(obj):
        allowed = True
    else:
        allowed = store.is_owner(who, groups, obj) or store.holds(who, groups, obj, _SEE)
    if not allowed:
        named = "the metastore" if kind == "METASTORE" else f"{kind.title()} '{obj}'"
        raise PrivilegeError(
            f"INSUFFICIENT_PERMISSIONS: Insufficient privileges: User {who} does not have READ METADATA on {named}."
        )


def _row(p: dict[str, Any]) -> dict[str, Any]:
    parts = [] if p["on"] == METASTORE else p["on"].split(".")
    values = (p["name"], p["type"], *(parts + [None] * (3 - len(parts))), p.get("comment"))
    return dict(zip(COLUMNS, values, strict=True))
