"""The local stack's commands: `rls demo`, `rls sql`, `rls emulator`, and what `--workdir` runs on.

Registered on the `rls` CLI through the ``rls.cli_plugins`` entry point (:mod:`rls.plugins`); :mod:`rls.cli` never
names this module. Nothing heavy is imported here: each command imports what it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rls import exitcodes, plugins

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON for machines.")]


def register(app: typer.Typer) -> None:
    """Add the local commands to ``app`` and offer the local stack to ``--workdir``."""
    app.command()(demo)
    app.command("sql")(sql_command)
    app.command()(emulator)
    plugins.offer_local_stack(_Stack())


class _Stack:
    """:class:`rls.plugins.LocalStack`, importing the warehouse and emulator only when a command needs them."""

    def run_task(self, task: str, **kw: Any) -> dict[str, Any]:
        from rls_local.jobs import run_task

        return run_task(task, **kw)

    def context(
        self, config: Path | None, catalog: str | None, schema: str | None, workdir: Path, metastore: str | None = None
    ) -> Any:
        from rls_local.jobs import context_for

        return context_for(config, catalog, schema, workdir, metastore)

    def doctor(self, config: Path | None, catalog: str | None, schema: str | None, workdir: Path, scenario: Any) -> Any:
        from rls_local.doctor import local_doctor

        return local_doctor(config, catalog, schema, workdir, scenario)


def demo(
    scenario: Annotated[Path | None, typer.Option(help="Scenario file (default: the shipped example).")] = None,
    workdir: Annotated[Path, typer.Option(help="Work directory of the local warehouse (rebuilt).")] = Path(
        ".rls-work/demo"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Run the whole job locally: emulated account, synthetic system tables, collect, publish, who sees what."""
    from rls.cli_app import G, emit, err, out, say
    from rls.render import progress_bars
    from rls_local.demo import print_summary, run_demo

    with progress_bars(err, not (G.quiet or as_json)) as progress:
        result = run_demo(scenario, workdir, progress=progress, log=None if G.quiet or as_json else say)
    if as_json:
        emit(result.as_dict())
    else:
        print_summary(out, result)
    raise typer.Exit(result.exit_code)


def sql_command(
    query: Annotated[str, typer.Argument(help="SQL to run, e.g. SELECT count(*) FROM vw_system_access_audit")],
    workdir: Annotated[Path, typer.Option(help="Work directory made by `rls demo`.")],
    as_identity: Annotated[str, typer.Option("--as", help="Identity current_user() returns (email or SP app id).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as a JSON array of objects.")] = False,
    metastore: Annotated[
        str | None, typer.Option(help="Metastore (region) to query, by its scenario id (default: the first).")
    ] = None,
) -> None:
    """Query the local warehouse as an identity (the contract in docs/scenario.md)."""
    from rls.cli_app import out, say
    from rls_local.demo import known_metastores, query_as, unknown_identity

    known = known_metastores(workdir)
    if metastore is not None and known is not None and metastore not in known:
        # a wrong option value is a usage error (exit 2), like any other bad option
        raise typer.BadParameter(f"{metastore} is not a metastore of this workdir (known: {', '.join(known)})")
    if not as_identity.strip():
        # Blank would run as the warehouse's own principal (metastore admin) and read `system` unfiltered.
        say("error: --as needs an identity (a user's e-mail or a service principal's application id), not blank")
        raise typer.Exit(exitcodes.USAGE)
    rows = query_as(workdir, as_identity, query, metastore)
    if (warning := unknown_identity(workdir, as_identity)) is not None:
        say(warning)  # stderr: the rows (none, usually) stay on stdout
    if as_json:
        print(json.dumps(rows, default=str))
    else:
        from rls.render import Summary

        t = Summary(None, list(rows[0].keys()) if rows else ["(no rows)"])
        for r in rows:
            t.add_row(*r.values())
        t.print(out)
    raise typer.Exit(exitcodes.OK)


def emulator(
    scenario: Annotated[Path, typer.Option(help="Scenario file to serve.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    latency_ms: Annotated[str, typer.Option(help="Added latency per request, LO,HI in ms.")] = "0,0",
    rate_limits: Annotated[str | None, typer.Option(help="Per-family limits, e.g. scim_get=20,write=5.")] = None,
    credentials_file: Annotated[
        Path | None, typer.Option(help="Where to write the OAuth client credentials (mode 0600; default: a temp dir).")
    ] = None,
) -> None:
    """Serve a scenario over the Databricks REST paths until Ctrl-C (see GET /_emulator/state)."""
    from rls_local.emulator import EmulatorOptions, run_standalone

    lo, _, hi = latency_ms.partition(",")
    limits = None
    if rate_limits:
        limits = {k.strip(): float(v) for k, v in (p.split("=", 1) for p in rate_limits.split(",") if p.strip())}
    opts = EmulatorOptions(port=port, latency_ms=(float(lo or 0), float(hi or lo or 0)), rate_limits=limits)
    run_standalone(scenario, port, opts, credentials_file)
    raise typer.Exit(exitcodes.OK)
