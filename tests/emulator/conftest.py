"""Fixtures for the emulator tests: scenarios, started emulators and real SDK clients pointed at them.

How the real SDK (databricks-sdk 0.162) is pointed at the emulator -- ``sdk_config_kwargs`` below:

- ``host``: ``emu.url`` for the account, ``emu.workspace_host(wid)`` (``http://127.0.0.1:PORT/ws/{wid}``) for a
  workspace. Write the ``http://`` scheme out (the SDK would prepend ``https://``); the SDK keeps the path.
- ``account_id``: ``emu.account_id``, account clients only. The SDK only recognises ``https://accounts.*`` as an
  account host by name, but ``AccountClient`` does not need that: it builds ``/api/2.0/accounts/{account_id}/…``
  from this value, so a plain 127.0.0.1 host works.
- ``client_id`` / ``client_secret``: ``emu.client_id`` / ``emu.client_secret`` with ``auth_type="oauth-m2m"``: OAuth
  M2M as in production, and pinning the strategy means no other one is probed and stray ``DATABRICKS_*`` variables
  cannot win (the fixtures also clear them).
- Discovery: every ``Config()`` GETs ``{host}/.well-known/databricks-config``; the emulator answers the host
  metadata, the SDK follows ``oidc_endpoint`` to the discovery document and its ``token_endpoint``, then POSTs
  client credentials there (Basic auth) before the first API call and whenever its token is (nearly) expired.
- ``retry_timeout_seconds``: small where a test expects the SDK to give up; it retries 429/503 for 300 s by default.
- ``clock``: a ``databricks.sdk.clock.Clock``; ``RecordingClock`` keeps real time and records the SDK's retry sleeps.

``AccountClient``/``WorkspaceClient`` take no ``clock`` argument, so clients are built as
``AccountClient(config=Config(**kwargs))``.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.clock import Clock
from databricks.sdk.config import Config

from rls_local.emulator import Emulator, EmulatorOptions
from rls_local.scenario import Scenario, parse_scenario

EXAMPLE_SCENARIO = (
    Path(__file__).resolve().parents[2] / "local" / "src" / "rls_local" / "data" / "example-scenario.json"
)


class RecordingClock(Clock):
    """Real time, but remembers how long the SDK chose to sleep between retries."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)


def sdk_config_kwargs(emu: Emulator, workspace_id: int | None = None, **extra: Any) -> dict[str, Any]:
    """The ``Config`` kwargs that make the real SDK talk to the emulator (see the module docstring)."""
    kwargs: dict[str, Any] = {
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "auth_type": "oauth-m2m",
    }
    if workspace_id is None:
        kwargs.update(host=emu.url, account_id=emu.account_id)
    else:
        kwargs.update(host=emu.workspace_host(workspace_id))
    kwargs.update(extra)
    return kwargs


@pytest.fixture(autouse=True)
def _no_databricks_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "GOOGLE_")):
            monkeypatch.delenv(name)
    # A developer's ~/.databrickscfg must not leak into the clients either.
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def example_doc() -> dict[str, Any]:
    """The shipped example scenario as a fresh, mutable JSON document, without propagation delay.

    (The shipped file delays new assignments by 1 s; the propagation tests set their own delay and clock.)
    """
    doc = copy.deepcopy(json.loads(EXAMPLE_SCENARIO.read_text()))
    doc["assignment_propagation_s"] = 0
    return doc


class FakeClock:
    """A monotonic clock advanced by hand (``EmulatorOptions.clock``): token expiry and propagation, no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def with_users() -> Callable[[dict[str, Any], int], dict[str, Any]]:
    """``with_users(doc, n)``: a copy of ``doc`` with ``n`` generated users appended."""

    def add(doc: dict[str, Any], n: int) -> dict[str, Any]:
        doc = copy.deepcopy(doc)
        doc["users"] = doc["users"] + [{"id": f"gen{i}", "user_name": f"user{i:04d}@example.com"} for i in range(n)]
        return doc

    return add


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., Emulator]]:
    """``start_emulator(doc_or_scenario, **EmulatorOptions kwargs)`` -> a started emulator, stopped at teardown."""
    started: list[Emulator] = []

    def start(scenario: dict[str, Any] | Scenario, **options: Any) -> Emulator:
        if isinstance(scenario, dict):
            scenario = parse_scenario(scenario)
        emu = Emulator(scenario, EmulatorOptions(**options)).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(start_emulator: Callable[..., Emulator], example_doc: dict[str, Any]) -> Emulator:
    """The example scenario without its injected faults."""
    example_doc["faults"] = []
    return start_emulator(example_doc)


@pytest.fixture
def account_client() -> Callable[..., AccountClient]:
    def make(emu: Emulator, **extra: Any) -> AccountClient:
        return AccountClient(config=Config(**sdk_config_kwargs(emu, **extra)))

    return make


@pytest.fixture
def workspace_client() -> Callable[..., WorkspaceClient]:
    def make(emu: Emulator, workspace_id: int, **extra: Any) -> WorkspaceClient:
        return WorkspaceClient(config=Config(**sdk_config_kwargs(emu, workspace_id, **extra)))

    return make


@pytest.fixture
def acct(emu: Emulator, account_client: Callable[..., AccountClient]) -> AccountClient:
    return account_client(emu)


@pytest.fixture
def recording_clock() -> RecordingClock:
    return RecordingClock()
