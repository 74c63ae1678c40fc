"""Self access level: what the ``self`` branch (rows the reader caused) adds to the generated admin view.

    uv run --group bench python benchmarks/self_level.py --rows 2000000 --repeats 3

Same synthetic ``access.audit`` and reader as ``view_overhead.py`` (the reader administers ``--admin-workspaces``
workspaces through a nested account group), plus: a share of the rows (``--self-share``, default 1 in 20) has the
reader's email (two spellings) in ``user_identity.email``, spread over all workspaces and the '0'/NULL rows; the
collector's users table gives the reader a USER assignment (through the same group) in ``--user-workspaces`` other
workspaces. Shapes, interleaved, medians of the repeats, on three queries (full count, one day, group-by):

- ``admin``: the publisher's view at access level ``admin`` (what view_overhead.py calls ``generated``);
- ``self``: the publisher's view at access level ``self`` (``publish.access_levels: {access.audit: self}``);
- ``self_literal_floor``: the self semantics with literal workspace lists and a literal email;
- ``literal_floor``: the literal list of the administered workspaces (the floor of the admin view).

Checks (raise): the self view's rows are a superset of the admin view's for the reader (``EXCEPT ALL`` empty), the
extra rows are exactly the reader's own rows in the USER workspaces, the reader's rows in unassigned workspaces and
in '0'/NULL stay hidden, and every shape answers like its literal floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import view_overhead as vo
from _common import command_line, machine, save, timed

from rls.config import load_config
from rls.publish.discovery import SystemTable
from rls.publish.viewsql import view_sql
from rls.sql import quote_name
from rls.tables import USERS

SHAPES = ("admin", "self", "self_literal_floor", "literal_floor")
REFERENCE = {"admin": "literal_floor", "self": "self_literal_floor", "self_literal_floor": "self_literal_floor"}
X = "\u00d7"  # multiplication sign, for the Markdown table


def email_sql(self_share: int) -> str:
    """1 row in ``self_share`` is the reader's (half lower case, half as ``current_user()`` spells it: the view
    compares case-insensitively); the others are 10,000 synthetic users. A hash, not ``id % n``, so that the reader's
    rows reach every workspace (the workspace is ``id * 7919 % workspaces``)."""
    h = f"pmod(hash(id), {2 * self_share})"
    return (
        f"CASE WHEN {h} = 0 THEN '{vo.IDENTITY.lower()}' WHEN {h} = 1 THEN '{vo.IDENTITY}' "
        f"ELSE {vo.DEFAULT_EMAIL_SQL} END"
    )


def user_workspace_ids(n: int, workspaces: int, admin_ws: list[int]) -> list[int]:
    """``n`` workspaces spread over the id range, none of them administered (users and admins tables never mix)."""
    taken = set(admin_ws)
    step = max(1, workspaces // max(n, 1))
    out = [w for w in (vo.FIRST_WS + step // 2 + i * step for i in range(n)) if w not in taken]
    return out[:workspaces]


def shapes(cfg: Any, source: SystemTable, admin_ws: list[int], user_ws: list[int]) -> dict[str, str]:
    src = quote_name(cfg.system_catalog, source.schema, source.table)
    admin_list = ", ".join(f"'{w}'" for w in admin_ws)
    member_list = ", ".join(f"'{w}'" for w in admin_ws + user_ws)
    return {
        "admin": view_sql(cfg, source).query,
        "self": view_sql(cfg, source, access_level="self").query,
        "self_literal_floor": (
            f"SELECT x.* FROM {src} AS x WHERE (x.workspace_id IN ({admin_list}))\n"
            f"   OR (lower(x.user_identity.email) = '{vo.IDENTITY.lower()}' AND x.workspace_id IN ({member_list}))"
        ),
        "literal_floor": f"SELECT x.* FROM {src} AS x WHERE x.workspace_id IN ({admin_list})",
    }


def correctness(backend: Any, cfg: Any, views: dict[str, str], admin_ws: list[int], user_ws: list[int]) -> dict:
    """The self view for the reader: admin rows ⊆ self rows, and the difference is exactly the reader's own rows in
    the workspaces where the reader is a USER; the reader's rows elsewhere are not shown. Two queries: one over the
    source, one full outer join of the two views on ``event_id`` (unique in the synthetic table)."""
    src = quote_name(cfg.system_catalog, "access", "audit")
    users_in = ", ".join(f"'{w}'" for w in user_ws)
    admin_in = ", ".join(f"'{w}'" for w in admin_ws)

    def mine(t: str) -> str:
        return f"coalesce(lower({t}.user_identity.email) = '{vo.IDENTITY.lower()}', false)"

    def in_list(t: str, ids: str) -> str:
        return f"coalesce({t}.workspace_id IN ({ids}), false)"

    def unassigned(t: str) -> str:
        return f"{mine(t)} AND NOT {in_list(t, admin_in)} AND NOT {in_list(t, users_in)}"

    # The raw system table, read as the platform (the reader holds no grant on system.*; the identity is a literal).
    src_row = backend.dataframe(
        f"SELECT count_if({mine('x')} AND {in_list('x', users_in)}),"
        f" count_if({mine('x')} AND {in_list('x', admin_in)}), count_if({unassigned('x')}) FROM {src} AS x"
    ).collect()[0]
    view_row = vo.run_query(
        backend,
        "SELECT count(a.event_id), count(s.event_id), count_if(s.event_id IS NULL), count_if(a.event_id IS NULL),"
        f" count_if(a.event_id IS NULL AND NOT ({mine('s')} AND {in_list('s', users_in)})),"
        f" count_if(s.event_id IS NOT NULL AND {unassigned('s')})"
        f" FROM {views['admin']} AS a FULL OUTER JOIN {views['self']} AS s ON a.event_id = s.event_id",
    )[0]
    keys = ("own_rows_in_user_workspaces", "own_rows_in_admin_workspaces", "own_rows_unassigned_source")
    doc = {k: int(v) for k, v in zip(keys, src_row, strict=True)}
    keys = (
        "admin_rows",
        "self_rows",
        "admin_minus_self",
        "self_minus_admin",
        "self_extra_not_own_user_ws",
        "own_rows_unassigned_in_view",
    )
    doc.update({k: int(v) for k, v in zip(keys, view_row, strict=True)})
    ok = (
        doc["admin_minus_self"] == 0
        and doc["self_minus_admin"] == doc["own_rows_in_user_workspaces"] > 0
        and doc["self_extra_not_own_user_ws"] == 0
        and doc["own_rows_unassigned_source"] > 0
        and doc["own_rows_unassigned_in_view"] == 0
        and doc["self_rows"] == doc["admin_rows"] + doc["own_rows_in_user_workspaces"]
    )
    doc["self_superset_of_admin"] = doc["admin_minus_self"] == 0
    doc["ok"] = ok
    if not ok:
        raise AssertionError(f"self view rows are not admin rows + own rows in USER workspaces: {doc}")
    return doc


def plan_shape(text: str) -> dict[str, Any]:
    """The joins of an executed plan and the big scan's partition filters (in adaptive plans, the initial plan)."""
    joins = []
    for line in text.splitlines():
        for kind in ("BroadcastHashJoin", "SortMergeJoin", "ShuffledHashJoin", "BroadcastNestedLoopJoin"):
            if kind in line:
                types = ("LeftSemi", "ExistenceJoin", "LeftAnti", "Inner", "LeftOuter")
                typ = next((t for t in types if t in line), "")
                joins.append(f"{kind} {typ}".strip())
    scans = [seg.split("]")[0] for seg in text.split("PartitionFilters: [")[1:]]
    return {
        "joins": joins,
        "sort_merge_join": "SortMergeJoin" in text,
        "partition_filters": scans,
        "date_filter_pushed": any("event_date" in f for f in scans),
    }


