"""The job's tasks: :func:`execute` (collect, publish, or both, on the seams it is given), :func:`run` (a task on
a :class:`~rls.context.Context`'s seams) and the bundle task's entry, :func:`run_task` (job parameters in, a visible
failure out).

The CLI, the bundle's tasks and the local stack (:mod:`rls_local.jobs`) all run a task through :func:`run`: same
configuration, same collector and publisher; only the context's seams differ — Databricks (the job's Spark session,
the SDK's unified auth) or local (embedded warehouse, emulated account).
"""

from __future__ import annotations

import logging
from typing import Any

from rls import exitcodes
from rls.collect.account_api import AccountApi
from rls.collect.collector import Collector
from rls.collect.ledger import Ledger
from rls.config import ConfigError, RlsConfig
from rls.context import COLLECTING, Context
from rls.errors import RlsError
from rls.runoptions import DEFAULTS, RunOptions
from rls.sql import SqlBackend
from rls.target import Target

logger = logging.getLogger(__name__)

TASKS = ("collect", "publish", "run")


class TaskFailed(RlsError, RuntimeError):
    """Raised by a job task so that the Databricks task fails visibly with the reason and the exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def config_overrides(params: dict[str, str]) -> dict[str, Any]:
    """The config keys a bundle job's parameters override. An empty parameter (a widget left blank) is None, which
    load_config ignores: the config file's value, or the default, stays."""
    overrides: dict[str, Any] = {
        "catalog": params.get("catalog") or None,
        "schema": params.get("schema") or None,
        # The bundle variable `account_id`: the job needs no DATABRICKS_ACCOUNT_ID in its environment.
        "collect.account_id": params.get("account_id") or None,
        # Other regions only (empty in the home region): read the home region's collection through Delta Sharing.
        "sharing.source_catalog": params.get("source_catalog") or None,
        "sharing.provider": params.get("sharing_provider") or None,
    }
    if overrides["sharing.source_catalog"]:
        # Every region's deployment ships the same rls.yml, whose sharing.recipients is the home region's list; a
        # reading region shares nothing, and the config refuses recipients next to source_catalog.
        overrides["sharing.recipients"] = {}
    return overrides


def job_context(params: dict[str, str], credentials: dict[str, str] | None = None) -> Context:
    """The context of a bundle task (``rls-task``): its parameters override the config file's keys."""
    return Context(params.get("config") or None, config_overrides(params), credentials)


def run_task(task: str, params: dict[str, str], credentials: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one bundle task on Databricks; returns the reports as JSON, raises TaskFailed on a non-zero outcome."""
    ctx = job_context(params, credentials)
    reports = run(ctx, task, RunOptions.from_params(params))
    check_task_outcome(task, ctx.config, reports)
    return {name: r.as_dict() for name, r in reports.items()}


def check_task_outcome(task: str, cfg: RlsConfig, reports: dict[str, Any]) -> None:
    """Raise TaskFailed unless the task's reports say it succeeded, so that the job's task fails visibly."""
    code = max((r.exit_code for r in reports.values()), default=exitcodes.OK)
    if "publish" in reports and code == exitcodes.OK and not published_views(reports["publish"]):
        # A run must never end "Succeeded" with nothing to read, in another region above all (whose collect task
        # does nothing): a publish that leaves no view is a failed task.
        raise TaskFailed(
            f"rls {task}: no view was published in {Target.of(cfg).display} (check publish.include/exclude and"
            " the job identity's USE CATALOG/USE SCHEMA/SELECT on the system schemas: `rls doctor`)",
            exitcodes.ERROR,
        )
    if code != exitcodes.OK:
        summary = "; ".join(f"{name}: exit {r.exit_code}" for name, r in reports.items())
        raise TaskFailed(f"rls {task} ended with exit code {code} ({summary}); see the report above", code)


def published_views(report: Any) -> int:
    """How many views a publish left in place (created, altered or unchanged)."""
    return sum(report.counts[s] for s in ("created", "altered", "unchanged"))


def fail_run() -> None:
    """The job's last task (``fail_run``), run only when ``collect`` or ``publish`` failed: it fails so that the run
    ends FAILED. Databricks judges a run by its leaf tasks (a failed task before a successful leaf ends "Succeeded
    with failures"), and ``on_failure`` notifications fire only on a FAILED or TIMED_OUT result."""
    raise TaskFailed(
        "collect or publish failed in this run (see their output above); this task fails the run so that its"
        " on_failure notifications fire. Publish still ran over the last known-good collection if it succeeded",
        exitcodes.ERROR,
    )


def run(ctx: Context, task: str, options: RunOptions = DEFAULTS) -> dict[str, Any]:
    """``task`` on the context's seams: its config, SQL backend, account clients (built only if it collects) and
    ledger (ready for the task: only a task that collects creates the job's volume)."""
    return execute(
        task, ctx.config, ctx.backend, clients=lambda: ctx.clients, ledger=ctx.ledger_for(task), options=options
    )


def execute(
    task: str,
    cfg: RlsConfig,
    backend: SqlBackend,
    *,
    clients: Any,
    ledger: Ledger,
    options: RunOptions = DEFAULTS,
) -> dict[str, Any]:
    """The task itself: collect, publish, or both (publish also after a partial collect: failed workspaces kept
    their previous rows, and views only need the tables to exist)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}: one of {', '.join(TASKS)}")
    if task == "collect" and cfg.reads_shared:
        raise ConfigError(
            f"collect: this deployment reads the home region's collection (sharing.source_catalog ="
            f" {cfg.sharing.source_catalog}); the collector runs in the home region only"
        )
    reports: dict[str, Any] = {}
    if task == "run" and cfg.reads_shared:
        logger.info("run: another region (sharing.source_catalog set): publish only, the home region collects")
        task = "publish"
    if task in COLLECTING:
        api = AccountApi(clients())
        reports["collect"] = Collector(backend, cfg, api, ledger, options).run()
    if options.dry_run and task in ("publish", "run"):
        logger.warning("dry run: views are not published")
    elif task == "publish" or (task == "run" and reports["collect"].outcome in ("ok", "partial")):
        from rls.publish import publish

        reports["publish"] = publish(backend, cfg, prune=options.prune or None, progress=options.progress)
    return reports


def collector_credentials(scope: str) -> dict[str, str]:
    """The collector service principal's OAuth client id and secret from the secret scope, never printed (the
    platform also redacts secret values in the task's output). ``WorkspaceClient().dbutils`` is the runtime's
    dbutils inside a Databricks job (databricks-sdk ``dbutils.py``)."""
    from databricks.sdk import WorkspaceClient

    secrets = WorkspaceClient().dbutils.secrets
    return {"client_id": secrets.get(scope, "client-id"), "client_secret": secrets.get(scope, "client-secret")}
