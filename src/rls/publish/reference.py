"""Reference views: system tables that hold **no workspace's data** (the public list prices, the cloud's node types),
published unfiltered under a plain name (``ref_system_<schema>_<table>``) so that a reader who holds SELECT on the
published objects only still gets a working dashboard — the cost widget joins usage with list prices.

Which tables qualify is the registry's call (:data:`rls.sql.system_tables.REFERENCE_TABLES`), never a guess from
the columns: ``billing.account_prices`` (the account's negotiated prices) has no workspace_id either and is never
published. ``publish.include`` / ``exclude`` apply as to every table; ``publish.access_levels: {billing.list_prices:
none}`` turns one off.
"""

from __future__ import annotations

from rls.config import RlsConfig
from rls.publish.discovery import Discovery, matches
from rls.publish.viewsql import ViewDefinition, fingerprint
from rls.sql.quoting import quote_name
from rls.sql.system_tables import REFERENCE_TABLES, reference_view_name

ReferenceView = ViewDefinition


def reference_views(found: Discovery, cfg: RlsConfig) -> list[ViewDefinition]:
    pub = cfg.publish
    levels = {k.lower(): v for k, v in pub.access_levels.items()}
    out = []
    for t in found.tables:
        key = t.key.lower()
        if key not in REFERENCE_TABLES or levels.get(key) == "none":
            continue
        if not matches(pub.include, key) or matches(pub.exclude, key):
            continue
        source_name = (cfg.system_catalog, t.schema, t.table)
        query = f"SELECT x.*\nFROM {quote_name(*source_name)} AS x"
        description = (
            f"All rows of {'.'.join(source_name)}, which holds no workspace's data. "
            "Managed by rls: change the configuration, not this view."
        )
        name = (cfg.catalog, cfg.schema, reference_view_name(t.schema, t.table))
        out.append(ViewDefinition(name, t, source_name, query, fingerprint(query, t), description))
    return out
