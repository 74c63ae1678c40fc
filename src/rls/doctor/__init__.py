"""`rls doctor`: a read-only preflight of an account (or of a local workdir and scenario) before the job writes
anything. Each check answers one question with ok / warn / fail, one line and its fix (:mod:`rls.doctor.report`).

The checks live by what they read: :mod:`.account` (account API: authentication, admin role, each workspace's
membership, metastores), :mod:`.unity` (SQL as the job's identity: system schemas, ABAC policies, target schema,
ledger), :mod:`.deployment` (readers group, Delta Sharing, SQL warehouse, bundle). Nothing here writes: the account
sees GETs only (OAuth token requests aside), the warehouse reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rls.config import RlsConfig
from rls.doctor.account import check_account
from rls.doctor.deployment import check_bundle, check_readers, check_sharing, check_warehouse
from rls.doctor.report import Check, DoctorReport
from rls.doctor.unity import check_ledger, check_unity, system_schema_access
from rls.publish.applier import job_identity
from rls.sql import SqlBackend

__all__ = ["Check", "DoctorContext", "DoctorReport", "doctor", "system_schema_access"]


@dataclass
class DoctorContext:
    """What the checks read through: the job's SQL session, the account API (None: not reachable from here), the
    elevation ledger, the SQL warehouse (id, or the local warehouse's description) and the bundle file."""

    backend: SqlBackend | None  # None: no SQL session here (reported by the caller)
    api: Any  # rls.collect.account_api.AccountApi | None
    ledger: Any  # rls.collect.elevation.Ledger
    warehouse: str | None = None
    warehouse_client: Any = None  # a WorkspaceClient on Databricks; None locally
    bundle_file: Path | None = None


def doctor(cfg: RlsConfig, ctx: DoctorContext, where: str, report: DoctorReport | None = None) -> DoctorReport:
    """Every check that ``ctx`` can answer, appended to ``report`` (which may hold the caller's set-up failures)."""
    report = report or DoctorReport(where)
    groups: list[str] | None = None
    if ctx.api is not None:
        check_account(report, ctx.api, cfg.collect.collector_application_id or ctx.api.clients.client_id)
        try:
            groups = [g.name for g in ctx.api.groups()]
        except Exception:  # reported by account_admin already; the readers check then cannot tell
            groups = None
    if ctx.backend is not None:
        identity = job_identity(ctx.backend)
        check_unity(report, ctx.backend, cfg, identity)
    check_ledger(report, ctx.ledger, cfg.collect.lease_ttl_s)
    check_warehouse(report, ctx.warehouse, ctx.warehouse_client)
    check_readers(report, cfg, groups)
    if ctx.backend is not None:
        check_sharing(report, ctx.backend, cfg, identity)
    check_bundle(report, ctx.bundle_file)
    return report
