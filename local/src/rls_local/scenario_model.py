"""The account-scenario model: what a validated scenario file holds (loading, validation: :mod:`.scenario`); its
parts (principals, workspaces, assignments, metastores, faults) are :mod:`.scenario_entities`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rls_local.scenario_entities import (
    DEFAULT_REGION,
    Assignment,
    Catalog,
    Fault,
    Group,
    LocalGroup,
    Metastore,
    PrincipalRef,
    ServicePrincipal,
    User,
    Workspace,
)


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
