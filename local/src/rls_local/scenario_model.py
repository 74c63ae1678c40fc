"""The account-scenario model: what a validated scenario file holds (loading, validation: :mod:`.scenario`)."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Scenario:
    account_id: str
    cloud: str
    workspaces: list[Workspace]
    users: list[User]
    service_principals: list[ServicePrincipal]
    groups: list[Group]
    assignments: list[Assignment]
    workspace_local_admins: dict[int, list[PrincipalRef]]
    collector: PrincipalRef
    metastores: list[Metastore] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    assignment_propagation_s: float = 0.0
    """Seconds before a new or raised account assignment takes effect in the workspace (v2 key, default 0)."""
    non_member_answer: str = "403"
    """How a workspace answers a non-member (v3 key): "403" | "401" | "token_error"."""
    workspace_local_groups: dict[int, list[LocalGroup]] = field(default_factory=dict)
    """v3: each workspace's local groups; members of those in ``workspace_local_admins`` are its admins."""
    job_system_grants: tuple[str, ...] | None = None
    """v3: the ``system`` schemas on which the job's identity holds USE SCHEMA and SELECT (USE CATALOG on ``system``
    whenever any); None: all of them (the default, so earlier files keep their meaning); (): none."""

    # ---- lookups -------------------------------------------------------------------------------------------------
    def user(self, uid: str) -> User:
        return {u.id: u for u in self.users}[uid]

    def service_principal(self, sid: str) -> ServicePrincipal:
        return {s.id: s for s in self.service_principals}[sid]

    def group(self, gid: str) -> Group:
        return {g.id: g for g in self.groups}[gid]

    def local_group(self, workspace_id: int, gid: str) -> LocalGroup:
        return {g.id: g for g in self.workspace_local_groups.get(workspace_id, ())}[gid]

    def workspace(self, wid: int) -> Workspace:
        return {w.workspace_id: w for w in self.workspaces}[wid]

    def metastore(self, metastore_id: str) -> Metastore:
        return {m.metastore_id: m for m in self.metastores}[metastore_id]

    def metastore_of(self, workspace_id: int) -> Metastore | None:
        """The metastore a workspace is assigned to, or None (e.g. a v1 file's non-federated workspaces)."""
        for m in self.metastores:
            if workspace_id in m.workspace_ids:
                return m
        return None

    def region_of(self, workspace_id: int) -> str:
        """A workspace's region is its metastore's; outside any metastore, the cloud's default region."""
        m = self.metastore_of(workspace_id)
        return m.region if m is not None else DEFAULT_REGION[self.cloud]

    def catalogs_of(self, workspace_id: int) -> list[Catalog]:
        """Catalogs usable from a workspace (OPEN ones of its metastore plus ISOLATED ones bound to it)."""
        m = self.metastore_of(workspace_id)
        return m.catalogs_of(workspace_id) if m is not None else []

    def identity_of(self, ref: PrincipalRef) -> str | None:
        """What ``current_user()`` returns for a principal on Databricks (None for groups)."""
        if ref.type == "user":
            return self.user(ref.id).user_name
        if ref.type == "service_principal":
            return self.service_principal(ref.id).application_id
        return None

    @property
    def collector_identity(self) -> str:
        ident = self.identity_of(self.collector)
        assert ident is not None  # validated: the collector is a user or a service principal
        return ident

    def to_json(self) -> dict[str, Any]:
        """The scenario as a v3 document (a v1 file comes back with its implicit metastores written out)."""
        return {
            "account_id": self.account_id,
            "cloud": self.cloud,
            "workspaces": [
                {
                    "workspace_id": w.workspace_id,
                    "workspace_name": w.workspace_name,
                    "deployment_name": w.deployment_name,
                    "workspace_status": w.workspace_status,
                    "identity_federated": w.identity_federated,
                    **_access_json(w),
                }
                for w in self.workspaces
            ],
            "users": [{"id": u.id, "user_name": u.user_name, "active": u.active} for u in self.users],
            "service_principals": [
                {"id": s.id, "application_id": s.application_id, "display_name": s.display_name, "active": s.active}
                for s in self.service_principals
            ],
            "groups": [
                {"id": g.id, "display_name": g.display_name, "members": [m.to_json() for m in g.members]}
                for g in self.groups
            ],
            "assignments": [a.to_json() for a in self.assignments],
            "workspace_local_admins": {
                str(k): [m.to_json() for m in v] for k, v in self.workspace_local_admins.items()
            },
            "metastores": [m.to_json() for m in self.metastores],
            "collector": self.collector.to_json(),
            "assignment_propagation_s": self.assignment_propagation_s,
            "non_member_answer": self.non_member_answer,
            "workspace_local_groups": {
                str(k): [g.to_json() for g in v] for k, v in self.workspace_local_groups.items()
            },
            "faults": [{k: v for k, v in vars(f).items() if v is not None} for f in self.faults],
            "job_system_grants": job_system_grants_json(self.job_system_grants),
        }


def _access_json(w: Workspace) -> dict[str, Any]:
    """A workspace's access keys, written only when they differ from the defaults."""
    out: dict[str, Any] = {}
    if w.network_refusal is not None:
        out["network_refusal"] = w.network_refusal
    if w.list_members_for != "members":
        out["list_members_for"] = w.list_members_for
    return out


# ---- v3: job_system_grants ----------------------------------------------------------------------------------------
ALL_GRANTS, NO_GRANTS = "all", "none"


def job_system_grants_json(grants: tuple[str, ...] | None) -> str | list[str]:
    if grants is None:
        return ALL_GRANTS
    return list(grants) if grants else NO_GRANTS
