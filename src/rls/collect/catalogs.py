"""Catalogs, read once per metastore and never through an elevation.

Catalogs belong to a metastore, not to a workspace; a workspace sees its metastore's OPEN catalogs plus the ISOLATED
ones bound to it. Listing catalogs answers only what the caller owns or may use, unless it is metastore admin, and
being workspace admin does not widen it (SDK ``CatalogsAPI.list`` docstring; facts file, corrections): elevating to
list catalogs buys nothing. So each metastore is listed through one workspace where the collector already is a
member, and the bindings of its ISOLATED catalogs are read there too (allowed to the catalog's owner or a metastore
admin). Catalogs are informational (the views never read them): what cannot be read is reported, never guessed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from databricks.sdk.errors import DatabricksError, PermissionDenied

from rls.collect.account_api import AccountApi, CatalogInfo
from rls.collect.workspace_reads import WorkspaceState
from rls.model.access import WorkspaceInfo
from rls.model.directory import MemberRef
from rls.parallel import describe

logger = logging.getLogger(__name__)


@dataclass
class MetastoreCatalogs:
    metastore_id: str
    catalogs: list[CatalogInfo] = field(default_factory=list)
    bindings: dict[str, list[int]] = field(default_factory=dict)  # ISOLATED catalog -> bound workspace ids
    read_through: int | None = None  # the workspace the listing went through
    notes: list[str] = field(default_factory=list)

    def of_workspace(self, workspace_id: int) -> list[CatalogInfo]:
        return [
            c for c in self.catalogs if c.isolation_mode != "ISOLATED" or workspace_id in self.bindings.get(c.name, ())
        ]


def read_metastore(api: AccountApi, metastore_id: str, candidates: list[WorkspaceInfo]) -> MetastoreCatalogs:
    """List the metastore's catalogs through the first candidate workspace that answers (most likely first)."""
    out = MetastoreCatalogs(metastore_id)
    denied: list[str] = []
    via: WorkspaceInfo | None = None
    for ws in candidates:
        try:
            out.catalogs = api.catalogs(ws)
        except PermissionDenied:
            denied.append(str(ws.workspace_id))
            continue
        except (DatabricksError, OSError, TimeoutError) as e:
            denied.append(f"{ws.workspace_id} ({describe(e)})")
            continue
        via = ws
        out.read_through = ws.workspace_id
        break
    if via is None:
        tried = ", ".join(denied) if denied else "none running"
        out.notes.append(
            f"catalogs of metastore {metastore_id} not read: the collector is a member of none of its workspaces "
            f"(tried: {tried})"
        )
        return out
    for c in out.catalogs:
        if c.isolation_mode != "ISOLATED":
            continue
        try:
            out.bindings[c.name] = api.catalog_bindings(via, c.name)
        except (DatabricksError, OSError, TimeoutError) as e:
            out.notes.append(
                f"bindings of isolated catalog {c.name} (metastore {metastore_id}) not read: {describe(e)}; "
                "it is listed under no workspace"
            )
    return out


def read_catalogs(api: AccountApi, running: list[WorkspaceState], collector: MemberRef, notes: list[str]) -> None:
    """Each metastore's catalogs once, through a workspace where the collector already is a member (likely members
    first); what cannot be read goes to ``notes``."""
    by_metastore: dict[str, list[WorkspaceState]] = {}
    for w in running:
        if w.metastore_id and not w.error:
            by_metastore.setdefault(w.metastore_id, []).append(w)

    def likely_member(w: WorkspaceState) -> int:
        if any(g.principal == collector for g in w.grants) or w.local_admins is not None:
            return 0
        return 1

    for mid, members in by_metastore.items():
        candidates = [w.info for w in sorted(members, key=likely_member)]
        found = read_metastore(api, mid, candidates)
        notes.extend(found.notes)
        for w in members:
            w.catalogs = [(c.name, c.owner) for c in found.of_workspace(w.info.workspace_id)]
