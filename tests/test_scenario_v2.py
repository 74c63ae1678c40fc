"""Scenario format v2 (metastores, propagation), the v1 mapping and the loader's strictness (#11, #13 item 10)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from rls_local.scenario import DEFAULT_REGION, PrincipalRef, ScenarioError, load_scenario, parse_scenario
from rls_local.scenario_gen import generate

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "local" / "src" / "rls_local" / "data" / "example-scenario.json"


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(json.loads(SHIPPED.read_text()))


def _error(doc: Any) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(doc)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_v2_model(doc) -> None:
    s = parse_scenario(doc)
    assert [(m.id, m.region, m.workspace_ids) for m in s.metastores] == [
        ("ms-east", "us-east-1", (1001, 1002)),
        ("ms-west", "us-west-2", (1003, 1004)),
    ]
    east = s.metastore_of(1002)
    assert east is not None and east.admin == PrincipalRef("service_principal", "sp0")
    assert [(c.name, c.isolation_mode, c.bindings) for c in east.catalogs] == [
        ("main", "OPEN", ()),
        ("hr", "ISOLATED", (1002,)),
    ]
    assert [c.name for c in s.catalogs_of(1001)] == ["main"]
    assert [c.name for c in s.catalogs_of(1002)] == ["main", "hr"]
    assert s.region_of(1003) == "us-west-2" and s.region_of(1001) == "us-east-1"
    assert s.assignment_propagation_s == 1.0


def test_to_json_round_trips_in_v2_form(doc) -> None:
    s = parse_scenario(doc)
    out = s.to_json()
    assert "catalogs" not in out and out["metastores"][0]["metastore_id"] == "ms-east"
    assert parse_scenario(out).to_json() == out
    assert parse_scenario(out) == s


def test_v1_catalogs_map_to_implicit_metastores() -> None:
    v1 = json.loads((ROOT / "tests" / "data" / "scenarios" / "example.json").read_text())
    assert "metastores" not in v1 and v1["catalogs"]
    s = parse_scenario(v1)
    # Every federated workspace gets its own metastore (even without catalogs); non-federated 1002 none.
    assert [(m.id, m.workspace_ids, m.region, m.admin) for m in s.metastores] == [
        ("ms-1001", (1001,), DEFAULT_REGION["aws"], None),
        ("ms-1003", (1003,), "us-west-2", None),
        ("ms-1004", (1004,), "us-west-2", None),
    ]
    assert [(c.name, c.owner, c.isolation_mode) for c in s.metastore_of(1001).catalogs] == [
        ("main", "sales-admins", "OPEN")
    ]
    assert s.metastore_of(1002) is None and s.region_of(1002) == "us-west-2"
    assert s.metastore_of(1004).catalogs == ()
    assert s.assignment_propagation_s == 0
    assert parse_scenario(s.to_json()) == s


def test_v1_catalogs_on_a_non_federated_workspace_are_rejected() -> None:
    v1 = json.loads((ROOT / "tests" / "data" / "scenarios" / "example.json").read_text())
    v1["catalogs"]["1002"] = [{"name": "x", "owner": "y"}]
    assert "catalogs.1002" in _error(v1) and "not identity-federated" in _error(v1)


def test_both_versions_at_once_is_rejected(doc) -> None:
    doc["catalogs"] = {"1001": [{"name": "main", "owner": "x"}]}
    message = _error(doc)
    assert message.startswith("key 'catalogs'") and "metastores" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["metastores"][1]["workspaces"].append(1001), "metastores[1].workspaces[2]': workspace 1001 is"),
        (lambda d: d["metastores"][0]["workspaces"].append(4242), "metastores[0].workspaces[2]': unknown workspace"),
        (lambda d: d["metastores"][1].update(metastore_id="ms-east"), "metastores[1].metastore_id': duplicate"),
        (lambda d: d["metastores"][0].pop("region"), "metastores[0].region': missing"),
        (
            lambda d: d["metastores"][0]["catalogs"].append({"name": "MAIN", "owner": "x"}),
            "metastores[0].catalogs[2].name': duplicate catalog 'MAIN'",
        ),
        (
            lambda d: d["metastores"][0]["catalogs"][1].update(isolation_mode="PRIVATE"),
            "metastores[0].catalogs[1].isolation_mode': must be one of OPEN, ISOLATED",
        ),
        (
            lambda d: d["metastores"][0]["catalogs"][1].update(bindings=[1003]),
            "metastores[0].catalogs[1].bindings[0]': workspace 1003 is not in metastore 'ms-east'",
        ),
        (
            lambda d: d["metastores"][0]["catalogs"][1].update(bindings=[9]),
            "metastores[0].catalogs[1].bindings[0]': unknown workspace 9",
        ),
        (
            lambda d: d["metastores"][0]["catalogs"][1].update(bindings=["1002"]),
            "metastores[0].catalogs[1].bindings[0]': must be an integer",
        ),
        (lambda d: d["metastores"][0].update(admin={"type": "group", "id": "g9"}), "metastores[0].admin': unknown"),
        (
            lambda d: d["metastores"][0]["catalogs"][1].update(use_catalog=[{"type": "user", "id": "nobody"}]),
            "metastores[0].catalogs[1].use_catalog[0]': unknown user id 'nobody'",
        ),
        (lambda d: d.update(assignment_propagation_s=-1), "assignment_propagation_s': must be a finite number"),
        (lambda d: d.update(assignment_propagation_s="2"), "assignment_propagation_s': must be a finite number"),
        (lambda d: d.update(assignment_propagation_s=float("inf")), "assignment_propagation_s': must be a finite"),
        (lambda d: d.update(metastores={}), "key 'metastores': must be a list"),
    ],
)
def test_malformed_v2_names_the_key(doc, change, expected) -> None:
    change(doc)
    assert expected in _error(doc)


def test_assignment_on_non_federated_workspace_is_malformed(doc) -> None:
    doc["assignments"].append(
        {"workspace_id": 1002, "principal": {"type": "user", "id": "u2"}, "permissions": ["USER"]}
    )
    message = _error(doc)
    assert "assignments[4].workspace_id" in message and "1002 is not identity-federated" in message


def test_nan_and_infinity_are_not_json(tmp_path, doc) -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        doc["faults"] = [{"path_contains": "x", "status": 429, "retry_after_s": "@"}]
        path = tmp_path / "s.json"
        path.write_text(json.dumps(doc).replace('"@"', constant))
        with pytest.raises(ScenarioError, match=f"{constant.lstrip('-')} is not a JSON number"):
            load_scenario(path)
    # Handed over as a Python document, the number check still refuses it.
    doc["faults"][0]["retry_after_s"] = float("nan")
    assert "faults[0].retry_after_s': must be a finite number >= 0, got nan" in _error(doc)


def test_very_deep_json_is_one_line(tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "nested too deeply" in str(err.value) and "\n" not in str(err.value)
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    # As a Python document it is refused as the wrong shape, still in one line.
    assert "collector" in _error({"account_id": "a", "workspaces": [], "collector": deep})


def test_user_and_service_principal_with_one_identity_are_rejected(doc) -> None:
    doc["users"].append({"id": "u9", "user_name": "11111111-AAAA-bbbb-cccc-000000000000"})
    message = _error(doc)
    assert "users[4].user_name" in message and "service_principals[0]" in message


def test_users_differing_only_by_case_are_rejected(doc) -> None:
    doc["users"].append({"id": "u9", "user_name": "alice@example.COM"})
    assert "users[4]': duplicate user_name (case-insensitive) 'alice@example.com'" in _error(doc)


def test_service_principals_differing_only_by_case_are_rejected(doc) -> None:
    doc["service_principals"].append({"id": "sp9", "application_id": "22222222-AAAA-bbbb-cccc-000000000000"})
    assert "service_principals[2]': duplicate application_id" in _error(doc)


@pytest.mark.parametrize("seed", [0, 1, 7, 21])
def test_generated_scenarios_are_valid_v2(seed) -> None:
    s = parse_scenario(generate(seed, workspaces=12))
    assert len({m.region for m in s.metastores}) > 1
    federated = {w.workspace_id: w.identity_federated for w in s.workspaces}
    assert all(federated[a.workspace_id] for a in s.assignments)
    assert all(s.metastore_of(w.workspace_id) is not None for w in s.workspaces)
    non_federated = [wid for wid, fed in federated.items() if not fed]
    onboarded = [wid for wid in non_federated if s.collector in s.workspace_local_admins.get(wid, [])]
    assert onboarded and len(onboarded) < len(non_federated)
    assert parse_scenario(s.to_json()) == s
