"""Human output of the CLI: progress bars and summary tables (rich). Machines use --json instead.

Every name here comes from the account or a config (workspace, group, user, catalog names; error texts quoting
them): it is data, never rich markup. A workspace named ``[/]`` must print as ``[/]``, not crash the report after
the data was written, and ``[bold red]x[/]`` must not restyle the output. So data reaches rich only as ``Text``
(never parsed) or through ``escape``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rls.collect.report import CollectReport

_OUTCOME_STYLE = {"failed": "red", "unreachable": "red", "not-running": "yellow", "not-onboarded": "yellow"}


def table(console: Console, title: str | None = None) -> Table:
    """A summary table: rich's box drawing on a terminal; plain ASCII rules when piped (logs, files, grep)."""
    kind = box.HEAVY_HEAD if console.is_terminal else box.ASCII2  # HEAVY_HEAD: rich's default
    return Table(title=escape(title) if title else None, box=kind)


def plain(value: Any) -> Text:
    """A value as literal text: rich renders it as is, brackets included."""
    return Text("" if value is None else str(value))


def labelled(label: str, style: str, message: Any) -> Text:
    """``label: message`` with the label styled and the message literal."""
    return Text.assemble((label, style), ": ", plain(message))


@contextmanager
def progress_bars(console: Console, enabled: bool) -> Iterator[Any]:
    """A callback ``(phase, done, total)`` that drives one bar per phase (no-op when disabled, or when the console is
    not a terminal: a bar in a log is noise, and stopping one there leaves a blank line before what follows)."""
    if not enabled or not console.is_terminal:
        yield lambda phase, done, total: None
        return
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bars:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done, total=total)

        yield update


def collect_summary(console: Console, r: CollectReport) -> None:
    t = table(console, f"collect {r.run_id}: {r.outcome}")
    for col in ("workspace", "name", "status", "outcome", "admins", "users", "catalogs", "elevated", "calls", "note"):
        t.add_column(col, overflow="fold")
    for w in sorted(r.workspaces, key=lambda w: w.workspace_id):
        style = _OUTCOME_STYLE.get(w.outcome)
        t.add_row(
            *map(
                plain,
                (
                    w.workspace_id,
                    w.workspace_name,
                    w.workspace_status,
                    w.outcome,
                    w.admins,
                    w.users,
                    w.catalogs,
                    r.elevated_to.get(w.workspace_id, "yes") if w.elevated else "",
                    w.api_calls,
                    w.error or "",
                ),
            ),
            style=style,
        )
    if r.workspaces:
        console.print(t)
    else:  # the run stopped before reading any workspace (the error below says why): no empty table
        console.print(plain(f"collect {r.run_id}: {r.outcome}"))
    # Each message is one line, never wrapped (a log collector or grep sees it whole); the table folds instead.
    for line in r.repaired:
        console.print(labelled("repaired earlier elevation", "yellow", line), soft_wrap=True)
    if r.dry_run and r.elevations:
        console.print(plain(f"dry run: would elevate on workspaces {', '.join(map(str, r.elevations))}"))
    for line in r.errors + r.unrestored:
        console.print(labelled("error", "red", line), soft_wrap=True)
    for line in r.notes:  # what could not be read but fails nothing (catalogs, local groups)
        console.print(labelled("note", "yellow", line), soft_wrap=True)
    console.print(plain(f"{r.admin_rows} admin assignments, {r.api_calls} API calls {dict(r.api_calls_by_family)}"))


def publish_summary(console: Console, report: Any, where: str | None = None) -> None:
    """One table per publish; ``where`` names the region when a run publishes in several (each its own table)."""
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
    place = f" in {where}" if where else ""
    t = table(console, f"publish {report.catalog}.{report.schema}{place}: {counts} ({report.seconds:.1f}s)")
    # scope: regional tables hold only this metastore's region's rows, global ones every region's (the registry)
    for col in ("system table", "scope", "view", "result", "reason"):
        t.add_column(col, overflow="fold")
    for v in report.results:
        style = {"failed": "red", "skipped": "yellow"}.get(v.status)
        # the view's name only: catalog.schema is in the title (the table fits 80 columns)
        view = v.view.rsplit(".", 1)[-1] if v.view else None
        t.add_row(plain(v.source), plain(v.region), plain(view), plain(v.status), plain(v.reason), style=style)
    console.print(t)
    if report.error:
        console.print(labelled("error", "red", report.error), soft_wrap=True)
    if report.sharing_error:
        console.print(labelled("error", "red", report.sharing_error), soft_wrap=True)
    for line in report.missing_grants:
        console.print(labelled("missing grant", "red", line), soft_wrap=True)
