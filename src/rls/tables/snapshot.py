"""The collector's tables: last-known-good rows in, one consistent snapshot out.

Each table is written with one overwrite (atomic on Delta: readers see the old or the new table, never half). The
views read only the access map (``workspace_access_map``), written last, so they switch from one snapshot to the next
in a single commit.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from rls import tables
from rls.config import RlsConfig
from rls.model.directory import Directory
from rls.sql import SqlBackend
from rls.sql.structs import from_row
from rls.tables.expand import Expanded, Names, expand
from rls.target import Target

logger = logging.getLogger(__name__)
# Rows of a snapshot from before the access map that are ways in (not members reached through a group's row).
_NOT_REACHED_VIA_GROUP = "NOT (user_name IS NOT NULL AND group_name IS NOT NULL)"


class SnapshotStore:
    def __init__(self, backend: SqlBackend, cfg: RlsConfig) -> None:
        self.backend = backend
        self.cfg = cfg

    def name(self, table: str) -> str:
        return Target.of(self.cfg).name(table)

    def _exists(self, table: str) -> bool:
        return self.backend.table_exists(self.name(table))

    def ensure_schema(self) -> None:
        Target.of(self.cfg).ensure_schema(self.backend)

    def admin_ways(self) -> int | None:
        """Admin ways in of the last published snapshot (None before the first run)."""
        if self._exists(tables.ACCESS_MAP):
            table, where = tables.ACCESS_MAP, "permission = 'ADMIN'"
        elif self._exists(tables.ADMINS):  # a snapshot from before the access map: its rows not reached via a group
            table, where = tables.ADMINS, _NOT_REACHED_VIA_GROUP
        else:
            return None
        return int(self.backend.fetch(f"SELECT count(*) AS n FROM {self.name(table)} WHERE {where}")[0]["n"])

    def previous(self, workspace_ids: set[int], directory: Directory) -> dict[str, list[Any]]:
        """What the last snapshot holds for these workspaces (their ways in, their own row): kept when they cannot be
        collected now, and expanded again with today's group memberships."""
        out: dict[str, list[Any]] = {tables.PERMS: [], tables.ACCESS_MAP: []}
        if not workspace_ids:
            return out
        ids = ", ".join(str(int(w)) for w in sorted(workspace_ids))

        def rows(table: str, klass: type, where: str = "") -> list[Any]:
            sql = f"SELECT * FROM {self.name(table)} WHERE workspace_id IN ({ids}){where}"
            return [from_row(klass, r) for r in self.backend.fetch(sql)] if self._exists(table) else []

        out[tables.PERMS] = [
            dataclasses.replace(p, admins=[], users=[]) for p in rows(tables.PERMS, tables.WorkspacePerms)
        ]
        if self._exists(tables.ACCESS_MAP):
            out[tables.ACCESS_MAP] = rows(tables.ACCESS_MAP, tables.AccessMapRow)
        else:  # a snapshot from before the access map: its ways in are the rows not reached through a group
            out[tables.ACCESS_MAP] = [
                _way_in(r, level)
                for table, level in ((tables.ADMINS, "ADMIN"), (tables.USERS, "USER"))
                for r in rows(table, tables.AccessRow, f" AND {_NOT_REACHED_VIA_GROUP}")
            ]
        # Those older rows carry no group id: matched to today's by name (the expansion joins on the id).
        by_name = {g.name: g.id for g in directory.groups.values()}
        out[tables.ACCESS_MAP] = [
            r._replace(group_id=by_name.get(r.group_name, r.group_id)) if r.group_id is None else r
            for r in out[tables.ACCESS_MAP]
        ]
        return out

    def write(
        self,
        access_map: list[tables.AccessMapRow],
        perms: list[tables.WorkspacePerms],
        edges: list[tables.GroupEdge],
        principals: list[tables.PrincipalRow],
        run_id: str,
    ) -> Expanded:
        """Write the driver's rows, expand the reporting tables in SQL, then the access map the views read."""
        names = Names(self.cfg.catalog, self.cfg.schema)
        # Every row of every table is checked before the first write (a bad value changes nothing).
        staged = self.backend.stage_tables(
            [
                # the `self` level's id -> name map (lakeflow.jobs holds principal ids)
                (self.name(tables.PRINCIPALS), principals, tables.PrincipalRow),
                (self.name(tables.GROUP_EDGES), edges, tables.GroupEdge),
                (names.perms_base, perms, tables.WorkspacePerms),
                (self.name(tables.ACCESS_MAP), access_map, tables.AccessMapRow),
            ]
        )
        self.backend.write_staged(staged[:-1])
        try:
            # The expansion reads the access map being written: a staging copy until the views may switch.
            self.backend.write_staged([(names.access_map_stage, *staged[-1][1:])])
            expanded = expand(self.backend, names, run_id)
        finally:
            self.backend.execute(f"DROP TABLE IF EXISTS {names.perms_base}")
            self.backend.execute(f"DROP TABLE IF EXISTS {names.access_map_stage}")
        # Last: the views switch to the new snapshot in this single overwrite.
        self.backend.write_staged(staged[-1:])
        return expanded

    def append_run(self, run: tables.CollectionRun) -> None:
        self.backend.save_table(self.name(tables.RUNS), [run], tables.CollectionRun, mode="append")


def _way_in(r: tables.AccessRow, permission: str) -> tables.AccessMapRow:
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
