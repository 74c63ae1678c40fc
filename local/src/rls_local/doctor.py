"""`rls doctor --workdir W [--scenario S]`: the preflight against a local account (the emulator serving the scenario)
and the local warehouse, exactly as on Databricks: the same checks, through the real SDK over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rls.collect.account_api import AccountApi
from rls.doctor import DoctorContext, DoctorReport, doctor
from rls_local import local
from rls_local.context import LocalContext
from rls_local.jobs import context_for, remembered_scenario

BUNDLE_FILE = Path(__file__).resolve().parents[3] / "databricks.yml"  # a checkout's bundle (absent when installed)


def local_doctor(
    config: Path | None, catalog: str | None, schema: str | None, workdir: Path, scenario: Path | None
) -> DoctorReport:
    """Reads only: a fresh workdir gets its local platform (system tables) prepared first, as an account exists before
    anyone checks it; the checks themselves send GETs to the emulator and reads to the warehouse."""
    from rls_local.emulator import Emulator
    from rls_local.scenario import load_scenario
    from rls_local.warehouse import open_warehouse, prepare_warehouse

    loaded = load_scenario(scenario) if scenario is not None else remembered_scenario(workdir, "doctor")
    fresh = not (workdir / local.SETTINGS_FILE).exists()
    backend = prepare_warehouse(workdir, loaded, regions=False) if fresh else open_warehouse(workdir)
    with Emulator(loaded) as emu:
        source = local.workdir_config(workdir, config, remember=False)
        ctx = LocalContext.emulated(loaded, emu, workdir, source, {"catalog": catalog, "schema": schema})
        cfg = ctx.replace(backend=backend).config
        if not fresh:
            cfg = _with_namespace(cfg, context_for(config, catalog, schema, workdir).config)
        checks = DoctorContext(
            backend=ctx.backend,
            api=AccountApi(ctx.clients),
            ledger=ctx.ledger,
            warehouse=f"local warehouse in {workdir}",
            bundle_file=BUNDLE_FILE if BUNDLE_FILE.is_file() else None,
        )
        return doctor(cfg, checks, f"local workdir {workdir} (emulated account {loaded.account_id})")


def _with_namespace(cfg: Any, known: Any) -> Any:
    cfg.catalog, cfg.schema = known.catalog, known.schema
    return cfg
