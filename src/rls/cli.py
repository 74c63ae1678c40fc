"""`rls`: the command line. Thin: parse options, call the package, render the report, exit with its code."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from rls import __version__, exitcodes, plugins
from rls.errors import explain as one_line_error


def _hide_flag_types() -> None:
    """typer >= 0.2x prints a type after every option (``--json <bool>``); a flag takes no value, so none is shown."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag or self.count else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_types()
app = typer.Typer(
    name="rls",
    help="Row-level security for Databricks system tables: each workspace admin sees only their workspaces' rows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) is 80 columns wide and plain: no colours, ASCII table rules (rls.render.table).
err = Console(stderr=True, width=None if sys.stderr.isatty() else 80)
out = Console(width=None if sys.stdout.isatty() else 80)


@dataclass
class Globals:
    verbose: int = 0
    quiet: bool = False
    debug: bool = False


G = Globals()

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file (see rls.yml).")]
CatalogOpt = Annotated[str | None, typer.Option(help="Catalog of the tables and views (config: catalog).")]
SchemaOpt = Annotated[str | None, typer.Option(help="Schema of the tables and views (config: schema).")]
WorkdirOpt = Annotated[
    Path | None, typer.Option(help="Use the local embedded warehouse in this directory instead of Databricks.")
]
ScenarioOpt = Annotated[
    Path | None, typer.Option(help="Collect from a local emulated account described by this scenario file.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON for machines.")]


def _config_epilog(*sections: str) -> str:
    """Every configuration key with its default and one-line description, for the commands' --help."""
    from rls.config_help import config_keys

    header = "Configuration keys (YAML file given with --config, e.g. rls.yml; every key optional; `rls config`):"
    return "\n\n".join([header, *(f"  {line}" for line in config_keys(*sections))])


def _version(value: bool) -> None:
    if value:
        out.print(f"rls {__version__}")
        raise typer.Exit(0)


@app.callback()
def _globals(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv: debug).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and the final result.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
) -> None:
    G.verbose, G.quiet, G.debug = verbose, quiet, debug
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=logging.ERROR if quiet else level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("py4j", "databricks.sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, level))
    if verbose == 0:
        # The SDK warns about each failed step of its own config discovery (host metadata timed out, …) before the
        # error that follows; that error is the one line an operator needs (rls.errors.explain), -v shows the rest.
        logging.getLogger("databricks.sdk").setLevel(logging.ERROR)


def _say(message: str) -> None:
    # paths and names are data, never rich markup; a message is never wrapped (one line, whatever the width)
    err.print(message, markup=False, highlight=False, soft_wrap=True)


def _emit(data: Any) -> None:
    out.print_json(json.dumps(data, default=str)) if sys.stdout.isatty() else print(json.dumps(data, default=str))


def _report(result: Any, as_json: bool) -> None:
    """A check's result (``as_dict``, ``lines``, ``exit_code``) as JSON or as lines; exits with its code."""
    if as_json:
        _emit(result.as_dict())
    else:
        for line in result.lines():
            out.print(line, highlight=False, markup=False)  # names in the lines are data, never markup
    raise typer.Exit(result.exit_code)


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


def _config_for(
    config: Path | None, catalog: str | None, schema: str | None, workdir: Path | None, metastore: str | None = None
) -> Any:
    from rls.config import load_config

    if workdir is None:
        return load_config(config, {"catalog": catalog, "schema": schema})
    return plugins.local_stack("--workdir").config_for(config, catalog, schema, workdir, metastore)


def _backend_for(cfg: Any, workdir: Path | None, metastore: str | None = None) -> Any:
    """The Databricks Spark session, or the local warehouse in ``workdir`` (the local stack's; ``metastore``: the
    deployment of that region)."""
    from rls.jobs import backend_for

    return backend_for(cfg) if workdir is None else plugins.local_stack("--workdir").backend(workdir, metastore)


def _task(task: str, **kw: Any) -> None:
    """Run a job task and exit with its code: the shell (and the bundle task) must see what the report says."""
    from rls.jobs import run_cli_task
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
            reports = run_cli_task(task, options=options, **kw)
        else:
            local = plugins.local_stack("--workdir")
            reports = local.run_task(task, workdir=workdir, scenario=scenario, options=options, **kw)
    from rls.render import collect_summary, publish_summary

    if as_json:
        _emit({name: r.as_dict() for name, r in reports.items()})
    else:
        if "collect" in reports:
            collect_summary(out, reports["collect"])
        if "publish" in reports:
            publish_summary(out, reports["publish"])
    raise typer.Exit(max((r.exit_code for r in reports.values()), default=exitcodes.OK))


@app.command(epilog=_config_epilog("collect"))
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


@app.command(epilog=_config_epilog("publish", "sharing"))
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

        cfg = _config_for(config, catalog, schema, workdir)
        _report(plan_publish(_backend_for(cfg, workdir), cfg, prune=prune or None), as_json)
    _task("publish", config=config, catalog=catalog, schema=schema, workdir=workdir, prune=prune, as_json=as_json)


@app.command(epilog=_config_epilog("collect", "publish", "sharing"))
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


# The checking commands (verify, explain, doctor, config) register themselves on `app`.
from rls import cli_checks  # noqa: E402, F401


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
        sys.exit(exitcodes.ERROR)
