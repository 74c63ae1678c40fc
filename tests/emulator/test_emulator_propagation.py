"""Assignment propagation: grants and raises reach workspace access checks after a delay; removals at once.

Most tests inject a hand-advanced clock (``EmulatorOptions.clock``), so nothing sleeps; one uses the real clock
with a short delay and polls with a deadline.
"""

from __future__ import annotations

import time

import pytest
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.iam import WorkspacePermission

from rls_local.emulator.ids import workspace_group_id
from rls_local.scenario import PrincipalRef

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")
U3 = PrincipalRef("user", "u3")
ADMINS = 'displayName eq "admins"'
USER, ADMIN = [WorkspacePermission.USER], [WorkspacePermission.ADMIN]


def _admins_by_id(ws, wid: int) -> str:
    """An admin-only read (``GET /Groups/{id}``; the list of groups is open to members): probes admin rights."""
    return ws.groups.get(workspace_group_id(wid, "admins")).display_name


@pytest.fixture
def delayed(start_emulator, example_doc, fake_clock, account_client):
    """The example scenario with its own 2 s propagation and the fake clock; returns (emu, account client)."""
    example_doc["assignment_propagation_s"] = 2
    example_doc["faults"] = []
    emu = start_emulator(example_doc, clock=fake_clock)
    return emu, account_client(emu)


def _sp0_on(acct, emu, wid: int) -> list[str]:
    return [
        p.value
        for a in acct.workspace_assignment.list(wid)
        if a.principal.principal_id == emu.principal_id(SP0)
        for p in a.permissions
    ]


def test_a_grant_takes_effect_after_the_delay(delayed, fake_clock, workspace_client):
    emu, acct = delayed
    ws = workspace_client(emu, 1001)
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=USER)
    assert _sp0_on(acct, emu, 1001) == ["USER"]  # the account shows it at once
    with pytest.raises(PermissionDenied):
        ws.current_user.me()
    fake_clock.advance(1.9)
    with pytest.raises(PermissionDenied):
        ws.current_user.me()
    fake_clock.advance(0.1)
    assert ws.current_user.me().id == str(emu.principal_id(SP0))


def test_a_raise_takes_effect_after_the_delay(delayed, fake_clock, workspace_client):
    emu, acct = delayed
    ws = workspace_client(emu, 1003)  # sp0 is USER there
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=ADMIN)
    assert ws.current_user.me()  # still a member meanwhile
    with pytest.raises(PermissionDenied):
        _admins_by_id(ws, 1003)
    # Asking again for what is on its way does not restart the clock.
    fake_clock.advance(1)
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=ADMIN)
    fake_clock.advance(1)
    assert _admins_by_id(ws, 1003) == "admins"


def test_removals_and_downgrades_apply_at_once(delayed, fake_clock, workspace_client):
    emu, acct = delayed
    ws = workspace_client(emu, 1003)
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=ADMIN)
    fake_clock.advance(2)
    assert _admins_by_id(ws, 1003) == "admins"
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=USER)
    with pytest.raises(PermissionDenied):
        _admins_by_id(ws, 1003)
    assert ws.current_user.me()
    acct.workspace_assignment.delete(1003, emu.principal_id(SP0))
    with pytest.raises(PermissionDenied):
        ws.current_user.me()


def test_a_restore_before_propagation_cancels_the_raise(delayed, fake_clock, workspace_client):
    emu, acct = delayed
    ws = workspace_client(emu, 1003)
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=ADMIN)
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=USER)  # restored before it landed
    fake_clock.advance(10)
    with pytest.raises(PermissionDenied):
        _admins_by_id(ws, 1003)


def test_admins_group_shows_an_elevation_only_once_propagated(
    start_emulator, example_doc, fake_clock, account_client, workspace_client
):
    example_doc["assignment_propagation_s"] = 2
    # sp0 already ADMIN on 1003 (in the scenario: effective from the start), so it can read the group.
    example_doc["assignments"][3]["permissions"] = ["ADMIN"]
    example_doc["faults"] = []
    emu = start_emulator(example_doc, clock=fake_clock)
    acct, ws = account_client(emu), workspace_client(emu, 1003)

    def members() -> set[PrincipalRef]:
        (admins,) = ws.groups.list(filter=ADMINS)
        return {emu.principal_ref(m.value) for m in admins.members}

    before = members()
    assert SP0 in before and U3 not in before
    acct.workspace_assignment.update(1003, emu.principal_id(U3), permissions=ADMIN)
    assert members() == before
    fake_clock.advance(2)
    assert members() == before | {U3}


def test_membership_through_a_group_waits_too(
    start_emulator, example_doc, fake_clock, account_client, workspace_client
):
    example_doc["assignment_propagation_s"] = 2
    example_doc["groups"].append(
        {"id": "late", "display_name": "late", "members": [{"type": "service_principal", "id": "sp0"}]}
    )
    emu = start_emulator(example_doc, clock=fake_clock)
    ws = workspace_client(emu, 1001)
    account_client(emu).workspace_assignment.update(
        1001, emu.principal_id(PrincipalRef("group", "late")), permissions=USER
    )
    with pytest.raises(PermissionDenied):
        ws.current_user.me()
    fake_clock.advance(2)
    assert ws.current_user.me()


def test_the_option_overrides_the_scenario(start_emulator, example_doc, account_client, workspace_client):
    example_doc["assignment_propagation_s"] = 600
    emu = start_emulator(example_doc, assignment_propagation_s=0)
    account_client(emu).workspace_assignment.update(1001, emu.principal_id(SP0), permissions=USER)
    assert workspace_client(emu, 1001).current_user.me()


def test_real_clock_short_delay(start_emulator, example_doc, account_client, workspace_client):
    example_doc["assignment_propagation_s"] = 0.3
    emu = start_emulator(example_doc)
    ws = workspace_client(emu, 1001)
    started = time.monotonic()
    account_client(emu).workspace_assignment.update(1001, emu.principal_id(SP0), permissions=USER)
    denied = 0
    deadline = started + 10
    while True:  # poll with a deadline, as a collector retries a denied read after an elevation
        try:
            ws.current_user.me()
            break
        except PermissionDenied:
            denied += 1
            assert time.monotonic() < deadline, "the assignment never took effect"
            time.sleep(0.02)  # back-off between polls, not synchronisation: the loop ends on success
    assert denied >= 1 and time.monotonic() - started >= 0.3
