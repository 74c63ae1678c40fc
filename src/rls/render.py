"""Human output of the CLI: progress bars and summary tables (rich). Machines use --json instead.

Every name here comes from the account or a config (workspace, group, user, catalog names; error texts quoting
them): it is data, never rich markup. A workspace named ``[/]`` must print as ``[/]``, not crash the report after
the data was written, and ``[bold red]x[/]`` must not restyle the output. So data reaches rich only as ``Text``
(never parsed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rls.collect.report import CollectReport

_UNBOUNDED = 1_000_000  # columns: wide enough for any summary, to measure a table at its natural width
_OUTCOME_STYLE = {"failed": "red", "unreachable": "red", "not-running": "yellow", "not-onboarded": "yellow"}


@dataclass
class Summary:
    """A summary: a table where the console is wide enough for it, else one line per row (``header value, …``).
    Never a cell folded or cut to fit: an id, a workspace name or an error is copied and grepped whole (piped output
    is 80 columns, where the collect table's ten columns folded every cell). Values are data: literal text only."""

    title: str | None
    columns: Sequence[str]
    rows: list[tuple[list[Text], str | None]] = field(default_factory=list)

    def add_row(self, *values: Any, style: str | None = None) -> None:
        self.rows.append(([v if isinstance(v, Text) else plain(v) for v in values], style))

    def print(self, console: Console) -> None:
        if self.title:  # a line of its own, never wrapped to the table's width
            console.print(plain(self.title), soft_wrap=True)
        t = self._table(console)
        natural = Measurement.get(console, console.options.update_width(_UNBOUNDED), t).maximum  # nothing wrapped
        if natural <= console.width:
            console.print(t)
            return
        for values, style in self.rows:
            parts = [Text.assemble(f"{c} ", v) for c, v in zip(self.columns, values, strict=True) if v.plain]
            console.print(Text(", ", end="").join(parts), style=style or "", soft_wrap=True)

    def _table(self, console: Console) -> Table:
        # rich's box drawing on a terminal; plain ASCII rules when piped (logs, files, grep). HEAVY_HEAD: rich's default
        kind = box.HEAVY_HEAD if console.is_terminal else box.ASCII2
        t = Table(box=kind)
        for c in self.columns:
            t.add_column(plain(c), no_wrap=True)
        for values, style in self.rows:
            t.add_row(*values, style=style)
        return t


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
    t = Summary(
        f"collect {r.run_id}: {r.outcome}",
        ("workspace", "name", "status", "outcome", "admins", "users", "catalogs", "elevated", "calls", "note"),
    )
    for w in sorted(r.workspaces, key=lambda w: w.workspace_id):
        elevated = r.elevated_to.get(w.workspace_id, "yes") if w.elevated else ""
        t.add_row(
            w.workspace_id,
            w.workspace_name,
            w.workspace_status,
            w.outcome,
            w.admins,
            w.users,
            w.catalogs,
            elevated,
            w.api_calls,
            w.error or "",
            style=_OUTCOME_STYLE.get(w.outcome),
        )
    if r.workspaces:
        t.print(console)
    else:  # the run stopped before reading any workspace (the error below says why): no empty table
        console.print(plain(f"collect {r.run_id}: {r.outcome}"))
    # Each message is one line, never wrapped (a log collector or grep sees it whole).
    for line in r.repaired:
        console.print(labelled("repaired earlier elevation", "yellow", line), soft_wrap=True)
    if r.dry_run and r.elevations:
        would = f"dry run: would elevate on workspaces {', '.join(map(str, r.elevations))}"
        console.print(plain(would), soft_wrap=True)
    for line in r.errors + r.unrestored:
        console.print(labelled("error", "red", line), soft_wrap=True)
    for line in r.notes:  # what could not be read but fails nothing (catalogs, local groups)
        console.print(labelled("note", "yellow", line), soft_wrap=True)
    calls = f"{r.admin_rows} admin assignments, {r.api_calls} API calls {dict(r.api_calls_by_family)}"
    console.print(plain(calls), soft_wrap=True)


def publish_summary(console: Console, report: Any, where: str | None = None) -> None:
    """One table per publish; ``where`` names the region when a run publishes in several (each its own table)."""
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
    place = f" in {where}" if where else ""
    t = Summary(
        f"publish {report.catalog}.{report.schema}{place}: {counts} ({report.seconds:.1f}s)",
        # scope: regional tables hold only this metastore's region's rows, global ones every region's (the registry)
        ("system table", "scope", "view", "result", "reason"),
    )
    for v in report.results:
        # the view's name only: catalog.schema is in the title
        view = v.view.rsplit(".", 1)[-1] if v.view else None
        style = {"failed": "red", "skipped": "yellow"}.get(v.status)
        t.add_row(v.source, v.region, view, v.status, v.reason, style=style)
    t.print(console)
    if report.error:
        console.print(labelled("error", "red", report.error), soft_wrap=True)
    if report.sharing_error:
        console.print(labelled("error", "red", report.sharing_error), soft_wrap=True)
    for line in report.missing_grants:
        console.print(labelled("missing grant", "red", line), soft_wrap=True)
