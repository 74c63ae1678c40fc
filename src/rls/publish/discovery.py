"""Which system tables get a view: read ``system.information_schema.columns`` at run time, so tables and columns
that Databricks adds later are picked up; fall back to a static list of known tables when it cannot be read."""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass
from typing import Literal

from rls.config import RlsConfig
from rls.publish.report import first_line
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_name, quote_string
from rls.sql.system_tables import WORKSPACE_TABLES, known_unfilterable

logger = logging.getLogger(__name__)

# Known workspace-scoped system tables (all have a STRING workspace_id), from the registry of system-table facts.
# Used only when information_schema cannot be read: then columns are unknown and new tables are missed, which the
# report says.
STATIC_TABLES: tuple[str, ...] = WORKSPACE_TABLES


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str


@dataclass(frozen=True)
class SystemTable:
    schema: str
    table: str
    columns: tuple[Column, ...] | None = None  # None: unknown (static fallback)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def has_workspace_id(self) -> bool:
        if self.columns is None:
            return True  # only the static list has unknown columns, and every table in it has workspace_id
        # The registry wins over a column of that name: a table the facts call unfilterable is never filtered.
        return any(c.name.lower() == "workspace_id" for c in self.columns) and not known_unfilterable(self.key)


@dataclass(frozen=True)
class Discovery:
    source: Literal["information_schema", "static"]
    tables: tuple[SystemTable, ...]
    error: str | None = None  # why information_schema could not be read


@dataclass(frozen=True)
class Candidate:
    """A discovered table and what to do with it: ``skip_reason`` None means publish with ``access_level``."""

    table: SystemTable
    access_level: str
    skip_reason: str | None = None


def discover(backend: SqlBackend, cfg: RlsConfig) -> Discovery:
    """Every table of the system catalog (except information_schema itself) with its columns."""
    sql = (
        f"SELECT * FROM {quote_name(cfg.system_catalog, 'information_schema', 'columns')}"
        f" WHERE table_catalog = {quote_string(cfg.system_catalog)} AND lower(table_schema) <> 'information_schema'"
    )
    try:
        rows = backend.fetch(sql)
    except Exception as e:  # any failure: permissions, missing table, network; the static list still works
        error = first_line(e)
        logger.warning(
            "cannot read %s.information_schema.columns (%s): using the static list of %d tables",
            cfg.system_catalog,
            error,
            len(STATIC_TABLES),
        )
        return Discovery("static", _static_tables(), error)
    cols: dict[tuple[str, str], list[tuple[int, Column]]] = {}
    for r in rows:
        # full_data_type (Databricks) spells out struct fields, so a struct that grows is seen as drift
        dtype = str(r.get("full_data_type") or r.get("data_type") or "")
        pos = r.get("ordinal_position")
        key = (str(r["table_schema"]), str(r["table_name"]))
        entry = cols.setdefault(key, [])
        entry.append((int(pos) if pos is not None else len(entry), Column(str(r["column_name"]), dtype)))
    tables = tuple(
        SystemTable(s, t, tuple(c for _, c in sorted(cs, key=lambda p: p[0]))) for (s, t), cs in sorted(cols.items())
    )
    if not tables:
        logger.warning("%s.information_schema.columns lists no tables: using the static list", cfg.system_catalog)
        return Discovery("static", _static_tables(), "information_schema.columns returned no rows")
    logger.info("discovered %d system tables from information_schema", len(tables))
    return Discovery("information_schema", tables)


def _static_tables() -> tuple[SystemTable, ...]:
    return tuple(SystemTable(*key.split(".", 1)) for key in STATIC_TABLES)


def matches(patterns: list[str], key: str) -> bool:
    """Whether ``schema.table`` is named by one of ``patterns`` (``publish.include`` / ``publish.exclude``: fnmatch,
    case-insensitive)."""
    return any(fnmatch.fnmatchcase(key.lower(), p.lower()) for p in patterns)


def candidates(discovery: Discovery, cfg: RlsConfig) -> list[Candidate]:
    """Apply include/exclude (fnmatch over ``schema.table``, case-insensitive), access levels and the
    workspace_id rule. Every discovered table appears once, so the report can say why a table has no view."""
    pub = cfg.publish
    levels = {k.lower(): v for k, v in pub.access_levels.items()}
    known = {t.key.lower() for t in discovery.tables}
    for key in levels.keys() - known:
        logger.warning("publish.access_levels names %s, which is not a discovered system table", key)
    out = []
    for t in discovery.tables:
        key = t.key.lower()
        level = levels.get(key, "admin")
        if not matches(pub.include, key):
            reason = "not matched by publish.include"
        elif matches(pub.exclude, key):
            reason = "matched by publish.exclude"
        elif not t.has_workspace_id:
            # never exposed unfiltered: a table that cannot be filtered per workspace gets no view at all
            reason = "no workspace_id column: cannot be filtered per workspace"
        elif level == "none":
            reason = "access level none"
        else:
            reason = None
        out.append(Candidate(t, level, reason))
    return out
