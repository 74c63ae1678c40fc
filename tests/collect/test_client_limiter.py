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


class _GrowingHosts(dict):
    """Workspace hosts as another thread sees them while a workspace client registers its host: iterating them
    fails (what CPython says when a dict changes size during iteration). Looking a key up is safe."""

    def __iter__(self):
        raise RuntimeError("dictionary changed size during iteration")

    def items(self):
        raise RuntimeError("dictionary changed size during iteration")


def test_a_request_is_matched_to_its_workspace_without_iterating_the_hosts_other_threads_add_to() -> None:
    """An account call (a group's members) made while the fan-out builds workspace clients failed the group, and
    every workspace naming it, when the limiter scanned the hosts (2,000-workspace benchmark: 941 workspaces)."""
    hosts = _GrowingHosts({"https://dbc-1.cloud.databricks.com": 1, "https://dbc-2.cloud.databricks.com": 2})
    limiter = RateLimiter({})
    limiter.workspace_hosts = hosts
    limiter.before("GET", f"{ACCOUNT}/scim/v2/Groups/g1")  # names no workspace: counted for the account
    limiter.before("GET", "https://dbc-2.cloud.databricks.com/api/2.0/preview/scim/v2/Groups?filter=x")
    limiter.before("GET", "https://dbc-2.cloud.databricks.com/api/2.0/preview/scim/v2/Groups/7")
    limiter.before("GET", "https://dbc-10.cloud.databricks.com/api/2.0/preview/scim/v2/Groups")  # not registered
    assert limiter.stats.by_workspace == {2: 2}
