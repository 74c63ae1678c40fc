"""The Spark expansion alone at account scale: time per statement, rows, and the local JVM's peak memory.

    RLS_LOCAL_SPARK_MEMORY=1g uv run --group bench python benchmarks/expansion_scale.py \
        --workspaces 2000 --users 10000 --groups 5000

The collector's API side takes minutes at this size under the published rate limits (``collector_scale.py``); the
expansion it then hands to Spark (:mod:`rls.tables.expand`) depends only on the direct edges and the ways in. This
builds those rows from a generated scenario as the collector would (``rls_local.collector_rows``), writes them to a
fresh local warehouse and runs the expansion, so its SQL can be measured and changed in minutes.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, jvm_pid, machine, rss_mb, save

from rls import tables
from rls.tables.expand import Names, expand
from rls_local import scenario_gen
from rls_local.collector_rows import collector_rows
from rls_local.scenario import parse_scenario
from rls_local.warehouse import open_warehouse

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _perms(w: Any, now: dt.datetime) -> tables.WorkspacePerms:
    """A workspace's own row of the nested perms, as the collector writes it (lists filled by the expansion)."""
    return tables.WorkspacePerms(
        w.workspace_id,
        w.workspace_name,
        w.deployment_name,
        "https://x",
        "RUNNING",
        "aws",
        "us-east-1",
        True,
        [],
        [],
        [],
        "bench",
        now,
    )


def measure(
    backend: Any, schema: str, *, workspaces: int, users: int, groups: int, max_depth: int, seed: int
) -> dict[str, Any]:
    """Build the collector's rows for a generated account, write them to ``main``.``schema`` and expand them."""
    t = time.perf_counter()
    s = parse_scenario(
        scenario_gen.generate(seed, workspaces=workspaces, users=users, groups=groups, max_depth=max_depth)
    )
    running = [w.workspace_id for w in s.workspaces if w.workspace_status == "RUNNING"]
    edges, ways = collector_rows(s, running, "bench", NOW)
    build_seconds = time.perf_counter() - t
    names = Names("main", schema)
    backend.execute(f"CREATE SCHEMA IF NOT EXISTS `main`.`{names.schema}`")
    backend.save_tables(
        [
            (names(tables.GROUP_EDGES), edges, tables.GroupEdge),
            (names.access_map_stage, ways, tables.AccessMapRow),
            (
                names.perms_base,
                [_perms(w, NOW) for w in s.workspaces if w.workspace_id in running],
                tables.WorkspacePerms,
            ),
        ]
    )
    first = len(backend.statements)
    t = time.perf_counter()
    error = None
    try:
        expanded = expand(backend, names, "bench")
    except Exception as e:  # a failed expansion is a result here (e.g. the JVM heap)
        expanded, error = None, f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
    seconds = time.perf_counter() - t
    jvm = jvm_pid(backend)
    counts = {}
    if expanded is not None:
        for table in (tables.GROUP_MEMBERS, tables.ADMINS, tables.USERS, tables.PERMS):
            counts[table] = int(backend.fetch(f"SELECT count(*) AS n FROM {names(table)}")[0]["n"])
    statements = [
        {"seconds": round(st.seconds, 2), "sql": st.sql.splitlines()[0][:100]} for st in backend.statements[first:]
    ]
    return {
        "direct_edges": len(edges),
        "ways_in": len(ways),
        "ways_in_by_permission": dict(collections.Counter(w.permission for w in ways)),
        "rows_build_seconds": build_seconds,
        "expansion_seconds": seconds,
        "levels": expanded.levels if expanded else None,
        "rows": counts,
        "error": error,
        "spark_driver_memory": backend.spark.conf.get("spark.driver.memory"),
        "jvm_peak_rss_mb": rss_mb(jvm, "VmHWM") if jvm else None,
        "python_peak_rss_mb": rss_mb("self", "VmHWM"),
        "slowest_statements": sorted(statements, key=lambda x: -x["seconds"])[:8],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspaces", type=int, default=200)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--groups", type=int, default=500)
    ap.add_argument("--max-depth", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="expansion_scale")
    args = ap.parse_args(argv)
    sizes = {k: getattr(args, k) for k in ("workspaces", "users", "groups", "max_depth", "seed")}
    with tempfile.TemporaryDirectory(prefix="rls-expand-bench-") as tmp:
        backend = open_warehouse(Path(tmp) / "warehouse", create=True)
        try:
            result = measure(backend, "rls_expand_bench", **sizes)
        finally:
            backend.spark.stop()
    doc = {
        "machine": machine(),
        "scenario": sizes,
        **result,
        "command": command_line(__file__, argv),
    }
    path = save(args.name, doc)
    print(
        f"expansion {result['expansion_seconds']:.1f} s, {result['levels']} levels, rows {result['rows']}, "
        f"JVM peak {result['jvm_peak_rss_mb'] or 0:.0f} MB (driver memory {result['spark_driver_memory']}), "
        f"error: {result['error']}; results: {path}"
    )
    return 1 if result["error"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
