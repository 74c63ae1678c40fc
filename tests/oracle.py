"""The oracle: who may see which workspace, computed straight from a scenario file.

Written from the spec's "Meaning" section only, sharing no code with the collector or the views, so that a bug
in either cannot hide in both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rls_local.scenario import PrincipalRef, Scenario


def _closure(group_id: str, members_of: Callable[[str], Iterable[PrincipalRef]], nested: str) -> set[PrincipalRef]:
    """Users and SPs inside a group at any depth, ``nested`` naming the member type that is a group to walk into
    (cycles end where they loop)."""
    out: set[PrincipalRef] = set()
    stack, seen = [group_id], set()
    while stack:
        gid = stack.pop()
        if gid in seen:
            continue
        seen.add(gid)
        for m in members_of(gid):
            if m.type == nested:
                stack.append(m.id)
            else:
                out.add(m)
    return out


def _members_closure(s: Scenario, group_id: str) -> set[PrincipalRef]:
    """An account group's users and SPs at any depth."""
    return _closure(group_id, lambda g: s.group(g).members, "group")


def _local_closure(s: Scenario, workspace_id: int, group_id: str) -> set[PrincipalRef]:
    """A workspace-local group's users and SPs at any depth (its members: users, SPs, local groups of the same
    workspace)."""
    return _closure(group_id, lambda g: s.local_group(workspace_id, g).members, "workspace_group")


def _local_admin_refs(s: Scenario, workspace_id: int) -> set[PrincipalRef]:
    """Users and SPs in the workspace's `admins` group at any depth, through account and local groups."""
    out: set[PrincipalRef] = set()
    for ref in s.workspace_local_admins.get(workspace_id, []):
        if ref.type == "group":
            out |= _members_closure(s, ref.id)
        elif ref.type == "workspace_group":
            out |= _local_closure(s, workspace_id, ref.id)
        else:
            out.add(ref)
    return out


def _active_identity(s: Scenario, ref: PrincipalRef) -> str | None:
    if ref.type == "user":
        u = s.user(ref.id)
        return u.user_name.lower() if u.active else None
    sp = s.service_principal(ref.id)
    return sp.application_id.lower() if sp.active else None


def _expand(s: Scenario, ref: PrincipalRef) -> set[str]:
    refs = _members_closure(s, ref.id) if ref.type == "group" else {ref}
    return {i for r in refs if (i := _active_identity(s, r))}


def collectable(s: Scenario) -> set[int]:
    """RUNNING workspaces the collector can read: identity-federated ones, and the others where it is onboarded (its
    own reference, or an account or local group containing it, is in the workspace's local admins)."""
    me = s.collector
    out = set()
    for w in s.workspaces:
        if w.workspace_status != "RUNNING":
            continue
        onboarded = me in _local_admin_refs(s, w.workspace_id)
        if w.identity_federated or onboarded:
            out.add(w.workspace_id)
    return out


def access(s: Scenario, permission: str, *, collected: set[int] | None = None) -> dict[str, set[int]]:
    """identity (lower-case) -> workspaces where its assignment level is ``permission`` (ADMIN or USER).

    An assignment listing both ADMIN and USER is an ADMIN assignment (ADMIN takes precedence, as in the API).
    Members of a workspace's local admins group are its admins, on every workspace, federated or not, including the
    members at any depth of the workspace-local groups in it (v3).

    ``collected``: the workspaces whose rows exist (default: :func:`collectable`).
    """
    if collected is None:
        collected = collectable(s)
    out: dict[str, set[int]] = {i: set() for i in identities(s)}
    for a in s.assignments:
        level = "ADMIN" if "ADMIN" in a.permissions else "USER"
        if level == permission and a.workspace_id in collected:
            for ident in _expand(s, a.principal):
                out[ident].add(a.workspace_id)
    if permission == "ADMIN":
        for wid in s.workspace_local_admins:
            if wid in collected:
                for ident in {i for r in _local_admin_refs(s, wid) if (i := _active_identity(s, r))}:
                    out[ident].add(wid)
    return out


def admin_workspaces(s: Scenario, **kw) -> dict[str, set[int]]:
    return access(s, "ADMIN", **kw)


def identities(s: Scenario) -> list[str]:
    """Every identity of the account as current_user() names it, lower-cased, active or not."""
    return [u.user_name.lower() for u in s.users] + [p.application_id.lower() for p in s.service_principals]


def original_case(s: Scenario) -> dict[str, str]:
    return {u.user_name.lower(): u.user_name for u in s.users} | {
        p.application_id.lower(): p.application_id for p in s.service_principals
    }


def self_visible(s: Scenario, identity: str, workspace_id: str | None, row_identities: list[str | None]) -> bool:
    """The `self` access level: admin rows, plus rows the identity caused in a workspace where it is at least USER.

    ``row_identities``: the values of the row's identity columns (who ran / created / executed it).
    """
    ident = identity.lower()
    if workspace_id is None:
        return False
    admin = {str(w) for w in admin_workspaces(s)[ident]}
    if workspace_id in admin:
        return True
    user = {str(w) for w in access(s, "USER")[ident]}
    caused = any(v is not None and v.lower() == ident for v in row_identities)
    return caused and workspace_id in admin | user
