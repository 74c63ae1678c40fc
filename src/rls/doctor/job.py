"""`rls doctor` on Databricks: from the CLI (databricks-connect for SQL, the SDK's unified auth for the account) and
as the bundle's `rls_doctor` job task (`databricks bundle run rls_doctor`), as the job's own identity."""

from __future__ import annotations

import logging
from pathlib import Path

from rls import exitcodes
from rls.collect.account_api import AccountApi
from rls.collect.clients import Clients
from rls.collect.elevation import Ledger
from rls.config import RlsConfig, load_config
from rls.doctor import DoctorContext, DoctorReport, doctor

logger = logging.getLogger(__name__)


def databricks_doctor(
    cfg: RlsConfig,
    *,
    credentials: dict[str, str] | None = None,
    warehouse_id: str | None = None,
    bundle_file: Path | None = None,
) -> DoctorReport:
    from rls.errors import explain
    from rls.jobs import backend_for, ledger_path

    report = DoctorReport("account")
    try:  # first: without a SQL session it fails at once, before any network call
        backend = backend_for(cfg)
    except Exception as e:
        backend = None
        fix = "run it as the job task (`databricks bundle run rls_doctor`) or with databricks-connect"
        report.add("sql_session", "fail", explain(e), fix)
    try:
        clients = Clients(cfg.collect, credentials)
        api, report.where = AccountApi(clients), f"account {clients.account_id}"
    except Exception as e:
        api = None
        report.add("authentication", "fail", explain(e),
                   "set DATABRICKS_HOST, DATABRICKS_ACCOUNT_ID, DATABRICKS_CLIENT_ID/SECRET or a profile")  # fmt: skip
    warehouse_client = None
    if warehouse_id:
        from databricks.sdk import WorkspaceClient

        warehouse_client = WorkspaceClient()
    ctx = DoctorContext(
        backend=backend,
        api=api,
        ledger=Ledger(ledger_path(cfg, None)),  # read only: no volume is created here (the collect task does)
        warehouse=warehouse_id,
        warehouse_client=warehouse_client,
        bundle_file=bundle_file,
    )
    return doctor(cfg, ctx, report.where, report)


def run_doctor_task(params: dict[str, str]) -> DoctorReport:
    """The `rls_doctor` job's task: the report in the task's output; the task fails when a check failed."""
    from rls.jobs import TaskFailed, collector_credentials, config_overrides

    cfg = load_config(params.get("config") or None, config_overrides(params))
    config = Path(params["config"]) if params.get("config") else None
    report = databricks_doctor(
        cfg,
        credentials=collector_credentials(params.get("secret_scope") or "rls"),
        bundle_file=config.parent / "databricks.yml" if config else None,
    )
    for line in report.lines():
        logger.warning("%s", line)
    if report.exit_code == exitcodes.CHECK_FAILED:
        failed = ", ".join(c.name for c in report.checks if c.status == "fail")
        raise TaskFailed(f"rls doctor: failing checks: {failed} (see the report above)", report.exit_code)
    return report
