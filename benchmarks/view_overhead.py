"""View overhead: the generated view against the original tool's shape and the literal-list floor, side by side.

    uv run --group bench python benchmarks/view_overhead.py --rows 20000000 --repeats 5

Builds a synthetic ``system.access.audit`` with Spark ``range`` expressions (parquet, partitioned by ``event_date``,
sorted by ``workspace_id`` inside each day, as Databricks clusters it), an admins table whose reader administers
``--admin-workspaces`` workspaces through a nested account group, then times each view shape on three queries
(full count, one-day count, group-by) interleaved, and reports medians and ratios to the floor. ``--sweep`` adds the
growth curves (admin workspaces 1 → 2,000; admins/membership table size) and a PNG.

The two public peers' shapes run beside ours on the same data in the same run (unless ``--no-peers``): the dynamic-ACL
shape (``WHERE EXISTS`` over hand-kept mapping tables, a ``row_number()`` join for workspace names) and the ABAC
accelerator's row-filter predicate over a copy of the table, plus the raw table; the script reports their ratios to
ours and to the raw table, what they cost besides queries (the copy, the mapping, the predicate) and whether they
answer like ours as three readers (``peer_correctness``). ``--shapes`` times a subset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, machine, median, save, timed

from rls.config import load_config
from rls.publish.discovery import Column, SystemTable
from rls.publish.viewsql import view_sql
from rls.sql import quote_name
from rls.sql.sqltext import quote
from rls.tables import ACCESS_MAP, ADMINS
from rls_local.warehouse.platform import use_membership_table
from rls_local.warehouse.platform_db import MEMBERSHIP_TABLE, PLATFORM_DB, platform_table

IDENTITY = "Bench.Reader@Example.com"  # mixed case: current_user() is matched case-insensitively
LOOKUP = "bench_reader_workspaces"  # the reader's admin workspace ids as a table (decomposition only)
TOP, LEAF = "bench-admins", "bench-admins-emea"  # LEAF is nested in TOP; TOP is assigned ADMIN
FIRST_WS = 1_000_000
DAYS = 30
PLATFORM_MEMBERS = platform_table(MEMBERSHIP_TABLE)
# The benchmark's own memberships (built with Spark: too many for the platform's Python list); the platform answers
# from them once pointed at them (rls_local.warehouse.platform.use_membership_table).
BENCH_MEMBERS_TABLE = "bench_account_group_members"
BENCH_MEMBERS = platform_table(BENCH_MEMBERS_TABLE)
# The local platform emulates is_account_group_member with a SQL function over a membership table, which Spark plans
# as a join (a broadcast, one more job per query). On Databricks it is a builtin: an expression over the session's
# identity, no table read. BUILTIN costs it that way for the benchmark's reader (the same answers: the reader is in
# TOP and LEAF, nobody else runs a query here), so the two are measured side by side.
BUILTIN = platform_table("bench_builtin_is_account_group_member")
LOCAL_ONLY = ("generated_builtin",)  # shapes that model the local platform, not run on a workspace
DEFAULT_EMAIL_SQL = "concat('user', CAST(id % 10000 AS STRING), '@example.com')"
QUERIES = {
    "count": "SELECT count(*) AS n FROM {v}",
    "one_day": "SELECT count(*) AS n FROM {v} WHERE event_date = DATE'{day}'",
    "group_by": "SELECT service_name, count(*) AS n FROM {v} GROUP BY service_name",
}


# A one-day query takes a few hundred ms, so its median needs more samples than a full scan's: it is repeated this many
# times as often (still interleaved with the other shapes).
SHORT_QUERIES = ("one_day",)
SHORT_QUERY_REPEATS = 5


def _today() -> dt.date:
    return dt.date(2025, 6, 30)


LAYOUTS = {"workspace": ("event_date", "workspace_id"), "time": ("event_date", "event_time")}


def audit_frame(spark: Any, rows: int, workspaces: int, email_sql: str | None = None) -> Any:
    """The synthetic ``access.audit`` rows as a DataFrame (also what ``view_overhead_databricks.py`` writes)."""
    end = _today().isoformat()
    # 1 row in 100 is account-level ('0'), 1 in 500 has no workspace (NULL): both must stay hidden
    df = spark.range(rows).selectExpr(
        "'acc-1' AS account_id",
        f"CASE WHEN id % 100 = 7 THEN '0' WHEN id % 500 = 3 THEN NULL "
        f"ELSE CAST({FIRST_WS} + (id * 7919) % {workspaces} AS STRING) END AS workspace_id",
        "'2.0' AS version",
        f"timestamp_seconds(unix_timestamp(TIMESTAMP'{end} 00:00:00') - 1 - (id * 104729) % ({DAYS} * 86400))"
        " AS event_time",
        "concat('10.0.', CAST(id % 256 AS STRING), '.', CAST((id DIV 256) % 256 AS STRING)) AS source_ip_address",
        f"named_struct('email', {email_sql or DEFAULT_EMAIL_SQL}, 'subject_name', CAST(NULL AS STRING))"
        " AS user_identity",
        "element_at(array('clusters','jobs','notebook','sqlPermissions','accounts','unityCatalog','workspace',"
        "'secrets'), CAST(id % 8 AS INT) + 1) AS service_name",
        "element_at(array('get','list','create','delete','update','run'), CAST(id % 6 AS INT) + 1) AS action_name",
        "uuid() AS request_id",
        "'WORKSPACE_LEVEL' AS audit_level",
        "CAST(id AS STRING) AS event_id",
    )
    df = df.withColumn("event_date", df["event_time"].cast("date"))
    return df


def build_audit(
    backend: Any,
    catalog: str,
    rows: int,
    workspaces: int,
    email_sql: str | None = None,
    layout: str = "workspace",
) -> SystemTable:
    """``<catalog>.access.audit`` with ``rows`` rows over ``workspaces`` workspaces plus '0' and NULL rows.
    ``email_sql``: the SQL expression (over ``id``) of ``user_identity.email`` (default 10,000 synthetic users).
    ``layout``: the order inside each date partition: ``workspace`` (clustered by workspace_id: parquet page
    statistics let a literal list skip most pages) or ``time`` (as events arrive: every page holds every workspace)."""
    spark = backend.spark
    backend.create_catalog(catalog)
    backend.run(f"CREATE SCHEMA IF NOT EXISTS `{catalog}`.`access`")
    ref = backend.names.table(catalog, "access", "audit")
    df = audit_frame(spark, rows, workspaces, email_sql)
    (
        df.repartition("event_date")
        .sortWithinPartitions(*LAYOUTS[layout])
        .write.format("parquet")
        .mode("overwrite")
        .partitionBy("event_date")
        .saveAsTable(ref.spark_name)
    )
    cols = tuple(Column(f.name, f.dataType.simpleString()) for f in spark.table(ref.spark_name).schema.fields)
    return SystemTable("access", "audit", cols)


def admin_workspace_ids(n: int, workspaces: int) -> list[int]:
    """``n`` workspaces spread over the id range (every ``workspaces // n``-th)."""
    step = max(1, workspaces // max(n, 1))
    return [FIRST_WS + i * step for i in range(n)][:workspaces]


def admins_frame(
    spark: Any, admin_ws: list[int], workspaces: int, filler: int, identity: str = IDENTITY, group: str = TOP
) -> Any:
    """The flattened ``…_admins`` rows of :func:`build_identity` (what the original tool's shape reads)."""
    ws_list = ",".join(str(w) for w in admin_ws)
    # The reader's admin rows as the collector writes them: the assigned group's own row (user_name NULL, matched by
    # is_account_group_member) and one row per flattened member (matched by lower(current_user())).
    mine = spark.sql(
        f"SELECT CAST(w AS BIGINT) AS workspace_id, x.user_name, '{group}' AS group_name, x.principal_type, x.source "
        f"FROM (SELECT explode(array({ws_list})) AS w) "
        "CROSS JOIN (SELECT CAST(NULL AS STRING) AS user_name, 'GROUP' AS principal_type, 'direct' AS source "
        f"UNION ALL SELECT '{identity}', 'USER', 'group') AS x"
    )
    other = spark.range(filler).selectExpr(
        f"CAST({FIRST_WS} + (id * 31) % {workspaces} AS BIGINT) AS workspace_id",
        "CASE WHEN id % 3 = 0 THEN NULL ELSE concat('someone', CAST(id AS STRING), '@example.com') END AS user_name",
        "concat('group-', CAST(id % 5000 AS STRING)) AS group_name",
        "CASE WHEN id % 3 = 0 THEN 'GROUP' ELSE 'USER' END AS principal_type",
        "CASE WHEN id % 3 = 0 THEN 'direct' ELSE 'group' END AS source",
    )
    cols = ["workspace_id", "user_name", "group_name", "principal_type", "source"]
    admins = (
        mine.select(*cols)
        .unionByName(other.select(*cols))
        .selectExpr(
            "workspace_id",
            "concat('ws-', CAST(workspace_id AS STRING)) AS workspace_name",
            "concat('https://dep-', CAST(workspace_id AS STRING), '.cloud.databricks.com') AS workspace_url",
            "user_name",
            "group_name",
            "principal_type",
            "source",
            "CASE WHEN source = 'group' THEN group_name END AS via",
            "'bench-run' AS run_id",
            "TIMESTAMP'2025-06-30 00:00:00' AS collected_at",
        )
    )
    return admins


def build_identity(
    backend: Any,
    cfg: Any,
    admin_ws: list[int],
    workspaces: int,
    filler: int,
    *,
    table: str = ADMINS,
    memberships: bool = True,
) -> None:
    """The collector's admins table and the platform's membership table for the reader, plus ``filler`` rows of
    other principals in each (so that the size of the membership tables can be varied). ``table``: write the
    collector's ``table`` (same row shape, e.g. the users table) instead; ``memberships=False`` leaves the
    platform's membership table alone."""
    spark = backend.spark
    backend.run(f"CREATE SCHEMA IF NOT EXISTS {quote_name(cfg.catalog, cfg.schema)}")
    ref = backend.names.table(*cfg.table(table))
    ws_list = ",".join(str(w) for w in admin_ws)
    admins = admins_frame(spark, admin_ws, workspaces, filler)
    admins.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(ref.spark_name)
    if table == ADMINS:
        build_access_map(backend, cfg, {"ADMIN": admin_ws}, workspaces, filler)
    lookup = backend.names.table(cfg.catalog, cfg.schema, LOOKUP)
    spark.sql(f"SELECT CAST(w AS BIGINT) AS workspace_id FROM (SELECT explode(array({ws_list})) AS w)").coalesce(
        1
    ).write.format("parquet").mode("overwrite").saveAsTable(lookup.spark_name)
    if not memberships:
        return
    # Platform memberships (what is_account_group_member reads): the reader is in LEAF, LEAF in TOP (flattened).
    members = spark.createDataFrame(
        [(TOP, IDENTITY.lower()), (LEAF, IDENTITY.lower())], "group_name STRING NOT NULL, member STRING NOT NULL"
    ).unionByName(
        spark.range(filler).selectExpr(
            "concat('group-', CAST(id % 5000 AS STRING)) AS group_name",
            "concat('someone', CAST(id AS STRING), '@example.com') AS member",
        )
    )
    members.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(BENCH_MEMBERS)
    use_membership_table(backend, BENCH_MEMBERS_TABLE)


def build_access_map(backend: Any, cfg: Any, ways: dict[str, list[int]], workspaces: int, filler: int) -> None:
    """The collector's ``workspace_access_map`` (what the views read): the reader's assigned account group ``TOP``
    has one row per workspace in ``ways[permission]`` (the reader reaches them through ``LEAF``, nested in ``TOP``:
    no row of the reader itself), plus ``filler`` rows of other ways in (2 in 3 a user, 1 in 3 a group)."""
    ref = backend.names.table(*cfg.table(ACCESS_MAP))
    access_map_frame(backend.spark, ways, workspaces, filler).coalesce(1).write.format("parquet").mode(
        "overwrite"
    ).saveAsTable(ref.spark_name)


def access_map_frame(spark: Any, ways: dict[str, list[int]], workspaces: int, filler: int, group: str = TOP) -> Any:
    """The rows of :func:`build_access_map`; ``group``: the reader's assigned account group."""
    mine = " UNION ALL ".join(
        f"SELECT CAST(w AS BIGINT) AS workspace_id, '{perm}' AS permission FROM (SELECT explode(array({ids})) AS w)"
        for perm, ids in ((p, ",".join(str(w) for w in ws)) for p, ws in ways.items() if ws)
    )
    cols = ["workspace_id", "permission", "user_name", "group_id", "group_name", "principal_type"]
    reader = spark.sql(
        "SELECT workspace_id, permission, CAST(NULL AS STRING) AS user_name, 'g-top' AS group_id,"
        f" '{group}' AS group_name, 'GROUP' AS principal_type FROM ({mine})"
    )
    other = spark.range(filler).selectExpr(
        f"CAST({FIRST_WS} + (id * 31) % {workspaces} AS BIGINT) AS workspace_id",
        "CASE WHEN id % 4 = 0 THEN 'ADMIN' ELSE 'USER' END AS permission",
        "CASE WHEN id % 3 = 0 THEN NULL ELSE concat('someone', CAST(id AS STRING), '@example.com') END AS user_name",
        "CASE WHEN id % 3 = 0 THEN concat('g-', CAST(id % 5000 AS STRING)) END AS group_id",
        "CASE WHEN id % 3 = 0 THEN concat('group-', CAST(id % 5000 AS STRING)) END AS group_name",
        "CASE WHEN id % 3 = 0 THEN 'GROUP' ELSE 'USER' END AS principal_type",
    )
    return (
        reader.select(*cols)
        .unionByName(other.select(*cols))
        .selectExpr(
            "workspace_id",
            "concat('ws-', CAST(workspace_id AS STRING)) AS workspace_name",
            "concat('https://dep-', CAST(workspace_id AS STRING), '.cloud.databricks.com') AS workspace_url",
            *cols[1:],
            "'direct' AS source",
            "'bench-run' AS run_id",
            "TIMESTAMP'2025-06-30 00:00:00' AS collected_at",
        )
    )


def scanned_admin_rows(seed: int = 7, workspaces: int = 2000, users: int = 10000, groups: int = 5000) -> dict:
    """Rows the views scan per query at the collector benchmark's size (``collector_scale.py``'s arguments),
    counted from the generated scenario alone (not with the collector's code): the flattened ``…_admins`` table
    (each ADMIN way in, plus one row per active member of an ADMIN group at any depth) against the access map (each
    way in, ADMIN or USER). Workspaces the collector can read: RUNNING, identity-federated or onboarded."""
    from rls_local import scenario_gen

    doc = scenario_gen.generate(
        seed, workspaces=workspaces, users=users, groups=groups, max_depth=10, service_principals=20
    )
    active = {("user", u["id"]) for u in doc["users"] if u.get("active", True)}
    active |= {("service_principal", s["id"]) for s in doc["service_principals"] if s.get("active", True)}
    members = {g["id"]: g["members"] for g in doc["groups"]}
    closure: dict[str, int] = {}

    def flat(gid: str) -> int:  # active users / SPs in the group at any depth, cycles tolerated
        if gid not in closure:
            seen, stack, out = set(), [gid], set()
            while stack:
                g = stack.pop()
                if g in seen:
                    continue
                seen.add(g)
                for m in members.get(g, []):
                    if m["type"] == "group":
                        stack.append(m["id"])
                    elif (m["type"], m["id"]) in active:
                        out.add((m["type"], m["id"]))
            closure[gid] = len(out)
        return closure[gid]

    me = (doc["collector"]["type"], doc["collector"]["id"])
    local = {int(k): v for k, v in doc["workspace_local_admins"].items()}
    readable = {
        w["workspace_id"]
        for w in doc["workspaces"]
        if w["workspace_status"] == "RUNNING"
        and (w["identity_federated"] or any((r["type"], r["id"]) == me for r in local.get(w["workspace_id"], [])))
    }
    ways = [(a["workspace_id"], "ADMIN" in a["permissions"], a["principal"]) for a in doc["assignments"]]
    ways += [(wid, True, r) for wid, refs in local.items() for r in refs]
    flattened = map_rows = map_admin_rows = 0
    for wid, admin, ref in ways:
        if wid not in readable:
            continue
        is_group = ref["type"] == "group"
        if not is_group and (ref["type"], ref["id"]) not in active:
            continue
        map_rows += 1
        map_admin_rows += admin
        if admin:
            flattened += 1 + (flat(ref["id"]) if is_group else 0)
    return {
        "scenario": {"seed": seed, "workspaces": workspaces, "users": users, "groups": groups, "max_depth": 10},
        "flattened_admins_rows": flattened,
        "access_map_rows": map_rows,
        "access_map_admin_rows": map_admin_rows,
    }


# ---- the shapes ------------------------------------------------------------------------------------------------------
_PRED = (
    "a.workspace_id IS NOT NULL AND a.workspace_id <> 0\n"
    "    AND (lower(a.user_name) = lower(current_user())\n"
    "      OR (a.principal_type = 'GROUP' AND is_account_group_member(a.group_name)))"
)


def shapes(cfg: Any, source: SystemTable, admin_ws: list[int]) -> dict[str, str]:
    """View bodies. ``generated`` is what the publisher creates (over the compact access map, read in one scan and one
    task: the ids read once as a hash set, tested in the scan), ``generated_builtin`` the same with the membership test
    costed as a builtin (:data:`BUILTIN`); ``generator_4`` is the hash set before (two scans of the map, a shuffle);
    the ``map_*`` shapes are the alternatives over the same map — ``map_semi_join`` is generator 3,
    ``map_array_contains`` the flat id list; ``original_join_distinct`` is the original tool's shape and
    ``previous_generator`` ours before the access map (both over the flattened admins table)."""
    src = quote_name(cfg.system_catalog, source.schema, source.table)
    admins = quote_name(*cfg.table(ADMINS))
    amap = quote_name(*cfg.table(ACCESS_MAP))
    literal = id_literals(admin_ws)
    map_cte = (
        f"SELECT CAST(a.workspace_id AS STRING) AS workspace_id FROM {amap} AS a "
        "WHERE a.workspace_id IS NOT NULL AND a.workspace_id <> 0 AND a.permission = 'ADMIN' "
        "AND lower(a.user_name) = lower(current_user())\n"
        f"  UNION ALL SELECT CAST(a.workspace_id AS STRING) AS workspace_id FROM {amap} AS a "
        "WHERE a.workspace_id IS NOT NULL AND a.workspace_id <> 0 AND a.permission = 'ADMIN' "
        "AND a.principal_type = 'GROUP' AND is_account_group_member(a.group_name)"
    )
    flat_cte = map_cte.replace(amap, admins).replace(" AND a.permission = 'ADMIN'", "")
    with_map = f"WITH admin_groups_users AS ({map_cte})\nSELECT x.* FROM {src} AS x\n"
    generated = view_sql(cfg, source).query
    return {
        "generated": generated,
        # the same view with is_account_group_member costed as a builtin (an expression, no table read): see BUILTIN
        "generated_builtin": generated.replace("is_account_group_member(", f"{BUILTIN}("),
        "generator_4": (
            with_map + "WHERE array_contains(element_at((SELECT transform(sequence(0, 255), b -> filter(ids, w -> "
            "pmod(hash(w), 256) = b)) FROM (SELECT collect_set(workspace_id) AS ids FROM admin_groups_users)), "
            "pmod(hash(x.workspace_id), 256) + 1), x.workspace_id)"
        ),
        "original_join_distinct": (
            f"WITH admin_groups_users AS (SELECT DISTINCT CAST(a.workspace_id AS STRING) AS workspace_id "
            f"FROM {admins} AS a WHERE {_PRED})\n"
            f"SELECT x.* FROM {src} AS x JOIN admin_groups_users AS g ON x.workspace_id = g.workspace_id"
        ),
        "previous_generator": (
            f"WITH admin_groups_users AS ({flat_cte})\n"
            f"SELECT x.* FROM {src} AS x WHERE x.workspace_id IN (SELECT workspace_id FROM admin_groups_users)"
        ),
        "map_semi_join": with_map + "WHERE x.workspace_id IN (SELECT workspace_id FROM admin_groups_users)",
        "map_array_contains": (
            with_map
            + "WHERE array_contains((SELECT collect_set(workspace_id) FROM admin_groups_users), x.workspace_id)"
        ),
        "literal_floor": f"SELECT x.* FROM {src} AS x WHERE x.workspace_id IN ({literal})",
    }


def id_literals(admin_ws: list[int]) -> str:
    """The reader's workspace ids as SQL string literals, as the floor writes them into its ``IN`` list."""
    return ", ".join(f"'{w}'" for w in admin_ws)


def decomposition_shapes(cfg: Any, source: SystemTable, admin_ws: list[int]) -> dict[str, str]:
    """What any query-time lookup costs: the reader's workspace ids in a 5-row table, nothing to evaluate, read as a
    semi-join (the earlier decomposition's 1.41x / +46 ms) and as a scalar subquery; and the same scalar subquery over
    the ids written into it (no table to read), which separates the cost of reading a table at query time from the
    cost of the subquery itself."""
    src = quote_name(cfg.system_catalog, source.schema, source.table)
    lookup = quote_name(cfg.catalog, cfg.schema, LOOKUP)
    tiny = f"SELECT CAST(a.workspace_id AS STRING) AS workspace_id FROM {lookup} AS a"
    written = id_literals(admin_ws)
    return {
        "lookup_tiny_table": f"SELECT x.* FROM {src} AS x WHERE x.workspace_id IN ({tiny})",
        "lookup_tiny_array_contains": (
            f"SELECT x.* FROM {src} AS x WHERE array_contains((SELECT collect_set(workspace_id) FROM ({tiny})), "
            "x.workspace_id)"
        ),
        "lookup_no_table_array_contains": (
            f"SELECT x.* FROM {src} AS x WHERE array_contains((SELECT array({written})), x.workspace_id)"
        ),
    }


# ---- the two public peers' shapes, over the same data ----------------------------------------------------------------
# dynamic-ACL: hand-kept mapping tables (one for groups, one for users: name -> workspace), read at query time through
# ``WHERE EXISTS`` over their ``UNION ALL`` with ``is_account_group_member(name) OR name = current_user()``, plus a
# ``row_number()`` join that adds each row's workspace name from a workspaces table holding several snapshots.
# ABAC accelerator: a row filter on a *copy* of the system table (row filters cannot be attached to ``system.*``), whose
# predicate names each consumer group and writes its workspace ids as literals:
# ``(is_account_group_member('g1') AND workspace_id IN ('1', …)) OR (is_account_group_member('g2') AND …)``.
# Spark has no row filters: the copy is read through a view holding the predicate, which is what a row filter is (the
# predicate added to every scan of the table).
PEER_ACL_GROUPS = "peer_acl_group_workspaces"
PEER_ACL_USERS = "peer_acl_user_workspaces"
PEER_WS_NAMES = "peer_workspaces"
PEER_ABAC_COPY = "peer_abac_audit_copy"
INLINE_SHAPES = ("abac_row_filter_builtin", "abac_row_filter_folded")
PEER_SHAPES = (
    "dynamic_acl",
    "dynamic_acl_builtin",
    "dynamic_acl_no_names",
    "abac_row_filter_builtin",
    "abac_row_filter_folded",
    "raw_table",
)


def build_peers(backend: Any, cfg: Any, source: SystemTable, layout: str) -> dict[str, Any]:
    """The peers' own tables, from the same data: the dynamic-ACL mapping tables (the access map's ``ADMIN`` ways in,
    as someone would keep them by hand), a workspaces table with two snapshots per workspace (for its ``row_number()``
    join), and the ABAC accelerator's copy of the audit table (same layout). Returns what they cost besides queries,
    and the consumer groups' workspace ids the ABAC predicate writes."""
    spark = backend.spark
    amap = backend.names.table(*cfg.table(ACCESS_MAP)).spark_name
    admin = spark.table(amap).where("permission = 'ADMIN' AND workspace_id IS NOT NULL AND workspace_id <> 0")
    groups = admin.where("principal_type = 'GROUP'").selectExpr("group_name AS name", "workspace_id")
    users = admin.where("principal_type <> 'GROUP'").selectExpr("user_name AS name", "workspace_id")
    for name, df in ((PEER_ACL_GROUPS, groups), (PEER_ACL_USERS, users)):
        ref = backend.names.table(cfg.catalog, cfg.schema, name)
        df.distinct().coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(ref.spark_name)
    names = spark.table(amap).selectExpr("workspace_id").distinct()
    names = names.selectExpr(
        "workspace_id", "concat('ws-', CAST(workspace_id AS STRING)) AS workspace_name", "TIMESTAMP'2025-06-30' AS ts"
    ).unionByName(
        names.selectExpr(
            "workspace_id",
            "concat('old-ws-', CAST(workspace_id AS STRING)) AS workspace_name",
            "TIMESTAMP'2025-01-01' AS ts",
        )
    )
    ref = backend.names.table(cfg.catalog, cfg.schema, PEER_WS_NAMES)
    names.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(ref.spark_name)
    by_group: dict[str, list[str]] = {}
    for r in groups.distinct().collect():
        by_group.setdefault(r["name"], []).append(str(r["workspace_id"]))
    src = backend.names.table(cfg.system_catalog, source.schema, source.table).spark_name
    copy = backend.names.table(cfg.catalog, cfg.schema, PEER_ABAC_COPY).spark_name
    copy_sec, _ = timed(
        lambda: (
            spark.table(src)
            .repartition("event_date")
            .sortWithinPartitions(*LAYOUTS[layout])
            .write.format("parquet")
            .mode("overwrite")
            .partitionBy("event_date")
            .saveAsTable(copy)
        )
    )
    backend.run(f"GRANT SELECT ON TABLE {quote_name(cfg.catalog, cfg.schema, PEER_ABAC_COPY)} TO `account users`")
    n_users = users.distinct().count()
    return {
        "abac_groups": {g: sorted(ids) for g, ids in sorted(by_group.items())},
        "costs": {
            "abac_copy_seconds": copy_sec,  # one full refresh of the copy (what every refresh costs, done in full)
            "abac_copy_bytes": _table_bytes(spark, copy),
            "source_bytes": _table_bytes(spark, src),
            "abac_consumer_groups": len(by_group),
            "abac_literal_ids": sum(len(v) for v in by_group.values()),
            "abac_user_ways_in_not_expressible": n_users,  # direct users: no consumer group names them
            "dynamic_acl_group_rows": groups.distinct().count(),
            "dynamic_acl_user_rows": n_users,
        },
    }


def _table_bytes(spark: Any, name: str) -> int:
    """Bytes of a table's data files (parquet, local paths)."""
    import os

    loc = spark.sql(f"DESCRIBE TABLE EXTENDED {name}").where("col_name = 'Location'").collect()[0]["data_type"]
    root = loc.removeprefix("file:")
    return sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs if not f.startswith((".", "_"))
    )


def peer_shapes(cfg: Any, source: SystemTable, abac_groups: dict[str, list[str]]) -> dict[str, str]:
    """View bodies of the peers' shapes (see above), each also with the membership test costed as a builtin, and the
    raw table (no filter at all: what any shape's query costs at least)."""
    src = quote_name(cfg.system_catalog, source.schema, source.table)
    groups = quote_name(cfg.catalog, cfg.schema, PEER_ACL_GROUPS)
    users = quote_name(cfg.catalog, cfg.schema, PEER_ACL_USERS)
    ws = quote_name(cfg.catalog, cfg.schema, PEER_WS_NAMES)
    copy = quote_name(cfg.catalog, cfg.schema, PEER_ABAC_COPY)
    acl_filter = (
        f"WHERE EXISTS (SELECT 1 FROM (SELECT name, workspace_id FROM {groups} UNION ALL "
        f"SELECT name, workspace_id FROM {users}) AS m\n"
        "  WHERE CAST(m.workspace_id AS STRING) = x.workspace_id\n"
        "    AND (is_account_group_member(m.name) OR m.name = current_user()))"
    )
    dynamic_acl = (
        f"SELECT x.*, n.workspace_name FROM {src} AS x\n"
        "LEFT JOIN (SELECT workspace_id, workspace_name FROM (SELECT w.workspace_id, w.workspace_name,\n"
        "    row_number() OVER (PARTITION BY w.workspace_id ORDER BY w.ts DESC) AS rn\n"
        f"  FROM {ws} AS w) WHERE rn = 1) AS n\n"
        "  ON CAST(n.workspace_id AS STRING) = x.workspace_id\n"
    ) + acl_filter

    def abac(member_test: Callable[[str], str]) -> str:
        terms = " OR\n  ".join(
            f"({member_test(g)} AND x.workspace_id IN ({', '.join(repr(i) for i in ids)}))"
            for g, ids in abac_groups.items()
        )
        return f"SELECT x.* FROM {copy} AS x WHERE\n  {terms or 'false'}"

    return {
        "dynamic_acl": dynamic_acl,
        "dynamic_acl_builtin": dynamic_acl.replace("is_account_group_member(", f"{BUILTIN}("),
        "dynamic_acl_no_names": f"SELECT x.* FROM {src} AS x\n" + acl_filter,
        # Locally is_account_group_member('g') is an EXISTS subquery over the membership table: at the benchmark's
        # size (a thousand consumer groups) they overflow Spark's planner stack. So the ABAC predicate is measured
        # with the builtin costed as an expression (BUILTIN, folded per query as current_user() is), and once more
        # with every group's test already folded to true/false for the timing reader (the predicate's size alone).
        "abac_row_filter_builtin": abac(lambda g: f"{BUILTIN}('{g}')"),
        "abac_row_filter_folded": abac(lambda g: "true" if g in (TOP, LEAF) else "false"),
        "raw_table": f"SELECT x.* FROM {src} AS x",
    }


def peer_identities(backend: Any, cfg: Any, abac_groups: dict[str, list[str]], filler: int) -> dict[str, str]:
    """Readers beside the benchmark's own (in ``LEAF``, nested in ``TOP``), from the filler rows: one with a direct
    ``ADMIN`` user row on a workspace its group does not give it (``direct_user``), one reaching workspaces only
    through an account group (``group_member``). :func:`build_identity` makes ``someone<i>`` a member of
    ``group-<i % 5000>``."""
    users: dict[str, set[str]] = {}
    for r in backend.spark.table(backend.names.table(cfg.catalog, cfg.schema, PEER_ACL_USERS).spark_name).collect():
        users.setdefault(r["name"], set()).add(str(r["workspace_id"]))
    out = {"nested_group_reader": IDENTITY}
    for i in range(filler):
        name, group = f"someone{i}@example.com", f"group-{i % 5000}"
        if "direct_user" not in out and name in users and not users[name] <= set(abac_groups.get(group, ())):
            out["direct_user"] = name
        if "group_member" not in out and name not in users and group in abac_groups:
            out["group_member"] = name
    return out


# Each peer shape beside ours, as each reader: (ours, peer). The emulated memberships for the dynamic-ACL shape;
# the builtin model (every checked reader's groups written into BUILTIN) for all, the ABAC predicate only that way.
PEER_CHECKS = (
    ("generated", "dynamic_acl"),
    ("generated", "dynamic_acl_no_names"),
    ("generated", "generated_builtin"),  # the builtin model answers like the emulated platform
    ("generated_builtin", "dynamic_acl_builtin"),
    ("generated_builtin", "abac_row_filter_builtin"),
)
# The ABAC predicate names consumer groups only: a reader's direct assignments give it nothing through it.
NOT_EXPRESSIBLE = {"direct_user": ("abac_row_filter_builtin",)}


def groups_of(backend: Any, identities: dict[str, str]) -> dict[str, list[str]]:
    """Each identity's account groups, from the platform's membership table (what the emulated builtin reads)."""
    names = ", ".join(repr(v.lower()) for v in identities.values())
    rows = backend.spark.sql(f"SELECT member, group_name FROM {PLATFORM_MEMBERS} WHERE member IN ({names})").collect()
    out: dict[str, list[str]] = {v: [] for v in identities.values()}
    for who in identities.values():
        out[who] = sorted({r["group_name"] for r in rows if r["member"] == who.lower()})
    return out


_CHECK_QUERIES = ("group_by", "one_day")  # the group-by's answer holds the count's


def peer_correctness(
    backend: Any, views: dict[str, str], identities: dict[str, str], queries: tuple[str, ...] = _CHECK_QUERIES
) -> dict[str, Any]:
    """Each peer shape's answers to every query beside ours, as each reader (:data:`PEER_CHECKS`). ``ok``: equal
    wherever the peer's model can express the reader's ways in, different where it cannot (:data:`NOT_EXPRESSIBLE`)."""
    day = (_today() - dt.timedelta(days=3)).isoformat()
    out: dict[str, Any] = {}
    ok = True
    for who, identity in identities.items():
        answers: dict[str, Any] = {}
        for s in sorted({x for pair in PEER_CHECKS for x in pair}):
            with backend.as_identity(identity):
                answers[s] = {
                    q: sorted(tuple(r) for r in backend.dataframe(QUERIES[q].format(v=views[s], day=day)).collect())
                    for q in queries
                }
        rows = {s: sum(r[-1] for r in a["group_by"]) for s, a in answers.items()}
        per: dict[str, Any] = {"identity": identity, "rows": rows}
        for ours, peer in PEER_CHECKS:
            same = answers[ours] == answers[peer]
            expressible = peer not in NOT_EXPRESSIBLE.get(who, ())
            per[f"{peer}_same_as_{ours}"] = same
            ok = ok and same == expressible
        out[who] = per
    out["ok"] = ok
    return out


def create_views(backend: Any, cfg: Any, bodies: dict[str, str]) -> dict[str, str]:
    """One view per shape, granted to the reader; a shape in :data:`INLINE_SHAPES` is not stored but read inline as
    ``(<body>) AS v``, as a row filter adds its predicate to the reader's query (the ABAC predicate at the benchmark's
    size is longer than the local metastore's 32,700 characters of view text)."""
    names = {}
    for name, body in bodies.items():
        if name in INLINE_SHAPES:
            names[name] = f"({body}) AS v"
            continue
        v = quote_name(cfg.catalog, cfg.schema, f"bench_{name}")
        backend.run(f"CREATE OR REPLACE VIEW {v} AS\n{body}")
        # the reader holds SELECT on the views only, as the README's deploy steps grant it
        backend.run(f"GRANT SELECT ON VIEW {v} TO `account users`")
        names[name] = v
    return names


def run_query(backend: Any, sql: str) -> list[Any]:
    with backend.as_identity(IDENTITY):
        return backend.dataframe(sql).collect()


def plan(backend: Any, sql: str) -> str:
    with backend.as_identity(IDENTITY):
        df = backend.dataframe(sql)
        return df._jdf.queryExecution().executedPlan().toString()


def measure(
    backend: Any,
    views: dict[str, str],
    repeats: int,
    queries: dict[str, str] | None = None,
    reference: dict[str, str | None] | None = None,
    short_repeats: int = SHORT_QUERY_REPEATS,
) -> dict[str, dict[str, float]]:
    """Median seconds per (query, shape); shapes interleaved in each repeat so noise hits them alike.
    ``reference``: shape -> the shape whose answers it must equal (default: every shape equals ``literal_floor``;
    None: not compared, e.g. the unfiltered raw table)."""
    queries = queries or QUERIES
    day = (_today() - dt.timedelta(days=3)).isoformat()
    times: dict[str, dict[str, list[float]]] = {q: {s: [] for s in views} for q in queries}
    answers: dict[str, dict[str, Any]] = {q: {} for q in queries}
    for q, tmpl in queries.items():
        for s, v in views.items():  # warm-up: plans, file listings, JIT
            answers[q][s] = sorted(tuple(r) for r in run_query(backend, tmpl.format(v=v, day=day)))
    for i in range(repeats * short_repeats):
        for q, tmpl in queries.items():
            if q not in SHORT_QUERIES and i >= repeats:
                continue
            for s, v in views.items():
                sec, _rows = timed(lambda tmpl=tmpl, v=v: run_query(backend, tmpl.format(v=v, day=day)))
                times[q][s].append(sec)
    for q in queries:  # every shape must return what the floor returns
        for s, ans in answers[q].items():
            want = (reference or {}).get(s, "literal_floor")
            ref = answers[q].get(want)
            if ref is not None and ans != ref:
                raise AssertionError(f"shape {s} answers {q} differently from {want}")
    return {q: {s: median(ts) for s, ts in by.items()} for q, by in times.items()}


def _main_plan(plan_text: str) -> list[str]:
    """The lines of a physical plan outside its subqueries (a subquery's lines are indented under its own line)."""
    out, inside = [], None
    for line in plan_text.splitlines():
        indent = len(line) - len(line.lstrip(" :+-"))
        if inside is not None and indent > inside:
            continue
        inside = indent if "Subquery subquery" in line and "+- Subquery" in line else None
        if inside is None:
            out.append(line)
    return out


def _audit_scan(plan_text: str) -> str:
    return next(line for line in _main_plan(plan_text) if "FileScan" in line and ".audit[" in line)


def _filter_in_scan(plan_text: str) -> bool:
    """The audit scan itself filters with array_contains over the once-evaluated subquery, and the main plan holds no
    join: the reader's ids are read once, and no hash table is probed after the scan."""
    scan = _audit_scan(plan_text)
    return "array_contains(element_at(Subquery" in scan and not any("Join" in x for x in _main_plan(plan_text))


def _map_read_in_one_stage(plan_text: str) -> bool:
    """The subquery that builds the hash set has no shuffle: the only ``Exchange SinglePartition`` is the main
    aggregate's (the subquery is printed twice, in the filter and in the scan's data filters)."""
    return plan_text.count("Exchange SinglePartition") == 1


def ratios(med: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {q: {s: t / by["literal_floor"] for s, t in by.items()} for q, by in med.items()}


def run(
    backend: Any,
    *,
    rows: int,
    workspaces: int = 2000,
    admin_workspaces: int = 5,
    filler: int = 20000,
    repeats: int = 5,
    sweep: bool = False,
    layout: str = "workspace",
    decompose: bool = True,
    sweep_admin: list[int] | None = None,
    sweep_filler: list[int] | None = None,
    sweep_shapes: tuple[str, ...] | None = None,
    catalog: str = "bench_system",
    peers: bool = True,
    short_repeats: int = SHORT_QUERY_REPEATS,
    keep: tuple[str, ...] | None = None,
    queries: dict[str, str] | None = None,
    check_queries: tuple[str, ...] = _CHECK_QUERIES,
) -> dict[str, Any]:
    """``peers``: also the two public peers' shapes (dynamic-ACL, ABAC accelerator) and the raw table, same data,
    same run, with what they cost besides queries and a check of their answers as several readers. ``keep``: time
    only these shapes (default all; the generated view, its builtin twin and the floor are always needed).
    ``queries``: time only these (default :data:`QUERIES`; ``one_day`` is always needed); ``check_queries``: the
    queries the peers' answers are compared on (``group_by`` is always needed: it counts each reader's rows)."""
    cfg = load_config(None, {"catalog": "bench", "schema": "rls", "system_catalog": catalog})
    build_sec, source = timed(lambda: build_audit(backend, catalog, rows, workspaces, layout=layout))
    admin_ws = admin_workspace_ids(admin_workspaces, workspaces)
    build_identity(backend, cfg, admin_ws, workspaces, filler)
    bodies = shapes(cfg, source, admin_ws) | (decomposition_shapes(cfg, source, admin_ws) if decompose else {})
    peer = build_peers(backend, cfg, source, layout) if peers else None
    identities = peer_identities(backend, cfg, peer["abac_groups"], filler) if peer else {}
    install_builtin_model(backend, groups_of(backend, identities) if peer else None)
    if peer:
        bodies |= peer_shapes(cfg, source, peer["abac_groups"])
    if keep:
        bodies = {k: v for k, v in bodies.items() if k in keep}
    views = create_views(backend, cfg, bodies)
    med = measure(backend, views, repeats, queries, reference={"raw_table": None}, short_repeats=short_repeats)
    day = (_today() - dt.timedelta(days=3)).isoformat()
    plans = {s: plan(backend, QUERIES["one_day"].format(v=views[s], day=day)) for s in _KEY_SHAPES if s in views}
    plans["generated_count"] = plan(backend, QUERIES["count"].format(v=views["generated"]))
    r = ratios(med)
    out: dict[str, Any] = {
        "machine": machine(),
        "rows": rows,
        "layout": layout,
        "workspaces": workspaces,
        "admin_workspaces": admin_workspaces,
        "filler_rows": filler,
        "map_rows": filler + admin_workspaces,
        "repeats": repeats,
        "repeats_one_day": repeats * short_repeats,
        "build_seconds": build_sec,
        "median_seconds": med,
        "ratio_to_floor": r,
        "ratio_to_generated": {q: {s: t / by["generated"] for s, t in by.items()} for q, by in med.items()},
        # the same with the membership test costed as the builtin on both sides (present when that shape is timed)
        "ratio_to_generated_builtin": {
            q: {s: t / by["generated_builtin"] for s, t in by.items()}
            for q, by in med.items()
            if "generated_builtin" in by
        },
        "added_ms_one_day": {s: 1000 * (t - med["one_day"]["literal_floor"]) for s, t in med["one_day"].items()},
        "plans": plans,
        "generated_sql": bodies["generated"],
        # the generated view filters inside the scan with the once-evaluated hash set, and joins nothing to the scan
        "generated_filter_in_scan": _filter_in_scan(plans["generated_count"]),
        "generated_map_read_in_one_stage": _map_read_in_one_stage(plans["generated_count"]),
        "date_filter_pushed": "(event_date"
        in _audit_scan(plans["generated"]).split("PartitionFilters: [")[1].split("]")[0],
    }
    if peer:
        out["ratio_to_raw_table"] = {q: {s: t / by["raw_table"] for s, t in by.items()} for q, by in med.items()}
        out["peer_costs"] = peer["costs"] | {
            "abac_predicate_chars": len(bodies["abac_row_filter_builtin"]),
            "dynamic_acl_sql": bodies["dynamic_acl"],
        }
        out["peer_correctness"] = peer_correctness(backend, views, identities, check_queries)
        out["peer_plans"] = {
            s: plan(backend, QUERIES["one_day"].format(v=views[s], day=day))
            for s in ("dynamic_acl", "dynamic_acl_builtin", "abac_row_filter_builtin")
        }
    if sweep:
        kept = sweep_shapes or _KEY_SHAPES
        out["sweep_admin_workspaces"] = _sweep_admin(
            backend, cfg, source, workspaces, filler, repeats, sweep_admin, kept
        )
        out["sweep_membership_rows"] = _sweep_filler(
            backend, cfg, source, workspaces, admin_ws, repeats, sweep_filler, kept
        )
        build_identity(backend, cfg, admin_ws, workspaces, filler)
    return out


# The shapes whose one-day plan is saved, and the sweeps' default shapes: the generated view, its builtin-costed twin,
# the alternatives it was chosen over, the peer check and the floor.
_KEY_SHAPES = (
    "generated",
    "generated_builtin",
    "map_semi_join",
    "map_array_contains",
    "original_join_distinct",
    "literal_floor",
)
_SWEEP_QUERIES = {"count": QUERIES["count"], "one_day": QUERIES["one_day"]}


def _sweep_admin(backend, cfg, source, workspaces, filler, repeats, points, kept=_KEY_SHAPES) -> list[dict[str, Any]]:
    res = []
    for n in points or [1, 10, 100, 500, 2000]:
        ws = admin_workspace_ids(n, workspaces)
        build_identity(backend, cfg, ws, workspaces, filler)
        views = create_views(backend, cfg, {k: v for k, v in shapes(cfg, source, ws).items() if k in kept})
        med = measure(backend, views, repeats, _SWEEP_QUERIES)
        res.append({"admin_workspaces": n, "median_seconds": med, "ratio_to_floor": ratios(med)})
    return res


def _sweep_filler(
    backend, cfg, source, workspaces, admin_ws, repeats, points, kept=_KEY_SHAPES
) -> list[dict[str, Any]]:
    res = []
    views = None
    for n in points or [1000, 100_000, 1_000_000, 4_000_000]:
        build_identity(backend, cfg, admin_ws, workspaces, n)
        if views is None:
            bodies = {k: v for k, v in shapes(cfg, source, admin_ws).items() if k in kept}
            views = create_views(backend, cfg, bodies)
        backend.spark.catalog.clearCache()
        med = measure(backend, views, repeats, _SWEEP_QUERIES)
        res.append({"membership_rows": n, "median_seconds": med, "ratio_to_floor": ratios(med)})
    return res


def plot(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, xkey, label in (
        (axes[0], "sweep_admin_workspaces", "admin_workspaces", "workspaces the reader administers"),
        (axes[1], "sweep_membership_rows", "membership_rows", "rows in admins + membership tables"),
    ):
        pts = doc.get(key) or []
        xs = [p[xkey] for p in pts]
        for shape in [s for s in (pts[0]["ratio_to_floor"]["count"] if pts else {}) if s != "literal_floor"]:
            for q, style in (("count", "-o"), ("one_day", "--s")):
                ax.plot(xs, [p["ratio_to_floor"][q][shape] for p in pts], style, label=f"{shape} / {q}")
        ax.axhline(1.15, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("median time / literal-list floor")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"View overhead, {doc['rows']:,} audit rows, {doc['workspaces']:,} workspaces (local[2] Spark)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def install_builtin_model(backend: Any, groups_of: dict[str, list[str]] | None = None) -> None:
    """:data:`BUILTIN`, in the platform's database (which any local warehouse has): each identity of ``groups_of``
    (default: the benchmark's reader, in ``TOP`` and ``LEAF``) is a member of its groups, written into the function, so
    Spark folds it per query (``current_user()`` is a literal by then) as it folds the reader's test."""
    groups_of = groups_of or {IDENTITY: [TOP, LEAF]}
    terms = " OR ".join(
        f"(lower(current_user()) = '{who.lower()}' AND g IN ({', '.join(repr(x) for x in gs)}))"
        for who, gs in groups_of.items()
        if gs
    )
    backend.spark.sql(
        f"CREATE OR REPLACE FUNCTION {BUILTIN}(g STRING) RETURNS BOOLEAN RETURN {terms or 'false'}"
    ).collect()


def install_bench_platform(backend: Any) -> None:
    """``is_account_group_member`` over :data:`BENCH_MEMBERS` (what :func:`build_identity` writes), as the local
    platform emulates it."""
    backend.spark.sql(f"CREATE DATABASE IF NOT EXISTS `spark_catalog`.{quote(PLATFORM_DB)}").collect()
    backend.spark.sql(f"CREATE TABLE IF NOT EXISTS {BENCH_MEMBERS} (group_name STRING, member STRING) USING parquet")
    use_membership_table(backend, BENCH_MEMBERS_TABLE)


def fresh_bench_warehouse(workdir: Path) -> Any:
    """A local warehouse in an emptied ``workdir`` with the benchmarks' membership platform installed."""
    import shutil

    from rls_local.warehouse import open_warehouse

    shutil.rmtree(workdir, ignore_errors=True)
    backend = open_warehouse(workdir, create=True)
    install_bench_platform(backend)
    return backend


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=20_000_000)
    p.add_argument("--workspaces", type=int, default=2000)
    p.add_argument("--admin-workspaces", type=int, default=5)
    p.add_argument("--filler", type=int, default=20000, help="other principals' rows in the membership tables")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sweep", action="store_true", help="also the growth curves (admin workspaces, table sizes)")
    p.add_argument("--sweep-admin", type=lambda s: [int(x) for x in s.split(",")], default=None)
    p.add_argument("--sweep-filler", type=lambda s: [int(x) for x in s.split(",")], default=None)
    p.add_argument("--sweep-shapes", type=lambda s: tuple(s.split(",")), default=None, help="default: all sweep shapes")
    p.add_argument("--layout", choices=sorted(LAYOUTS), default="workspace", help="row order inside a day")
    p.add_argument("--no-peers", action="store_true", help="without the public peers' shapes and the raw table")
    p.add_argument(
        "--shapes", type=lambda s: tuple(s.split(",")), default=None, help="time only these shapes (default: all)"
    )
    p.add_argument("--workdir", type=Path, default=Path(".rls-work/bench-view"))
    p.add_argument("--out", type=Path, default=None, help="results directory (default benchmarks/results)")
    p.add_argument("--name", default="view_overhead")
    a = p.parse_args(argv)
    doc = run(
        fresh_bench_warehouse(a.workdir),
        rows=a.rows,
        workspaces=a.workspaces,
        admin_workspaces=a.admin_workspaces,
        filler=a.filler,
        repeats=a.repeats,
        layout=a.layout,
        sweep=a.sweep,
        sweep_admin=a.sweep_admin,
        sweep_filler=a.sweep_filler,
        sweep_shapes=a.sweep_shapes,
        peers=not a.no_peers,
        keep=a.shapes,
    )
    doc["scanned_admin_rows"] = scanned_admin_rows()  # 2,000 / 10,000 / 5,000, as collector_scale.py generates it
    doc["command"] = command_line(__file__, argv)
    path = save(a.name, doc, a.out)
    if a.sweep:
        plot(doc, path.with_suffix(".png"))
    _print(doc)
    print(f"results: {path}")
    return 0


def _print(doc: dict[str, Any]) -> None:
    print(
        f"{doc['rows']:,} rows ({doc['layout']} layout), {doc['workspaces']} workspaces, "
        f"reader administers {doc['admin_workspaces']}"
    )
    for q, by in doc["median_seconds"].items():
        cells = "  ".join(f"{s}={t:.3f}s ({doc['ratio_to_floor'][q][s]:.2f}x)" for s, t in by.items())
        print(f"  {q:9s} {cells}")
    print(f"  date filter pushed into the scan: {doc['date_filter_pushed']}")


if __name__ == "__main__":
    raise SystemExit(main())
