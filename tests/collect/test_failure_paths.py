"""The collector's failure paths on a platform as strict as Databricks (reliability issue, items 2, 4, 5, 9): a restore
that times out, a collector denied once, a single 500, an id the tables cannot hold, a metastore it cannot read, and
the bound on elevations open at once.

Every expectation comes from the scenario (tests/oracle.py, the spec's rules), never from the collector's code.
(A module of its own, apart from tests/collect/test_platform_truths.py, whose shared runs keep it on one worker.)
"""

from __future__ import annotations

from flow import (
    account_writes,
    assignments_key,
    check_admin_views,
    elevation_windows,
    flow,
    fresh_schema,
    initial_assignments,
    with_changes,
)
from rls import exitcodes, tables
from rls.sql import quote_name
from rls_local.emulator import EmulatorOptions
from rls_local.scenario import parse_scenario
from rls_local.scenario_gen import generate


def test_a_restore_that_times_out_is_exit_5_and_stops_elevating(warehouse, tmp_path, example_scenario):
    s = example_scenario
    stuck = with_changes(
        s,
        faults=[{"method": "DELETE", "path_contains": "permissionassignments", "status": 503, "retry_after_s": 1}],
    )
    schema = fresh_schema()
    first = flow(warehouse, stuck, tmp_path, schema, overrides={"collect.retry_timeout_s": 1.0})
    assert first.collect.exit_code == exitcodes.UNRESTORED
    [line] = first.collect.unrestored
    assert "could not restore" in line and "next run repairs it" in line
    before = {(a.workspace_id, tuple(a.permissions)) for a in s.assignments if a.principal == s.collector}
    left_elevated = [
        a
        for a in first.emulator_state["assignments"]
        if a["principal"] == s.collector.to_json() and (a["workspace_id"], tuple(a["permissions"])) not in before
    ]
    # No elevation after the one that could not be undone, and that one asked for USER only (least privilege).
    assert [a["permissions"] for a in left_elevated] == [["USER"]]
    # The next run, with the fault still there: the failed repair is reported, not fatal, and the run row written.
    again = flow(
        warehouse,
        with_changes(stuck, assignments=first.emulator_state["assignments"]),
        tmp_path,
        schema,
        overrides={"collect.retry_timeout_s": 1.0},
    )
    assert again.collect.exit_code == exitcodes.UNRESTORED
    assert any("failed" in u for u in again.collect.unrestored)
    runs = warehouse.fetch(f"SELECT outcome FROM {quote_name(again.cfg.catalog, schema, tables.RUNS)}")
    assert [r["outcome"] for r in runs] == ["unrestored", "unrestored"]
    # Fault gone: repaired, the account exactly as it was.
    healed = flow(warehouse, with_changes(s, assignments=again.emulator_state["assignments"]), tmp_path, schema)
    assert healed.collect.exit_code == exitcodes.OK
    assert assignments_key(healed.emulator_state["assignments"]) == initial_assignments(s)


