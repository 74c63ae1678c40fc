"""The reporting tables, expanded by the SQL engine from the direct edges the collector read.

The driver holds API answers only: who is directly in which group (``group_members_direct``) and the ways into each
workspace (``workspace_access_map``). From them Spark computes

- ``group_members_flat``: every member of every fetched group at any depth — breadth first, one level per statement,
  each level keeping only (group, member) pairs no earlier level reached, so cycles end and every member keeps its
  shortest depth; among paths of equal length the smallest (by group ids) is kept, so the result is deterministic;
- ``…_admins`` / ``…_users``: each way in (from the new access map's staging copy), plus, for an assigned group,
  its active users and service principals;
- ``all_workspace_and_catalog_perms``: one nested row per workspace, from those two and the workspace's own row.

The number of levels is bounded by the depth of nesting (the loop stops at the first empty level, and a level can
only add pairs not seen before, so it ends even if the platform's nesting limit were not enforced).
"""

from __future__ import annotations

from dataclasses import dataclass

from rls import tables
from rls.sql import SqlBackend, quote_name, quote_string

_GROUP = quote_string(tables.GROUP)


@dataclass(frozen=True)
class Names:
    """Quoted three-part names of the tables the expansion reads and writes."""

    catalog: str
    schema: str

    def __call__(self, table: str) -> str:
        return quote_name(self.catalog, self.schema, table)

    def level(self, depth: int) -> str:
        return self(f"_rls_expand_level_{depth}")

    @property
    def perms_base(self) -> str:
        return self("_rls_expand_perms_base")

    @property
    def access_map_stage(self) -> str:
        """The new access map, for the expansion: the real one is written last, when the views may switch."""
        return self("_rls_expand_access_map")


@dataclass(frozen=True)
class Expanded:
    levels: int  # nesting levels found (0: no group has members)
    admin_rows: int


def expand(backend: SqlBackend, names: Names, run_id: str) -> Expanded:
    """Write ``group_members_flat``, ``…_users``, ``…_admins`` and ``…_perms`` from the edges already written."""
    depth = _closure(backend, names)
    try:
        backend.save_query(names(tables.GROUP_MEMBERS), flat_sql(names, depth, run_id))
        backend.save_query(names(tables.USERS), access_sql(names, "USER"))
        backend.save_query(names(tables.ADMINS), access_sql(names, "ADMIN"))
        backend.save_query(names(tables.PERMS), perms_sql(names))
        admin_rows = int(backend.fetch(f"SELECT count(*) AS n FROM {names(tables.ADMINS)}")[0]["n"])
    finally:
        for d in range(1, depth + 2):
            backend.execute(f"DROP TABLE IF EXISTS {names.level(d)}")
    return Expanded(depth, admin_rows)


def _closure(backend: SqlBackend, names: Names) -> int:
    """Write one table per nesting level; return the number of non-empty levels."""
    backend.save_query(names.level(1), first_level_sql(names))
    depth = 1
    while backend.fetch(f"SELECT 1 AS found FROM {names.level(depth)} LIMIT 1"):
        backend.save_query(names.level(depth + 1), next_level_sql(names, depth))
        depth += 1
    return depth - 1


def first_level_sql(names: Names) -> str:
    """Direct members (a group listed as its own member is ignored)."""
    return (
        "SELECT DISTINCT e.group_id AS root_id, e.member_id, e.member_type, array(e.group_id) AS path_ids\n"
        f"FROM {names(tables.GROUP_EDGES)} AS e\n"
        f"WHERE NOT (e.member_type = {_GROUP} AND e.member_id = e.group_id)"
    )


def next_level_sql(names: Names, depth: int) -> str:
    """Members one level below level ``depth``'s groups, that no level up to ``depth`` reached from the same root."""
    seen = "\n  UNION ALL ".join(
        f"SELECT root_id, member_id, member_type FROM {names.level(d)}" for d in range(1, depth + 1)
    )
    return (
        "SELECT n.root_id, n.member_id, n.member_type, n.path_ids FROM (\n"
        "  SELECT c.root_id, e.member_id, e.member_type, concat(c.path_ids, array(e.group_id)) AS path_ids,\n"
        "    row_number() OVER (PARTITION BY c.root_id, e.member_id, e.member_type\n"
        "                       ORDER BY concat(c.path_ids, array(e.group_id))) AS rank\n"
        f"  FROM {names.level(depth)} AS c\n"
        f"  JOIN {names(tables.GROUP_EDGES)} AS e ON c.member_type = {_GROUP} AND e.group_id = c.member_id\n"
        f"  WHERE NOT (e.member_type = {_GROUP} AND e.member_id = c.root_id)\n"
        ") AS n\n"
        f"LEFT ANTI JOIN (\n  {seen}\n) AS s\n"
        "  ON s.root_id = n.root_id AND s.member_id = n.member_id AND s.member_type = n.member_type\n"
        "WHERE n.rank = 1"
    )


