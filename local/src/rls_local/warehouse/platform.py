"""The emulated Databricks platform: what Unity Catalog provides and open-source Spark lacks.

``is_account_group_member(g)`` is a Databricks builtin. Here it is a persistent SQL function over a view of the
account-group memberships (one table per account installed: see :func:`install_memberships`) computed **directly
from the scenario** (deliberately not with the tool's collector code, so tests compare the tool against an independent
oracle):

- nested groups are expanded transitively; cycles are tolerated (visited set);
- inactive users and inactive service principals are members of nothing;
- a member is identified by what ``current_user()`` returns for it: a user's ``user_name``, a service principal's
  ``application_id``, compared case-insensitively (both sides lower-cased).

The group name is compared exactly as written (*unverified*: Databricks does not document whether group names are
matched case-insensitively; the tool should pass group names exactly as SCIM returns them either way).

Spark resolves an unqualified function inside a view against the namespace that was current when the view was
created, so :class:`~.backend.LocalWarehouseBackend` qualifies ``is_account_group_member(`` calls when
statements are prepared: the function resolves from a view in any schema, whatever namespace is current.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from rls.sql.errors import error_class_of
from rls.sql.sqltext import quote
from rls_local.scenario import Scenario
from rls_local.warehouse.backend import LocalWarehouseBackend
from rls_local.warehouse.platform_db import (
    MEMBERSHIP_TABLE,
    PLATFORM_DB,
    Membership,
    forget_written,
    last_written,
    platform_table,
    record_stored,
    record_written,
    stored_in_session,
    written_by,
)
from rls_local.warehouse.system_schemas import SCHEMAS

logger = logging.getLogger(__name__)


def account_group_memberships(scenario: Scenario) -> list[Membership]:
    """Every (group, identity) pair where the identity is a member of the account group at any depth."""
    groups = {g.id: g for g in scenario.groups}
    active_users = {u.id: u.user_name for u in scenario.users if u.active}
    active_sps = {s.id: s.application_id for s in scenario.service_principals if s.active}
    out: set[Membership] = set()
    for group in scenario.groups:
        for identity in _expand(group.id, groups, active_users, active_sps):
            out.add(Membership(group.display_name, identity.lower()))
    return sorted(out)


def _expand(root: str, groups: dict, users: dict[str, str], sps: dict[str, str]) -> Iterable[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        gid = stack.pop()
        if gid in seen or gid not in groups:
            continue
        seen.add(gid)
        for m in groups[gid].members:
            if m.type == "group":
                stack.append(m.id)
            elif m.type == "user" and m.id in users:
                yield users[m.id]
            elif m.type == "service_principal" and m.id in sps:
                yield sps[m.id]


def install_platform(backend: LocalWarehouseBackend, scenario: Scenario) -> list[Membership]:
    """Create (or replace) the membership table and the platform functions for ``scenario``. Idempotent.

    Nothing here is recorded in ``backend.statements``: it is the platform, not the tool's SQL.
    """
    return install_memberships(backend, account_group_memberships(scenario))


def install_memberships(backend: LocalWarehouseBackend, memberships: Sequence[Membership]) -> list[Membership]:
    """:func:`install_platform` from the memberships themselves (what :func:`installed` returned earlier).

    Each distinct set of memberships is a table of its own, named by a digest of its rows and written once per Spark
    session; ``account_group_members``, which ``is_account_group_member`` reads, is a view of the set installed last.
    Putting back a set installed before (the tests switch between accounts all the time) is then one view
    replaced, not a table rewritten."""
    spark = backend.spark
    memberships = list(memberships)
    key, app = str(backend.workdir), spark.sparkContext.applicationId
    if written_by(key, app) == tuple(memberships):
        # This very Spark session wrote these memberships and the current function, and nothing else writes them:
        # no other process can have changed them meanwhile (the workdir's metastore admits one session at a time).
        return memberships
    # The platform's own statements go to Spark directly: they are not the tool's SQL, and are never authorized as
    # whatever identity the job runs as (a test may install another scenario's platform inside run_as).
    first = not stored_in_session(key, app)
    if first:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `spark_catalog`.{quote(PLATFORM_DB)}").collect()
    rows = membership_rows_table(memberships)
    if rows not in stored_in_session(key, app):
        df = spark.createDataFrame(
            [(m.group_name, m.member) for m in memberships], "group_name STRING NOT NULL, member STRING NOT NULL"
        )
        df.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(platform_table(rows))
        record_stored(key, app, rows)
    _point_at(spark, rows)
    if first:
        _create_function(spark)
    backend.privileges.forget_groups()  # memberships may have changed
    record_written(key, app, tuple(memberships))
    logger.info("platform installed: %d account-group memberships", len(memberships))
    return memberships


def use_membership_table(backend: LocalWarehouseBackend, name: str) -> None:
    """Make ``is_account_group_member`` answer from the platform database's table ``name`` (columns ``group_name`` and
    ``member``, lower-cased identities), which the caller wrote there: the benchmarks' memberships, built with Spark at
    sizes a Python list would not hold. Only the platform's database, which no identity's statement may name, is read
    without a grant. The next :func:`install_platform` puts a scenario's memberships back."""
    spark = backend.spark
    spark.sql(f"CREATE DATABASE IF NOT EXISTS `spark_catalog`.{quote(PLATFORM_DB)}").collect()
    _point_at(spark, name)
    _create_function(spark)
    backend.privileges.forget_groups()
    forget_written(str(backend.workdir))


