"""GroupGraph.members (what each Spark task runs to expand its groups) against brute force: every simple path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rls import tables
from rls.model.memberships import GroupGraph

GROUPS = [f"g{i}" for i in range(6)]
USERS = [f"u{i}" for i in range(4)]


def brute_force(edges: list[tuple[str, str, str, str]], root: str) -> dict[tuple[str, str], tuple[int, str]]:
    """Each member's (depth, path): the shortest simple path from ``root``, the smallest by group ids among those."""
    names = {g: n for g, n, _, _ in edges}
    best: dict[tuple[str, str], tuple[int, list[str]]] = {}

    def walk(path: list[str]) -> None:
        for g, _, member, kind in edges:
            if g != path[-1]:
                continue
            candidate = (len(path), path)
            key = (member, kind)
            if kind == tables.GROUP and (member in path):
                continue  # a cycle back into the path (or a group listing itself): not a member through this path
            if key not in best or candidate < best[key]:
                best[key] = candidate
            if kind == tables.GROUP:
                walk([*path, member])

    walk([root])
    return {k: (d, " > ".join(names[g] for g in p)) for k, (d, p) in best.items()}


edge = st.one_of(
    st.tuples(st.sampled_from(GROUPS), st.sampled_from(GROUPS), st.just(tables.GROUP)),
    st.tuples(st.sampled_from(GROUPS), st.sampled_from(USERS), st.sampled_from([tables.USER, "SERVICE_PRINCIPAL"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(edge, max_size=18))
def test_members_match_every_simple_path(raw: list[tuple[str, str, str]]) -> None:
    edges = [(g, f"name-{g}", m, kind) for g, m, kind in raw]
    graph = GroupGraph(edges)
    for root in graph.groups():
        got = graph.members(root)
        assert len(got) == len({(m, k) for m, k, _, _ in got}), "a member listed twice"
        assert {(m, k): (d, p) for m, k, d, p in got} == brute_force(edges, root)


def test_a_cycle_ends_and_the_shortest_path_wins() -> None:
    G, U = tables.GROUP, tables.USER
    graph = GroupGraph(
        [
            *[("a", "A", "b", G), ("b", "B", "c", G), ("c", "C", "a", G)],
            *[("c", "C", "u2", U), ("a", "A", "u1", U), ("c", "C", "u1", U)],
        ]
    )
    assert sorted(graph.members("a")) == [
        ("b", G, 1, "A"),
        ("c", G, 2, "A > B"),
        ("u1", U, 1, "A"),
        ("u2", U, 3, "A > B > C"),
    ]
