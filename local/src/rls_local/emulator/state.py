"""The account as the emulator currently sees it: the scenario plus the permission assignments changed through the API.

Identities, groups, metastores and catalogs are read-only (the API surface served here does not write them);
assignments change with PUT and DELETE. Every read of assignments happens under one lock so an access check never
sees half an update.

Propagation
    Databricks applies a new assignment to the workspace with a delay ("principal not in workspace" right after a
    PUT is a known report; facts file). So each assignment has two views: the **account view** (what the account's
    permission-assignment list answers: every PUT/DELETE at once) and the **effective view** (what workspace access
    checks use: membership, admin, the ``admins`` group). A PUT that grants or raises a principal's level (nothing <
    USER < ADMIN) reaches the effective view ``propagation_s`` seconds later; a removal or downgrade at once (the
    safe direction: access is never kept longer than the account says). Time is ``clock()`` (monotonic by default).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from rls_local.emulator.ids import PrincipalIds
from rls_local.scenario import (
    Assignment,
    Catalog,
    Group,
    Metastore,
    PrincipalRef,
    Scenario,
    ServicePrincipal,
    User,
    Workspace,
)
from rls_local.scenario_entities import WORKSPACE_GROUP

Key = tuple[int, PrincipalRef]


def level(permissions: Iterable[str]) -> int:
    """0 nothing, 1 USER, 2 ADMIN (ADMIN includes user access)."""
    perms = set(permissions)
    return 2 if "ADMIN" in perms else 1 if "USER" in perms else 0


class AccountState:
    def __init__(
        self,
        scenario: Scenario,
        ids: PrincipalIds,
        propagation_s: float = 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.scenario = scenario
        self.ids = ids
        self.propagation_s = propagation_s
        self._clock = clock or time.monotonic
        self._lock = threading.RLock()
        self.users: dict[str, User] = {u.id: u for u in scenario.users}
        self.service_principals: dict[str, ServicePrincipal] = {s.id: s for s in scenario.service_principals}
        self.groups: dict[str, Group] = {g.id: g for g in scenario.groups}
        self.workspaces: dict[int, Workspace] = {w.workspace_id: w for w in scenario.workspaces}
        self.metastores: dict[str, Metastore] = {m.metastore_id: m for m in scenario.metastores}
        # Insertion order is the scenario's, so a PUT that restores what was there gives back an identical state.
        self._assignments: dict[Key, tuple[str, ...]] = {
            (a.workspace_id, a.principal): a.permissions for a in scenario.assignments
        }
        self._effective: dict[Key, tuple[str, ...]] = dict(self._assignments)
        self._pending: dict[Key, tuple[tuple[str, ...], float]] = {}
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

    def selves(self, ref: PrincipalRef) -> set[PrincipalRef]:
        """``ref`` and every account group it is in at any depth: whatever names one of these names ``ref``."""
        return {ref} | self.groups_of(ref)

    # ---- assignments: the account view -----------------------------------------------------------------------------
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
        perms = tuple(permissions)
        key = (workspace_id, ref)
        with self._lock:
            self._assignments[key] = perms
            now = self._clock()
            current = self._effective_now(key, now)
            if self.propagation_s <= 0 or level(perms) <= level(current):
                # A downgrade (or no change of level) applies at once; so does everything without a delay.
                self._effective[key] = perms
                self._pending.pop(key, None)
                return
            due = now + self.propagation_s
            pending = self._pending.get(key)
            if pending is not None and level(perms) <= level(pending[0]):
                due = min(due, pending[1])  # re-asking for what is already on its way does not restart the clock
            self._pending[key] = (perms, due)

    def remove(self, workspace_id: int, ref: PrincipalRef) -> bool:
        key = (workspace_id, ref)
        with self._lock:
            self._effective.pop(key, None)
            self._pending.pop(key, None)
            return self._assignments.pop(key, None) is not None

    # ---- assignments: the effective view (after propagation) -------------------------------------------------------
    def _effective_now(self, key: Key, now: float) -> tuple[str, ...]:
        pending = self._pending.get(key)
        if pending is not None and pending[1] <= now:
            self._effective[key] = pending[0]
            del self._pending[key]
        return self._effective.get(key, ())

    def effective_on(self, workspace_id: int) -> list[tuple[PrincipalRef, tuple[str, ...]]]:
        """Assignments on a workspace as its access checks see them now."""
        with self._lock:
            now = self._clock()
            keys = [k for k in {*self._effective, *self._pending} if k[0] == workspace_id]
            out = [(k[1], self._effective_now(k, now)) for k in keys]
        order = {ref: i for i, (ref, _) in enumerate(self.assignments_on(workspace_id))}
        return sorted(((r, p) for r, p in out if p), key=lambda rp: order.get(rp[0], len(order)))

    # ---- workspace membership and admins ---------------------------------------------------------------------------
    def workspace_admins_members(self, workspace_id: int) -> list[PrincipalRef]:
        """Direct members of the workspace's built-in ``admins`` group.

        Databricks adds every principal assigned ADMIN through the account API to that group (once the assignment
        has propagated), next to the workspace-local admins; so a collector that elevates itself appears here too.
        """
        members = list(self.scenario.workspace_local_admins.get(workspace_id, ()))
        for ref, perms in self.effective_on(workspace_id):
            if "ADMIN" in perms and ref not in members:
                members.append(ref)
        return members

    def workspace_selves(self, ref: PrincipalRef, workspace_id: int) -> set[PrincipalRef]:
        """:meth:`selves` plus the workspace's local groups (v3) that hold any of them at any depth: whatever names
        one of these in that workspace names ``ref``. Cycles end at the visited set."""
        selves = self.selves(ref)
        todo = list(selves)
        while todo:
            member = todo.pop()
            for g in self.scenario.workspace_local_groups.get(workspace_id, ()):
                local = PrincipalRef(WORKSPACE_GROUP, g.id)
                if member in g.members and local not in selves:
                    selves.add(local)
                    todo.append(local)
        return selves

    def is_workspace_admin(self, ref: PrincipalRef, workspace_id: int) -> bool:
        """Admin through the admins group: directly, or through account or local groups nested at any depth."""
        if not self.is_active(ref):
            return False
        return not self.workspace_selves(ref, workspace_id).isdisjoint(self.workspace_admins_members(workspace_id))

    def is_member(self, ref: PrincipalRef, workspace_id: int) -> bool:
        """May use the workspace at all: an effective USER/ADMIN assignment (itself or a group it is in) on a
        federated workspace, or a place in its local admins (on any workspace)."""
        if not self.is_active(ref):
            return False
        if not self.workspace_selves(ref, workspace_id).isdisjoint(
            self.scenario.workspace_local_admins.get(workspace_id, ())
        ):
            return True
        selves = self.selves(ref)
        if not self.workspaces[workspace_id].identity_federated:
            return False  # no account assignment can reach a non-federated workspace
        return any(level(perms) > 0 and r in selves for r, perms in self.effective_on(workspace_id))

    # ---- Unity Catalog ---------------------------------------------------------------------------------------------
    def metastore_of(self, workspace_id: int) -> Metastore | None:
        return self.scenario.metastore_of(workspace_id)

    def _named_by(self, ref: PrincipalRef, principal_name: str) -> bool:
        """Whether a Unity Catalog principal name (an owner) is ``ref`` or a group it belongs to at any depth.

        Owners are stored as strings: a user name, an application id or a group display name; compared ignoring
        case, as Unity Catalog resolves principal names.
        """
        wanted = principal_name.lower()
        ident = self.scenario.identity_of(ref)
        if ident is not None and ident.lower() == wanted:
            return True
        return any(self.groups[g.id].display_name.lower() == wanted for g in self.groups_of(ref))

    def is_metastore_admin(self, ref: PrincipalRef, metastore: Metastore) -> bool:
        return metastore.admin is not None and metastore.admin in self.selves(ref)

    def owns(self, ref: PrincipalRef, catalog: Catalog) -> bool:
        return bool(catalog.owner) and self._named_by(ref, catalog.owner)

    def may_list(self, ref: PrincipalRef, metastore: Metastore, catalog: Catalog) -> bool:
        """``CatalogsAPI.list``: everything for a metastore admin, else what it owns or has USE CATALOG on.

        Workspace admin does not widen it (SDK docstring of ``CatalogsAPI.list``; facts file).
        """
        if self.is_metastore_admin(ref, metastore) or self.owns(ref, catalog):
            return True
        return not self.selves(ref).isdisjoint(catalog.use_catalog)

    def may_read_bindings(self, ref: PrincipalRef, metastore: Metastore, catalog: Catalog) -> bool:
        """``WorkspaceBindingsAPI.get_bindings``: "The caller must be a metastore admin or an owner of the
        securable" (SDK docstring)."""
        return self.is_metastore_admin(ref, metastore) or self.owns(ref, catalog)
