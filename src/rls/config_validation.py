"""Checks of a loaded configuration's values, each naming its key (:func:`rls.config.load_config` runs them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from rls.errors import InputError

RATE_LIMIT_FAMILIES = ("scim_get", "scim_list", "write", "workspace", "other")
"""The endpoint families ``collect.rate_limits`` paces (:mod:`rls.collect.ratelimit` sorts each request into one)."""
RESTORE_ATTEMPTS = 4  # tries to undo one elevation (rls.collect.elevation), back-off doubling between them


def restore_budget_s(backoff_s: float) -> float:
    """How long undoing an elevation may wait at most: every restore attempt's back-off (doubling from
    ``backoff_s``); the calls' own time is covered by the lease's expiry margin
    (:data:`rls.collect.lease.EXPIRY_MARGIN_S`). An elevation starts only while the
    lease holds this long (``collect.lease_ttl_s`` is checked against it when the config is loaded)."""
    return sum(max(backoff_s, 0.0) * 2**a for a in range(RESTORE_ATTEMPTS))


class ValidatedConfig(Protocol):
    """What is validated: an :class:`rls.config.RlsConfig` (named by shape here: rls.config imports this module)."""

    table_format: str
    catalog: str
    schema: str
    system_catalog: str
    collect: Any
    publish: Any
    sharing: Any


class ConfigError(InputError):
    """Configuration that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Bound:
    """The sane range of a numeric key: beyond it a value is a typo (1e308 s back-off overflows while elevated; a
    1e-300 requests/s limit never sends a request), not a setting."""

    low: float
    high: float
    unit: str
    low_open: bool = False  # the low end itself is not allowed (a rate or a timeout of 0)

    def text(self) -> str:
        low = f"more than {self.low:g}" if self.low_open else f"{self.low:g}"
        return f"{low} to {self.high:g} {self.unit}"

    def holds(self, value: float) -> bool:
        return (value > self.low if self.low_open else value >= self.low) and value <= self.high


# Every numeric key, with its range (documented in the README's configuration table and in `--help`).
BOUNDS: dict[str, Bound] = {
    "collect.workspace_concurrency": Bound(1, 64, "workspaces"),
    "collect.elevation_concurrency": Bound(1, 16, "workspaces"),
    "collect.propagation_timeout_s": Bound(0, 3600, "seconds"),
    "collect.http_timeout_s": Bound(1, 600, "seconds"),
    "collect.retry_timeout_s": Bound(1, 3600, "seconds"),
    "collect.rate_limits.*": Bound(0.01, 1000, "requests per second"),
    "collect.max_admin_drop": Bound(0, 1, "(a fraction)", low_open=True),
    "collect.restore_backoff_s": Bound(0, 60, "seconds"),
    # renewed every third of it; under 2 minutes a slow volume write could let a live run's lease lapse
    "collect.lease_ttl_s": Bound(120, 3600, "seconds"),
    "collect.lease_wait_s": Bound(0, 86400, "seconds"),
    "publish.parallelism": Bound(1, 64, "views"),
    # a share not visible after 30 minutes is not the recipients' caching delay (about a minute, docs)
    "sharing.visibility_timeout_s": Bound(0, 1800, "seconds"),
}


def numeric_values(cfg: object, where: str = "") -> Iterator[tuple[str, float]]:
    """``(key, value)`` of every number in a config (mappings of numbers too, as ``key.entry``)."""
    for f in dataclasses.fields(cfg):  # type: ignore[arg-type]
        value, key = getattr(cfg, f.name), f"{where}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from numeric_values(value, f"{key}.")
        elif isinstance(value, dict):
            yield from ((f"{key}.{k}", v) for k, v in value.items() if _is_number(v))
        elif _is_number(value):
            yield key, value


def bound_of(key: str) -> Bound:
    head, _, _ = key.rpartition(".")
    return BOUNDS.get(key) or BOUNDS[f"{head}.*"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def validate(cfg: ValidatedConfig) -> None:
    """Every value checked now, naming its key: a bad value must not fail late, mid-run (e.g. while elevated)."""

    c, p = cfg.collect, cfg.publish
    _one_of("table_format", cfg.table_format, ("delta", "parquet"))
    _one_of("collect.cloud", c.cloud, ("aws", "azure", "gcp"))
    _one_of("collect.on_lease_held", c.on_lease_held, ("refuse", "wait"))
    for family in c.rate_limits:
        if family not in RATE_LIMIT_FAMILIES:
            raise ConfigError(
                f"config key 'collect.rate_limits.{family}': unknown family (known: {', '.join(RATE_LIMIT_FAMILIES)})"
            )
    for key, value in numeric_values(cfg):
        bound = bound_of(key)
        if not bound.holds(value):
            raise ConfigError(f"config key '{key}': must be {bound.text()}, got {value:g}")
    restore_s = restore_budget_s(c.restore_backoff_s)
    if c.lease_ttl_s * 2 / 3 <= restore_s + 60:
        raise ConfigError(
            f"config key 'collect.lease_ttl_s': {c.lease_ttl_s:g} s leaves no time to undo an elevation inside the "
            f"lease (renewed every third of it; restores may take {restore_s:g} s + 60 s of margin): raise it above "
            f"{(restore_s + 60) * 1.5:g} or lower collect.restore_backoff_s"
        )
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


def _validate_sharing(cfg: ValidatedConfig) -> None:
    s = cfg.sharing
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
