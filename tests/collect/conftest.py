"""End-to-end collector tests switch the emulated platform to their own scenario; put the example one back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_platform(request: pytest.FixtureRequest) -> Iterator[None]:
    # use_scenario (tests/conftest.py) reinstalls the example scenario's memberships after the test. Only for a test
    # that has the session's Spark anyway: asking for it here would give Spark to every test of the directory.
    if "warehouse" in request.fixturenames:
        request.getfixturevalue("use_scenario")
    yield
