"""Transitive group membership: nested to any depth, cycles tolerated."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from rls.model.directory import GROUP, Directory, MemberRef


class FlatMember(NamedTuple):  # tens of millions on a large account: cheap to build
    group_id: str
    member: MemberRef
    depth: int  # 1: direct member
    path: tuple[str, ...]  # group ids from the outer group down to the one holding the member directly


def reachable_groups(roots: set[str], members: dict[str, list[MemberRef]]) -> set[str]:
    """Every group reachable from ``roots`` through nesting, given the members known so far."""
    seen: set[str] = set()
    queue = deque(roots)
    while queue:
        gid = queue.popleft()
        if gid in seen:
            continue
        seen.add(gid)
        queue.extend(m.id for m in members.get(gid, ()) if m.kind == GROUP)
    return seen


def flatten_group(gid: str, members: dict[str, list[MemberRef]]) -> list[FlatMember]:
    """All members of ``gid`` at any depth (breadth first, so each member keeps its shortest path).

    Nested groups are listed as members too; a cycle back to an already visited group stops there.
    """
    out: list[FlatMember] = []
    seen_members: set[MemberRef] = set()
    visited = {gid}
    queue: deque[tuple[str, tuple[str, ...]]] = deque([(gid, (gid,))])
    while queue:
        current, path = queue.popleft()
        for m in members.get(current, ()):
            if m in seen_members or (m.kind == GROUP and m.id == gid):
                continue
            seen_members.add(m)
            out.append(FlatMember(gid, m, len(path), path))
            if m.kind == GROUP and m.id not in visited:
                visited.add(m.id)
                queue.append((m.id, (*path, m.id)))
    return out


def flatten_all(directory: Directory, group_ids: set[str]) -> dict[str, list[FlatMember]]:
    return {gid: flatten_group(gid, directory.members) for gid in sorted(group_ids)}


def path_names(directory: Directory, path: tuple[str, ...]) -> str:
    """Readable chain such as ``sales-admins > platform`` (outer group first)."""
    return " > ".join(directory.groups[g].name if g in directory.groups else g for g in path)


class PathNames:
    """:func:`path_names` remembered per path: the members of one nested group share its chain, and large accounts
    have millions of members."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._names: dict[tuple[str, ...], str] = {}

    def __call__(self, path: tuple[str, ...]) -> str:
        if path not in self._names:
            self._names[path] = path_names(self._directory, path)
        return self._names[path]
