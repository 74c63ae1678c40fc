"""Before publishing: can the job's identity read each ``system`` schema it wraps? No implicit SELECT.

A metastore admin holds no privilege on ``system`` until granted ("initially, users have no access to data"; a
metastore admin can grant itself privileges but does not hold them: docs, "Admin privileges in Unity Catalog").
Reading a table takes ``USE CATALOG`` on its catalog, ``USE SCHEMA`` on its schema and ``SELECT`` on it (docs,
"Unity Catalog privileges and securable objects"), and a view's creator must be able to read what the view reads.

How it is checked: one ``SELECT * FROM system.<schema>.<table> LIMIT 0`` per schema, as the job, classified by its
error. The least fragile way: it is the platform's own decision, with inheritance (a catalog-level grant), group
membership and ownership already applied, reads no data, and needs no privilege of its own. The alternatives answer
a different question: ``SHOW GRANTS ON SCHEMA`` lists the grants made on that securable only (not those inherited
from the catalog, nor those held through a group), and ``information_schema.schema_privileges`` only what the reader
may see. Databricks refuses with error class ``INSUFFICIENT_PERMISSIONS`` (SQLSTATE 42501) and names the first
privilege missing ("User does not have USE CATALOG on Catalog 'system'"), which is checked in the order catalog,
schema, table: the line names the statements that grant exactly what a read needs from there on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from rls.config import RlsConfig
from rls.publish.discovery import SystemTable, matches
from rls.publish.report import first_line
from rls.sql.backend import SqlBackend
from rls.sql.errors import SqlPermissionDenied
from rls.sql.quoting import quote_identifier, quote_name
from rls.sql.system_tables import REFERENCE_TABLES, WORKSPACE_TABLES

logger = logging.getLogger(__name__)


def grant_statements(catalog: str, schema: str, identity: str, *, catalog_missing: bool) -> str:
    """The statements that let ``identity`` read every table of ``catalog.schema`` (identifiers quoted)."""
    who = quote_identifier(identity)
    out = [f"GRANT USE CATALOG ON CATALOG {quote_identifier(catalog)} TO {who}"] if catalog_missing else []
    out.append(f"GRANT USE SCHEMA, SELECT ON SCHEMA {quote_name(catalog, schema)} TO {who}")
    return "; ".join(out)


@dataclass(frozen=True)
class MissingGrant:
    """The platform refused ``identity`` a read of ``catalog.schema``; ``grant`` is what a metastore admin runs."""

    catalog: str
    schema: str
    identity: str
    reason: str
    grant: str

    def line(self) -> str:
        return (
            f"{self.catalog}.{self.schema}: the job's identity {self.identity} may not read it ({self.reason}); "
            f"run: {self.grant}"
        )


def probe_schemas(
    backend: SqlBackend, catalog: str, identity: str, sources: Iterable[SystemTable]
) -> dict[str, MissingGrant | str | None]:
    """Schema (lower case) -> None when ``identity`` reads it, a :class:`MissingGrant` when the platform refuses it,
    or the first line of any other error (a missing table, a network failure: not a missing grant). One probe per
    schema of ``sources``; the one check shared by ``publish`` and ``rls doctor``."""
    by_schema: dict[str, SystemTable] = {}
    for t in sources:
        by_schema.setdefault(t.schema.lower(), t)
    out: dict[str, MissingGrant | str | None] = {}
    for key, t in sorted(by_schema.items()):
        try:
            backend.fetch(f"SELECT * FROM {quote_name(catalog, t.schema, t.table)} LIMIT 0")
            out[key] = None
        except Exception as e:
            reason = first_line(e)
            if not isinstance(e, SqlPermissionDenied):
                out[key] = reason
                continue
            run = grant_statements(catalog, t.schema, identity, catalog_missing=e.missing_privilege == "USE CATALOG")
            out[key] = MissingGrant(catalog, t.schema, identity, reason, run)
    return out


def unreadable_schemas(
    backend: SqlBackend, catalog: str, identity: str, sources: Iterable[SystemTable]
) -> dict[str, str]:
    """Schema (lower case) -> one line saying that ``identity`` cannot read it and which GRANT to run, for every
    schema of ``sources`` the platform refuses to the job. Any other error is not a missing grant: that view's own
    statements will report it."""
    out: dict[str, str] = {}
    for key, probe in probe_schemas(backend, catalog, identity, sources).items():
        if isinstance(probe, MissingGrant):
            out[key] = probe.line()
            logger.error("missing grant: %s", out[key])
        elif probe is not None:
            logger.info("checking that %s.%s is readable: %s (not a missing grant)", catalog, key, probe)
    return out


def undiscovered(discovered: Iterable[SystemTable], cfg: RlsConfig) -> list[SystemTable]:
    """Known tables (the registry) of configured schemas that discovery did not list at all.

    ``system.information_schema`` shows only "objects … that you are privileged to see" (docs, "Information schema"):
    a schema the job may not read is simply absent from discovery, so it is probed from the registry's list too, and
    a refusal there gets its line like any other. (Locally information_schema is not filtered; a test removes a
    schema from it instead.)"""
    seen = {t.schema.lower() for t in discovered}
    levels = {k.lower(): v for k, v in cfg.publish.access_levels.items()}
    out = []
    for key in (*WORKSPACE_TABLES, *REFERENCE_TABLES):
        schema, table = key.split(".", 1)
        wanted = matches(cfg.publish.include, key) and not matches(cfg.publish.exclude, key)
        if schema not in seen and wanted and levels.get(key) != "none":
            out.append(SystemTable(schema, table))
    return out