def run(
    backend: Any,
    *,
    rows: int,
    workspaces: int = 2000,
    admin_workspaces: int = 5,
    user_workspaces: int = 20,
    self_share: int = 20,
    filler: int = 20000,
    repeats: int = 3,
    queries: dict[str, str] | None = None,
    catalog: str = "bench_system",
) -> dict[str, Any]:
    """Build, check, time; ``queries`` (default view_overhead's three) only narrows the timed set."""
    cfg = load_config(
        None,
        {
            "catalog": "bench",
            "schema": "rls",
            "system_catalog": catalog,
            "publish.access_levels": {"access.audit": "self"},
        },
    )
    build_sec, source = timed(lambda: vo.build_audit(backend, catalog, rows, workspaces, email_sql(self_share)))
    admin_ws = vo.admin_workspace_ids(admin_workspaces, workspaces)
    user_ws = user_workspace_ids(user_workspaces, workspaces, admin_ws)
    vo.build_identity(backend, cfg, admin_ws, workspaces, filler)
    vo.build_identity(backend, cfg, user_ws, workspaces, filler, table=USERS, memberships=False)
    vo.build_access_map(backend, cfg, {"ADMIN": admin_ws, "USER": user_ws}, workspaces, filler)  # what views read
    bodies = shapes(cfg, source, admin_ws, user_ws)
    views = vo.create_views(backend, cfg, {f"self_{k}": v for k, v in bodies.items()})
    views = {k: views[f"self_{k}"] for k in bodies}
    check = correctness(backend, cfg, views, admin_ws, user_ws)
    med = vo.measure(backend, views, repeats, queries, reference=REFERENCE)
    day = (vo._today() - dt.timedelta(days=3)).isoformat()
    plans = {}
    for s in ("admin", "self"):
        for q in ("count", "one_day"):
            plans[f"{s}_{q}"] = vo.plan(backend, vo.QUERIES[q].format(v=views[s], day=day))
    shape = {k: plan_shape(t) for k, t in plans.items()}
    return {
        "machine": machine(),
        "rows": rows,
        "workspaces": workspaces,
        "admin_workspaces": admin_workspaces,
        "user_workspaces": len(user_ws),
        "self_share": f"1/{self_share}",
        "filler_rows": filler,
        "repeats": repeats,
        "build_seconds": build_sec,
        "correctness": check,
        "median_seconds": med,
        "ratio_to_floor": vo.ratios(med),
        "self_over_admin": {q: by["self"] / by["admin"] for q, by in med.items()},
        "self_added_ms": {q: 1000 * (by["self"] - by["admin"]) for q, by in med.items()},
        "self_over_self_floor": {q: by["self"] / by["self_literal_floor"] for q, by in med.items()},
        "plan_shape": shape,
        "self_broadcast_only": all(not v["sort_merge_join"] for k, v in shape.items() if k.startswith("self"))
        and any("BroadcastHashJoin" in j for j in shape["self_count"]["joins"]),
        "self_date_filter_pushed": shape["self_one_day"]["date_filter_pushed"],
        "plans": plans,
        "self_sql": bodies["self"],
    }