def _point_at(spark: Any, name: str) -> None:
    """``account_group_members`` becomes a view of the platform table ``name``."""
    view, source = platform_table(MEMBERSHIP_TABLE), platform_table(name)
    replace = f"CREATE OR REPLACE VIEW {view} AS SELECT group_name, member FROM {source}"
    try:
        spark.sql(replace).collect()
    except Exception as e:  # a workdir of an older build holds the memberships in a table of that name
        if not (error_class_of(e) or "").startswith("EXPECT_VIEW_NOT_TABLE"):
            raise
        spark.sql(f"DROP TABLE {view}").collect()
        spark.sql(replace).collect()


def _create_function(spark: Any) -> None:
    # The function reads the view at query time, so replacing memberships needs no new function; it is (re)created
    # once per session anyway so that a workdir from an older build gets the current definition.
    spark.sql(
        f"CREATE OR REPLACE FUNCTION {platform_table('is_account_group_member')}(g STRING) "
        "RETURNS BOOLEAN "
        "COMMENT 'Emulates the Databricks builtin from the scenario (rls local warehouse)' "
        f"RETURN EXISTS (SELECT 1 FROM {platform_table(MEMBERSHIP_TABLE)} m "
        "WHERE m.group_name = g AND m.member = lower(current_user()))"
    ).collect()


def membership_rows_table(memberships: Sequence[Membership]) -> str:
    """The platform table holding exactly ``memberships``: its name is a digest of them."""
    digest = hashlib.sha256("\n".join(f"{m.group_name}\t{m.member}" for m in sorted(memberships)).encode()).hexdigest()
    return f"{MEMBERSHIP_TABLE}_{digest[:20]}"


def installed(backend: LocalWarehouseBackend) -> tuple[Membership, ...] | None:
    """The memberships ``is_account_group_member`` on ``backend`` answers from (None: not installed by this process)."""
    return last_written(str(backend.workdir))


def grant_job_system_access(backend: LocalWarehouseBackend, scenario: Scenario, catalog: str = "system") -> list[str]:
    """Make ``catalog`` a system catalog of ``backend``'s metastore and give the job's identity exactly the grants on
    it that the scenario names (``job_system_grants``, spec version 3); returns the schemas granted.

    The job's identity is the one the local job runs as: ``backend.job_identity`` if set, else the warehouse's own
    principal (metastore admin, which holds nothing on a system catalog by itself: see :mod:`.privileges`). What an
    earlier call granted on this catalog (to either of them) is revoked first, so exactly one identity holds exactly
    these grants. Nothing is recorded in ``backend.statements``.
    """
    store = backend.privileges.store
    store.mark_system_catalog(catalog)
    who = backend.job_identity or backend.platform_principal
    cat, earlier = catalog.lower(), {who.lower(), backend.platform_principal.lower()}
    for obj in [o for o in store.grants if o == cat or o.startswith(cat + ".")]:
        for principal, privilege in list(store.grants.get(obj, [])):
            if principal.lower() in earlier:
                store.grant(obj, principal, privilege, revoke=True)
    schemas = sorted(
        {n.split(".")[0] for n in SCHEMAS} if scenario.job_system_grants is None else set(scenario.job_system_grants)
    )
    if schemas:
        store.grant(cat, who, "USE CATALOG")
    for schema in schemas:
        for privilege in ("USE SCHEMA", "SELECT"):
            store.grant(f"{cat}.{schema}", who, privilege)
    logger.info("job identity %s holds USE SCHEMA, SELECT on %s.{%s}", who, cat, ",".join(schemas))
    return schemas
