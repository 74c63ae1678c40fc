"""The embedded default: the account emulator plus the local warehouse, wired exactly like the bundle job; and what
a workdir remembers for later commands (namespace, config, its local account).

`rls demo`, the tests and the benchmarks all go through :func:`run_flow`, which runs the job's tasks
(:func:`rls.jobs.run`) on a :class:`~rls_local.context.LocalContext`: the same collector and publisher the job runs
on Databricks, with only the seams (account API host, SQL backend, ledger storage) pointed at local stand-ins.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rls.collect.report import CollectReport
from rls.config import ConfigError, ConfigSource, RlsConfig
from rls.context import Context
from rls.jobs import run
from rls.runoptions import DEFAULTS, RunOptions
from rls.sql import SqlBackend
from rls_local.context import LocalContext
from rls_local.emulator import Emulator, EmulatorOptions
from rls_local.scenario import Scenario

logger = logging.getLogger(__name__)

SETTINGS_FILE = "rls-local.json"  # what `rls sql --workdir` needs to know about a demo's warehouse
STATE_FILE = "emulator-state.json"
SCENARIO_FILE = "scenario.json"  # the workdir's own local account: later commands without --scenario use it


@dataclass
class RegionResult:
    """Another region's deployment: its config (reading the home region's share) and its publish report."""

    metastore_id: str
    region: str
    cfg: RlsConfig
    publish: Any  # rls.publish.PublishReport


@dataclass
class FlowResult:
    cfg: RlsConfig
    collect: CollectReport
    publish: Any | None  # rls.publish.PublishReport
    emulator_state: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)
    regions: dict[str, RegionResult] = field(default_factory=dict)
    """Metastore id -> the publish of every region but home (``run_flow(regions=True)``)."""


def run_flow(
    backend: SqlBackend,
    scenario: Scenario,
    workdir: Path,
    *,
    config_path: str | Path | ConfigSource | None = None,
    overrides: dict[str, Any] | None = None,
    emulator_options: EmulatorOptions | None = None,
    options: RunOptions = DEFAULTS,
    publish: bool = True,
    regions: bool = False,
    ledger_capacity_bytes: int | None = None,
) -> FlowResult:
    """Collect from an emulated account, then publish the views: what the bundle job's two tasks do.

    ``regions``: as deployed to every region of the scenario (:mod:`rls_local.regions`): the home region collects,
    publishes and shares; every other region's metastore mounts the share and publishes its own views
    (:attr:`FlowResult.regions`). ``overrides`` apply in every region. ``ledger_capacity_bytes``: the ledger's
    storage is full past this many bytes (a full disk, met for real: ENOSPC)."""
    from rls_local.regions import deployments

    seconds: dict[str, float] = {}
    regional = deployments(scenario) if regions else []
    if len(regional) > 1:
        from rls_local.warehouse.sharing import set_first_metastore

        set_first_metastore(workdir_of(backend), regional[0].metastore_id)
        recipients = {recipient_name(d.region): d.sharing_identifier for d in regional[1:]}
        overrides = {**(overrides or {}), "sharing.recipients": recipients}
    with Emulator(scenario, emulator_options) as emu:
        ctx = LocalContext.emulated(
            scenario, emu, workdir, config_path, overrides, ledger_capacity_bytes=ledger_capacity_bytes
        ).replace(backend=backend)
        cfg = ctx.config  # loaded before the clock starts: the collect's time is the collector's
        t = time.perf_counter()
        reports = run(ctx, "collect", options)
        seconds["collect"] = time.perf_counter() - t
        if publish and not options.dry_run and reports["collect"].outcome in ("ok", "partial"):
            t = time.perf_counter()
            reports |= run(ctx, "publish", options)
            seconds["publish"] = time.perf_counter() - t
        state = emu.state()
        others: dict[str, Any] = {}
        if reports.get("publish") is not None and len(regional) > 1:
            home, t = regional[0].metastore_id, time.perf_counter()
            for d in regional[1:]:
                there = backend.in_metastore(d.scope)  # type: ignore[attr-defined]  # the local warehouse
                others[d.metastore_id] = publish_region(there, d, home, scenario, emu, workdir, config_path, overrides)
            seconds["publish_other_regions"] = time.perf_counter() - t
    write_local_files(workdir, cfg, scenario, state, config_path)
    return FlowResult(cfg, reports["collect"], reports.get("publish"), state, seconds, others)


def workdir_of(backend: SqlBackend) -> Path:
    found = getattr(backend, "workdir", None)
    if found is None:
        raise TypeError("several regions need the local warehouse (its metastores)")
    return Path(found)


def recipient_name(region: str) -> str:
    """The recipient the home region creates for another region's metastore."""
    return "rls_" + "".join(c if c.isalnum() else "_" for c in region.lower())


