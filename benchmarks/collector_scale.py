"""Collector at scale: wall time, API calls, ratio to the rate-limit floor, beside the original tool's pattern.

    uv run --group bench python benchmarks/collector_scale.py --workspaces 200 --users 1000 --groups 500

An emulated account (``scenario_gen.generate``, groups nested up to ``--max-depth`` levels) answers with 50-150 ms of
latency under the published server limits (SCIM GET 20/s, SCIM LIST 240/min, writes 5/s). The collector runs as the job
runs it (``jobs.execute("collect")``), once per ``--elevation-concurrency`` value, writing to the local warehouse
(``--sql spark``, default: the driver writes what the API answered and Spark expands the reporting tables, timed apart
as ``sql_seconds``/``expansion_seconds``) or to an in-memory backend (``--sql memory``: the API side alone). Memory: the
Python process's peak RSS (it also holds the emulator and its scenario: ``rss_before_collect_mb`` is what it held before
the collector started) and the Spark JVM's peak (``jvm_peak_rss_mb``, VmHWM). The baseline replays the same successful
calls the way the original tool makes them: sequentially, building a new client (``GET /.well-known/databricks-config``)
for every call.

``--before COMMIT`` first runs that commit's collector on a fresh emulator of the same scenario: a ``git worktree`` of
it under /tmp (removed after), imported by a child process (``_collect_child.py``, its own ``PYTHONPATH``) that
collects from the emulator this process serves; its elevations are counted in the emulator's request log (each
workspace's assignment writes pair up: elevate, then restore; the level is the elevating PUT's body), the same way
as this commit's.

The rate-limit floor is the least time the calls the run needed can take under the server's limits:
``max over families of calls / limit`` (families are limited independently).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, jvm_pid, machine, rss_mb, save
from _elevation_mix import main_elevations, mix_counts, realistic

from rls.collect.elevation import Ledger
from rls.collect.ratelimit import classify
from rls.jobs import execute
from rls.runoptions import RunOptions
from rls.sql.backend import SqlBackend
from rls_local import scenario_gen
from rls_local.context import clients_for, local_config
from rls_local.emulator import Emulator, EmulatorOptions
from rls_local.scenario import parse_scenario

SERVER_LIMITS = {"scim_get": 20.0, "scim_list": 4.0, "write": 5.0}  # published: 20/s, 240/min, 5/s


class MemoryBackend(SqlBackend):
    """Keeps written tables in memory: the collector's SQL side costs nothing, so the API side is what is timed."""

    def __init__(self) -> None:
        super().__init__("delta")
        self.tables: dict[str, int] = {}

    def _execute(self, sql: str) -> bool:
        return True

    def _fetch(self, sql: str) -> list[dict[str, Any]]:
        if "count(*)" in sql:
            return [{"n": 0}]
        return [{"d": None}] if "max(depth)" in sql else []  # the expansion's checks: nothing was written

    def _stage(self, rows: list[Any], schema: str) -> Any:
        return rows

    def _write(self, full_name: str, staged: Any, mode: str) -> None:
        self.tables[full_name] = len(staged) + (self.tables.get(full_name, 0) if mode == "append" else 0)

    def _table_exists(self, full_name: str) -> bool:
        return full_name in self.tables

    def _query_frame(self, sql: str) -> Any:
        return []  # the expansion is Spark's: not measured with --sql memory

    def _register_table_function(self, name: str, handler: type, returns: str) -> None:
        pass


def _family(method: str, path: str) -> str:
    return classify(method, "http://h" + path)


