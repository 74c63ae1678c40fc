"""Which groups matter: those reachable from the assigned ones through nesting (cycles tolerated). Their members
are fetched; the flattening itself is done by the SQL engine (:mod:`rls.collect.expand`)."""

from __future__ import annotations

from collections import deque

from rls.model.directory import GROUP, MemberRef


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
