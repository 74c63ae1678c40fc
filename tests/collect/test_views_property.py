"""Property: for random accounts, what every identity sees through the views equals the oracle.

Each example runs the real flow (SDK over HTTP to the emulator, collector, publisher, Spark views); the accounts
vary in nesting depth, cycles, inactive users, SPs, mixed-case emails, non-federated workspaces and collector rights.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import oracle
from flow import flow, fresh_schema, visible
from rls import exitcodes
from rls_local.scenario import parse_scenario
from rls_local.scenario_gen import generate


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 100_000), depth=st.integers(1, 10), cycles=st.booleans())
def test_random_accounts_through_the_views(warehouse, tmp_path_factory, seed: int, depth: int, cycles: bool) -> None:
    s = parse_scenario(
        generate(seed, workspaces=5, users=10, service_principals=3, groups=8, max_depth=depth, cycles=cycles)
    )
    result = flow(warehouse, s, tmp_path_factory.mktemp("prop"), fresh_schema("prop"))
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()["errors"]
    case = oracle.original_case(s)
    for ident, wids in oracle.admin_workspaces(s).items():
        assert visible(warehouse, result.cfg, "vw_system_access_audit", case[ident]) == {str(w) for w in wids}, ident
