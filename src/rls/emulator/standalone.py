"""``rls emulator --scenario FILE --port N``: serve a scenario until Ctrl-C."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

from rls.emulator.options import EmulatorOptions
from rls.emulator.server import Emulator
from rls.scenario import load_scenario

logger = logging.getLogger(__name__)


def run_standalone(scenario_path: str | Path, port: int = 0, options: EmulatorOptions | None = None) -> None:
    """Load the scenario (ScenarioError on a bad one), serve it, print one line with URL, account id and token.

    ``port`` wins over ``options.port``. Returns after Ctrl-C, with the server stopped.
    """
    scenario = load_scenario(scenario_path)
    opts = dataclasses.replace(options or EmulatorOptions(), port=port)
    emulator = Emulator(scenario, opts).start()
    print(
        f"rls emulator: url={emulator.url} account_id={emulator.account_id} token={emulator.token} "
        f"workspaces={emulator.url}/ws/{{workspace_id}} state={emulator.url}/_emulator/state",
        flush=True,
    )
    try:
        # Event.wait without a timeout still wakes for KeyboardInterrupt on the main thread.
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("interrupted")
    finally:
        emulator.stop()
