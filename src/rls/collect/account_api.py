"""Reads and writes the collector needs, over the real SDK, returned as model types.

Every answer is checked for the fields the collector relies on (:mod:`rls.collect.answers`); a malformed answer
raises :class:`ApiAnswerError` naming the call, instead of flowing on as ``None`` into the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service.iam import ComplexValue, WorkspacePermission

from rls.collect.answers import (
    OAUTH_ERRORS,
    ApiAnswerError,
    AuthenticationError,
    MembersHidden,
    Reads,
    call,
    checked_workspace_id,
    need,
    scim_members,
    scim_resources,
)
from rls.collect.clients import Clients
from rls.collect.workspace_groups import LocalAdmins, listed, split_admins
from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION, Grant, WorkspaceInfo
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER, MemberRef, Principal
from rls.parallel import describe

__all__ = ["OAUTH_ERRORS", "AccountApi", "ApiAnswerError", "AuthenticationError", "CatalogInfo", "MembersHidden"]

_WS_GROUPS = "/api/2.0/preview/scim/v2/Groups"
_JSON = {"Accept": "application/json"}
_PERMISSIONS = {ADMIN_PERMISSION: WorkspacePermission.ADMIN, USER_PERMISSION: WorkspacePermission.USER}


# The platform's answer to account-level assignment calls on a workspace without identity federation (seen in
# terraform-provider reports of databricks_mws_permission_assignment; HTTP 400).
NOT_FEDERATED = "permission assignment apis are not available for this workspace"


@dataclass(frozen=True)
class CatalogInfo:
    name: str
    owner: str | None
    isolation_mode: str  # OPEN | ISOLATED
    metastore_id: str | None


class AccountApi:
    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self.a = clients.account
        self._read = Reads(clients.cfg.retry_timeout_s)

    # ---- account-level reads -----------------------------------------------------------------------------------------
    def workspaces(self) -> list[WorkspaceInfo]:
        what = "GET workspaces"
        items = self._read(what, lambda: list(self.a.workspaces.list()))
        out = []
        for w in items:
            wid = checked_workspace_id(w.workspace_id, what)
            deployment = w.deployment_name or str(wid)
            status = w.workspace_status.value if w.workspace_status is not None else "UNKNOWN"
            out.append(
                WorkspaceInfo(
                    workspace_id=wid,
                    workspace_name=w.workspace_name or deployment,
                    deployment_name=deployment,
                    status=status,
                    url=self.clients.workspace_url(wid, deployment),
                    cloud=w.cloud,
                    region=w.aws_region or w.location,
                )
            )
        return out

    def users(self) -> list[Principal]:
        what = "GET account SCIM Users"
        items = self._read(what, lambda: list(self.a.users.list(attributes="id,userName,active")))
        return [
            Principal(USER, need(u.id, what, "id"), need(u.user_name, what, "userName"), u.active is not False)
            for u in items
        ]

    def service_principals(self) -> list[Principal]:
        what = "GET account SCIM ServicePrincipals"
        items = self._read(what, lambda: list(self.a.service_principals.list(attributes="id,applicationId,active")))
        return [
            Principal(
                SERVICE_PRINCIPAL,
                need(s.id, what, "id"),
                need(s.application_id, what, "applicationId"),
                s.active is not False,
            )
            for s in items
        ]

    def groups(self) -> list[Principal]:
        what = "GET account SCIM Groups"
        items = self._read(what, lambda: list(self.a.groups.list(attributes="id,displayName")))
        return [Principal(GROUP, need(g.id, what, "id"), need(g.display_name, what, "displayName")) for g in items]

    def group_members(self, group_id: str) -> list[MemberRef]:
        what = f"GET account SCIM Groups/{group_id}"
        group = self._read(what, lambda: self.a.groups.get(group_id))
        return scim_members(group.members or [], what)

    def grants(self, workspace_id: int) -> list[Grant] | None:
        """The workspace's account-level permission assignments; None when the workspace is not identity-federated.

        Account-level assignment APIs exist on identity-federated workspaces only; elsewhere the platform answers
        400 "Permission assignment APIs are not available for this workspace." (facts file, corrections).
        """
        what = f"GET permission assignments of workspace {workspace_id}"
        try:
            items = self._read(what, lambda: list(self.a.workspace_assignment.list(workspace_id)))
        except BadRequest as e:
            if NOT_FEDERATED in str(e).lower():
                return None
            raise
        out = []
        for pa in items:
            p = need(pa.principal, what, "principal")
            pid = str(need(p.principal_id, what, "principal.principal_id"))
            if p.group_name:
                kind = GROUP
            elif p.service_principal_name:
                kind = SERVICE_PRINCIPAL
            elif p.user_name:
                kind = USER
            else:
                raise ApiAnswerError(f"malformed answer to {what}: principal {pid} has no user/group/SP name")
            perms = tuple(x.value if hasattr(x, "value") else str(x) for x in (pa.permissions or []))
            out.append(Grant(MemberRef(kind, pid), perms))
        return out

    def metastore_of(self, workspace_id: int) -> str | None:
        """Id of the Unity Catalog metastore assigned to the workspace (None: none assigned)."""
        what = f"GET metastore of workspace {workspace_id}"
        try:
            got = self._read(what, lambda: self.a.metastore_assignments.get(workspace_id))
        except NotFound:
            return None
        assignment = need(got.metastore_assignment, what, "metastore_assignment")
        return str(need(assignment.metastore_id, what, "metastore_assignment.metastore_id"))

    def metastore_regions(self) -> dict[str, str | None]:
        what = "GET metastores"
        items = self._read(what, lambda: list(self.a.metastores.list()))
        return {str(need(m.metastore_id, what, "metastore_id")): m.region for m in items}

    # ---- assignment writes (elevation) -------------------------------------------------------------------------------
    def set_permissions(self, workspace_id: int, principal_id: str, permissions: Iterable[str]) -> None:
        perms = [_PERMISSIONS[p] for p in permissions]
        what = f"PUT permission assignment on workspace {workspace_id}"
        call(what, lambda: self.a.workspace_assignment.update(workspace_id, int(principal_id), permissions=perms))

    def remove_assignment(self, workspace_id: int, principal_id: str) -> None:
        what = f"DELETE permission assignment on workspace {workspace_id}"
        call(what, lambda: self.a.workspace_assignment.delete(workspace_id, int(principal_id)))

    # ---- workspace-level reads ---------------------------------------------------------------------------------------
    def local_admins(self, ws: WorkspaceInfo) -> tuple[list[MemberRef], LocalAdmins]:
        """Members of the workspace's ``admins`` group, read as a workspace member where the platform allows it, and
        what the workspace-local groups in it hold (:mod:`rls.collect.workspace_groups`).

        The SCIM ``List`` of groups carries members and is open to workspace members; ``GET /Groups/{id}`` needs
        workspace admin (terraform-provider-databricks PR #4995, facts file "Corrections, round 2"). The by-id read
        is asked only when the list came without members; refused, it raises :class:`MembersHidden`.
        """
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET admins group of workspace {ws.workspace_id}"
        # Raw JSON, not the SDK's Group: its from_dict turns a missing "members" into [], so "listed without its
        # members" would read as "an empty group".
        query = {"filter": 'displayName eq "admins"', "attributes": "id,displayName,members"}
        body = self._read(what, lambda: w.api_client.do("GET", _WS_GROUPS, query=query, headers=_JSON))
        found = [g for g in scim_resources(body, what) if g.get("displayName") == "admins"]
        if not found:
            raise ApiAnswerError(f"workspace {ws.workspace_id} has no 'admins' group in its SCIM API")
        if "members" in found[0]:
            raw = found[0]["members"]
            if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
                raise ApiAnswerError(f"malformed answer to {what}: members is not a list of objects")
            members = scim_members([ComplexValue.from_dict(m) for m in raw], what)
        else:
            gid = str(need(found[0].get("id"), what, "id"))
            try:
                group = self._read(what, lambda: w.groups.get(gid))
            except PermissionDenied as e:
                raise MembersHidden(
                    f"workspace {ws.workspace_id} lists its groups without their members to a non-admin, and reading "
                    f"the admins group by id needs workspace admin ({describe(e).split('. Config:')[0]})"
                ) from None
            members = scim_members(group.members or [], what)
        if not any(m.kind == GROUP for m in members):
            return members, LocalAdmins()
        # A group in `admins` may be a workspace-local one: the workspace's whole group list (paged, members
        # included, open to members) holds them with their members; none is read by id (admin-only).
        every = self._read(what, lambda: list(w.groups.list(attributes="id,displayName,members,meta")))
        groups = {g.id: listed(g) for g in every if g.id and (g.display_name or "").lower() != "admins"}
        return split_admins(members, groups, ws.workspace_id)

    def catalogs(self, ws: WorkspaceInfo) -> list[CatalogInfo]:
        """Catalogs of the workspace's metastore the caller may see: all of them only for a metastore admin (the
        listing is filtered by ownership and USE CATALOG; workspace admin does not widen it — CatalogsAPI.list).

        Listed as the platform lists a whole metastore (SDK 0.162 ``CatalogsAPI.list`` docstring): by default it
        hides catalogs "not bound to the workspace" (``include_unbound``, effective for who may update the
        bindings: the owner or a metastore admin) and those the caller "can only access selective metadata for"
        (``include_browse``). The listing goes through one workspace per metastore, so both are asked for: an
        ISOLATED catalog bound elsewhere is then placed by its bindings (:mod:`rls.collect.catalogs`)."""
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET catalogs through workspace {ws.workspace_id}"
        items = self._read(what, lambda: list(w.catalogs.list(include_unbound=True, include_browse=True)))
        out = []
        for c in items:
            mode = c.isolation_mode.value if c.isolation_mode is not None else "OPEN"
            out.append(CatalogInfo(need(c.name, what, "name"), c.owner, mode, c.metastore_id))
        return out

    def catalog_bindings(self, ws: WorkspaceInfo, catalog: str) -> list[int]:
        """Workspaces an ISOLATED catalog is bound to (readable by its owner or a metastore admin)."""
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET workspace bindings of catalog {catalog}"
        items = self._read(what, lambda: list(w.workspace_bindings.get_bindings("catalog", catalog)))
        return [checked_workspace_id(b.workspace_id, what) for b in items]
