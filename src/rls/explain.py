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

from rls import tables
from rls.config import RlsConfig
from rls.explanation import (
    ADMIN,
    BY_GROUP,
    BY_USER_NAME,
    UNKNOWN_REGION,
    USER_LEVEL,
    ExplainError,
    Explanation,
    Reason,
    WorkspaceExplanation,
    global_tables,
    regional_tables,
)
from rls.sql import SqlBackend, quote_name, quote_string, system_tables


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


def _chain(via: str | None, group: str | None) -> tuple[str, ...]:
    """``via`` lists groups outer first ("finance-admins > finance-leads"); a reason reads from the identity out."""
    if via:
        return tuple(reversed([g.strip() for g in via.split(" > ")]))
    return (group,) if group else ()
