"""Server-side rate limits per endpoint family, as Databricks enforces them (429 + Retry-After).

Each family (the workspace family: each workspace) is a token bucket refilled at ``rate`` tokens/second holding at
most one second's worth (and at least one token), so a client keeping under the rate never sees a 429 and a burst
above it does. OAuth discovery and token endpoints are in no family: the pipeline answers them before faults and
rate limits (the SDK would otherwise fail client construction rather than retry; Databricks publishes no limit for
them).
"""

from __future__ import annotations

import math
import re
import threading
import time

_ACCOUNT_SCIM = re.compile(r"^/api/2\.0/accounts/[^/]+/scim/v2/(?:Users|Groups|ServicePrincipals)(/[^/]+)?/?$")


def family_of(method: str, path: str) -> str:
    """Rate-limit family of a request (``path`` without the query string)."""
    if path.startswith("/ws/"):
        return "workspace"
    if method != "GET":
        return "write"
    m = _ACCOUNT_SCIM.match(path)
    if m:
        return "scim_get" if m.group(1) else "scim_list"
    return "other"


class TokenBucket:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """Consume a token; None when granted, else the seconds until one is available."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / self.rate


class RateLimiter:
    def __init__(self, limits: dict[str, float] | None) -> None:
        self._limits = dict(limits or {})
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, method: str, path: str) -> TokenBucket | None:
        family = family_of(method, path)
        if family not in self._limits:
            return None
        # Workspace APIs are limited per workspace, account APIs per account.
        key = path.split("/", 3)[2] if family == "workspace" else family
        with self._lock:
            return self._buckets.setdefault(key, TokenBucket(self._limits[family]))

    def retry_after(self, method: str, path: str) -> int | None:
        """None if the request may proceed, else the whole seconds to put in ``Retry-After`` (at least 1)."""
        bucket = self._bucket(method, path)
        if bucket is None:
            return None
        wait = bucket.take()
        if wait is None:
            return None
        return max(1, math.ceil(wait))
