"""Every statement the local warehouse runs is authorized **before** Spark sees it, as Unity Catalog does.

The statement is parsed by Spark's own parser (nothing runs), and its parsed plan decides:

- **a query** (every node of the plan is a query node): runs lazily, and :meth:`Enforcer.check_read` refuses it on
  the analyzed plan before a row is produced (SELECT on what it names, definer's rights inside views);
- **a path read** (``csv.`/path```, ``parquet.`…```, ``delta.`…```, ``json.`…```, ``text.`…```, ``read_files(…)``),
  anywhere in the plan (a CTE, a subquery, a view body): refused for every identity. Unity Catalog lets a path be
  read only with ``READ FILES`` on an external location covering it, and the local warehouse has none. The session
  also runs with ``spark.sql.runSQLOnFiles=false`` (:mod:`.session`), so a path in a stored view cannot resolve;
- **a command**: a metastore admin may run it; anyone else only the commands below, each with the privilege the
  Unity Catalog privileges reference asks for
  (https://docs.databricks.com/aws/en/data-governance/unity-catalog/access-control/privileges-reference and
  https://docs.databricks.com/aws/en/data-governance/unity-catalog/manage-privileges/ "Manage object ownership"):
  dropping an object needs its ownership or that of its schema or catalog (or ``MANAGE``); ``CREATE TABLE`` on the
  schema creates a table or a view (Unity Catalog has no separate view privilege), replacing one needs its
  ownership; ``ALTER VIEW … AS`` only its owner (facts: MANAGE is not enough); writing rows (``INSERT``, ``MERGE``,
  ``UPDATE``, ``DELETE``, ``TRUNCATE``) needs ``MODIFY`` (and ``SELECT`` where rows are read);
  ``CREATE SCHEMA`` needs ``CREATE SCHEMA`` on the catalog, ``CREATE FUNCTION`` needs ``CREATE FUNCTION`` on the
  schema. A table at a path (``LOCATION``, ``OPTIONS (path …)``) needs an external location: refused. Any other
  command (``SET k=v``, temporary views, ``ADD JAR``, ``EXECUTE IMMEDIATE``…) is refused to non-admins: the
  warehouse's Spark session is shared by every identity, so a session setting or temporary object of one reader
  would reach the next;
- **the platform's builtins** (``is_account_group_member``, ``current_user``, ``session_user``, every Spark builtin)
  cannot be created, replaced or dropped by anyone but the platform itself, nor can anything in the platform's own
  database (:data:`~.platform_db.PLATFORM_DB`): Databricks resolves builtins before any schema's functions.

A refused statement raises :class:`~.refusals.PrivilegeError` (one line) before anything is changed.
"""

from __future__ import annotations

import re

from rls.sql.sqltext import not_applicable, parse_name, quote, significant, tokenize
from rls_local.warehouse.names import SESSION_CATALOG, normalize
from rls_local.warehouse.platform_db import PLATFORM_DB
from rls_local.warehouse.privileges import CREATE_IN_SCHEMA
from rls_local.warehouse.protocols import Enforcement
from rls_local.warehouse.refusals import PrivilegeError
from rls_local.warehouse.statement_plan import (
    FILE_FORMATS,
    PATH_COMMANDS,
    PATH_FUNCTIONS,
    PLATFORM_BUILTINS,
    READ_ONLY,
    REFLECTION,
    RELATIONS,
    TABLE_FUNCTIONS,
    WRITES,
    Parsed,
    at_a_path,
    parse,
    temporary_function,
)


def authorize(enforcer: Enforcement, sql: str, prepared: str) -> Parsed | None:
    """Refuse ``sql`` (``prepared``: its names mapped) unless the caller may run it; nothing has run yet."""
    who, groups = enforcer.caller()
    if who is None:
        return None  # the platform itself (it prepared the warehouse)
    parsed = parse(enforcer.b.spark, prepared)
    if parsed is None:
        if not enforcer.store.is_admin(who, groups):
            _authorize_unparsed(enforcer, sql, who, groups)
        return None
    _refuse_path_reads(parsed, who)
    if REFLECTION.search(parsed.tree):
        raise PrivilegeError(f"PERMISSION_DENIED: {who} may not call Java methods (reflect, java_method) from SQL")
    if "UnresolvedExecuteImmediate" in parsed.nodes:
        # Spark runs the inner statement while analyzing: it could not be authorized before it runs.
        raise PrivilegeError(f"PERMISSION_DENIED: {who} may not run EXECUTE IMMEDIATE on the local warehouse")
    _refuse_builtin_functions(enforcer, parsed, who)
    _refuse_location(parsed, who)
    if parsed.is_query or enforcer.store.is_admin(who, groups):
        return parsed
    _authorize_command(enforcer, parsed, who, groups)
    return parsed


