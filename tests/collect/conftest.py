"""End-to-end collector tests switch the emulated platform to their own scenario; put the example one back."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _restore_platform(use_scenario):
    # use_scenario (tests/conftest.py) reinstalls the example scenario's memberships after the test.
    yield
