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

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rls.collect.report import CollectReport


def plain(value: Any) -> Text:
    """A value as literal text: rich renders it as is, brackets included."""
    return Text("" if value is None else str(value))


def labelled(label: str, style: str, message: Any) -> Text:
    """``label: message`` with the label styled and the message literal."""
    return Text.assemble((label, style), ": ", plain(message))


@contextmanager
def progress_bars(console: Console, enabled: bool) -> Iterator[Any]:
    """A callback ``(phase, done, total)`` that drives one bar per phase (no-op when disabled)."""
    if not enabled:
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
    t = Table(title=escape(f"collect {r.run_id}: {r.outcome}"), show_lines=False)
    for col in ("workspace", "name", "status", "outcome", "admins", "users", "catalogs", "elevated", "calls", "note"):
        t.add_column(col, overflow="fold")
    for w in sorted(r.workspaces, key=lambda w: w.workspace_id):
        style = {"failed": "red", "not-running": "yellow", "not-onboarded": "yellow"}.get(w.outcome)
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
                    "yes" if w.elevated else "",
                    w.api_calls,
                    w.error or "",
                ),
            ),
            style=style,
        )
    console.print(t)
    for line in r.repaired:
        console.print(labelled("repaired earlier elevation", "yellow", line))
    if r.dry_run and r.elevations:
        console.print(plain(f"dry run: would elevate on workspaces {', '.join(map(str, r.elevations))}"))
    for line in r.errors + r.unrestored:
        console.print(labelled("error", "red", line))
    console.print(plain(f"{r.admin_rows} admin assignments, {r.api_calls} API calls {dict(r.api_calls_by_family)}"))


def publish_summary(console: Console, report: Any) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
    t = Table(title=escape(f"publish {report.catalog}.{report.schema}: {counts} ({report.seconds:.1f}s)"))
    # scope: regional tables hold only this metastore's region's rows, global ones every region's (the registry)
    for col in ("system table", "scope", "view", "result", "reason"):
        t.add_column(col, overflow="fold")
    for v in report.results:
        style = {"failed": "red", "skipped": "yellow"}.get(v.status)
        t.add_row(plain(v.source), plain(v.region), plain(v.view), plain(v.status), plain(v.reason), style=style)
    console.print(t)
    if report.error:
        console.print(labelled("error", "red", report.error))
    if report.sharing_error:
        console.print(labelled("error", "red", report.sharing_error))
    for line in report.missing_grants:
        console.print(labelled("missing grant", "red", line))
