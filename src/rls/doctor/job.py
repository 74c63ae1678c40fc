"""`rls doctor` on Databricks: from the CLI (databricks-connect for SQL, the SDK's unified auth for the account) and
as the bundle's `rls_doctor` job task (`databricks bundle run rls_doctor`), as the job's own identity."""

from __future__ import annotations

import logging
from pathlib import Path

from rls import exitcodes
from rls.collect.account_api import AccountApi
from rls.collect.ledger import Ledger
from rls.context import Context
from rls.doctor import DoctorContext, DoctorReport, doctor

logger = logging.getLogger(__name__)


def databricks_doctor(
    ctx: Context, *, warehouse_id: str | None = None, bundle_file: Path | None = None
) -> DoctorReport:
    """The checks, with the parts of ``ctx``; a part that cannot be built is a failed check, not an error."""
    from rls.errors import explain

    cfg = ctx.config  # first and outside the checks: a config that does not load is the command's error
    report = DoctorReport("account")
    try:  # first: without a SQL session it fails at once, before any network call
        backend = ctx.backend
    except Exception as e:
        backend = None
        fix = "run it as the job task (`databricks bundle run rls_doctor`) or with databricks-connect"
        report.add("sql_session", "fail", explain(e), fix)
    try:
        clients = ctx.clients
        api, report.where = AccountApi(clients), f"account {clients.account_id}"
    except Exception as e:
        api = None
        report.add("authentication", "fail", explain(e),
                   "set DATABRICKS_HOST, DATABRICKS_ACCOUNT_ID, DATABRICKS_CLIENT_ID/SECRET or a profile")  # fmt: skip
    checks = DoctorContext(
        backend=backend,
        api=api,
        ledger=Ledger(ctx.ledger_path),  # read only: no volume is created here (the collect task does)
        warehouse=warehouse_id,
        warehouse_client=ctx.workspace_client if warehouse_id else None,
        bundle_file=bundle_file,
    )
    return doctor(cfg, checks, report.where, report)


def run_doctor_task(params: dict[str, str]) -> DoctorReport:
    """The `rls_doctor` job's task: the report in the task's output; the task fails when a check failed."""
    from rls.jobs import TaskFailed, collector_credentials, job_context

    ctx = job_context(params)
    _ = ctx.config  # loaded first: a config that does not load fails the task before any secret is read
    ctx.credentials = collector_credentials(params.get("secret_scope") or "rls")
    config = Path(params["config"]) if params.get("config") else None
    report = databricks_doctor(ctx, bundle_file=config.parent / "databricks.yml" if config else None)
    for line in report.lines():
        logger.warning("%s", line)
    if report.exit_code == exitcodes.CHECK_FAILED:
        failed = ", ".join(c.name for c in report.checks if c.status == "fail")
        raise TaskFailed(f"rls doctor: failing checks: {failed} (see the report above)", report.exit_code)
    return report
