"""Account SCIM: Users, ServicePrincipals and Groups, listed in pages and read one by one.

Group lists never carry members (Databricks dropped them from account list calls); ``GET Groups/{id}`` does.
"""

from __future__ import annotations

from typing import Any

from rls_local.emulator import scim
from rls_local.emulator.protocol import Request, Response, ScimError
from rls_local.emulator.routes.router import Context, Router
from rls_local.scenario import Group, PrincipalRef, ServicePrincipal, User

_SCIM = "/api/2.0/accounts/{acc}/scim/v2"


def register(router: Router) -> None:
    router.add("GET", _SCIM + "/Users", list_users)
    router.add("GET", _SCIM + "/Users/{id}", get_user)
    router.add("GET", _SCIM + "/ServicePrincipals", list_service_principals)
    router.add("GET", _SCIM + "/ServicePrincipals/{id}", get_service_principal)
    router.add("GET", _SCIM + "/Groups", list_groups)
    router.add("GET", _SCIM + "/Groups/{id}", get_group)


def user_resource(ctx: Context, user: User) -> dict[str, Any]:
    ref = PrincipalRef("user", user.id)
    return {
        "schemas": [scim.USER_SCHEMA],
        "id": str(ctx.state.ids.id_of(ref)),
        "userName": user.user_name,
        "displayName": ctx.state.display_name(ref),
        "active": user.active,
        "emails": [{"value": user.user_name, "type": "work", "primary": True}],
    }


def service_principal_resource(ctx: Context, sp: ServicePrincipal) -> dict[str, Any]:
    return {
        "schemas": [scim.SERVICE_PRINCIPAL_SCHEMA],
        "id": str(ctx.state.ids.id_of(PrincipalRef("service_principal", sp.id))),
        "applicationId": sp.application_id,
        "displayName": sp.display_name,
        "active": sp.active,
    }


def member_ref(ctx: Context, ref: PrincipalRef) -> dict[str, str]:
    return scim.member(str(ctx.state.ids.id_of(ref)), ctx.state.display_name(ref), scim.SCIM_KIND[ref.type])


def group_resource(ctx: Context, group: Group, with_members: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schemas": [scim.GROUP_SCHEMA],
        "id": str(ctx.state.ids.id_of(PrincipalRef("group", group.id))),
        "displayName": group.display_name,
        "meta": {"resourceType": "Group"},
    }
    if with_members:
        out["members"] = [member_ref(ctx, m) for m in group.members]
    return out


def _lookup(ctx: Context, req: Request, kind: str, label: str) -> str:
    ref = ctx.state.ids.ref_of(req.params["id"])
    if ref is None or ref.type != kind:
        raise ScimError(404, f"{label} not found in account")
    return ref.id


def list_users(ctx: Context, req: Request) -> Response:
    resources = [user_resource(ctx, u) for u in ctx.state.scenario.users]
    return Response.json(scim.list_page(req, resources, ctx.options.page_size))


def get_user(ctx: Context, req: Request) -> Response:
    uid = _lookup(ctx, req, "user", "User")
    return Response.json(_projected(req, user_resource(ctx, ctx.state.users[uid])))


def list_service_principals(ctx: Context, req: Request) -> Response:
    resources = [service_principal_resource(ctx, s) for s in ctx.state.scenario.service_principals]
    return Response.json(scim.list_page(req, resources, ctx.options.page_size))


def get_service_principal(ctx: Context, req: Request) -> Response:
    sid = _lookup(ctx, req, "service_principal", "Service principal")
    return Response.json(_projected(req, service_principal_resource(ctx, ctx.state.service_principals[sid])))


def list_groups(ctx: Context, req: Request) -> Response:
    resources = [group_resource(ctx, g, with_members=False) for g in ctx.state.scenario.groups]
    return Response.json(scim.list_page(req, resources, ctx.options.page_size))


def get_group(ctx: Context, req: Request) -> Response:
    gid = _lookup(ctx, req, "group", "Group")
    return Response.json(_projected(req, group_resource(ctx, ctx.state.groups[gid], with_members=True)))


def _projected(req: Request, resource: dict[str, Any]) -> dict[str, Any]:
    return scim.project(resource, req.query.get("attributes"), req.query.get("excludedAttributes"))
