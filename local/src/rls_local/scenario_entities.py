"""The parts of an account scenario (:mod:`.scenario_model`): principals, workspaces, assignments, metastores and
catalogs, faults; and the vocabularies a scenario file uses for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER

PRINCIPAL_TYPES = (USER, GROUP, SERVICE_PRINCIPAL)  # a scenario names principals with the model's kinds
WORKSPACE_GROUP = "workspace_group"
"""v3: a reference to a workspace-local group, valid only inside its own workspace's local groups and local admins."""
PERMISSIONS = (USER_PERMISSION, ADMIN_PERMISSION)
CLOUDS = ("aws", "azure", "gcp")
ISOLATION_MODES = ("OPEN", "ISOLATED")
DEFAULT_REGION = {"aws": "us-west-2", "azure": "westeurope", "gcp": "us-central1"}
"""Region of a v1 file's implicit metastores, and of workspaces outside any metastore."""


@dataclass(frozen=True)
class PrincipalRef:
    type: str  # user | group | service_principal
    id: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id}


@dataclass(frozen=True)
class Workspace:
    workspace_id: int
    workspace_name: str
    deployment_name: str
    workspace_status: str = "RUNNING"
    identity_federated: bool = True
    # How the workspace answers the collector at its door (keys of :mod:`rls_local.scenario_access`).
    network_refusal: str | None = None  # private_link | ip_acl
    list_members_for: str = "members"  # members | admins


@dataclass(frozen=True)
class User:
    id: str
    user_name: str
    active: bool = True


@dataclass(frozen=True)
class ServicePrincipal:
    id: str
    application_id: str
    display_name: str
    active: bool = True


@dataclass(frozen=True)
class Group:
    id: str
    display_name: str
    members: tuple[PrincipalRef, ...] = ()


@dataclass(frozen=True)
class LocalGroup:
    """A workspace-local group (v3): exists in one workspace only; its id is no account id. Members are users,
    service principals and other local groups of the same workspace (``workspace_group`` refs)."""

    id: str
    display_name: str
    members: tuple[PrincipalRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "display_name": self.display_name, "members": [m.to_json() for m in self.members]}


@dataclass(frozen=True)
class Assignment:
    workspace_id: int
    principal: PrincipalRef
    permissions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "principal": self.principal.to_json(),
            "permissions": list(self.permissions),
        }


@dataclass(frozen=True)
class Catalog:
    name: str
    owner: str
    isolation_mode: str = "OPEN"  # OPEN | ISOLATED
    bindings: tuple[int, ...] = ()
    """Workspaces an ISOLATED catalog is bound to."""
    use_catalog: tuple[PrincipalRef, ...] = ()
    """Principals (or groups) granted USE CATALOG, besides the owner."""
    browse: tuple[PrincipalRef, ...] = ()
    """Principals (or groups) granted BROWSE only: they see its metadata, listed only with ``include_browse``."""

    def visible_on(self, workspace_id: int) -> bool:
        """Whether the catalog is usable from a workspace of its metastore: OPEN, or ISOLATED and bound there."""
        return self.isolation_mode == "OPEN" or workspace_id in self.bindings

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "owner": self.owner, "isolation_mode": self.isolation_mode}
        if self.bindings:
            out["bindings"] = list(self.bindings)
        if self.use_catalog:
            out["use_catalog"] = [r.to_json() for r in self.use_catalog]
        if self.browse:
            out["browse"] = [r.to_json() for r in self.browse]
        return out


@dataclass(frozen=True)
class Metastore:
    metastore_id: str
    region: str
    workspace_ids: tuple[int, ...]
    catalogs: tuple[Catalog, ...] = ()
    admin: PrincipalRef | None = None
    """Metastore admin (a user, service principal or group); sees every catalog."""

    @property
    def id(self) -> str:
        return self.metastore_id

    def catalogs_of(self, workspace_id: int) -> list[Catalog]:
        """The catalogs workspace ``workspace_id`` can use: OPEN ones plus ISOLATED ones bound to it."""
        return [c for c in self.catalogs if c.visible_on(workspace_id)]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "metastore_id": self.metastore_id,
            "region": self.region,
            "workspaces": list(self.workspace_ids),
        }
        if self.admin is not None:
            out["admin"] = self.admin.to_json()
        out["catalogs"] = [c.to_json() for c in self.catalogs]
        return out


@dataclass(frozen=True)
class Fault:
    status: int
    path_contains: str | None = None
    workspace_id: int | None = None
    method: str | None = None
    times: int | None = None  # None: every matching request
    retry_after_s: float | None = None
    body: str | None = None  # raw body to answer instead of a JSON error (malformed answers)
