"""Random but valid account scenarios: for property tests, the collector benchmark and `rls demo --generate`.

Shapes follow Databricks' account limits: groups nested up to ``max_depth`` levels (cycles optional), a share of
inactive users, mixed-case emails, service principals in groups, workspaces that are not RUNNING or not
identity-federated, the collector already USER (or admin through a group) on some workspaces.

Format v2: one metastore per region (``regions`` of them, workspaces dealt round-robin, non-federated ones
included), each workspace's catalog in its metastore (some ISOLATED and bound to it), no account assignment on a
non-federated workspace, and the collector onboarded (in the local admins) on some non-federated workspaces but
not on others (with two or more non-federated workspaces, both cases always occur).
"""

from __future__ import annotations

import random
import uuid
from typing import Any


def generate(
    seed: int = 0,
    *,
    workspaces: int = 10,
    users: int = 40,
    service_principals: int = 5,
    groups: int = 12,
    max_depth: int = 4,
    cycles: bool = True,
    assignments_per_workspace: int = 4,
    faults: list[dict[str, Any]] | None = None,
    regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1"),
    assignment_propagation_s: float = 0.0,
) -> dict[str, Any]:
    rnd = random.Random(seed)
    ws = []
    for i in range(workspaces):
        wid = 1_000_000 + i
        status = rnd.choices(["RUNNING", "PROVISIONING", "FAILED"], [0.9, 0.05, 0.05])[0] if i else "RUNNING"
        ws.append(
            {
                "workspace_id": wid,
                "workspace_name": f"ws-{i}",
                "deployment_name": f"dep-{i}",
                "workspace_status": status,
                # Workspaces 1 and 2 are never federated, so the onboarded / not-onboarded cases both exist.
                "identity_federated": i not in (1, 2) and rnd.random() > 0.2,
            }
        )
    us = [{"id": f"u{i}", "user_name": _email(rnd, i), "active": rnd.random() > 0.08} for i in range(users)]
    sps = [{"id": "sp0", "application_id": str(uuid.UUID(int=rnd.getrandbits(128))), "display_name": "rls-collector"}]
    sps += [
        {
            "id": f"sp{i}",
            "application_id": str(uuid.UUID(int=rnd.getrandbits(128))).upper()
            if i % 3 == 0
            else str(uuid.UUID(int=rnd.getrandbits(128))),
            "display_name": f"bot-{i}",
            "active": rnd.random() > 0.1,
        }
        for i in range(1, service_principals + 1)
    ]
    gs = _groups(rnd, groups, us, sps, max_depth, cycles)
    principals = [("user", u["id"]) for u in us] + [("service_principal", s["id"]) for s in sps[1:]]
    principals += [("group", g["id"]) for g in gs]
    asg: list[dict[str, Any]] = []
    local: dict[str, list[dict[str, str]]] = {}
    non_federated = 0
    for w in ws:
        wid = w["workspace_id"]
        if not w["identity_federated"]:
            # No account assignment can exist here: its admins are local, the collector only when onboarded.
            kind, pid = rnd.choice(principals)
            local[str(wid)] = [{"type": kind, "id": pid}]
            # The first is onboarded, the second not, the others at random.
            if non_federated == 0 or (non_federated > 1 and rnd.random() < 0.5):
                local[str(wid)].append({"type": "service_principal", "id": "sp0"})
            non_federated += 1
            continue
        picked = rnd.sample(principals, min(assignments_per_workspace, len(principals)))
        for kind, pid in picked:
            perms = rnd.choice([["ADMIN"], ["USER"], ["USER"], ["ADMIN", "USER"]])
            asg.append({"workspace_id": wid, "principal": {"type": kind, "id": pid}, "permissions": perms})
        if rnd.random() < 0.3:  # the collector already has USER here
            asg.append(
                {"workspace_id": wid, "principal": {"type": "service_principal", "id": "sp0"}, "permissions": ["USER"]}
            )
    metastores: list[dict[str, Any]] = [
        {"metastore_id": f"ms-{region}", "region": region, "workspaces": [], "catalogs": []} for region in regions
    ]
    for i, w in enumerate(ws):
        m = metastores[i % len(metastores)]
        m["workspaces"].append(w["workspace_id"])
        catalog: dict[str, Any] = {"name": f"cat_{w['workspace_id']}", "owner": "owners", "isolation_mode": "OPEN"}
        if rnd.random() < 0.3:
            catalog.update(isolation_mode="ISOLATED", bindings=[w["workspace_id"]])
        m["catalogs"].append(catalog)
    metastores = [m for m in metastores if m["workspaces"]]
    return {
        "account_id": str(uuid.UUID(int=rnd.getrandbits(128))),
        "cloud": "aws",
        "workspaces": ws,
        "users": us,
        "service_principals": sps,
        "groups": gs,
        "assignments": asg,
        "workspace_local_admins": local,
        "metastores": metastores,
        "collector": {"type": "service_principal", "id": "sp0"},
        "assignment_propagation_s": assignment_propagation_s,
        "faults": faults or [],
    }


def _email(rnd: random.Random, i: int) -> str:
    name = f"user{i}@example.com"
    return name.title() if rnd.random() < 0.2 else name


def _groups(rnd: random.Random, n: int, us: list, sps: list, max_depth: int, cycles: bool) -> list[dict[str, Any]]:
    gs: list[dict[str, Any]] = [{"id": f"g{i}", "display_name": f"group-{i}", "members": []} for i in range(n)]
    level = {g["id"]: rnd.randrange(max_depth) for g in gs}
    for g in gs:
        members = [{"type": "user", "id": u["id"]} for u in rnd.sample(us, min(len(us), rnd.randint(0, 4)))]
        members += [
            {"type": "service_principal", "id": s["id"]}
            for s in rnd.sample(sps[1:], min(len(sps) - 1, 1))
            if rnd.random() < 0.3
        ]
        deeper = [h for h in gs if level[h["id"]] == level[g["id"]] + 1]
        members += [{"type": "group", "id": h["id"]} for h in rnd.sample(deeper, min(len(deeper), 2))]
        if cycles and rnd.random() < 0.1:
            shallower = [h for h in gs if level[h["id"]] < level[g["id"]]]
            if shallower:
                members.append({"type": "group", "id": rnd.choice(shallower)["id"]})
        g["members"] = members
    return gs
