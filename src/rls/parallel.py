"""Bounded fan-outs that return ``(results, errors)`` instead of dying on the first error: :func:`gather` over keys
known up front, :class:`Crawl` over keys that turn up while it runs (a graph walked as its nodes are discovered)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from types import TracebackType
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


def gather(
    fn: Callable[[K], R],
    keys: Iterable[K],
    workers: int,
    on_done: Callable[[K], None] | None = None,
) -> tuple[dict[K, R], dict[K, BaseException]]:
    """Run ``fn`` on every key with at most ``workers`` threads; every key ends in exactly one of the two dicts."""
    results: dict[K, R] = {}
    errors: dict[K, BaseException] = {}
    keys = list(keys)
    if not keys:
        return results, errors
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(keys))), thread_name_prefix="rls") as pool:
        futures = {pool.submit(fn, k): k for k in keys}
        for fut in as_completed(futures):
            key = futures[fut]
            try:
                results[key] = fut.result()
            except Exception as e:
                logger.debug("task %r failed: %s", key, e)
                errors[key] = e
            if on_done:
                on_done(key)
    return results, errors


class Crawl(Generic[K, R]):
    """Run ``fn`` once per key, at most ``workers`` at a time, for keys handed in while it runs (:meth:`add`, from
    any thread) and for the keys each result names (``children``); :meth:`join` waits for all of them. ``on_done``
    is told of each key as it finishes, failed or not.

    Why not :func:`gather` per level: work that starts as soon as its key is known overlaps with whatever discovers
    the keys (the collector fetches a group's members while other workspaces are still being read), so a run is
    not the sum of its phases."""

    def __init__(
        self,
        fn: Callable[[K], R],
        workers: int,
        children: Callable[[R], Iterable[K]] = lambda _: (),
        name: str = "rls-crawl",
        on_done: Callable[[K], None] | None = None,
    ) -> None:
        self._fn = fn
        self._children = children
        self._on_done = on_done
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
        self._lock = threading.Lock()
        self._seen: set[K] = set()
        self._futures: list[Future[None]] = []
        self.results: dict[K, R] = {}
        self.errors: dict[K, BaseException] = {}

    def add(self, keys: Iterable[K]) -> None:
        with self._lock:
            new = [k for k in keys if k not in self._seen]
            self._seen.update(new)
            self._futures.extend(self._pool.submit(self._one, k) for k in new)

    def _one(self, key: K) -> None:
        try:
            result = self._fn(key)
        except Exception as e:
            logger.debug("task %r failed: %s", key, e)
            with self._lock:
                self.errors[key] = e
        else:
            with self._lock:
                self.results[key] = result
            self.add(self._children(result))  # before this task ends, so join() never misses a child
        if self._on_done:
            self._on_done(key)

    def join(self) -> tuple[dict[K, R], dict[K, BaseException]]:
        """Wait until every key added so far, and every child of theirs, is done."""
        while True:
            with self._lock:
                self._futures = [f for f in self._futures if not f.done()]
                running = list(self._futures)
            if not running:
                return self.results, self.errors
            wait(running, return_when=FIRST_COMPLETED)

    def close(self, cancel: bool = False) -> None:
        """Wait for the keys that are running; ``cancel``: drop those not started yet."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> Crawl[K, R]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(cancel=exc is not None)


def describe(e: BaseException) -> str:
    """One line for a report: the exception's message, with its type when the message alone is vague."""
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__
