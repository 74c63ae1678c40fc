"""Checks of a loaded configuration's values, each naming its key (:func:`rls.config.load_config` runs them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rls.errors import InputError

if TYPE_CHECKING:
    from rls.config import RlsConfig


class ConfigError(InputError):
    """Configuration that cannot be used; the message names the key."""


def validate(cfg: RlsConfig) -> None:
    """Every value checked now, naming its key: a bad value must not fail late, mid-run (e.g. while elevated)."""
    from rls.collect.ratelimit import FAMILIES

    c, p = cfg.collect, cfg.publish
    _one_of("table_format", cfg.table_format, ("delta", "parquet"))
    _one_of("collect.cloud", c.cloud, ("aws", "azure", "gcp"))
    for key, value in (
        ("collect.workspace_concurrency", c.workspace_concurrency),
        ("collect.elevation_concurrency", c.elevation_concurrency),
        ("publish.parallelism", p.parallelism),
    ):
        if value < 1:
            raise ConfigError(f"config key '{key}': must be at least 1, got {value}")
    for key, value in (("collect.http_timeout_s", c.http_timeout_s), ("collect.retry_timeout_s", c.retry_timeout_s)):
        if value <= 0:
            raise ConfigError(f"config key '{key}': must be more than 0 seconds, got {value}")
    for key, value in (
        ("collect.restore_backoff_s", c.restore_backoff_s),
        ("collect.propagation_timeout_s", c.propagation_timeout_s),
    ):
        if value < 0:
            raise ConfigError(f"config key '{key}': must be 0 or more seconds, got {value}")
    if not 0 < c.max_admin_drop <= 1:
        raise ConfigError(f"config key 'collect.max_admin_drop': must be in (0, 1], got {c.max_admin_drop}")
    for family, rate in c.rate_limits.items():
        if family not in FAMILIES:
            raise ConfigError(
                f"config key 'collect.rate_limits.{family}': unknown family (known: {', '.join(FAMILIES)})"
            )
        if rate <= 0:
            raise ConfigError(f"config key 'collect.rate_limits.{family}': must be positive, got {rate}")
    for key, url in (
        ("collect.account_host", c.account_host),
        ("collect.workspace_host_template", c.workspace_host_template),
    ):
        if url is not None and not url.startswith(("https://", "http://")):
            raise ConfigError(f"config key '{key}': must be a URL starting with https://, got {url!r}")
    if c.workspace_host_template is not None:
        try:
            c.workspace_host_template.format(deployment_name="d", workspace_id=1)
        except (KeyError, IndexError, ValueError):
            raise ConfigError(
                "config key 'collect.workspace_host_template': may use only {deployment_name} and {workspace_id}, "
                f"got {c.workspace_host_template!r}"
            ) from None
    for key, name in (("catalog", cfg.catalog), ("schema", cfg.schema), ("system_catalog", cfg.system_catalog)):
        if len(name) > 255:
            raise ConfigError(f"config key '{key}': at most 255 characters (a Unity Catalog name), got {len(name)}")
    for table, columns in p.identity_columns.items():
        _table_key("publish.identity_columns", table)
        if not columns or any(not c.strip() or c.strip(".") != c or ".." in c for c in columns):
            raise ConfigError(
                f"config key 'publish.identity_columns.{table}': a non-empty list of column names "
                f"(struct fields as parent.field), got {columns!r}"
            )
    for view, level in p.access_levels.items():
        _table_key("publish.access_levels", view)
        _one_of(f"publish.access_levels.{view}", level, ("admin", "self", "none"))
    _validate_sharing(cfg)


MAX_VISIBILITY_TIMEOUT_S = 1800.0  # a share not visible after 30 minutes is not a caching delay


def _validate_sharing(cfg: RlsConfig) -> None:
    s = cfg.sharing
    if not 0 <= s.visibility_timeout_s <= MAX_VISIBILITY_TIMEOUT_S:
        raise ConfigError(
            f"config key 'sharing.visibility_timeout_s': must be between 0 and {MAX_VISIBILITY_TIMEOUT_S:g} seconds,"
            f" got {s.visibility_timeout_s}"
        )
    if s.source_catalog and s.recipients:
        raise ConfigError(
            "config key 'sharing.recipients': only the home region shares; a region with sharing.source_catalog reads"
        )
    if s.source_catalog and not s.provider:
        raise ConfigError("config key 'sharing.provider': needed with sharing.source_catalog (see SHOW PROVIDERS)")
    if s.source_catalog and s.source_catalog.lower() in (cfg.catalog.lower(), cfg.system_catalog.lower()):
        raise ConfigError(
            f"config key 'sharing.source_catalog': must be a catalog of its own (mounted from the share), got"
            f" {s.source_catalog!r}"
        )
    for name, ident in s.recipients.items():
        if len(ident.split(":")) != 3 or not all(ident.split(":")):
            raise ConfigError(
                f"config key 'sharing.recipients.{name}': a sharing identifier '<cloud>:<region>:<metastore uuid>'"
                f" (SELECT current_metastore() in that region), got {ident!r}"
            )


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"config key '{key}': must be {', '.join(allowed[:-1])} or {allowed[-1]}, got {value!r}")


def _table_key(key: str, table: str) -> None:
    schema, dot, name = table.partition(".")
    if not (dot and schema.strip() and name.strip()) or "." in name:
        raise ConfigError(f"config key '{key}': entries are keyed by system table `schema.table`, got {table!r}")
