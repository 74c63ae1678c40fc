"""What earlier runs left in the elevation ledger, and the lease that keeps runs from meeting there.

Before a run reads anything it takes the ledger's lease (:mod:`rls.collect.lease`), then undoes every elevation an
earlier run left open (:meth:`rls.collect.elevation.Elevator.repair`). A leftover it cannot undo stays out of the
tables: the collector's assignment there is an elevation, not access.
"""

from __future__ import annotations

from rls.collect.elevation import Elevator
from rls.collect.lease import Lease, LeaseHeld
from rls.collect.ledger import Ledger, LedgerError
from rls.collect.report import CollectReport
from rls.collect.workspace_reads import WorkspaceState
from rls.config import CollectConfig
from rls.model.directory import MemberRef


def take_lease(lease: Lease, cfg: CollectConfig, report: CollectReport) -> bool:
    """One collector per ledger; the claim is also the run's first ledger write, so a ledger that cannot be written
    stops the run here, before any repair or elevation (the report says why)."""
    try:
        lease.acquire(wait_s=cfg.lease_wait_s if cfg.on_lease_held == "wait" else 0.0)
        return True
    except LeaseHeld as e:
        report.busy = True
        report.errors.append(str(e))
    except LedgerError as e:
        report.aborted = True
        report.errors.append(f"{e}: the run stops before any elevation (nothing was read or written)")
    return False


def repair(elevator: Elevator, ledger: Ledger, report: CollectReport, dry_run: bool) -> set[int]:
    """Undo what earlier runs left elevated (a dry run only says what it would repair); returns the workspaces where
    a leftover could not be undone. Raises :class:`LedgerError` when the ledger cannot be read."""
    if dry_run:
        report.repaired = [f"would repair workspace {e.workspace_id}" for e in ledger.open_entries()]
        return set()
    unrepaired = set()
    for r in elevator.repair():
        line = f"workspace {r.workspace_id}: {r.outcome}" + (f" ({r.detail})" if r.detail else "")
        (report.unrestored if r.outcome == "failed" else report.repaired).append(line)
        if r.outcome == "failed":
            unrepaired.add(r.workspace_id)
    return unrepaired


def never_collect(
    running: list[WorkspaceState], collector: MemberRef, unrepaired: set[int], report: CollectReport
) -> None:
    """The collector's assignment (and its membership of ``admins``) on a workspace where a leftover could not be
    undone is left out of the tables, with a note. Its real assignment, if it had one, comes back with the first run
    that repairs the leftover."""
    for w in running:
        wid = w.info.workspace_id
        if wid not in unrepaired:
            continue
        w.grants = [g for g in w.grants if g.principal != collector]
        if w.local_admins is not None:
            w.local_admins = [m for m in w.local_admins if m != collector]
        report.notes.append(
            f"workspace {wid}: the collector's assignment there is an elevation an earlier run left behind and the "
            "repair failed: not collected as access"
        )
