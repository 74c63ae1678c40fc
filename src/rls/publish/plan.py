"""The publisher's plan: which views should exist and exactly what each should be. ``publish`` applies it and
``rls verify`` compares the deployment against it — one function, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rls.config import RlsConfig
from rls.publish.discovery import Discovery, candidates
from rls.publish.reference import ReferenceView, reference_views
from rls.publish.report import ViewResult
from rls.publish.viewsql import ViewDefinition, ViewSqlError, view_name, view_sql
from rls.sql.backend import SqlBackend


@dataclass
class Plan:
    views: list[ViewDefinition] = field(default_factory=list)  # filtered views to create or keep
    references: list[ReferenceView] = field(default_factory=list)  # reference views (no workspace's data)
    results: list[ViewResult] = field(default_factory=list)  # tables that get no view: skipped, or failed before SQL

    @property
    def errors(self) -> list[str]:
        return [f"{r.source}: {r.reason}" for r in self.results if r.status == "failed"]

    def expected_names(self) -> set[str]:
        return {d.name[2].lower() for d in self.views} | {r.name[2].lower() for r in self.references}


def plan(found: Discovery, cfg: RlsConfig) -> Plan:
    """The views to publish, and a result for every table that gets none (skipped or failed before any SQL)."""
    out = Plan()
    for c in candidates(found, cfg):
        if c.skip_reason:
            out.results.append(ViewResult(c.table.key, None, "skipped", c.skip_reason))
            continue
        try:
            out.views.append(view_sql(cfg, c.table, access_level=c.access_level))
        except ViewSqlError as e:
            display = ".".join((cfg.catalog, cfg.schema, view_name(c.table.schema, c.table.table)))
            out.results.append(ViewResult(c.table.key, display[:300], "failed", str(e)))
    out.views = _drop_collisions(out.views, out.results)
    out.references = reference_views(found, cfg)
    # a reference table gets its reference view instead of the "no workspace_id" skip
    referenced = {d.source.key for d in out.references}
    out.results = [r for r in out.results if not (r.status == "skipped" and r.source in referenced)]
    return out


def _drop_collisions(planned: list[ViewDefinition], results: list[ViewResult]) -> list[ViewDefinition]:
    """`a_b.c` and `a.b_c` both map to vw_system_a_b_c: neither may win silently, so both fail."""
    by_name: dict[str, list[ViewDefinition]] = {}
    for d in planned:
        by_name.setdefault(d.name[2].lower(), []).append(d)
    keep = []
    for ds in by_name.values():
        if len(ds) == 1:
            keep.append(ds[0])
            continue
        sources = ", ".join(d.source.key for d in ds)
        results += [ViewResult(d.source.key, d.display, "failed", f"view name shared by {sources}") for d in ds]
    return keep


def stored_form(backend: SqlBackend, sql: str) -> str:
    """``sql`` as the platform stores it in a view. ``SparkBackend._prepare`` is the documented hook where the local
    warehouse maps three-part names onto Spark's (the identity on Databricks)."""
    prepare = getattr(backend, "_prepare", None)
    return prepare(sql) if callable(prepare) else sql


def body_matches(backend: SqlBackend, query: str, stored_text: str | None) -> bool | None:
    """Whether a view's stored text is the generated query (whitespace aside); None when the platform did not say.

    Needed on top of the fingerprint property: ``ALTER VIEW … AS`` by hand keeps the properties, so the fingerprint
    still matches while the body leaks (issue #13 item 7c).

    *(unverified)* that Databricks' ``SHOW TABLE EXTENDED`` "View Text" is the statement's query as written, up to
    whitespace. Being wrong is safe: a view whose text differs is altered back to the generated body on every run
    (more DDL, never a leak, grants kept by ``ALTER VIEW … AS``)."""
    if stored_text is None:
        return None
    return squash(stored_text) == squash(stored_form(backend, query))


def squash(sql: str) -> str:
    return " ".join(sql.split())
