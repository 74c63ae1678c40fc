"""Knobs of one emulator run: port, latency, rate limits, page size, seed, token lifetime, propagation, clock."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
    token_ttl_s: float = 3600
    """Lifetime of an OAuth access token (Databricks issues one-hour tokens). The SDK treats a token as expired 40 s
    before its expiry (``oauth.Token.expired``), so below 40 s it fetches a new one for every request."""
    assignment_propagation_s: float | None = None
    """Delay before a new or raised assignment takes effect in its workspace; None: the scenario's value."""
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    """Monotonic seconds, for token expiry and propagation; tests may inject one they advance by hand."""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port: must be 0..65535, got {self.port}")
        lo, hi = self.latency_ms
        if lo < 0 or hi < lo:
            raise ValueError(f"latency_ms: must be (lo, hi) with 0 <= lo <= hi, got {self.latency_ms}")
        if self.page_size < 1:
            raise ValueError(f"page_size: must be >= 1, got {self.page_size}")
        if not (math.isfinite(self.token_ttl_s) and self.token_ttl_s > 0):
            raise ValueError(f"token_ttl_s: must be a finite number > 0, got {self.token_ttl_s}")
        prop = self.assignment_propagation_s
        if prop is not None and not (math.isfinite(prop) and prop >= 0):
            raise ValueError(f"assignment_propagation_s: must be a finite number >= 0, got {prop}")
        for family, rate in (self.rate_limits or {}).items():
            if family not in RATE_LIMIT_FAMILIES:
                raise ValueError(f"rate_limits.{family}: unknown family (one of {', '.join(RATE_LIMIT_FAMILIES)})")
            if rate <= 0:
                raise ValueError(f"rate_limits.{family}: must be > 0 requests/second, got {rate}")
