"""`rls verify`: is the deployment in the state the tool promises? Read-only, every check runs, none stops the others.

Each check is a small function returning a :class:`Check` (``pass``, ``fail``, ``warn`` — said, does not fail the
run — or ``skipped`` with the reason). A check
that cannot read what it needs fails with the error: a verifier that passes because it could not look would be worse
than none. ``skipped`` is only for checks the platform cannot answer (open-source Spark has no owners and no
privilege tables) or that were not asked for, and says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rls.config import RlsConfig
from rls.publish.report import first_line
from rls.sql import SqlBackend
from rls.verify import collector_checks, grant_checks, view_checks
from rls.verify.collector_checks import COLLECTOR_TABLES
from rls.verify.deployment import Deployment
from rls.verify.report import Check, Result, Status, VerifyReport
from rls.verify.view_checks import DEFAULT_DASHBOARDS

__all__ = [
    "COLLECTOR_TABLES",
    "DEFAULT_DASHBOARDS",
    "DEFAULT_MAX_AGE_HOURS",
    "Check",
    "Status",
    "VerifyReport",
    "verify",
]

DEFAULT_MAX_AGE_HOURS = 26.0
"""A daily job plus its own duration and some slack: one missed run fails the check the next morning."""


# ---- entry point --------------------------------------------------------------------------------------------------
def verify(
    backend: SqlBackend,
    cfg: RlsConfig,
    *,
    ledger_path: str | Path | None,
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS,
    allowed_system_readers: Sequence[str] = (),
    dashboards: Sequence[Path] | None = None,
) -> VerifyReport:
    """Run every check (read-only) and return the report; ``exit_code`` is CHECK_FAILED when any check failed."""
    start = time.perf_counter()
    dep = Deployment(backend, cfg)
    boards = DEFAULT_DASHBOARDS if dashboards is None else dashboards
    checks: list[tuple[str, Callable[[], Result]]] = [
        ("collector_tables", lambda: collector_checks.collector_tables(dep)),
        ("collection_fresh", lambda: collector_checks.collection_fresh(dep, max_age_hours)),
        ("elevation_ledger", lambda: collector_checks.elevation_ledger(ledger_path)),
        ("access_rows_valid", lambda: collector_checks.access_rows_valid(dep)),
        ("admin_user_disjoint", lambda: collector_checks.admin_user_disjoint(dep)),
        ("views_exist", lambda: view_checks.views_exist(dep)),
        ("views_fingerprint", lambda: view_checks.views_fingerprint(dep)),
        ("views_definition", lambda: view_checks.views_definition(dep)),
        ("views_owner", lambda: view_checks.views_owner(dep)),
        ("view_sources", lambda: view_checks.view_sources(dep)),
        ("system_readers", lambda: view_checks.system_readers(dep)),
        ("no_unfilterable_views", lambda: view_checks.no_unfilterable_views(dep)),
        ("system_privileges", lambda: view_checks.system_privileges(dep, allowed_system_readers)),
        ("view_readers", lambda: view_checks.view_readers(dep)),
        ("system_table_grants", lambda: grant_checks.system_table_grants(dep, allowed_system_readers)),
        ("collector_grants", lambda: grant_checks.collector_grants(dep)),
        ("view_lineage", lambda: grant_checks.view_lineage(dep)),
        ("share_contents", lambda: grant_checks.share_contents(dep)),
        ("dashboard_datasets", lambda: view_checks.dashboard_datasets(dep, boards)),
    ]
    report = VerifyReport(cfg.catalog, cfg.schema)
    for name, run in checks:
        try:
            status, detail, problems = run()
        except Exception as e:  # one check that cannot look fails; the others still run
            status, detail, problems = "fail", f"could not check: {first_line(e)}", []
        report.checks.append(Check(name, status, detail, tuple(problems)))
    report.seconds = time.perf_counter() - start
    return report
