"""`rls demo` wall time on a fresh work directory, broken into Spark start, data generation, collect, publish.

    uv run --group bench python benchmarks/demo_time.py --repeats 3

Each repeat is a fresh process (Spark allows one work directory per process) running ``run_demo`` on a new
directory; the script reports the median of each part of ``DemoResult.seconds``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, machine, median, save


def one(workdir: Path, scenario: Path | None = None) -> dict[str, float]:
    from rls_local.demo import run_demo

    r = run_demo(scenario, workdir)
    if r.exit_code != 0:
        raise SystemExit(f"demo exited {r.exit_code}")
    return r.seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--once", type=Path, default=None, help=argparse.SUPPRESS)  # child: one demo in this workdir
    p.add_argument("--scenario", type=Path, default=None, help="another account than the demo's own (the default)")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--name", default="demo_time")
    a = p.parse_args(argv)
    if a.once:
        print(json.dumps(one(a.once, a.scenario)))
        return 0
    runs = []
    for _ in range(a.repeats):
        with tempfile.TemporaryDirectory(prefix="rls-bench-demo-") as tmp:
            cmd = [sys.executable, __file__, "--once", str(Path(tmp) / "demo")]
            cmd += ["--scenario", str(a.scenario)] if a.scenario else []
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    keys = list(runs[0])
    doc = {
        "machine": machine(),
        "repeats": a.repeats,
        "scenario": str(a.scenario) if a.scenario else "the demo's own (rls_local/data/example-scenario.json)",
        "runs": runs,
        "median_seconds": {k: median([r[k] for r in runs]) for k in keys},
        "command": command_line(__file__, argv),
    }
    path = save(a.name, doc, a.out)
    print(", ".join(f"{k} {v:.1f}s" for k, v in doc["median_seconds"].items()) + f"; results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
