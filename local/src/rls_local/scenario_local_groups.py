"""Version 3 scenario keys: ``workspace_local_groups`` and the ``workspace_group`` references that name them.

A workspace-local group exists in one workspace only (SCIM ``meta.resourceType: WorkspaceGroup``); its members are
account users and service principals or other local groups **of the same workspace**, nested at any depth, cycles
allowed. A ``workspace_group`` reference is valid only inside ``workspace_local_groups`` / ``workspace_local_admins``
of that workspace; anywhere else the file is malformed. This module parses and validates that part (with the
``workspace_local_admins`` references, which may now name local groups); :mod:`rls_local.scenario` calls it.
"""

from __future__ import annotations

from collections.abc import Callable

from rls.model.directory import SERVICE_PRINCIPAL, USER
from rls_local.scenario_entities import PRINCIPAL_TYPES, WORKSPACE_GROUP, LocalGroup, PrincipalRef
from rls_local.scenario_model import Scenario
from rls_local.scenario_reader import Reader, ScenarioError

Check = Callable[[PrincipalRef, str], None]
BUILT_IN = "admins"
"""The workspace's own admins group: a local group may not take its name."""


def misplaced(r: Reader) -> ScenarioError:
    """The error for a ``workspace_group`` reference outside the two keys that may hold one."""
    return r.error(
        "type",
        f"'{WORKSPACE_GROUP}' is valid only inside workspace_local_groups / workspace_local_admins "
        "of the same workspace",
    )


def local_ref(r: Reader) -> PrincipalRef:
    """A reference inside ``workspace_local_groups`` / ``workspace_local_admins``: an account principal or a
    ``workspace_group`` (whether it names a group of the same workspace is checked once all groups are read)."""
    r.require_type(dict)
    t = r.str("type")
    if t not in (*PRINCIPAL_TYPES, WORKSPACE_GROUP):
        allowed = ", ".join((*PRINCIPAL_TYPES, WORKSPACE_GROUP))
        raise ScenarioError(f"key '{r.path('type')}': must be one of {allowed}, got {t!r}")
    return PrincipalRef(t, r.str("id"))


def parse_local_groups(r: Reader, ws_key: Callable[[str, str], int]) -> dict[int, list[LocalGroup]]:
    """The ``workspace_local_groups`` key (absent: no local groups, as in v1/v2 files)."""
    out: dict[int, list[LocalGroup]] = {}
    for key, groups in r.mapping("workspace_local_groups").items():
        out[ws_key(key, "workspace_local_groups")] = [_group(g) for g in groups.list_items()]
    return out


def _group(r: Reader) -> LocalGroup:
    r.require_type(dict)
    return LocalGroup(
        id=r.str("id"),
        display_name=r.str("display_name"),
        members=tuple(local_ref(m) for m in r.list("members", default=[])),
    )


def check_local_groups(s: Scenario, check: Check) -> None:
    """Workspaces exist; ids and names are unique per workspace; members are users, service principals or local
    groups of the same workspace; ``workspace_local_admins`` names only existing principals and local groups."""
    ws_ids = {w.workspace_id for w in s.workspaces}
    for wid, groups in s.workspace_local_groups.items():
        where = f"workspace_local_groups.{wid}"
        if wid not in ws_ids:
            raise ScenarioError(f"key '{where}': unknown workspace {wid}")
        ids: set[str] = set()
        names: set[str] = set()
        for gi, g in enumerate(groups):
            if g.id in ids:
                raise ScenarioError(f"key '{where}[{gi}].id': duplicate local group id {g.id!r} in workspace {wid}")
            # SCIM display names compare ignoring case; 'admins' is the workspace's built-in group.
            if g.display_name.lower() in names | {BUILT_IN}:
                raise ScenarioError(
                    f"key '{where}[{gi}].display_name': {g.display_name!r} is already a group of workspace {wid}"
                )
            ids.add(g.id)
            names.add(g.display_name.lower())
        for gi, g in enumerate(groups):
            for mi, m in enumerate(g.members):
                _check_member(m, f"{where}[{gi}].members[{mi}]", wid, ids, check, account_groups=False)
    for wid, members in s.workspace_local_admins.items():
        if wid not in ws_ids:
            raise ScenarioError(f"key 'workspace_local_admins.{wid}': unknown workspace {wid}")
        local = {g.id for g in s.workspace_local_groups.get(wid, ())}
        for mi, m in enumerate(members):
            _check_member(m, f"workspace_local_admins.{wid}[{mi}]", wid, local, check, account_groups=True)


def _check_member(m: PrincipalRef, where: str, wid: int, local: set[str], check: Check, account_groups: bool) -> None:
    if m.type == WORKSPACE_GROUP:
        if m.id not in local:
            raise ScenarioError(f"key '{where}': unknown workspace_group id {m.id!r} in workspace {wid}")
        return
    if not account_groups and m.type not in (USER, SERVICE_PRINCIPAL):
        raise ScenarioError(
            f"key '{where}': a workspace-local group holds users, service principals and local groups of its own "
            f"workspace ('{WORKSPACE_GROUP}'), not an account {m.type}"
        )
    check(m, where)
