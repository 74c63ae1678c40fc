"""The reporting tables, expanded by the SQL engine from the direct edges the collector read.

The driver holds API answers only: who is directly in which group (``group_members_direct``) and the ways into each
workspace (``workspace_access_map``). From them Spark computes

- ``group_members_flat``: every member of every fetched group at any depth — breadth first, level by level (a few
  per statement), each level keeping only (group, member) pairs no earlier level reached, so cycles end and every
  member keeps its shortest depth; among paths of equal length the smallest (by group ids) is kept (deterministic);
- ``…_admins`` / ``…_users``: each way in (from the new access map's staging copy), plus, for an assigned group,
  its active users and service principals;
- ``all_workspace_and_catalog_perms``: one nested row per workspace, from those two and the workspace's own row.

The number of levels is bounded by the depth of nesting (the loop stops at the first statement whose last level is
empty, and a level can only add pairs not seen before, so it ends even if the platform's nesting limit were not
enforced).
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

    def level(self, batch: int) -> str:
        return self(f"_rls_expand_levels_{batch}")

    @property
    def perms_base(self) -> str:
        return self("_rls_expand_perms_base")

    @property
    def access_map_stage(self) -> str:
        """The new access map, for the expansion: the real one is written last, when the views may switch."""
        return self("_rls_expand_access_map")


LEVELS_PER_STATEMENT = 4
"""Nesting levels computed by one statement: each statement is a table write, whose fixed cost (a commit, and locally
a metastore round trip) dominates on small accounts; within a statement each level is a CTE over the previous one."""


@dataclass(frozen=True)
class Expanded:
    levels: int  # nesting levels found (0: no group has members)
    admin_rows: int


def expand(backend: SqlBackend, names: Names, run_id: str) -> Expanded:
    """Write ``group_members_flat``, ``…_users``, ``…_admins`` and ``…_perms`` from the edges already written."""
    batches: list[str] = []
    try:
        depth = _closure(backend, names, batches)
        backend.save_query(names(tables.GROUP_MEMBERS), flat_sql(names, batches, run_id))
        backend.save_query(names(tables.USERS), access_sql(names, "USER"))
        backend.save_query(names(tables.ADMINS), access_sql(names, "ADMIN"))
        backend.save_query(names(tables.PERMS), perms_sql(names))
        admin_rows = int(backend.fetch(f"SELECT count(*) AS n FROM {names(tables.ADMINS)}")[0]["n"])
    finally:
        for table in batches:
            backend.execute(f"DROP TABLE IF EXISTS {table}")
    return Expanded(depth, admin_rows)


def _closure(backend: SqlBackend, names: Names, batches: list[str]) -> int:
    """Write the levels, a few per table (``batches`` collects the tables written); return the deepest level."""
    deepest = 0
    while True:
        table = names.level(len(batches) + 1)
        batches.append(table)
        backend.save_query(table, levels_sql(names, batches[:-1], deepest, LEVELS_PER_STATEMENT))
        deepest += LEVELS_PER_STATEMENT
        if not backend.fetch(f"SELECT 1 AS found FROM {table} WHERE depth = {deepest} LIMIT 1"):
            found = backend.fetch(f"SELECT max(depth) AS d FROM {table}")[0]["d"]
            return int(found) if found is not None else deepest - LEVELS_PER_STATEMENT


def first_level_sql(names: Names) -> str:
    """Direct members (a group listed as its own member is ignored)."""
    return (
        "SELECT DISTINCT e.group_id AS root_id, e.member_id, e.member_type, array(e.group_id) AS path_ids\n"
        f"FROM {names(tables.GROUP_EDGES)} AS e\n"
        f"WHERE NOT (e.member_type = {_GROUP} AND e.member_id = e.group_id)"
    )


def next_level_sql(frontier: str, edges: str, seen: list[str]) -> str:
    """Members one level below ``frontier``'s groups that no relation in ``seen`` reached from the same root; among
    several paths of the same length, the smallest."""
    anti = "".join(
        f"\nLEFT ANTI JOIN (SELECT root_id, member_id, member_type FROM {s}) AS s{i}\n"
        f"  ON s{i}.root_id = n.root_id AND s{i}.member_id = n.member_id AND s{i}.member_type = n.member_type"
        for i, s in enumerate(seen)
    )
    return (
        "SELECT n.root_id, n.member_id, n.member_type, n.path_ids FROM (\n"
        "  SELECT c.root_id, e.member_id, e.member_type, concat(c.path_ids, array(e.group_id)) AS path_ids,\n"
        "    row_number() OVER (PARTITION BY c.root_id, e.member_id, e.member_type\n"
        "                       ORDER BY concat(c.path_ids, array(e.group_id))) AS rank\n"
        f"  FROM {frontier} AS c\n"
        f"  JOIN {edges} AS e ON c.member_type = {_GROUP} AND e.group_id = c.member_id\n"
        f"  WHERE NOT (e.member_type = {_GROUP} AND e.member_id = c.root_id)\n"
        f") AS n{anti}\n"
        "WHERE n.rank = 1"
    )


def levels_sql(names: Names, earlier: list[str], deepest: int, count: int) -> str:
    """Levels ``deepest + 1`` … ``deepest + count`` in one query (a ``depth`` column tells them apart), from the
    deepest level of the last of the ``earlier`` tables (or from the direct members when there are none)."""
    edges = names(tables.GROUP_EDGES)
    ctes = []
    for i in range(1, count + 1):
        level = deepest + i
        if level == 1:
            body = first_level_sql(names)
        else:
            frontier = f"(SELECT * FROM {earlier[-1]} WHERE depth = {deepest})" if i == 1 else f"l{level - 1}"
            body = next_level_sql(frontier, edges, [*earlier, *(f"l{d}" for d in range(deepest + 1, level))])
        ctes.append(f"l{level} AS (\n{body}\n)")
    union = "\nUNION ALL\n".join(
        f"SELECT root_id, member_id, member_type, path_ids, {d} AS depth FROM l{d}"
        for d in range(deepest + 1, deepest + count + 1)
    )
    return "WITH " + ",\n".join(ctes) + "\n" + union


def flat_sql(names: Names, batches: list[str], run_id: str) -> str:
    """``group_members_flat`` rows: each (group, member) pair of every level, with names, depth and path."""
    levels = "\n  UNION ALL ".join(f"SELECT root_id, member_id, member_type, path_ids, depth FROM {b}" for b in batches)
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