def _needed(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls that did work: answered (not 429), not the SDK's configuration probe nor OAuth token traffic."""
    return [r for r in log if r["status"] != 429 and "/.well-known/" not in r["path"] and "/oidc/" not in r["path"]]


def floor_seconds(calls: list[dict[str, Any]], limits: dict[str, float]) -> tuple[float, dict[str, int]]:
    by = collections.Counter(_family(r["method"], r["path"]) for r in calls)
    return max((n / limits[f] for f, n in by.items() if f in limits), default=0.0), dict(by)


def run_rls(
    doc: dict[str, Any],
    opts: EmulatorOptions,
    elevation_concurrency: int,
    tmp: Path,
    read_local_admins: bool = True,
    sql: str = "spark",
) -> dict[str, Any]:
    scenario = parse_scenario(doc)
    with Emulator(scenario, opts) as emu:
        overrides = {
            "collect.elevation_concurrency": elevation_concurrency,
            "collect.restore_backoff_s": 0.2,
            "collect.read_local_admins": read_local_admins,
        }
        cfg = local_config(scenario, emu, tmp, None, overrides)
        if sql == "spark":
            from rls_local.warehouse import open_warehouse

            backend: SqlBackend = open_warehouse(tmp / f"warehouse-{elevation_concurrency}", create=True)
        else:
            backend = MemoryBackend()
        rss_before = rss_mb()
        phases: dict[str, float] = {}
        t, t_epoch = time.perf_counter(), time.time()

        def progress(phase: str, done: int, total: int) -> None:
            phases[phase] = time.perf_counter() - t  # when the phase's last item finished

        ledger = Ledger(tmp / f"ledger-{elevation_concurrency}-{read_local_admins}")
        rep = execute(
            "collect",
            cfg,
            backend,
            clients=lambda: clients_for(cfg, emu),
            ledger=ledger,
            options=RunOptions(progress=progress),
        )["collect"]
        wall = time.perf_counter() - t
        log = emu.state()["requests"]
        jvm = jvm_pid(backend)
        jvm_peak = rss_mb(jvm, "VmHWM") if jvm else None
        if sql == "spark":
            backend.spark.stop()
    sql_seconds = sum(s.seconds for s in backend.statements)
    expansion_seconds = sum(s.seconds for s in backend.statements if "_rls_expand_" in s.sql)
    needed = _needed(log)
    floor, by = floor_seconds(needed, SERVER_LIMITS)
    writes = [r for r in needed if r["method"] in ("PUT", "DELETE")]
    api_end = max((r["start"] + r["duration_ms"] / 1000 for r in log), default=t_epoch) - t_epoch
    return {
        "elevation_concurrency": elevation_concurrency,
        "read_local_admins": read_local_admins,
        "outcome": rep.outcome,
        "errors": list(rep.errors),
        "account_writes": len(writes),
        "token_requests": sum(1 for r in log if r["path"].endswith("/v1/token")),
        "workspaces_by_outcome": dict(collections.Counter(w.outcome for w in rep.workspaces)),
        # why workspaces failed, most frequent first (a failed workspace is data the run could not collect)
        "workspace_errors": collections.Counter(w.error for w in rep.workspaces if w.outcome == "failed").most_common(
            5
        ),
        "wall_seconds": wall,
        "requests_total": len(log),
        "requests_429": sum(1 for r in log if r["status"] == 429),
        "requests_needed": len(needed),
        "needed_by_family": by,
        "elevations": len(rep.elevations),
        "elevations_by_level": dict(collections.Counter(rep.elevated_to.values())),
        "admin_rows": rep.admin_rows,  # admin ways in (the access map the views read)
        "expanded_admin_rows": rep.expanded_admin_rows,  # rows of the reporting table …_admins
        "sql": sql,
        "sql_seconds": sql_seconds,
        "expansion_seconds": expansion_seconds,
        "ratio_to_floor_without_sql": (wall - sql_seconds) / floor if floor else None,
        "rss_before_collect_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "jvm_peak_rss_mb": jvm_peak,
        "rate_limit_floor_seconds": floor,
        "ratio_to_floor": wall / floor if floor else None,
        # Where the time went: the API phase ends with the last answered request; the rest is computing the rows.
        "timeline_seconds": {
            "phases_done": phases,
            "first_write": min((r["start"] for r in writes), default=t_epoch) - t_epoch,
            "last_request_end": api_end,
            "after_last_request": wall - api_end,
        },
        "_needed": needed,
    }


def elevations_in_log(log: list[dict[str, Any]]) -> dict[str, Any]:
    """Elevations as the account saw them: the answered writes to each workspace's permission assignment, in order,
    alternate elevate (a PUT) and restore (a PUT of what was there, or a DELETE); the level is the PUT's body."""
    writes = sorted(
        (r for r in _needed(log) if r["method"] in ("PUT", "DELETE") and r["status"] < 400), key=lambda r: r["start"]
    )
    seen: collections.Counter[str] = collections.Counter()
    levels: collections.Counter[str] = collections.Counter()
    for r in writes:
        seen[r["path"]] += 1
        if seen[r["path"]] % 2 == 1:  # the first of each pair: the elevation
            perms = (json.loads(r["body"]) if r.get("body") else {}).get("permissions") or ["?"]
            levels["ADMIN" if "ADMIN" in perms else "+".join(perms)] += 1
    return {"elevations": sum(levels.values()), "by_level": dict(levels), "account_writes": len(writes)}


def run_before(
    doc: dict[str, Any], opts: EmulatorOptions, commit: str, elevation_concurrency: int, tmp: Path
) -> dict[str, Any]:
    """The collector of ``commit`` (a git worktree of it under /tmp, removed after), run in a child process with its
    own ``PYTHONPATH`` (``_collect_child.py``) against a fresh emulator of the same scenario, served from this
    process: the elevations it made are counted in the emulator's request log, as :func:`run_rls`'s are."""
    repo = Path(__file__).resolve().parents[1]
    wt = Path(tempfile.mkdtemp(prefix="rls-before-")) / "tree"
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "--detach", str(wt), commit], check=True, capture_output=True
    )
    try:
        rev = subprocess.run(["git", "-C", str(wt), "log", "-1", "--format=%H %s"], capture_output=True, text=True)
        scenario = parse_scenario(doc)
        with Emulator(scenario, opts) as emu:
            job = {
                "tmp": str(tmp / "before"),
                "settings": {
                    "table_format": "parquet",
                    "collect.cloud": scenario.cloud,
                    "collect.account_host": emu.url,
                    "collect.account_id": scenario.account_id,
                    "collect.collector_application_id": scenario.collector_identity,
                    "collect.workspace_host_template": emu.workspace_host(0).rsplit("/", 1)[0] + "/{workspace_id}",
                    "collect.retry_timeout_s": 120.0,
                },
                "overrides": {
                    "collect.elevation_concurrency": elevation_concurrency,
                    "collect.restore_backoff_s": 0.2,
                    "collect.read_local_admins": True,
                },
                "credentials": {"client_id": emu.client_id, "client_secret": emu.client_secret},
            }
            Path(job["tmp"]).mkdir(parents=True, exist_ok=True)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(wt / "src"), str(wt / "local" / "src")])}
            child = subprocess.run(
                [sys.executable, str(Path(__file__).resolve().parent / "_collect_child.py")],
                input=json.dumps(job),
                env=env,
                capture_output=True,
                text=True,
                timeout=7200,
            )
            log = emu.state()["requests"]
        if child.returncode != 0:
            raise RuntimeError(f"the collector of {commit} failed:\n{child.stderr[-3000:]}")
        out = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(wt)], capture_output=True)
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], capture_output=True)
        shutil.rmtree(wt.parent, ignore_errors=True)  # the temporary directory that held it
    if not out["rls_module"].startswith(str(wt)):
        raise RuntimeError(f"the child ran {out['rls_module']}, not the worktree of {commit}")
    floor, _ = floor_seconds(_needed(log), SERVER_LIMITS)
    return {
        "commit": rev.stdout.strip(),
        "elevation_concurrency": elevation_concurrency,
        **{k: v for k, v in out.items() if k != "rls_module"},
        "from_request_log": elevations_in_log(log),
        "requests_429": sum(1 for r in log if r["status"] == 429),
        "rate_limit_floor_seconds": floor,
    }


