"""A realistic membership mix for the collector benchmark, and the elevations main's rule would have made on it.

Mix (``realistic``): on the RUNNING identity-federated workspaces, the collector is already a member (a USER
assignment) on 80 %, no member on 15 %, and 5 % refuse its network (Private Link and IP access list, alternately);
non-federated workspaces stay as generated (onboarded on some). Deterministic for a seed.

Before (main up to issue 28): the collector read the ``admins`` group only as workspace admin, and elevated itself
to ``ADMIN`` on every federated workspace where that read was denied — everywhere it was not already admin, network
refusals included (a Private Link refusal is a ``PermissionDenied``, which it elevated on). :func:`main_elevations`
applies that rule to the scenario, with the emulator's own admin test (``AccountState.is_workspace_admin``): a
count computed from the rule, beside the count the run measures now.
"""

from __future__ import annotations

import random
from typing import Any

from rls_local.emulator.ids import PrincipalIds
from rls_local.emulator.state import AccountState
from rls_local.scenario import PrincipalRef, Scenario

COLLECTOR = {"type": "service_principal", "id": "sp0"}


def realistic(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    federated = [w for w in doc["workspaces"] if w["identity_federated"] and w["workspace_status"] == "RUNNING"]
    mine = {a["workspace_id"] for a in doc["assignments"] if a["principal"] == COLLECTOR}
    refusals = 0
    for w in federated:
        wid, roll = w["workspace_id"], rnd.random()
        if roll < 0.05:
            w["network_refusal"] = ("private_link", "ip_acl")[refusals % 2]
            refusals += 1
        elif roll < 0.85 and wid not in mine:
            doc["assignments"].append({"workspace_id": wid, "principal": COLLECTOR, "permissions": ["USER"]})
        elif roll >= 0.85:
            doc["assignments"] = [
                a for a in doc["assignments"] if a["workspace_id"] != wid or a["principal"] != COLLECTOR
            ]
    return doc


def main_elevations(scenario: Scenario) -> int:
    state = AccountState(scenario, PrincipalIds(scenario))
    me = PrincipalRef(COLLECTOR["type"], COLLECTOR["id"])
    return sum(
        1
        for w in scenario.workspaces
        if w.workspace_status == "RUNNING" and w.identity_federated and not state.is_workspace_admin(me, w.workspace_id)
    )


def mix_counts(scenario: Scenario) -> dict[str, int]:
    """How the mix came out (running federated workspaces only)."""
    running = [w for w in scenario.workspaces if w.workspace_status == "RUNNING" and w.identity_federated]
    state = AccountState(scenario, PrincipalIds(scenario))
    me = PrincipalRef(COLLECTOR["type"], COLLECTOR["id"])
    refused = [w for w in running if w.network_refusal]
    members = [w for w in running if not w.network_refusal and state.is_member(me, w.workspace_id)]
    return {
        "federated_running": len(running),
        "member": len(members),
        "no_member": len(running) - len(members) - len(refused),
        "network_refusal": len(refused),
    }
