"""`rls` run in the test's own process: the console script's ``main``, its exit code and output captured.

A new process pays a JVM start and a cold Spark for every command; in this process the commands share one JVM.
One Spark session exists per process and one workdir per session (:func:`rls_local.warehouse.session.local_spark`):
a command on another workdir than the open session's stops that session first, as a new process would not have it
— so a module using this runs after every test of the shared ``warehouse`` (tests/conftest.py orders them).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Ran:
    """What ``subprocess.run(..., capture_output=True, text=True)`` returns that the tests read."""

    returncode: int
    stdout: str
    stderr: str


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    return _run(capsys.readouterr, *args)


def run_main_redirected(*args: str) -> Ran:
    """As :func:`run_main`, where ``capsys`` cannot be had (a module-scoped fixture): ``sys.stdout`` and
    ``sys.stderr`` go to buffers of their own for the call, as ``capsys`` puts them."""
    out, err = io.StringIO(), io.StringIO()

    def take() -> tuple[str, str]:
        taken = out.getvalue(), err.getvalue()
        for buffer in (out, err):
            buffer.seek(0)
            buffer.truncate()
        return taken

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        return _run(take, *args)


def _run(take: Callable[[], tuple[str, str]], *args: str) -> Ran:
    """``main(args)``; ``take`` returns what was printed since it was last called, and forgets it."""
    from rls.cli import main

    _leave_other_workdir(args)
    take()
    # What `rls` prints to stderr through logging.basicConfig in its own process (here pytest owns the root logger).
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        with pytest.raises(SystemExit) as exited:  # main always exits, as the console script does
            main(list(args))
    finally:
        logging.getLogger().removeHandler(handler)
    out, err = take()
    code = exited.value.code
    return Ran(code if isinstance(code, int) else 0 if code is None else 1, out, err)


def _leave_other_workdir(args: tuple[str, ...]) -> None:
    """Stop the open Spark session if the command works on another workdir."""
    if "--workdir" not in args:
        return
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:
        return
    wanted = (Path(args[args.index("--workdir") + 1]) / "warehouse").resolve()
    if Path(active.conf.get("spark.sql.warehouse.dir", "").removeprefix("file:")).resolve() != wanted:
        active.stop()