def test_an_admin_collector_denied_once_is_not_elevated_and_keeps_its_row(warehouse, tmp_path, example_scenario):
    s = example_scenario
    wid = next(
        a.workspace_id
        for a in s.assignments
        if a.principal == s.collector and s.workspace(a.workspace_id).identity_federated
    )
    doc = s.to_json()
    for a in doc["assignments"]:
        if a["principal"] == s.collector.to_json() and a["workspace_id"] == wid:
            a["permissions"] = ["ADMIN"]
    doc["faults"] = [{"workspace_id": wid, "path_contains": "preview/scim/v2/Groups", "status": 403, "times": 1}]
    admin = with_changes(s, assignments=doc["assignments"], faults=doc["faults"])
    result = flow(warehouse, admin, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    assert not [w for _, w, _ in account_writes(result) if w == str(wid)]
    rows = warehouse.fetch(
        f"SELECT workspace_id FROM {quote_name(result.cfg.catalog, result.cfg.schema, tables.ADMINS)} "
        f"WHERE lower(user_name) = lower('{s.collector_identity}') AND source = 'direct'"
    )
    assert {r["workspace_id"] for r in rows} == {wid}
    check_admin_views(warehouse, admin, result.cfg)


def test_a_single_500_on_a_workspace_read_is_retried(warehouse, tmp_path, example_scenario):
    s = with_changes(
        example_scenario,
        faults=[{"workspace_id": 1003, "path_contains": "permissionassignments", "status": 500, "times": 1}],
    )
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    assert [r["status"] for r in result.emulator_state["requests"]].count(500) == 1
    check_admin_views(warehouse, s, result.cfg)


def test_an_id_the_tables_cannot_hold_changes_nothing(warehouse, tmp_path, example_scenario):
    s = example_scenario
    schema = fresh_schema()
    first = flow(warehouse, s, tmp_path, schema)
    assert first.collect.exit_code == exitcodes.OK
    name = {t: quote_name(first.cfg.catalog, schema, t) for t in (tables.ADMINS, tables.GROUP_MEMBERS, tables.RUNS)}
    before = {
        t: warehouse.fetch(f"SELECT DISTINCT run_id FROM {name[t]}") for t in (tables.ADMINS, tables.GROUP_MEMBERS)
    }
    doc = s.to_json()
    doc["workspaces"].append(
        {"workspace_id": 2**64, "workspace_name": "huge", "deployment_name": "huge", "workspace_status": "RUNNING"}
    )
    # The scenario format has no range for ids: the emulator serves it, and the collector must refuse it.
    huge = with_changes(s, workspaces=doc["workspaces"])
    second = flow(warehouse, huge, tmp_path, schema)
    assert second.collect.exit_code == exitcodes.ERROR
    assert "out of the BIGINT range" in second.collect.errors[0]
    after = {t: warehouse.fetch(f"SELECT DISTINCT run_id FROM {name[t]}") for t in before}
    assert after == before  # every table still holds the first run, together
    outcomes = [r["outcome"] for r in warehouse.fetch(f"SELECT outcome FROM {name[tables.RUNS]} ORDER BY started_at")]
    assert outcomes == ["ok", "failed"]


def test_a_metastore_the_collector_cannot_read_is_a_note_not_a_failure(warehouse, tmp_path, example_scenario):
    s = example_scenario
    # The collector's only way into a metastore's workspaces is removed: nothing there lets it list catalogs.
    target = next(
        m
        for m in s.metastores
        if any(a.principal == s.collector for a in s.assignments if a.workspace_id in m.workspace_ids)
    )
    doc = s.to_json()
    doc["assignments"] = [
        a
        for a in doc["assignments"]
        if not (a["principal"] == s.collector.to_json() and a["workspace_id"] in target.workspace_ids)
    ]
    blind = with_changes(s, assignments=doc["assignments"])
    result = flow(warehouse, blind, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    [note] = [n for n in result.collect.notes if target.metastore_id in n]
    assert note.startswith(f"catalogs of metastore {target.metastore_id} not read") and "\n" not in note
    assert result.collect.as_dict()["notes"] == result.collect.notes
    check_admin_views(warehouse, blind, result.cfg)


def _max_open_elevations(requests) -> int:
    """Most elevations open at the same moment, from the emulator's log (PUT ADMIN … restoring write)."""
    events = sorted(
        [(lo, 1) for ws in elevation_windows(requests).values() for lo, _ in ws]
        + [(hi, -1) for ws in elevation_windows(requests).values() for _, hi in ws]
    )
    open_now = most = 0
    for _, step in events:
        open_now += step
        most = max(most, open_now)
    return most


def test_elevations_open_at_once_are_bounded_and_all_restored(warehouse, tmp_path):
    s = parse_scenario(generate(5, workspaces=12, users=30, groups=10, max_depth=3))
    limit = 3
    result = flow(
        warehouse,
        s,
        tmp_path,
        fresh_schema(),
        overrides={"collect.elevation_concurrency": limit},
        emulator_options=EmulatorOptions(latency_ms=(5, 15)),
    )
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    elevated = len(result.collect.elevations)
    assert elevated > limit, "the scenario needs more elevations than may be open at once"
    most = _max_open_elevations(result.emulator_state["requests"])
    assert 1 < most <= limit  # overlapping (the reads of later workspaces queue them while one is open), bounded
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)
    check_admin_views(warehouse, s, result.cfg)
