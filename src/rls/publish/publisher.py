"""Publish one filtered view per workspace-scoped system table, idempotently and without losing grants.

Per view: new -> ``CREATE VIEW … TBLPROPERTIES (fingerprint) AS …``; definition changed -> ``ALTER VIEW … AS`` (never
CREATE OR REPLACE, which drops grants, tags and comments); same fingerprint -> no DDL at all. Grants and owner follow.
Views run on a bounded thread pool and one failing view never stops the others.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rls.config import RlsConfig
from rls.publish.discovery import Discovery, SystemTable, candidates, discover
from rls.publish.report import PublishReport, Status, ViewResult, first_line
from rls.publish.state import ExistingState, ExistingView, read_existing
from rls.publish.viewsql import (
    FINGERPRINT_PROPERTY,
    GRANTS_PROPERTY,
    VIEW_PREFIX,
    ViewDefinition,
    ViewSqlError,
    grants_fingerprint,
    view_name,
    view_sql,
)
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_name
from rls.tables import ADMINS

logger = logging.getLogger(__name__)


@dataclass
class _Outcome:
    result: ViewResult
    owner_applied: bool | None = None  # None: no OWNER TO was run for this view


class _Applier:
    """Runs the statements of one view; shared, read-only settings live here so worker threads need no globals."""

    def __init__(self, backend: SqlBackend, cfg: RlsConfig) -> None:
        self.backend = backend
        self.owner = cfg.publish.owner or cfg.collect.collector_application_id
        self.grants = sorted(set(cfg.publish.grant_select_to))
        self.grants_fp = grants_fingerprint(self.grants)

    def run(self, sql: str) -> bool:
        """Execute; True when the platform applied it (the local warehouse records GRANT/OWNER as not applicable)."""
        self.backend.execute(sql)
        for st in reversed(list(self.backend.statements)):  # shared by all threads: find this exact statement
            if st.sql == sql:
                return st.kind != "not_applicable"
        return True

    def statements(self, d: ViewDefinition, existing: ExistingView | None) -> list[str]:
        """The statements that bring ``d`` from ``existing`` to its configured state, in order ([] = unchanged)."""
        def_changed = existing is None or existing.fingerprint != d.fingerprint
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
                props[FINGERPRINT_PROPERTY] = d.fingerprint
            if grants_changed:
                props[GRANTS_PROPERTY] = self.grants_fp
        if grants_changed:  # GRANT is idempotent: re-granting an existing grant is a no-op
            out += [d.grant_sql(principal) for principal in self.grants]
        # Fingerprints after the body and the grants: if one of those fails, the old fingerprint stays and the next
        # run retries.
        if props:
            out.append(d.set_properties_sql(props))
        # Owner last: handing the view to another principal may take away our right to alter or grant.
        if self.owner:
            out.append(d.owner_sql(self.owner))
        return out

    def apply(self, d: ViewDefinition, existing: ExistingView | None) -> _Outcome:
        start = time.perf_counter()
        done = 0

        def outcome(status: Status, reason: str | None = None, owner_applied: bool | None = None) -> _Outcome:
            elapsed = time.perf_counter() - start
            return _Outcome(ViewResult(d.source.key, d.display, status, reason, elapsed, done), owner_applied)

        if existing is not None and not existing.is_view:
            return outcome("failed", "a table (not a view) has this name: left alone")
        applied = True
        try:
            sqls = self.statements(d, existing)
            for sql in sqls:
                done += 1
                applied = self.run(sql)
        except Exception as e:  # one view's failure is reported, never raised: the others go on
            logger.warning("view %s failed: %s", d.display, first_line(e))
            return outcome("failed", first_line(e))
        if not sqls:
            return outcome("unchanged")
        owner_applied = applied if self.owner else None  # the owner statement is the last one
        if existing is None:
            return outcome("created", None, owner_applied)
        reasons = []
        if existing.fingerprint != d.fingerprint:
            reasons.append(
                "definition changed" if existing.fingerprint else "adopted a view without an rls fingerprint"
            )
        if existing.grants_fingerprint != self.grants_fp:
            reasons.append("grants changed")
        return outcome("altered", "; ".join(reasons), owner_applied)

    def fix_owner(self, d: ViewDefinition, current: str) -> _Outcome:
        """OWNER TO for a view whose reported owner is not the configured one."""
        start = time.perf_counter()
        assert self.owner is not None
        try:
            applied = self.run(d.owner_sql(self.owner))
        except Exception as e:
            reason = f"owner is {current}; OWNER TO failed: {first_line(e)}"
            return _Outcome(ViewResult(d.source.key, d.display, "failed", reason, time.perf_counter() - start, 1))
        status = "altered" if applied else "unchanged"  # not applied: the platform has no ownership (local)
        reason = f"owner was {current}" if applied else None
        return _Outcome(ViewResult(d.source.key, d.display, status, reason, time.perf_counter() - start, 1), applied)


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
    planned, results = _plan(found, cfg)
    try:
        existing = read_existing(backend, cfg.catalog, cfg.schema)
        report.existing_read = existing.method
        if not existing.schema_exists:
            backend.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(cfg.catalog, cfg.schema)}")
    except Exception as e:
        report.error = f"cannot read or create schema {cfg.catalog}.{cfg.schema}: {first_line(e)}"
    if report.error is None and planned and not _table_exists(backend, quote_name(*cfg.table(ADMINS))):
        # every view reads it (Spark and Databricks check at CREATE): say so once, not once per view
        report.error = f"{'.'.join(cfg.table(ADMINS))} does not exist: run the collector first"
    if report.error is not None:
        logger.error("%s", report.error)
        results += [ViewResult(d.source.key, d.display, "failed", report.error) for d in planned]
        return _finish(report, results, start)

    applier = _Applier(backend, cfg)
    done = itertools.count(1)

    def apply(d: Any) -> Any:
        outcome = applier.apply(d, existing.views.get(d.name[2].lower()))
        if progress:
            progress("views", next(done), len(planned))
        return outcome

    with ThreadPoolExecutor(max_workers=cfg.publish.parallelism, thread_name_prefix="rls-publish") as pool:
        outcomes = list(pool.map(apply, planned))
    results += _fix_owner_drift(applier, planned, outcomes, existing)
    if prune:
        results += _prune(backend, cfg, found.source, {t for t in found.tables if t.has_workspace_id}, existing)
    return _finish(report, results, start)


def _plan(found: Discovery, cfg: RlsConfig) -> tuple[list[ViewDefinition], list[ViewResult]]:
    """The views to publish, and a result for every table that gets none (skipped or failed before any SQL)."""
    planned: list[ViewDefinition] = []
    results: list[ViewResult] = []
    for c in candidates(found, cfg):
        if c.skip_reason:
            results.append(ViewResult(c.table.key, None, "skipped", c.skip_reason))
            continue
        try:
            planned.append(view_sql(cfg, c.table, access_level=c.access_level))
        except ViewSqlError as e:
            display = ".".join((cfg.catalog, cfg.schema, view_name(c.table.schema, c.table.table)))
            results.append(ViewResult(c.table.key, display[:300], "failed", str(e)))
    return _drop_collisions(planned, results), results


def _table_exists(backend: SqlBackend, full_name: str) -> bool:
    try:
        return backend.table_exists(full_name)
    except Exception as e:  # cannot tell (permissions, catalog API): let CREATE VIEW say what is wrong
        logger.info("cannot check that %s exists: %s", full_name, first_line(e))
        return True


def _drop_collisions(planned: list[ViewDefinition], results: list[ViewResult]) -> list[ViewDefinition]:
    """`a_b.c` and `a.b_c` both map to vw_system_a_b_c: neither may win silently, so both fail."""
    by_name: dict[str, list[ViewDefinition]] = {}
    for d in planned:
        by_name.setdefault(d.name[2].lower(), []).append(d)
    keep = []
    for ds in by_name.values():
        if len(ds) == 1:
            keep.append(ds[0])
            continue
        sources = ", ".join(d.source.key for d in ds)
        results += [ViewResult(d.source.key, d.display, "failed", f"view name shared by {sources}") for d in ds]
    return keep


def _fix_owner_drift(
    applier: _Applier, planned: list[ViewDefinition], outcomes: list[_Outcome], existing: ExistingState
) -> list[ViewResult]:
    """Unchanged views whose owner (where the platform reports one) is not the configured owner get OWNER TO.

    Sequential and stopped at the first statement the platform does not apply (the local warehouse), so a platform
    without ownership costs one recorded no-op per run instead of one per view."""
    # Known from this run's OWNER TO statements, if any. (*unverified*: that Databricks' SHOW TABLE EXTENDED reports
    # the owner as OWNER TO was given it, e.g. a service principal by application id; if it did not, every run would
    # re-issue OWNER TO, which is harmless but shows as "altered".)
    ran = [o.owner_applied for o in outcomes if o.owner_applied is not None]
    supported = any(ran) if ran else None
    out = []
    for d, o in zip(planned, outcomes, strict=True):
        ex = existing.views.get(d.name[2].lower())
        owner = applier.owner
        if (
            o.result.status == "unchanged"
            and supported is not False
            and owner
            and ex is not None
            and ex.owner is not None
            and ex.owner.lower() != owner.lower()
        ):
            o = applier.fix_owner(d, ex.owner)
            if o.owner_applied is not None:
                supported = o.owner_applied
        out.append(o.result)
    return out


def _prune(
    backend: SqlBackend, cfg: RlsConfig, discovered_from: str, filterable: set[SystemTable], existing: ExistingState
) -> list[ViewResult]:
    """Drop our views (fingerprinted, vw_system_*) whose source table is gone or lost its workspace_id."""
    if discovered_from != "information_schema" or not filterable:
        # with the static list we do not know which tables exist: dropping on a guess could remove live views
        logger.warning("prune skipped: the system tables were not discovered from information_schema")
        return []
    keep = {view_name(t.schema, t.table).lower() for t in filterable}
    out = []
    for key, ex in sorted(existing.views.items()):
        if not key.startswith(VIEW_PREFIX) or key in keep or ex.fingerprint is None or not ex.is_view:
            continue
        start = time.perf_counter()
        display = f"{cfg.catalog}.{cfg.schema}.{ex.name}"
        try:
            backend.execute(f"DROP VIEW IF EXISTS {quote_name(cfg.catalog, cfg.schema, ex.name)}")
            out.append(ViewResult(None, display, "dropped", "source table is gone", time.perf_counter() - start, 1))
        except Exception as e:
            out.append(ViewResult(None, display, "failed", f"prune: {first_line(e)}", time.perf_counter() - start, 1))
    return out


def _finish(report: PublishReport, results: list[ViewResult], start: float) -> PublishReport:
    report.results = sorted(results, key=lambda r: (r.source or "~", r.view or ""))
    report.seconds = time.perf_counter() - start
    logger.info("published %s.%s in %.2fs: %s", report.catalog, report.schema, report.seconds, report.counts)
    return report