def run_baseline(doc: dict[str, Any], opts: EmulatorOptions, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Sequential, a new client per call: the configuration probe, then the call; 429s wait for Retry-After."""
    scenario = parse_scenario(doc)
    puts: collections.Counter[str] = collections.Counter()
    made = 0
    with Emulator(scenario, opts) as emu:
        tokens: dict[int | None, str] = {}  # OAuth tokens per scope (account, each workspace), obtained once

        def headers_for(path: str) -> dict[str, str]:
            wid = int(path.split("/")[2]) if path.startswith("/ws/") else None
            if wid not in tokens:
                tokens[wid] = emu.access_token(wid)
            return {"Authorization": f"Bearer {tokens[wid]}"}

        t = time.perf_counter()
        for r in calls:
            headers = headers_for(r["path"])
            with requests.Session() as s:  # a new client per call, as the original tool builds them
                s.get(f"{emu.url}/.well-known/databricks-config", timeout=60)
                body = None
                if r["method"] == "PUT":  # elevate, then restore: alternate ADMIN / USER per principal path
                    body = {"permissions": ["ADMIN"] if puts[r["path"]] % 2 == 0 else ["USER"]}
                    puts[r["path"]] += 1
                while True:
                    made += 2
                    resp = s.request(r["method"], emu.url + r["path"], headers=headers, json=body, timeout=60)
                    if resp.status_code != 429:
                        break
                    time.sleep(float(resp.headers.get("Retry-After", "1")))
        wall = time.perf_counter() - t
    floor, _ = floor_seconds(calls, SERVER_LIMITS)
    return {"wall_seconds": wall, "requests_total": made, "ratio_to_floor": wall / floor if floor else None}


def run(
    *,
    workspaces: int,
    users: int,
    groups: int,
    max_depth: int = 10,
    latency_ms: tuple[float, float] = (50, 150),
    elevation_concurrency: list[int] | None = None,
    baseline: bool = True,
    seed: int = 7,
    read_local_admins: list[bool] | None = None,
    sql: str = "spark",
    mix: str = "generated",
    before: str | None = None,
) -> dict[str, Any]:
    t = time.perf_counter()
    doc = scenario_gen.generate(
        seed, workspaces=workspaces, users=users, groups=groups, max_depth=max_depth, service_principals=20
    )
    if mix == "realistic":  # see benchmarks/_elevation_mix.py
        doc = realistic(doc, seed)
    gen_sec = time.perf_counter() - t
    opts = EmulatorOptions(latency_ms=latency_ms, rate_limits=dict(SERVER_LIMITS), seed=seed)
    out: dict[str, Any] = {
        "machine": machine(),
        "scenario": {"workspaces": workspaces, "users": users, "groups": groups, "max_depth": max_depth},
        "latency_ms": list(latency_ms),
        "server_limits_per_s": SERVER_LIMITS,
        "scenario_generation_seconds": gen_sec,
        "mix": {"name": mix, **mix_counts(parse_scenario(doc))},
        # main's rule (ADMIN wherever the admins read needed admin and was denied), applied to this scenario
        "elevations_before": main_elevations(parse_scenario(doc)),
        "rls": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        if before:  # the older commit's collector first, then this one's, on fresh emulators of the same scenario
            out["before"] = run_before(doc, opts, before, (elevation_concurrency or [4])[0], Path(tmp))
        for rla in read_local_admins or [True]:
            for ec in elevation_concurrency or [1, 4]:
                r = run_rls(doc, opts, ec, Path(tmp), rla, sql)
                r["api_calls_per_workspace"] = r["requests_needed"] / workspaces
                r["from_request_log"] = elevations_in_log(r["_needed"])
                out["rls"].append(r)
    needed = out["rls"][0].pop("_needed")
    for r in out["rls"][1:]:
        r.pop("_needed")
    if baseline:
        out["baseline"] = run_baseline(doc, opts, needed)
        out["baseline"]["api_calls_per_workspace"] = out["baseline"]["requests_total"] / workspaces
        out["speedup_vs_baseline"] = {
            str(r["elevation_concurrency"]): out["baseline"]["wall_seconds"] / r["wall_seconds"] for r in out["rls"]
        }
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workspaces", type=int, default=200)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--groups", type=int, default=500)
    p.add_argument("--max-depth", type=int, default=10)
    p.add_argument("--latency-ms", default="50,150")
    p.add_argument("--elevation-concurrency", default="1,4", help="comma-separated values to run")
    p.add_argument(
        "--read-local-admins",
        default="true",
        help="comma-separated true/false: read every workspace's admins group (true) or non-federated ones only",
    )
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--mix", choices=("generated", "realistic"), default="generated", help="see _elevation_mix.py")
    p.add_argument("--sql", choices=("spark", "memory"), default="spark", help="where the tables go (see above)")
    p.add_argument(
        "--before",
        default=None,
        metavar="COMMIT",
        help="also run that commit's collector first (a git worktree, a child process; API side only)",
    )
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--name", default="collector_scale")
    a = p.parse_args(argv)
    lo, hi = (float(x) for x in a.latency_ms.split(","))
    doc = run(
        workspaces=a.workspaces,
        users=a.users,
        groups=a.groups,
        max_depth=a.max_depth,
        latency_ms=(lo, hi),
        elevation_concurrency=[int(x) for x in a.elevation_concurrency.split(",")],
        baseline=not a.no_baseline,
        read_local_admins=[x.strip().lower() == "true" for x in a.read_local_admins.split(",")],
        sql=a.sql,
        mix=a.mix,
        before=a.before,
    )
    doc["command"] = command_line(__file__, argv)
    path = save(a.name, doc, a.out)
    for r in doc["rls"]:
        print(
            f"rls (elevation_concurrency={r['elevation_concurrency']}, read_local_admins={r['read_local_admins']}): "
            f"{r['outcome']}, {r['wall_seconds']:.1f}s, {r['account_writes']} account writes, "
            f"{r['requests_needed']} calls ({r['api_calls_per_workspace']:.1f}/workspace), "
            f"floor {r['rate_limit_floor_seconds']:.1f}s, ratio {r['ratio_to_floor']:.2f}, 429s {r['requests_429']}; "
            f"SQL {r['sql_seconds']:.1f}s (expansion {r['expansion_seconds']:.1f}s), "
            f"peak RSS {r['peak_rss_mb']:.0f} MB (before the collector {r['rss_before_collect_mb'] or 0:.0f} MB), "
            f"JVM peak {r['jvm_peak_rss_mb'] or 0:.0f} MB"
        )
    if "before" in doc:
        b = doc["before"]
        print(
            f"before ({b['commit'][:60]}): {b['outcome']}, {b['wall_seconds']:.1f}s, elevations {b['elevations']} "
            f"(request log: {b['from_request_log']}), workspaces {b['workspaces_by_outcome']}"
        )
    print(f"mix {doc['mix']}; elevations before (main's rule): {doc['elevations_before']}, after: ", end="")
    print(", ".join(f"{r['elevations']} {r['elevations_by_level']}" for r in doc["rls"]))
    if "baseline" in doc:
        b = doc["baseline"]
        print(f"baseline (sequential, new client per call): {b['wall_seconds']:.1f}s, ratio {b['ratio_to_floor']:.2f}")
    print(f"max RSS {doc['max_rss_mb']:.0f} MB; results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
