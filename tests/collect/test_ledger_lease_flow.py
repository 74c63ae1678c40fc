"""A crash or a neighbour never leaves access behind or lies in the tables (issue: reliability round 3).

Each test is the fault itself on the local account: another collector holding the ledger, a full disk under it, an
elevation a crashed run left behind that cannot be repaired. Expectations come from the scenario (tests/oracle.py)
and the emulator's request log, never from the collector's code."""

from __future__ import annotations

import datetime as dt

import oracle
from flow import account_writes, admins_by_user_name, assignments_key, flow, fresh_schema, load, with_changes
from rls import exitcodes
from rls.collect.lease import Lease
from rls.collect.ledger import Ledger, LedgerEntry
from rls.target import LEDGER_DIR
from rls_local.emulator.ids import PrincipalIds
from rls_local.warehouse.volume import StrictVolumeFiles

FEDERATED_NOT_MEMBER = 2006  # tricky.json: the collector (sp0) holds no assignment there: it needs an elevation


def _crashed_run(minutes_ago: int) -> str:
    return f"{dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago):%Y%m%dT%H%M%SZ}-0c0c0c0c"


def _collector_id(s) -> str:
    """The collector as the account API names it (and so as the ledger a crashed run wrote names it)."""
    return str(PrincipalIds(s).id_of(s.collector))


def _with_collector_assigned(s, workspace_id: int, permission: str):
    """The account as an open elevation leaves it: the collector assigned ``permission`` on ``workspace_id``."""
    doc = s.to_json()
    assignment = {"workspace_id": workspace_id, "principal": {"type": "service_principal", "id": s.collector.id},
                  "permissions": [permission]}  # fmt: skip
    return with_changes(s, assignments=[*doc["assignments"], assignment])


def test_a_second_collector_refuses_and_never_repairs_the_first_one_s_live_elevation(warehouse, tmp_path) -> None:
    s = load("tricky", faults=[])
    ledger = Ledger(StrictVolumeFiles(tmp_path / LEDGER_DIR))
    running = _crashed_run(1)  # started a minute ago, and alive: it holds the lease and one open elevation
    first = Lease(ledger, running, "sp0 on job-cluster pid 7", 600)
    first.acquire()
    ledger.elevating(LedgerEntry(running, FEDERATED_NOT_MEMBER, _collector_id(s), None, "now", set_to=("USER",)))
    live = _with_collector_assigned(s, FEDERATED_NOT_MEMBER, "USER")

    second = flow(warehouse, live, tmp_path, fresh_schema())
    assert second.collect.exit_code == exitcodes.BUSY
    assert (
        len(second.collect.errors) == 1
        and f"held by run {running} (sp0 on job-cluster pid 7)" in (second.collect.errors[0])
    )
    assert account_writes(second) == []  # nothing repaired, nothing elevated
    assert assignments_key(second.emulator_state["assignments"]) == assignments_key(
        [a.to_json() for a in live.assignments]
    )
    assert [e.run_id for e in ledger.open_entries()] == [running]  # the first run's elevation is still its own

    # The first run ends without restoring (it crashed after all): once its lease is gone, the next run repairs.
    first.release()
    third = flow(warehouse, live, tmp_path, fresh_schema())
    assert any(line.startswith(f"workspace {FEDERATED_NOT_MEMBER}: restored") for line in third.collect.repaired)
    assert ledger.open_entries() == []


def test_a_full_disk_under_the_ledger_stops_the_run_before_any_elevation(warehouse, tmp_path) -> None:
    s = load("tricky", faults=[])
    schema = fresh_schema()
    result = flow(warehouse, s, tmp_path, schema, ledger_capacity_bytes=0)
    assert result.collect.exit_code == exitcodes.ERROR
    [error] = result.collect.errors
    assert "No space left on device" in error and "stops before any elevation" in error and "\n" not in error
    assert account_writes(result) == []  # nothing elevated, nothing repaired
    assert not any(p.is_file() for p in (tmp_path / LEDGER_DIR).iterdir())  # and nothing half-written left behind


def test_a_leftover_elevation_that_cannot_be_repaired_is_never_collected_as_access(warehouse, tmp_path) -> None:
    s = load("tricky", faults=[])
    # A crashed run left the collector ADMIN on 2003 (it had no assignment there); undoing it fails today.
    ledger = Ledger(StrictVolumeFiles(tmp_path / LEDGER_DIR))
    ledger.elevating(LedgerEntry(_crashed_run(600), 2003, _collector_id(s), None, "then", set_to=("ADMIN",)))
    left = _with_collector_assigned(s, 2003, "ADMIN")
    stuck = with_changes(left, faults=[{"method": "DELETE", "path_contains": "permissionassignments", "status": 500}])

    result = flow(warehouse, stuck, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.UNRESTORED
    assert any(line.startswith("workspace 2003: failed") for line in result.collect.unrestored)
    collector = s.collector_identity.lower()
    admins = admins_by_user_name(warehouse, result.cfg)
    assert 2003 not in admins.get(collector, set())
    collected = {w.workspace_id for w in result.collect.workspaces if w.outcome == "collected"}
    assert 2003 in collected  # the workspace itself is collected: only the leftover is left out
    expected = oracle.admin_workspaces(s, collected=collected)  # the account without the leftover
    assert admins == {i: w for i, w in expected.items() if w}
    assert any(n.startswith("workspace 2003: the collector's assignment there is an elevation") for n in
               result.collect.notes)  # fmt: skip
