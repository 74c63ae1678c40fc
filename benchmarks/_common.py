"""Shared helpers of the benchmark scripts: the machine, medians, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def command_line(script: str, argv: list[str] | None) -> str:
    """How to rerun a benchmark with the arguments it was given (recorded in its results)."""
    return f"uv run --group bench python benchmarks/{Path(script).name} " + " ".join(argv or sys.argv[1:])


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def save(name: str, doc: dict[str, Any], out_dir: Path | None = None) -> Path:
    d = out_dir or RESULTS
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{name}.json"
    p.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    return p


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float | None:
    """A process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB, from /proc (None where unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def jvm_pid(backend: Any) -> int | None:
    """The local Spark JVM's process id, for its memory (None when the backend has no local JVM)."""
    gateway = getattr(getattr(getattr(backend, "spark", None), "sparkContext", None), "_gateway", None)
    proc = getattr(gateway, "proc", None)
    return getattr(proc, "pid", None)
