"""The reporting tables, expanded by the SQL engine from the direct edges the collector read.

The driver holds API answers only: who is directly in which group (``group_members_direct``) and the ways into each
workspace (``workspace_access_map``). From them Spark computes

- ``group_members_flat``: every member of every fetched group at any depth, each once, at its shortest depth (among
  paths of that length the smallest by group ids, so the answer is deterministic), cycles tolerated. Each Spark task
  walks its share of the groups breadth first (:class:`rls.model.memberships.GroupGraph` in a temporary Python
  table function holding the direct edges: a few MB at the platform's limits). A walk is linear in what it finds; the
  level-by-level SQL join it replaces re-read every pair found so far at each level (on the benchmark's 5,000
  groups nested in cycles, 36 levels deep: 20 levels done after 15 minutes locally, against about 3 minutes for the
  whole expansion now; BENCHMARKS.md).
- ``…_admins`` / ``…_users``: each way in (from the new access map's staging copy; a member of a workspace-local
  group keeps that group chain in ``via``), plus, for an assigned group, its active users and service principals;
- ``all_workspace_and_catalog_perms``: one nested row per workspace, from those two and the workspace's own row.

The flat tables are computed into staging tables first, and the reporting tables are overwritten only when all of
them succeeded (the nested perms first, from the staged lists), so a failed computation leaves all four on the
previous snapshot, never some old and some new.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rls import tables
from rls.model import memberships
from rls.model.memberships import GroupGraph
from rls.sql import SqlBackend, quote_name, quote_string

_GROUP = quote_string(tables.GROUP)
_STAGED = (tables.GROUP_MEMBERS, tables.USERS, tables.ADMINS)

MEMBERS_FUNCTION = "rls_group_members"
MEMBERS_COLUMNS = "member_id string, member_type string, depth int, path string"
EXPANSION_TASKS = 32
"""Most tasks the groups are spread over: enough for every core of a cluster, few enough that each task's fixed cost
is small on one machine. A task holds one group's members at a time."""
GROUPS_PER_TASK = 64
"""Fewest groups worth a task of their own: each task pays for a Python worker and the table function's edges, so a
small account (a few dozen groups) is expanded in one task rather than 32 nearly empty ones."""


