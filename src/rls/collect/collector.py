"""Step 1: read every workspace's admins and users and write them as one snapshot.

Order of work: repair earlier elevations; account-wide reads (workspaces, the collector's own identity) — a failure
there stops the run before anything is written; per-workspace reads in parallel (assignments, federation,
workspace-level data where the collector already is admin), with the user and group listings in the background;
elevations, one workspace at a time by default, for the workspaces that answered "permission denied", overlapping
with the group fetches and the flattening of memberships; then compute, keep last-known-good rows for what could
not be collected, check the circuit breaker and write.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from databricks.sdk.errors import PermissionDenied

from rls import tables
from rls.collect.account_api import AccountApi
from rls.collect.elevation import Elevator, Ledger, RestoreError
from rls.collect.report import CollectReport
from rls.collect.rows import Memberships, build_snapshot
from rls.collect.snapshot import SnapshotStore
from rls.config import RlsConfig
from rls.errors import explain as one_line_error
from rls.model.access import Grant, WorkspaceInfo
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, Directory, MemberRef
from rls.model.memberships import reachable_groups
from rls.parallel import describe, gather
from rls.sql import SqlBackend

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class _Ws:
    info: WorkspaceInfo
    grants: list[Grant] = field(default_factory=list)
    federated: bool = True
    local_admins: list[MemberRef] | None = None
    catalogs: list[tuple[str, str | None]] = field(default_factory=list)
    elevated: bool = False
    would_elevate: bool = False  # dry run: elevation needed, so workspace-level data was not read
    error: str | None = None


class Collector:
    def __init__(
        self,
        backend: SqlBackend,
        cfg: RlsConfig,
        api: AccountApi,
        ledger: Ledger,
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.cfg = cfg
        self.api = api
        self.store = SnapshotStore(backend, cfg)
        self.ledger = ledger
        self.dry_run = dry_run
        self.force = force
        self.progress = progress or (lambda phase, done, total: None)
        self.directory = Directory()
        self.failed_groups: dict[str, str] = {}  # group id -> why its members could not be read
        run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        self.report = CollectReport(run_id, dt.datetime.now(dt.UTC), dry_run=dry_run, forced=force)

    @property
    def _backoff(self) -> float:
        return self.cfg.collect.restore_backoff_s

    @property
    def run_id(self) -> str:
        return self.report.run_id

    def run(self) -> CollectReport:
        try:
            self._run()
        finally:
            self.report.ended_at = dt.datetime.now(dt.UTC)
            self.report.api_calls_by_family = dict(self.api.clients.limiter.stats.by_family)
        return self.report

    def _run(self) -> None:
        self._repair()
        # Account-wide reads first: a failure there stops the run before anything is written. Only the workspace
        # list and the collector's own identity gate the per-workspace work; the (long, paged) user and group
        # listings go on in the background, since only the rows computed at the end need them.
        background = ThreadPoolExecutor(1, thread_name_prefix="rls-background")
        try:
            workspaces = self.api.workspaces()
            self.directory.service_principals = {p.id: p for p in self.api.service_principals()}
            collector = self._collector_ref()
            directory = background.submit(self._read_users_and_groups)
            running = [_Ws(w) for w in workspaces if w.status == "RUNNING"]
            memberships = self._read_workspaces(running, collector, background)
            directory.result()
        except PermissionDenied as e:  # every call that can raise it here is an account API call
            self.report.errors.append(
                f"the collector is not an account admin ({describe(e).split('. Config:')[0]}): "
                "grant its service principal the account admin role"
            )
            return
        except Exception as e:
            self.report.errors.append(one_line_error(e))
            return
        finally:
            background.shutdown(wait=True, cancel_futures=True)
        self._fetch_groups({m.id for w in running if not w.error for m in w.local_admins or [] if m.kind == GROUP})
        memberships.add(set(self.directory.members))
        self._publish(workspaces, running, collector, memberships)

    def _read_workspaces(self, running: list[_Ws], collector: MemberRef, background: ThreadPoolExecutor) -> Memberships:
        """Every workspace's reads; returns the memberships of the groups assigned anywhere, flattened."""
        # Endpoint families have separate limits, so the phases overlap: elevations (write-bound) start as soon as a
        # workspace turns out to need one, while other workspaces are still read and groups are being fetched.
        elevator = Elevator(self.api, self.ledger, collector, self.run_id, self._backoff)
        with ThreadPoolExecutor(self.cfg.collect.elevation_concurrency, thread_name_prefix="rls-elevate") as pool:
            pending: dict[int, Future[None]] = {}

            def read(w: _Ws) -> None:
                self._read_workspace(w, collector, elevator, pool, pending)

            self._fan_out("workspaces", read, running)
            self._fetch_groups(
                {g.principal.id for w in running if not w.error for g in w.grants if g.principal.kind == GROUP}
            )
            # Flattening is CPU work on what has been fetched so far: done while the elevations wait on the API.
            memberships = Memberships(self.directory, self.run_id)
            flattened = background.submit(memberships.add, set(self.directory.members))
            by_id = {w.info.workspace_id: w for w in running}
            for i, (wid, fut) in enumerate(pending.items()):
                try:
                    fut.result()
                except Exception as e:  # this workspace fails, the others go on
                    by_id[wid].error = describe(e)
                self.progress("elevated reads", i + 1, len(pending))
        flattened.result()
        return memberships

    # ---- phases ---------------------------------------------------------------------------------------------------
    def _repair(self) -> None:
        if self.dry_run:
            self.report.repaired = [f"would repair workspace {e.workspace_id}" for e in self.ledger.open_entries()]
            return
        elevator = Elevator(self.api, self.ledger, MemberRef(SERVICE_PRINCIPAL, ""), self.run_id, self._backoff)
        for r in elevator.repair():
            line = f"workspace {r.workspace_id}: {r.outcome}" + (f" ({r.detail})" if r.detail else "")
            (self.report.unrestored if r.outcome == "failed" else self.report.repaired).append(line)

    def _read_users_and_groups(self) -> None:
        if not self.directory.users:
            self.directory.users = {p.id: p for p in self.api.users()}
        self.directory.groups = {p.id: p for p in self.api.groups()}

    def _collector_ref(self) -> MemberRef:
        app_id = self.cfg.collect.collector_application_id or self.api.clients.client_id
        if not app_id:
            raise ValueError(
                "collector identity unknown: set collect.collector_application_id (the SP's application id)"
            )
        me = self.directory.by_identity(app_id)
        if me is None and not self.directory.users:  # not a service principal: a user (a local run, say)
            self.directory.users = {p.id: p for p in self.api.users()}
            me = self.directory.by_identity(app_id)
        if me is None:
            raise ValueError(f"collector {app_id} is not a user or service principal of this account")
        return MemberRef(me.kind, me.id)

    def _fetch_groups(self, roots: set[str]) -> None:
        """Fetch members of every group reachable from ``roots`` (only those matter for access), level by level."""
        failed: dict[str, str] = {}
        while True:
            todo = reachable_groups(roots, self.directory.members) - set(self.directory.members) - set(failed)
            if not todo:
                break
            results, errors = gather(self.api.group_members, todo, self.cfg.collect.workspace_concurrency)
            self.directory.members.update(results)
            failed.update({g: describe(e) for g, e in errors.items()})
        self.failed_groups.update(failed)

    def _read_workspace(
        self, w: _Ws, collector: MemberRef, elevator: Elevator, pool: ThreadPoolExecutor, pending: dict
    ) -> None:
        """Assignments, federation, then workspace-level data: as the collector if it already is workspace admin
        (the workspace answers; whichever way it is admin), else queued for an elevation."""
        w.grants = self.api.grants(w.info.workspace_id)
        w.federated = self.api.is_identity_federated(w.info.workspace_id)
        if w.federated and not self.cfg.collect.collect_catalogs:
            return  # no workspace-level data needed: never elevate here
        try:
            self._read_one(w)
        except PermissionDenied:
            if self.dry_run:
                w.would_elevate = True
                self.report.elevations.append(w.info.workspace_id)
            else:
                # Default concurrency 1: at most one elevation is open at any moment.
                pending[w.info.workspace_id] = pool.submit(self._elevate_and_read, w, collector, elevator)

    def _elevate_and_read(self, w: _Ws, collector: MemberRef, elevator: Elevator) -> None:
        if self.report.unrestored:  # stop elevating anywhere once one elevation could not be undone
            raise RuntimeError("not collected: an earlier elevation could not be undone")
        previous = next((g for g in w.grants if g.principal == collector), None)
        try:
            with elevator.elevated(w.info.workspace_id, previous):
                w.elevated = True
                self.report.elevations.append(w.info.workspace_id)
                self._read_one(w)
        except RestoreError as e:
            self.report.unrestored.append(str(e))
            raise

    def _read_one(self, w: _Ws) -> None:
        if not w.federated:
            w.local_admins = self.api.local_admins(w.info)
        if self.cfg.collect.collect_catalogs and w.federated:
            w.catalogs = self.api.catalogs(w.info)

    def _fan_out(self, phase: str, fn: Callable[[_Ws], None], items: list[_Ws], workers: int | None = None) -> None:
        done = 0

        def tick(_: int) -> None:
            nonlocal done
            done += 1
            self.progress(phase, done, len(items))

        by_id = {w.info.workspace_id: w for w in items}
        workers = workers or self.cfg.collect.workspace_concurrency
        _, errors = gather(lambda wid: fn(by_id[wid]), by_id, workers, tick)
        for wid, e in errors.items():
            by_id[wid].error = describe(e)

    # ---- compute and write ----------------------------------------------------------------------------------------
    def _publish(
        self, workspaces: list[WorkspaceInfo], running: list[_Ws], collector: MemberRef, memberships: Memberships
    ) -> None:
        snapshot = build_snapshot(self, workspaces, running, collector, self.failed_groups, memberships)
        memberships.release()
        self.report.workspaces = snapshot.runs
        if self.dry_run:
            self.report.admin_rows = len(snapshot.admins)
            return
        self.store.ensure_schema()
        kept = self.store.previous({r.workspace_id for r in snapshot.runs if r.outcome != "collected"})
        admins = snapshot.admins + kept[tables.ADMINS]
        self.report.admin_rows = len(admins)
        self.report.previous_admin_rows = self.store.admin_row_count()
        prev = self.report.previous_admin_rows
        if prev and len(admins) < prev * (1 - self.cfg.collect.max_admin_drop) and not self.force:
            self.report.refused = True
            self.report.errors.append(
                f"circuit breaker: admin rows dropped from {prev} to {len(admins)} "
                f"(more than {self.cfg.collect.max_admin_drop:.0%}); nothing published — check the account, "
                "then rerun with --force if the drop is real"
            )
        else:
            self.store.write(
                admins, snapshot.users + kept[tables.USERS], snapshot.perms + kept[tables.PERMS], snapshot.members
            )
        self.report.workspaces = snapshot.mark_kept(kept)
        self.report.ended_at = dt.datetime.now(dt.UTC)
        self.report.api_calls_by_family = dict(self.api.clients.limiter.stats.by_family)
        self.store.append_run(self.report.to_run_row())
