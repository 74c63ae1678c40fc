"""Reading one workspace's `admins` group: as the collector where it may, else through an elevation (federated
workspaces only, recorded in the ledger before the PUT and restored exactly), else reported not onboarded.

The collector (:mod:`rls.collect.collector`) fans this out over the running workspaces; elevations run on its
bounded pool, so at most ``elevation_concurrency`` are open at any moment.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from databricks.sdk.errors import PermissionDenied

from rls.collect.account_api import AccountApi
from rls.collect.elevation import Elevator, LedgerError, RestoreError
from rls.collect.local_groups import LocalAdmins
from rls.collect.report import CollectReport
from rls.config import RlsConfig
from rls.model.access import Grant, WorkspaceInfo
from rls.model.directory import MemberRef


@dataclass
class WorkspaceState:
    """What the collector learnt about one running workspace in this run."""

    info: WorkspaceInfo
    grants: list[Grant] = field(default_factory=list)
    federated: bool = True
    metastore_id: str | None = None
    local_admins: list[MemberRef] | None = None
    local_groups: LocalAdmins = field(default_factory=LocalAdmins)  # what local groups in `admins` add
    catalogs: list[tuple[str, str | None]] = field(default_factory=list)
    elevated: bool = False
    would_elevate: bool = False  # dry run: elevation needed, so workspace-level data was not read
    not_onboarded: bool = False  # not federated and the collector is not in its admins group: nothing to read
    error: str | None = None


def onboarding_step(app_id: str) -> str:
    """What a workspace admin of a workspace without identity federation does once, so the collector can read it."""
    return (
        "the workspace is not identity-federated, so the account cannot assign the collector there: a workspace "
        f"admin must add the service principal {app_id} to the workspace (Settings > Identity and access > Service "
        "principals > Add) and to its `admins` group (Groups > admins > Add members), once"
    )


class WorkspaceReads:
    """The per-workspace reads of one run; ``ledger_error`` set means no (further) elevation in this run."""

    def __init__(
        self,
        api: AccountApi,
        cfg: RlsConfig,
        report: CollectReport,
        collector: MemberRef,
        collector_app_id: str,
        elevator: Elevator,
        ledger_error: str | None = None,
    ) -> None:
        self.api = api
        self.cfg = cfg
        self.report = report
        self.collector = collector
        self.collector_app_id = collector_app_id
        self.elevator = elevator
        self.ledger_error = ledger_error

    def read(self, w: WorkspaceState, pool: ThreadPoolExecutor, pending: dict[int, Future[None]]) -> None:
        """Assignments (None: not identity-federated), metastore, then the `admins` group: as the collector where it
        may read it, else through an elevation (federated workspaces only), else reported not onboarded."""
        grants = self.api.grants(w.info.workspace_id)
        w.federated = grants is not None
        w.grants = grants or []
        if self.cfg.collect.collect_catalogs:
            w.metastore_id = self.api.metastore_of(w.info.workspace_id)
        if w.federated and not self.cfg.collect.read_local_admins:
            return
        try:
            self._read_one(w)
        except PermissionDenied:
            if not w.federated:
                w.not_onboarded = True
                w.error = onboarding_step(self.collector_app_id)
            elif any(g.principal == self.collector and "ADMIN" in g.permissions for g in w.grants):
                # Already ADMIN: a denial is transient (or propagating); an elevation would change nothing.
                self._read_denied_retry(w)
            elif self.report.dry_run:
                w.would_elevate = True
                self.report.elevations.append(w.info.workspace_id)
            else:
                # At most elevation_concurrency elevations are open at any moment (the pool's size).
                pending[w.info.workspace_id] = pool.submit(self._elevate_and_read, w)

    def _elevate_and_read(self, w: WorkspaceState) -> None:
        if self.report.unrestored:  # stop elevating anywhere once one elevation could not be undone
            raise RuntimeError("not collected: an earlier elevation could not be undone")
        if self.ledger_error:
            raise RuntimeError(f"not collected: needs an elevation and {self.ledger_error}")
        previous = next((g for g in w.grants if g.principal == self.collector), None)
        try:
            with self.elevator.elevated(w.info.workspace_id, previous):
                w.elevated = True
                self.report.elevations.append(w.info.workspace_id)
                self._read_denied_retry(w)
        except RestoreError as e:
            self.report.unrestored.append(str(e))
            raise
        except LedgerError as e:
            self.ledger_error = f"{e}: no further elevation in this run"
            raise
        # The elevation put the collector in the admins group; its temporary right is not recorded.
        w.local_admins = [m for m in w.local_admins or [] if m != self.collector]

    def _read_denied_retry(self, w: WorkspaceState) -> None:
        """Read, retrying a denial with back-off within ``propagation_timeout_s``: a new assignment takes seconds to
        minutes to reach a workspace ("principal not in workspace" right after a PUT is a known report)."""
        deadline = time.monotonic() + self.cfg.collect.propagation_timeout_s
        backoff = 0.25
        while True:
            try:
                self._read_one(w)
                return
            except PermissionDenied as e:
                if time.monotonic() + backoff > deadline:
                    raise PermissionDenied(
                        f"still denied {self.cfg.collect.propagation_timeout_s:g}s after being made admin: {e}"
                    ) from None
                time.sleep(backoff)  # back-off while the assignment propagates, not synchronisation
                backoff = min(backoff * 2, 8.0)

    def _read_one(self, w: WorkspaceState) -> None:
        members, w.local_groups = self.api.local_admins(w.info)
        # Principals assigned ADMIN through the account are in the admins group too; they are recorded as direct.
        assigned = {g.principal for g in w.grants if "ADMIN" in g.permissions}
        w.local_admins = [m for m in members if m not in assigned]
