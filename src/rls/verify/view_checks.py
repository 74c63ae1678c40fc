"""`rls verify`'s checks of the views against the publisher's own plan, and of what surrounds them (who reads
system.*, what the dashboards read)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from rls.publish import audit, view_name
from rls.publish.plan import body_matches
from rls.sql import system_tables
from rls.sql.errors import SqlNotFound
from rls.target import Target
from rls.verify.deployment import Deployment
from rls.verify.report import Result, result

# The bundle's dashboards, next to the package in a checkout (src/dashboards); absent from an installed wheel.
DEFAULT_DASHBOARDS = tuple(sorted((Path(__file__).resolve().parents[2] / "dashboards").glob("*.lvdash.json")))
# Errors meaning "this platform has no such metadata" (Spark and Databricks error classes): the check is skipped.


def views_exist(dep: Deployment) -> Result:
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
    return result(problems, detail)


def views_fingerprint(dep: Deployment) -> Result:
    present = dep.present()
    if not present:
        return "skipped", "no published view to compare (see views_exist)", []
    problems = []
    for d in present:
        found = dep.existing.views[d.name[2].lower()].fingerprint
        if found != d.fingerprint:
            what = f"fingerprint {found[:12]}…" if found else "no rls fingerprint"
            problems.append(f"{d.display}: {what}, the generator says {d.fingerprint[:12]}…: publish again")
    return result(problems, f"{len(present) - len(problems)} of {len(present)} views match the current generator")


def views_definition(dep: Deployment) -> Result:
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
    return result(problems, f"{len(present) - len(problems)} of {len(present)} view bodies as generated")


def views_owner(dep: Deployment) -> Result:
    """Every published view is owned by ``publish.owner`` (default: the collector's service principal, which the
    prod job runs as): a view runs with its owner's rights. Read from SHOW TABLE EXTENDED's ``Owner``."""
    owner = dep.view_owner  # never unknown: the job's identity when no owner is configured
    present = dep.present()
    problems = []
    for d in present:
        found = dep.existing.views[d.name[2].lower()].owner
        if found is None:
            problems.append(f"{d.display}: the platform does not report its owner")
        elif found.lower() != owner.lower():
            fix = "" if dep.cfg.publish.owner else " (set publish.owner, or publish again as the job's identity)"
            problems.append(f"{d.display}: owned by {found}, not {owner}{fix}")
    return result(problems, f"{len(present) - len(problems)} of {len(present)} views owned by {owner}")


def view_sources(dep: Deployment) -> Result:
    """The collector's tables the views read are tables owned by the collector (issue #13 7a: an admins "table"
    recreated as a view returning current_user() for every workspace would show every reader everything)."""
    owner = dep.cfg.collect.collector_application_id
    problems = audit.source_problems(dep.cfg, dep.plan.views, dep.objects, owner)
    read = sorted({t for d in dep.plan.views for t in audit.sources_read(dep.cfg, d)})
    return result(problems, f"{', '.join(read) or 'nothing'}: tables" + (f" owned by {owner}" if owner else ""))


def system_readers(dep: Deployment) -> Result:
    """Every object of the schema that reads system.* is a view rls generated, as generated (7b: an extra
    unfiltered view over system.access.audit)."""
    keys = {t.key.lower() for t in dep.discovery.tables} | dep.unfilterable
    refs = audit.system_refs(dep.backend, dep.cfg.system_catalog, sorted(keys))
    problems = audit.system_readers(dep.backend, dep.plan, dep.objects, refs)
    return result(problems, f"{len(dep.objects)} objects of {Target.of(dep.cfg).display} checked")


def no_unfilterable_views(dep: Deployment) -> Result:
    """No view of the schema exposes a system table that cannot be filtered per workspace: by its name, its
    rls.source property or its text; and no vw_system_* view lacks a workspace_id column."""
    cat = dep.cfg.system_catalog
    unfilterable = dep.unfilterable
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
    return result(problems, f"{len(dep.all_views)} views checked against {len(unfilterable)} unfilterable tables")


def system_privileges(dep: Deployment, allowed: Sequence[str]) -> Result:
    """No reader holds SELECT on system.* (it bypasses the views); the views' owner does, on what they read."""
    schemas = sorted({d.source_name[1] for d in dep.planned})
    try:
        # The views' owner (configured, else the job's identity: Deployment.view_owner) must hold SELECT on what
        # they read, and is the one reader of system that is no bypass. A metastore admin holds nothing on system
        # until granted (no implicit SELECT), so an inferred owner is checked like a configured one.
        problems = audit.privilege_problems(dep.backend, dep.cfg, schemas, dep.view_owner, allowed)
    except Exception as e:
        if absent := _absent(e):
            return "skipped", f"not applicable on this platform: no grants ({absent})", []
        raise
    readers = ", ".join(sorted(a for a in allowed)) or "nobody"
    owner = dep.view_owner  # never "owner None": the job's identity when no owner is configured
    return result(problems, f"{dep.cfg.system_catalog}: the views' owner ({owner}) reads; other readers: {readers}")


def view_readers(dep: Deployment) -> Result:
    """Someone other than the owner can read each view (SELECT on it, its schema or its catalog). Only a warning:
    a deployment may grant later, but a view nobody can read is usually a forgotten `publish.grant_select_to`."""
    present = dep.present()
    if not present:
        return "skipped", "no published view to check (see views_exist)", []
    owner = (dep.view_owner or "").lower()
    cat, schema = dep.cfg.catalog, dep.cfg.schema
    try:
        around = audit.grants(dep.backend, "CATALOG", [cat]) + audit.grants(dep.backend, "SCHEMA", [cat, schema])
        unread = []
        for d in present:
            rows = around + audit.grants(dep.backend, "VIEW", list(d.name))
            readers = {
                str(r.get("principal") or "").lower()
                for r in rows
                if str(r.get("action_type") or "").upper().replace("_", " ") in {"SELECT", "ALL PRIVILEGES"}
            } - {owner, ""}
            if not readers:
                unread.append(d.display)
    except Exception as e:
        if absent := _absent(e):
            return "skipped", f"not applicable on this platform: no grants ({absent})", []
        raise
    if not unread:
        return "pass", f"{len(present)} views readable by someone other than their owner", []
    fix = "set publish.grant_select_to (e.g. ['account users']: the views filter per reader) and publish again"
    return "warn", f"{len(unread)} of {len(present)} views readable by nobody but their owner: {fix}", unread


def dashboard_datasets(dep: Deployment, dashboards: Sequence[Path]) -> Result:
    files = [Path(p) for p in dashboards if Path(p).exists()]
    if not files:
        return "skipped", "no dashboard file found (pass dashboards=…)", []
    published = dep.plan.expected_names()
    problems = audit.dashboard_problems(files, published, dep.cfg)
    return result(problems, f"{len(files)} dashboard(s): datasets read published views only")


def _absent(e: BaseException) -> str | None:
    """The error class when ``e`` says the metadata does not exist on this platform (then a check is skipped)."""
    return (e.error_class or type(e).__name__) if isinstance(e, SqlNotFound) else None


def _unquote(sql: str) -> str:
    return sql.replace("`", "").lower()
