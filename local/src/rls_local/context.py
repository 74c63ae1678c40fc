"""The local flavour of the composition root (:class:`rls.context.Context`): the local warehouse in a work directory,
the account emulator's clients, and the elevation ledger in a directory of the workdir with a volume's rules.

:func:`local_config`, :func:`clients_for` and :func:`local_ledger` are the same seams for a caller that holds a
config already (tests, benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rls.collect.clients import Clients
from rls.collect.ledger import Ledger
from rls.config import ConfigSource, RlsConfig
from rls.context import Context
from rls.errors import InputError
from rls.target import LEDGER_DIR

if TYPE_CHECKING:
    from rls.collect.ratelimit import RateLimiter
    from rls.sql import SqlBackend
    from rls_local.emulator import Emulator
    from rls_local.scenario import Scenario

# Local defaults below the production ones (the local platform caches no share by default: a share it does not show
# at once is a real failure); the config file's value wins.
LOCAL_DEFAULTS = {"collect.retry_timeout_s": 120.0, "sharing.visibility_timeout_s": 10.0}


@dataclass(kw_only=True)
class LocalContext(Context):
    """A run on the local stack. Without an emulator there is no account: a task that needs one is refused (a
    workdir never reaches a real account, whatever DATABRICKS_HOST says)."""

    workdir: Path
    emulator: Emulator | None = None
    scope: str | None = None
    """The local scope of the metastore the warehouse is seen from (another region's deployment); None: the first."""
    ledger_capacity_bytes: int | None = None
    """The ledger's storage is full past this many bytes (None: unbounded)."""

    def __post_init__(self) -> None:
        # Tables are parquet in the local warehouse (no Delta jars locally: docs/local-stack.md); a caller may say else.
        self.overrides = {"table_format": "parquet", **self.overrides}

    @classmethod
    def emulated(
        cls,
        scenario: Scenario,
        emu: Emulator,
        workdir: Path,
        source: str | Path | ConfigSource | None = None,
        overrides: dict[str, Any] | None = None,
        **parts: Any,
    ) -> LocalContext:
        """The job's context, with the account API pointed at the emulator serving ``scenario``."""
        local = {
            "collect.cloud": scenario.cloud,
            "collect.account_host": emu.url,
            "collect.account_id": scenario.account_id,
            "collect.collector_application_id": scenario.collector_identity,
            "collect.workspace_host_template": emu.workspace_host(0).rsplit("/", 1)[0] + "/{workspace_id}",
            "collect.elevation_ledger": str(workdir / LEDGER_DIR),
        }
        overrides = {**local, **(overrides or {})}
        return cls(source, overrides, defaults=LOCAL_DEFAULTS, workdir=workdir, emulator=emu, **parts)

    @cached_property
    def backend(self) -> SqlBackend:
        from rls_local.warehouse import open_warehouse

        _ = self.config  # first, as on Databricks: a config that does not load starts no Spark session
        warehouse = open_warehouse(self.workdir)
        return warehouse if self.scope is None else warehouse.in_metastore(self.scope)

    @cached_property
    def clients(self) -> Clients:
        if self.emulator is None:
            raise InputError(f"{self.workdir}: this workdir has no local account (pass --scenario FILE)")
        return clients_for(self.config, self.emulator, self.limiter)

    @cached_property
    def ledger_path(self) -> Path:
        return workdir_ledger_path(self.config, self.workdir)

    @cached_property
    def ledger(self) -> Ledger:
        return local_ledger(self.config, self.workdir, self.ledger_capacity_bytes)

    def ledger_for(self, task: str) -> Ledger:
        return self.ledger  # a directory of the workdir: nothing to create first


def local_config(
    scenario: Scenario,
    emu: Emulator,
    workdir: Path,
    config_path: str | Path | ConfigSource | None = None,
    overrides: dict[str, Any] | None = None,
) -> RlsConfig:
    """The job's configuration, with the account API and tables pointed at the local stand-ins."""
    return LocalContext.emulated(scenario, emu, workdir, config_path, overrides).config


def clients_for(cfg: RlsConfig, emu: Emulator, limiter: RateLimiter | None = None) -> Clients:
    """OAuth M2M exactly as in production: the emulator's client secret is generated at its start and lives in
    memory only; the SDK obtains and refreshes account and workspace tokens from the emulator's OIDC endpoints."""
    credentials = {"client_id": emu.client_id, "client_secret": emu.client_secret}
    return Clients(cfg.collect, credentials, limiter, auth_type="oauth-m2m")


def workdir_ledger_path(cfg: RlsConfig, workdir: Path) -> Path:
    """Where a workdir's elevation ledger lives: configured, or a directory of the workdir."""
    return Path(cfg.collect.elevation_ledger) if cfg.collect.elevation_ledger else workdir / LEDGER_DIR


def local_ledger(cfg: RlsConfig, workdir: Path, capacity_bytes: int | None = None) -> Ledger:
    """The elevation ledger in a local directory with a volume's rules (no appends, no random writes);
    ``capacity_bytes``: the storage under it is full past this (None: unbounded)."""
    from rls_local.warehouse.volume import StrictVolumeFiles

    return Ledger(StrictVolumeFiles(workdir_ledger_path(cfg, workdir), capacity_bytes))
