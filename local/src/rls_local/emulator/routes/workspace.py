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
to a non-admin. ``/Me`` and Unity Catalog need membership only; what Unity Catalog then shows depends on ownership
and grants, never on workspace admin.
"""

from __future__ import annotations

import base64
from typing import Any

from rls_local.emulator import scim
from rls_local.emulator.protocol import ApiError, Request, Response, ScimError
from rls_local.emulator.routes.account import metastore_assignment_json, no_metastore
from rls_local.emulator.routes.account_scim import service_principal_resource, user_resource
from rls_local.emulator.routes.router import Context, Router
from rls_local.emulator.workspace_groups import workspace_groups
from rls_local.scenario import Catalog, Metastore, Workspace

_WS = "/ws/{wid}"


def register(router: Router) -> None:
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Groups", list_groups)
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Groups/{id}", get_group)
    router.add("GET", _WS + "/api/2.0/preview/scim/v2/Me", me)
    router.add("GET", _WS + "/api/2.1/unity-catalog/catalogs", list_catalogs)
    router.add("GET", _WS + "/api/2.1/unity-catalog/catalogs/{name}", get_catalog)
    router.add("GET", _WS + "/api/2.1/unity-catalog/bindings/{securable_type}/{name}", get_bindings)
    router.add("GET", _WS + "/api/2.1/unity-catalog/workspace-bindings/catalogs/{name}", get_workspace_bindings)
    router.add("GET", _WS + "/api/2.1/unity-catalog/current-metastore-assignment", current_metastore_assignment)


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


# ---- Unity Catalog ------------------------------------------------------------------------------------------------
def _metastore(ctx: Context, workspace_id: int) -> Metastore:
    m = ctx.state.metastore_of(workspace_id)
    if m is None:
        raise no_metastore(workspace_id)
    return m


def catalog_json(ctx: Context, m: Metastore, index: int, c: Catalog) -> dict[str, Any]:
    created = 1_700_000_000_000 + sum(m.metastore_id.encode()) * 1000 + index
    return {
        "name": c.name,
        "full_name": c.name,
        "owner": c.owner,
        "catalog_type": "MANAGED_CATALOG",
        "securable_type": "CATALOG",
        "isolation_mode": c.isolation_mode,
        "browse_only": False,
        "metastore_id": m.metastore_id,
        "created_at": created,
        "created_by": c.owner,
        "updated_at": created,
        "updated_by": c.owner,
    }


def _visible_catalogs(ctx: Context, req: Request, workspace_id: int) -> list[dict[str, Any]]:
    """``CatalogsAPI.list`` through one workspace (SDK 0.162 docstring): "If the caller is the metastore admin, all
    catalogs will be retrieved. Otherwise, only catalogs owned by the caller (or for which the caller has the
    USE_CATALOG privilege)", and two flags narrow it by default:

    - ``include_unbound``: "Whether to include catalogs not bound to the workspace. Effective only if the user has
      permission to update the catalog-workspace binding" (its owner or a metastore admin): an ISOLATED catalog
      bound elsewhere is hidden without it, and without that permission;
    - ``include_browse``: "Whether to include catalogs in the response for which the principal can only access
      selective metadata for": catalogs the caller holds BROWSE on only (``browse_only: true``).
    """
    m = _metastore(ctx, workspace_id)
    caller = ctx.state.scenario.collector
    unbound, browse = _flag(req, "include_unbound"), _flag(req, "include_browse")
    out = []
    for i, c in enumerate(m.catalogs):
        if not c.visible_on(workspace_id) and not (unbound and ctx.state.may_read_bindings(caller, m, c)):
            continue
        if ctx.state.may_list(caller, m, c):
            out.append(catalog_json(ctx, m, i, c))
        elif browse and not ctx.state.selves(caller).isdisjoint(c.browse):
            out.append({**catalog_json(ctx, m, i, c), "browse_only": True})
    return out


def _flag(req: Request, name: str) -> bool:
    value = (req.query.get(name) or "false").lower()
    if value not in ("true", "false"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{name} must be true or false, got {value!r}")
    return value == "true"


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
    return _unity_catalog_page(ctx, req, "catalogs", _visible_catalogs(ctx, req, int(req.params["wid"])))


def _unity_catalog_page(ctx: Context, req: Request, key: str, items: list[Any]) -> Response:
    """Unity Catalog paging: ``max_results`` (0: the server's page size) and opaque ``page_token`` /
    ``next_page_token``; without ``max_results`` the legacy unpaginated form answers everything at once."""
    max_results = req.int_query("max_results")
    if max_results is None:
        return Response.json({key: items})
    if max_results < 0:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "max_results must be >= 0")
    size = ctx.options.page_size if max_results == 0 else min(max_results, ctx.options.page_size)
    offset = _decode_token(req.query["page_token"]) if req.query.get("page_token") else 0
    body: dict[str, Any] = {key: items[offset : offset + size]}
    if offset + size < len(items):
        body["next_page_token"] = _encode_token(offset + size)
    return Response.json(body)


def _catalog_or_error(ctx: Context, workspace_id: int, name: str) -> tuple[Metastore, Catalog]:
    m = _metastore(ctx, workspace_id)
    for c in m.catalogs:
        if c.name.lower() == name.lower():  # Unity Catalog names are case-insensitive
            return m, c
    raise ApiError(404, "CATALOG_DOES_NOT_EXIST", f"Catalog '{name}' does not exist.")


def get_catalog(ctx: Context, req: Request) -> Response:
    wid = int(req.params["wid"])
    m, c = _catalog_or_error(ctx, wid, req.params["name"])
    if not ctx.state.may_list(ctx.state.scenario.collector, m, c):
        raise ApiError(
            403,
            "PERMISSION_DENIED",
            f"User does not have USE CATALOG on Catalog '{c.name}'.",
        )
    return Response.json(catalog_json(ctx, m, m.catalogs.index(c), c))


def _bindable(ctx: Context, req: Request) -> tuple[Metastore, Catalog]:
    """A catalog whose bindings the caller may read: "The caller must be a metastore admin or an owner of the
    securable" (SDK ``WorkspaceBindingsAPI.get_bindings`` docstring); else 403."""
    m, c = _catalog_or_error(ctx, int(req.params["wid"]), req.params["name"])
    if not ctx.state.may_read_bindings(ctx.state.scenario.collector, m, c):
        raise ApiError(
            403,
            "PERMISSION_DENIED",
            f"{ctx.state.scenario.collector_identity} is neither the owner of catalog '{c.name}' nor a metastore "
            "admin.",
        )
    return m, c


def get_bindings(ctx: Context, req: Request) -> Response:
    """``GET …/bindings/{securable_type}/{name}``; only catalogs are modelled (others 404)."""
    if req.params["securable_type"].lower() != "catalog":
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"No {req.params['securable_type']} named {req.params['name']}")
    _, c = _bindable(ctx, req)
    bindings = [{"workspace_id": w, "binding_type": "BINDING_TYPE_READ_WRITE"} for w in c.bindings]
    return _unity_catalog_page(ctx, req, "bindings", bindings)


def get_workspace_bindings(ctx: Context, req: Request) -> Response:
    """The deprecated ``…/workspace-bindings/catalogs/{name}`` -> ``{"workspaces": [ids]}``; same rule."""
    _, c = _bindable(ctx, req)
    return Response.json({"workspaces": list(c.bindings)} if c.bindings else {})


def current_metastore_assignment(ctx: Context, req: Request) -> Response:
    """``MetastoresAPI.current``: the workspace's own metastore assignment (a bare MetastoreAssignment)."""
    wid = int(req.params["wid"])
    return Response.json(metastore_assignment_json(ctx, wid, _metastore(ctx, wid)))
