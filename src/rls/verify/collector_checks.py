"""`rls verify`'s checks of the collector's side: its tables, their freshness, the elevation ledger, the rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rls import tables
from rls.collect.elevation import Ledger
from rls.sql import quote_string
from rls.verify.deployment import Deployment
from rls.verify.report import Result, result

COLLECTOR_TABLES = (tables.PERMS, tables.ADMINS, tables.USERS, tables.GROUP_MEMBERS, tables.RUNS, tables.ACCESS_MAP)
SUCCESSFUL_RUNS = ("ok", "partial")  # both wrote the tables the views read (partial kept failed workspaces' rows)
MAX_LISTED = 20


def collector_tables(dep: Deployment) -> Result:
    missing = [t for t in COLLECTOR_TABLES if not dep.backend.table_exists(dep.collected(t))]
    present = len(COLLECTOR_TABLES) - len(missing)
    where = ".".join(dep.cfg.collected_table("")[:2])
    return result(missing, f"{present} of {len(COLLECTOR_TABLES)} tables in {where}")


def collection_fresh(dep: Deployment, max_age_hours: float) -> Result:
    if not dep.backend.table_exists(dep.collected(tables.RUNS)):
        return "fail", f"no {tables.RUNS} table: the collector never ran here", []
    # Age computed by the SQL engine: both ends are instants there, no client clock or time zone involved.
    cols = "run_id, outcome, ended_at, (unix_micros(current_timestamp()) - unix_micros(ended_at)) / 1e6 AS age_s"
    runs = dep.collected(tables.RUNS)
    ok = ", ".join(quote_string(o) for o in SUCCESSFUL_RUNS)
    rows = dep.backend.fetch(
        f"(SELECT 'last_ok' AS k, {cols} FROM {runs} WHERE outcome IN ({ok}) ORDER BY ended_at DESC LIMIT 1)"
        f" UNION ALL (SELECT 'latest' AS k, {cols} FROM {runs} ORDER BY ended_at DESC LIMIT 1)"
    )
    last_ok = [r for r in rows if r["k"] == "last_ok"]
    latest = [r for r in rows if r["k"] == "latest"]
    notes = []
    if latest and latest[0]["outcome"] not in SUCCESSFUL_RUNS:
        r = latest[0]
        notes.append(f"latest run {r['run_id']} ended {r['outcome']} at {r['ended_at']}")
    if not last_ok:
        return "fail", f"no successful run in {tables.RUNS}", notes
    r = last_ok[0]
    age_h = float(r["age_s"] or 0) / 3600
    detail = f"last successful run {r['run_id']} ({r['outcome']}) ended {age_h:.2f} h ago (limit {max_age_hours:g} h)"
    if dep.cfg.reads_shared:  # another region: the age of what reached it through the home region's share
        detail += f", read through the share mounted as {dep.cfg.sharing.source_catalog}"
    return ("pass" if age_h <= max_age_hours else "fail"), detail, notes


def elevation_ledger(ledger_path: str | Path | None) -> Result:
    if ledger_path is None:
        return "skipped", "no ledger path given", []
    path = Path(ledger_path)
    if not path.exists():
        if not path.parent.exists():
            # e.g. /Volumes/… seen from a laptop: only Databricks compute mounts Unity Catalog volumes
            return "skipped", f"{path.parent} is not reachable from here: cannot read the ledger", []
        return "pass", f"no ledger at {path}: no elevation was ever recorded", []
    entries = Ledger(path).open_entries()  # an unreadable line raises: the check fails with that message
    problems = [
        f"workspace {e.workspace_id}: elevated by run {e.run_id} at {e.at} (previous: {e.previous or 'none'})"
        for e in entries
    ]
    if problems:
        detail = f"{len(problems)} elevation(s) not undone (the next collect repairs them; expected only mid-run)"
        return "fail", detail, problems
    return "pass", f"no open elevation in {path}", []


def access_rows_valid(dep: Deployment) -> Result:
    """Each row says how it grants access, consistently; no admin-level source in the users table."""
    allowed = {
        tables.ADMINS: {tables.DIRECT, tables.VIA_GROUP, tables.LOCAL_ADMINS},
        tables.USERS: {tables.DIRECT, tables.VIA_GROUP},
    }
    shape = (
        "source, principal_type, user_name IS NULL AS no_user, group_name IS NULL AS no_group,"
        " (workspace_id IS NULL OR workspace_id = 0) AS no_workspace, count(*) AS n"
    )
    rows = dep.backend.fetch(
        " UNION ALL ".join(
            f"SELECT {quote_string(t)} AS t, {shape} FROM {dep.collected(t)} GROUP BY 2, 3, 4, 5, 6" for t in allowed
        )
    )
    problems = [f"{r['t']}: {r['n']} row(s) {p}" for r in rows for p in _row_problems(r, allowed[r["t"]])]
    return result(problems, "source, principal type and names of every admins and users row")


def _row_problems(r: dict[str, Any], sources: set[str]) -> list[str]:
    out = []
    source, ptype = r["source"], r["principal_type"]
    if source not in sources:
        admin_level = source == tables.LOCAL_ADMINS  # the local admins group makes workspace admins
        out.append(f"with source {source!r}" + (": admin-level access in the users table" if admin_level else ""))
    if ptype not in (tables.USER, tables.SERVICE_PRINCIPAL, tables.GROUP):
        out.append(f"with principal_type {ptype!r}")
    elif ptype == tables.GROUP and (not r["no_user"] or r["no_group"]):
        out.append("of type GROUP need group_name and no user_name")
    elif ptype != tables.GROUP and r["no_user"]:
        out.append(f"of type {ptype} without user_name")
    if source == tables.VIA_GROUP and r["no_group"]:
        out.append("with source 'group' but no group_name")
    if r["no_workspace"]:
        out.append("without a workspace")
    return out


def admin_user_disjoint(dep: Deployment) -> Result:
    """One account assignment is ADMIN or USER, never both: the same assignment (workspace, assigned principal,
    source) in both tables means USER access leaked into the admins table or the other way round."""

    def keys(table: str) -> str:
        return (
            f"SELECT DISTINCT {quote_string(table)} AS t, workspace_id, source,"
            " group_name IS NOT NULL AS through_group,"
            " CASE WHEN group_name IS NOT NULL THEN group_name ELSE lower(user_name) END AS principal"
            f" FROM {dep.collected(table)}"
            f" WHERE source IN ({quote_string(tables.DIRECT)}, {quote_string(tables.VIA_GROUP)})"
        )

    # One aggregation rather than a join: a key seen in both tables is the overlap.
    rows = dep.backend.fetch(
        f"SELECT workspace_id, source, through_group, principal FROM ({keys(tables.ADMINS)} UNION ALL"
        f" {keys(tables.USERS)}) GROUP BY 1, 2, 3, 4 HAVING count(DISTINCT t) = 2 ORDER BY 1, 4 LIMIT {MAX_LISTED + 1}"
    )
    problems = [
        f"workspace {r['workspace_id']}: {'group' if r['through_group'] else 'principal'} {r['principal']}"
        f" ({r['source']}) is in both tables"
        for r in rows[:MAX_LISTED]
    ]
    if len(rows) > MAX_LISTED:
        problems.append("… and more")
    return result(problems, "an assignment is ADMIN or USER, never both")
