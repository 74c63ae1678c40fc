"""The composition root: one :class:`Context` per run holds its config, target, SQL backend, account clients, rate
limiter and elevation ledger, each built on first use and kept. The CLI, the bundle's tasks and doctor build one and
take what they need; nothing else loads the config or builds these parts.

This flavour is Databricks': the job's Spark session (or databricks-connect), the SDK's unified auth, the ledger on
the job's volume through the Files API. The local stack subclasses it with its own seams (``rls_local.context``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from rls.config import ConfigSource, RlsConfig, load_config
from rls.target import Target

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from rls.collect.clients import Clients
    from rls.collect.ledger import Ledger
    from rls.collect.ratelimit import RateLimiter
    from rls.sql import SqlBackend

COLLECTING = ("collect", "run")  # the tasks that may elevate, and so write the ledger


@dataclass
class Context:
    """What one run is made of. The config comes first: a config that does not load builds no other part. Parts
    are imported where built, so a command that needs no Spark session or SDK client never imports them."""

    source: str | Path | ConfigSource | None = None
    """The config file (None: the defaults)."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Dotted config keys set by the caller (CLI options, job parameters); None values leave the file's."""
    credentials: dict[str, str] | None = None
    """The collector's OAuth client id and secret (the job's secret scope); None: the SDK's unified auth."""
    defaults: dict[str, Any] | None = None
    """Dotted config keys that apply only where the file sets none."""

    def replace(self, **parts: Any) -> Self:
        """Use these parts instead of building them (a caller already holds one, or a test gives a stand-in)."""
        for name, value in parts.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise AttributeError(f"{type(self).__name__} has no part {name!r}")
            self.__dict__[name] = value  # where cached_property keeps what it built
        return self

    @cached_property
    def config(self) -> RlsConfig:
        return load_config(self.source, self.overrides, self.defaults)

    @cached_property
    def target(self) -> Target:
        return Target.of(self.config)

    @cached_property
    def backend(self) -> SqlBackend:
        """The Databricks Spark session (a job's, or databricks-connect)."""
        from rls.sql.backend import databricks_backend

        return databricks_backend(self.config.table_format)

    @cached_property
    def limiter(self) -> RateLimiter:
        """The client-side rate limiter every account and workspace call passes."""
        from rls.collect.ratelimit import RateLimiter

        return RateLimiter(self.config.collect.rate_limits)

    @cached_property
    def clients(self) -> Clients:
        """The account's SDK clients (the collector's identity: ``credentials``, or unified auth)."""
        from rls.collect.clients import Clients

        return Clients(self.config.collect, self.credentials, limiter=self.limiter)

    @cached_property
    def workspace_client(self) -> WorkspaceClient:
        """This workspace, as whoever runs (unified auth: in a job, the job's own native credentials)."""
        from databricks.sdk import WorkspaceClient

        return WorkspaceClient()

    @cached_property
    def ledger_path(self) -> Path:
        """Where the elevation ledger lives: configured, or in the job's volume."""
        configured = self.config.collect.elevation_ledger
        return Path(configured) if configured else self.target.ledger_path

    @cached_property
    def ledger(self) -> Ledger:
        """On a volume its files go through the Files API (whole-file uploads, create once:
        :mod:`rls.collect.volume_files`), as the job's own identity in its own workspace, which created the volume and
        so may write it; no client is built until the ledger is used (a publish never touches it)."""
        from rls.collect.ledger import Ledger

        path = self.ledger_path
        if not str(path).startswith("/Volumes/"):
            return Ledger(path)  # a configured directory outside Unity Catalog volumes: plain files
        from rls.collect.volume_files import FilesApiVolume

        return Ledger(FilesApiVolume(lambda: self.workspace_client.files, str(path)))

    def ledger_for(self, task: str) -> Ledger:
        """The ledger, ready for ``task``: only a task that collects creates the job's volume (``publish`` never
        elevates, so it creates nothing; a configured ledger directory is the operator's to create)."""
        cfg = self.config
        if task in COLLECTING and not cfg.reads_shared and not cfg.collect.elevation_ledger:
            # A Unity Catalog volume is durable and readable by the next run on any compute.
            self.target.ensure_volume(self.backend)
        return self.ledger
