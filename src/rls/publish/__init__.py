"""Step 2, the publisher: one row-filtered view per workspace-scoped system table.

``publish(backend, cfg)`` discovers the system tables, generates each view's SQL (:func:`view_sql`, pure) and
creates or alters only the views whose fingerprint changed. It logs and returns a :class:`PublishReport`; it never
prints (the CLI renders the report).
"""

from rls.publish.discovery import STATIC_TABLES, Candidate, Column, Discovery, SystemTable, candidates, discover
from rls.publish.publisher import publish
from rls.publish.report import PublishReport, ViewResult
from rls.publish.viewsql import (
    ACCESS_LEVELS,
    FINGERPRINT_PROPERTY,
    GENERATOR_VERSION,
    GRANTS_PROPERTY,
    ViewDefinition,
    ViewSqlError,
    view_name,
    view_sql,
)

__all__ = [
    "ACCESS_LEVELS",
    "FINGERPRINT_PROPERTY",
    "GENERATOR_VERSION",
    "GRANTS_PROPERTY",
    "STATIC_TABLES",
    "Candidate",
    "Column",
    "Discovery",
    "PublishReport",
    "SystemTable",
    "ViewDefinition",
    "ViewResult",
    "ViewSqlError",
    "candidates",
    "discover",
    "publish",
    "view_name",
    "view_sql",
]
