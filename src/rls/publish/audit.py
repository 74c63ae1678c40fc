"""What ``rls verify`` checks about the objects around the views (issue #13 item 7): the kind and owner of every
object the views read, every object of the schema that reads ``system.*``, the grants on the system catalog and
the dashboard's datasets. Each function returns problems (one line each); an empty list passes.

Grants are read with ``SHOW GRANTS ON <securable>`` (Databricks SQL; the local warehouse's privilege model answers
it the same way: columns ``principal``, ``action_type``, ``object_type``, ``object_key``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rls import tables
from rls.config import RlsConfig
from rls.publish.plan import Plan, body_matches, stored_form
from rls.publish.state import ExistingView
from rls.publish.viewsql import ViewDefinition
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_name

READ = {"SELECT", "ALL PRIVILEGES", "ALL_PRIVILEGES"}
COLLECTOR_TABLES = (
    tables.PERMS,
    tables.ADMINS,
    tables.USERS,
    tables.GROUP_MEMBERS,
    tables.RUNS,
    tables.PRINCIPALS,
    tables.ACCESS_MAP,
)


def sources_read(cfg: RlsConfig, d: ViewDefinition) -> list[str]:
    """The collector's tables a planned view reads (its query names them by their quoted three-part names)."""
    return [t for t in COLLECTOR_TABLES if quote_name(*cfg.collected_table(t)) in d.query]


def source_problems(
    cfg: RlsConfig, views: Sequence[ViewDefinition], objects: dict[str, ExistingView], owner: str | None
) -> list[str]:
    """Every collector table a view reads must be a table (not a view that could return anything, e.g.
    ``current_user()`` for every workspace) owned by the collector's identity (``owner``; None: not checked)."""
    problems: list[str] = []
    if cfg.reads_shared:
        # Another region reads the home region's tables through a read-only catalog mounted from its share: nothing
        # here can replace them; the home region's own check covers the tables themselves.
        return problems
    for t in sorted({t for d in views for t in sources_read(cfg, d)}):
        ex = objects.get(t.lower())
        where = ".".join(cfg.table(t))
        if ex is None:
            problems.append(f"{where}, which the views read, does not exist")
        elif not ex.is_view and owner and ex.owner and ex.owner.lower() != owner.lower():
            problems.append(f"{where}, which the views read, is owned by {ex.owner}, not {owner}")
        elif ex.is_view:
            problems.append(f"{where}, which the views read, is a VIEW, not the collector's table (replaced?)")
    return problems


def system_readers(
    backend: SqlBackend, plan: Plan, objects: dict[str, ExistingView], refs: dict[str, re.Pattern[str]]
) -> list[str]:
    """Every object of the schema whose text reads a system table must be a view rls generated, as generated."""
    ours = {d.name[2].lower(): d for d in (*plan.views, *plan.references)}
    problems = []
    for key, ex in sorted(objects.items()):
        if ex.text is None:
            continue
        text = ex.text.replace("`", "").lower()
        found = sorted(k for k, pattern in refs.items() if pattern.search(text))
        if not found:
            continue
        d = ours.get(key)
        if d is None:
            problems.append(f"{ex.name} reads system table(s) {', '.join(found)} but is not a view rls publishes")
        elif body_matches(backend, d.query, ex.text) is False:
            problems.append(f"{ex.name} reads {', '.join(found)} with a body rls did not generate")
    return problems


def system_refs(backend: SqlBackend, catalog: str, keys: Iterable[str]) -> dict[str, re.Pattern[str]]:
    """Patterns for references to ``catalog.key`` in a view's text, as written or as the platform stored it."""
    out = {}
    for key in keys:
        schema, table = key.split(".", 1)
        forms = {f"{catalog}.{schema}.{table}".lower(), stored_form(backend, quote_name(catalog, schema, table))}
        forms = {f.replace("`", "").lower() for f in forms}
        out[key] = re.compile("|".join(rf"(?<![\w.]){re.escape(f)}(?!\w)" for f in sorted(forms)))
    return out


def grants(backend: SqlBackend, securable: str, name: Sequence[str]) -> list[dict[str, Any]]:
    return backend.fetch(f"SHOW GRANTS ON {securable} {quote_name(*name)}")


def privilege_problems(
    backend: SqlBackend, cfg: RlsConfig, schemas: Sequence[str], owner: str | None, allowed: Sequence[str]
) -> list[str]:
    """Readers must not hold SELECT on ``system.*`` (it bypasses the views); the views' owner must (the views read
    with its rights), on the catalog or on each schema the views read."""
    cat = cfg.system_catalog
    allowed_lower = {a.lower() for a in allowed} | ({owner.lower()} if owner else set())
    problems: list[str] = []
    owner_reads = set()
    catalog_rows = grants(backend, "CATALOG", [cat])
    for schema in sorted(schemas):
        rows = catalog_rows + grants(backend, "SCHEMA", [cat, schema])
        for r in rows:
            principal, action = str(r.get("principal") or ""), str(r.get("action_type") or "").upper()
            if action.replace("_", " ") not in {a.replace("_", " ") for a in READ}:
                continue
            if owner and principal.lower() == owner.lower():
                owner_reads.add(schema)
            elif principal.lower() not in allowed_lower:
                problems.append(f"{principal} holds {action} on {r.get('object_key') or cat} (bypasses the views)")
    if owner:
        problems += [
            f"the views' owner {owner} holds no SELECT on {cat}.{s} (or {cat}): every view over it fails"
            for s in sorted(set(schemas) - owner_reads)
        ]
    return sorted(set(problems))


def dashboard_problems(files: Sequence[Path], published: set[str], cfg: RlsConfig) -> list[str]:
    """Every dataset of the dashboards reads published objects only (views of ``cfg``'s schema), never ``system.*``
    or the collector's tables: a viewer with the documented grants must be able to run every widget."""
    from rls.sql.sqltext import chains, significant, tokenize

    problems = []
    for path in files:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        for ds in doc.get("datasets", []):
            query = "".join(ds.get("queryLines") or [ds.get("query", "")])
            sig = significant(tokenize(query))
            ctes = {sig[i].value.lower() for i in range(len(sig) - 1) if sig[i + 1].word == "AS" and sig[i].word}
            for ch in chains(sig):
                prev = sig[ch.first - 1].word if ch.first else ""
                if prev not in ("FROM", "JOIN"):
                    continue
                names = [n.lower() for n in ch.names]
                local = len(names) == 1 or names[:-1] == [cfg.catalog.lower(), cfg.schema.lower()][-len(names) + 1 :]
                if names[-1] in ctes and len(names) == 1:
                    continue
                if not local or names[-1] not in published:
                    problems.append(f"{Path(path).name}: dataset {ds.get('name')} reads {'.'.join(ch.names)}")
    return problems
