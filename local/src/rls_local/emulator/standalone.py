"""``rls emulator --scenario FILE --port N``: serve a scenario until Ctrl-C."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from rls_local.emulator.options import EmulatorOptions
from rls_local.emulator.server import Emulator
from rls_local.scenario import load_scenario

logger = logging.getLogger(__name__)


def write_credentials(emulator: Emulator, path: Path) -> None:
    """``{"host", "account_id", "client_id", "client_secret"}`` in a file only its owner can read (mode 0600)."""
    payload = {
        "host": emulator.url,
        "account_id": emulator.account_id,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_CREAT's mode applies to new files only: fchmod covers a file that already existed with wider permissions,
    # before the secret is written into it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (json.dumps(payload, indent=2) + "\n").encode())
    finally:
        os.close(fd)


def run_standalone(
    scenario_path: str | Path,
    port: int = 0,
    options: EmulatorOptions | None = None,
    credentials_file: str | Path | None = None,
) -> None:
    """Load the scenario (ScenarioError on a bad one), serve it, write the OAuth credentials file and print one line
    with the URL, account id and that file's path (never the secret).

    ``credentials_file`` defaults to ``credentials.json`` in a new private temporary directory. ``port`` wins over
    ``options.port``. Returns after Ctrl-C, with the server stopped.
    """
    scenario = load_scenario(scenario_path)
    opts = dataclasses.replace(options or EmulatorOptions(), port=port)
    emulator = Emulator(scenario, opts).start()
    try:
        path = Path(credentials_file) if credentials_file else Path(tempfile.mkdtemp(prefix="rls-emulator-"))
        if not credentials_file:
            path = path / "credentials.json"
        write_credentials(emulator, path)
        print(
            f"rls emulator: url={emulator.url} account_id={emulator.account_id} credentials={path} "
            f"workspaces={emulator.url}/ws/{{workspace_id}} state={emulator.url}/_emulator/state",
            flush=True,
        )
        # Event.wait without a timeout still wakes for KeyboardInterrupt on the main thread.
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("interrupted")
    finally:
        emulator.stop()
