"""The local warehouse's privilege model: the part of Unity Catalog's the tool relies on, so that the statements
Databricks would run are run (or refused) locally instead of being skipped.

Modeled (``docs/platform-facts.md``, "Who sees what inside a view" and "Corrections"):

- every object has an **owner**: whoever created it (objects the platform made — synthetic system tables, catalogs —
  belong to the warehouse's own principal, which is metastore admin);
- ``ALTER … OWNER TO p`` by the owner needs metastore admin unless ``p`` is the caller or an account group the caller
  belongs to; only the owner changes a view's body (``ALTER VIEW … AS``), and the creator of a view must be able to
  SELECT what it reads;
- ``GRANT`` / ``REVOKE`` by the owner or a metastore admin; ``SELECT`` (or ``ALL PRIVILEGES``) on a table, its
  schema or its catalog lets a principal, an account group it belongs to, or ``account users`` (every principal of
  the account) read it;
- a query reads the objects it names with the **reader's** rights and what a view reads with the **view owner's**
  rights (definer's rights), so a reader needs SELECT on the views only, never on ``system.*``.

- **system catalogs** (the ``system`` catalog the platform provides, marked by :func:`mark_system_catalog`): owned by
  ``System user``, and nobody reads them without ``USE CATALOG`` on the catalog, ``USE SCHEMA`` on the schema and
  ``SELECT`` on the table (each granted on the object or inherited from its schema / catalog), **metastore admins
  included**: "initially, users have no access to data"; a metastore admin can grant itself privileges but does not
  hold them (docs: "Admin privileges in Unity Catalog", "Unity Catalog privileges and securable objects"; facts,
  "Corrections, round 2"). ``information_schema`` needs ``USE CATALOG`` only (*unverified*; on Databricks its rows
  are also filtered to what the reader may see, which is not modeled). A refusal is Databricks' message:
  ``INSUFFICIENT_PERMISSIONS: … does not have USE SCHEMA on Schema 'system.billing'``.

Not modeled (documented): USE CATALOG / USE SCHEMA outside system catalogs (granted alongside SELECT in the README,
not checked), MANAGE, row filters. Outside system catalogs metastore admins pass every check. State lives in
``<workdir>/privileges.json`` so a later process (``rls sql --as``) sees the same owners and grants.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rls.sql.sqltext import chains, significant, tokenize

STATE_FILE = "privileges.json"
ACCOUNT_USERS = "account users"  # Databricks' built-in account group: every user and service principal
SYSTEM_OWNER = "System user"  # the owner Databricks shows for the `system` catalog and its objects
INFO_SCHEMA = "information_schema"
CREATE_IN_SCHEMA = {"CREATE TABLE", "CREATE VIEW", "ALL PRIVILEGES"}  # on a schema: create a table or view in it
_READ = {"SELECT", "ALL PRIVILEGES"}
_NODE = re.compile(r"^(?P<prefix>[ :+\-]*)(?P<text>.*)$")


@dataclass(frozen=True)
class Read:
    """An object a query reads and whose rights it is read with (the reader, or the owner of the enclosing view)."""

    obj: str  # catalog.schema.name, lower case
    reader: str


class PrivilegeStore:
    """Owners, grants and metastore admins of one warehouse. ``platform`` is the warehouse's own principal."""

    def __init__(self, workdir: Path, platform: str) -> None:
        self.path = Path(workdir) / STATE_FILE
        self.platform = platform
        self._lock = threading.RLock()
        doc: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        self.owners: dict[str, str] = doc.get("owners", {})
        self.grants: dict[str, list[list[str]]] = doc.get("grants", {})
        self.metastore_admins: list[str] = doc.get("metastore_admins", [platform])
        self.system_catalogs: list[str] = doc.get("system_catalogs", [])
        self.policies: list[dict[str, Any]] = doc.get("policies", [])  # ABAC policies the platform attached (.policies)

    # ---- state ---------------------------------------------------------------------------------------------------
    def _save(self) -> None:
        doc = {
            "owners": self.owners,
            "grants": self.grants,
            "metastore_admins": self.metastore_admins,
            "system_catalogs": self.system_catalogs,
            "policies": self.policies,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def owner(self, obj: str) -> str:
        return self.owners.get(obj.lower(), SYSTEM_OWNER if self.is_system(obj) else self.platform)

    def is_system(self, obj: str) -> bool:
        """Whether ``obj`` (a catalog or anything in it) belongs to a system catalog."""
        return obj.lower().split(".", 1)[0] in self.system_catalogs

    def mark_system_catalog(self, catalog: str) -> None:
        """``catalog`` is a system catalog: it and everything in it belong to ``System user``, whoever prepared it."""
        cat = catalog.lower()
        with self._lock:
            if cat not in self.system_catalogs:
                self.system_catalogs.append(cat)
            self.owners = {o: who for o, who in self.owners.items() if o != cat and not o.startswith(cat + ".")}
            self._save()

    def set_owner(self, obj: str, owner: str) -> None:
        with self._lock:
            self.owners[obj.lower()] = owner
            self._save()

    def forget(self, obj: str) -> None:
        with self._lock:
            self.owners.pop(obj.lower(), None)
            self.grants.pop(obj.lower(), None)
            self._save()

    def grant(self, obj: str, principal: str, privilege: str, *, revoke: bool = False) -> None:
        with self._lock:
            entries = self.grants.setdefault(obj.lower(), [])
            entry = [principal, privilege]
            if revoke:
                gone = [principal.lower(), privilege]
                self.grants[obj.lower()] = [e for e in entries if [e[0].lower(), e[1]] != gone]
            elif entry not in entries:
                entries.append(entry)
            self._save()

    def add_policy(self, policy: dict[str, Any]) -> None:
        with self._lock:
            self.policies.append(policy)
            self._save()

    def remove_policy(self, name: str) -> None:
        with self._lock:
            self.policies = [p for p in self.policies if p["name"] != name]
            self._save()

    def add_metastore_admin(self, principal: str) -> None:
        with self._lock:
            if principal.lower() not in {a.lower() for a in self.metastore_admins}:
                self.metastore_admins.append(principal)
                self._save()

    # ---- decisions -----------------------------------------------------------------------------------------------
    def is_admin(self, identity: str | None, groups: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
        if identity is None:
            return True  # the platform itself (no identity set): it prepared the warehouse
        admins = {a.lower() for a in self.metastore_admins}
        return identity.lower() in admins or bool({g.lower() for g in groups} & admins)

    def is_owner(self, identity: str, groups: set[str], obj: str) -> bool:
        owner = self.owner(obj).lower()
        return owner == identity.lower() or owner in {g.lower() for g in groups}

    def holds(self, identity: str, groups: set[str], obj: str, privileges: set[str]) -> bool:
        """``identity`` holds one of ``privileges`` on ``obj`` or on its schema or catalog (inheritance)."""
        who = {identity.lower(), ACCOUNT_USERS} | {g.lower() for g in groups}
        parts = obj.lower().split(".")
        for securable in (".".join(parts[:n]) for n in range(len(parts), 0, -1)):
            for principal, privilege in self.grants.get(securable, []):
                if principal.lower() in who and privilege in privileges:
                    return True
        return False

    def can_read(self, identity: str, groups: set[str], obj: str) -> bool:
        if self.is_system(obj):
            return self.missing_to_read(identity, groups, obj) is None
        return (
            self.is_admin(identity, groups)
            or self.is_owner(identity, groups, obj)
            or self.holds(identity, groups, obj, _READ)
        )

    def missing_to_read(self, identity: str, groups: set[str], obj: str) -> str | None:
        """In a system catalog: the first privilege ``identity`` lacks to read ``obj``, as Databricks names it
        (``USE CATALOG on Catalog 'system'``), or None. Being metastore admin counts for nothing here."""
        parts = obj.lower().split(".")
        catalog, schema = parts[0], ".".join(parts[:2])
        needed = [(catalog, "USE CATALOG", f"Catalog '{catalog}'")]
        if len(parts) > 1 and parts[1] != INFO_SCHEMA:
            needed.append((schema, "USE SCHEMA", f"Schema '{schema}'"))
            if len(parts) > 2:
                needed.append((obj.lower(), "SELECT", f"Table '{obj.lower()}'"))
        for securable, privilege, named in needed:
            if not (
                self.is_owner(identity, groups, securable)
                or self.holds(identity, groups, securable, {privilege, "ALL PRIVILEGES"})
            ):
                return f"{privilege} on {named}"
        return None


# ---- reading plans ---------------------------------------------------------------------------------------------------
def reads(tree: str, identity: str, decode: Any, owner: Any) -> list[Read]:
    """What an analyzed plan (``treeString``) reads, each with whose rights: objects outside any view with the
    reader's, objects inside a view with that view's owner's. ``decode(spark_name)`` gives ``catalog.schema.name``
    or None (platform internals); ``owner(obj)`` gives an object's owner."""
    out: list[Read] = []
    stack: list[tuple[int, str]] = []  # (depth, owner of the enclosing view)
    for line in tree.splitlines():
        m = _NODE.match(line)
        if m is None or not m.group("text"):
            continue
        depth, text = len(m.group("prefix")), m.group("text")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        reader = stack[-1][1] if stack else identity
        name = _relation_name(text)
        if name is None:
            continue
        obj = decode(name)
        if obj is None:
            continue
        out.append(Read(obj, reader))
        if text.startswith("View "):
            stack.append((depth, owner(obj)))
    return out


def _relation_name(text: str) -> str | None:
    if text.startswith("View ("):
        return _leading_name(text[len("View (") :])
    if text.startswith("Relation "):
        return _leading_name(text[len("Relation ") :])
    if text.startswith("HiveTableRelation ["):
        return _leading_name(text[len("HiveTableRelation [") :])
    return None


def _leading_name(text: str) -> str | None:
    sig = significant(tokenize(text))
    found = chains(sig)
    if not found or found[0].first != 0:
        return None
    return ".".join(found[0].names)
