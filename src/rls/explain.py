"""`rls explain IDENTITY`: which workspaces an identity sees in the views, and why — from the collected tables only.

The views keep a workspace's rows when the access map has an ADMIN row whose ``user_name`` is the reader
(``current_user()``), or a GROUP row whose account group the reader belongs to (``is_account_group_member``, live).
Both paths are explained here from the reporting tables expanded from that map: the rows' ``via`` chains and
``group_members_flat``, which holds the memberships as of the last collection. A workspace where the identity only
has USER access is listed as not visible, with the USER chain, so "why can't I see X" has an answer too. A member of
workspace-local groups in a workspace's ``admins`` group is a row of its own, its ``via`` naming the local group chain
(a snapshot of the last collection); local groups that collection could not resolve are listed, since whom they make
admin is missing from every answer.

Per region: a regional system table holds only the rows of its metastore's region, so a visible workspace's rows in
those views are only in the views published in its own region; global tables show every visible workspace in every
region. The region of each workspace is the one the account API gave when it was collected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rls import exitcodes, tables
from rls.config import RlsConfig
from rls.errors import RlsError
from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION
from rls.sql import SqlBackend, quote_name, quote_string, system_tables

ADMIN, USER_LEVEL = ADMIN_PERMISSION, USER_PERMISSION
BY_USER_NAME = "user_name"  # the current_user() path of the views
BY_GROUP = "account group"  # the is_account_group_member() path
UNKNOWN_REGION = "unknown region"  # a workspace collected before regions were recorded, or the API gave none


class ExplainError(RlsError, RuntimeError):
    """The collected tables cannot be read (not collected yet, wrong catalog/schema)."""


@dataclass(frozen=True)
class Reason:
    """One way the identity holds access to a workspace."""

    level: str  # ADMIN | USER
    source: str  # direct | group | local-admins
    chain: tuple[str, ...]  # groups from the identity outwards: the group holding it first, the assigned one last
    matched_by: tuple[str, ...]  # BY_USER_NAME and/or BY_GROUP

    def text(self, identity: str, workspace: str) -> str:
        steps = [identity, *self.chain]
        if self.source == tables.LOCAL_ADMINS:
            # directly, through account groups, or through workspace-local groups (a snapshot of the last run)
            steps.append(f"local admins group of {workspace}")
        else:
            steps.append(f"{self.level} on {workspace}")
        how = {tables.DIRECT: "direct assignment", tables.VIA_GROUP: "group chain", tables.LOCAL_ADMINS: "local admins"}
        return " → ".join(steps) + f" [{how.get(self.source, self.source)}]"


@dataclass
class WorkspaceExplanation:
    workspace_id: int
    workspace_name: str | None
    reasons: list[Reason] = field(default_factory=list)
    region: str | None = None

    @property
    def visible(self) -> bool:
        return any(r.level == ADMIN for r in self.reasons)

    @property
    def label(self) -> str:
        about = ", ".join(x for x in (self.workspace_name, self.region) if x)
        return f"{self.workspace_id} ({about})" if about else str(self.workspace_id)

    @property
    def verdict(self) -> str:
        return "visible" if self.visible else "not visible: USER only, not ADMIN"


@dataclass
class Explanation:
    identity: str
    known_as: list[str]  # how the tables spell the identity (case may differ from what was asked)
    workspaces: list[WorkspaceExplanation]
    unassigned: int  # collected workspaces where the identity has no assignment at all
    collected: int  # workspaces in the collected snapshot
    inactive_in: list[str] = field(default_factory=list)  # groups that list the identity as inactive
    self_level_tables: list[str] = field(default_factory=list)  # views at the `self` access level
    # registry: regional tables hold only the rows of the reading metastore's region (facts sheet)
    regional_tables: list[str] = field(default_factory=lambda: regional_tables())
    global_tables: list[str] = field(default_factory=lambda: global_tables())
    collected_regions: list[str] = field(default_factory=list)  # regions of the collected workspaces
    unresolved: list[str] = field(default_factory=list)  # local groups in `admins` the last collection could not read

    def own_rows_in(self, w: WorkspaceExplanation) -> list[str]:
        """Views showing this identity its *own* rows of ``w`` although it does not administer ``w``."""
        return [] if w.visible or not w.reasons else list(self.self_level_tables)

    @property
    def visible(self) -> list[int]:
        return [w.workspace_id for w in self.workspaces if w.visible]

    def by_region(self) -> dict[str, dict[str, list[int]]]:
        """Per region of the account: the visible workspaces whose rows its regional views show, and those its global
        views show (all of them)."""
        out: dict[str, dict[str, list[int]]] = {}
        for region in sorted({*self.collected_regions, *(w.region or UNKNOWN_REGION for w in self.workspaces)}):
            here = [w.workspace_id for w in self.workspaces if w.visible and (w.region or UNKNOWN_REGION) == region]
            out[region] = {"regional_tables": here, "global_tables": self.visible}
        return out

    @property
    def exit_code(self) -> int:
        return exitcodes.OK  # an explanation is information, whatever it says

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "known_as": self.known_as,
            "visible_workspaces": self.visible,
            "workspaces": [
                {
                    "workspace_id": w.workspace_id,
                    "workspace_name": w.workspace_name,
                    "region": w.region,
                    "visible": w.visible,
                    "verdict": w.verdict,
                    "own_rows_in": self.own_rows_in(w),
                    "reasons": [
                        {
                            "level": r.level,
                            "source": r.source,
                            "chain": list(r.chain),
                            "matched_by": list(r.matched_by),
                            "text": r.text(self.identity, str(w.workspace_id)),
                        }
                        for r in w.reasons
                    ],
                }
                for w in self.workspaces
            ],
            "unassigned_workspaces": self.unassigned,
            "collected_workspaces": self.collected,
            "inactive_in": self.inactive_in,
            "self_level_tables": self.self_level_tables,
            "regional_tables": self.regional_tables,
            "global_tables": self.global_tables,
            "regions": self.by_region(),
            "unresolved_local_groups": self.unresolved,
            "exit_code": self.exit_code,
        }

    def lines(self) -> list[str]:
        spelled = f" (in the tables: {', '.join(self.known_as)})" if self.known_as else " (not found in the tables)"
        out = [f"{self.identity}{spelled}: sees {len(self.visible)} of {self.collected} collected workspaces"]
        for w in self.workspaces:
            out.append(f"  {w.label}: {w.verdict}")
            shown = [r for r in w.reasons if r.level == ADMIN] if w.visible else w.reasons
            out += [f"    {r.text(self.identity, str(w.workspace_id))}" for r in shown]
            if self.own_rows_in(w):
                out.append(f"    own rows visible in {', '.join(self.own_rows_in(w))} (access level self)")
        out.append(f"  {self.unassigned} other collected workspace(s): no assignment, not visible")
        if self.regional_tables:
            out.append(
                f"  regional tables ({', '.join(self.regional_tables)}): a workspace's rows there are only in the views"
                " published in the metastore of its region"
            )
        regions = self.by_region()
        if regions:
            out.append("  per region (the views published in that region's metastore):")
            for region, seen in regions.items():
                ids = seen["regional_tables"]
                listed = f": {', '.join(map(str, ids))}" if ids else ""
                out.append(
                    f"    {region}: regional tables show {len(ids)} workspace(s){listed};"
                    f" global tables show all {len(seen['global_tables'])}"
                )
        if self.global_tables:
            out.append(f"  global tables ({', '.join(self.global_tables)}): every visible workspace, in every region")
        if self.inactive_in:
            out.append(f"  inactive member of {', '.join(self.inactive_in)}: inactive identities have no access")
        if self.unresolved:
            out.append("  local groups the last collection could not resolve (whom they make admin is not counted):")
            out += [f"    {p}" for p in self.unresolved]
        return out


def explain(backend: SqlBackend, cfg: RlsConfig, identity: str) -> Explanation:
    """Explain what ``identity`` (as ``current_user()`` returns it; any case) sees, from the collected tables."""

    def name(table: str) -> str:
        return quote_name(*cfg.collected_table(table))

    needed = (tables.PERMS, tables.ADMINS, tables.USERS, tables.GROUP_MEMBERS)
    missing = [t for t in needed if not backend.table_exists(name(t))]
    if missing:
        where = ".".join(cfg.collected_table("")[:2])
        raise ExplainError(f"{', '.join(missing)} not found in {where}: run `rls collect` first")
    ident = quote_string(identity)
    levels = ((ADMIN, name(tables.ADMINS)), (USER_LEVEL, name(tables.USERS)))
    cols = "workspace_id, workspace_name, user_name, group_name, source, via"
    direct = backend.fetch(
        " UNION ALL ".join(
            f"SELECT {quote_string(lvl)} AS level, {cols} FROM {t} WHERE lower(user_name) = lower({ident})"
            for lvl, t in levels
        )
    )
    members = backend.fetch(
        f"SELECT group_name, member_name, path, active FROM {name(tables.GROUP_MEMBERS)}"
        f" WHERE lower(member_name) = lower({ident}) AND member_type <> {quote_string(tables.GROUP)}"
    )
    paths = {r["group_name"]: r["path"] for r in members if r["active"]}
    group_rows = []
    if paths:
        groups = ", ".join(quote_string(g) for g in sorted(paths))
        group_rows = backend.fetch(
            " UNION ALL ".join(
                f"SELECT {quote_string(lvl)} AS level, workspace_id, workspace_name, group_name, source FROM {t}"
                f" WHERE principal_type = {quote_string(tables.GROUP)} AND group_name IN ({groups})"
                for lvl, t in levels
            )
        )
    region_of, unresolved = _regions(backend, name(tables.PERMS))
    collected = len(region_of)

    found: dict[int, WorkspaceExplanation] = {}
    matches: dict[tuple[int, str, str, tuple[str, ...]], set[str]] = {}
    for r in direct:
        key = (r["workspace_id"], r["level"], r["source"], _chain(r["via"], r["group_name"]))
        matches.setdefault(key, set()).add(BY_USER_NAME)
        found.setdefault(r["workspace_id"], WorkspaceExplanation(r["workspace_id"], r["workspace_name"]))
    for r in group_rows:
        # the group row's own source: an assigned group is "direct"; its members' rows say "group"
        source = tables.VIA_GROUP if r["source"] == tables.DIRECT else r["source"]
        key = (r["workspace_id"], r["level"], source, _chain(paths[r["group_name"]], r["group_name"]))
        matches.setdefault(key, set()).add(BY_GROUP)
        found.setdefault(r["workspace_id"], WorkspaceExplanation(r["workspace_id"], r["workspace_name"]))
    for (wid, level, source, chain), how in sorted(matches.items(), key=lambda kv: (kv[0][1] != ADMIN, kv[0])):
        found[wid].reasons.append(Reason(level, source, chain, tuple(sorted(how, reverse=True))))

    for w in found.values():
        w.region = region_of.get(w.workspace_id)
    workspaces = sorted(found.values(), key=lambda w: (not w.visible, w.workspace_id))
    known_as = sorted({r["user_name"] for r in direct} | {r["member_name"] for r in members})
    inactive = sorted({r["group_name"] for r in members if not r["active"]})
    self_tables = sorted(t for t, level in cfg.publish.access_levels.items() if level == "self")
    regions = sorted({r or UNKNOWN_REGION for r in region_of.values()})
    published = _published(backend, cfg)  # this metastore's views: what its readers can query here
    return Explanation(
        identity,
        known_as,
        workspaces,
        max(collected - len(found), 0),
        collected,
        inactive,
        self_tables,
        regional_tables=[k for k in regional_tables() if k in published],
        global_tables=[k for k in global_tables() if k in published],
        collected_regions=regions,
        unresolved=unresolved,
    )


def _published(backend: SqlBackend, cfg: RlsConfig) -> set[str]:
    """The system tables (``schema.table``) whose filtered view exists in ``cfg``'s schema of this metastore."""
    from rls.publish import view_name
    from rls.publish.state import read_existing

    views = read_existing(backend, cfg.catalog, cfg.schema).views
    return {k for k in system_tables.FACTS if view_name(*k.split(".", 1)).lower() in views}


