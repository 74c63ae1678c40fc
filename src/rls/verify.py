"""`rls verify`: is the deployment in the state the tool promises? Read-only, every check runs, none stops the others.

Each check is a small function returning a :class:`Check` (``pass``, ``fail`` or ``skipped`` with the reason). A check
that cannot read what it needs fails with the error: a verifier that passes because it could not look would be worse
than none. ``skipped`` is only for checks the platform cannot answer (open-source Spark has no owners and no
privilege tables) or that were not asked for, and says why.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from rls import exitcodes, tables
from rls.collect.elevation import Ledger
from rls.config import RlsConfig
from rls.publish import Discovery, ViewDefinition, audit, discover, view_name
from rls.publish.plan import Plan, body_matches, plan, stored_form
from rls.publish.report import first_line
from rls.publish.state import ExistingState, ExistingView, read_existing
from rls.sql import SqlBackend, quote_name, quote_string, system_tables

Status = Literal["pass", "fail", "skipped"]

DEFAULT_MAX_AGE_HOURS = 26.0
"""A daily job plus its own duration and some slack: one missed run fails the check the next morning."""

COLLECTOR_TABLES = (tables.PERMS, tables.ADMINS, tables.USERS, tables.GROUP_MEMBERS, tables.RUNS, tables.ACCESS_MAP)
SUCCESSFUL_RUNS = ("ok", "partial")  # both wrote the tables the views read (partial kept failed workspaces' rows)

# From the registry of system-table facts: tables without workspace_id, used on top of what discovery finds
# (discovery may have fallen back to its static list, which only names filterable tables).
KNOWN_UNFILTERABLE = system_tables.NO_WORKSPACE_ID
# The bundle's dashboards, next to the package in a checkout (src/dashboards); absent from an installed wheel.
DEFAULT_DASHBOARDS = tuple(sorted((Path(__file__).resolve().parents[1] / "dashboards").glob("*.lvdash.json")))
# Errors meaning "this platform has no such metadata" (Spark and Databricks error classes): the check is skipped.
_ABSENT = ("TABLE_OR_VIEW_NOT_FOUND", "SCHEMA_NOT_FOUND", "NO_SUCH_CATALOG", "CATALOG_NOT_FOUND", "UNRESOLVED_COLUMN")
_MAX_LISTED = 20


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    problems: tuple[str, ...] = ()


@dataclass
class VerifyReport:
    catalog: str
    schema: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}")

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def exit_code(self) -> int:
        return exitcodes.CHECK_FAILED if self.failed else exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "schema": self.schema,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail, "problems": list(c.problems)}
                for c in self.checks
            ],
        }

    def lines(self) -> list[str]:
        out = []
        for c in self.checks:
            out.append(f"{c.status.upper():7} {c.name}: {c.detail}")
            out += [f"        - {p}" for p in c.problems]
        failed = len(self.failed)
        out.append(
            f"{len(self.checks)} checks, {failed} failed" if failed else f"{len(self.checks)} checks, none failed"
        )
        return out


@dataclass(frozen=True)
class ViewInfo:
    """What ``DESCRIBE TABLE EXTENDED`` says about one view."""

    name: str
    columns: tuple[str, ...]
    text: str | None  # the stored query; None when the platform does not show it
    properties: str  # the raw "[k=v, …]" list


class _Deployment:
    """What several checks read, read once (lazily: a check that is never reached costs nothing)."""

    def __init__(self, backend: SqlBackend, cfg: RlsConfig) -> None:
        self.backend = backend
        self.cfg = cfg
        self._described: dict[str, ViewInfo] = {}

    def name(self, table: str) -> str:
        return quote_name(self.cfg.catalog, self.cfg.schema, table)

    @cached_property
    def discovery(self) -> Discovery:
        return discover(self.backend, self.cfg)

    @cached_property
    def plan(self) -> Plan:
        """The publisher's own plan (one function: verify compares against exactly what publish would make)."""
        return plan(self.discovery, self.cfg)

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
        rows = self.backend.fetch(f"SHOW VIEWS IN {quote_name(self.cfg.catalog, self.cfg.schema)}")
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
    def view_owner(self) -> str | None:
        return self.cfg.publish.owner or self.cfg.collect.collector_application_id


