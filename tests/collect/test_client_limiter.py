"""The client-side limiter keys the workspace family per workspace and the account families per account."""

from __future__ import annotations

from rls.collect.ratelimit import RateLimiter

ACCOUNT = "http://h/api/2.0/accounts/a"


def test_workspace_calls_are_paced_per_workspace_account_calls_per_account() -> None:
    limiter = RateLimiter({"workspace": 1.0, "other": 1.0})  # burst of one token, then one a second
    limiter.workspace_hosts = {"http://h/ws/1": 1, "http://h/ws/2": 2}
    limiter.before("GET", "http://h/ws/1/api/2.1/unity-catalog/catalogs")
    limiter.before("GET", "http://h/ws/2/api/2.1/unity-catalog/catalogs")
    assert limiter.stats.waited_s == 0  # another workspace's bucket
    limiter.before("GET", "http://h/ws/1/api/2.1/unity-catalog/catalogs")
    assert limiter.stats.waited_s > 0.3  # the same workspace's bucket was empty
    waited = limiter.stats.waited_s
    limiter.before("GET", f"{ACCOUNT}/workspaces/1/permissionassignments")
    limiter.before("GET", f"{ACCOUNT}/workspaces/2/permissionassignments")
    assert limiter.stats.waited_s - waited > 0.3  # account calls share one bucket, whatever workspace they name
    assert limiter.stats.by_workspace == {1: 3, 2: 2}
