"""Dropping our views whose source table is gone or lost its ``workspace_id`` (``publish.prune``)."""

from __future__ import annotations

import logging
import time

from rls.config import RlsConfig
from rls.publish.discovery import SystemTable
from rls.publish.report import ViewResult, first_line
from rls.publish.state import ExistingState
from rls.publish.viewsql import VIEW_PREFIX, view_name
from rls.sql.backend import SqlBackend
from rls.target import Target

logger = logging.getLogger(__name__)


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


def prune_views(
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
