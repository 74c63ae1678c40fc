"""Numeric API ids for the scenario's principals, and back.

Databricks identifies users, service principals and groups by numeric ids (strings in SCIM, integers in the
permission-assignment API). The scenario names them with its own ids (``u1``, ``sp0``), so the emulator derives a
15-digit number from ``type/id``: the same scenario id always gets the same number, whatever else the scenario
contains, which keeps request logs and test expectations stable across runs.
"""

from __future__ import annotations

import hashlib

from rls_local.scenario import PrincipalRef, Scenario

_LOW = 10**14
_SPAN = 9 * 10**14


def stable_number(key: str) -> int:
    digest = hashlib.sha256(key.encode()).digest()
    return _LOW + int.from_bytes(digest[:8], "big") % _SPAN


class PrincipalIds:
    """Two-way map between scenario principals and their numeric API ids."""

    def __init__(self, scenario: Scenario) -> None:
        self._by_ref: dict[PrincipalRef, int] = {}
        self._by_id: dict[int, PrincipalRef] = {}
        refs = (
            [PrincipalRef("user", u.id) for u in scenario.users]
            + [PrincipalRef("service_principal", s.id) for s in scenario.service_principals]
            + [PrincipalRef("group", g.id) for g in scenario.groups]
        )
        for ref in refs:
            number = stable_number(f"{ref.type}/{ref.id}")
            # A hash collision is astronomically unlikely, but ids must stay unique: probe to the next free one.
            while number in self._by_id:
                number += 1
            self._by_ref[ref] = number
            self._by_id[number] = ref

    def id_of(self, ref: PrincipalRef) -> int:
        return self._by_ref[ref]

    def ref_of(self, api_id: int | str) -> PrincipalRef | None:
        try:
            return self._by_id.get(int(api_id))
        except ValueError:
            return None


def workspace_group_id(workspace_id: int, name: str) -> str:
    """Id of a workspace-local group (the built-in ``admins``): its own namespace, distinct per workspace."""
    return str(stable_number(f"workspace/{workspace_id}/group/{name}"))


def local_group_id(workspace_id: int, group_id: str) -> str:
    """Id of a workspace-local group of the scenario (v3): numeric like every SCIM id, in the workspace's namespace
    and never one of the account's (the account API answers 404 for it, as the platform does)."""
    return str(stable_number(f"workspace/{workspace_id}/local-group/{group_id}"))
