"""The collector on a platform as strict as Databricks (issue: platform truths, part 1).

Every expectation comes from the scenario (tests/oracle.py, the spec's rules), never from the collector's code.
"""

from __future__ import annotations

import oracle
from flow import (
    QUICK,
    account_writes,
    assignments_key,
    check_admin_views,
    collected_once,
    elevation_windows,
    flow,
    fresh_schema,
    initial_assignments,
    prepare,
    visible,
    with_changes,
)
from rls import exitcodes, tables
from rls.collect.clients import Clients
from rls.jobs import execute
from rls.runoptions import RunOptions
from rls.sql import quote_name
from rls_local.context import local_config, local_ledger
from rls_local.emulator import Emulator, EmulatorOptions

VIEW = "vw_system_access_audit"


def _outcomes(result) -> dict[int, str]:
    return {w.workspace_id: w.outcome for w in result.collect.workspaces}


# The first three tests read the same default run of the example account (flow.collected_once: once per session).
def test_example_account_is_collected_without_writing_to_non_federated_workspaces(
    warehouse, tmp_path_factory, example_scenario
):
    s = example_scenario  # v2: two metastores, collector onboarded on 1002, a local admin on federated 1003
    _, result = collected_once(warehouse, tmp_path_factory, s)
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    non_federated = {str(w.workspace_id) for w in s.workspaces if not w.identity_federated}
    assert non_federated and not [w for _, w, _ in account_writes(result) if w in non_federated]
    # every elevation undone exactly
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)
    check_admin_views(warehouse, s, result.cfg)


def test_a_local_admin_of_a_federated_workspace_is_its_admin(warehouse, tmp_path_factory, example_scenario):
    s = example_scenario
    local = {
        (wid, ref)
        for wid, refs in s.workspace_local_admins.items()
        for ref in refs
        if s.workspace(wid).identity_federated and ref.type == "user"
    }
    assert local, "the example scenario has a user in a federated workspace's local admins group"
    _, result = collected_once(warehouse, tmp_path_factory, s)
    for wid, ref in local:
        assert str(wid) in visible(warehouse, result.cfg, VIEW, s.user(ref.id).user_name)


def test_catalogs_are_read_once_per_metastore_without_elevation(warehouse, tmp_path_factory, example_scenario):
    s = example_scenario
    _, result = collected_once(warehouse, tmp_path_factory, s)
    requests = result.emulator_state["requests"]
    lists = [r for r in requests if r["path"].split("?")[0].endswith("/unity-catalog/catalogs") and r["status"] == 200]
    assert len(lists) == len(s.metastores)
    # No catalog was listed while the collector was elevated on that workspace: every list came before or after.
    elevated_windows = elevation_windows(requests)
    for r in lists:
        wid = r["path"].split("/ws/")[1].split("/")[0]
        assert not any(lo < requests.index(r) < hi for lo, hi in elevated_windows.get(wid, [])), r
    perms = warehouse.fetch(
        f"SELECT workspace_id, catalogs FROM {quote_name(result.cfg.catalog, result.cfg.schema, tables.PERMS)}"
    )
    got = {r["workspace_id"]: sorted(c["name"] for c in r["catalogs"]) for r in perms}
    assert got == _visible_catalogs(s)


def _visible_catalogs(s) -> dict[int, list[str]]:
    """Per collected workspace: the catalogs of its metastore it sees (OPEN, or ISOLATED and bound to it) that the
    collector may list (owner, USE CATALOG, or metastore admin) — the spec's rules, written out again."""
    me = s.collector
    my_names = {s.collector_identity.lower()} | {
        g.display_name.lower() for g in s.groups if me in oracle._members_closure(s, g.id)
    }

    def in_ref(ref) -> bool:
        return ref == me or (ref.type == "group" and me in oracle._members_closure(s, ref.id))

    out = {}
    for wid in oracle.collectable(s):
        ms = s.metastore_of(wid)
        names = []
        if ms is not None:
            admin = ms.admin is not None and in_ref(ms.admin)
            for c in ms.catalogs:
                may_list = admin or (c.owner or "").lower() in my_names or any(in_ref(r) for r in c.use_catalog)
                sees = c.isolation_mode == "OPEN" or wid in c.bindings
                if may_list and sees:
                    names.append(c.name)
        out[wid] = sorted(names)
    return out


def test_a_non_federated_workspace_without_the_collector_is_not_onboarded(warehouse, tmp_path, example_scenario):
    doc = example_scenario.to_json()
    doc["workspace_local_admins"] = {
        wid: [r for r in refs if r != example_scenario.collector.to_json()]
        for wid, refs in doc["workspace_local_admins"].items()
    }
    s = with_changes(example_scenario, workspace_local_admins=doc["workspace_local_admins"])
    wid = next(w.workspace_id for w in s.workspaces if not w.identity_federated)
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert _outcomes(result)[wid] == "not-onboarded"
    why = next(w.error for w in result.collect.workspaces if w.workspace_id == wid)
    assert s.collector_identity in why and "admins" in why  # says exactly what to do
    assert result.collect.exit_code == exitcodes.OK  # a workspace waiting for onboarding fails nothing
    assert not [w for _, w, _ in account_writes(result) if w == str(wid)]
    check_admin_views(warehouse, s, result.cfg)


