"""View overhead on a real Databricks workspace, through databricks-connect: the same shapes as
``view_overhead.py`` on Delta tables, where Databricks' dynamic file pruning can apply to the semi-join.

    pip install databricks-connect   # the version matching the cluster's runtime
    export DATABRICKS_HOST=https://<workspace> DATABRICKS_CLUSTER_ID=<id>   # or a profile: --profile NAME
    uv run --group bench python benchmarks/view_overhead_databricks.py --catalog main --schema rls_bench \\
        --group <an account group you are a member of> --rows 20000000 --repeats 3

Everything it creates is in ``--catalog``.``--schema`` (``bench_audit``, ``workspace_access_map``, the flattened
admins table for the original tool's shape, one view per shape); it never reads or writes ``system``. The reader is
whoever runs it (``current_user()``): with ``--group`` the access map holds that account group's row on each admin
workspace (the compact map's case: ``is_account_group_member`` answers it, the platform's builtin); without it, one
row of the running identity per workspace. Two layouts: ``clustered`` (``CLUSTER BY (event_date, workspace_id)``,
then ``OPTIMIZE``) and ``time`` (rows written in arrival order, no clustering).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, machine, median, save, timed

LAYOUTS = ("clustered", "time")


class SetupError(RuntimeError):
    """databricks-connect missing, or no workspace to connect to: the message is the one line to print."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--catalog", required=True, help="catalog for the benchmark's tables and views (never `system`)")
    p.add_argument("--schema", required=True, help="schema for the benchmark's tables and views (created)")
    p.add_argument("--group", default=None, help="an account group the running identity is a member of")
    p.add_argument("--profile", default=None, help="a ~/.databrickscfg profile (default: the environment)")
    p.add_argument("--rows", type=int, default=20_000_000)
    p.add_argument("--workspaces", type=int, default=2000)
    p.add_argument("--admin-workspaces", type=int, default=5)
    p.add_argument("--filler", type=int, default=20000, help="other ways in (access map) / other admins rows")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--layout", choices=LAYOUTS, action="append", help="repeatable; default both")
    p.add_argument("--out", type=Path, default=None, help="results directory (default benchmarks/results)")
    p.add_argument("--name", default="view_overhead_databricks")
    a = p.parse_args(argv)
    if a.catalog.lower() == "system":
        p.error("--catalog system: the benchmark writes tables; give a catalog of your own")
    a.layout = a.layout or list(LAYOUTS)
    return a


def connect(profile: str | None) -> Any:
    """A Spark session on the workspace, or :class:`SetupError` saying what is missing."""
    try:
        from databricks.connect import DatabricksSession
    except ImportError:
        raise SetupError(
            "databricks-connect is not installed: pip install databricks-connect (matching the cluster's runtime)"
        ) from None
    try:
        builder = DatabricksSession.builder
        spark = (builder.profile(profile) if profile else builder).getOrCreate()
        spark.sql("SELECT 1").collect()
        return spark
    except Exception as e:  # the SDK's config errors differ by version: one line, whatever they are
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise SetupError(
            f"cannot connect to a Databricks workspace ({first}): set DATABRICKS_HOST and DATABRICKS_CLUSTER_ID "
            "(or serverless) and credentials, or pass --profile"
        ) from None


