"""`rls-task`: the wheel's entry point for the bundle job's `python_wheel_task`s (resources/rls.job.yml).

On serverless a job runs the bundle's wheel from a `python_wheel_task` whose environment installs it (the
documented path for a wheel: docs.databricks.com/jobs/python-wheel.html, "If you use Serverless compute, use the
Environment and Libraries field"; docs.databricks.com/dev-tools/bundles/python-wheel). Such a task receives its
parameters as command-line arguments (positional form: docs.databricks.com/jobs/task-parameters.html), so the job
passes each job parameter as ``--name={{job.parameters.name}}`` and this module turns them back into the same
``params`` dict the tasks always took.

    rls-task collect|publish|fail_run|doctor --catalog=main --schema=rls --config=/Workspace/.../rls.yml ...
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from rls.errors import InputError

logger = logging.getLogger(__name__)

TASKS = ("collect", "publish", "fail_run", "doctor")
PARAMETERS = (
    "catalog",
    "schema",
    "config",
    "secret_scope",
    "account_id",
    "dry_run",
    "force",
    "source_catalog",
    "sharing_provider",
)


def parse(argv: list[str]) -> tuple[str, dict[str, str]]:
    """``<task> --name=value ...`` -> (task, params). An unknown task or parameter is one clear line."""
    if not argv or argv[0] not in TASKS:
        raise InputError(f"rls-task: the first argument must be one of {', '.join(TASKS)}, got {argv[:1]}")
    params: dict[str, str] = {}
    for arg in argv[1:]:
        name, eq, value = arg.removeprefix("--").partition("=")
        if not arg.startswith("--") or not eq or name not in PARAMETERS:
            raise InputError(f"rls-task: unknown argument {arg!r}: expected --NAME=VALUE, NAME one of {PARAMETERS}")
        params[name] = value
    return argv[0], params


def run(task: str, params: dict[str, str]) -> Any:
    """One task of the bundle job, on Databricks."""
    from rls import jobs

    if task == "fail_run":
        return jobs.fail_run()
    if task == "doctor":
        from rls.doctor.job import run_doctor_task

        return run_doctor_task(params)
    if task == "collect" and params.get("source_catalog"):
        # Another region: the home region collects; this region's job publishes over the shared tables. The job has
        # no condition task for this (a condition on an empty operand is not a documented path): the task says so
        # and succeeds, and publish (run_if ALL_DONE) fails the run when it publishes no view.
        logger.warning("collect: this region reads the home region's collection (source_catalog set): nothing to do")
        return {}
    credentials = jobs.collector_credentials(params.get("secret_scope") or "rls") if task == "collect" else None
    return jobs.run_task(task, params, credentials=credentials)


def main(argv: list[str] | None = None) -> None:
    """Console script ``rls-task`` (pyproject.toml): what the job's python_wheel_tasks call."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("py4j", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    task, params = parse(list(sys.argv[1:] if argv is None else argv))
    run(task, params)
