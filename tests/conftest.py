"""Fixtures shared by every test package.

``warehouse`` (session scope): a :class:`rls_local.warehouse.LocalWarehouseBackend` on a temporary work directory,
prepared for the example scenario (``local/src/rls_local/data/example-scenario.json``):

- the emulated platform: ``is_account_group_member('<group>')`` answers from that scenario's account groups;
- synthetic ``system.*`` tables (rows for every workspace, ``'0'`` and NULL) and ``system.information_schema``;
- no current namespace and no identity: use ``warehouse.use(catalog, schema)`` and
  ``with warehouse.as_identity("bob@example.com"): warehouse.fetch(...)``.

It is shared by the whole test session (Spark starts once per process, ~5 s): create your own schemas (e.g.
``CREATE SCHEMA IF NOT EXISTS main.<your_test>``) rather than changing ``system.*``, and compare
``warehouse.statements`` before/after rather than from zero. The setup itself records no statements.

``use_scenario``: call it with another :class:`rls_local.scenario.Scenario` to make ``is_account_group_member`` answer
from that scenario for the rest of the test; the example scenario's memberships are restored afterwards.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rls_local.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from rls_local.warehouse import LocalWarehouseBackend

EXAMPLE_SCENARIO = (
    Path(__file__).resolve().parents[1] / "local" / "src" / "rls_local" / "data" / "example-scenario.json"
)


@pytest.fixture(scope="session")
def example_scenario() -> Scenario:
    return load_scenario(EXAMPLE_SCENARIO)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory, example_scenario: Scenario) -> Iterator[LocalWarehouseBackend]:
    from rls_local.warehouse import prepare_warehouse

    # One region: the tests written for a single metastore read every workspace's rows from `system`; the regional
    # world is built by tests/collect/test_regions.py (and `rls demo`).
    backend = prepare_warehouse(tmp_path_factory.mktemp("warehouse"), example_scenario, regions=False)
    yield backend
    backend.spark.stop()


@pytest.fixture
def use_scenario(warehouse: LocalWarehouseBackend, example_scenario: Scenario) -> Iterator[Callable[[Scenario], None]]:
    from rls_local.warehouse import install_platform

    def install(scenario: Scenario) -> None:
        install_platform(warehouse, scenario)

    yield install
    install_platform(warehouse, example_scenario)


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A real TCP server that accepts connections and never answers: every call to it times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for c in held:
        c.close()
    server.close()
