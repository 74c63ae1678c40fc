"""Step 1: read every workspace's admins and users and write them as one snapshot.

Order of work: take the elevation ledger's lease and repair earlier elevations (:mod:`rls.collect.leftovers`);
account-wide reads (workspaces, the collector's own identity) — a failure
there stops the run before anything is written; per-workspace reads in parallel (assignments, federation,
workspace-level data where the collector already is a member), with the user and group listings in the background;
elevations (``USER``, ``ADMIN`` only where USER is proven not enough; at most ``elevation_concurrency`` open, 4 by
default) for the federated workspaces where it is no member (:mod:`rls.collect.workspace_reads`), overlapping with
the group fetches; then the ways in of each workspace, last-known-good ones for what could
not be collected, the circuit breaker, and the write: the driver writes what the API answered (ways in, direct group
members) and the SQL engine expands the reporting tables from it (:mod:`rls.tables.expand`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import socket
import uuid
from collections.abc import Callable

from databricks.sdk.errors import PermissionDenied

from rls import tables
from rls.collect import leftovers
from rls.collect.account_api import AccountApi
from rls.collect.account_groups import GroupMembers
from rls.collect.catalogs import read_catalogs
from rls.collect.elevation import Elevator, Ledger, LedgerError
from rls.collect.lease import Lease
from rls.collect.report import CollectReport
from rls.collect.rows import build_snapshot
from rls.collect.workspace_reads import WorkspaceReads, WorkspaceState
from rls.config import RlsConfig
from rls.errors import explain as one_line_error
from rls.model.access import WorkspaceInfo
from rls.model.directory import SERVICE_PRINCIPAL, Directory, MemberRef
from rls.parallel import Crawl, describe, gather
from rls.runoptions import DEFAULTS, RunOptions
from rls.sql import SqlBackend
from rls.tables.snapshot import SnapshotStore

logger = logging.getLogger(__name__)


class Collector:
    def __init__(
        self,
        backend: SqlBackend,
        cfg: RlsConfig,
        api: AccountApi,
        ledger: Ledger,
        options: RunOptions = DEFAULTS,
    ) -> None:
        self.cfg = cfg
        self.api = api
        self.store = SnapshotStore(backend, cfg)
        self.ledger = ledger
        self.dry_run = options.dry_run
        self.force = options.force
        self.progress = options.progress or (lambda phase, done, total: None)
        self.directory = Directory()
        self.failed_groups: dict[str, str] = {}  # group id -> why its members could not be read
        self.collector_app_id = ""
        run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        self.report = CollectReport(run_id, dt.datetime.now(dt.UTC), dry_run=options.dry_run, forced=options.force)
        who = cfg.collect.collector_application_id or "the collector"
        holder = f"{who} on {socket.gethostname()} pid {os.getpid()}"
        self.lease = Lease(ledger, run_id, holder, cfg.collect.lease_ttl_s)
        self.unrepaired: set[int] = set()  # where an earlier run's elevation is still open after the repair

    @property
    def _backoff(self) -> float:
        return self.cfg.collect.restore_backoff_s

    @property
    def run_id(self) -> str:
        return self.report.run_id

    def run(self) -> CollectReport:
        self._run_row_written = False
        try:
            if self.dry_run or leftovers.take_lease(self.lease, self.cfg.collect, self.report):
                try:
                    with self.lease.kept():
                        self._run()
                finally:
                    self.lease.release()
        finally:
            self.report.ended_at = dt.datetime.now(dt.UTC)
            self.report.api_calls_by_family = dict(self.api.clients.limiter.stats.by_family)
        if self.report.outcome in ("failed", "busy") and not self.dry_run and not self._run_row_written:
            self._record_failed_run()
        return self.report

    def _record_failed_run(self) -> None:
        """A run that failed before writing still leaves its row: the run table tells what happened every day."""
        try:
            self.store.ensure_schema()
            self.store.append_run(self.report.to_run_row())
        except Exception as e:  # the report already says why the run failed; this is secondary
            logger.warning("could not record the failed run in %s: %s", tables.RUNS, one_line_error(e))

    def _run(self) -> None:
        repairer = Elevator(self.api, self.ledger, MemberRef(SERVICE_PRINCIPAL, ""), self.run_id, self._backoff)
        try:
            self.unrepaired = leftovers.repair(repairer, self.ledger, self.report, self.dry_run)
        except LedgerError as e:  # the lease was written, then the ledger could not be listed or written
            self.report.aborted = True
            self.report.errors.append(f"{e}: the run stops before any elevation (nothing was written)")
            return
        # Account-wide reads first: a failure there stops the run before anything is written. Only the workspace
        # list and the collector's own identity gate the per-workspace work; the (long, paged) user and group
        # listings go on in the background, since only the rows computed at the end need them.
        background: Crawl[str, None] = Crawl(lambda _: self._read_users_and_groups(), 1, name="rls-background")
        try:
            workspaces = self.api.workspaces()
            self.directory.service_principals = {p.id: p for p in self.api.service_principals()}
            collector = self._collector_ref()
            background.add(["users and groups"])
            running = [WorkspaceState(w) for w in workspaces if w.status == "RUNNING"]
            self._read_workspaces(running, collector)
            leftovers.never_collect(running, collector, self.unrepaired, self.report)
            for e in background.join()[1].values():
                raise e
            if self.cfg.collect.collect_catalogs:
                read_catalogs(self.api, running, collector, self.report.notes)
        except PermissionDenied as e:  # every call that can raise it here is an account API call
            self.report.aborted = True
            self.report.errors.append(
                f"the collector is not an account admin ({describe(e).split('. Config:')[0]}): "
                "grant its service principal the account admin role"
            )
            return
        except Exception as e:
            self.report.aborted = True
            self.report.errors.append(one_line_error(e))
            return
        finally:
            background.close(cancel=True)
        try:
            self._publish(workspaces, running)
        except Exception as e:
            # Rows are checked before the first write (SqlBackend.save_tables), so a value the tables cannot hold
            # changes nothing; only a storage failure between two table overwrites can leave them apart.
            self.report.aborted = True
            self.report.errors.append(f"snapshot not written: {one_line_error(e)}")

    def _read_workspaces(self, running: list[WorkspaceState], collector: MemberRef) -> None:
        """Every workspace's reads, and the members of the groups assigned anywhere or sitting in an `admins` group."""
        # Endpoint families have separate limits, so the phases overlap: elevations (write-bound) start as soon as a
        # workspace turns out to need one, and a group's members are fetched (SCIM GETs, the floor's family) as soon
        # as a workspace names the group, while other workspaces are still read.
        elevator = Elevator(self.api, self.ledger, collector, self.run_id, self._backoff, self.lease)
        reads = WorkspaceReads(self.api, self.cfg, self.report, collector, self.collector_app_id, elevator)
        groups = GroupMembers(self.api.group_members, self.cfg.collect.workspace_concurrency)
        by_id = {w.info.workspace_id: w for w in running}
        queued: dict[int, tuple[str, str]] = {}  # workspace -> (level, why) of the elevation its read needs
        finished = itertools.count(1)

        def elevated_read(wid: int) -> None:
            reads.elevate_and_read(by_id[wid], *queued[wid])
            groups.named_by(by_id[wid])  # only once the read succeeded: a failed one names no group

        def elevate(w: WorkspaceState, level: str, why: str) -> None:
            queued[w.info.workspace_id] = (level, why)
            elevations.add([w.info.workspace_id])

        def read(w: WorkspaceState) -> None:
            reads.read(w, elevate)
            if w.info.workspace_id not in queued:
                groups.named_by(w)

        # At most elevation_concurrency elevations are open at any moment (the crawl's workers).
        elevations: Crawl[int, None] = Crawl(
            elevated_read,
            self.cfg.collect.elevation_concurrency,
            name="rls-elevate",
            on_done=lambda _: self.progress("elevated reads", next(finished), len(queued)),
        )
        with groups, elevations:
            self._fan_out("workspaces", read, running)
            _, failed_reads = elevations.join()
            for wid, e in failed_reads.items():  # these workspaces fail, the others go on
                by_id[wid].error = describe(e)
            members, failed = groups.settle(running)
        self.directory.members.update(members)
        self.failed_groups.update(failed)

    # ---- phases ---------------------------------------------------------------------------------------------------
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
        self.collector_app_id = app_id
        me = self.directory.by_identity(app_id)
        if me is None and not self.directory.users:  # not a service principal: a user (a local run, say)
            self.directory.users = {p.id: p for p in self.api.users()}
            me = self.directory.by_identity(app_id)
        if me is None:
            raise ValueError(f"collector {app_id} is not a user or service principal of this account")
        return MemberRef(me.kind, me.id)

    def _fan_out(
        self, phase: str, fn: Callable[[WorkspaceState], None], items: list[WorkspaceState], workers: int | None = None
    ) -> None:
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
    def _publish(self, workspaces: list[WorkspaceInfo], running: list[WorkspaceState]) -> None:
        calls = self.api.clients.limiter.stats.by_workspace
        snapshot = build_snapshot(self.run_id, self.directory, calls, workspaces, running, self.failed_groups)
        self.report.workspaces = snapshot.runs
        self.report.notes.extend(snapshot.notes)  # local groups not resolved: reported, never fatal
        if self.dry_run:
            self.report.admin_rows = snapshot.admin_ways
            return
        self.store.ensure_schema()
        kept = self.store.previous({r.workspace_id for r in snapshot.runs if r.outcome != "collected"}, self.directory)
        access_map = snapshot.access_map + kept[tables.ACCESS_MAP]
        # The breaker counts ways in (the rows the views read), not members: a group emptied by a SCIM glitch no
        # longer changes what the views show (membership is the platform's, live), so it cannot hide a real drop.
        self.report.admin_rows = sum(1 for r in access_map if r.permission == "ADMIN")
        self.report.previous_admin_rows = self.store.admin_ways()
        prev = self.report.previous_admin_rows
        admins = self.report.admin_rows
        if prev and admins < prev * (1 - self.cfg.collect.max_admin_drop) and not self.force:
            self.report.refused = True
            self.report.errors.append(
                f"circuit breaker: admin assignments dropped from {prev} to {admins} "
                f"(more than {self.cfg.collect.max_admin_drop:.0%}); nothing published — check the account, "
                "then rerun with --force if the drop is real"
            )
        else:
            expanded = self.store.write(
                access_map, snapshot.perms + kept[tables.PERMS], snapshot.edges, snapshot.principals, self.run_id
            )
            self.report.expanded_admin_rows = expanded.admin_rows
        self.report.workspaces = snapshot.mark_kept(kept)
        self.report.ended_at = dt.datetime.now(dt.UTC)
        self.report.api_calls_by_family = dict(self.api.clients.limiter.stats.by_family)
        self.store.append_run(self.report.to_run_row())
        self._run_row_written = True
