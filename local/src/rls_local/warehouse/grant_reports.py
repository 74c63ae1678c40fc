"""What ``SHOW GRANTS``, ``SHOW TABLE EXTENDED`` and ``DESCRIBE TABLE EXTENDED`` report about grants and owners on the
local warehouse: the privilege model's (:mod:`.privileges`), in Databricks' shape; Spark alone would name the OS user
as every object's owner and know no grants."""

from __future__ import annotations

from typing import Any

from rls.sql.sqltext import chains, significant, tokenize
from rls_local.warehouse.enforce import Enforcer
from rls_local.warehouse.names import normalize


def show_grants(enforcer: Enforcer, sql: str) -> list[dict[str, Any]]:
    """``SHOW GRANTS ON <CATALOG|SCHEMA|TABLE|VIEW> name``: Databricks' columns, the owner first (as OWN)."""
    sig = significant(tokenize(sql))
    words = [t.word for t in sig]
    on = words.index("ON") if "ON" in words else -1
    if on < 0 or on + 2 >= len(sig):
        raise ValueError(f"cannot parse {sql[:80]!r}")
    kind = words[on + 1]
    obj = enforcer.object_named(chains(sig[on + 2 :])[0].names)
    rows = [{"principal": enforcer.store.owner(obj), "action_type": "OWN", "object_type": kind, "object_key": obj}]
    for principal, privilege in enforcer.store.grants.get(obj, []):
        rows.append({"principal": principal, "action_type": privilege, "object_type": kind, "object_key": obj})
    return rows


def owner_in_listing(enforcer: Enforcer, row: dict[str, Any]) -> dict[str, Any]:
    """A SHOW TABLE EXTENDED row whose ``Owner:`` line is the model's owner (Spark would say the OS user)."""
    info, db, name = row.get("information"), row.get("namespace"), row.get("tableName")
    decoded = enforcer.b.names.decode_db(str(db)) if db else None
    if not info or decoded is None or not name:
        return row
    owner = enforcer.store.owner(".".join((*decoded, normalize(enforcer.b.names.decode_part(str(name))))))
    lines = [ln for ln in str(info).splitlines() if not ln.startswith("Owner:")]
    return {**row, "information": "\n".join([f"Owner: {owner}", *lines]) + "\n"}


def owner_in_describe(enforcer: Enforcer, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DESCRIBE TABLE EXTENDED rows (already decoded) whose ``Owner`` row is the model's owner."""
    info = {r.get("col_name"): r.get("data_type") for r in rows}
    if not all(info.get(k) for k in ("Catalog", "Database", "Table")):
        return rows
    obj = ".".join(normalize(str(info[k])) for k in ("Catalog", "Database", "Table"))
    owner = enforcer.store.owner(obj)
    return [{**r, "data_type": owner} if r.get("col_name") == "Owner" else r for r in rows]
