"""Scenario format v3, ``job_system_grants``: "all" (default), "none", or a list of system schema names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rls_local.scenario import ScenarioError, parse_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "local" / "src" / "rls_local" / "data" / "example-scenario.json"


def _doc(**changes):
    return json.loads(EXAMPLE.read_text()) | changes


@pytest.mark.parametrize(
    ("value", "parsed", "written"),
    [(None, None, "all"), ("all", None, "all"), ("none", (), "none"), (["billing", "access"], ("billing", "access"),
     ["billing", "access"])],
)  # fmt: skip
def test_values_and_round_trip(value, parsed, written):
    s = parse_scenario(_doc() if value is None else _doc(job_system_grants=value))
    assert s.job_system_grants == parsed
    assert s.to_json()["job_system_grants"] == written
    assert parse_scenario(s.to_json()).job_system_grants == parsed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("some", 'key \'job_system_grants\': must be "all", "none" or a list of system schema names, got a string'),
        (5, "key 'job_system_grants': must be"),
        (["acess"], "key 'job_system_grants[0]': unknown system schema 'acess'"),
        ([""], "key 'job_system_grants[0]': unknown system schema ''"),
        ([3], "key 'job_system_grants[0]': must be a string, got a number"),
        (["access", "access"], "key 'job_system_grants': lists a schema twice"),
    ],
)
def test_bad_values_name_the_key(value, message):
    with pytest.raises(ScenarioError) as e:
        parse_scenario(_doc(job_system_grants=value))
    assert str(e.value).startswith(message) and "\n" not in str(e.value)