def _authorize_unparsed(enforcer: Enforcement, sql: str, who: str, groups: set[str]) -> None:
    """Databricks statements Spark cannot parse, which the warehouse records (catalogs, tags): who may run them."""
    if not_applicable(sql) is None:
        return  # Spark will refuse the syntax itself; nothing runs
    sig = significant(tokenize(sql))
    words = [t.word for t in sig]
    if words[:2] == ["CREATE", "CATALOG"]:
        # privileges reference: CREATE CATALOG is granted on the metastore; nobody holds it locally but its admins
        raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks CREATE CATALOG on the metastore")
    target = enforcer.target(sig[1:] if words[:2] != ["COMMENT", "ON"] else sig[3:])
    if target is None or not enforcer.store.is_owner(who, groups, target):
        raise PrivilegeError(enforcer.not_owner(who, target or "the object"))


def authorize_write(enforcer: Enforcement, full_name: str) -> None:
    """A table written whole (``save_table``): MODIFY on it (or its ownership), else CREATE TABLE on its schema."""
    who, groups = enforcer.caller()
    if who is None or enforcer.store.is_admin(who, groups):
        return
    obj = ".".join(normalize(p) for p in parse_name(full_name))
    if not enforcer.object_exists(obj):
        _create_in_schema(enforcer, who, groups, obj, CREATE_IN_SCHEMA, "CREATE TABLE")
    elif not (enforcer.store.is_owner(who, groups, obj) or enforcer.store.holds(who, groups, obj, {"MODIFY"})):
        raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks MODIFY on {obj}")


def _refuse_path_reads(parsed: Parsed, who: str) -> None:
    for m in RELATIONS.finditer(parsed.tree):
        source, _, path = m.group("n").partition(", ")
        if path and source.strip().lower() in FILE_FORMATS:
            raise PrivilegeError(
                f"PERMISSION_DENIED: {who} may not read the path {path!r}: reading files needs READ FILES on an"
                " external location, and the local warehouse has none"
            )
    for m in TABLE_FUNCTIONS.finditer(parsed.tree):
        if m.group("n").strip().lower() in PATH_FUNCTIONS:
            raise PrivilegeError(
                f"PERMISSION_DENIED: {who} may not call {m.group('n').strip()}(): reading files needs READ FILES on an"
                " external location, and the local warehouse has none"
            )


def _refuse_builtin_functions(enforcer: Enforcement, parsed: Parsed, who: str) -> None:
    if not any("Function" in n and n not in ("ShowFunctions", "DescribeFunction") for n in parsed.nodes[:1]):
        return
    name = parsed.target() or temporary_function(parsed.plan)
    if not name:
        raise PrivilegeError(f"PERMISSION_DENIED: {who} may not run {parsed.kind} here")
    fn = name[-1].strip("`").lower()
    db = name[-2].lower() if len(name) >= 2 else None
    if fn in PLATFORM_BUILTINS or db == PLATFORM_DB or _spark_builtin(enforcer, fn):
        raise PrivilegeError(
            f"PERMISSION_DENIED: {fn} is a builtin of the platform: no one may create, replace or drop it"
        )


def _spark_builtin(enforcer: Enforcement, fn: str) -> bool:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", fn):
        return False
    rows = enforcer.b.spark.sql(f"SHOW SYSTEM FUNCTIONS LIKE '{fn}'").collect()
    return any(str(r[0]).lower() == fn for r in rows)


_NAMESPACE_KINDS = frozenset({"CreateNamespace", "DropNamespace"})