def expansion_tasks(groups: int) -> int:
    """How many tasks expand ``groups`` groups: one per :data:`GROUPS_PER_TASK` groups, 1 to :data:`EXPANSION_TASKS`."""
    return max(1, min(EXPANSION_TASKS, -(-groups // GROUPS_PER_TASK)))


@dataclass(frozen=True)
class Names:
    """Quoted three-part names of the tables the expansion reads and writes."""

    catalog: str
    schema: str

    def __call__(self, table: str) -> str:
        return quote_name(self.catalog, self.schema, table)

    def stage(self, table: str) -> str:
        """Where ``table``'s new rows are computed before the reporting tables switch to them."""
        return self(f"_rls_expand_out_{table}")

    @property
    def perms_base(self) -> str:
        return self("_rls_expand_perms_base")

    @property
    def access_map_stage(self) -> str:
        """The new access map, for the expansion: the real one is written last, when the views may switch."""
        return self("_rls_expand_access_map")


@dataclass(frozen=True)
class Expanded:
    levels: int  # the deepest nesting found (0: no group has members)
    admin_rows: int


def expand(backend: SqlBackend, names: Names, run_id: str) -> Expanded:
    """Write ``group_members_flat``, ``…_users``, ``…_admins`` and ``…_perms`` from the edges already written."""
    edges = backend.fetch(f"SELECT group_id, group_name, member_id, member_type FROM {names(tables.GROUP_EDGES)}")
    backend.register_table_function(MEMBERS_FUNCTION, members_function(edges), MEMBERS_COLUMNS)
    try:
        for table, sql in (
            (tables.GROUP_MEMBERS, flat_sql(names, run_id, expansion_tasks(len({e["group_id"] for e in edges})))),
            (tables.USERS, access_sql(names, "USER")),
            (tables.ADMINS, access_sql(names, "ADMIN")),
        ):
            backend.save_query(names.stage(table), sql)
        found = backend.fetch(f"SELECT max(depth) AS d FROM {names.stage(tables.GROUP_MEMBERS)}")[0]["d"]
        admin_rows = int(backend.fetch(f"SELECT count(*) AS n FROM {names.stage(tables.ADMINS)}")[0]["n"])
        # Now the reporting tables switch, each by an atomic overwrite that keeps the table (and the grants on it).
        # First the nested perms, computed from the staged lists: the last statement that can fail for the data's
        # sake (its rows hold every workspace's lists, too wide to stage and read back cheaply); then the plain copies.
        backend.save_query(names(tables.PERMS), perms_sql(names))
        for table in _STAGED:
            backend.save_query(names(table), f"SELECT * FROM {names.stage(table)}")
    finally:
        for table in _STAGED:
            backend.execute(f"DROP TABLE IF EXISTS {names.stage(table)}")
    return Expanded(int(found or 0), admin_rows)


def members_function(edges: list[dict[str, Any]]) -> type:
    """The table function each Spark task calls per group, yielding its members: the direct edges (API answers, a few
    MB at most) travel inside it. Its module is shipped by value, so the task's Python worker need not have this
    package installed."""
    from pyspark import cloudpickle  # only where the expansion runs, on Spark

    cloudpickle.register_pickle_by_value(memberships)
    graph = GroupGraph((e["group_id"], e["group_name"], e["member_id"], e["member_type"]) for e in edges)

    class GroupMembers:
        def eval(self, group_id: str) -> Iterator[tuple[str, str, int, str]]:
            yield from graph.members(group_id)

    return GroupMembers


def flat_sql(names: Names, run_id: str, tasks: int = EXPANSION_TASKS) -> str:
    """``group_members_flat`` rows: each group's members from :data:`MEMBERS_FUNCTION`, with names and the run. The
    names are joined by broadcast: the engine cannot estimate what the function yields, and must not ship it."""
    edges = names(tables.GROUP_EDGES)
    return (
        "SELECT /*+ BROADCAST(g), BROADCAST(m) */\n"
        "  l.group_id, g.group_name, l.member_id, m.member_name, l.member_type, m.active, l.depth, l.path,\n"
        f"  {quote_string(run_id)} AS run_id\n"
        "FROM (\n"
        "  SELECT r.group_id, c.member_id, c.member_type, c.depth, c.path\n"
        f"  FROM (SELECT /*+ REPARTITION({tasks}) */ DISTINCT group_id FROM {edges}) AS r,\n"
        f"  LATERAL {MEMBERS_FUNCTION}(r.group_id) AS c\n"
        ") AS l\n"
        f"JOIN (SELECT DISTINCT group_id, group_name FROM {edges}) AS g ON g.group_id = l.group_id\n"
        f"JOIN (SELECT DISTINCT member_id, member_type, member_name, active FROM {edges}) AS m\n"
        "  ON m.member_id = l.member_id AND m.member_type = l.member_type"
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
        "    m.via, m.run_id, m.collected_at\n"
        f"  FROM {names.access_map_stage} AS m WHERE m.permission = {level}\n"
        "  UNION ALL\n"
        f"  SELECT {cols}, f.member_name AS user_name, m.group_name, f.member_type AS principal_type,\n"
        f"    CASE WHEN m.source = {quote_string(tables.DIRECT)} THEN {quote_string(tables.VIA_GROUP)}"
        " ELSE m.source END AS source,\n"
        "    f.path AS via, m.run_id, m.collected_at\n"
        f"  FROM {names.access_map_stage} AS m\n"
        f"  JOIN {names.stage(tables.GROUP_MEMBERS)} AS f ON f.group_id = m.group_id\n"
        f"  WHERE m.permission = {level} AND m.principal_type = {_GROUP}\n"
        f"    AND f.member_type <> {_GROUP} AND f.active\n"
        ")"
    )


def perms_sql(names: Names) -> str:
    """One nested row per workspace: its own row (``perms_base``: identity, status, catalogs) with its admins and
    users lists."""
    entry = "collect_list(struct(user_name, group_name, principal_type, source, via))"

    def lists(table: str) -> str:
        return f"(SELECT workspace_id, {entry} AS entries FROM {names.stage(table)} GROUP BY workspace_id)"

    return (
        "SELECT b.workspace_id, b.workspace_name, b.deployment_name, b.workspace_url, b.workspace_status, b.cloud,\n"
        "  b.region, b.identity_federated,\n"
        "  coalesce(a.entries, b.admins) AS admins, coalesce(u.entries, b.users) AS users,\n"
        "  b.catalogs, b.run_id, b.collected_at, b.local_group_problems\n"
        f"FROM {names.perms_base} AS b\n"
        f"LEFT JOIN {lists(tables.ADMINS)} AS a\n"
        "  ON a.workspace_id = b.workspace_id\n"
        f"LEFT JOIN {lists(tables.USERS)} AS u\n"
        "  ON u.workspace_id = b.workspace_id"
    )
