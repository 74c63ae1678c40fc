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

import logging
import time
from collections.abc import Callable

from rls import tables
from rls.config import RlsConfig
from rls.publish.report import first_line
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_identifier, quote_name, quote_string

logger = logging.getLogger(__name__)

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


class ShareGrantRefused(RuntimeError):
    """Some recipients could not be granted the share; the message is one line naming the fix."""


def shared_aliases(cfg: RlsConfig) -> set[str]:
    """The names (``schema.table``) under which publish puts the collected tables in the share: nothing else."""
    return {f"{cfg.schema}.{table}".lower() for table in SHARED_TABLES}


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


def share_collected_tables(backend: SqlBackend, cfg: RlsConfig, identity: str) -> list[str]:
    """Home region: run :func:`share_statements`; returns what changed (the tables added to the share) and what else
    the share holds.

    ``GRANT SELECT ON SHARE … TO RECIPIENT`` needs a metastore admin, or (ownership of the share, or ``USE SHARE`` +
    ``SET SHARE PERMISSION``) and (ownership of the recipient, or ``USE RECIPIENT``) (docs, "Manage access to Delta
    Sharing data shares"). The job owns what it created itself, so this holds by default; a share or recipient made
    by someone else may not. The grant itself is the check: the platform decides with ownership, metastore-level
    grants and group membership all applied, which no listing shows at once. Every recipient is tried; those refused
    raise :class:`ShareGrantRefused` at the end, one line naming the statement that fixes it."""
    share = quote_identifier(cfg.sharing.share)
    backend.execute(share_statements(cfg, set())[0])  # the share exists before its contents are read
    present = shared_now(backend, cfg)
    # Publish never removes from the share what it did not put there: it says so (`rls verify` fails on it).
    done = [
        f"{cfg.sharing.share} also holds {extra}, not put there by rls: left in place, remove it if it should not be"
        " shared"
        for extra in sorted(present - shared_aliases(cfg))
    ]
    refused: list[str] = []
    for sql in share_statements(cfg, present)[1:]:
        if sql.startswith("GRANT SELECT ON SHARE"):
            try:
                backend.execute(sql)
            except Exception as e:  # the other recipients are still granted
                refused.append(f"{sql.rsplit(' RECIPIENT ', 1)[1].strip('`')} ({first_line(e, 200)})")
            continue
        backend.execute(sql)
        if sql.startswith(f"ALTER SHARE {share} ADD TABLE"):
            done.append("shared " + sql.split(" ADD TABLE ", 1)[1].split(" AS ", 1)[0].replace("`", ""))
    if refused:
        raise ShareGrantRefused(
            f"share {cfg.sharing.share} not granted to {', '.join(refused)}: {identity} needs (to own the share, or USE"
            " SHARE and SET SHARE PERMISSION) and (to own the recipient, or USE RECIPIENT); a metastore admin runs:"
            f" GRANT USE SHARE, SET SHARE PERMISSION, USE RECIPIENT ON METASTORE TO {quote_identifier(identity)}"
        )
    return done


def mount_statement(cfg: RlsConfig) -> str:
    """Another region: the statement that mounts the home region's share as ``sharing.source_catalog``."""
    s = cfg.sharing
    assert s.source_catalog and s.provider  # validated with the config
    return (
        f"CREATE CATALOG IF NOT EXISTS {quote_identifier(s.source_catalog)}"
        f" USING SHARE {quote_identifier(s.provider)}.{quote_identifier(s.share)}"
    )


class ShareNotVisible(RuntimeError):
    """The home region's share did not become usable here within ``sharing.visibility_timeout_s``."""


def mount_source(
    backend: SqlBackend,
    cfg: RlsConfig,
    ready: Callable[[], bool],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Another region: the catalog mounted from the home region's share (created when missing; never granted), tried
    until ``ready()`` (the collected tables are readable through it); returns the number of attempts.

    Recipients see new shares and share changes "after about a minute of caching" (docs, "Read data shared using
    Databricks-to-Databricks Delta Sharing"): a share granted or extended by the home region's run a moment ago may
    not be there yet. So a refused mount or a missing table is retried, ``CREATE CATALOG IF NOT EXISTS`` each time
    (it picks up tables added to the share), within ``sharing.visibility_timeout_s``; after that, ShareNotVisible."""
    s = cfg.sharing
    timeout = s.visibility_timeout_s
    deadline = clock() + timeout
    pause = min(10.0, max(0.25, timeout / 20))  # ~20 looks within the bound, never a busy loop
    attempts = 0
    while True:
        attempts += 1
        try:
            backend.execute(mount_statement(cfg))
            if ready():
                return attempts
            problem = "the collected tables are not in it yet"
        except Exception as e:
            problem = first_line(e, 200)
        left = deadline - clock()
        if left <= 0:
            raise ShareNotVisible(
                f"share {s.provider}.{s.share} not usable after {attempts} attempt(s) in {timeout:g} s"
                f" (sharing.visibility_timeout_s): {problem}"
            )
        logger.info("share %s.%s not usable yet (%s): next look in %.1f s", s.provider, s.share, problem, pause)
        sleep(min(pause, left))
