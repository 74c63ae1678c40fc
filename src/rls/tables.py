"""Names and row shapes of the tables the collector writes and the views read.

Table and column names follow the original tool so existing consumers keep working.
Each row class is the schema of its table (see :mod:`rls.sql.structs`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PERMS = "all_workspace_and_catalog_perms"
ADMINS = "all_workspace_and_catalog_perms_admins"
USERS = "all_workspace_and_catalog_perms_users"
GROUP_MEMBERS = "group_members_flat"
RUNS = "collection_runs"
LEDGER = "elevation_ledger"

# principal_type values
USER = "USER"
SERVICE_PRINCIPAL = "SERVICE_PRINCIPAL"
GROUP = "GROUP"

# source values: how the access was granted
DIRECT = "direct"
VIA_GROUP = "group"
LOCAL_ADMINS = "local-admins"


@dataclass(frozen=True)
class AccessRow:
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
