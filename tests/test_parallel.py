"""The fan-out helpers: every key ends in results or errors, exactly once; a crawl follows what its answers name."""

from __future__ import annotations

import threading

import pytest

from rls.parallel import Crawl, gather

# A graph with a cycle (c -> a) and a diamond (a -> b, a -> c, b -> d, c -> d).
GRAPH = {"a": ["b", "c"], "b": ["d"], "c": ["d", "a"], "d": [], "x": ["y"], "y": []}


def test_gather_keeps_every_key_in_one_of_the_two_dicts() -> None:
    def fn(k: int) -> int:
        if k % 3 == 0:
            raise ValueError(k)
        return k * 2

    results, errors = gather(fn, range(10), workers=3)
    assert results == {k: k * 2 for k in range(10) if k % 3}
    assert set(errors) == {0, 3, 6, 9}


def test_a_crawl_follows_children_once_through_cycles() -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def fn(k: str) -> list[str]:
        with lock:
            calls.append(k)
        return GRAPH[k]

    with Crawl(fn, workers=4, children=lambda r: r) as crawl:
        crawl.add(["a"])
        results, errors = crawl.join()
    assert results == {k: GRAPH[k] for k in "abcd"}
    assert errors == {}
    assert sorted(calls) == ["a", "b", "c", "d"]  # d is reached twice, c names a again: each runs once


def test_a_failed_key_is_an_error_its_children_are_not_followed_and_the_rest_goes_on() -> None:
    def fn(k: str) -> list[str]:
        if k == "b":
            raise PermissionError("b is hidden")
        return GRAPH[k]

    with Crawl(fn, workers=2, children=lambda r: r) as crawl:
        crawl.add(["b", "x"])
        results, errors = crawl.join()
    assert set(results) == {"x", "y"}
    assert set(errors) == {"b"} and "hidden" in str(errors["b"])


def test_join_waits_for_keys_added_while_it_runs() -> None:
    """A key handed in from another thread after join() began (a workspace read naming its groups) is waited for."""
    a_go, x_go = threading.Event(), threading.Event()
    seen: dict[str, list[str]] = {}

    def fn(k: str) -> list[str]:
        if k == "a":
            a_go.wait(timeout=30)
            crawl.add(["x"])  # from a worker thread, not as a child
        else:
            x_go.wait(timeout=30)
        return []

    with Crawl(fn, workers=2) as crawl:
        crawl.add(["a"])
        crawl.add(["a"])  # a key already handed in runs once
        joiner = threading.Thread(target=lambda: seen.update(crawl.join()[0]))
        joiner.start()
        joiner.join(timeout=0.2)  # bounded: lets join() start waiting before "a" names "x"
        a_go.set()
        joiner.join(timeout=0.5)  # "x" is held, so a join that is done now missed it
        waited_for_x = joiner.is_alive()
        x_go.set()
        joiner.join(timeout=30)
    assert waited_for_x
    assert set(seen) == {"a", "x"}


@pytest.mark.parametrize("workers", [0, 1])
def test_a_crawl_needs_at_least_one_worker(workers: int) -> None:
    with Crawl(lambda k: [], workers=workers) as crawl:
        crawl.add([1, 2, 3])
        assert set(crawl.join()[0]) == {1, 2, 3}
