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

from rls.config import RlsConfig
from rls.parallel import gather
from rls.publish.applier import Applier, job_identity
from rls.publish.discovery import discover
from rls.publish.plan import plan
from rls.publish.prune import prune_views
from rls.publish.report import PublishReport, ViewResult, first_line
from rls.publish.sharing import ShareGrantRefused, mount_source, share_collected_tables
from rls.publish.state import read_existing
from rls.publish.system_access import undiscovered, unreadable_schemas
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_name
from rls.tables import ACCESS_MAP
from rls.target import Target

logger = logging.getLogger(__name__)


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

    applier = Applier(backend, cfg, job_identity(backend))
    # No implicit SELECT on `system` (metastore admins included): a schema the job cannot read is skipped, by one line
    sources = [d.source for d in planned] + undiscovered(found.tables, cfg)
    blocked = unreadable_schemas(backend, cfg.system_catalog, applier.identity, sources)
    report.missing_grants = [blocked[s] for s in sorted(blocked)]
    results += [ViewResult(d.source.key, d.display, "skipped", blocked[d.source.schema.lower()]) for d in planned
                if d.source.schema.lower() in blocked]  # fmt: skip
    planned = [d for d in planned if d.source.schema.lower() not in blocked]
    done = itertools.count(1)

    def applied(_: int) -> None:
        if progress:
            progress("views", next(done), len(planned))

    # Applier.apply reports a failing view as its result (the others go on): nothing lands in the errors.
    views, _ = gather(
        lambda i: applier.apply(planned[i], existing.views.get(planned[i].name[2].lower())),
        range(len(planned)),
        cfg.publish.parallelism,
        applied,
    )
    results += [views[i] for i in sorted(views)]
    if prune:
        results += prune_views(backend, cfg, found.source, {t for t in found.tables if t.has_workspace_id}, existing)
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


def _finish(report: PublishReport, results: list[ViewResult], start: float) -> PublishReport:
    report.results = sorted(results, key=lambda r: (r.source or "~", r.view or ""))
    report.seconds = time.perf_counter() - start
    logger.info("published %s.%s in %.2fs: %s", report.catalog, report.schema, report.seconds, report.counts)
    return report
