"""`rls verify`'s checks of every other way around the views' filter: a grant on a system table itself, a grant on the
collector's tables (the access map says who sees what), and a view that reaches a system table through other views,
at any depth.

Grants are read with ``SHOW GRANTS ON <securable>`` (Databricks SQL; the local warehouse's privilege model answers
the same columns). A platform without grants (open-source Spark) skips the grant checks and says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from rls.publish import audit
from rls.publish.plan import body_matches
from rls.sql import quote_name
from rls.sql.errors import SqlColumnNotFound, SqlNotFound, SqlSyntaxError
from rls.sql.sqltext import chains, significant, tokenize
from rls.verify.deployment import Deployment
from rls.verify.report import Result, result

READ = {"SELECT", "ALL PRIVILEGES", "ALL_PRIVILEGES"}
WRITE = {"MODIFY", *READ}


def system_table_grants(dep: Deployment, allowed: Sequence[str]) -> Result:
    """Nobody but the views' owner (and ``--allow-system-reader``) holds SELECT on a system table itself: a grant on
    one table bypasses its view as surely as one on the catalog (which :func:`view_checks.system_privileges` reads)."""
    owner = dep.view_owner
    ok = {a.lower() for a in allowed} | {owner.lower()}
    cat = dep.cfg.system_catalog
    problems: list[str] = []
    keys = sorted({t.key.lower() for t in dep.discovery.tables})
    try:
        for key in keys:
            schema, table = key.split(".", 1)
            for r in audit.grants(dep.backend, "TABLE", [cat, schema, table]):
                principal, action = _principal_action(r)
                if action in READ and principal.lower() not in ok:
                    problems.append(f"{principal} holds {action} on {cat}.{key} (bypasses its view)")
    except Exception as e:
        if absent := _absent(e):
            return "skipped", f"not applicable on this platform: no grants ({absent})", []
        raise
    return result(problems, f"{len(keys)} tables of {cat}: only {owner} reads them")


def collector_grants(dep: Deployment) -> Result:
    """Nobody but the job's identity holds any privilege on the collector's tables (the access map, the admins it is
    built from): a reader who can read them learns every workspace's admins, one who can write them sees anything.
    ``SELECT``/``MODIFY`` on the schema or the catalog reaches the same tables."""
    cfg, owner = dep.cfg, dep.view_owner
    if cfg.reads_shared:
        return "skipped", "this region reads the home region's tables through its share (checked there)", []
    problems: list[str] = []
    try:
        for t in audit.COLLECTOR_TABLES:
            if t.lower() not in dep.objects:
                continue  # collector_tables reports a missing table
            for r in audit.grants(dep.backend, "TABLE", list(cfg.table(t))):
                principal, action = _principal_action(r)
                if action != "OWN" and principal.lower() != owner.lower():
                    problems.append(f"{principal} holds {action} on {'.'.join(cfg.table(t))}: revoke it")
        for securable, name in (("SCHEMA", [cfg.catalog, cfg.schema]), ("CATALOG", [cfg.catalog])):
            for r in audit.grants(dep.backend, securable, name):
                principal, action = _principal_action(r)
                if action in WRITE and principal.lower() != owner.lower():
                    problems.append(
                        f"{principal} holds {action} on {securable.lower()} {'.'.join(name)}: it reaches the"
                        " collector's tables; grant SELECT on the views instead"
                    )
    except Exception as e:
        if absent := _absent(e):
            return "skipped", f"not applicable on this platform: no grants ({absent})", []
        raise
    return result(sorted(set(problems)), f"the collector's tables: only {owner} holds privileges")


def view_lineage(dep: Deployment) -> Result:
    """No view of the schema reaches a system table through other views, at any depth (the views rls generates read
    system tables directly, filtered; a view of someone else's over a second view over ``system.*`` does not)."""
    keys = {t.key.lower() for t in dep.discovery.tables} | dep.unfilterable
    refs = audit.system_refs(dep.backend, dep.cfg.system_catalog, sorted(keys))
    ours = {d.name[2].lower(): d for d in dep.planned}
    problems = []
    for view in dep.all_views:
        d = ours.get(view.lower())
        info = dep.describe(view)
        if d is not None and body_matches(dep.backend, d.query, info.text):
            continue  # as generated: it reads the system table itself, through the filter
        start = [dep.cfg.catalog, dep.cfg.schema]
        path = _path_to_system(dep, info.text or "", start, refs, seen={dep.name(view).lower()})
        if path and len(path) > 1:  # len 1: it reads system.* directly, which system_readers reports
            problems.append(f"{view} reads {path[-1]} through {' -> '.join(path[:-1])}: drop it or filter it")
    return result(problems, f"{len(dep.all_views)} views followed to every view they read")


def share_contents(dep: Deployment) -> Result:
    """The home region's share holds the collected tables and nothing else: whatever else is in it, every other
    region's mounting identity reads (publish puts nothing else there and removes nothing it did not put)."""
    from rls.publish.sharing import shared_aliases, shared_now

    cfg = dep.cfg
    if cfg.reads_shared or not cfg.sharing.recipients:
        # Nothing to look at is not "cannot look": this deployment puts nothing in a share.
        return "pass", "this deployment shares nothing (one region, or a region reading the home region's share)", []
    present, expected = shared_now(dep.backend, cfg), shared_aliases(cfg)
    problems = [f"share {cfg.sharing.share} holds {x}, which rls did not put there" for x in sorted(present - expected)]
    problems += [f"share {cfg.sharing.share} lacks {x}: publish again" for x in sorted(expected - present)]
    return result(problems, f"share {cfg.sharing.share}: the {len(expected)} collected tables and nothing else")


def _path_to_system(
    dep: Deployment, text: str, namespace: list[str], refs: dict, seen: set[str], depth: int = 0
) -> list[str] | None:
    """The chain of views from ``text`` to a system table it reads (the table last), or None."""
    flat = text.replace("`", "").lower()
    found = sorted(k for k, pattern in refs.items() if pattern.search(flat))
    if found:
        return [f"{dep.cfg.system_catalog}.{found[0]}"]
    if depth > 50:
        return None  # a cycle the seen set missed: views cannot nest this deep
    for name in _relations(text, namespace):
        quoted = quote_name(*name)
        if quoted.lower() in seen:
            continue
        seen.add(quoted.lower())
        info = _describe(dep, quoted)
        if info is None or info.get("Type", "").upper() != "VIEW":
            continue
        inner = [info.get("Catalog", name[0]), info.get("Database", name[1])]
        path = _path_to_system(dep, info.get("View Text", ""), inner, refs, seen, depth + 1)
        if path is not None:
            return [".".join(name), *path]
    return None


def _relations(text: str, namespace: list[str]) -> list[list[str]]:
    """The objects a view's text reads: names after FROM / JOIN / a comma, completed with the view's namespace."""
    sig = significant(tokenize(text))
    ctes = {sig[i].value.lower() for i in range(len(sig) - 1) if sig[i + 1].word == "AS" and sig[i].word}
    out = []
    for ch in chains(sig):
        prev = sig[ch.first - 1].text.upper() if ch.first else ""
        if prev not in ("FROM", "JOIN", ","):
            continue
        names = list(ch.names)
        if len(names) == 1 and names[0].lower() in ctes:
            continue
        if 1 <= len(names) <= 3:
            out.append([*namespace[: 3 - len(names)], *names])
    return out


def _describe(dep: Deployment, quoted: str) -> dict[str, str] | None:
    try:
        rows = dep.backend.fetch(f"DESCRIBE TABLE EXTENDED {quoted}")
    except Exception:
        return None  # not an object (a column after a comma) or not visible: nothing to follow
    info: dict[str, str] = {}
    for r in rows:
        info.setdefault(str(r.get("col_name") or ""), str(r.get("data_type") or ""))
    return info


def _principal_action(row: dict) -> tuple[str, str]:
    return str(row.get("principal") or ""), str(row.get("action_type") or "").upper().replace("_", " ")


def _absent(e: BaseException) -> str | None:
    """The error class when ``e`` says the metadata does not exist on this platform (then a check is skipped)."""
    # a column that does not exist is the check's own mistake, not absent metadata: it fails
    absent = isinstance(e, SqlNotFound | SqlSyntaxError) and not isinstance(e, SqlColumnNotFound)
    return (e.error_class or type(e).__name__) if absent else None
