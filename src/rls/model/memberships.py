"""Which groups matter: those reachable from the assigned ones through nesting (cycles tolerated). Their members
are fetched; the flattening itself is done by the SQL engine (:mod:`rls.tables.expand`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rls.model.directory import GROUP, PRINCIPAL_TYPE, MemberRef

GROUP_TYPE = PRINCIPAL_TYPE[GROUP]  # as the tables spell it; a str: GroupGraph is shipped by value to Spark's workers


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


class GroupGraph:
    """The direct edges of every fetched group, for expanding one group at a time: what each Spark task holds while
    it expands its share of the groups (a few MB at the platform's limits of 5,000 groups and 10,000 users)."""

    def __init__(self, edges: Iterable[tuple[str, str, str, str]]) -> None:
        """``edges``: (group id, group name, member id, member type), member types in the tables' vocabulary."""
        children: dict[str, set[tuple[str, str]]] = {}
        self.names: dict[str, str] = {}
        for group_id, group_name, member_id, member_type in edges:
            self.names[group_id] = group_name
            children.setdefault(group_id, set()).add((member_id, member_type))
        # Each group's members in id order: walking a level in path order then visiting each group's members in id
        # order yields the next level in path order too, so the first path found to a member is the smallest.
        self.children = {g: sorted(c) for g, c in children.items()}

    def groups(self) -> list[str]:
        return sorted(self.children)

    def members(self, root: str) -> list[tuple[str, str, int, str]]:
        """Every member of ``root`` at any depth, each once: (member id, member type, depth, path). The depth is the
        shortest; among paths of that length the smallest by group ids. The path names the groups from ``root`` down
        to the member's own group (``"a > b"``). Cycles end: a group is expanded once, ``root`` never as a member."""
        chain = {root: self.names.get(root, root)}  # each group reached: the names from root down to it
        found: set[tuple[str, str]] = set()
        out = []
        level, depth = [root], 0
        while level:
            depth += 1
            below = []
            for group in level:  # in path order, smallest first
                path = chain[group]
                for member_id, member_type in self.children.get(group, ()):
                    if member_type == GROUP_TYPE:
                        if member_id in chain:
                            continue
                        chain[member_id] = f"{path} > {self.names.get(member_id, member_id)}"
                        below.append(member_id)
                    elif (member_id, member_type) in found:
                        continue
                    else:
                        found.add((member_id, member_type))
                    out.append((member_id, member_type, depth, path))
            level = below
        return out
