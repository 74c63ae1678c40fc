"""Account API: workspaces, metastore assignments, workspace permission assignments."""

from __future__ import annotations

import uuid
from typing import Any

from rls.emulator.protocol import ApiError, Request, Response
from rls.emulator.routes import Context, Router
from rls.scenario import PERMISSIONS, PrincipalRef, Workspace

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
_CLOUD_FIELDS: dict[str, dict[str, str]] = {
    "aws": {"cloud": "aws", "aws_region": "us-west-2"},
    "azure": {"cloud": "azure", "location": "westeurope"},
    "gcp": {"cloud": "gcp", "location": "us-central1"},
}


def register(router: Router) -> None:
    router.add("GET", _ACC + "/workspaces", list_workspaces)
    router.add("GET", _WS, get_workspace)
    router.add("GET", _WS + "/metastore", get_metastore_assignment)
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
        **_CLOUD_FIELDS[ctx.state.scenario.cloud],
    }


def list_workspaces(ctx: Context, req: Request) -> Response:
    # The real endpoint answers a bare JSON array, not an object.
    return Response.json([workspace_json(ctx, w) for w in ctx.state.scenario.workspaces])


def get_workspace(ctx: Context, req: Request) -> Response:
    return Response.json(workspace_json(ctx, workspace_or_404(ctx, req.params["wid"])))


# ---- metastore -----------------------------------------------------------------------------------------------------
def metastore_id(ctx: Context, workspace_id: int) -> str:
    """One metastore per federated workspace: the scenario's catalogs are per workspace, so are metastores."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rls-emulator/{ctx.account_id}/metastore/{workspace_id}"))


def no_metastore(workspace_id: int) -> ApiError:
    return ApiError(404, "METASTORE_DOES_NOT_EXIST", f"No metastore assigned for workspace {workspace_id}.")


def get_metastore_assignment(ctx: Context, req: Request) -> Response:
    """How a client learns identity federation: federated workspaces have a Unity Catalog metastore, others 404."""
    ws = workspace_or_404(ctx, req.params["wid"])
    if not ws.identity_federated:
        raise no_metastore(ws.workspace_id)
    catalogs = ctx.state.scenario.catalogs.get(ws.workspace_id, [])
    assignment = {
        "workspace_id": ws.workspace_id,
        "metastore_id": metastore_id(ctx, ws.workspace_id),
        "default_catalog_name": catalogs[0].name if catalogs else "main",
    }
    return Response.json({"metastore_assignment": assignment})


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


def list_assignments(ctx: Context, req: Request) -> Response:
    ws = workspace_or_404(ctx, req.params["wid"])
    items = [assignment_json(ctx, ref, perms) for ref, perms in ctx.state.assignments_on(ws.workspace_id)]
    return Response.json({"permission_assignments": items})


def list_permission_levels(ctx: Context, req: Request) -> Response:
    workspace_or_404(ctx, req.params["wid"])
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
    """Replaces the principal's permissions on the workspace (the SDK reads back a PermissionAssignment)."""
    ws = workspace_or_404(ctx, req.params["wid"])
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
    ws = workspace_or_404(ctx, req.params["wid"])
    ref = _principal_or_404(ctx, req.params["pid"])
    if not ctx.state.remove(ws.workspace_id, ref):
        raise ApiError(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            f"Principal {req.params['pid']} has no permission assignment on workspace {ws.workspace_id}.",
        )
    return Response.json({})
