"""Temporary elevation of the collector on one workspace, no higher than needed, always undone, with a durable ledger.

Least privilege: the collector asks for ``USER`` (membership is what listing the workspace's groups needs), and
raises that to ``ADMIN`` only when the platform proves USER is not enough (:meth:`Elevation.raise_to`). Before each
PUT the ledger (:mod:`rls.collect.ledger`) durably records what the collector's assignment was, which level is
asked for and why; no PUT happens unless that record was written. After the restore it records that the restore
happened. An entry without its restore marks an elevation a killed or cut-off run left behind; every run starts by
repairing those. A PUT replaces the principal's permissions, so the previous state is restored exactly: no
assignment -> DELETE, USER -> PUT USER. Elevation goes through the account API, so it exists on
identity-federated workspaces only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from databricks.sdk.errors import NotFound

from rls.collect.account_api import AccountApi
from rls.collect.lease import Lease
from rls.collect.ledger import Ledger, LedgerEntry, LedgerError, now_iso
from rls.config_validation import RESTORE_ATTEMPTS, restore_budget_s
from rls.model.access import Grant
from rls.model.directory import MemberRef
from rls.parallel import describe

logger = logging.getLogger(__name__)

__all__ = ["Elevation", "Elevator", "Ledger", "LedgerEntry", "LedgerError", "Repair", "RestoreError"]


class RestoreError(RuntimeError):
    """An elevation could not be undone; the ledger keeps it open for the next run to repair."""


@dataclass
class Repair:
    workspace_id: int
    outcome: str  # restored | already-restored | changed-by-someone-else | failed
    detail: str = ""


@dataclass
class Elevation:
    """An open elevation: what :meth:`Elevator.elevated` yields."""

    elevator: Elevator
    entry: LedgerEntry

    def raise_to(self, level: str, reason: str) -> None:
        """Raise the open elevation (to ADMIN), recorded with its reason before the PUT; the restore is unchanged."""
        e = self.elevator
        e.ledger.raised(self.entry, [level], reason)
        e.api.set_permissions(self.entry.workspace_id, self.entry.principal_id, [level])
        logger.info("raised to %s on workspace %s: %s", level, self.entry.workspace_id, reason)


class Elevator:
    def __init__(
        self,
        api: AccountApi,
        ledger: Ledger,
        collector: MemberRef,
        run_id: str,
        backoff_s: float = 1.0,
        lease: Lease | None = None,
    ) -> None:
        self.api = api
        self.backoff_s = backoff_s
        self.ledger = ledger
        self.collector = collector
        self.run_id = run_id
        self.lease = lease  # held by this run: no elevation may outlive it

    @contextmanager
    def elevated(self, workspace_id: int, previous: Grant | None, level: str, reason: str) -> Iterator[Elevation]:
        """The collector holds ``level`` (USER or ADMIN) inside the block; outside it has exactly its previous
        assignment. ``reason`` (why the elevation is needed) goes to the ledger."""
        if self.lease is not None and not self.lease.valid_for(restore_budget_s(self.backoff_s)):
            raise LedgerError(
                f"elevation ledger {self.ledger.location}: this run's lease expires before an elevation could be "
                "undone (collect.lease_ttl_s): no further elevation"
            )
        perms = list(previous.permissions) if previous else None
        entry = LedgerEntry(
            self.run_id, workspace_id, self.collector.id, perms, now_iso(), set_to=(level,), reason=reason
        )
        self.ledger.elevating(entry)
        try:
            self.api.set_permissions(workspace_id, self.collector.id, [level])
            logger.info("elevated to %s on workspace %s (previous: %s)", level, workspace_id, perms or "none")
            yield Elevation(self, entry)
        finally:
            # Also after a failed PUT: the write may have landed before the connection broke.
            self._restore(entry)

    def _restore(self, entry: LedgerEntry) -> None:
        last: BaseException | None = None
        for attempt in range(RESTORE_ATTEMPTS):
            try:
                if entry.previous is None:
                    with contextlib.suppress(NotFound):  # nothing there: already what it was
                        self.api.remove_assignment(entry.workspace_id, entry.principal_id)
                    how = "deleted"
                else:
                    self.api.set_permissions(entry.workspace_id, entry.principal_id, entry.previous)
                    how = "put " + ",".join(entry.previous)
                self.ledger.restored(entry, how)
                logger.info("restored workspace %s (%s)", entry.workspace_id, how)
                return
            except LedgerError as e:
                # The restore itself happened; only its record is missing: the next run finds it already restored.
                logger.warning("workspace %s restored, but %s", entry.workspace_id, e)
                return
            except Exception as e:  # the SDK ends its retries with a plain TimeoutError, not an API error
                last = e
                time.sleep(max(self.backoff_s, 0.0) * 2**attempt)  # back-off between attempts, not synchronisation
        raise RestoreError(
            f"could not restore the collector's assignment on workspace {entry.workspace_id} "
            f"(previous: {entry.previous or 'none'}): {describe(last) if last else 'unknown'}; "
            "the elevation ledger keeps it and the next run repairs it"
        )

    def repair(self) -> list[Repair]:
        """Undo elevations that an earlier run left behind."""
        out = []
        for entry in self.ledger.open_entries():
            if not entry.readable:
                out.append(self._repair_unreadable(entry))
                continue
            try:
                current = next(
                    (g for g in self.api.grants(entry.workspace_id) or [] if g.principal.id == entry.principal_id),
                    None,
                )
                now = sorted(current.permissions) if current else None
                if now == sorted(entry.previous or []) or (now is None and entry.previous is None):
                    self.ledger.restored(entry, "found already restored")
                    out.append(Repair(entry.workspace_id, "already-restored"))
                elif now is not None and len(now) == 1 and now[0] in entry.set_to:  # what this elevation put there
                    self._restore(entry)
                    out.append(Repair(entry.workspace_id, "restored", f"previous: {entry.previous or 'none'}"))
                else:
                    self.ledger.restored(entry, f"left as found: {now}")
                    out.append(Repair(entry.workspace_id, "changed-by-someone-else", f"found {now}"))
            except Exception as e:  # one failed repair is reported; the run and the others go on
                out.append(Repair(entry.workspace_id, "failed", describe(e)))
        return out

    def _repair_unreadable(self, entry: LedgerEntry) -> Repair:
        """An elevate record cut short: the PUT it announced never happened (the PUT waits for the record), unless the
        storage damaged it later. Never guess a previous state: an ADMIN found there is left for a human."""
        try:
            current = next(
                (g for g in self.api.grants(entry.workspace_id) or [] if g.principal.id == entry.principal_id), None
            )
            if current is not None and "ADMIN" in current.permissions:
                return Repair(
                    entry.workspace_id,
                    "failed",
                    f"ledger record of principal {entry.principal_id} is unreadable and it is ADMIN there: check the "
                    "workspace's assignments by hand, then delete the record from the ledger",
                )
            self.ledger.restored(entry, "unreadable record; no elevation found")
            return Repair(entry.workspace_id, "already-restored", "unreadable record, no elevation found")
        except Exception as e:
            return Repair(entry.workspace_id, "failed", describe(e))
