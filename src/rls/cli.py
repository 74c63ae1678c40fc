"""`rls`: the command line. Thin: parse options, call the package, render the report, exit with its code."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from rls import exitcodes, plugins
from rls.cli_app import (
    CatalogOpt,
    ConfigOpt,
    G,
    JsonOpt,
    ScenarioOpt,
    SchemaOpt,
    WorkdirOpt,
    app,
    config_epilog,
    context_for,
    emit,
    err,
    out,
    print_report,
)
from rls.errors import UsageError
from rls.errors import explain as one_line_error


def _missing(name: str) -> None:
    """A hidden stand-in for a local-stack command when that stack is not installed: one line, exit 1."""

    @app.command(
        name,
        hidden=True,
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def stand_in() -> None:
        raise plugins.missing(f"rls {name}")


# Commands of installed plugins (the local stack: demo, sql, emulator); stand-ins that say how to get them otherwise.
plugins.load(app)
_registered = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
for _name in (n for n in plugins.LOCAL_COMMANDS if n not in _registered):
    _missing(_name)


def _task(task: str, **kw: Any) -> None:
    """Run a job task and exit with its code: the shell (and the bundle task) must see what the report says."""
    from rls.jobs import run
    from rls.render import progress_bars
    from rls.runoptions import RunOptions

    as_json = kw.pop("as_json")
    workdir, scenario = kw.pop("workdir"), kw.pop("scenario", None)
    if workdir is None and scenario is not None:
        raise ValueError("--scenario needs --workdir: an emulated account goes with the local warehouse")
    flags = {name: kw.pop(name) for name in ("dry_run", "force", "prune") if name in kw}
    with progress_bars(err, not (G.quiet or as_json)) as progress:
        options = RunOptions(**flags, progress=progress)
        if workdir is None:
            reports = run(context_for(kw["config"], kw["catalog"], kw["schema"], None), task, options)
        else:
            local = plugins.local_stack("--workdir")
            reports = local.run_task(task, workdir=workdir, scenario=scenario, options=options, **kw)
    from rls.render import collect_summary, publish_summary

    if as_json:
        emit({name: r.as_dict() for name, r in reports.items()})
    else:
        if "collect" in reports:
            collect_summary(out, reports["collect"])
        if "publish" in reports:
            publish_summary(out, reports["publish"])
    raise typer.Exit(max((r.exit_code for r in reports.values()), default=exitcodes.OK))


@app.command(epilog=config_epilog("collect"))
def collect(
    config: ConfigOpt = None,
    catalog: CatalogOpt = None,
    schema: SchemaOpt = None,
    workdir: WorkdirOpt = None,
    scenario: ScenarioOpt = None,
    dry_run: Annotated[bool, typer.Option(help="Show what would be elevated; write nothing.")] = False,
    force: Annotated[bool, typer.Option(help="Publish even when the circuit breaker trips.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Step 1: read every workspace's admins and users into the collector's tables."""
    _task(
        "collect",
        config=config,
        catalog=catalog,
        schema=schema,
        workdir=workdir,
        scenario=scenario,
        dry_run=dry_run,
        force=force,
        as_json=as_json,
    )


@app.command(epilog=config_epilog("publish", "sharing"))
def publish(
    config: ConfigOpt = None,
    catalog: CatalogOpt = None,
    schema: SchemaOpt = None,
    workdir: WorkdirOpt = None,
    prune: Annotated[bool, typer.Option(help="Drop views whose system table disappeared.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Print the plan (views created, altered, dropped; grants; shares); change nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Step 2: create or update the filtered views over every system table with workspace_id."""
    if dry_run:
        from rls.publish.dryrun import plan_publish

        ctx = context_for(config, catalog, schema, workdir)
        print_report(plan_publish(ctx.backend, ctx.config, prune=prune or None), as_json)
    _task("publish", config=config, catalog=catalog, schema=schema, workdir=workdir, prune=prune, as_json=as_json)


@app.command(epilog=config_epilog("collect", "publish", "sharing"))
def run(
    config: ConfigOpt = None,
    catalog: CatalogOpt = None,
    schema: SchemaOpt = None,
    workdir: WorkdirOpt = None,
    scenario: ScenarioOpt = None,
    force: Annotated[bool, typer.Option(help="Publish even when the circuit breaker trips.")] = False,
    prune: Annotated[bool, typer.Option(help="Drop views whose system table disappeared.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Both steps, as the bundle job runs them."""
    _task(
        "run",
        config=config,
        catalog=catalog,
        schema=schema,
        workdir=workdir,
        scenario=scenario,
        force=force,
        prune=prune,
        as_json=as_json,
    )


# The checking commands (verify, explain, doctor, config) register themselves on `app` when imported, after the
# job's commands (the order of `rls --help`).
import rls.cli_checks  # noqa: E402, F401


def main(argv: list[str] | None = None) -> None:
    """Console script: usage errors exit 2 (typer), every other failure is one line and exit 1."""
    debug = "--debug" in (argv if argv is not None else sys.argv)
    try:
        app(args=argv)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:
        if debug:
            raise
        from rich.text import Text  # not rls.render: the handler must work whatever failed to import

        # The message quotes names (workspaces, files, keys): literal text, never rich markup.
        err.print(Text.assemble(("error", "red"), ": ", one_line_error(e)), highlight=False, soft_wrap=True)
        sys.exit(exitcodes.USAGE if isinstance(e, UsageError) else exitcodes.ERROR)