def publish_region(
    there: SqlBackend,
    deployment: Any,
    provider: str,
    scenario: Scenario,
    emu: Emulator,
    workdir: Path,
    config_path: str | Path | ConfigSource | None = None,
    overrides: dict[str, Any] | None = None,
) -> RegionResult:
    """The bundle's `prod_region` deployment of another region (``there``: its metastore): its job publishes from the
    share of the home metastore ``provider``."""
    from rls_local.regions import SOURCE_CATALOG

    regional = {k: v for k, v in (overrides or {}).items() if k != "sharing.recipients"}
    regional |= {"sharing.source_catalog": SOURCE_CATALOG, "sharing.provider": provider}
    ctx = LocalContext.emulated(scenario, emu, workdir, config_path, regional).replace(backend=there)
    reports = run(ctx, "publish")
    return RegionResult(deployment.metastore_id, deployment.region, ctx.config, reports["publish"])


def write_local_files(
    workdir: Path,
    cfg: RlsConfig,
    scenario: Scenario,
    state: dict[str, Any],
    config: str | Path | ConfigSource | None = None,
) -> None:
    """The emulator's final state, and what later commands on ``workdir`` need: namespace and config."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")
    (workdir / SCENARIO_FILE).write_text(json.dumps(scenario.to_json(), indent=1), encoding="utf-8")
    source = config if isinstance(config, ConfigSource) else ConfigSource.read(config)
    from rls_local.regions import deployment_for, deployments

    settings = {"catalog": cfg.catalog, "schema": cfg.schema, "account_id": scenario.account_id}
    # `rls sql --metastore ID`: every metastore id of the file, to the scope of its region's deployment.
    ids = [m.metastore_id for m in scenario.metastores] + [d.metastore_id for d in deployments(scenario)]
    settings["metastores"] = {mid: deployment_for(scenario, mid).scope for mid in ids}
    _write_settings(workdir, settings | _config_settings(source))


def read_settings(workdir: Path) -> dict[str, Any]:
    path = workdir / SETTINGS_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{workdir} holds no local warehouse: run `rls demo --workdir {workdir}` or"
            f" `rls collect --workdir {workdir} --scenario FILE` first"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def workdir_config(workdir: Path, given: str | Path | None, *, remember: bool) -> ConfigSource:
    """The config a command on ``workdir`` runs with.

    A workdir remembers a copy of the config it was made with, so ``--config`` may be left out later (without it,
    the defaults would silently replace e.g. the demo's ``self`` levels). A ``--config`` with other content wins,
    and is said so on stderr; commands that write the workdir (``remember``) adopt it for the later ones.
    """
    source = ConfigSource.read(given)
    if not (workdir / SETTINGS_FILE).exists():
        return source  # a fresh workdir: it remembers this one once it is written
    settings = read_settings(workdir)
    known = remembered(workdir, settings)
    if given is None:
        return known
    if source.text != known.text:
        was = known.origin or "the defaults"
        if remember:
            _ = Context(source).config  # a config that does not load is refused, never remembered
            _write_settings(workdir, settings | _config_settings(source))
            logger.warning(
                "workdir %s now uses config %s (it used %s); later commands remember it", workdir, given, was
            )
        else:
            logger.warning("workdir %s uses config %s; this command runs with %s instead", workdir, was, given)
    return source


def remembered(workdir: Path, settings: dict[str, Any]) -> ConfigSource:
    if "config_text" in settings:
        return ConfigSource(settings["config_text"], settings.get("config"))
    if settings.get("config"):  # made before workdirs kept a copy: only the path was recorded
        path = Path(settings["config"])
        if not path.exists():
            raise ConfigError(
                f"workdir {workdir} was made with config {path}, which no longer exists: pass --config FILE"
            )
        return ConfigSource.read(path)
    return ConfigSource(None)


def _config_settings(source: ConfigSource) -> dict[str, Any]:
    return {"config": source.origin, "config_text": source.text}


def _write_settings(workdir: Path, settings: dict[str, Any]) -> None:
    (workdir / SETTINGS_FILE).write_text(json.dumps(settings, indent=1), encoding="utf-8")
