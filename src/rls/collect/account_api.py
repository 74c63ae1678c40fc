"""Reads and writes the collector needs, over the real SDK, returned as model types.

Every answer is checked for the fields the collector relies on; a malformed answer raises :class:`ApiAnswerError`
naming the call, instead of flowing on as ``None`` into the tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from databricks.sdk.errors import BadRequest, DatabricksError, DataLoss, DeadlineExceeded, InternalError, NotFound
from databricks.sdk.service.iam import WorkspacePermission

from rls.collect.clients import Clients
from rls.collect.local_groups import ADMINS, LocalAdmins, listed, split_admins
from rls.errors import RlsError
from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION, Grant, WorkspaceInfo
from rls.model.directory import GROUP, KIND_OF_SCIM_RESOURCE, SERVICE_PRINCIPAL, USER, MemberRef, Principal

logger = logging.getLogger(__name__)
T = TypeVar("T")

_PERMISSIONS = {ADMIN_PERMISSION: WorkspacePermission.ADMIN, USER_PERMISSION: WorkspacePermission.USER}


# Workspace ids are BIGINT in every table: an id outside that range is a malformed answer, refused before any write.
_BIGINT = (-(2**63), 2**63 - 1)
# The platform's answer to account-level assignment calls on a workspace without identity federation (seen in
# terraform-provider reports of databricks_mws_permission_assignment; HTTP 400).
NOT_FEDERATED = "permission assignment apis are not available for this workspace"


class ApiAnswerError(RlsError, RuntimeError):
    """The API answered something the collector cannot use (missing fields, wrong shape)."""


class AuthenticationError(ApiAnswerError):
    """The OAuth token endpoint refused the collector's credentials (wrong id/secret, revoked, expired secret)."""


# RFC 6749 section 5.2 error codes; the SDK raises them as ``ValueError("<code>: <description>")``.
_OAUTH_ERRORS = ("invalid_client", "invalid_grant", "unauthorized_client", "invalid_scope", "access_denied")


def _server_error(e: DatabricksError) -> bool:
    """A transient 5xx the SDK does not retry itself (it retries 429 and 503 only): 500 and 504."""
    return isinstance(e, InternalError | DeadlineExceeded) and not isinstance(e, DataLoss)


