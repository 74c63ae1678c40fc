"""Entry points of the bundle job's tasks (through :mod:`rls.task`) and of the CLI's collect/publish/run commands.

Both go through :func:`execute`: same configuration, same collector and publisher, only the seams differ —
Databricks (the job's Spark session, the SDK's unified auth) or local (embedded warehouse, emulated account: the
local stack, :mod:`rls_local.jobs`, which calls :func:`execute` with its own backend and clients).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rls import exitcodes
from rls.collect.account_api import AccountApi
from rls.collect.clients import Clients
from rls.collect.collector import Collector
from rls.collect.elevation import Ledger
from rls.collect.volume_files import FilesApiVolume
from rls.config import ConfigError, RlsConfig, load_config
from rls.errors import RlsError
from rls.runoptions import DEFAULTS, RunOptions
from rls.sql import SqlBackend
from rls.target import Target

logger = logging.getLogger(__name__)

TASKS = ("collect", "publish", "run")
LEDGER_DIR = "elevation-ledger"  # a directory: one immutable file per event (volumes refuse appends)


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


def run_task(task: str, params: dict[str, str], credentials: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one bundle task on Databricks; returns the reports as JSON, raises TaskFailed on a non-zero outcome."""
    from rls.sql.backend import databricks_backend

    cfg = load_config(params.get("config") or None, config_overrides(params))
    backend = databricks_backend(cfg.table_format)
    reports = execute(
        task,
        cfg,
        backend,
        clients=lambda: Clients(cfg.collect, credentials),
        ledger=_databricks_ledger(cfg, backend, task),
        options=RunOptions.from_params(params),
    )
    check_task_outcome(task, cfg, reports)
    return {name: r.as_dict() for name, r in reports.items()}


def check_task_outcome(task: str, cfg: RlsConfig, reports: dict[str, Any]) -> None:
    """Raise TaskFailed unless the task's reports say it succeeded, so that the job's task fails visibly."""
    code = max((r.exit_code for r in reports.values()), default=exitcodes.OK)
    if "publish" in reports and code == exitcodes.OK and not published_views(reports["publish"]):
        # A run must never end "Succeeded" with nothing to read, in another region above all (whose collect task
        # does nothing): a publish that leaves no view is a failed task.
        raise TaskFailed(
            f"rls {task}: no view was published in {cfg.catalog}.{cfg.schema} (check publish.include/exclude and"
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


def run_cli_task(
    task: str,
    *,
    config: Path | None,
    catalog: str | None,
    schema: str | None,
    options: RunOptions = DEFAULTS,
) -> dict[str, Any]:
    """A task from the CLI against Databricks (``--workdir``: the local stack's own ``run_task``, see rls.plugins)."""
    from rls.sql.backend import databricks_backend

    cfg = load_config(config, {"catalog": catalog, "schema": schema})
    backend = databricks_backend(cfg.table_format)
    return execute(
        task,
        cfg,
        backend,
        clients=lambda: Clients(cfg.collect),
        ledger=_databricks_ledger(cfg, backend, task),
        options=options,
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
    if task in ("collect", "run"):
        api = AccountApi(clients())
        reports["collect"] = Collector(backend, cfg, api, ledger, options).run()
    if options.dry_run and task in ("publish", "run"):
        logger.warning("dry run: views are not published")
    elif task == "publish" or (task == "run" and reports["collect"].outcome in ("ok", "partial")):
        from rls.publish import publish

        reports["publish"] = publish(backend, cfg, prune=options.prune or None, progress=options.progress)
    return reports


def ledger_path(cfg: RlsConfig, workdir: Path | None) -> Path:
    """Where the elevation ledger lives: configured, in the local work directory, or in a UC volume."""
    if cfg.collect.elevation_ledger:
        return Path(cfg.collect.elevation_ledger)
    if workdir is not None:
        return workdir / LEDGER_DIR
    return Target.of(cfg).volume_path / LEDGER_DIR


def backend_for(cfg: RlsConfig) -> SqlBackend:
    """The Databricks Spark session (job, or databricks-connect); the local warehouse is the local stack's."""
    from rls.sql.backend import databricks_backend

    return databricks_backend(cfg.table_format)


def _databricks_ledger(cfg: RlsConfig, backend: SqlBackend, task: str) -> Ledger:
    """The ledger of a task on Databricks. On a volume its files go through the Files API (whole-file uploads, create
    once: :mod:`rls.collect.volume_files`), as the job's own identity in its own workspace (unified auth: the job's
    native credentials), which created the volume and so may write it. Only a task that collects creates the default
    volume (``publish`` never elevates, so it creates nothing)."""
    path = ledger_path(cfg, None)
    if not str(path).startswith("/Volumes/"):
        return Ledger(path)  # a configured directory outside Unity Catalog volumes: plain files
    collects = task in ("collect", "run") and not cfg.reads_shared
    if collects and not cfg.collect.elevation_ledger:
        # A Unity Catalog volume is durable and readable by the next run on any compute.
        Target.of(cfg).ensure_volume(backend)
    return Ledger(FilesApiVolume(_workspace_files, str(path)))


def _workspace_files() -> Any:
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient().files


def collector_credentials(scope: str) -> dict[str, str]:
    """The collector service principal's OAuth client id and secret from the secret scope, never printed (the
    platform also redacts secret values in the task's output). ``WorkspaceClient().dbutils`` is the runtime's
    dbutils inside a Databricks job (databricks-sdk ``dbutils.py``)."""
    from databricks.sdk import WorkspaceClient

    secrets = WorkspaceClient().dbutils.secrets
    return {"client_id": secrets.get(scope, "client-id"), "client_secret": secrets.get(scope, "client-secret")}
