"""The collector's tables: each one's name and row shape here, their one writer beside it.

- Names and shapes: this module. Each row class is the schema of its table (see :mod:`rls.sql.structs`).
- Writing: only :class:`rls.tables.snapshot.SnapshotStore` (one consistent snapshot per collection: the rows the
  collector read, then the reporting tables :mod:`rls.tables.expand` computes from them in SQL, then the access map the
  views read). The collector hands it rows; nothing else writes these tables (tests/test_layout.py checks it).
- Reading: the publisher, verify, explain and the dashboard import the names from here.

Table and column names follow the original tool so existing consumers keep working. The classes of the tables that
reach millions of rows on a large account are NamedTuples: built several times faster than dataclasses, and already
the tuples ``createDataFrame`` takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from rls.model import directory

PERMS = "all_workspace_and_catalog_perms"
ADMINS = "all_workspace_and_catalog_perms_admins"
USERS = "all_workspace_and_catalog_perms_users"
GROUP_MEMBERS = "group_members_flat"
RUNS = "collection_runs"
PRINCIPALS = "principals"
ACCESS_MAP = "workspace_access_map"
GROUP_EDGES = "group_members_direct"

# principal_type values: the model's vocabulary (rls.model.directory), as the tables spell it
USER = directory.PRINCIPAL_TYPE[directory.USER]
SERVICE_PRINCIPAL = directory.PRINCIPAL_TYPE[directory.SERVICE_PRINCIPAL]
GROUP = directory.PRINCIPAL_TYPE[directory.GROUP]

# source values: how the access was granted
DIRECT = "direct"
VIA_GROUP = "group"
LOCAL_ADMINS = "local-admins"


class AccessRow(NamedTuple):
    """One effective assignment: ``…_admins`` holds ADMIN access, ``…_users`` USER access (never mixed).

    ``user_name`` is what ``current_user()`` returns for the principal (a user's email as stored, a service
    principal's application id); it is NULL on the row of an assigned account group itself, which the views match
    with ``is_account_group_member(group_name)``.
    """

    workspace_id: int
    workspace_name: str
    workspace_url: str
    user_name: str | None
    group_name: str | None  # the assigned account group the access comes through; NULL for a direct assignment
    principal_type: str  # USER | SERVICE_PRINCIPAL | GROUP
    source: str  # direct | group | local-admins
    via: str | None  # membership chain, e.g. "platform > sales-admins"
    run_id: str
    collected_at: dt.datetime


class AccessMapRow(NamedTuple):
    """``workspace_access_map``: one row per **way in** to a workspace — a direct user / service-principal
    assignment, an assigned account group, a member of the workspace's local ``admins`` group (account groups in it
    as groups) — never one row per flattened account-group member. This is what the views read: a user/SP row
    matches ``current_user()``; a group row matches ``is_account_group_member(group_name)``, which the platform answers
    from live membership, so removing someone from an admin group takes effect at once, without a collection.

    The one exception: workspace-local groups in the ``admins`` group, which ``is_account_group_member()`` cannot see.
    Their users and service principals, at any depth, are rows of their own (``source`` local-admins, the local group
    chain in ``via``): a snapshot until the next collection.

    Its size grows with the number of assignments, not with the members of its account groups.
    """

    workspace_id: int
    workspace_name: str
    workspace_url: str
    permission: str  # ADMIN | USER (ADMIN when the assignment lists both; local admins are ADMIN)
    user_name: str | None  # what current_user() returns (user name / SP application id); NULL on a group row
    group_id: str | None  # the account group's SCIM id (group rows); what the reporting tables are expanded from
    group_name: str | None  # the account group's display name (group rows), passed to is_account_group_member
    principal_type: str  # USER | SERVICE_PRINCIPAL | GROUP
    source: str  # direct | local-admins
    run_id: str
    collected_at: dt.datetime
    via: str | None = None  # workspace-local groups from the one in `admins` down (members of local groups only)


class PrincipalRow(NamedTuple):
    """``principals``: every account user, service principal and group the collector listed — the map from a
    principal **id** (account SCIM id, which system tables such as ``lakeflow.jobs.run_as`` hold) to the name
    ``current_user()`` returns (user name / application id; a group's display name)."""

    principal_id: str
    principal_type: str  # USER | SERVICE_PRINCIPAL | GROUP
    identity: str
    active: bool


class Principal(NamedTuple):
    """An entry of the nested ``admins`` / ``users`` lists of ``all_workspace_and_catalog_perms``."""

    user_name: str | None
    group_name: str | None
    principal_type: str
    source: str
    via: str | None


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    name: str
    owner: str | None


@dataclass(frozen=True, slots=True)
class WorkspacePerms:
    """``all_workspace_and_catalog_perms``: one row per collected workspace, nested."""

    workspace_id: int
    workspace_name: str
    deployment_name: str
    workspace_url: str
    workspace_status: str
    cloud: str | None
    region: str | None  # the workspace's cloud region (aws_region / location): its metastore's, for regional tables
    identity_federated: bool | None
    admins: list[Principal]
    users: list[Principal]
    catalogs: list[CatalogEntry]
    run_id: str
    collected_at: dt.datetime
    local_group_problems: list[str] | None = None
    """Workspace-local groups in its ``admins`` group that could not be read or resolved: their members are missing."""


class GroupMember(NamedTuple):
    """``group_members_flat``: every member of every relevant account group, at any depth."""

    group_id: str
    group_name: str
    member_id: str
    member_name: str
    member_type: str  # USER | SERVICE_PRINCIPAL | GROUP
    active: bool
    depth: int
    path: str  # outer group first, e.g. "sales-admins > platform"
    run_id: str


class GroupEdge(NamedTuple):
    """``group_members_direct``: the direct members of every account group the collector fetched, as SCIM answered.
    ``group_members_flat``, ``…_admins`` and ``…_users`` are expanded from it (and the access map) in Spark."""

    group_id: str
    group_name: str
    member_id: str
    member_name: str
    member_type: str  # USER | SERVICE_PRINCIPAL | GROUP
    active: bool
    run_id: str


@dataclass(frozen=True, slots=True)
class WorkspaceRun:
    workspace_id: int
    workspace_name: str
    workspace_status: str
    outcome: str  # collected | failed | unreachable | not-running | not-onboarded | would-elevate
    error: str | None
    admins: int
    users: int
    catalogs: int
    elevated: bool
    api_calls: int


@dataclass(frozen=True, slots=True)
class CollectionRun:
    """``collection_runs``: one row per run, appended."""

    run_id: str
    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: str  # ok | partial | refused | failed | dry-run
    forced: bool
    admin_rows: int
    previous_admin_rows: int | None
    api_calls: int
    api_calls_by_family: dict[str, int]
    workspaces: list[WorkspaceRun]
    elevations: list[int]
    repaired: list[str]
    errors: list[str]
