"""Scenario format v3: workspace-local groups and the `workspace_group` references that name them (issue #28)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from rls_local.scenario import WORKSPACE_GROUP, LocalGroup, PrincipalRef, parse_scenario
from test_scenario_v2 import _error  # one line per error, named key: the same check as v2's

ROOT = Path(__file__).resolve().parent
LOCAL_GROUPS = ROOT / "data" / "scenarios" / "local_groups.json"
V2_EXAMPLE = ROOT.parent / "local" / "src" / "rls_local" / "data" / "example-scenario.json"


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(json.loads(LOCAL_GROUPS.read_text()))


def test_v3_model(doc) -> None:
    s = parse_scenario(doc)
    assert [g.id for g in s.workspace_local_groups[3001]] == ["wg1", "wg2", "wg3", "wg4"]
    assert s.local_group(3001, "wg3") == LocalGroup(
        "wg3",
        "deep-bench",
        (PrincipalRef("user", "u2"), PrincipalRef("user", "u3"), PrincipalRef(WORKSPACE_GROUP, "wg1")),
    )
    # the same local id in two workspaces names two groups
    assert s.local_group(3002, "wg1").display_name == "onboarding"
    assert s.workspace_local_admins[3001] == [PrincipalRef(WORKSPACE_GROUP, "wg1")]
    assert s.metastores[0].catalogs[2].browse == (PrincipalRef("service_principal", "sp0"),)


def test_to_json_round_trips(doc) -> None:
    s = parse_scenario(doc)
    again = parse_scenario(json.loads(json.dumps(s.to_json())))
    assert again.workspace_local_groups == s.workspace_local_groups
    assert again.workspace_local_admins == s.workspace_local_admins
    assert again.metastores == s.metastores


def test_earlier_scenarios_keep_their_meaning() -> None:
    s = parse_scenario(json.loads(V2_EXAMPLE.read_text()))
    assert s.workspace_local_groups == {}
    assert all(c.browse == () for m in s.metastores for c in m.catalogs)


@pytest.mark.parametrize(
    ("where", "key"),
    [
        (lambda d: d["groups"][0]["members"], "groups[0].members[1].type"),
        (lambda d: d["metastores"][0]["catalogs"][2]["browse"], "metastores[0].catalogs[2].browse[1].type"),
    ],
)
def test_a_workspace_group_ref_outside_local_keys_is_malformed(doc, where, key) -> None:
    where(doc).append({"type": WORKSPACE_GROUP, "id": "wg1"})
    message = _error(doc)
    assert f"key '{key}'" in message and "workspace_local_groups / workspace_local_admins" in message


def test_a_workspace_group_ref_as_assignment_or_collector_is_malformed(doc) -> None:
    doc["assignments"][0]["principal"] = {"type": WORKSPACE_GROUP, "id": "wg1"}
    assert "key 'assignments[0].principal.type'" in _error(doc)
    doc = json.loads(LOCAL_GROUPS.read_text())
    doc["collector"] = {"type": WORKSPACE_GROUP, "id": "wg1"}
    assert "key 'collector.type'" in _error(doc)


def test_a_workspace_group_of_another_workspace_is_malformed(doc) -> None:
    # wgx exists in 3003 only
    doc["workspace_local_admins"]["3001"].append({"type": WORKSPACE_GROUP, "id": "wgx"})
    assert _error(doc) == ("key 'workspace_local_admins.3001[1]': unknown workspace_group id 'wgx' in workspace 3001")
    doc = json.loads(LOCAL_GROUPS.read_text())
    doc["workspace_local_groups"]["3002"][0]["members"].append({"type": WORKSPACE_GROUP, "id": "wg2"})
    assert "key 'workspace_local_groups.3002[0].members[1]': unknown workspace_group id 'wg2'" in _error(doc)


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (lambda d: d["workspace_local_groups"].update({"9999": []}), "workspace_local_groups.9999", "unknown"),
        (lambda d: d["workspace_local_groups"].update({"x": []}), "workspace_local_groups.x", "must be integers"),
        (lambda d: d.update(workspace_local_groups=[]), "workspace_local_groups", "must be an object"),
        (lambda d: d["workspace_local_groups"]["3001"][1].update(id="wg1"), "workspace_local_groups.3001[1].id",
         "duplicate local group id"),
        (lambda d: d["workspace_local_groups"]["3001"][1].update(display_name="LEGACY-OPS"),
         "workspace_local_groups.3001[1].display_name", "already a group"),
        (lambda d: d["workspace_local_groups"]["3001"][1].update(display_name="Admins"),
         "workspace_local_groups.3001[1].display_name", "already a group"),
        (lambda d: d["workspace_local_groups"]["3001"][3]["members"].append({"type": "group", "id": "g1"}),
         "workspace_local_groups.3001[3].members[1]", "not an account group"),
        (lambda d: d["workspace_local_groups"]["3001"][3]["members"].append({"type": "user", "id": "nobody"}),
         "workspace_local_groups.3001[3].members[1]", "unknown user id 'nobody'"),
        (lambda d: d["workspace_local_groups"]["3001"][3]["members"].append({"type": "robot", "id": "r"}),
         "workspace_local_groups.3001[3].members[1].type", "must be one of"),
        (lambda d: d["workspace_local_groups"]["3001"][3].pop("display_name"),
         "workspace_local_groups.3001[3].display_name", "missing"),
        (lambda d: d["workspace_local_groups"]["3001"].append("wg9"), "workspace_local_groups.3001[4]",
         "must be an object"),
    ],
)  # fmt: skip
def test_malformed_local_groups_name_the_key(doc, change, key, problem) -> None:
    change(doc)
    message = _error(doc)
    assert f"key '{key}'" in message and problem in message, message


def test_cycles_and_depth_are_allowed(doc) -> None:
    # wg1 > wg2 > wg3 > wg1: a cycle is data, not an error
    s = parse_scenario(doc)
    assert PrincipalRef(WORKSPACE_GROUP, "wg1") in s.local_group(3001, "wg3").members
