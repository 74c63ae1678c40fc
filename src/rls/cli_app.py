"""The `rls` command line's application object, consoles, shared options and helpers (its commands: rls.cli,
rls.cli_checks, and the local stack's)."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from rls import __version__, plugins

if TYPE_CHECKING:
    from rls.context import Context


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
# Piped output (CI logs, files) is 80 columns wide and plain: no colours, ASCII table rules, a line per row where a
# table would not fit (rls.render.Summary).
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


def config_epilog(*sections: str) -> str:
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


def say(message: str) -> None:
    # paths and names are data, never rich markup; a message is never wrapped (one line, whatever the width)
    err.print(message, markup=False, highlight=False, soft_wrap=True)


def emit(data: Any) -> None:
    out.print_json(json.dumps(data, default=str)) if sys.stdout.isatty() else print(json.dumps(data, default=str))


def print_report(result: Any, as_json: bool) -> None:
    """A check's result (``as_dict``, ``lines``, ``exit_code``) as JSON or as lines; exits with its code."""
    if as_json:
        emit(result.as_dict())
    else:
        for line in result.lines():
            # names in the lines are data, never markup; a line is never wrapped (a log search or a paste gets it whole)
            out.print(line, highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(result.exit_code)


def context_for(
    config: Path | None, catalog: str | None, schema: str | None, workdir: Path | None, metastore: str | None = None
) -> Context:
    """What a command runs on: Databricks, or the local stack's warehouse in ``workdir`` (``metastore``: as the
    deployment of that region sees it)."""
    from rls.context import Context

    if workdir is None:
        return Context(config, {"catalog": catalog, "schema": schema})
    return plugins.local_stack("--workdir").context(config, catalog, schema, workdir, metastore)
