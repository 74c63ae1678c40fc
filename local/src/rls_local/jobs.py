"""The CLI's ``--workdir`` path: the job's tasks on the local warehouse, against an emulated account or none, and
the context every other ``--workdir`` command reads through.

What :mod:`rls.jobs` does on Databricks, on a :class:`~rls_local.context.LocalContext`; the CLI reaches it through
the plugin hook (:mod:`rls.plugins`), never by importing this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rls.errors import InputError
from rls.jobs import run
from rls.runoptions import DEFAULTS, RunOptions
from rls_local import local
from rls_local.context import LocalContext


def run_task(
    task: str,
    *,
    config: Path | None,
    catalog: str | None,
    schema: str | None,
    workdir: Path,
    scenario: Path | None = None,
    options: RunOptions = DEFAULTS,
) -> dict[str, Any]:
    from rls_local.emulator import Emulator
    from rls_local.scenario import load_scenario
    from rls_local.warehouse import open_warehouse, prepare_warehouse

    overrides: dict[str, Any] = {"catalog": catalog, "schema": schema}
    # Without --config, the config the workdir was made with (a remembered copy), not the defaults.
    source = local.workdir_config(workdir, config, remember=True)
    # A local workdir never reaches a real account: without --scenario, the account the workdir was made with (its
    # own emulated one), never DATABRICKS_HOST or a profile from the environment.
    loaded = load_scenario(scenario) if scenario is not None else remembered_scenario(workdir, task)
    if loaded is None:  # publish on a workdir made before workdirs kept their account: no account is needed
        return run(LocalContext(source, overrides, workdir=workdir), task, options)
    fresh = not (workdir / local.SETTINGS_FILE).exists()
    # One task runs in one metastore: the other regions' system tables would be built for nothing (`rls demo` runs
    # every region).
    backend = prepare_warehouse(workdir, loaded, regions=False) if fresh else open_warehouse(workdir)
    with Emulator(loaded) as emu:
        ctx = LocalContext.emulated(loaded, emu, workdir, source, overrides).replace(backend=backend)
        reports = run(ctx, task, options)
        local.write_local_files(workdir, ctx.config, loaded, emu.state(), source)
    return reports


def remembered_scenario(workdir: Path, task: str) -> Any:
    """The emulated account a workdir was made with, or None when ``task`` needs no account (publish).

    Refuses in one line when the task needs an account and the workdir has none: `--workdir` is the local stack, and
    it never connects to a real account."""
    from rls_local.scenario import load_scenario

    path = workdir / local.SCENARIO_FILE
    if path.exists():
        return load_scenario(path)
    if task == "publish":
        return None
    raise InputError(
        f"rls {task} --workdir {workdir}: this workdir has no local account yet; pass --scenario FILE (a local"
        " workdir never connects to a real Databricks account, whatever DATABRICKS_HOST says)"
    )


def context_for(
    config: Path | None, catalog: str | None, schema: str | None, workdir: Path, metastore: str | None = None
) -> LocalContext:
    """The context of a command reading ``workdir``: its namespace and remembered config, unless given explicitly.
    ``metastore``: as the deployment of that region sees it (another region reads the home region's share, as in
    `rls demo`)."""
    from rls_local.regions import SOURCE_CATALOG
    from rls_local.warehouse.sharing import first_metastore_id

    settings = local.read_settings(workdir)
    overrides: dict[str, Any] = {"catalog": catalog or settings["catalog"], "schema": schema or settings["schema"]}
    scope = metastore_scope(settings, metastore)
    if scope is not None:
        home = first_metastore_id(workdir)
        overrides |= {"sharing.source_catalog": SOURCE_CATALOG, "sharing.provider": home, "sharing.recipients": {}}
    source = local.workdir_config(workdir, config, remember=False)
    return LocalContext(source, overrides, workdir=workdir, scope=scope)


def metastore_scope(settings: dict[str, Any], metastore: str | None) -> str | None:
    """The local scope of ``metastore``'s deployment (None: the first region's)."""
    from rls.errors import UsageError

    if metastore is None:
        return None
    known: dict[str, str | None] = settings.get("metastores") or {}
    if metastore not in known:
        raise UsageError(
            f"--metastore {metastore}: not a metastore of this workdir (known: {', '.join(known) or 'none'})"
        )
    return known[metastore]