def _regions(backend: SqlBackend, perms: str) -> tuple[dict[int, str | None], list[str]]:
    """Region of every collected workspace, and the local groups that could not be resolved there; a snapshot written
    before those columns existed has neither."""
    columns = {r["col_name"] for r in backend.fetch(f"DESCRIBE TABLE {perms}")}
    region = "region" if "region" in columns else "CAST(NULL AS STRING) AS region"
    problems = "local_group_problems" if "local_group_problems" in columns else "CAST(NULL AS ARRAY<STRING>)"
    rows = backend.fetch(f"SELECT workspace_id, {region}, {problems} AS problems FROM {perms} ORDER BY workspace_id")
    return {int(r["workspace_id"]): r["region"] for r in rows}, [p for r in rows for p in r["problems"] or ()]


def regional_tables() -> list[str]:
    """System tables the registry calls regional (or regional for workspace-level rows, like access.audit)."""
    return sorted(k for k in system_tables.FACTS if system_tables.scope(k) in ("regional", "mixed"))


def global_tables() -> list[str]:
    """System tables the registry calls global: every region's metastore holds the rows of all workspaces."""
    return sorted(k for k in system_tables.FACTS if system_tables.scope(k) == "global")


def _chain(via: str | None, group: str | None) -> tuple[str, ...]:
    """``via`` lists groups outer first ("finance-admins > finance-leads"); a reason reads from the identity out."""
    if via:
        return tuple(reversed([g.strip() for g in via.split(" > ")]))
    return (group,) if group else ()
