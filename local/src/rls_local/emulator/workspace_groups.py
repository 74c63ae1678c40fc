"""What a workspace's SCIM API holds as groups: its built-in ``admins`` group and its workspace-local groups (v3).

Both are ``meta.resourceType: WorkspaceGroup`` and are listed **with members** by the workspace's
``GET /api/2.0/preview/scim/v2/Groups`` (terraform-provider-databricks PR #4995 / issue #2193; facts file,
"Corrections, round 2"). A member's ``$ref`` is written as the platform writes it: ``Users/<id>``,
``ServicePrincipals/<id>``, or ``Groups/<id>`` for an account group and for a local group alike. Local group ids are
numbers of the workspace's own namespace, never account ids: the account SCIM API answers 404 for them. Who may read
these groups is decided in :mod:`rls_local.emulator.routes.workspace`.
"""

from __future__ import annotations

from typing import Any

from rls_local.emulator import scim
from rls_local.emulator.ids import local_group_id, workspace_group_id
from rls_local.emulator.routes.account_scim import member_ref
from rls_local.emulator.routes.router import Context
from rls_local.scenario import WORKSPACE_GROUP, LocalGroup, PrincipalRef

ADMINS = "admins"
RESOURCE_TYPE = "WorkspaceGroup"


def workspace_member_ref(ctx: Context, workspace_id: int, ref: PrincipalRef) -> dict[str, str]:
    """A member entry of a workspace group: account principals as the account writes them, local groups as
    ``Groups/<local id>`` (the same resource path: only the id tells them apart)."""
    if ref.type != WORKSPACE_GROUP:
        return member_ref(ctx, ref)
    group = ctx.state.scenario.local_group(workspace_id, ref.id)
    return scim.member(local_group_id(workspace_id, ref.id), group.display_name, scim.SCIM_KIND["group"])


def _resource(ctx: Context, workspace_id: int, gid: str, name: str, members: list[PrincipalRef]) -> dict[str, Any]:
    return {
        "schemas": [scim.GROUP_SCHEMA],
        "id": gid,
        "displayName": name,
        "meta": {"resourceType": RESOURCE_TYPE},
        "members": [workspace_member_ref(ctx, workspace_id, m) for m in members],
    }


def admins_group(ctx: Context, workspace_id: int) -> dict[str, Any]:
    members = ctx.state.workspace_admins_members(workspace_id)
    return _resource(ctx, workspace_id, workspace_group_id(workspace_id, ADMINS), ADMINS, members)


def local_group(ctx: Context, workspace_id: int, group: LocalGroup) -> dict[str, Any]:
    gid = local_group_id(workspace_id, group.id)
    return _resource(ctx, workspace_id, gid, group.display_name, list(group.members))


def workspace_groups(ctx: Context, workspace_id: int) -> list[dict[str, Any]]:
    """Every group of the workspace, ``admins`` first, then the local groups in the scenario's order."""
    local = ctx.state.scenario.workspace_local_groups.get(workspace_id, ())
    return [admins_group(ctx, workspace_id), *(local_group(ctx, workspace_id, g) for g in local)]