def _authorize_command(enforcer: Enforcement, parsed: Parsed, who: str, groups: set[str]) -> None:
    store, kind = enforcer.store, parsed.kind
    if kind in READ_ONLY or (kind == "SetCommand" and "Some(" not in parsed.tree.splitlines()[0]):
        return
    name = parsed.target()
    target = _object(enforcer, name, namespace=kind in _NAMESPACE_KINDS) if name else None
    if target is None:
        raise PrivilegeError(
            f"PERMISSION_DENIED: {who} may not run {kind} on the local warehouse: only metastore admins run statements"
            " outside the Unity Catalog privilege model (its Spark session is shared by every identity)"
        )
    owner = store.is_owner(who, groups, target)
    if kind in ("DropView", "DropTable", "DropFunction", "DropNamespace"):
        # privileges reference: the owner of the object, or of its schema or catalog, or MANAGE on it
        _need(owner or _owns_parent(enforcer, who, groups, target) or store.holds(who, groups, target, {"MANAGE"}),
              enforcer, who, target)  # fmt: skip
    elif kind in ("CreateView", "CreateTable", "CreateTableAsSelect", "ReplaceTable", "ReplaceTableAsSelect"):
        _create_in_schema(enforcer, who, groups, target, CREATE_IN_SCHEMA, "CREATE TABLE")
        _need(owner or not enforcer.object_exists(target), enforcer, who, target)  # replacing needs ownership
        enforcer.check_statement_reads(parsed, who)
    elif kind == "CreateUserDefinedFunction":
        _create_in_schema(enforcer, who, groups, target, {"CREATE FUNCTION", "ALL PRIVILEGES"}, "CREATE FUNCTION")
        _need(owner or target not in store.owners, enforcer, who, target)
    elif kind == "AlterViewAs":
        # facts: only the owner changes a view's body (MANAGE is not enough); the creator must SELECT its sources
        _need(owner, enforcer, who, target)
        enforcer.check_statement_reads(parsed, who)
    elif kind in ("SetViewProperties", "UnsetViewProperties", "SetTableProperties", "UnsetTableProperties",
                  "CommentOnTable"):  # fmt: skip
        _need(owner or store.holds(who, groups, target, {"MANAGE"}), enforcer, who, target)
    elif kind in WRITES:
        # privileges reference: MODIFY adds, updates and deletes rows; rows read on the way need SELECT
        if not (owner or store.holds(who, groups, target, {"MODIFY", "ALL PRIVILEGES"})):
            raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks MODIFY on {target}")
        enforcer.check_statement_reads(parsed, who)
    elif kind == "CreateNamespace":
        catalog = target.split(".")[0]
        if not (owner or store.is_owner(who, groups, catalog)
                or store.holds(who, groups, catalog, {"CREATE SCHEMA", "ALL PRIVILEGES"})):  # fmt: skip
            raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks CREATE SCHEMA on catalog {catalog}")
    else:
        raise PrivilegeError(
            f"PERMISSION_DENIED: {who} may not run {kind} on the local warehouse: only metastore admins run statements"
            " outside the Unity Catalog privilege model (its Spark session is shared by every identity)"
        )


def _need(ok: bool, enforcer: Enforcement, who: str, target: str) -> None:
    if not ok:
        raise PrivilegeError(enforcer.not_owner(who, target))


def _owns_parent(enforcer: Enforcement, who: str, groups: set[str], target: str) -> bool:
    parts = target.split(".")
    return any(enforcer.store.is_owner(who, groups, ".".join(parts[:n])) for n in range(1, len(parts)))


def _create_in_schema(
    enforcer: Enforcement, who: str, groups: set[str], target: str, privileges: set[str], label: str
) -> None:
    if target.count(".") != 2:
        raise PrivilegeError(f"PERMISSION_DENIED: {who} may create objects only in a schema of a catalog")
    schema = target.rsplit(".", 1)[0]
    store = enforcer.store
    if not (
        store.is_owner(who, groups, schema)
        or _owns_parent(enforcer, who, groups, schema)
        or store.holds(who, groups, schema, privileges)
    ):
        raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks {label} on schema {schema}")


def _refuse_location(parsed: Parsed, who: str) -> None:
    """A table at a path, or a command that reads or writes one: needs an external location (none locally)."""
    if parsed.kind in PATH_COMMANDS or at_a_path(parsed.plan):
        raise PrivilegeError(
            f"PERMISSION_DENIED: {who} may not run {parsed.kind} at a path: files outside managed tables need an"
            " external location (READ FILES / WRITE FILES / CREATE EXTERNAL TABLE), and the local warehouse has none"
        )


def _object(enforcer: Enforcement, parts: list[str], *, namespace: bool = False) -> str | None:
    """``catalog.schema[.name]`` of a Spark name as the plan prints it, or None when it names nothing in Unity
    Catalog (Spark's own databases, the platform's, a temporary object): nothing a non-admin may change."""
    parts = [p.strip("`") for p in parts]
    if parts and normalize(parts[0]) == SESSION_CATALOG:
        parts = parts[1:]
    if namespace:
        if len(parts) == 2:  # `cat.schema` of a catalog not registered yet: CREATE SCHEMA registers it (lenient,
            return ".".join(normalize(p) for p in parts)  # see emulated_statements), with CREATE SCHEMA on `cat`
        decoded = enforcer.b.names.decode_db(parts[0]) if len(parts) == 1 else None
        return ".".join(decoded) if decoded else None
    if len(parts) == 1:
        parts = [str(enforcer.b.spark.catalog.currentDatabase()), parts[0]]
    if len(parts) != 2:
        return None
    return enforcer.decode(".".join(quote(p) for p in parts))
