"""Who runs a statement on the local warehouse: what ``current_user()`` (and ``session_user()``) return, per thread.

On Databricks each session belongs to one principal. Here one Spark session serves every identity a test or
`rls sql --as` reads as, so the identity is set per thread: Spark's ``CurrentUserContext.CURRENT_USER`` is a JVM
``InheritableThreadLocal``, and with pyspark's pinned threads (the default) each Python thread talks to a JVM thread of
its own. A thread that sets none runs as the job's identity (the publisher's worker threads), else as the platform.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rls_local.warehouse.session import WarehouseError


class Identities:
    def __init__(self, spark: Any) -> None:
        # Without pinning, threads would share JVM threads and see each other's identity: refuse that rather than
        # leak rows.
        if os.environ.get("PYSPARK_PIN_THREAD", "true").strip().lower() == "false":
            raise WarehouseError("PYSPARK_PIN_THREAD=false: per-thread identities need pinned threads; unset it")
        self._jvm_user = spark._jvm.org.apache.spark.sql.catalyst.CurrentUserContext.CURRENT_USER()
        self._thread = threading.local()
        self.job: str | None = None
        """The identity the job runs as, for every thread that set none itself (None: the platform's principal)."""

    @contextmanager
    def acting_as(self, identity: str) -> Iterator[None]:
        """``current_user()`` returns ``identity`` for statements run by this thread inside the block.

        Spark folds ``current_user()`` into a literal while planning, so build and collect inside the block.
        """
        if not identity or not identity.strip():
            # A blank identity would fall back to the job's, or to the platform's own principal (metastore admin).
            raise WarehouseError("an identity is needed (an e-mail or a service principal's application id), not blank")
        previous = self._jvm_user.get()
        previous_py = getattr(self._thread, "value", None)
        self._jvm_user.set(identity)
        self._thread.value = identity
        try:
            yield
        finally:
            self._thread.value = previous_py
            if previous is None:
                self._jvm_user.remove()
            else:
                self._jvm_user.set(previous)

    @contextmanager
    def job_runs_as(self, identity: str | None) -> Iterator[None]:
        previous = self.job
        self.job = identity
        try:
            yield
        finally:
            self.job = previous

    @property
    def current(self) -> str | None:
        """This thread's identity, else the job's, else None (the platform)."""
        return getattr(self._thread, "value", None) or self.job

    @contextmanager
    def for_statement(self) -> Iterator[None]:
        """Around one statement: a worker thread of the job has no identity of its own, it runs as the job's."""
        if getattr(self._thread, "value", None) is None and self.job is not None:
            with self.acting_as(self.job):
                yield
        else:
            yield
