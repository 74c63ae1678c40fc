"""The collector's tables: last-known-good rows in, one consistent snapshot out.

Each table is written with one overwrite (atomic on Delta: readers see the old or the new table, never half). The
views read only the access map (``workspace_access_map``), written last, so they switch from one snapshot to the next
in a single commit.
"""

from __future__ import annotations

import logging
from typing import Any

from rls import tables
from rls.config import RlsConfig
from rls.sql import SqlBackend, quote_name
from rls.sql.structs import from_row

logger = logging.getLogger(__name__)


class SnapshotStore:
    def __init__(self, backend: SqlBackend, cfg: RlsConfig) -> None:
        self.backend = backend
        self.cfg = cfg

    def name(self, table: str) -> str:
        return quote_name(self.cfg.catalog, self.cfg.schema, table)

    def _exists(self, table: str) -> bool:
        return self.backend.table_exists(self.name(table))

    def ensure_schema(self) -> None:
        self.backend.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(self.cfg.catalog, self.cfg.schema)}")

    def admin_row_count(self) -> int | None:
        """Admin rows of the last published snapshot (None before the first run)."""
        if not self._exists(tables.ADMINS):
            return None
        return int(self.backend.fetch(f"SELECT count(*) AS n FROM {self.name(tables.ADMINS)}")[0]["n"])

    def previous(self, workspace_ids: set[int]) -> dict[str, list[Any]]:
        """Rows the last snapshot holds for these workspaces: kept when they cannot be collected now."""
        out: dict[str, list[Any]] = {tables.ADMINS: [], tables.USERS: [], tables.PERMS: [], tables.ACCESS_MAP: []}
        if not workspace_ids:
            return out
        ids = ", ".join(str(int(w)) for w in sorted(workspace_ids))
        for table, klass in (
            (tables.ADMINS, tables.AccessRow),
            (tables.USERS, tables.AccessRow),
            (tables.PERMS, tables.WorkspacePerms),
            (tables.ACCESS_MAP, tables.AccessMapRow),
        ):
            if self._exists(table):
                rows = self.backend.fetch(f"SELECT * FROM {self.name(table)} WHERE workspace_id IN ({ids})")
                out[table] = [from_row(klass, r) for r in rows]
        if not out[tables.ACCESS_MAP] and not self._exists(tables.ACCESS_MAP):
            # A snapshot from before the access map: its ways in are the rows not expanded from a group.
            out[tables.ACCESS_MAP] = [m for r, level in _levels(out) if (m := _way_in(r, level)) is not None]
        return out

    def write(
        self,
        admins: list[tables.AccessRow],
        users: list[tables.AccessRow],
        perms: list[tables.WorkspacePerms],
        members: list[tables.GroupMember],
        principals: list[tables.PrincipalRow],
        access_map: list[tables.AccessMapRow],
    ) -> None:
        # Every row of every table is checked before the first write (a bad value changes nothing); the access map is
        # what the views read: written last, once everything else is in place.
        batch: list[tuple[str, Any, type]] = [
            # the `self` level's id -> name map (lakeflow.jobs holds principal ids)
            (self.name(tables.PRINCIPALS), principals, tables.PrincipalRow),
            (self.name(tables.GROUP_MEMBERS), members, tables.GroupMember),
            (self.name(tables.USERS), users, tables.AccessRow),
            (self.name(tables.PERMS), perms, tables.WorkspacePerms),
            (self.name(tables.ADMINS), admins, tables.AccessRow),
            (self.name(tables.ACCESS_MAP), access_map, tables.AccessMapRow),
        ]
        self.backend.save_tables(batch)

    def append_run(self, run: tables.CollectionRun) -> None:
        self.backend.save_table(self.name(tables.RUNS), [run], tables.CollectionRun, mode="append")


def _levels(kept: dict[str, list[Any]]) -> list[tuple[tables.AccessRow, str]]:
    return [(r, "ADMIN") for r in kept[tables.ADMINS]] + [(r, "USER") for r in kept[tables.USERS]]


def _way_in(r: tables.AccessRow, permission: str) -> tables.AccessMapRow | None:
    if r.user_name is not None and r.group_name is not None:
        return None  # a member reached through a group: the group's own row is the way in
    return tables.AccessMapRow(
        r.workspace_id,
        r.workspace_name,
        r.workspace_url,
        permission,
        r.user_name,
        None,  # the older tables kept no group id; the name is what the views match
        r.group_name,
        r.principal_type,
        r.source,
        r.run_id,
        r.collected_at,
    )