class Reads:
    """Retries idempotent reads on a 5xx, within the same bound as the SDK's own retries (``retry_timeout_s``)."""

    def __init__(self, retry_timeout_s: float, first_backoff_s: float = 0.5) -> None:
        self.retry_timeout_s = retry_timeout_s
        self.first_backoff_s = first_backoff_s

    def __call__(self, what: str, fn: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.retry_timeout_s
        backoff = self.first_backoff_s
        while True:
            try:
                return _call(what, fn)
            except DatabricksError as e:
                if not _server_error(e) or time.monotonic() + backoff > deadline:
                    raise
                logger.info("%s: %s; retrying in %.1fs", what, e, backoff)
                time.sleep(backoff)  # back-off between attempts, not synchronisation
                backoff = min(backoff * 2, 30.0)


def _call(what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except DatabricksError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        text = " ".join(str(e).split())
        if isinstance(e, ValueError) and text.lower().startswith(_OAUTH_ERRORS):
            raise AuthenticationError(
                f"authentication failed for {what} ({text}): check the service principal's OAuth client id and "
                "secret (secret scope keys client-id / client-secret) and that the secret has not expired"
            ) from None
        # The SDK raises these when a body is not the JSON it expects.
        raise ApiAnswerError(f"malformed answer to {what}: {type(e).__name__}: {e}") from None


def _workspace_id(value: Any, what: str) -> int:
    try:
        wid = int(_need(value, what, "workspace_id"))
    except (TypeError, ValueError):
        raise ApiAnswerError(f"malformed answer to {what}: workspace_id {value!r} is not a number") from None
    if not _BIGINT[0] < wid <= _BIGINT[1]:
        raise ApiAnswerError(f"malformed answer to {what}: workspace_id {wid} is out of the BIGINT range")
    return wid


def _need(value: Any, what: str, field: str) -> Any:
    if value is None or value == "":
        raise ApiAnswerError(f"malformed answer to {what}: an item has no {field!r}")
    return value


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
            wid = _workspace_id(w.workspace_id, what)
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
            Principal(USER, _need(u.id, what, "id"), _need(u.user_name, what, "userName"), u.active is not False)
            for u in items
        ]

    def service_principals(self) -> list[Principal]:
        what = "GET account SCIM ServicePrincipals"
        items = self._read(what, lambda: list(self.a.service_principals.list(attributes="id,applicationId,active")))
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
        items = self._read(what, lambda: list(self.a.groups.list(attributes="id,displayName")))
        return [Principal(GROUP, _need(g.id, what, "id"), _need(g.display_name, what, "displayName")) for g in items]

    def group_members(self, group_id: str) -> list[MemberRef]:
        what = f"GET account SCIM Groups/{group_id}"
        group = self._read(what, lambda: self.a.groups.get(group_id))
        return _members(group.members or [], what)

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

    def metastore_of(self, workspace_id: int) -> str | None:
        """Id of the Unity Catalog metastore assigned to the workspace (None: none assigned)."""
        what = f"GET metastore of workspace {workspace_id}"
        try:
            got = self._read(what, lambda: self.a.metastore_assignments.get(workspace_id))
        except NotFound:
            return None
        assignment = _need(got.metastore_assignment, what, "metastore_assignment")
        return str(_need(assignment.metastore_id, what, "metastore_assignment.metastore_id"))

    def metastore_regions(self) -> dict[str, str | None]:
        what = "GET metastores"
        items = self._read(what, lambda: list(self.a.metastores.list()))
        return {str(_need(m.metastore_id, what, "metastore_id")): m.region for m in items}

    # ---- assignment writes (elevation) -------------------------------------------------------------------------------
    def set_permissions(self, workspace_id: int, principal_id: str, permissions: Iterable[str]) -> None:
        perms = [_PERMISSIONS[p] for p in permissions]
        what = f"PUT permission assignment on workspace {workspace_id}"
        _call(what, lambda: self.a.workspace_assignment.update(workspace_id, int(principal_id), permissions=perms))

    def remove_assignment(self, workspace_id: int, principal_id: str) -> None:
        what = f"DELETE permission assignment on workspace {workspace_id}"
        _call(what, lambda: self.a.workspace_assignment.delete(workspace_id, int(principal_id)))

    # ---- workspace-level reads ---------------------------------------------------------------------------------------
    def local_admins(self, ws: WorkspaceInfo) -> tuple[list[MemberRef], LocalAdmins]:
        """Members of the workspace's ``admins`` group, and what the workspace-local groups in it hold
        (:mod:`rls.collect.local_groups`): the account principals and groups directly in ``admins``, and the users
        and service principals reached through its local groups, with the chain."""
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET admins group of workspace {ws.workspace_id}"
        # Workspace-level SCIM lists carry members when asked (only the account-level ones stopped) and are open to
        # workspace members. One list of all the workspace's groups (paged), not filtered to `admins`: the local
        # groups nested in it come with their members in the same answer, and none is read by id (admin-only).
        found = self._read(what, lambda: list(w.groups.list(attributes="id,displayName,members,meta")))
        admins = next((g for g in found if (g.display_name or "").lower() == ADMINS), None)
        if admins is None:
            raise ApiAnswerError(f"workspace {ws.workspace_id} has no 'admins' group in its SCIM API")
        if admins.members is not None:
            members = _members(admins.members, what)
        else:  # An answer without them is read by id, so being wrong costs a call.
            gid = _need(admins.id, what, "id")
            group = self._read(what, lambda: w.groups.get(gid))
            members = _members(group.members or [], what)
        groups = {g.id: listed(g) for g in found if g.id and g is not admins}
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
            out.append(CatalogInfo(_need(c.name, what, "name"), c.owner, mode, c.metastore_id))
        return out

    def catalog_bindings(self, ws: WorkspaceInfo, catalog: str) -> list[int]:
        """Workspaces an ISOLATED catalog is bound to (readable by its owner or a metastore admin)."""
        w = self.clients.workspace(ws.workspace_id, ws.deployment_name)
        what = f"GET workspace bindings of catalog {catalog}"
        items = self._read(what, lambda: list(w.workspace_bindings.get_bindings("catalog", catalog)))
        return [_workspace_id(b.workspace_id, what) for b in items]


def _members(values: list[Any], what: str) -> list[MemberRef]:
    out = []
    for m in values:
        value = _need(m.value, what, "members[].value")
        kind = KIND_OF_SCIM_RESOURCE.get((m.ref or "").split("/", 1)[0])
        if kind is None:
            raise ApiAnswerError(f"malformed answer to {what}: member {value} has unknown $ref {m.ref!r}")
        out.append(MemberRef(kind, str(value)))
    return out
