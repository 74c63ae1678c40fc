"""Knobs of one emulator run: port, artificial latency, server-side rate limits, SCIM page size, random seed."""

from __future__ import annotations

from dataclasses import dataclass

RATE_LIMIT_FAMILIES = ("scim_get", "scim_list", "write", "workspace", "other")


@dataclass(frozen=True)
class EmulatorOptions:
    port: int = 0
    """TCP port on 127.0.0.1; 0 picks a free one (read it back from ``Emulator.url``)."""
    latency_ms: tuple[float, float] = (0, 0)
    """Uniform random delay (lo, hi) added to every request, drawn from a generator seeded with ``seed``."""
    rate_limits: dict[str, float] | None = None
    """Requests per second per family (see ``RATE_LIMIT_FAMILIES``); over the limit answers 429 + Retry-After."""
    page_size: int = 100
    """Largest SCIM page and default Unity Catalog page; SCIM ``count`` is clamped to it as Databricks does."""
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port: must be 0..65535, got {self.port}")
        lo, hi = self.latency_ms
        if lo < 0 or hi < lo:
            raise ValueError(f"latency_ms: must be (lo, hi) with 0 <= lo <= hi, got {self.latency_ms}")
        if self.page_size < 1:
            raise ValueError(f"page_size: must be >= 1, got {self.page_size}")
        for family, rate in (self.rate_limits or {}).items():
            if family not in RATE_LIMIT_FAMILIES:
                raise ValueError(f"rate_limits.{family}: unknown family (one of {', '.join(RATE_LIMIT_FAMILIES)})")
            if rate <= 0:
                raise ValueError(f"rate_limits.{family}: must be > 0 requests/second, got {rate}")
