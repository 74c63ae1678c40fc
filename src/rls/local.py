"""The embedded default: the account emulator plus the local warehouse, wired exactly like the bundle job.

`rls demo`, the tests and the benchmarks all go through :func:`run_flow`, which runs the same collector and
publisher the job runs on Databricks — only the two seams (account API host, SQL backend) point at local stand-ins.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rls.collect.clients import Clients
from rls.collect.collector import Progress
from rls.collect.elevation import Ledger
from rls.collect.report import CollectReport
from rls.config import RlsConfig, load_config
from rls.emulator import Emulator, EmulatorOptions
from rls.jobs import LEDGER_DIR, execute, ledger_path
from rls.scenario import Scenario
from rls.sql import SqlBackend

logger = logging.getLogger(__name__)

SETTINGS_FILE = "rls-local.json"  # what `rls sql --workdir` needs to know about a demo's warehouse
STATE_FILE = "emulator-state.json"


@dataclass
class FlowResult:
    cfg: RlsConfig
    collect: CollectReport
    publish: Any | None  # rls.publish.PublishReport
    emulator_state: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)


def local_config(
    scenario: Scenario,
    emu: Emulator,
    workdir: Path,
    config_path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> RlsConfig:
    """The job's configuration, with the account API and tables pointed at the local stand-ins."""
    local = {
        "table_format": "parquet",
        "collect.cloud": scenario.cloud,
        "collect.account_host": emu.url,
        "collect.account_id": scenario.account_id,
        "collect.collector_application_id": scenario.collector_identity,
        "collect.workspace_host_template": emu.workspace_host(0).rsplit("/", 1)[0] + "/{workspace_id}",
        "collect.elevation_ledger": str(workdir / LEDGER_DIR),
        "collect.retry_timeout_s": 120.0,
    }
    return load_config(config_path, {**local, **(overrides or {})})


def clients_for(cfg: RlsConfig, emu: Emulator) -> Clients:
    """OAuth M2M exactly as in production: the emulator's client secret is generated at its start and lives in
    memory only; the SDK obtains and refreshes account and workspace tokens from the emulator's OIDC endpoints."""
    credentials = {"client_id": emu.client_id, "client_secret": emu.client_secret}
    return Clients(cfg.collect, credentials, auth_type="oauth-m2m")


def local_ledger(cfg: RlsConfig, workdir: Path) -> Ledger:
    """The elevation ledger in a local directory with a volume's rules (no appends, no random writes)."""
    from rls.warehouse.volume import StrictVolumeFiles

    return Ledger(StrictVolumeFiles(ledger_path(cfg, workdir)))


def run_flow(
    backend: SqlBackend,
    scenario: Scenario,
    workdir: Path,
    *,
    config_path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    emulator_options: EmulatorOptions | None = None,
    dry_run: bool = False,
    force: bool = False,
    publish: bool = True,
    progress: Progress | None = None,
) -> FlowResult:
    """Collect from an emulated account, then publish the views: what the bundle job's two tasks do."""
    seconds: dict[str, float] = {}
    with Emulator(scenario, emulator_options) as emu:
        cfg = local_config(scenario, emu, workdir, config_path, overrides)
        ledger = local_ledger(cfg, workdir)
        t = time.perf_counter()
        reports = execute(
            "collect",
            cfg,
            backend,
            clients=lambda: clients_for(cfg, emu),
            ledger=ledger,
            dry_run=dry_run,
            force=force,
            progress=progress,
        )
        seconds["collect"] = time.perf_counter() - t
        if publish and not dry_run and reports["collect"].outcome in ("ok", "partial"):
            t = time.perf_counter()
            reports |= execute("publish", cfg, backend, clients=None, ledger=ledger, progress=progress)
            seconds["publish"] = time.perf_counter() - t
        state = emu.state()
    write_local_files(workdir, cfg, scenario, state, config_path)
    return FlowResult(cfg, reports["collect"], reports.get("publish"), state, seconds)


def write_local_files(
    workdir: Path, cfg: RlsConfig, scenario: Scenario, state: dict[str, Any], config_path: str | Path | None = None
) -> None:
    """The emulator's final state, and what later commands on ``workdir`` need: namespace and config file."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")
    (workdir / SETTINGS_FILE).write_text(
        json.dumps(
            {
                "catalog": cfg.catalog,
                "schema": cfg.schema,
                "account_id": scenario.account_id,
                "config": str(Path(config_path).resolve()) if config_path else None,
            }
        ),
        encoding="utf-8",
    )


def read_settings(workdir: Path) -> dict[str, str]:
    path = workdir / SETTINGS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{workdir} holds no local warehouse made by `rls demo` (no {SETTINGS_FILE})")
    return json.loads(path.read_text(encoding="utf-8"))
