"""Reading one workspace's `admins` group, with the least privilege that works.

The decision, per workspace (facts file "Corrections, round 2"):

1. Read as the collector. The SCIM ``List`` of groups carries members and is open to workspace **members**
   (terraform-provider-databricks PR #4995): where the collector already is a member (directly, through an account
   group, or through the workspace's ``admins`` group), that is the whole story: no elevation, no write.
2. Refused: :func:`rls.collect.refusals.classify` says what the refusal means. A 403, a 401 or a refusal at the
   workspace's token endpoint all mean "not a member"; a Private Link or IP access list refusal, a 5xx past the
   retries, an unknown error or a malformed body mean ``unreachable``: reported with the reason, never elevated.
3. Not a member of a federated workspace: elevate to ``USER`` (recorded in the ledger before the PUT, restored
   exactly), and read again while the assignment propagates. Not a member of a non-federated workspace: reported
   ``not-onboarded`` (the account cannot assign anyone there).
4. ``ADMIN`` only when the platform proves USER is not enough: the list came back without members and reading
   the group by id (admin-only) was refused. The ledger and the run report (``notes``) say why.

The collector (:mod:`rls.collect.collector`) fans this out over the running workspaces; elevations run on its
bounded pool, so at most ``elevation_concurrency`` are open at any moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from databricks.sdk.errors import PermissionDenied

from rls.collect.account_api import AccountApi, MembersHidden
from rls.collect.elevation import Elevation, Elevator, LedgerError, RestoreError
from rls.collect.refusals import classify
from rls.collect.report import CollectReport
from rls.collect.workspace_groups import LocalAdmins
from rls.config import RlsConfig
from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION, Grant, WorkspaceInfo
from rls.model.directory import GROUP, MemberRef

_RANK = {USER_PERMISSION: 1, ADMIN_PERMISSION: 2}


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
    unreachable: bool = False  # refused for a reason no assignment changes (network, 5xx, malformed answer)
    error: str | None = None

    def groups_named(self) -> set[str]:
        """The account groups its reads named: assigned to it, or members of its `admins` group."""
        assigned = {g.principal.id for g in self.grants if g.principal.kind == GROUP}
        return assigned | {m.id for m in self.local_admins or [] if m.kind == GROUP}


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
    ) -> None:
        self.api = api
        self.cfg = cfg
        self.report = report
        self.collector = collector
        self.collector_app_id = collector_app_id
        self.elevator = elevator
        self.ledger_error: str | None = None  # set when the ledger failed mid-run: no further elevation

    def read(self, w: WorkspaceState, elevate: Callable[[WorkspaceState, str, str], None]) -> None:
        """Assignments (None: not identity-federated), metastore, then the `admins` group: as the collector where it
        may read it, else through the least elevation that works (federated workspaces only: ``elevate(w, level,
        why)`` queues :meth:`elevate_and_read`), else reported."""
        wid = w.info.workspace_id
        grants = self.api.grants(wid)
        w.federated = grants is not None
        w.grants = grants or []
        if self.cfg.collect.collect_catalogs:
            w.metastore_id = self.api.metastore_of(wid)
        if w.federated and not self.cfg.collect.read_local_admins:
            return
        try:
            self._read_one(w)
            return
        except MembersHidden as e:  # a member, but the list hides members from non-admins
            level, why = ADMIN_PERMISSION, str(e)
        except Exception as e:  # every refusal or bad answer is classified; none escapes as "failed"
            refusal = classify(e, wid)
            if not refusal.may_elevate:
                w.unreachable, w.error = True, refusal.reason
                return
            if not w.federated:
                w.not_onboarded = True
                w.error = onboarding_step(self.collector_app_id)
                return
            level, why = USER_PERMISSION, f"{refusal.reason}: a USER assignment lets it list the workspace's groups"
        mine = next((g for g in w.grants if g.principal == self.collector), None)
        if mine is not None and _RANK[mine.level] >= _RANK[level]:
            # It already holds what an elevation would give: the denial is transient (or propagating).
            self._read_denied_retry(w, mine.level)
        elif self.report.dry_run:
            w.would_elevate = True
            self.report.elevations.append(wid)
            self.report.elevated_to[wid] = level
            self.report.notes.append(f"workspace {wid}: would elevate to {level}: {why}")
        else:
            elevate(w, level, why)

    def elevate_and_read(self, w: WorkspaceState, level: str, why: str) -> None:
        if self.report.unrestored:  # stop elevating anywhere once one elevation could not be undone
            raise RuntimeError("not collected: an earlier elevation could not be undone")
        if self.ledger_error:
            raise RuntimeError(f"not collected: needs an elevation and {self.ledger_error}")
        wid = w.info.workspace_id
        previous = next((g for g in w.grants if g.principal == self.collector), None)
        try:
            with self.elevator.elevated(wid, previous, level, why) as elevation:
                w.elevated = True
                self.report.elevations.append(wid)
                self._note(wid, level, why)
                self._read_elevated(w, elevation, level)
        except RestoreError as e:
            self.report.unrestored.append(str(e))
            raise
        except LedgerError as e:
            self.ledger_error = f"{e}: no further elevation in this run"
            raise
        # The elevation may have put the collector in the admins group; its temporary right is not recorded.
        w.local_admins = [m for m in w.local_admins or [] if m != self.collector]

    def _read_elevated(self, w: WorkspaceState, elevation: Elevation, level: str) -> None:
        try:
            self._read_denied_retry(w, level)
        except MembersHidden as e:
            if level == ADMIN_PERMISSION:
                raise
            # USER was not enough: the platform listed the groups without members and refused the read by id.
            elevation.raise_to(ADMIN_PERMISSION, str(e))
            self._note(w.info.workspace_id, ADMIN_PERMISSION, str(e))
            self._read_denied_retry(w, ADMIN_PERMISSION)

    def _note(self, wid: int, level: str, why: str) -> None:
        self.report.elevated_to[wid] = level
        self.report.notes.append(f"workspace {wid}: elevated to {level}: {why}")

    def _read_denied_retry(self, w: WorkspaceState, level: str) -> None:
        """Read, retrying a refusal with back-off within ``propagation_timeout_s``: a new assignment takes seconds to
        minutes to reach a workspace ("principal not in workspace" right after a PUT is a known report). At ADMIN a
        list without members is still propagation (the by-id read was refused); below it, it is final."""
        deadline = time.monotonic() + self.cfg.collect.propagation_timeout_s
        backoff = 0.25
        while True:
            try:
                self._read_one(w)
                return
            except Exception as e:
                hidden = isinstance(e, MembersHidden)
                if (hidden and level != ADMIN_PERMISSION) or not (hidden or classify(e, 0).may_elevate):
                    raise
                if time.monotonic() + backoff > deadline:
                    raise PermissionDenied(
                        f"still denied {self.cfg.collect.propagation_timeout_s:g}s after being assigned {level}: "
                        f"{classify(e, w.info.workspace_id).reason}"
                    ) from None
                time.sleep(backoff)  # back-off while the assignment propagates, not synchronisation
                backoff = min(backoff * 2, 8.0)

    def _read_one(self, w: WorkspaceState) -> None:
        members, w.local_groups = self.api.local_admins(w.info)
        # Principals assigned ADMIN through the account are in the admins group too; they are recorded as direct.
        assigned = {g.principal for g in w.grants if ADMIN_PERMISSION in g.permissions}
        w.local_admins = [m for m in members if m not in assigned]
