"""What several checks read about the deployment, read once and lazily: a check never reached costs nothing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from rls import tables
from rls.config import RlsConfig
from rls.publish import Discovery, ViewDefinition, discover
from rls.publish.plan import Plan, plan, stored_form
from rls.publish.state import ExistingState, ExistingView, read_existing
from rls.sql import SqlBackend, quote_name, system_tables
from rls.target import Target


@dataclass(frozen=True)
class ViewInfo:
    """What ``DESCRIBE TABLE EXTENDED`` says about one view."""

    name: str
    columns: tuple[str, ...]
    text: str | None  # the stored query; None when the platform does not show it
    properties: str  # the raw "[k=v, …]" list


class Deployment:
    """What several checks read, read once (lazily: a check that is never reached costs nothing)."""

    def __init__(self, backend: SqlBackend, cfg: RlsConfig) -> None:
        self.backend = backend
        self.cfg = cfg
        self._described: dict[str, ViewInfo] = {}

    def name(self, table: str) -> str:
        return Target.of(self.cfg).name(table)

    def collected(self, table: str) -> str:
        """A table the collector writes, where this deployment reads it (other regions: the mounted share)."""
        return quote_name(*self.cfg.collected_table(table))

    @cached_property
    def discovery(self) -> Discovery:
        return discover(self.backend, self.cfg)

    @cached_property
    def plan(self) -> Plan:
        """The publisher's own plan (one function: verify compares against exactly what publish would make)."""
        return plan(self.discovery, self.cfg)

    @cached_property
    def unfilterable(self) -> set[str]:
        """Every ``schema.table`` that cannot be filtered per workspace: as discovered, and as the registry of
        system-table facts says (discovery may have fallen back to its static list, which names filterable tables
        only)."""
        found = {t.key.lower() for t in self.discovery.tables if not t.has_workspace_id}
        return found | set(system_tables.NO_WORKSPACE_ID)

    @property
    def planned(self) -> list[ViewDefinition]:
        return [*self.plan.views, *self.plan.references]

    @cached_property
    def objects(self) -> dict[str, ExistingView]:
        """Every object of the schema (tables and views, ours or not) with kind, owner and stored text."""
        return read_existing(self.backend, self.cfg.catalog, self.cfg.schema, like="*").views

    @cached_property
    def existing(self) -> ExistingState:
        return read_existing(self.backend, self.cfg.catalog, self.cfg.schema)

    def present(self) -> list[ViewDefinition]:
        views = self.existing.views
        return [d for d in self.planned if (ex := views.get(d.name[2].lower())) is not None and ex.is_view]

    @cached_property
    def all_views(self) -> list[str]:
        """Every view of the schema, ours or not."""
        if not self.existing.schema_exists:
            return []
        rows = self.backend.fetch(f"SHOW VIEWS IN {Target.of(self.cfg).quoted}")
        return sorted(str(r.get("viewName") or "") for r in rows if str(r.get("isTemporary")).lower() != "true")

    def describe(self, view: str) -> ViewInfo:
        if view not in self._described:
            rows = self.backend.fetch(f"DESCRIBE TABLE EXTENDED {self.name(view)}")
            columns: list[str] = []
            info: dict[str, str] = {}
            in_columns = True
            for r in rows:
                key, value = str(r.get("col_name") or ""), r.get("data_type")
                if not key.strip() or key.startswith("#"):
                    in_columns = False  # the column list ends at the first blank or "# Detailed…" row
                elif in_columns:
                    columns.append(key)
                else:
                    info.setdefault(key, str(value or ""))
            self._described[view] = ViewInfo(
                view, tuple(columns), info.get("View Text"), info.get("Table Properties", "")
            )
        return self._described[view]

    def stored_form(self, sql: str) -> str:
        return stored_form(self.backend, sql)

    @property
    def configured_owner(self) -> str | None:
        """The owner the config names (``publish.owner``, else the collector's application id), if any."""
        return self.cfg.publish.owner or self.cfg.collect.collector_application_id

    @cached_property
    def view_owner(self) -> str:
        """Who must own the views: ``publish.owner``, else the job's identity — ``collect.collector_application_id``,
        else the owner of the collector's access map (the job wrote it), else the identity verify runs as. Never
        unknown: with the shipped rls.yml (no owner configured) the check must still run, not be skipped."""
        configured = self.configured_owner
        if configured:
            return configured
        access_map = self.objects.get(tables.ACCESS_MAP.lower())
        if access_map is not None and access_map.owner and not self.cfg.reads_shared:
            return access_map.owner
        rows = self.backend.fetch("SELECT current_user() AS identity")
        return str(rows[0]["identity"])