def test_a_new_assignment_is_waited_for_within_a_bound(warehouse, tmp_path, example_scenario):
    s = with_changes(example_scenario, assignment_propagation_s=1.5)
    result = flow(warehouse, s, tmp_path, fresh_schema())
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    denied_then_read = [r for r in result.emulator_state["requests"] if r["status"] == 403 and "/ws/" in r["path"]]
    assert denied_then_read, "propagation was exercised: a read was denied right after an elevation"
    check_admin_views(warehouse, s, result.cfg)


def test_a_workspace_still_denying_after_elevation_fails_alone_and_is_restored(warehouse, tmp_path, example_scenario):
    s = with_changes(example_scenario, assignment_propagation_s=60)
    result = flow(warehouse, s, tmp_path, fresh_schema(), overrides={"collect.propagation_timeout_s": 1.0})
    elevated = set(result.collect.elevations)
    assert elevated
    failed = {w.workspace_id: w.error for w in result.collect.workspaces if w.outcome == "failed"}
    assert set(failed) == elevated and all("still denied" in e for e in failed.values())
    assert result.collect.exit_code == exitcodes.PARTIAL
    assert assignments_key(result.emulator_state["assignments"]) == initial_assignments(s)


def _collect(warehouse, s, workdir, schema, *, options=None, secret=None, progress=None, overrides=None):
    """The job's collect task against an emulated account, with the credentials given (default: the right ones)."""
    system_catalog = prepare(warehouse, s)
    with Emulator(s, options) as emu:
        overrides = {"schema": schema, "system_catalog": system_catalog, **QUICK, **(overrides or {})}
        cfg = local_config(s, emu, workdir, overrides=overrides)
        credentials = {"client_id": emu.client_id, "client_secret": secret or emu.client_secret}
        reports = execute(
            "collect",
            cfg,
            warehouse,
            clients=lambda: Clients(cfg.collect, credentials, auth_type="oauth-m2m"),
            ledger=local_ledger(cfg, workdir),
            options=RunOptions(progress=(lambda *a: progress(emu, *a)) if progress else None),
        )
        return cfg, reports["collect"], emu.state()


def test_wrong_client_secret_is_a_one_line_reason_and_writes_nothing(warehouse, tmp_path, example_scenario):
    schema = fresh_schema()
    cfg, report, state = _collect(warehouse, example_scenario, tmp_path, schema, secret="not-the-secret")
    assert report.exit_code == exitcodes.ERROR
    [error] = report.errors
    assert error.startswith("authentication failed") and "client id and secret" in error and "\n" not in error
    assert not warehouse.table_exists(quote_name(cfg.catalog, schema, tables.ADMINS))
    assert not [r for r in state["requests"] if r["method"] != "GET" and "/oidc/" not in r["path"]]


def test_an_expired_token_that_cannot_be_refreshed_fails_what_it_reaches(warehouse, tmp_path, example_scenario):
    # Tokens live 1 s; the secret is rotated as soon as workspaces are being read, and the elevated reads wait for
    # the new assignment to propagate (1.5 s): by then the token has expired and the old secret gets no new one.
    # A workspace's token endpoint refusing the old secret reads as "not a member yet" (rls.collect.refusals), so
    # the elevated read retries it until the propagation timeout: 5 s outlasts the 1.5 s propagation, not 120 s.
    s = with_changes(example_scenario, assignment_propagation_s=1.5)
    rotated = []
    # The account's group listing runs in the background. Rotating before its last page would fail it, an
    # account-wide read: the whole run fails with ERROR. That is right, but it is a race, not this test's case.
    # The SDK stops on the first empty page (AccountGroupsV2API.list), which starts after the last group.
    last_page = f"startIndex={len(s.groups) + 1}"

    def rotate(emu, phase, done, total):
        if not rotated:
            emu.wait_for_request(
                lambda r: r["workspace_id"] is None and "/scim/v2/Groups?" in r["path"] and last_page in r["path"]
            )
            rotated.append(emu.rotate_secret())

    schema = fresh_schema()
    cfg, report, _ = _collect(
        warehouse,
        s,
        tmp_path,
        schema,
        options=EmulatorOptions(token_ttl_s=1),
        progress=rotate,
        overrides={"collect.propagation_timeout_s": 5.0},
    )
    assert rotated and report.exit_code != exitcodes.OK
    reasons = report.errors + report.unrestored + [w.error for w in report.workspaces if w.outcome == "failed"]
    assert reasons and all("authentication failed" in r and "\n" not in r for r in reasons), reasons
    # A restore needs a token too: if it could not get one, the ledger keeps the elevation for the next run.
    assert report.exit_code == (exitcodes.UNRESTORED if report.unrestored else exitcodes.PARTIAL)
    assert len(local_ledger(cfg, tmp_path).open_entries()) == len(report.unrestored)
