"""Reads and writes the collector needs, over the real SDK, returned as model types.

Every answer is checked for the fields the collector relies on; a malformed answer raises :class:`ApiAnswerError`
naming the call, instead of flowing on as ``None`` into the tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from databricks.sdk.errors import DatabricksError, NotFound
from databricks.sdk.service.iam import WorkspacePermission

from rls.collect.clients import Clients
from rls.model.access import Grant, WorkspaceInfo
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER, MemberRef, Principal

logger = logging.getLogger(__name__)
T = TypeVar("T")

_REF_KINDS = {"Users": USER, "ServicePrincipals": SERVICE_PRINCIPAL, "Groups": GROUP}
_PERMISSIONS = {"ADMIN": WorkspacePermission.ADMIN, "USER": WorkspacePermission.USER}


class ApiAnswerError(RuntimeError):
    """The API answered something the collector cannot use (missing fields, wrong shape)."""


def _call(what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except DatabricksError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        # The SDK raises these when a body is not the JSON it expects.
        raise ApiAnswerError(f"malformed answer to {what}: {type(e).__name__}: {e}") from None


def _need(value: Any, what: str, field: str) -> Any:
    if value is None or value == "":
        raise ApiAnswerError(f"malformed answer to {what}: an item has no {field!r}")
    return value


class AccountApi:
    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self.a = clients.account

    # ---- account-level reads -----------------------------------------------------------------------------------------
    def workspaces(self) -> list[WorkspaceInfo]:
        what = "GET workspaces"
        items = _call(what, lambda: list(self.a.workspaces.list()))
        out = []
        for w in items:
            wid = int(_need(w.workspace_id, what, "workspace_id"))
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
        items = _call(what, lambda: list(self.a.users.list(attributes="id,userName,active")))
        return [
            Principal(USER, _need(u.id, what, "id"), _need(u.user_name, what, "userName"), u.active is not False)
            for u in items
        ]

    def service_principals(self) -> list[Principal]:
        what = "GET account SCIM ServicePrincipals"
        items = _call(what, lambda: list(self.a.service_principals.list(attributes="id,applicationId,active")))
        return [
            Principal(
                SERVICE_PRINCIPAL,
                _need(s.id, what, "id"),
                _need(s.application_id, what, "applicationId"),
                s.active is not False,
            )
            for s in items
        ]

    def groups(self) -> list[Principal]:
        what = "GET account SCIM Groups"
        items = _call(what, lambda: list(self.a.groups.list(attributes="id,displayName")))
        return [Principal(GROUP, _need(g.id, what, "id"), _need(g.display_name, what, "displayName")) for g in items]

    def group_members(self, group_id: str) -> list[MemberRef]:
        what = f"GET account SCIM Groups/{group_id}"
        group = _call(what, lambda: self.a.groups.get(group_id))
        return _members(group.members or [], what)

    def grants(self, workspace_id: int) -> list[Grant]:
        what = f"GET permission assignments of workspace {workspace_id}"
        items = _call(what, lambda: list(self.a.workspace_assignment.list(workspace_id)))
        out = []
        for pa in items:
            p = _need(pa.principal, what, "principal")
            pid = str(_need(p.principal_id, what, "principal.principal_id"))
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

    def is_identity_federated(self, workspace_id: int) -> bool:
        """A workspace with a Unity Catalog metastore assigned is identity-federated."""
        try:
            _call(f"GET metastore of workspace {workspace_id}", lambda: self.a.metastore_assignments.get(workspace_id))
        except NotFound:
            return False
        return True

    # ---- assignment writes (elevation) -------------------------------------------------------------------------------
    def set_permissions(self, workspace_id: int, principal_id: str, permissions: Iterable[str]) -> None:
        perms = [_PERMISSIONS[p] for p in permissions]
        self.a.workspace_assignment.update(workspace_id, int(principal_id), permissions=perms)

    def remove_assignment(self, workspace_id: int, principal_id: str) -> None:
        self.a.workspace_assignment.delete(workspace_id, int(principal_id))

    # ---- workspace-level reads (need workspace admin) ----------------------------------------------------------------
    def local_admins(self, ws: WorkspaceInfo) -> list[MemberRef]:
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET admins group of workspace {ws.workspace_id}"
        found = _call(what, lambda: list(w.groups.list(filter='displayName eq "admins"', attributes="id,displayName")))
        if not found:
            raise ApiAnswerError(f"workspace {ws.workspace_id} has no 'admins' group in its SCIM API")
        gid = _need(found[0].id, what, "id")
        group = _call(what, lambda: w.groups.get(gid))
        return _members(group.members or [], what)

    def catalogs(self, ws: WorkspaceInfo) -> list[tuple[str, str | None]]:
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET catalogs of workspace {ws.workspace_id}"
        items = _call(what, lambda: list(w.catalogs.list()))
        return [(_need(c.name, what, "name"), c.owner) for c in items]


def _members(values: list[Any], what: str) -> list[MemberRef]:
    out = []
    for m in values:
        value = _need(m.value, what, "members[].value")
        kind = _REF_KINDS.get((m.ref or "").split("/", 1)[0])
        if kind is None:
            raise ApiAnswerError(f"malformed answer to {what}: member {value} has unknown $ref {m.ref!r}")
        out.append(MemberRef(kind, str(value)))
    return out
