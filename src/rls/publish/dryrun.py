"""`rls publish --dry-run`: what a publish would change — views created, altered, dropped, grants, shares — without
changing anything.

It reads exactly what :func:`rls.publish.publish` reads (discovery, the existing views and their properties, the
job's identity, the share's contents) and asks the publisher's own statement builders what they would run, so the
plan cannot drift from what a real publish does. Nothing is executed but reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rls import exitcodes
from rls.config import RlsConfig
from rls.publish.applier import Applier, job_identity
from rls.publish.discovery import discover
from rls.publish.plan import plan
from rls.publish.prune import prune_candidates
from rls.publish.report import first_line
from rls.publish.sharing import mount_statement, share_statements, shared_now
from rls.publish.state import read_existing
from rls.sql.backend import SqlBackend
from rls.target import Target


@dataclass(frozen=True)
class Change:
    """One object a publish would touch: ``action`` create | alter | grant | drop | owner | share | mount | schema."""

    action: str
    name: str
    reason: str | None = None
    statements: tuple[str, ...] = ()


@dataclass
class PublishPlan:
    catalog: str
    schema: str
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (system table, why)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return exitcodes.ERROR if self.error else exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "schema": self.schema,
            "dry_run": True,
            "exit_code": self.exit_code,
            "error": self.error,
            "changes": [asdict(c) | {"statements": list(c.statements)} for c in self.changes],
            "unchanged": self.unchanged,
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
        }

    def lines(self) -> list[str]:
        out = [f"publish plan for {self.catalog}.{self.schema} (dry run: nothing was changed)"]
        for c in self.changes:
            out.append(f"  {c.action:9} {c.name}" + (f" ({c.reason})" if c.reason else ""))
        if self.skipped:
            out.append(f"  skipped   {len(self.skipped)} system tables (see --json for why)")
        out.append(f"  unchanged {len(self.unchanged)} views")
        if self.error:
            out.append(f"error: {self.error}")
        return out


def plan_publish(backend: SqlBackend, cfg: RlsConfig, *, prune: bool | None = None) -> PublishPlan:
    """What ``publish(backend, cfg, prune=prune)`` would change, read-only."""
    prune = cfg.publish.prune if prune is None else prune
    found = discover(backend, cfg)
    the_plan = plan(found, cfg)
    out = PublishPlan(cfg.catalog, cfg.schema)
    out.skipped = [(r.source or "", r.reason or r.status) for r in the_plan.results]
    try:
        existing = read_existing(backend, cfg.catalog, cfg.schema)
    except Exception as e:
        out.error = f"cannot read schema {Target.of(cfg).display}: {first_line(e)}"
        return out
    if not existing.schema_exists:
        target = Target.of(cfg)
        out.changes.append(Change("schema", target.display, "does not exist", (target.create_schema_sql(),)))
    if cfg.reads_shared:
        out.changes.append(Change("mount", cfg.sharing.source_catalog or "", "if missing", (mount_statement(cfg),)))
    applier = Applier(backend, cfg, job_identity(backend))
    for d in the_plan.views + the_plan.references:
        ex = existing.views.get(d.name[2].lower())
        if ex is not None and not ex.is_view:
            out.changes.append(Change("skip", d.display, "a table (not a view) has this name: left alone"))
            continue
        sqls = applier.statements(d, ex)
        grants = tuple(s for s in sqls if s.startswith("GRANT "))
        rest = tuple(s for s in sqls if not s.startswith("GRANT "))  # the body, and the fingerprint properties
        if ex is None:
            out.changes.append(Change("create", d.display, None, rest))
        elif d.alter_sql() in rest:
            out.changes.append(Change("alter", d.display, "; ".join(applier.reasons(d, ex)) or None, rest))
        elif rest:  # only the grants changed: their fingerprint property goes with them
            grants += rest
        if grants:
            out.changes.append(Change("grant", d.display, f"SELECT to {', '.join(applier.grants)}", grants))
        owner_sql = applier.owner_statement(d, ex)
        if owner_sql is not None:
            out.changes.append(Change("owner", d.display, f"to {applier.owner}", (owner_sql,)))
        if ex is not None and not sqls and owner_sql is None:
            out.unchanged.append(d.display)
    if prune:
        filterable = {t for t in found.tables if t.has_workspace_id}
        for name, sql in prune_candidates(cfg, found.source, filterable, existing):
            out.changes.append(Change("drop", name, "source table is gone", (sql,)))
    if cfg.sharing.recipients:
        sqls = share_statements(cfg, shared_now(backend, cfg, strict=False))
        recipients = ", ".join(sorted(cfg.sharing.recipients))
        reason = f"collected tables, granted to {recipients}"
        out.changes.append(Change("share", cfg.sharing.share, reason, tuple(sqls)))
    return out
