"""`rls demo` wall time on a fresh work directory, broken into Spark start, data generation, collect, publish.

    uv run --group bench python benchmarks/demo_time.py --repeats 3

Each repeat is ``rls demo --json`` as an operator runs it: a fresh process (Spark allows one work directory per
process) on a new directory. The script reports the median of each part of the demo's own ``seconds`` and keeps every
run's whole report (outcome, views, who sees what). ``--keep DIR`` leaves the last run's work directory at ``DIR``
(to query it with ``rls sql --workdir DIR``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, machine, median, save


def one(workdir: Path, scenario: Path | None = None) -> dict[str, Any]:
    """``rls demo --json`` in a process of its own; its report (``seconds`` among it)."""
    cmd = [sys.executable, "-m", "rls", "demo", "--workdir", str(workdir), "--json"]
    cmd += ["--scenario", str(scenario)] if scenario else []
    ran = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if ran.returncode != 0:
        last = ran.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise SystemExit(f"rls demo exited {ran.returncode}: {last[0]}")
    return json.loads(ran.stdout)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scenario", type=Path, default=None, help="another account than the demo's own (the default)")
    p.add_argument("--keep", type=Path, default=None, help="leave the last run's work directory here")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--name", default="demo_time")
    a = p.parse_args(argv)
    reports = []
    for i in range(a.repeats):
        if a.keep is not None and i == a.repeats - 1:  # a workdir's metastore holds absolute paths: run it there
            shutil.rmtree(a.keep, ignore_errors=True)
            reports.append(one(a.keep, a.scenario))
            continue
        with tempfile.TemporaryDirectory(prefix="rls-bench-demo-") as tmp:
            reports.append(one(Path(tmp) / "demo", a.scenario))
    runs = [r["seconds"] for r in reports]
    doc = {
        "machine": machine(),
        "repeats": a.repeats,
        "scenario": str(a.scenario) if a.scenario else "the demo's own (rls_local/data/example-scenario.json)",
        "runs": runs,
        "median_seconds": {k: median([r[k] for r in runs]) for k in runs[0]},
        "reports": reports,
        "command": command_line(__file__, argv),
    }
    path = save(a.name, doc, a.out)
    print(", ".join(f"{k} {v:.1f}s" for k, v in doc["median_seconds"].items()) + f"; results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
