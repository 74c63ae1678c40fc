"""What a collection run did, per workspace, for the run table, the CLI and the exit code."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from rls import exitcodes, tables


@dataclass
class CollectReport:
    run_id: str
    started_at: dt.datetime
    dry_run: bool = False
    forced: bool = False
    ended_at: dt.datetime | None = None
    workspaces: list[tables.WorkspaceRun] = field(default_factory=list)
    elevations: list[int] = field(default_factory=list)  # elevated (or, in a dry run, would elevate)
    elevated_to: dict[int, str] = field(default_factory=dict)  # workspace -> the highest level it was elevated to
    repaired: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unrestored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be read but fails nothing (e.g. catalogs)
    refused: bool = False
    busy: bool = False  # another collector holds the ledger's lease: nothing was done
    aborted: bool = False  # stopped before the snapshot was written: nothing changed
    admin_rows: int = 0  # admin ways in (ADMIN rows of the access map the views read): what the breaker compares
    previous_admin_rows: int | None = None
    expanded_admin_rows: int | None = None  # rows of the reporting table ``…_admins`` (one per member reached)
    api_calls_by_family: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[tables.WorkspaceRun]:
        return [w for w in self.workspaces if w.outcome in ("failed", "unreachable")]

    @property
    def outcome(self) -> str:
        if self.unrestored:
            return "unrestored"
        if self.refused:
            return "refused"
        if self.busy:
            return "busy"
        if self.dry_run:
            return "dry-run"
        if self.aborted or (self.errors and not self.workspaces):
            return "failed"
        return "partial" if self.failed else "ok"

    @property
    def exit_code(self) -> int:
        return {
            "unrestored": exitcodes.UNRESTORED,
            "refused": exitcodes.REFUSED,
            "busy": exitcodes.BUSY,
            "failed": exitcodes.ERROR,
            "partial": exitcodes.PARTIAL,
        }.get(self.outcome, exitcodes.OK)

    @property
    def api_calls(self) -> int:
        return sum(self.api_calls_by_family.values())

    def to_run_row(self) -> tables.CollectionRun:
        return tables.CollectionRun(
            run_id=self.run_id,
            started_at=self.started_at,
            ended_at=self.ended_at or dt.datetime.now(dt.UTC),
            outcome=self.outcome,
            forced=self.forced,
            admin_rows=self.admin_rows,
            previous_admin_rows=self.previous_admin_rows,
            api_calls=self.api_calls,
            api_calls_by_family=dict(self.api_calls_by_family),
            workspaces=list(self.workspaces),
            elevations=list(self.elevations),
            repaired=list(self.repaired),
            errors=list(self.errors) + list(self.unrestored),
        )

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self.to_run_row())
        d["dry_run"] = self.dry_run
        d["expanded_admin_rows"] = self.expanded_admin_rows
        d["notes"] = list(self.notes)
        d["elevated_to"] = {str(k): v for k, v in self.elevated_to.items()}
        d["exit_code"] = self.exit_code
        for k in ("started_at", "ended_at"):
            d[k] = d[k].isoformat()
        return d
