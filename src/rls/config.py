"""Configuration: one YAML file (every key optional), overridable from the CLI and job parameters.

Every option has a default and a one-line description (the docstring under its field; :mod:`rls.config_help` lists
them for ``--help`` and ``rls config``); :mod:`rls.config_reading` reads the YAML into these classes.
Bad configuration raises :class:`ConfigError` with a message naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rls.config_reading import build, put
from rls.config_validation import ConfigError, validate
from rls.sql import system_tables


@dataclass
class CollectConfig:
    account_host: str | None = None
    """Account console URL; default from `cloud` (AWS/Azure/GCP) or the SDK's unified auth."""
    account_id: str | None = None
    """Databricks account id; default from the SDK's unified auth (DATABRICKS_ACCOUNT_ID)."""
    cloud: str = "aws"
    """aws | azure | gcp: picks the account host when account_host is not set."""
    collector_application_id: str | None = None
    """Application id of the service principal the collector runs as; default: the auth's client id."""
    workspace_concurrency: int = 8
    """Workspaces collected at the same time."""
    collect_catalogs: bool = True
    """Read the catalogs of every metastore (once per metastore, never through an elevation)."""
    read_local_admins: bool = True
    """Read every workspace's `admins` group (elevating on federated workspaces where the read is denied); false:
    only on workspaces that are not identity-federated, where it is the only source of admins."""
    propagation_timeout_s: float = 120.0
    """After an elevation, retry reads the workspace still denies (the new assignment propagating) this long."""
    http_timeout_s: float = 60.0
    """Timeout of a single HTTP call."""
    retry_timeout_s: float = 300.0
    """Give up retrying one call (429/503) after this long."""
    rate_limits: dict[str, float] = field(
        default_factory=lambda: {"scim_get": 19.0, "scim_list": 3.8, "write": 4.75, "workspace": 19.0, "other": 19.0}
    )
    """Client-side requests per second per endpoint family: 95% of Databricks' published limits (``workspace``: per
    workspace)."""
    max_admin_drop: float = 0.5
    """Circuit breaker: refuse to publish when the account's admin count drops by more than this fraction."""
    elevation_concurrency: int = 4
    """Workspaces elevated at the same time. Each open elevation is in the ledger before its PUT, so a killed run
    leaves at most this many for the next run to repair; 4 keeps the write family (5/s) busy through the PUT, read,
    DELETE round trips of one elevation (1: never more than one open)."""
    restore_backoff_s: float = 1.0
    """First back-off between attempts to undo an elevation (doubles, 4 attempts)."""
    elevation_ledger: str | None = None
    """Elevation ledger directory, one file per event (default: /Volumes/<catalog>/<schema>/rls_state/elevation-ledger
    on Databricks, <workdir>/elevation-ledger locally)."""
    lease_ttl_s: float = 600.0
    """A run's lease on the elevation ledger (one collector per ledger) lasts this long past its last renewal; the
    run renews it every third of this, so a killed run's lease ends by itself within this long."""
    on_lease_held: str = "refuse"
    """What a run does when another one holds the ledger's lease: ``refuse`` (exit 7 at once) or ``wait`` (up to
    ``lease_wait_s``, then exit 7)."""
    lease_wait_s: float = 3600.0
    """With ``on_lease_held: wait``: how long to wait for the other run's lease to end."""
    workspace_host_template: str | None = None
    """Workspace URL template with {deployment_name} / {workspace_id} (default: the cloud's URL scheme)."""


# Who caused a row, per system table: from the one registry of system-table facts (names are compared with
# current_user(), principal ids matched through the collector's principals table).
DEFAULT_IDENTITY_COLUMNS: dict[str, list[str]] = {k: list(v) for k, v in system_tables.DEFAULT_IDENTITY_COLUMNS.items()}


@dataclass
class PublishConfig:
    include: list[str] = field(default_factory=lambda: ["*"])
    """fnmatch patterns over `schema.table` of system tables to publish views for."""
    exclude: list[str] = field(default_factory=list)
    """fnmatch patterns over `schema.table` to leave out."""
    parallelism: int = 8
    """Views created or altered at the same time."""
    owner: str | None = None
    """Principal that owns every view (default: the identity the job runs as — the collector's service principal in
    prod; another principal needs metastore admin)."""
    grant_select_to: list[str] = field(default_factory=lambda: ["account users"])
    """Account groups granted SELECT on every view (idempotent); the views filter per reader, so every account
    principal may hold it ([] grants nothing: nobody but the owner reads the views)."""
    unassigned_rows_group: str | None = None
    """Account group that also sees rows with workspace_id '0' or NULL (default: nobody)."""
    access_levels: dict[str, str] = field(default_factory=dict)
    """Per view `schema.table`: admin | self | none (default admin)."""
    identity_columns: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_IDENTITY_COLUMNS))
    """Per `schema.table`: columns naming who caused a row (struct fields dotted), read by the `self` level."""
    prune: bool = False
    """Drop views whose system table disappeared."""


