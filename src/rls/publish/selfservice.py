"""The ``self`` access level: besides the admin rows, the rows the reader caused, in workspaces where the reader is
at least a USER (an ADMIN or USER assignment, directly, through an account group or the local admins group).

Who caused a row is read from the table's identity columns (``publish.identity_columns``). The registry of
system-table facts (:mod:`rls.sql.system_tables`) says what each column holds: a **name** (user name / application id)
is compared case-insensitively with ``session_user()`` exactly like the admin path; a **principal id**
(``lakeflow.jobs.run_as`` / ``creator_id``, facts sheet) is matched through the collector's ``principals`` table
(account SCIM id -> identity). A configured column the table does not have, or that the registry does not know as an
identity column of that table, fails that view at publish time: a silently empty view would look like "you caused
nothing".
"""

from __future__ import annotations

import re

from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION
from rls.publish.discovery import SystemTable
from rls.sql.quoting import quote_identifier, quote_name, quote_string
from rls.sql.system_tables import NAME, PRINCIPAL_ID, facts
from rls.tables import GROUP

# Who is reading, in the generated SQL. Databricks recommends session_user() over current_user() in Databricks SQL and
# DBR 14.1+ (docs, "current_user function" / "session_user function"; facts sheet, "Corrections, round 2"): both
# return the user name, or a service principal's application id, of the session; under an assumed RBAC role
# current_user() returns the role instead. Compute older than DBR 14.1 cannot run these views.
INVOKER = "session_user()"
MEMBER_CTE = "member_groups_users"
PRINCIPAL_CTE = "my_principal_ids"
_STRUCT_FIELD = re.compile(r"[<,]\s*`?([^`:<>,\s]+)`?\s*:")


class IdentityColumnError(ValueError):
    """A configured identity column that the system table does not have."""


def identity_column_kind(source: SystemTable, path: str) -> str:
    """``name`` or ``principal_id`` from the registry; a table the registry does not know: ``name`` (documented)."""
    known = facts(source.key)
    if known is None or not known.identity:
        return NAME
    column = known.identity_column(path)
    if column is None:
        listed = ", ".join(f"{c.path} ({c.kind})" for c in known.identity)
        raise IdentityColumnError(
            f"{source.key}.{path} is not an identity column (publish.identity_columns.{source.key}; known: {listed})"
        )
    return column.kind


def identity_column_sql(source: SystemTable, path: str) -> str:
    """``x.`a`.`b``` for ``a.b``, after checking the column (and struct field) exists in the discovered schema."""
    if source.columns is None:
        raise IdentityColumnError(
            f"{source.key}: columns unknown (information_schema not readable), cannot check identity column {path!r}"
        )
    top, *fields = path.split(".")
    column = next((c for c in source.columns if c.name.lower() == top.lower()), None)
    if column is None:
        raise IdentityColumnError(f"{source.key} has no column {top!r} (publish.identity_columns.{source.key})")
    if fields:
        known = {f.lower() for f in _STRUCT_FIELD.findall(column.data_type)}
        if fields[0].lower() not in known:
            raise IdentityColumnError(
                f"{source.key}.{top} has no field {fields[0]!r} (publish.identity_columns.{source.key})"
            )
    return "x." + ".".join(quote_identifier(p) for p in (column.name, *fields))


ADMIN_ONLY = (ADMIN_PERMISSION,)
ANY_ASSIGNMENT = (ADMIN_PERMISSION, USER_PERMISSION)


