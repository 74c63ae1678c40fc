"""Client-side rate limiting and call counting for every HTTP request the SDK sends.

The SDK honours ``Retry-After`` but has no limiter of its own, so a collector that fans out over 2,000 workspaces
would spend its time in 429 back-off. Requests are classified into endpoint families (Databricks publishes limits
per family; the workspace family per workspace) and each is paced by a token bucket. The limiter sits in the
SDK's ``requests`` session as a transport adapter, so paged list calls are paced page by page.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter

from rls.config_validation import RATE_LIMIT_FAMILIES
from rls.model.directory import SCIM_RESOURCE

_ACCOUNT_SCIM = re.compile(rf"/api/2\.0/accounts/[^/]+/scim/v2/({'|'.join(SCIM_RESOURCE.values())})(/[^/?]+)?$")
_WORKSPACE_IN_PATH = re.compile(r"/(?:workspaces|ws)/(\d+)(?:/|$)")

_HOST_PATH_SEGMENTS = 2  # how many path segments a workspace host may carry (the local account's "/ws/N")


def classify(method: str, url: str) -> str:
    """Endpoint family of a request: scim_get, scim_list, write, workspace or other."""
    path = urlparse(url).path
    if method.upper() in ("PUT", "POST", "PATCH", "DELETE"):
        return "write"
    m = _ACCOUNT_SCIM.search(path)
    if m:
        return "scim_get" if m.group(2) else "scim_list"
    if "/api/2.0/accounts/" in path:
        return "other"
    return "workspace"


def workspace_of(url: str, hosts: Mapping[str, int]) -> int | None:
    """Workspace a request is about: from the account API path, or from a workspace client's host.

    ``hosts`` grows while requests are made (a workspace client registers its host when it is built, on another
    thread), so it is looked up by key, never iterated: iterating it would fail ("dictionary changed size during
    iteration") for whichever request was scanning it at that moment, and cost a scan of every host per request.
    A host is ``scheme://netloc``, possibly with a short path (the local account serves workspace ``N`` under
    ``/ws/N``): the URL's first path segments are tried as its prefix."""
    parsed = urlparse(url)
    m = _WORKSPACE_IN_PATH.search(parsed.path)
    if m:
        return int(m.group(1))
    segments = parsed.path.split("/")[1 : _HOST_PATH_SEGMENTS + 1]
    prefixes = accumulate(
        segments, lambda prefix, segment: f"{prefix}/{segment}", initial=f"{parsed.scheme}://{parsed.netloc}"
    )
    return next((hosts[p] for p in prefixes if p in hosts), None)


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, bursts of at most ``burst``."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as needed; returns the seconds waited."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            time.sleep(wait)  # pacing, not synchronisation: the debt was booked under the lock
        return wait


@dataclass
class CallStats:
    by_family: Counter[str] = field(default_factory=Counter)
    by_workspace: Counter[int] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    waited_s: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_family.values())


class RateLimiter:
    def __init__(self, rates: dict[str, float]) -> None:
        unknown = set(rates) - set(RATE_LIMIT_FAMILIES)
        if unknown:
            raise ValueError(f"unknown rate-limit families {sorted(unknown)}; known: {', '.join(RATE_LIMIT_FAMILIES)}")
        # Half a second's worth of burst: the server's bucket holds a full second, so the other half absorbs requests
        # that leave here spaced out and arrive bunched (thread scheduling, network jitter) without a 429. A full
        # second here left 5% of a second of slack, and a loaded machine jitters more than that.
        self._buckets = {f: TokenBucket(r, burst=r / 2) for f, r in rates.items()}
        self._per_workspace: dict[int, TokenBucket] = {}
        self.stats = CallStats()
        self.workspace_hosts: dict[str, int] = {}
        self._lock = threading.Lock()

    def _bucket(self, family: str, wid: int | None) -> TokenBucket | None:
        bucket = self._buckets.get(family)
        if bucket is None or family != "workspace" or wid is None:
            return bucket
        # Workspace APIs are limited per workspace: one workspace's reads never wait behind another's (an elevated
        # workspace's read does not queue behind the fan-out over all the others).
        with self._lock:
            return self._per_workspace.setdefault(wid, TokenBucket(bucket.rate, burst=bucket.burst))

    def before(self, method: str, url: str) -> None:
        family = classify(method, url)
        wid = workspace_of(url, self.workspace_hosts)
        bucket = self._bucket(family, wid)
        waited = bucket.acquire() if bucket else 0.0
        with self._lock:
            self.stats.by_family[family] += 1
            self.stats.waited_s += waited
            if wid is not None:
                self.stats.by_workspace[wid] += 1

    def after(self, status: int) -> None:
        with self._lock:
            self.stats.statuses[status] += 1


class LimitedAdapter(HTTPAdapter):
    """Transport adapter that paces and counts each request before it goes out."""

    def __init__(self, limiter: RateLimiter, **kwargs) -> None:
        super().__init__(**kwargs)
        self._limiter = limiter

    def send(self, request: requests.PreparedRequest, *args, **kwargs) -> requests.Response:
        self._limiter.before(request.method or "GET", request.url or "")
        response = super().send(request, *args, **kwargs)
        self._limiter.after(response.status_code)
        return response