def markdown_table(doc: dict[str, Any]) -> str:
    med, r = doc["median_seconds"], doc["ratio_to_floor"]
    lines = [
        "| query | admin view | self view | self / admin | self - admin | self literal floor | literal floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for q, by in med.items():
        lines.append(
            f"| {q.replace('_', ' ')} | {by['admin']:.2f} ({r[q]['admin']:.2f}{X}) | {by['self']:.2f} "
            f"({r[q]['self']:.2f}{X}) | {doc['self_over_admin'][q]:.2f}{X} | {doc['self_added_ms'][q]:+.0f} ms "
            f"| {by['self_literal_floor']:.2f} | {by['literal_floor']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--workspaces", type=int, default=2000)
    p.add_argument("--admin-workspaces", type=int, default=5)
    p.add_argument("--user-workspaces", type=int, default=20)
    p.add_argument("--self-share", type=int, default=20, help="1 row in N is the reader's")
    p.add_argument("--filler", type=int, default=20000, help="other principals' rows in the membership tables")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--workdir", type=Path, default=Path(".rls-work/bench-self"))
    p.add_argument("--out", type=Path, default=None, help="results directory (default benchmarks/results)")
    p.add_argument("--name", default="self_level")
    a = p.parse_args(argv)
    doc = run(
        vo.fresh_bench_warehouse(a.workdir),
        rows=a.rows,
        workspaces=a.workspaces,
        admin_workspaces=a.admin_workspaces,
        user_workspaces=a.user_workspaces,
        self_share=a.self_share,
        filler=a.filler,
        repeats=a.repeats,
    )
    doc["command"] = command_line(__file__, argv)
    path = save(a.name, doc, a.out)
    print(f"{doc['rows']:,} rows, build {doc['build_seconds']:.0f} s, correctness {doc['correctness']}")
    print(markdown_table(doc))
    for k, v in doc["plan_shape"].items():
        print(f"  {k}: joins {v['joins']}, partition filters {v['partition_filters']}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
