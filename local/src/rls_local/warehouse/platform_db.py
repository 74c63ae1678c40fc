"""The emulated platform's Spark database: the names of it and of what it holds, and which account-group
memberships this process last wrote to its membership table.

:mod:`.platform` installs it, the backend qualifies calls of its functions, :mod:`.enforce` reads the memberships and
:mod:`.authorize` keeps everyone but the platform out of it; each takes the names from here rather than from another.
"""

from __future__ import annotations

from dataclasses import dataclass

from rls.sql.sqltext import quote
from rls_local.warehouse.protocols import Backend

PLATFORM_DB = "rls_local_platform"
"""Spark database of the emulated platform (account-group memberships and the functions over them)."""
PLATFORM_FUNCTIONS = ("is_account_group_member",)
MEMBERSHIP_TABLE = "account_group_members"


@dataclass(frozen=True, order=True)
class Membership:
    """A row of the membership table: ``member`` belongs to account group ``group_name``, directly or not."""

    group_name: str
    member: str  # lower-cased identity, as compared with lower(current_user())


_installed: dict[str, tuple[Membership, ...]] = {}
"""Per workdir: the memberships :func:`.platform.install_memberships` wrote last (the table is shared by every backend
of it)."""
_written_by: dict[str, str] = {}
"""Per workdir: the Spark application that wrote :data:`_installed` (see :func:`.platform.install_memberships`)."""


_stored: dict[tuple[str, str], set[str]] = {}
"""Per workdir and Spark application: the membership tables (one per set of memberships) it wrote."""


def stored_in_session(workdir: str, application_id: str) -> set[str]:
    """The membership tables Spark application ``application_id`` wrote in ``workdir`` (empty: none yet)."""
    return _stored.get((workdir, application_id), set())


def record_stored(workdir: str, application_id: str, table: str) -> None:
    _stored.setdefault((workdir, application_id), set()).add(table)


def platform_table(name: str) -> str:
    return f"`spark_catalog`.{quote(PLATFORM_DB)}.{quote(name)}"


_writes: dict[str, int] = {}
"""Per workdir: how many times this process wrote the membership table (what a cache of memberships is as of)."""


def record_written(workdir: str, application_id: str, memberships: tuple[Membership, ...]) -> None:
    """The Spark application ``application_id`` has just written ``memberships`` to the table of ``workdir``."""
    _installed[workdir], _written_by[workdir] = memberships, application_id
    _writes[workdir] = _writes.get(workdir, 0) + 1


def forget_written(workdir: str) -> None:
    """Something other than a scenario's memberships now answers in ``workdir`` (see
    :func:`.platform.use_membership_table`): no session may take the table for what it wrote last."""
    _installed.pop(workdir, None)
    _written_by.pop(workdir, None)
    _writes[workdir] = _writes.get(workdir, 0) + 1


def writes(workdir: str) -> int:
    """How many times this process wrote the membership table of ``workdir``: every backend of the workdir caching
    memberships drops its cache when this moves, whichever backend wrote."""
    return _writes.get(workdir, 0)


def written_by(workdir: str, application_id: str) -> tuple[Membership, ...] | None:
    """What Spark application ``application_id`` wrote last to the membership table of ``workdir`` (None: another
    application wrote it, or none of this process)."""
    return _installed[workdir] if _written_by.get(workdir) == application_id else None


def written_in_this_session(backend: Backend) -> tuple[Membership, ...] | None:
    """What the membership table of ``backend``'s workdir holds, when the running Spark application wrote it (only
    :func:`.platform.install_memberships` writes it, and no other process can while this session has the workdir);
    else None: read the table."""
    key = str(backend.workdir)
    # Asking Spark for its application id is a JVM call: only when this process wrote the table at all.
    return written_by(key, backend.spark.sparkContext.applicationId) if key in _written_by else None


def last_written(workdir: str) -> tuple[Membership, ...] | None:
    """The memberships written last to the table of ``workdir`` by this process (None: not written by it)."""
    return _installed.get(workdir)
