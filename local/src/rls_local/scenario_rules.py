"""The scenario's rules beyond the shape of each key, checked once the whole file is parsed (:mod:`.scenario`).

Rules
    - An ``assignments`` entry on a workspace whose ``identity_federated`` is false is malformed: account-level
      assignment APIs do not exist there (the platform answers 400 "Permission assignment APIs are not available
      for this workspace."); its admins come from ``workspace_local_admins``.
    - Identities must stay distinguishable by ``current_user()``, which compares case-insensitively downstream:
      two users whose ``user_name`` differ only by case, two service principals likewise, or a user whose
      ``user_name`` equals a service principal's ``application_id`` (ignoring case) are rejected.
    - A workspace belongs to at most one metastore; catalog names are unique per metastore (ignoring case);
      ``isolation_mode`` is OPEN or ISOLATED; ``bindings`` name workspaces of the catalog's own metastore.
    - Strict JSON: ``NaN`` / ``Infinity`` are refused, and a document nested too deeply is a ScenarioError, not a
      RecursionError. Numbers such as ``retry_after_s`` and ``assignment_propagation_s`` are finite and >= 0.
"""

from __future__ import annotations

from typing import Any

from rls_local.scenario_entities import PrincipalRef
from rls_local.scenario_local_groups import check_local_groups
from rls_local.scenario_metastores import check_metastore_refs
from rls_local.scenario_model import Scenario
from rls_local.scenario_reader import ScenarioError


def check_references(s: Scenario) -> None:
    unique("users", [u.id for u in s.users], "id")
    unique("service_principals", [p.id for p in s.service_principals], "id")
    unique("groups", [g.id for g in s.groups], "id")
    unique("users", [u.user_name.lower() for u in s.users], "user_name (case-insensitive)")
    unique("service_principals", [p.application_id.lower() for p in s.service_principals], "application_id")
    # current_user() is a user's user_name or a service principal's application id, compared case-insensitively
    # downstream: a user and a service principal with the same identity could not be told apart.
    sp_identities = {p.application_id.lower(): i for i, p in enumerate(s.service_principals)}
    for ui, u in enumerate(s.users):
        if u.user_name.lower() in sp_identities:
            si = sp_identities[u.user_name.lower()]
            raise ScenarioError(
                f"key 'users[{ui}].user_name': {u.user_name!r} equals the application_id of service_principals[{si}] "
                "(ignoring case); current_user() could not tell them apart"
            )
    unique("groups", [g.display_name for g in s.groups], "display_name")
    known = {
        "user": {u.id for u in s.users},
        "group": {g.id for g in s.groups},
        "service_principal": {p.id for p in s.service_principals},
    }
    ws_ids = {w.workspace_id for w in s.workspaces}
    federated = {w.workspace_id: w.identity_federated for w in s.workspaces}

    def check(ref: PrincipalRef, where: str) -> None:
        if ref.id not in known[ref.type]:
            raise ScenarioError(f"key '{where}': unknown {ref.type} id {ref.id!r}")

    for gi, g in enumerate(s.groups):
        for mi, m in enumerate(g.members):
            check(m, f"groups[{gi}].members[{mi}]")
    seen: set[tuple[int, PrincipalRef]] = set()
    for ai, a in enumerate(s.assignments):
        if a.workspace_id not in ws_ids:
            raise ScenarioError(f"key 'assignments[{ai}].workspace_id': unknown workspace {a.workspace_id}")
        if not federated[a.workspace_id]:
            # Account-level assignment APIs exist only on identity-federated workspaces (facts file); the platform
            # answers 400 "Permission assignment APIs are not available for this workspace." to any attempt.
            raise ScenarioError(
                f"key 'assignments[{ai}].workspace_id': workspace {a.workspace_id} is not identity-federated "
                "(identity_federated: false), so it cannot hold account-level assignments; "
                "list its admins under 'workspace_local_admins'"
            )
        check(a.principal, f"assignments[{ai}].principal")
        if (a.workspace_id, a.principal) in seen:
            raise ScenarioError(
                f"key 'assignments[{ai}]': principal {a.principal.type} {a.principal.id!r} is assigned twice "
                f"on workspace {a.workspace_id} (one entry per principal, list all its permissions there)"
            )
        seen.add((a.workspace_id, a.principal))
    check_local_groups(s, check)
    check_metastore_refs(s.metastores, check)
    if s.collector.type == "group":
        raise ScenarioError("key 'collector': must be a user or a service_principal, not a group")
    check(s.collector, "collector")
    for fi, f in enumerate(s.faults):
        if f.workspace_id is not None and f.workspace_id not in ws_ids:
            raise ScenarioError(f"key 'faults[{fi}].workspace_id': unknown workspace {f.workspace_id}")


def unique(key: str, values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ScenarioError(f"key '{key}[{i}]': duplicate {what} {v!r}")
        seen.add(v)
