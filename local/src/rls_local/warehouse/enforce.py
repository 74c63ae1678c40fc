"""Where the local warehouse applies its privilege model (:mod:`.privileges`) to the statements it runs.

:class:`Enforcer` is called by :class:`~rls_local.warehouse.backend.LocalWarehouseBackend` around every statement:
``GRANT`` / ``REVOKE`` / ``OWNER TO`` are run by the model itself (Spark has no such statements); DDL on an object is
refused unless the caller may do it; queries are refused when a reader lacks SELECT on what they read. Who the
caller is: the identity set for the thread (``as_identity``), else the backend's job identity (``run_as``), else
the warehouse's own principal (metastore admin: the platform that prepared the warehouse).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rls.sql.sqltext import chains, parse_name, significant, tokenize
from rls_local.warehouse import shared_catalogs
from rls_local.warehouse.authorize import Parsed, authorize
from rls_local.warehouse.names import SESSION_CATALOG, normalize
from rls_local.warehouse.platform_db import MEMBERSHIP_TABLE, platform_table, writes, written_in_this_session
from rls_local.warehouse.privilege_statements import parse_grant, parse_owner_change
from rls_local.warehouse.privileges import PrivilegeStore, reads
from rls_local.warehouse.protocols import Backend
from rls_local.warehouse.refusals import NotVisibleError, PrivilegeError
from rls_local.warehouse.sharing_rules import METASTORE
from rls_local.warehouse.statement_plan import parse

_DDL_WORDS = {"CREATE", "ALTER", "DROP", "OR", "REPLACE", "VIEW", "TABLE", "SCHEMA", "DATABASE", "IF", "NOT", "EXISTS",
              "FUNCTION"}  # fmt: skip
_stores: dict[Path, PrivilegeStore] = {}
_stores_lock = threading.Lock()


def store_for(workdir: Path, platform: str) -> PrivilegeStore:
    """One store per workdir and process: two backends on one workdir must see the same owners and grants."""
    key = Path(workdir).resolve()
    with _stores_lock:
        if key not in _stores:
            _stores[key] = PrivilegeStore(key, platform)
        return _stores[key]


class Enforcer:
    def __init__(self, backend: Backend) -> None:
        self.b = backend
        self.store = store_for(backend.state_dir, backend.platform_principal)
        self._groups: dict[str, set[str]] = {}
        self._groups_version = -1  # platform_db.writes() the cache was filled at
        self._groups_lock = threading.Lock()

    # ---- who ---------------------------------------------------------------------------------------------------
    def groups(self, identity: str) -> set[str]:
        """Account groups ``identity`` belongs to, from the emulated platform's membership table (nested expanded).

        Cached per identity (a Spark job per read would weigh on every query the benchmarks time); the cache is
        dropped whenever the platform is (re)installed, which recreates ``is_account_group_member``."""
        key, version = identity.lower(), writes(str(self.b.workdir))
        with self._groups_lock:
            if self._groups_version != version:  # another backend of this workdir (re)installed the platform
                self._groups, self._groups_version = {}, version
            if key in self._groups:
                return self._groups[key]
        found = self._read_groups(identity)
        with self._groups_lock:
            if self._groups_version == version:
                self._groups[key] = found
        return found

    def forget_groups(self) -> None:
        with self._groups_lock:
            self._groups.clear()

    def _read_groups(self, identity: str) -> set[str]:
        known = written_in_this_session(self.b)
        if known is not None and identity.isascii():  # the table's rows without a Spark job (as lower() compares)
            who = identity.lower()
            return {m.group_name for m in known if m.member == who}
        try:
            rows = self.b.spark.sql(
                f"SELECT group_name FROM {platform_table(MEMBERSHIP_TABLE)} WHERE member = lower(:who)",
                args={"who": identity},
            ).collect()
        except Exception:  # no platform installed (a bare warehouse): nobody is in any group
            return set()
        return {r[0] for r in rows}

    def caller(self) -> tuple[str | None, set[str]]:
        """Who runs this thread's statement and the account groups it belongs to (None: the platform itself)."""
        who = self.b.identity
        return who, (self.groups(who) if who is not None else set())

    # ---- statements ------------------------------------------------------------------------------------------------
    def run_privilege_statement(self, sql: str) -> bool:
        """GRANT / REVOKE / ALTER … OWNER TO: run by the model. False when ``sql`` is none of them."""
        grant = parse_grant(sql)
        if grant is not None:
            # metastore-level privileges (USE SHARE, USE RECIPIENT, …) are granted by a metastore admin (owner: the
            # platform's principal)
            obj = METASTORE if grant.securable_type == "METASTORE" else self.object_named(grant.name)
            who, groups = self.caller()
            if not (self.store.is_admin(who, groups) or self.store.is_owner(who or "", groups, obj)):
                raise PrivilegeError(
                    f"PERMISSION_DENIED: {who} may not grant on {obj}: only its owner"
                    f" ({self.store.owner(obj)}) or a metastore admin can"
                )
            for privilege in grant.privileges:
                self.store.grant(obj, grant.principal, privilege, revoke=grant.revoke)
            return True
        change = parse_owner_change(sql)
        if change is None:
            return False
        obj = self.object_named(change.name)
        self._require_exists(change.object_type, obj)
        who, groups = self.caller()
        if not self.store.is_admin(who, groups):
            assert who is not None
            if not self.store.is_owner(who, groups, obj):
                raise PrivilegeError(self.not_owner(who, obj))
            target = change.owner.lower()
            if target != who.lower() and target not in {g.lower() for g in groups}:
                # facts: OWNER TO another principal needs metastore admin unless it is yourself or your group
                raise PrivilegeError(
                    f"PERMISSION_DENIED: {who} may not make {change.owner} the owner of {obj}: needs metastore admin"
                    " (or membership of that group)"
                )
        self.store.set_owner(obj, change.owner)
        return True

    def before(self, sql: str) -> None:
        """Refuse ``sql`` unless the caller may run it, before Spark parses it for real (:mod:`.authorize`)."""
        prepared = self.b.prepare(sql)
        parsed = authorize(self, sql, prepared)
        who, groups = self.caller()
        if who is None or self.store.is_admin(who, groups):
            # A metastore admin (the platform's own principal too) skips the ownership checks, not SELECT on a system
            # catalog: "initially, users have no access to data" (docs, admin privileges; see .privileges). So the
            # body of a view it creates or changes is checked for what it reads from `system`.
            words = [t.word for t in significant(tokenize(sql))[:4]]
            if words[:1] in (["CREATE"], ["ALTER"]) and "VIEW" in words:
                parsed = parsed or parse(self.b.spark, prepared)
                if parsed is not None:
                    self.check_statement_reads(parsed, who or self.store.platform, system_only=True)

    def object_exists(self, obj: str) -> bool:
        parts = obj.split(".")
        return len(parts) == 3 and bool(self.b.spark.catalog.tableExists(self.b.names.table(*parts).spark_name))

    def check_statement_reads(self, parsed: Parsed, who: str, *, system_only: bool = False) -> None:
        """What a command reads (a view's body, the query of a CTAS or an INSERT, the source of a MERGE), checked
        with ``who``'s rights on its plan analyzed without running (``CommandExecutionMode.SKIP``); ``system_only``:
        only the reads of a system catalog (a metastore admin's)."""
        jvm = self.b.spark._jvm
        mode = jvm.org.apache.spark.sql.execution.CommandExecutionMode.SKIP()
        analyzed = self.b.spark._jsparkSession.sessionState().executePlan(parsed.plan, mode).analyzed()
        self._check_tree(str(analyzed.treeString()), None if system_only else who, system_reader=who)

    def after(self, sql: str, existed: bool) -> None:
        """Record the owner of what was created (unless it existed) and forget what was dropped."""
        sig = significant(tokenize(sql))
        words = [t.word for t in sig[:4]]
        if "FUNCTION" in words and "is_account_group_member" in sql:
            self.forget_groups()  # the platform was (re)installed: memberships may have changed
            return
        target = self.target(sig)
        if not target:
            return
        if words[:1] == ["CREATE"] and not existed:
            self.store.set_owner(target, self.b.identity or self.store.platform)
        elif words[:1] == ["DROP"]:
            self.store.forget(target)

    def exists(self, sql: str) -> bool:
        sig = significant(tokenize(sql))
        target = self.target(sig)
        if not target or [t.word for t in sig[:1]] != ["CREATE"]:
            return False
        parts = target.split(".")
        if len(parts) == 3:
            return bool(self.b.spark.catalog.tableExists(self.b.names.table(*parts).spark_name))
        return str(self.store.owners.get(target, "")) != ""

    def after_save(self, full_name: str) -> None:
        """A table written with ``save_table``: its first writer owns it."""
        obj = ".".join(normalize(p) for p in parse_name(full_name))
        if obj not in self.store.owners:
            self.store.set_owner(obj, self.b.identity or self.store.platform)

    # ---- reads ------------------------------------------------------------------------------------------------------
    def check_read(self, df: Any, identity: str | None = None) -> None:
        """Refuse a query whose reader lacks SELECT on an object it reads (views: their owner on what they read)."""
        who = identity or self.b.identity
        self._check_tree(df._jdf.queryExecution().analyzed().treeString(), who)

    def _check_tree(
        self, tree: str, who: str | None, mounted: set[str] | None = None, system_reader: str | None = None
    ) -> None:
        """``who`` None: the platform (``system_reader``: or a metastore admin), which reads everything but a system
        catalog it holds no grant on; a share's revocation binds it too."""
        groups: dict[str, set[str]] = {}
        if mounted is None:
            mounted = shared_catalogs.mounted_catalogs(self.b.workdir, self.b.metastore_id)
        top = who or system_reader or self.store.platform
        for r in reads(tree, top, self.decode, self.store.owner):
            if r.obj.split(".", 1)[0] in mounted:
                shared_catalogs.check_mounted_read(self.b, r.obj)
            system = self.store.is_system(r.obj)
            if who is None and not system:
                continue
            g = groups.setdefault(r.reader, self.groups(r.reader))
            whose = "" if r.reader == top else f" (the owner of a view {top} reads)"
            if system:
                missing = self.store.missing_to_read(r.reader, g, r.obj)
                if missing is not None:  # Databricks' wording (error class INSUFFICIENT_PERMISSIONS)
                    raise PrivilegeError(
                        f"INSUFFICIENT_PERMISSIONS: Insufficient privileges: User {r.reader}{whose} does not have"
                        f" {missing}."
                    )
            elif not self.store.can_read(r.reader, g, r.obj):
                raise PrivilegeError(f"PERMISSION_DENIED: {r.reader}{whose} lacks SELECT on {r.obj}")

    def not_owner(self, who: str, obj: str) -> str:
        """The refusal's message when ``who`` needed to own ``obj``, naming its owner."""
        return f"PERMISSION_DENIED: {who} does not own {obj} (owner: {self.store.owner(obj)})"

    # ---- names ----------------------------------------------------------------------------------------------------
    def decode(self, spark_name: str) -> str | None:
        """``catalog.schema.name`` of a Spark table name, or None when it stands for no catalog's object."""
        parts = parse_name(spark_name)
        if len(parts) == 3 and parts[0] == SESSION_CATALOG:
            parts = parts[1:]
        if len(parts) != 2:
            return None
        decoded = self.b.names.decode_db(parts[0])
        if decoded is None:
            return None  # Spark's own databases (the emulated platform's functions and memberships)
        return ".".join((*decoded, normalize(self.b.names.decode_part(parts[1]))))

    def object_named(self, names: list[str]) -> str:
        """``catalog.schema.name`` of a name as a statement spells it (the current catalog where it names none)."""
        current = self.b.current_catalog
        if len(names) < 3 and current is not None and not self.b.names.is_catalog(names[0]):
            names = [current, *names]
        return ".".join(normalize(n) for n in names)

    def target(self, sig: list[Any]) -> str | None:
        """The object a DDL statement is about: the first name after its keywords."""
        for ch in chains(sig):
            if len(ch.parts) == 1 and ch.parts[0].word in _DDL_WORDS:
                continue
            return self.object_named(ch.names)
        return None

    def _require_exists(self, object_type: str, obj: str) -> None:
        parts = obj.split(".")
        spark_name = self.b.names.table(*parts).spark_name if len(parts) == 3 else None
        if object_type in ("VIEW", "TABLE") and spark_name and not self.b.spark.catalog.tableExists(spark_name):
            raise NotVisibleError(f"TABLE_OR_VIEW_NOT_FOUND: {obj}")
