"""Account API: workspaces, metastores and their assignments, workspace permission assignments."""

from __future__ import annotations

from typing import Any

from rls_local.emulator.protocol import ApiError, Request, Response
from rls_local.emulator.routes.router import Context, Router
from rls_local.scenario import PERMISSIONS, Metastore, PrincipalRef, Workspace

_ACC = "/api/2.0/accounts/{acc}"
_WS = _ACC + "/workspaces/{wid}"

_STATUS_MESSAGES = {
    "RUNNING": "Workspace is running.",
    "PROVISIONING": "Workspace resources are being set up.",
    "FAILED": "Workspace resources failed to be set up.",
    "BANNED": "Workspace is banned.",
    "CANCELLING": "Workspace is being cancelled.",
    "NOT_PROVISIONED": "Workspace has not been provisioned.",
}
# Where each cloud's workspace object carries its region (provisioning.Workspace: aws_region / location).
_REGION_FIELD = {"aws": "aws_region", "azure": "location", "gcp": "location"}


def register(router: Router) -> None:
    router.add("GET", _ACC + "/workspaces", list_workspaces)
    router.add("GET", _WS, get_workspace)
    router.add("GET", _WS + "/metastore", get_metastore_assignment)
    router.add("GET", _ACC + "/metastores", list_metastores)
    router.add("GET", _ACC + "/metastores/{mid}", get_metastore)
    router.add("GET", _ACC + "/metastores/{mid}/workspaces", list_metastore_workspaces)
    router.add("GET", _WS + "/permissionassignments", list_assignments)
    router.add("GET", _WS + "/permissionassignments/permissions", list_permission_levels)
    router.add("PUT", _WS + "/permissionassignments/principals/{pid}", put_assignment)
    router.add("DELETE", _WS + "/permissionassignments/principals/{pid}", delete_assignment)


# ---- workspaces --------------------------------------------------------------------------------------------------
def workspace_or_404(ctx: Context, raw_id: str) -> Workspace:
    try:
        ws = ctx.state.workspaces.get(int(raw_id))
    except ValueError:
        ws = None
    if ws is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Workspace {raw_id} does not exist.")
    return ws


def workspace_json(ctx: Context, ws: Workspace) -> dict[str, Any]:
    return {
        "account_id": ctx.account_id,
        "workspace_id": ws.workspace_id,
        "workspace_name": ws.workspace_name,
        "deployment_name": ws.deployment_name,
        "workspace_status": ws.workspace_status,
        "workspace_status_message": _STATUS_MESSAGES.get(ws.workspace_status, f"Workspace is {ws.workspace_status}."),
        "pricing_tier": "ENTERPRISE" if ctx.state.scenario.cloud == "aws" else "PREMIUM",
        # Deterministic, so that two runs over one scenario produce identical output.
        "creation_time": 1_700_000_000_000 + ws.workspace_id * 1000,
        "cloud": ctx.state.scenario.cloud,
        # A workspace's region is its metastore's (one metastore per region); outside any, the cloud default.
        _REGION_FIELD[ctx.state.scenario.cloud]: ctx.state.scenario.region_of(ws.workspace_id),
    }


def list_workspaces(ctx: Context, req: Request) -> Response:
    # The real endpoint answers a bare JSON array, not an object.
    return Response.json([workspace_json(ctx, w) for w in ctx.state.scenario.workspaces])


def get_workspace(ctx: Context, req: Request) -> Response:
    return Response.json(workspace_json(ctx, workspace_or_404(ctx, req.params["wid"])))


# ---- metastores ----------------------------------------------------------------------------------------------------
# Paths and shapes: databricks-sdk 0.162 AccountMetastoresAPI (list -> {"metastores": [MetastoreInfo]}, get ->
# {"metastore_info": MetastoreInfo}) and AccountMetastoreAssignmentsAPI (get -> {"metastore_assignment": …},
# list -> {"workspace_ids": […]}). Metastore ids are the scenario's (real ones are UUIDs; nothing parses them).
def no_metastore(workspace_id: int) -> ApiError:
    return ApiError(404, "METASTORE_DOES_NOT_EXIST", f"No metastore assigned for workspace {workspace_id}.")


def metastore_json(ctx: Context, m: Metastore) -> dict[str, Any]:
    state = ctx.state
    created = 1_600_000_000_000 + sum(m.metastore_id.encode())
    out: dict[str, Any] = {
        "metastore_id": m.metastore_id,
        "name": m.metastore_id,
        "region": m.region,
        "cloud": state.scenario.cloud,
        "global_metastore_id": f"{state.scenario.cloud}:{m.region}:{m.metastore_id}",
        "privilege_model_version": "1.0",
        "delta_sharing_scope": "INTERNAL",
        "created_at": created,
        "updated_at": created,
    }
    if m.admin is not None:
        # On Databricks the metastore's owner is its admin. Without a scenario admin the owner is left out rather
        # than invented: any made-up principal could wrongly make the collector look like a metastore admin.
        ident = state.scenario.identity_of(m.admin)
        out["owner"] = ident if ident is not None else state.groups[m.admin.id].display_name
    return out


def _metastore_or_404(ctx: Context, mid: str) -> Metastore:
    m = ctx.state.metastores.get(mid)
    if m is None:
        raise ApiError(404, "METASTORE_DOES_NOT_EXIST", f"Metastore '{mid}' does not exist.")
    return m