# ---- checks -------------------------------------------------------------------------------------------------------
Result = tuple[Status, str, list[str]]


def _result(problems: list[str], detail: str) -> Result:
    return ("fail" if problems else "pass"), detail, problems


def _collector_tables(dep: _Deployment) -> Result:
    missing = [t for t in COLLECTOR_TABLES if not dep.backend.table_exists(dep.name(t))]
    present = len(COLLECTOR_TABLES) - len(missing)
    return _result(missing, f"{present} of {len(COLLECTOR_TABLES)} tables in {dep.cfg.catalog}.{dep.cfg.schema}")


def _collection_fresh(dep: _Deployment, max_age_hours: float) -> Result:
    if not dep.backend.table_exists(dep.name(tables.RUNS)):
        return "fail", f"no {tables.RUNS} table: the collector never ran here", []
    # Age computed by the SQL engine: both ends are instants there, no client clock or time zone involved.
    cols = "run_id, outcome, ended_at, (unix_micros(current_timestamp()) - unix_micros(ended_at)) / 1e6 AS age_s"
    runs = dep.name(tables.RUNS)
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
    return ("pass" if age_h <= max_age_hours else "fail"), detail, notes


def _elevation_ledger(ledger_path: str | Path | None) -> Result:
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


def _access_rows_valid(dep: _Deployment) -> Result:
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
            f"SELECT {quote_string(t)} AS t, {shape} FROM {dep.name(t)} GROUP BY 2, 3, 4, 5, 6" for t in allowed
        )
    )
    problems = [f"{r['t']}: {r['n']} row(s) {p}" for r in rows for p in _row_problems(r, allowed[r["t"]])]
    return _result(problems, "source, principal type and names of every admins and users row")


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


def _admin_user_disjoint(dep: _Deployment) -> Result:
    """One account assignment is ADMIN or USER, never both: the same assignment (workspace, assigned principal,
    source) in both tables means USER access leaked into the admins table or the other way round."""

    def keys(table: str) -> str:
        return (
            f"SELECT DISTINCT {quote_string(table)} AS t, workspace_id, source,"
            " group_name IS NOT NULL AS through_group,"
            " CASE WHEN group_name IS NOT NULL THEN group_name ELSE lower(user_name) END AS principal"
            f" FROM {dep.name(table)} WHERE source IN ({quote_string(tables.DIRECT)}, {quote_string(tables.VIA_GROUP)})"
        )

    # One aggregation rather than a join: a key seen in both tables is the overlap.
    rows = dep.backend.fetch(
        f"SELECT workspace_id, source, through_group, principal FROM ({keys(tables.ADMINS)} UNION ALL"
        f" {keys(tables.USERS)}) GROUP BY 1, 2, 3, 4 HAVING count(DISTINCT t) = 2 ORDER BY 1, 4 LIMIT {_MAX_LISTED + 1}"
    )
    problems = [
        f"workspace {r['workspace_id']}: {'group' if r['through_group'] else 'principal'} {r['principal']}"
        f" ({r['source']}) is in both tables"
        for r in rows[:_MAX_LISTED]
    ]
    if len(rows) > _MAX_LISTED:
        problems.append("… and more")
    return _result(problems, "an assignment is ADMIN or USER, never both")


def _views_exist(dep: _Deployment) -> Result:
    planned, errors = dep.planned, dep.plan.errors
    present = {d.name[2] for d in dep.present()}
    missing = [f"{d.display} (over {d.source.key}) is missing" for d in planned if d.name[2] not in present]
    not_views = [
        f"{d.display} is a table, not a view"
        for d in planned
        if (ex := dep.existing.views.get(d.name[2].lower())) is not None and not ex.is_view
    ]
    problems = missing + not_views + errors
    # registry: a regional table's view shows only this metastore's region (facts sheet, "Regional system tables")
    regional = sorted(d.source.key for d in planned if system_tables.scope(d.source.key) in ("regional", "mixed"))
    detail = f"{len(present)} of {len(planned)} views present (tables from {dep.discovery.source})"
    if regional:
        detail += f"; {len(regional)} over regional tables, showing this metastore's region only: {', '.join(regional)}"
    return _result(problems, detail)


