"""Workspace APIs, addressed as ``/ws/{workspace_id}/<real workspace path>``.

The door of a workspace, in the order the platform applies it:

1. :func:`network_refusal` (before any token is looked at, also on the workspace's OIDC endpoints): a workspace
   whose scenario says ``network_refusal`` refuses the caller's network. ``private_link``: a redirect to the host's
   ``/login.html?error=private-link-validation-error``, which is exactly what the SDK recognises and raises as
   ``PrivateLinkValidationError`` (a ``PermissionDenied``; SDK 0.162 ``errors/private_link.py``,
   ``errors/parser.py``). ``ip_acl``: 403 with the platform's body, ``{"error_code": 403, "message": "Source IP
   address: <ip> is blocked by Databricks IP ACL for workspace: <id>"}`` (a numeric ``error_code``, as quoted in
   omnigent-ai/omnigent#4463 and databricks/databricks-sdk-go#871).
2. :func:`check_access` on every API call: the workspace exists and is RUNNING, and the caller (the scenario's
   collector) is a **member** of it now: an effective USER/ADMIN account assignment (itself or an account group it
   is in, at any depth, after propagation) on a federated workspace, or a place in its local admins (directly or
   through an account group). A non-member is answered as the scenario's ``non_member_answer`` says: ``"403"``
   PERMISSION_DENIED, ``"401"`` UNAUTHENTICATED, ``"token_error"`` a refusal at the workspace's token endpoint
   (:mod:`rls_local.emulator.auth`; an API call that still carries an older token then gets the 403).

Reading groups (facts file, "Corrections, round 2"; terraform-provider-databricks PR #4995, issue #2193): the SCIM
``List`` of groups, members included, is open to workspace **members**; ``GET /Groups/{id}`` to workspace admins
only (:func:`require_admin`). A workspace whose ``list_members_for`` is ``admins`` lists its groups without members
to a non-admin. ``/Me`` and Unity Catalog (:mod:`.unity_catalog`) need membership only; what Unity Catalog then
shows depends on ownership and grants, never on workspace admin.
"""

from __future__ import annotations

from rls_local.emulator import scim
from rls_local.emulator.protocol import ApiError, Request, Response, ScimError
from rls_local.emulator.routes.account_scim import service_principal_resource, user_resource
from rls_local.emulator.routes.router import Context, Router
from rls_local.emulator.workspace_groups import workspace_groups
from rls_local.scenario import Workspace

_WS = "/ws/{wid}"


def register(router: Router) -> None:
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Groups", list_groups)
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Groups/{id}", get_group)
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Me", me)


PRIVATE_LINK_LOGIN = "/login.html?error=private-link-validation-error"
"""Where a Private Link workspace sends a caller from outside its network (SDK ``_is_private_link_redirect``)."""


def network_refusal(ctx: Context, workspace_id: int, base_url: str) -> Response | None:
    """The answer of a workspace that refuses the caller's network, or None when it lets the request in."""
    ws = ctx.state.workspaces.get(workspace_id)
    if ws is None or ws.network_refusal is None:
        return None
    if ws.network_refusal == "private_link":
        # Same host, root path: the SDK checks that the final URL's path is exactly /login.html.
        return Response(302, b"", {"Location": base_url + PRIVATE_LINK_LOGIN})
    # A documentation address (RFC 5737): the emulator does not know the caller's public address.
    body = {
        "error_code": 403,
        "message": f"Source IP address: 203.0.113.7 is blocked by Databricks IP ACL for workspace: {workspace_id}",
    }
    return Response.json(body, 403)


def login_page() -> Response:
    """``GET /login.html``: the page a Private Link redirect lands on (200, HTML, as a browser would get it)."""
    return Response(200, b"<html><body>Sign in</body></html>", {"Content-Type": "text/html"})


def non_member_error(ctx: Context, workspace_id: int) -> ApiError:
    """How the platform answers a non-member on a workspace API (scenario ``non_member_answer``)."""
    who = ctx.state.scenario.collector_identity
    if ctx.state.scenario.non_member_answer == "401":
        return ApiError(401, "UNAUTHENTICATED", f"{who} is not a member of workspace {workspace_id}.")
    return ApiError(403, "PERMISSION_DENIED", f"{who} is not a member of workspace {workspace_id}.")


def check_access(ctx: Context, workspace_id: int) -> Workspace:
    ws = ctx.state.workspaces.get(workspace_id)
    if ws is None:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Workspace {workspace_id} does not exist.")
    if ws.workspace_status != "RUNNING":
        # Not 503: the SDK would retry that for minutes, and a non-running workspace does not come back by itself.
        raise ApiError(400, "INVALID_STATE", f"Workspace {workspace_id} is not running (status {ws.workspace_status}).")
    if not ctx.state.is_member(ctx.state.scenario.collector, workspace_id):
        raise non_member_error(ctx, workspace_id)  # also the answer while a fresh assignment is still propagating
    return ws


def require_admin(ctx: Context, workspace_id: int) -> None:
    if not ctx.state.is_workspace_admin(ctx.state.scenario.collector, workspace_id):
        raise ApiError(
            403,
            "PERMISSION_DENIED",
            f"{ctx.state.scenario.collector_identity} is not an admin of workspace {workspace_id}; "
            "only workspace admins may read a group by id.",
        )


# ---- SCIM ----------------------------------------------------------------------------------------------------------
def list_groups(ctx: Context, req: Request) -> Response:
    # The workspace's groups (admins and its local groups: workspace_groups); workspace list calls, unlike account
    # ones, carry members, and are open to every member of the workspace (check_access ran); a workspace whose
    # list_members_for is "admins" keeps them to admins. Filters and paging as SCIM defines them (scim.list_page).
    wid = int(req.params["wid"])
    members = ctx.state.workspaces[wid].list_members_for == "members" or ctx.state.is_workspace_admin(
        ctx.state.scenario.collector, wid
    )
    groups = workspace_groups(ctx, wid)
    if not members:
        groups = [{k: v for k, v in g.items() if k != "members"} for g in groups]
    return Response.json(scim.list_page(req, groups, ctx.options.page_size))


def get_group(ctx: Context, req: Request) -> Response:
    wid = int(req.params["wid"])
    require_admin(ctx, wid)
    group = next((g for g in workspace_groups(ctx, wid) if g["id"] == req.params["id"]), None)
    if group is None:
        raise ScimError(404, "Group not found")
    return Response.json(scim.project(group, req.query.get("attributes"), req.query.get("excludedAttributes")))


def me(ctx: Context, req: Request) -> Response:
    collector = ctx.state.scenario.collector
    if collector.type == "user":
        return Response.json(user_resource(ctx, ctx.state.users[collector.id]))
    sp = service_principal_resource(ctx, ctx.state.service_principals[collector.id])
    # /Me answers in the User schema; for a service principal the user name is its application id.
    return Response.json({**sp, "schemas": [scim.USER_SCHEMA], "userName": sp["applicationId"]})
