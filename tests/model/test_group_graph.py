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


def test_the_table_function_runs_where_this_package_is_not_installed(tmp_path) -> None:
    """What Spark ships to a Python worker unpickles and answers with ``rls`` unimportable there: whether the job's
    wheel is installed in a serverless UDTF worker is not documented, so the handler must not need it."""
    import subprocess
    import sys

    from pyspark import cloudpickle

    from rls.tables.expand import members_function

    edges = [
        {"group_id": "a", "group_name": "A", "member_id": "b", "member_type": tables.GROUP},
        {"group_id": "b", "group_name": "B", "member_id": "u1", "member_type": tables.USER},
    ]
    (tmp_path / "handler.pkl").write_bytes(cloudpickle.dumps(members_function(edges)))
    script = (
        "import pickle, sys\n"
        "sys.modules['rls'] = None  # any import of the package fails\n"
        f"handler = pickle.loads(open({str(tmp_path / 'handler.pkl')!r}, 'rb').read())\n"
        "print(sorted(handler().eval('a')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(sorted([("b", tables.GROUP, 1, "A"), ("u1", tables.USER, 2, "A > B")]))
