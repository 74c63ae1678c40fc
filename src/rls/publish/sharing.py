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


def shared_aliases(cfg: RlsConfig) -> set[str]:
    """The names (``schema.table``) under which publish puts the collected tables in the share: nothing else."""
    return {f"{cfg.schema}.{table}".lower() for table in SHARED_TABLES}


def share_contents(backend: SqlBackend, cfg: RlsConfig) -> set[str]:
    """What the share holds (``SHOW ALL IN SHARE``), by the name recipients see."""
    rows = backend.fetch(f"SHOW ALL IN SHARE {quote_identifier(cfg.sharing.share)}")
    return {str(r.get("name", "")).lower() for r in rows}


def share_collected_tables(backend: SqlBackend, cfg: RlsConfig) -> list[str]:
    """Home region: make sure the share holds every table of :data:`SHARED_TABLES` and is granted to every configured
    recipient; returns what changed, and what else the share holds. Idempotent: a daily run changes nothing once set
    up. Publish never removes from the share what it did not put there: it says so (``rls verify`` fails on it)."""
    share = quote_identifier(cfg.sharing.share)
    done: list[str] = []
    backend.execute(f"CREATE SHARE IF NOT EXISTS {share} COMMENT 'rls: collected access tables for other regions'")
    present = share_contents(backend, cfg)
    done += [
        f"{cfg.sharing.share} also holds {extra}, not put there by rls: left in place, remove it if it should not be"
        " shared"
        for extra in sorted(present - shared_aliases(cfg))
    ]
    for table in SHARED_TABLES:
        alias = f"{cfg.schema}.{table}".lower()
        if alias in present:
            continue
        source = quote_name(*cfg.table(table))
        backend.execute(f"ALTER SHARE {share} ADD TABLE {source} AS {quote_name(cfg.schema, table)}")
        done.append(f"shared {'.'.join(cfg.table(table))}")
    for name, ident in sorted(cfg.sharing.recipients.items()):
        recipient = quote_identifier(name)
        backend.execute(f"CREATE RECIPIENT IF NOT EXISTS {recipient} USING ID {quote_string(ident)}")
        backend.execute(f"GRANT SELECT ON SHARE {share} TO RECIPIENT {recipient}")
    return done


def mount_source(backend: SqlBackend, cfg: RlsConfig) -> None:
    """Another region: the catalog mounted from the home region's share (created when missing; never granted)."""
    s = cfg.sharing
    assert s.source_catalog and s.provider  # validated with the config
    backend.execute(
        f"CREATE CATALOG IF NOT EXISTS {quote_identifier(s.source_catalog)}"
        f" USING SHARE {quote_identifier(s.provider)}.{quote_identifier(s.share)}"
    )