def run(spark: Any, a: argparse.Namespace) -> dict[str, Any]:
    import view_overhead as vo

    from rls.config import load_config
    from rls.publish.discovery import Column, SystemTable
    from rls.sql import quote_name
    from rls.tables import ACCESS_MAP, ADMINS

    cfg = load_config(None, {"catalog": a.catalog, "schema": a.schema, "system_catalog": a.catalog})
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote_name(a.catalog, a.schema)}").collect()
    me = spark.sql("SELECT current_user() AS u").collect()[0]["u"]
    admin_ws = vo.admin_workspace_ids(a.admin_workspaces, a.workspaces)
    group = a.group or vo.TOP
    amap = vo.access_map_frame(spark, {"ADMIN": admin_ws}, a.workspaces, a.filler, group=group)
    if a.group is None:  # no group to rely on: the reader's own rows instead of the group's
        amap = amap.selectExpr(
            *[c for c in amap.columns if c not in ("user_name", "group_id", "group_name", "principal_type")],
            f"CASE WHEN group_name = '{group}' THEN '{me}' ELSE user_name END AS user_name",
            f"CASE WHEN group_name = '{group}' THEN NULL ELSE group_id END AS group_id",
            f"CASE WHEN group_name = '{group}' THEN NULL ELSE group_name END AS group_name",
            f"CASE WHEN group_name = '{group}' THEN 'USER' ELSE principal_type END AS principal_type",
        )
    amap.write.format("delta").mode("overwrite").option("overwriteSchema", "true").saveAsTable(
        ".".join(cfg.table(ACCESS_MAP))
    )
    vo.admins_frame(spark, admin_ws, a.workspaces, a.filler, identity=me, group=group).write.format("delta").mode(
        "overwrite"
    ).option("overwriteSchema", "true").saveAsTable(".".join(cfg.table(ADMINS)))
    spark.sql(
        f"CREATE OR REPLACE TABLE {quote_name(a.catalog, a.schema, vo.LOOKUP)} AS SELECT CAST(w AS BIGINT) AS "
        f"workspace_id FROM (SELECT explode(array({','.join(map(str, admin_ws))})) AS w)"
    ).collect()
    out: dict[str, Any] = {"machine": machine(), "reader": me, "group": a.group, "rows": a.rows, "layouts": {}}
    day = (vo._today() - dt.timedelta(days=3)).isoformat()
    for layout in a.layout:
        audit = quote_name(a.catalog, a.schema, "bench_audit")
        vo.audit_frame(spark, a.rows, a.workspaces).createOrReplaceTempView("rls_bench_audit_rows")
        cluster = "CLUSTER BY (event_date, workspace_id) " if layout == "clustered" else ""
        order = "" if cluster else " ORDER BY event_time"
        ctas = f"CREATE OR REPLACE TABLE {audit} {cluster}AS SELECT * FROM rls_bench_audit_rows{order}"
        build, _ = timed(lambda ctas=ctas: spark.sql(ctas).collect())
        if cluster:
            spark.sql(f"OPTIMIZE {audit}").collect()
        cols = tuple(Column(f.name, f.dataType.simpleString()) for f in spark.table(audit).schema.fields)
        source = SystemTable(a.schema, "bench_audit", cols)
        shapes = vo.shapes(cfg, source, admin_ws) | vo.decomposition_shapes(cfg, source, admin_ws)
        bodies = {k: v for k, v in shapes.items() if k not in vo.LOCAL_ONLY}  # the builtin is the platform's there
        views = {}
        for name, body in bodies.items():
            views[name] = quote_name(a.catalog, a.schema, f"bench_{name}")
            spark.sql(f"CREATE OR REPLACE VIEW {views[name]} AS\n{body}").collect()
        times: dict[str, dict[str, list[float]]] = {q: {s: [] for s in views} for q in vo.QUERIES}
        answers: dict[str, dict[str, Any]] = {q: {} for q in vo.QUERIES}
        for q, tmpl in vo.QUERIES.items():
            for s, v in views.items():
                answers[q][s] = sorted(tuple(r) for r in spark.sql(tmpl.format(v=v, day=day)).collect())
        for _ in range(a.repeats):
            for q, tmpl in vo.QUERIES.items():
                for s, v in views.items():
                    sec, _rows = timed(lambda tmpl=tmpl, v=v: spark.sql(tmpl.format(v=v, day=day)).collect())
                    times[q][s].append(sec)
        wrong = [f"{s}/{q}" for q in answers for s in answers[q] if answers[q][s] != answers[q]["literal_floor"]]
        med = {q: {s: median(ts) for s, ts in by.items()} for q, by in times.items()}
        out["layouts"][layout] = {
            "build_seconds": build,
            "median_seconds": med,
            "ratio_to_floor": {q: {s: t / by["literal_floor"] for s, t in by.items()} for q, by in med.items()},
            "added_ms_one_day": {s: 1000 * (t - med["one_day"]["literal_floor"]) for s, t in med["one_day"].items()},
            "answers_differ_from_floor": wrong,
            # generated: the hash set tested in the scan; map_semi_join: the shape dynamic file pruning can apply to
            **{
                f"plan_{shape}_one_day": spark.sql(
                    "EXPLAIN FORMATTED " + vo.QUERIES["one_day"].format(v=views[shape], day=day)
                ).collect()[0][0]
                for shape in ("generated", "map_semi_join")
            },
        }
    return out


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    try:
        spark = connect(a.profile)
    except SetupError as e:
        print(f"view_overhead_databricks: {e}", file=sys.stderr)
        return 2
    doc = run(spark, a)
    doc["command"] = command_line(__file__, argv)
    path = save(a.name, doc, a.out)
    for layout, r in doc["layouts"].items():
        for q, by in r["ratio_to_floor"].items():
            print(f"{layout:9s} {q:9s} " + "  ".join(f"{s}={x:.2f}x" for s, x in by.items()))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