def list_metastores(ctx: Context, req: Request) -> Response:
    return Response.json({"metastores": [metastore_json(ctx, m) for m in ctx.state.scenario.metastores]})


def get_metastore(ctx: Context, req: Request) -> Response:
    return Response.json({"metastore_info": metastore_json(ctx, _metastore_or_404(ctx, req.params["mid"]))})


def list_metastore_workspaces(ctx: Context, req: Request) -> Response:
    return Response.json({"workspace_ids": list(_metastore_or_404(ctx, req.params["mid"]).workspace_ids)})


def metastore_assignment_json(ctx: Context, workspace_id: int, m: Metastore) -> dict[str, Any]:
    catalogs = m.catalogs_of(workspace_id)
    return {
        "workspace_id": workspace_id,
        "metastore_id": m.metastore_id,
        "default_catalog_name": catalogs[0].name if catalogs else "main",
    }


def get_metastore_assignment(ctx: Context, req: Request) -> Response:
    """The workspace's metastore, federated or not (v2 puts non-federated workspaces in metastores too); else 404."""
    ws = workspace_or_404(ctx, req.params["wid"])
    m = ctx.state.metastore_of(ws.workspace_id)
    if m is None:
        raise no_metastore(ws.workspace_id)
    return Response.json({"metastore_assignment": metastore_assignment_json(ctx, ws.workspace_id, m)})


# ---- permission assignments --------------------------------------------------------------------------------------
def principal_json(ctx: Context, ref: PrincipalRef) -> dict[str, Any]:
    state = ctx.state
    out: dict[str, Any] = {"principal_id": state.ids.id_of(ref), "display_name": state.display_name(ref)}
    if ref.type == "user":
        out["user_name"] = state.users[ref.id].user_name
    elif ref.type == "group":
        out["group_name"] = state.groups[ref.id].display_name
    else:
        out["service_principal_name"] = state.service_principals[ref.id].application_id
    return out


def assignment_json(ctx: Context, ref: PrincipalRef, permissions: tuple[str, ...]) -> dict[str, Any]:
    return {"principal": principal_json(ctx, ref), "permissions": list(permissions)}


def federated_or_400(ctx: Context, raw_id: str) -> Workspace:
    """Account-level assignment APIs exist only on identity-federated workspaces (facts file).

    The platform's answer elsewhere is HTTP 400 with exactly this message. Seen in public code that handles it (a
    Databricks connector built on ConductorOne's baton SDK matches 400 + "Permission assignment APIs are not
    available for this workspace" when listing workspace members, and skips the workspace) and in Terraform
    reports (equinor/terraform-azurerm-databricks CHANGELOG 4.2.1, issue #56: the error on a workspace whose
    metastore assignment / identity federation is not in place yet).
    """
    ws = workspace_or_404(ctx, raw_id)
    if not ws.identity_federated:
        raise ApiError(400, "BAD_REQUEST", "Permission assignment APIs are not available for this workspace.")
    return ws


def list_assignments(ctx: Context, req: Request) -> Response:
    ws = federated_or_400(ctx, req.params["wid"])
    items = [assignment_json(ctx, ref, perms) for ref, perms in ctx.state.assignments_on(ws.workspace_id)]
    return Response.json({"permission_assignments": items})


def list_permission_levels(ctx: Context, req: Request) -> Response:
    federated_or_400(ctx, req.params["wid"])
    levels = [
        {"permission_level": "USER", "description": "Can access the workspace."},
        {"permission_level": "ADMIN", "description": "Can access the workspace and has workspace admin privileges."},
    ]
    return Response.json({"permissions": levels})


def _principal_or_404(ctx: Context, raw_id: str) -> PrincipalRef:
    ref = ctx.state.ids.ref_of(raw_id)
    if ref is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Principal {raw_id} does not exist.")
    return ref


def put_assignment(ctx: Context, req: Request) -> Response:
    """Replaces the principal's permissions on the workspace (the SDK reads back a PermissionAssignment).

    The account's list shows the change at once; workspace access checks see a grant or raise only after the
    propagation delay (see :mod:`rls_local.emulator.state`).
    """
    ws = federated_or_400(ctx, req.params["wid"])
    ref = _principal_or_404(ctx, req.params["pid"])
    body = req.json()
    raw = body.get("permissions", []) if isinstance(body, dict) else None
    if not isinstance(raw, list):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "permissions must be a list of USER / ADMIN")
    # As documented: unsupported values are ignored, and an empty result removes the assignment.
    permissions = tuple(dict.fromkeys(p for p in raw if p in PERMISSIONS))
    if permissions:
        ctx.state.set_permissions(ws.workspace_id, ref, permissions)
    else:
        ctx.state.remove(ws.workspace_id, ref)
    return Response.json(assignment_json(ctx, ref, permissions))


def delete_assignment(ctx: Context, req: Request) -> Response:
    ws = federated_or_400(ctx, req.params["wid"])
    ref = _principal_or_404(ctx, req.params["pid"])
    if not ctx.state.remove(ws.workspace_id, ref):
        raise ApiError(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            f"Principal {req.params['pid']} has no permission assignment on workspace {ws.workspace_id}.",
        )
    return Response.json({})
