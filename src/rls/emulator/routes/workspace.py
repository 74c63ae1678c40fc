"""Workspace APIs, addressed as ``/ws/{workspace_id}/<real workspace path>``.

Every call passes :func:`check_access` first: the workspace must exist and be RUNNING, and the scenario's collector
(the caller) must be an admin of it at that moment.
"""

from __future__ import annotations

import base64
from typing import Any

from rls.emulator import scim
from rls.emulator.ids import workspace_group_id
from rls.emulator.protocol import ApiError, Request, Response, ScimError
from rls.emulator.routes import Context, Router
from rls.emulator.routes.account import metastore_id, no_metastore
from rls.emulator.routes.account_scim import member_ref, service_principal_resource, user_resource
from rls.scenario import Workspace

_WS = "/ws/{wid}"
ADMINS = "admins"


def register(router: Router) -> None:
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Groups", list_groups)
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Groups/{id}", get_group)
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Me", me)
    router.add("GET", _WS + "/api/2.1/unity-catalog/catalogs", list_catalogs)
    router.add("GET", _WS + "/api/2.1/unity-catalog/catalogs/{name}", get_catalog)


def check_access(ctx: Context, workspace_id: int) -> Workspace:
    ws = ctx.state.workspaces.get(workspace_id)
    if ws is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Workspace {workspace_id} does not exist.")
    if ws.workspace_status != "RUNNING":
        # Not 503: the SDK would retry that for minutes, and a non-running workspace does not come back by itself.
        raise ApiError(400, "INVALID_STATE", f"Workspace {workspace_id} is not running (status {ws.workspace_status}).")
    collector = ctx.state.scenario.collector
    if not ctx.state.is_workspace_admin(collector, workspace_id):
        raise ApiError(
            403,
            "PERMISSION_DENIED",
            f"{ctx.state.scenario.collector_identity} is not an admin of workspace {workspace_id}.",
        )
    return ws


# ---- SCIM ----------------------------------------------------------------------------------------------------------
def admins_group(ctx: Context, workspace_id: int) -> dict[str, Any]:
    return {
        "schemas": [scim.GROUP_SCHEMA],
        "id": workspace_group_id(workspace_id, ADMINS),
        "displayName": ADMINS,
        "meta": {"resourceType": "WorkspaceGroup"},
        "members": [member_ref(ctx, m) for m in ctx.state.workspace_admins_members(workspace_id)],
    }


def list_groups(ctx: Context, req: Request) -> Response:
    # Only the built-in admins group is modelled; workspace list calls, unlike account ones, carry members.
    groups = [admins_group(ctx, int(req.params["wid"]))]
    return Response.json(scim.list_page(req, groups, ctx.options.page_size))


def get_group(ctx: Context, req: Request) -> Response:
    wid = int(req.params["wid"])
    if req.params["id"] != workspace_group_id(wid, ADMINS):
        raise ScimError(404, "Group not found")
    group = admins_group(ctx, wid)
    return Response.json(scim.project(group, req.query.get("attributes"), req.query.get("excludedAttributes")))


def me(ctx: Context, req: Request) -> Response:
    collector = ctx.state.scenario.collector
    if collector.type == "user":
        return Response.json(user_resource(ctx, ctx.state.users[collector.id]))
    sp = service_principal_resource(ctx, ctx.state.service_principals[collector.id])
    # /Me answers in the User schema; for a service principal the user name is its application id.
    return Response.json({**sp, "schemas": [scim.USER_SCHEMA], "userName": sp["applicationId"]})


# ---- Unity Catalog ------------------------------------------------------------------------------------------------
def _catalogs(ctx: Context, workspace_id: int) -> list[dict[str, Any]]:
    ws = ctx.state.workspaces[workspace_id]
    if not ws.identity_federated:
        raise no_metastore(workspace_id)
    mid = metastore_id(ctx, workspace_id)
    out = []
    for i, c in enumerate(ctx.state.scenario.catalogs.get(workspace_id, [])):
        created = 1_700_000_000_000 + workspace_id * 1000 + i
        out.append(
            {
                "name": c.name,
                "full_name": c.name,
                "owner": c.owner,
                "catalog_type": "MANAGED_CATALOG",
                "securable_type": "CATALOG",
                "isolation_mode": "OPEN",
                "browse_only": False,
                "metastore_id": mid,
                "created_at": created,
                "created_by": c.owner,
                "updated_at": created,
                "updated_by": c.owner,
            }
        )
    return out


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_token(token: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset" and int(value) >= 0:
            return int(value)
    except ValueError:
        pass
    raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid page_token {token!r}")


def list_catalogs(ctx: Context, req: Request) -> Response:
    catalogs = _catalogs(ctx, int(req.params["wid"]))
    max_results = req.int_query("max_results")
    if max_results is None:
        # Unpaginated (legacy) form: everything at once.
        return Response.json({"catalogs": catalogs})
    if max_results < 0:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "max_results must be >= 0")
    size = ctx.options.page_size if max_results == 0 else min(max_results, ctx.options.page_size)
    offset = _decode_token(req.query["page_token"]) if req.query.get("page_token") else 0
    body: dict[str, Any] = {"catalogs": catalogs[offset : offset + size]}
    if offset + size < len(catalogs):
        body["next_page_token"] = _encode_token(offset + size)
    return Response.json(body)


def get_catalog(ctx: Context, req: Request) -> Response:
    for c in _catalogs(ctx, int(req.params["wid"])):
        if c["name"] == req.params["name"]:
            return Response.json(c)
    raise ApiError(404, "CATALOG_DOES_NOT_EXIST", f"Catalog '{req.params['name']}' does not exist.")
