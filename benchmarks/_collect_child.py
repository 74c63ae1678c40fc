"""One collector run in a process of its own, for ``collector_scale.py --before COMMIT``: whatever ``rls`` is first on
``PYTHONPATH`` (a worktree of an older commit) collects from an emulator another process serves.

Reads a JSON job on stdin (the emulator's URL, credentials, the account's settings, config overrides, a directory),
runs ``jobs.execute("collect")`` against an in-memory SQL backend (the API side only, as ``--sql memory``) and prints
one JSON line: the report's counts, the wall time and which ``rls`` ran. Imports only names that exist in the commits
it is meant for (the collector's public seams: ``load_config``, ``Clients``, ``Ledger``, ``execute``).
"""

from __future__ import annotations

import collections
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def main() -> int:
    job = json.load(sys.stdin)
    import rls
    from rls.collect.clients import Clients
    from rls.collect.elevation import Ledger
    from rls.config import load_config
    from rls.jobs import execute
    from rls.sql.backend import SqlBackend

    class MemoryBackend(SqlBackend):  # as collector_scale.MemoryBackend, against this rls's SqlBackend
        def __init__(self) -> None:
            super().__init__("delta")
            self.tables: dict[str, int] = {}

        def _execute(self, sql: str) -> bool:
            return True

        def _fetch(self, sql: str) -> list[dict[str, Any]]:
            if "count(*)" in sql:
                return [{"n": 0}]
            return [{"d": None}] if "max(depth)" in sql else []

        def _stage(self, rows: list[Any], schema: str) -> Any:
            return rows

        def _write(self, full_name: str, staged: Any, mode: str) -> None:
            self.tables[full_name] = len(staged) + (self.tables.get(full_name, 0) if mode == "append" else 0)

        def _table_exists(self, full_name: str) -> bool:
            return full_name in self.tables

        def _query_frame(self, sql: str) -> Any:
            return []

        def _register_table_function(self, name: str, handler: type, returns: str) -> None:
            pass

    tmp = Path(job["tmp"])
    cfg = load_config(None, {**job["settings"], "collect.elevation_ledger": str(tmp / "ledger-dir")} | job["overrides"])
    t = time.perf_counter()
    rep = execute(
        "collect",
        cfg,
        MemoryBackend(),
        clients=lambda: Clients(cfg.collect, job["credentials"], auth_type="oauth-m2m"),
        ledger=Ledger(tmp / "ledger"),
    )["collect"]
    wall = time.perf_counter() - t
    print(
        json.dumps(
            {
                "rls_module": rls.__file__,
                "outcome": rep.outcome,
                "wall_seconds": wall,
                "elevations": len(rep.elevations),
                "elevations_by_level": dict(collections.Counter(getattr(rep, "elevated_to", {}).values())),
                "workspaces_by_outcome": dict(collections.Counter(w.outcome for w in rep.workspaces)),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