def _views_fingerprint(dep: _Deployment) -> Result:
    present = dep.present()
    if not present:
        return "skipped", "no published view to compare (see views_exist)", []
    problems = []
    for d in present:
        found = dep.existing.views[d.name[2].lower()].fingerprint
        if found != d.fingerprint:
            what = f"fingerprint {found[:12]}…" if found else "no rls fingerprint"
            problems.append(f"{d.display}: {what}, the generator says {d.fingerprint[:12]}…: publish again")
    return _result(problems, f"{len(present) - len(problems)} of {len(present)} views match the current generator")


def _views_definition(dep: _Deployment) -> Result:
    """The stored body equals the generated one. Needed on top of the fingerprint: ``ALTER VIEW … AS`` by hand keeps
    the properties, so the fingerprint still matches and the publisher would never repair the view."""
    present = dep.present()
    if not present:
        return "skipped", "no published view to compare (see views_exist)", []
    problems = []
    for d in present:
        matches = body_matches(dep.backend, d.query, dep.describe(d.name[2]).text)
        if matches is None:
            problems.append(f"{d.display}: the platform does not show the view's text")
        elif not matches:
            problems.append(f"{d.display}: body differs from the generated SQL (changed by hand?): publish restores it")
    return _result(problems, f"{len(present) - len(problems)} of {len(present)} view bodies as generated")


def _views_owner(dep: _Deployment) -> Result:
    """Every published view is owned by ``publish.owner`` (default: the collector's service principal, which the
    prod job runs as): a view runs with its owner's rights. Read from SHOW TABLE EXTENDED's ``Owner``."""
    owner = dep.view_owner
    if owner is None:
        return "skipped", "no owner configured (publish.owner / collect.collector_application_id)", []
    present = dep.present()
    problems = []
    for d in present:
        found = dep.existing.views[d.name[2].lower()].owner
        if found is None:
            problems.append(f"{d.display}: the platform does not report its owner")
        elif found.lower() != owner.lower():
            problems.append(f"{d.display}: owned by {found}, not {owner}")
    return _result(problems, f"{len(present) - len(problems)} of {len(present)} views owned by {owner}")


def _view_sources(dep: _Deployment) -> Result:
    """The collector's tables the views read are tables owned by the collector (issue #13 7a: an admins "table"
    recreated as a view returning current_user() for every workspace would show every reader everything)."""
    owner = dep.cfg.collect.collector_application_id
    problems = audit.source_problems(dep.cfg, dep.plan.views, dep.objects, owner)
    read = sorted({t for d in dep.plan.views for t in audit.sources_read(dep.cfg, d)})
    return _result(problems, f"{', '.join(read) or 'nothing'}: tables" + (f" owned by {owner}" if owner else ""))


def _system_readers(dep: _Deployment) -> Result:
    """Every object of the schema that reads system.* is a view rls generated, as generated (7b: an extra
    unfiltered view over system.access.audit)."""
    keys = {t.key.lower() for t in dep.discovery.tables} | set(KNOWN_UNFILTERABLE)
    refs = audit.system_refs(dep.backend, dep.cfg.system_catalog, sorted(keys))
    problems = audit.system_readers(dep.backend, dep.plan, dep.objects, refs)
    return _result(problems, f"{len(dep.objects)} objects of {dep.cfg.catalog}.{dep.cfg.schema} checked")


def _no_unfilterable_views(dep: _Deployment) -> Result:
    """No view of the schema exposes a system table that cannot be filtered per workspace: by its name, its
    rls.source property or its text; and no vw_system_* view lacks a workspace_id column."""
    cat = dep.cfg.system_catalog
    unfilterable = {t.key.lower() for t in dep.discovery.tables if not t.has_workspace_id} | set(KNOWN_UNFILTERABLE)
    by_name = {view_name(*k.split(".", 1)).lower(): k for k in unfilterable}
    refs = audit.system_refs(dep.backend, cat, sorted(unfilterable))
    references = {d.name[2].lower(): d for d in dep.plan.references}
    problems = []
    for view in dep.all_views:
        info = dep.describe(view)
        ref = references.get(view.lower())
        if ref is not None and body_matches(dep.backend, ref.query, info.text):
            continue  # a reference view rls publishes on purpose (the table holds no workspace's data)
        text = _unquote(info.text or "")
        found = {k for k, pattern in refs.items() if pattern.search(text)}
        if view.lower() in by_name:
            found.add(by_name[view.lower()])
        source = re.search(r"(?:\[|, )rls\.source=[^.,\]]+\.([^,\]]+)", info.properties)  # catalog.schema.table
        if source and source.group(1).lower() in unfilterable:
            found.add(source.group(1).lower())
        problems += [f"{view} exposes {cat}.{k}, which has no workspace_id" for k in sorted(found)]
        if view.lower().startswith("vw_system_") and "workspace_id" not in {c.lower() for c in info.columns}:
            problems.append(f"{view} has no workspace_id column: it cannot be filtered per workspace")
    return _result(problems, f"{len(dep.all_views)} views checked against {len(unfilterable)} unfilterable tables")


