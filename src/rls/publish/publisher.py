"""Publish one filtered view per workspace-scoped system table, idempotently and without losing grants.

Per view: new -> ``CREATE VIEW … TBLPROPERTIES (fingerprint) AS …``; definition changed, or the stored body is not the
generated one (``ALTER VIEW … AS`` by hand keeps the fingerprint property) -> ``ALTER VIEW … AS`` (never CREATE OR
REPLACE, which drops grants, tags and comments); otherwise no DDL at all. Grants follow, the owner last.

Owner rules (facts sheet: ``OWNER TO p`` needs metastore admin unless ``p`` is yourself or a group you belong to):
the intended owner is ``publish.owner``, else the identity the job runs as — the creator, which owns what it creates,
so no ``OWNER TO`` is ever needed by default: in ``prod`` the job runs as the service principal and its views are
the SP's; in ``dev`` they are the deploying user's, without error. ``OWNER TO`` runs only when the view's owner is
known to differ from the intended one; a refusal is reported on that view (``owner_note``) without marking its body
as failed. Views run on a bounded thread pool and one failing view never stops the others.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rls.config import RlsConfig
from rls.publish.discovery import SystemTable, discover
from rls.publish.plan import body_matches, plan
from rls.publish.report import PublishReport, Status, ViewResult, first_line
from rls.publish.selfservice import INVOKER
from rls.publish.sharing import ShareGrantRefused, mount_source, share_collected_tables
from rls.publish.state import ExistingState, ExistingView, read_existing
from rls.publish.system_access import undiscovered, unreadable_schemas
from rls.publish.viewsql import (
    FINGERPRINT_PROPERTY,
    GRANTS_PROPERTY,
    VIEW_PREFIX,
    ViewDefinition,
    grants_fingerprint,
    view_name,
)
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_name
from rls.tables import ACCESS_MAP
from rls.target import Target

logger = logging.getLogger(__name__)


def job_identity(backend: SqlBackend) -> str:
    """Who the job runs as: what ``session_user()`` returns in its session (an SP's application id), the same
    function the views compare with (:data:`rls.publish.selfservice.INVOKER`)."""
    return str(backend.fetch(f"SELECT {INVOKER} AS u")[0]["u"])


class _Applier:
    """Runs the statements of one view; shared, read-only settings live here so worker threads need no globals."""

    def __init__(self, backend: SqlBackend, cfg: RlsConfig, identity: str) -> None:
        self.backend = backend
        self.identity = identity
        self.owner = cfg.publish.owner or identity
        self.grants = sorted(set(cfg.publish.grant_select_to))
        self.grants_fp = grants_fingerprint(self.grants)

    def body_changed(self, d: ViewDefinition, existing: ExistingView | None) -> bool:
        return existing is not None and body_matches(self.backend, d.query, existing.text) is False

    def statements(self, d: ViewDefinition, existing: ExistingView | None) -> list[str]:
        """The statements that bring ``d``'s body, grants and properties from ``existing`` to its configured state,
        in order ([] = unchanged). The owner is :meth:`owner_statement`'s."""
        def_changed = existing is None or existing.fingerprint != d.fingerprint or self.body_changed(d, existing)
        grants_changed = existing is None or existing.grants_fingerprint != self.grants_fp
        if not def_changed and not grants_changed:
            return []
        out: list[str] = []
        props: dict[str, str] = {}
        if existing is None:
            # with no grants to run, the grants fingerprint can go in with the CREATE (one statement less)
            out.append(d.create_sql({} if self.grants else {GRANTS_PROPERTY: self.grants_fp}))
            if self.grants:
                props[GRANTS_PROPERTY] = self.grants_fp
        else:
            if def_changed:
                out.append(d.alter_sql())
                if existing.fingerprint != d.fingerprint:
                    props[FINGERPRINT_PROPERTY] = d.fingerprint
            if grants_changed:
                props[GRANTS_PROPERTY] = self.grants_fp
        if grants_changed:  # GRANT is idempotent: re-granting an existing grant is a no-op
            out += [d.grant_sql(principal) for principal in self.grants]
        # Fingerprints after the body and the grants: if one of those fails, the old fingerprint stays and the next
        # run retries.
        if props:
            out.append(d.set_properties_sql(props))
        return out

    def current_owner(self, existing: ExistingView | None) -> str | None:
        return self.identity if existing is None else existing.owner

    def owner_statement(self, d: ViewDefinition, existing: ExistingView | None) -> str | None:
        """``OWNER TO`` only when the view's owner is known to differ (the creator owns a new view), or is unknown
        while the intended owner is not the job's own identity."""
        current = self.current_owner(existing)
        if current is not None and current.lower() == self.owner.lower():
            return None
        if current is None and self.owner.lower() == self.identity.lower():
            return None
        return d.owner_sql(self.owner)

    def apply(self, d: ViewDefinition, existing: ExistingView | None) -> ViewResult:
        start = time.perf_counter()
        done = 0

        def result(status: Status, reason: str | None = None, owner_note: str | None = None) -> ViewResult:
            return ViewResult(d.source.key, d.display, status, reason, time.perf_counter() - start, done, owner_note)

        if existing is not None and not existing.is_view:
            return result("failed", "a table (not a view) has this name: left alone")
        try:
            sqls = self.statements(d, existing)
            for sql in sqls:
                done += 1
                self.backend.execute(sql)
        except Exception as e:  # one view's failure is reported, never raised: the others go on
            logger.warning("view %s failed: %s", d.display, first_line(e))
            return result("failed", first_line(e))
        reasons = self.reasons(d, existing) if sqls else []
        owner_note = None
        owner_sql = self.owner_statement(d, existing)
        if owner_sql is not None:
            # Owner last: handing the view to another principal may take away our right to alter or grant.
            done += 1
            try:
                if self.backend.execute(owner_sql).applied and existing is not None:
                    reasons.append(f"owner was {self.current_owner(existing) or 'unknown'}")
            except Exception as e:  # the body is as generated: only the ownership is not what was configured
                owner_note = (
                    f"owner stays {self.current_owner(existing) or 'unknown'}: OWNER TO {self.owner} refused"
                    f" ({first_line(e)}); needs metastore admin unless the new owner is {self.identity} or a group"
                    " it belongs to"
                )
                logger.warning("view %s: %s", d.display, owner_note)
        if existing is None:
            return result("created", None, owner_note)
        if not reasons:
            return result("unchanged", None, owner_note)
        return result("altered", "; ".join(reasons), owner_note)

    def reasons(self, d: ViewDefinition, existing: ExistingView | None) -> list[str]:
        """Why ``existing`` is altered (what a publish reports, and what a dry run shows)."""
        if existing is None:
            return []
        reasons = []
        if existing.fingerprint != d.fingerprint:
            reasons.append(
                "definition changed" if existing.fingerprint else "adopted a view without an rls fingerprint"
            )
        elif self.body_changed(d, existing):
            reasons.append("body differed from the generated SQL (changed outside rls): restored")
        if existing.grants_fingerprint != self.grants_fp:
            reasons.append("grants changed")
        return reasons


def publish(
    backend: SqlBackend,
    cfg: RlsConfig,
    *,
    prune: bool | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> PublishReport:
    """Create or update every view; see the module docstring. ``prune`` overrides ``cfg.publish.prune``.

    ``progress(phase, done, total)`` is told after each view (the CLI draws a bar from it).
    """
    start = time.perf_counter()
    prune = cfg.publish.prune if prune is None else prune
    found = discover(backend, cfg)
    report = PublishReport(cfg.catalog, cfg.schema, found.source, found.error)
    the_plan = plan(found, cfg)
    planned, results = the_plan.views + the_plan.references, list(the_plan.results)
    try:
        existing = read_existing(backend, cfg.catalog, cfg.schema)
        report.existing_read = existing.method
        if not existing.schema_exists:
            Target.of(cfg).ensure_schema(backend)
    except Exception as e:
        report.error = f"cannot read or create schema {Target.of(cfg).display}: {first_line(e)}"
    access_map = cfg.collected_table(ACCESS_MAP)
    if report.error is None and cfg.reads_shared:
        report.error = _mount(backend, cfg, report, lambda: _table_exists(backend, quote_name(*access_map)))
    if report.error is None and planned and not _table_exists(backend, quote_name(*access_map)):
        # every view reads it (Spark and Databricks check at CREATE): say so once, not once per view
        where = "run the collector first" if not cfg.reads_shared else "has the home region collected and shared it?"
        report.error = f"{'.'.join(access_map)} does not exist: {where}"
    if report.error is not None:
        logger.error("%s", report.error)
        results += [ViewResult(d.source.key, d.display, "failed", report.error) for d in planned]
        return _finish(report, results, start)

    applier = _Applier(backend, cfg, job_identity(backend))
    # No implicit SELECT on `system` (metastore admins included): a schema the job cannot read is skipped, by one line
    sources = [d.source for d in planned] + undiscovered(found.tables, cfg)
    blocked = unreadable_schemas(backend, cfg.system_catalog, applier.identity, sources)
    report.missing_grants = [blocked[s] for s in sorted(blocked)]
    results += [ViewResult(d.source.key, d.display, "skipped", blocked[d.source.schema.lower()]) for d in planned
                if d.source.schema.lower() in blocked]  # fmt: skip
    planned = [d for d in planned if d.source.schema.lower() not in blocked]
    done = itertools.count(1)

    def apply(d: Any) -> Any:
        result = applier.apply(d, existing.views.get(d.name[2].lower()))
        if progress:
            progress("views", next(done), len(planned))
        return result

    with ThreadPoolExecutor(max_workers=cfg.publish.parallelism, thread_name_prefix="rls-publish") as pool:
        results += list(pool.map(apply, planned))
    if prune:
        results += _prune(backend, cfg, found.source, {t for t in found.tables if t.has_workspace_id}, existing)
    if cfg.sharing.recipients:
        # After this region's views: a share that cannot be updated must not hold them back (reported, exit 3).
        _share(backend, cfg, report, applier.identity)
    return _finish(report, results, start)


def _mount(backend: SqlBackend, cfg: RlsConfig, report: PublishReport, ready: Callable[[], bool]) -> str | None:
    """Another region (see :mod:`rls.publish.sharing`): the views read the home region's tables from its share."""
    try:
        mount_source(backend, cfg, ready)
    except Exception as e:
        return f"cannot mount the home region's share: {first_line(e)}"
    report.sharing = f"reads the collection of the home region from {cfg.sharing.source_catalog}"
    return None


def _share(backend: SqlBackend, cfg: RlsConfig, report: PublishReport, identity: str) -> None:
    """Home region: the collected tables are in the share, granted to every other region's metastore."""
    try:
        changed = share_collected_tables(backend, cfg, identity)
    except ShareGrantRefused as e:  # one line naming the fix, kept whole
        report.sharing_error = str(e)
        logger.error("%s", report.sharing_error)
        return
    except Exception as e:
        report.sharing_error = f"cannot share the collected tables ({cfg.sharing.share}): {first_line(e)}"
        logger.error("%s", report.sharing_error)
        return
    report.sharing = f"share {cfg.sharing.share} granted to {', '.join(sorted(cfg.sharing.recipients))}"
    report.sharing += f" ({'; '.join(changed)})" if changed else ""


def _table_exists(backend: SqlBackend, full_name: str) -> bool:
    try:
        return backend.table_exists(full_name)
    except Exception as e:  # cannot tell (permissions, catalog API): let CREATE VIEW say what is wrong
        logger.info("cannot check that %s exists: %s", full_name, first_line(e))
        return True


def prune_candidates(
    cfg: RlsConfig, discovered_from: str, filterable: set[SystemTable], existing: ExistingState
) -> list[tuple[str, str]]:
    """(display name, DROP statement) of our views (fingerprinted, vw_system_*) whose source table is gone or lost
    its workspace_id."""
    if discovered_from != "information_schema" or not filterable:
        # with the static list we do not know which tables exist: dropping on a guess could remove live views
        logger.warning("prune skipped: the system tables were not discovered from information_schema")
        return []
    keep = {view_name(t.schema, t.table).lower() for t in filterable}
    return [
        (f"{Target.of(cfg).display}.{ex.name}", f"DROP VIEW IF EXISTS {Target.of(cfg).name(ex.name)}")
        for key, ex in sorted(existing.views.items())
        if key.startswith(VIEW_PREFIX) and key not in keep and ex.fingerprint is not None and ex.is_view
    ]


def _prune(
    backend: SqlBackend, cfg: RlsConfig, discovered_from: str, filterable: set[SystemTable], existing: ExistingState
) -> list[ViewResult]:
    """Drop :func:`prune_candidates`."""
    out = []
    for display, sql in prune_candidates(cfg, discovered_from, filterable, existing):
        start = time.perf_counter()
        try:
            backend.execute(sql)
            out.append(ViewResult(None, display, "dropped", "source table is gone", time.perf_counter() - start, 1))
        except Exception as e:
            out.append(ViewResult(None, display, "failed", f"prune: {first_line(e)}", time.perf_counter() - start, 1))
    return out


def _finish(report: PublishReport, results: list[ViewResult], start: float) -> PublishReport:
    report.results = sorted(results, key=lambda r: (r.source or "~", r.view or ""))
    report.seconds = time.perf_counter() - start
    logger.info("published %s.%s in %.2fs: %s", report.catalog, report.schema, report.seconds, report.counts)
    return report
