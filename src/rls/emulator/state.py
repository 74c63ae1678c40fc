"""The account as the emulator currently sees it: the scenario plus the permission assignments changed through the API.

Identities and groups are read-only (the API surface served here does not write them); assignments change with PUT
and DELETE. Every read of assignments happens under one lock so an admin check never sees half an update.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from rls.emulator.ids import PrincipalIds
from rls.scenario import Assignment, Group, PrincipalRef, Scenario, ServicePrincipal, User, Workspace


class AccountState:
    def __init__(self, scenario: Scenario, ids: PrincipalIds) -> None:
        self.scenario = scenario
        self.ids = ids
        self._lock = threading.RLock()
        self.users: dict[str, User] = {u.id: u for u in scenario.users}
        self.service_principals: dict[str, ServicePrincipal] = {s.id: s for s in scenario.service_principals}
        self.groups: dict[str, Group] = {g.id: g for g in scenario.groups}
        self.workspaces: dict[int, Workspace] = {w.workspace_id: w for w in scenario.workspaces}
        # Insertion order is the scenario's, so a PUT that restores what was there gives back an identical state.
        self._assignments: dict[tuple[int, PrincipalRef], tuple[str, ...]] = {
            (a.workspace_id, a.principal): a.permissions for a in scenario.assignments
        }
        # member -> groups that list it directly; walked upwards to find every group a principal is in.
        self._parents: dict[PrincipalRef, list[PrincipalRef]] = {}
        for g in scenario.groups:
            for m in g.members:
                self._parents.setdefault(m, []).append(PrincipalRef("group", g.id))

    # ---- identities ------------------------------------------------------------------------------------------------
    def exists(self, ref: PrincipalRef) -> bool:
        table = {"user": self.users, "service_principal": self.service_principals, "group": self.groups}[ref.type]
        return ref.id in table

    def is_active(self, ref: PrincipalRef) -> bool:
        if ref.type == "user":
            return self.users[ref.id].active
        if ref.type == "service_principal":
            return self.service_principals[ref.id].active
        return True

    def display_name(self, ref: PrincipalRef) -> str:
        # Scenario users carry no separate display name; Databricks shows the user name when none is set.
        if ref.type == "user":
            return self.users[ref.id].user_name
        if ref.type == "service_principal":
            return self.service_principals[ref.id].display_name
        return self.groups[ref.id].display_name

    def groups_of(self, ref: PrincipalRef) -> set[PrincipalRef]:
        """Every group ``ref`` belongs to, directly or through nested groups; cycles end at the visited set."""
        seen: set[PrincipalRef] = set()
        todo = list(self._parents.get(ref, ()))
        while todo:
            g = todo.pop()
            if g in seen:
                continue
            seen.add(g)
            todo.extend(self._parents.get(g, ()))
        return seen

    # ---- assignments -----------------------------------------------------------------------------------------------
    def assignments(self) -> list[Assignment]:
        with self._lock:
            return [Assignment(wid, ref, perms) for (wid, ref), perms in self._assignments.items()]

    def assignments_on(self, workspace_id: int) -> list[tuple[PrincipalRef, tuple[str, ...]]]:
        with self._lock:
            return [(ref, perms) for (wid, ref), perms in self._assignments.items() if wid == workspace_id]

    def permissions_of(self, workspace_id: int, ref: PrincipalRef) -> tuple[str, ...] | None:
        with self._lock:
            return self._assignments.get((workspace_id, ref))

    def set_permissions(self, workspace_id: int, ref: PrincipalRef, permissions: Iterable[str]) -> None:
        with self._lock:
            self._assignments[(workspace_id, ref)] = tuple(permissions)

    def remove(self, workspace_id: int, ref: PrincipalRef) -> bool:
        with self._lock:
            return self._assignments.pop((workspace_id, ref), None) is not None

    # ---- workspace admins ------------------------------------------------------------------------------------------
    def workspace_admins_members(self, workspace_id: int) -> list[PrincipalRef]:
        """Direct members of the workspace's built-in ``admins`` group.

        Databricks adds every principal assigned ADMIN through the account API to that group, next to the
        workspace-local admins; so a collector that elevates itself appears here too.
        """
        members = list(self.scenario.workspace_local_admins.get(workspace_id, ()))
        with self._lock:
            for (wid, ref), perms in self._assignments.items():
                if wid == workspace_id and "ADMIN" in perms and ref not in members:
                    members.append(ref)
        return members

    def is_workspace_admin(self, ref: PrincipalRef, workspace_id: int) -> bool:
        """Admin through the admins group: directly, or through account groups nested at any depth."""
        if not self.is_active(ref):
            return False
        members = set(self.workspace_admins_members(workspace_id))
        return ref in members or not members.isdisjoint(self.groups_of(ref))