def workspaces_cte(access_map: tuple[str, str, str], permissions: tuple[str, ...], small_id: str) -> str:
    """Workspaces where the invoker holds one of ``permissions`` (``ADMIN`` for the admin branch; ``ADMIN`` and
    ``USER`` for the ``self`` level's member workspaces), read from the collector's compact access map: one row per
    way in, never a flattened group member.

    A user / service-principal row is the invoker's when its ``user_name`` is ``session_user()`` (case-insensitive);
    a group row when ``is_account_group_member(group_name)`` holds, which the platform answers from **live**
    membership (nested groups included): removing someone from an admin group takes effect at once. Workspace 0 / NULL
    ("no workspace", account-level events) is never reachable.

    Both ways in are one ``OR`` over one scan of the map. (Generator 3 needed a ``UNION ALL`` of two scans so that the
    semi-join with the system table saw a small estimate; the hash set of :func:`workspace_in` joins nothing to the
    system table, so the estimate no longer steers its plan, and one scan of the map is one read instead of two.)
    """
    permission = " AND " + (
        f"a.permission = {quote_string(permissions[0])}"
        if len(permissions) == 1
        else f"a.permission IN ({', '.join(quote_string(p) for p in permissions)})"
    )
    return (
        f"SELECT {small_id} AS workspace_id\n"
        f"  FROM {quote_name(*access_map)} AS a\n"
        f"  WHERE a.workspace_id IS NOT NULL AND a.workspace_id <> 0{permission}\n"
        f"    AND (lower(a.user_name) = lower({INVOKER})\n"
        f"      OR (a.principal_type = {quote_string(GROUP)} AND is_account_group_member(a.group_name)))"
    )


# Buckets of the reader's workspace-id set (see workspace_in): a power of two well above a typical reader's count, so a
# bucket holds a handful of ids even for an account admin of thousands of workspaces.
ID_BUCKETS = 256


def _key(value: str, key_cast: str | None) -> str:
    return f"CAST({value} AS {key_cast})" if key_cast else value


def _bucket(key: str) -> str:
    # Both sides hash the same type (see _key): hash() of an INT and of the same BIGINT differ. The same builtin on the
    # same value in one query: identical on every engine that runs it.
    return f"pmod(hash({key}), {ID_BUCKETS})"


def workspace_in(cte: str, key_cast: str | None = None) -> str:
    """The predicate over the source alias ``x``: its workspace is one of ``cte``'s.

    Shape (measured against the alternatives in BENCHMARKS.md, section 1): ``cte`` is read **once**, by an
    uncorrelated scalar subquery that returns the reader's ids as a hash set — an array of ``ID_BUCKETS`` arrays,
    each id in the bucket of its ``hash()`` — and each row of the system table is tested **inside the scan** against
    its own bucket only. A semi-join ``x.workspace_id IN (SELECT …)`` probes a hash table after the scan instead
    (1.4-2.1x the literal-list floor on full scans here), and ``array_contains`` over the flat id list is linear in
    the reader's workspaces (80x the floor for an admin of 2,000). A NULL ``workspace_id`` matches nothing
    (``array_contains`` answers NULL); the index is always within the 256 buckets, so ANSI mode never raises.
    The map is small (one row per way in), so it is read in one task (``COALESCE(1)``): the set is built in that
    task's stage, without a shuffle stage per query.

    ``key_cast``: the type both sides are hashed and compared as when ``cte``'s ids and the source's column differ (an
    INT column against the collector's BIGINT ids); None when they are the same type (no cast on the big side).
    """
    buckets = (
        f"(SELECT transform(sequence(0, {ID_BUCKETS - 1}), b -> filter(ids, w -> {_bucket(_key('w', key_cast))} = b))\n"
        f"    FROM (SELECT collect_set(workspace_id) AS ids FROM (SELECT /*+ COALESCE(1) */ workspace_id FROM {cte})))"
    )
    row = _key("x.workspace_id", key_cast)
    return f"array_contains(element_at({buckets}, {_bucket(row)} + 1), {row})"


def principal_ids_cte(principals_table: tuple[str, str, str]) -> str:
    """The reader's own principal id(s), from the collector's id -> identity map (users and SPs, active only)."""
    return (
        f"SELECT p.principal_id FROM {quote_name(*principals_table)} AS p\n"
        f"  WHERE p.active AND p.principal_type <> {quote_string(GROUP)} AND lower(p.identity) = lower({INVOKER})"
    )


def caused_predicate(columns: list[tuple[str, str]]) -> str:
    """``(sql, kind)`` pairs: a name compared with session_user(), a principal id looked up in the reader's ids."""
    return " OR ".join(
        f"{c} IN (SELECT principal_id FROM {PRINCIPAL_CTE})"
        if kind == PRINCIPAL_ID
        else f"lower({c}) = lower({INVOKER})"
        for c, kind in columns
    )