def _system_privileges(dep: _Deployment, allowed: Sequence[str]) -> Result:
    """No reader holds SELECT on system.* (it bypasses the views); the views' owner does, on what they read."""
    schemas = sorted({d.source_name[1] for d in dep.planned})
    try:
        problems = audit.privilege_problems(dep.backend, dep.cfg, schemas, dep.view_owner, allowed)
    except Exception as e:
        if absent := _absent(e):
            return "skipped", f"not applicable on this platform: no grants ({absent})", []
        raise
    readers = ", ".join(sorted(a for a in allowed)) or "nobody"
    return _result(problems, f"{dep.cfg.system_catalog}: owner {dep.view_owner} reads; other readers: {readers}")


def _dashboard_datasets(dep: _Deployment, dashboards: Sequence[Path]) -> Result:
    files = [Path(p) for p in dashboards if Path(p).exists()]
    if not files:
        return "skipped", "no dashboard file found (pass dashboards=…)", []
    published = dep.plan.expected_names()
    problems = audit.dashboard_problems(files, published, dep.cfg)
    return _result(problems, f"{len(files)} dashboard(s): datasets read published views only")


def _absent(e: BaseException) -> str | None:
    """The error class when ``e`` says the metadata does not exist on this platform (then a check is skipped)."""
    text = str(e)
    return next((marker for marker in _ABSENT if marker in text), None)


def _unquote(sql: str) -> str:
    return sql.replace("`", "").lower()


# ---- entry point --------------------------------------------------------------------------------------------------
def verify(
    backend: SqlBackend,
    cfg: RlsConfig,
    *,
    ledger_path: str | Path | None,
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS,
    allowed_system_readers: Sequence[str] = (),
    dashboards: Sequence[Path] | None = None,
) -> VerifyReport:
    """Run every check (read-only) and return the report; ``exit_code`` is CHECK_FAILED when any check failed."""
    start = time.perf_counter()
    dep = _Deployment(backend, cfg)
    boards = DEFAULT_DASHBOARDS if dashboards is None else dashboards
    checks: list[tuple[str, Callable[[], Result]]] = [
        ("collector_tables", lambda: _collector_tables(dep)),
        ("collection_fresh", lambda: _collection_fresh(dep, max_age_hours)),
        ("elevation_ledger", lambda: _elevation_ledger(ledger_path)),
        ("access_rows_valid", lambda: _access_rows_valid(dep)),
        ("admin_user_disjoint", lambda: _admin_user_disjoint(dep)),
        ("views_exist", lambda: _views_exist(dep)),
        ("views_fingerprint", lambda: _views_fingerprint(dep)),
        ("views_definition", lambda: _views_definition(dep)),
        ("views_owner", lambda: _views_owner(dep)),
        ("view_sources", lambda: _view_sources(dep)),
        ("system_readers", lambda: _system_readers(dep)),
        ("no_unfilterable_views", lambda: _no_unfilterable_views(dep)),
        ("system_privileges", lambda: _system_privileges(dep, allowed_system_readers)),
        ("dashboard_datasets", lambda: _dashboard_datasets(dep, boards)),
    ]
    report = VerifyReport(cfg.catalog, cfg.schema)
    for name, run in checks:
        try:
            status, detail, problems = run()
        except Exception as e:  # one check that cannot look fails; the others still run
            status, detail, problems = "fail", f"could not check: {first_line(e)}", []
        report.checks.append(Check(name, status, detail, tuple(problems)))
    report.seconds = time.perf_counter() - start
    return report
