"""Bounded fan-out that returns ``(results, errors)`` instead of dying on the first error."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

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


def describe(e: BaseException) -> str:
    """One line for a report: the exception's message, with its type when the message alone is vague."""
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__
