"""Random but valid account scenarios: for property tests, the collector benchmark and `rls demo --generate`.

Shapes follow Databricks' account limits: groups nested up to ``max_depth`` levels (cycles optional), a share of
inactive users, mixed-case emails, service principals in groups, workspaces that are not RUNNING or not
identity-federated, the collector already USER (or admin through a group) on some workspaces.
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
                "identity_federated": rnd.random() > 0.2,
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
    asg, local = [], {}
    for w in ws:
        picked = rnd.sample(principals, min(assignments_per_workspace, len(principals)))
        for kind, pid in picked:
            perms = rnd.choice([["ADMIN"], ["USER"], ["USER"], ["ADMIN", "USER"]])
            asg.append(
                {"workspace_id": w["workspace_id"], "principal": {"type": kind, "id": pid}, "permissions": perms}
            )
        if rnd.random() < 0.3:  # the collector already has USER here
            asg.append(
                {
                    "workspace_id": w["workspace_id"],
                    "principal": {"type": "service_principal", "id": "sp0"},
                    "permissions": ["USER"],
                }
            )
        if not w["identity_federated"]:
            kind, pid = rnd.choice(principals)
            local[str(w["workspace_id"])] = [{"type": kind, "id": pid}]
    catalogs = {
        str(w["workspace_id"]): [{"name": f"cat_{w['workspace_id']}", "owner": "owners"}]
        for w in ws
        if w["identity_federated"]
    }
    return {
        "account_id": str(uuid.UUID(int=rnd.getrandbits(128))),
        "cloud": "aws",
        "workspaces": ws,
        "users": us,
        "service_principals": sps,
        "groups": gs,
        "assignments": asg,
        "workspace_local_admins": local,
        "catalogs": catalogs,
        "collector": {"type": "service_principal", "id": "sp0"},
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
