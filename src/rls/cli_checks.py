"""The CLI's checking commands: `rls verify`, `rls explain`, `rls doctor` and `rls config` (registered on
:data:`rls.cli.app`; :mod:`rls.cli` imports this module once the app exists)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rls import exitcodes, plugins
from rls.cli_app import (
    CatalogOpt,
    ConfigOpt,
    JsonOpt,
    ScenarioOpt,
    SchemaOpt,
    WorkdirOpt,
    app,
    context_for,
    out,
    print_report,
)


@app.command()
def verify(
    config: ConfigOpt = None,
    catalog: CatalogOpt = None,
    schema: SchemaOpt = None,
    workdir: WorkdirOpt = None,
    max_age_hours: Annotated[float, typer.Option(help="Oldest acceptable successful collection.")] = 26.0,
    allow_system_reader: Annotated[
        list[str] | None, typer.Option(help="Principal allowed to read system.* directly (repeatable).")
    ] = None,
    metastore: Annotated[
        str | None,
        typer.Option(help="With --workdir: the metastore (region) to check, by its scenario id (default: the first)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check an installation: views present, current, owned; no bypass of the views; fresh data; no open elevation."""
    from rls.cli_app import say
    from rls.verify import verify as run_verify

    if metastore is not None and workdir is None:
        # On Databricks a region is checked where it runs: its own workspace, with that region's config.
        say("error: --metastore needs --workdir; on Databricks, run verify in that region with its config")
        raise typer.Exit(exitcodes.USAGE)
    ctx = context_for(config, catalog, schema, workdir, metastore)
    report = run_verify(
        ctx.backend,
        ctx.config,
        ledger_path=ctx.ledger_path,
        max_age_hours=max_age_hours,
        allowed_system_readers=allow_system_reader or [],
    )
    print_report(report, as_json)


@app.command()
def explain(
    user: Annotated[str, typer.Option("--user", help="Identity: e-mail or SP application id (any case).")],
    config: ConfigOpt = None,
    catalog: CatalogOpt = None,
    schema: SchemaOpt = None,
    workdir: WorkdirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Which workspaces an identity sees through the views and why (assignment, group chain, local admins)."""
    from rls.explain import explain as run_explain

    ctx = context_for(config, catalog, schema, workdir)
    print_report(run_explain(ctx.backend, ctx.config, user), as_json)


@app.command()
def doctor(
    config: ConfigOpt = None,
    catalog: CatalogOpt = None,
    schema: SchemaOpt = None,
    workdir: WorkdirOpt = None,
    scenario: ScenarioOpt = None,
    warehouse_id: Annotated[
        str | None, typer.Option(help="SQL warehouse of the dashboard (bundle variable warehouse_id).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Read-only preflight: would a run work on this account? Each check ok / warn / fail with its fix.

    Exit 0: every check ok; 3: warnings only; 6: a check failed. Writes nothing (GETs and reads only)."""
    if workdir is None and scenario is not None:
        raise ValueError("--scenario needs --workdir: an emulated account goes with the local warehouse")
    if workdir is not None:
        report = plugins.local_stack("--workdir").doctor(config, catalog, schema, workdir, scenario)
    else:
        from rls.doctor.job import databricks_doctor

        ctx = context_for(config, catalog, schema, None)
        bundle = (config.parent if config else Path.cwd()) / "databricks.yml"
        report = databricks_doctor(ctx, warehouse_id=warehouse_id, bundle_file=bundle)
    print_report(report, as_json)


@app.command("config")
def config_command() -> None:
    """Every configuration key (collect.*, publish.*, sharing.*) with its default and what it does."""
    out.print("Configuration keys (YAML file given with --config, e.g. rls.yml; every key optional):", markup=False)
    from rls.config_help import config_keys

    for line in config_keys("collect", "publish", "sharing"):
        out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(exitcodes.OK)
