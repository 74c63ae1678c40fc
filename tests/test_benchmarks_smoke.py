"""Small-size runs of every benchmark script, so that they cannot rot (the real sizes are in BENCHMARKS.md).

`demo_time.py` is run by tests/test_cli.py: its one repeat is the demo the CLI tests read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flow import fresh_schema

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))


def test_view_overhead_small(warehouse, example_scenario) -> None:
    import view_overhead

    from rls_local.warehouse import install_platform

    # Every shape of the script is timed once here; the decomposition shapes are the same lookups over smaller inputs
    # (their SQL is built by decomposition_shapes, checked below), so they are left to the benchmark's own runs.
    keep = (*view_overhead._KEY_SHAPES, *view_overhead.PEER_SHAPES)
    try:
        doc = view_overhead.run(
            warehouse,
            rows=20_000,
            workspaces=50,
            admin_workspaces=3,
            filler=100,
            repeats=1,
            short_repeats=1,
            keep=keep,
            queries={"one_day": view_overhead.QUERIES["one_day"]},  # the full set is the benchmark's, not the test's
            check_queries=("group_by",),  # every row of each reader, counted per service
        )
    finally:
        install_platform(warehouse, example_scenario)  # the benchmark replaced the platform's memberships
    assert set(doc["ratio_to_floor"]) == {"one_day"}
    for q in doc["ratio_to_floor"]:
        assert doc["ratio_to_floor"][q]["literal_floor"] == pytest.approx(1.0)
        assert set(doc["ratio_to_floor"][q]) == set(keep)
        assert all(r > 0 for r in doc["ratio_to_floor"][q].values())
        assert doc["ratio_to_generated"][q]["generated"] == doc["ratio_to_raw_table"][q]["raw_table"] == 1.0
    assert doc["date_filter_pushed"]  # the one-day filter is a partition filter of the big scan
    assert doc["generated_filter_in_scan"], doc["plans"]["generated_count"]  # ids read once, tested in the scan
    assert "SortMergeJoin" not in doc["plans"]["generated_count"]
    assert doc["generated_map_read_in_one_stage"], doc["plans"]["generated_count"]  # no shuffle to build the set
    # The peers: same answers as ours for every reader their model can express, none for a direct user under ABAC.
    c = doc["peer_correctness"]
    assert c["ok"], c
    assert c["direct_user"]["rows"]["generated"] > 0 and c["direct_user"]["rows"]["abac_row_filter_builtin"] == 0
    assert c["group_member"]["abac_row_filter_builtin_same_as_generated_builtin"]
    assert all(c[w]["dynamic_acl_same_as_generated"] for w in ("nested_group_reader", "group_member", "direct_user"))
    k = doc["peer_costs"]
    assert k["abac_copy_seconds"] > 0 and k["abac_copy_bytes"] > 0 and k["abac_consumer_groups"] > 0
    assert k["dynamic_acl_group_rows"] > 0 and k["dynamic_acl_user_rows"] == k["abac_user_ways_in_not_expressible"]
    assert "row_number()" in k["dynamic_acl_sql"] and "WHERE EXISTS" in k["dynamic_acl_sql"]
    cfg = view_overhead.load_config(None, {"catalog": "bench", "schema": "rls", "system_catalog": "bench_system"})
    source = view_overhead.SystemTable("access", "audit", ())
    assert set(view_overhead.decomposition_shapes(cfg, source, [1, 2])) == {
        "lookup_tiny_table",
        "lookup_tiny_array_contains",
        "lookup_no_table_array_contains",
    }


def test_scanned_admin_rows_small() -> None:
    import view_overhead

    doc = view_overhead.scanned_admin_rows(workspaces=20, users=50, groups=20)
    assert doc["access_map_rows"] >= doc["access_map_admin_rows"] > 0 and doc["flattened_admins_rows"] > 0


def test_collector_scale_small() -> None:
    import collector_scale

    doc = collector_scale.run(
        workspaces=4, users=12, groups=6, max_depth=3, latency_ms=(1, 3), elevation_concurrency=[1], sql="memory"
    )  # one Spark session per process: the suite's own; the Spark side is measured by the benchmark's default
    r = doc["rls"][0]
    assert r["outcome"] == "ok" and r["requests_429"] == 0
    assert r["rate_limit_floor_seconds"] > 0 and r["ratio_to_floor"] > 0 and r["api_calls_per_workspace"] > 0
    assert doc["baseline"]["wall_seconds"] > 0 and doc["baseline"]["requests_total"] > r["requests_needed"]
    assert doc["max_rss_mb"] > 0
    # main's rule (ADMIN wherever not admin) never elevates less than least privilege does
    assert doc["elevations_before"] >= r["elevations"] == sum(r["elevations_by_level"].values())
    assert r["from_request_log"]["elevations"] == r["elevations"]  # the account saw the elevations the run reports


@pytest.mark.skipif(
    not (BENCH.parent / ".git").exists(), reason="--before needs the project's git history (a git worktree)"
)
def test_collector_scale_before_small() -> None:
    """``--before COMMIT``: that commit's collector in a child process (a worktree of it), against the same scenario.
    HEAD here: the mechanism, with no history needed (a shallow checkout has HEAD)."""
    import collector_scale

    doc = collector_scale.run(
        workspaces=4,
        users=12,
        groups=6,
        max_depth=3,
        latency_ms=(1, 3),
        elevation_concurrency=[1],
        sql="memory",
        baseline=False,
        mix="realistic",
        before="HEAD",
    )
    b, r = doc["before"], doc["rls"][0]
    assert b["outcome"] == r["outcome"] and b["workspaces_by_outcome"] == r["workspaces_by_outcome"]
    assert b["from_request_log"] == r["from_request_log"]  # the same code elevates the same way
    assert b["elevations"] == b["from_request_log"]["elevations"]


def test_expansion_scale_small(warehouse) -> None:
    import expansion_scale

    doc = expansion_scale.measure(
        warehouse, fresh_schema("expbench"), workspaces=6, users=20, groups=8, max_depth=3, seed=3
    )
    assert doc["error"] is None and doc["expansion_seconds"] > 0
    assert doc["rows"]["group_members_flat"] > 0 and doc["levels"] >= 1
    assert doc["ways_in"] == sum(doc["ways_in_by_permission"].values()) > 0


def test_publish_views_small(warehouse, example_scenario, tmp_path) -> None:
    import publish_views

    doc = publish_views.run(
        warehouse, example_scenario, tmp_path, repeats=1, overrides={"publish.include": ["access.*"]}
    )
    assert doc["ddl"]["parallel"] > 0 and doc["ddl"]["sequential"] > 0
    assert doc["ddl"]["republish"] == 0  # nothing changed: no DDL at all
    assert doc["median_sql_seconds"]["republish"] < 1.0
    assert doc["speedup_parallel"] > 0


def test_self_level_small(warehouse, example_scenario) -> None:
    import self_level

    from rls_local.warehouse import install_platform

    try:
        doc = self_level.run(
            warehouse,
            rows=20_000,
            workspaces=50,
            admin_workspaces=3,
            user_workspaces=4,
            filler=100,
            repeats=1,
            queries={"one_day": self_level.vo.QUERIES["one_day"]},  # the full set is the benchmark's, not the test's
        )
    finally:
        install_platform(warehouse, example_scenario)  # the benchmark replaced the platform's memberships
    c = doc["correctness"]
    assert c["ok"] and c["self_superset_of_admin"] and c["admin_minus_self"] == 0
    assert c["self_minus_admin"] == c["own_rows_in_user_workspaces"] > 0  # the reader's rows where it is a USER
    assert c["own_rows_unassigned_source"] > 0 and c["own_rows_unassigned_in_view"] == 0
    for q in doc["median_seconds"]:
        assert doc["self_over_admin"][q] > 0 and all(r > 0 for r in doc["ratio_to_floor"][q].values())
    assert doc["self_date_filter_pushed"]  # the one-day filter is still a partition filter of the big scan
    assert doc["self_broadcast_only"] and not doc["plan_shape"]["self_count"]["sort_merge_join"]
    assert "member_groups_users" in doc["self_sql"] and "user_identity" in doc["self_sql"]
