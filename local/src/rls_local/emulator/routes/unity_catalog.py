"""Unity Catalog's workspace APIs, addressed as ``/ws/{workspace_id}/<real path>``: the catalogs the collector lists,
their workspace bindings and the workspace's metastore assignment. They need workspace membership only (the server
checks it on every workspace call, :func:`.workspace.check_access`); what they then show depends on ownership and
grants, never on workspace admin.
"""

from __future__ import annotations

import base64
from typing import Any

from rls_local.emulator.protocol import ApiError, Request, Response
from rls_local.emulator.routes.account import metastore_assignment_json, no_metastore
from rls_local.emulator.routes.router import Context, Router
from rls_local.scenario import Catalog, Metastore

_WS = "/ws/{wid}"


def register(router: Router) -> None:
    router.add("GET", _WS + "/api/2.1/unity-catalog/catalogs", list_catalogs)
    router.add("GET", _WS + "/api/2.1/unity-catalog/catalogs/{name}", get_catalog)
    router.add("GET", _WS + "/api/2.1/unity-catalog/bindings/{securable_type}/{name}", get_bindings)
    router.add("GET", _WS + "/api/2.1/unity-catalog/workspace-bindings/catalogs/{name}", get_workspace_bindings)
    router.add("GET", _WS + "/api/2.1/unity-catalog/current-metastore-assignment", current_metastore_assignment)


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