@dataclass
class SharingConfig:
    share: str = "rls_access"
    """Delta Sharing share through which the home region's collected tables reach the other regions."""
    recipients: dict[str, str] = field(default_factory=dict)
    """Home region: recipient name -> sharing identifier (`<cloud>:<region>:<metastore uuid>`, what
    `SELECT current_metastore()` returns in that region); each gets SELECT on the share. Empty: one region."""
    source_catalog: str | None = None
    """Other regions: the catalog mounted from the home region's share (created if missing). Set, this deployment
    reads the home region's collection and never collects itself."""
    provider: str | None = None
    """Other regions: the name this metastore gives the home metastore as a Delta Sharing provider
    (`SHOW PROVIDERS`); needed to mount source_catalog."""
    visibility_timeout_s: float = 120.0
    """Other regions: how long publish waits for the home region's share (a new grant, a table added) to become
    visible; recipients see share changes after about a minute of caching. 0: one attempt."""


@dataclass
class RlsConfig:
    catalog: str = "main"
    """Catalog of the collector's tables and the views."""
    schema: str = "rls"
    """Schema of the collector's tables and the views."""
    table_format: str = "delta"
    """Table format: delta on Databricks, parquet in the local warehouse."""
    system_catalog: str = "system"
    """Catalog holding the system tables."""
    collect: CollectConfig = field(default_factory=CollectConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    sharing: SharingConfig = field(default_factory=SharingConfig)

    def table(self, name: str) -> tuple[str, str, str]:
        return (self.catalog, self.schema, name)

    @property
    def reads_shared(self) -> bool:
        """A region other than home: the collected tables come from the home region's share."""
        return bool(self.sharing.source_catalog)

    def collected_table(self, name: str) -> tuple[str, str, str]:
        """Where a table the collector writes is read: here, or (other regions) in the catalog mounted from the
        home region's share, where it keeps its schema and name (the share adds it ``AS <schema>.<name>``)."""
        if self.sharing.source_catalog:
            return (self.sharing.source_catalog, self.schema, name)
        return self.table(name)


@dataclass(frozen=True)
class ConfigSource:
    """A config file's content and where it came from: what a local workdir remembers (a copy, so that moving or
    editing the original file does not change what the workdir runs with)."""

    text: str | None  # the YAML; None: the defaults
    origin: str | None = None  # the file it was read from, for messages

    @classmethod
    def read(cls, path: str | Path | None) -> ConfigSource:
        if not path:
            return cls(None)
        p = Path(path)
        try:
            return cls(p.read_text(encoding="utf-8"), str(p.resolve()))
        except OSError as e:
            raise ConfigError(f"config file {p}: cannot read it ({e.strerror})") from None


def load_config(
    path: str | Path | ConfigSource | None = None,
    overrides: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
) -> RlsConfig:
    """Load YAML config (or defaults), then apply dotted overrides such as ``{"publish.parallelism": 4}``.
    ``defaults``: dotted values that apply only where the file sets none (a caller's defaults, below the file)."""
    source = path if isinstance(path, ConfigSource) else ConfigSource.read(path)
    doc: dict[str, Any] = {}
    if source.text is not None:
        where = source.origin or "remembered"
        try:
            loaded = yaml.safe_load(source.text)
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {where}: not valid YAML ({str(e).splitlines()[0]})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {where}: must be a mapping of keys, got {type(loaded).__name__}")
        doc = loaded or {}
    for dotted, value in (defaults or {}).items():
        put(doc, dotted, value, replace=False)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            put(doc, dotted, value, replace=True)
    cfg = build(RlsConfig, doc)
    # A mapping given in the file adds to the defaults (a table set to `self` still needs only its own entry).
    cfg.publish.identity_columns = {**DEFAULT_IDENTITY_COLUMNS, **cfg.publish.identity_columns}
    validate(cfg)
    return cfg
