"""Publish: all views from scratch (parallel vs sequential), then a republish with nothing changed.

    uv run --group bench python benchmarks/publish_views.py --repeats 3

Prepares a local warehouse for the example scenario (every synthetic system table), collects once per target schema
(fast emulator, no latency: only the publish step is timed), then in one run and interleaved: publishes every view
into a fresh schema with ``publish.parallelism`` 8 and with 1, and republishes unchanged. DDL statements and the SQL
time are counted from ``backend.statements``.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, machine, median, save

from rls.publish import publish
from rls_local.local import run_flow

FAST = {"collect.rate_limits": {f: 1000.0 for f in ("scim_get", "scim_list", "write", "workspace", "other")}}
_n = itertools.count()


def _delta(backend: Any, start: int) -> tuple[int, float, int]:
    sts = backend.statements[start:]
    return sum(1 for s in sts if s.kind in ("ddl", "write")), sum(s.seconds for s in sts), len(sts)


def _fresh(backend: Any, scenario: Any, workdir: Path, system_catalog: str, parallelism: int, tag: str, extra) -> Any:
    schema = f"bench_pub_{tag}_{next(_n)}"
    over = {"schema": schema, "system_catalog": system_catalog, "publish.parallelism": parallelism, **FAST, **extra}
    return run_flow(backend, scenario, workdir, overrides=over, publish=False).cfg


def _timed_publish(backend: Any, cfg: Any) -> dict[str, Any]:
    start = len(backend.statements)
    t = time.perf_counter()
    rep = publish(backend, cfg)
    wall = time.perf_counter() - t
    ddl, sql_seconds, n = _delta(backend, start)
    return {"wall_seconds": wall, "ddl": ddl, "sql_seconds": sql_seconds, "statements": n, "counts": rep.counts}


def run(
    backend: Any,
    scenario: Any,
    workdir: Path,
    *,
    system_catalog: str = "system",
    repeats: int = 3,
    overrides: dict[str, Any] | None = None,
) -> dict:
    res: dict[str, list[dict[str, Any]]] = {"parallel": [], "sequential": [], "republish": []}
    for i in range(repeats):
        for mode, par in (("parallel", 8), ("sequential", 1)) if i % 2 == 0 else (("sequential", 1), ("parallel", 8)):
            cfg = _fresh(backend, scenario, workdir, system_catalog, par, mode, overrides or {})
            res[mode].append(_timed_publish(backend, cfg))
            if mode == "parallel":
                res["republish"].append(_timed_publish(backend, cfg))
    views = res["parallel"][0]["counts"]
    out = {
        "machine": machine(),
        "repeats": repeats,
        "views": views,
        "runs": res,
        "median_wall_seconds": {k: median([r["wall_seconds"] for r in v]) for k, v in res.items()},
        "median_sql_seconds": {k: median([r["sql_seconds"] for r in v]) for k, v in res.items()},
        "ddl": {k: max(r["ddl"] for r in v) for k, v in res.items()},
    }
    m = out["median_wall_seconds"]
    out["speedup_parallel"] = m["sequential"] / m["parallel"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workdir", type=Path, default=Path(".rls-work/bench-publish"))
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--name", default="publish_views")
    a = p.parse_args(argv)
    from rls_local.demo import default_scenario
    from rls_local.scenario import load_scenario
    from rls_local.warehouse import prepare_warehouse

    shutil.rmtree(a.workdir, ignore_errors=True)
    scenario = load_scenario(default_scenario())
    backend = prepare_warehouse(a.workdir, scenario)
    doc = run(backend, scenario, a.workdir, repeats=a.repeats)
    doc["command"] = command_line(__file__, argv)
    path = save(a.name, doc, a.out)
    m, s, d = doc["median_wall_seconds"], doc["median_sql_seconds"], doc["ddl"]
    print(f"views: {doc['views']}")
    for k in ("parallel", "sequential", "republish"):
        print(f"  {k:10s} wall {m[k]:.2f}s  SQL {s[k]:.2f}s  DDL {d[k]}")
    print(f"  parallel speed-up {doc['speedup_parallel']:.2f}x; results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