def flat_sql(names: Names, depth: int, run_id: str) -> str:
    """``group_members_flat`` rows: each (group, member) pair of every level, with names, depth and path."""
    levels = "\n  UNION ALL ".join(
        f"SELECT root_id, member_id, member_type, path_ids, {d} AS depth FROM {names.level(d)}"
        for d in range(1, max(depth, 1) + 1)
    )
    edges = names(tables.GROUP_EDGES)
    return (
        "SELECT l.root_id AS group_id, g.group_name, l.member_id, m.member_name, l.member_type, m.active,\n"
        "  CAST(l.depth AS INT) AS depth,\n"
        "  concat_ws(' > ', transform(l.path_ids, i -> coalesce(element_at(n.names, i), i))) AS path,\n"
        f"  {quote_string(run_id)} AS run_id\n"
        f"FROM (\n  {levels}\n) AS l\n"
        f"JOIN (SELECT DISTINCT group_id, group_name FROM {edges}) AS g ON g.group_id = l.root_id\n"
        f"JOIN (SELECT DISTINCT member_id, member_type, member_name, active FROM {edges}) AS m\n"
        "  ON m.member_id = l.member_id AND m.member_type = l.member_type\n"
        "CROSS JOIN (SELECT map_from_entries(collect_set(struct(group_id, group_name))) AS names\n"
        f"  FROM {edges}) AS n"
    )


def access_sql(names: Names, permission: str) -> str:
    """``…_admins`` (``ADMIN``) or ``…_users`` (``USER``): each way in, and the active users and service principals
    of each assigned group at any depth (``source`` ``group``, or ``local-admins`` when the group is in the
    workspace's admins group), with the membership chain in ``via``."""
    level = quote_string(permission)
    cols = "m.workspace_id, m.workspace_name, m.workspace_url"
    return (
        "SELECT DISTINCT * FROM (\n"
        f"  SELECT {cols}, m.user_name, m.group_name, m.principal_type, m.source,\n"
        "    CAST(NULL AS STRING) AS via, m.run_id, m.collected_at\n"
        f"  FROM {names.access_map_stage} AS m WHERE m.permission = {level}\n"
        "  UNION ALL\n"
        f"  SELECT {cols}, f.member_name AS user_name, m.group_name, f.member_type AS principal_type,\n"
        f"    CASE WHEN m.source = {quote_string(tables.DIRECT)} THEN {quote_string(tables.VIA_GROUP)}"
        " ELSE m.source END AS source,\n"
        "    f.path AS via, m.run_id, m.collected_at\n"
        f"  FROM {names.access_map_stage} AS m\n"
        f"  JOIN {names(tables.GROUP_MEMBERS)} AS f ON f.group_id = m.group_id\n"
        f"  WHERE m.permission = {level} AND m.principal_type = {_GROUP}\n"
        f"    AND f.member_type <> {_GROUP} AND f.active\n"
        ")"
    )


def perms_sql(names: Names) -> str:
    """One nested row per workspace: its own row (``perms_base``: identity, status, catalogs) with its admins and
    users lists."""
    entry = "collect_list(struct(user_name, group_name, principal_type, source, via))"
    return (
        "SELECT b.workspace_id, b.workspace_name, b.deployment_name, b.workspace_url, b.workspace_status, b.cloud,\n"
        "  b.identity_federated, coalesce(a.entries, b.admins) AS admins, coalesce(u.entries, b.users) AS users,\n"
        "  b.catalogs, b.run_id, b.collected_at\n"
        f"FROM {names.perms_base} AS b\n"
        f"LEFT JOIN (SELECT workspace_id, {entry} AS entries FROM {names(tables.ADMINS)} GROUP BY workspace_id) AS a\n"
        "  ON a.workspace_id = b.workspace_id\n"
        f"LEFT JOIN (SELECT workspace_id, {entry} AS entries FROM {names(tables.USERS)} GROUP BY workspace_id) AS u\n"
        "  ON u.workspace_id = b.workspace_id"
    )
