"""Several regions, one collection: the home region shares what the collector wrote, every other region mounts it.

Regional system tables hold only their own region's rows, and a view can only be created in its own metastore, so
every region needs its views; the account API work must not be repeated per region. Databricks-to-Databricks Delta
Sharing carries the collected tables across metastores of one account without copies or credentials to manage
(updates reach recipients "in near real time"), and its access control is Unity Catalog's: the catalog a region
mounts is owned by the identity that mounted it (the region's job, running as the collector's service principal)
and readable by nobody else unless granted. The views read it with their owner's rights, so an analyst reads the
views, never the access map.

Statements (docs.databricks.com/sql/language-manual): ``CREATE SHARE IF NOT EXISTS``, ``ALTER SHARE … ADD TABLE …
AS <schema>.<table>`` (refused for a table already shared, hence ``SHOW ALL IN SHARE`` first), ``CREATE RECIPIENT
IF NOT EXISTS … USING ID '<cloud>:<region>:<metastore uuid>'``, ``GRANT SELECT ON SHARE … TO RECIPIENT …`` and, in
the other regions, ``CREATE CATALOG IF NOT EXISTS … USING SHARE <provider>.<share>``.
"""

from __future__ import annotations

from rls import tables
from rls.config import RlsConfig
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_identifier, quote_name, quote_string

# Everything the views, `explain` and `verify` read in another region: the access map and principals (views), the
# reporting tables (explain) and the run table (verify: how old the collection is).
SHARED_TABLES = (
    tables.ACCESS_MAP,
    tables.PRINCIPALS,
    tables.RUNS,
    tables.PERMS,
    tables.ADMINS,
    tables.USERS,
    tables.GROUP_MEMBERS,
)


def shared_now(backend: SqlBackend, cfg: RlsConfig, *, strict: bool = True) -> set[str]:
    """The aliases (``schema.table``, lower case) the share holds now. Not ``strict`` (a dry run, which reads this
    before CREATE SHARE would run): a share that cannot be read holds nothing."""
    try:
        rows = backend.fetch(f"SHOW ALL IN SHARE {quote_identifier(cfg.sharing.share)}")
    except Exception:
        if strict:
            raise
        return set()
    return {str(r.get("name", "")).lower() for r in rows}


def share_statements(cfg: RlsConfig, present: set[str]) -> list[str]:
    """What makes the share hold every table of :data:`SHARED_TABLES` (``present``: what it holds) and granted to
    every configured recipient. Idempotent statements: a daily run changes nothing once set up."""
    share = quote_identifier(cfg.sharing.share)
    out = [f"CREATE SHARE IF NOT EXISTS {share} COMMENT 'rls: collected access tables for other regions'"]
    for table in SHARED_TABLES:
        if f"{cfg.schema}.{table}".lower() not in present:
            alias = quote_name(cfg.schema, table)
            out.append(f"ALTER SHARE {share} ADD TABLE {quote_name(*cfg.table(table))} AS {alias}")
    for name, ident in sorted(cfg.sharing.recipients.items()):
        recipient = quote_identifier(name)
        out.append(f"CREATE RECIPIENT IF NOT EXISTS {recipient} USING ID {quote_string(ident)}")
        out.append(f"GRANT SELECT ON SHARE {share} TO RECIPIENT {recipient}")
    return out


def share_collected_tables(backend: SqlBackend, cfg: RlsConfig) -> list[str]:
    """Home region: run :func:`share_statements`; returns what changed (the tables added to the share)."""
    share = quote_identifier(cfg.sharing.share)
    backend.execute(share_statements(cfg, set())[0])  # the share exists before its contents are read
    statements = share_statements(cfg, shared_now(backend, cfg))[1:]
    done = []
    for sql in statements:
        backend.execute(sql)
        if sql.startswith(f"ALTER SHARE {share} ADD TABLE"):
            done.append("shared " + sql.split(" ADD TABLE ", 1)[1].split(" AS ", 1)[0].replace("`", ""))
    return done


def mount_statement(cfg: RlsConfig) -> str:
    """Another region: the statement that mounts the home region's share as ``sharing.source_catalog``."""
    s = cfg.sharing
    assert s.source_catalog and s.provider  # validated with the config
    return (
        f"CREATE CATALOG IF NOT EXISTS {quote_identifier(s.source_catalog)}"
        f" USING SHARE {quote_identifier(s.provider)}.{quote_identifier(s.share)}"
    )


def mount_source(backend: SqlBackend, cfg: RlsConfig) -> None:
    """Another region: the catalog mounted from the home region's share (created when missing; never granted)."""
    backend.execute(mount_statement(cfg))
