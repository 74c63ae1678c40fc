"""The members of the account groups that matter for access, fetched while the workspaces are still being read.

A workspace names account groups two ways: assigned to it, or members of its `admins` group. Each named group's
members are fetched (an account SCIM ``GET``: the family that sets the run's rate-limit floor) as soon as a
workspace's read names it, and the groups nested in it as soon as its answer arrives, not after every workspace is
read: a run then takes about its slowest family's floor rather than the sum of its phases (BENCHMARKS.md, section 2).
Only groups reachable from a workspace that was collected count; a group's members that cannot be read are reported
by the rows (:mod:`rls.collect.rows`), never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from rls.collect.workspace_reads import WorkspaceState
from rls.model.directory import GROUP, MemberRef
from rls.model.memberships import reachable_groups
from rls.parallel import Crawl, describe


class GroupMembers:
    """Use as a context manager around the workspace reads; :meth:`settle` once they are all done."""

    def __init__(self, fetch: Callable[[str], list[MemberRef]], workers: int) -> None:
        self._crawl: Crawl[str, list[MemberRef]] = Crawl(
            fetch, workers, children=lambda members: (m.id for m in members if m.kind == GROUP), name="rls-groups"
        )

    def named_by(self, w: WorkspaceState) -> None:
        """A workspace was read (after an elevation: once that read succeeded; a failed one names none): fetch the
        groups it names."""
        self._crawl.add(w.groups_named())

    def settle(self, running: list[WorkspaceState]) -> tuple[dict[str, list[MemberRef]], dict[str, str]]:
        """Members of every group reachable from the collected workspaces, and why those that failed did."""
        roots = {g for w in running if not w.error for g in w.groups_named()}
        while True:
            results, errors = self._crawl.join()
            reached = reachable_groups(roots, results)
            missing = reached - results.keys() - errors.keys()
            # Every collected workspace named its groups as its read succeeded; should one have been missed, it is
            # fetched here rather than reported as unreadable.
            if not missing:
                break
            self._crawl.add(missing)
        members = {g: results[g] for g in reached if g in results}
        return members, {g: describe(errors[g]) for g in reached if g in errors}

    def __enter__(self) -> GroupMembers:
        self._crawl.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._crawl.__exit__(exc_type, exc, tb)
