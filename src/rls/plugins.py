"""The one door from :mod:`rls` to optional code: CLI plugins found by entry point, never imported by name.

A distribution declares ``[project.entry-points."rls.cli_plugins"] <name> = "<module>:register"``;
``register(app)`` adds its commands to the CLI and may offer a :class:`LocalStack` (what ``--workdir`` runs on).
The job's wheel declares none, so on Databricks nothing beyond :mod:`rls` is ever loaded. The local stack
(``rls-local``: emulator, local warehouse, ``rls demo``) is such a plugin, installed by ``uv sync`` in a checkout.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rls.errors import InputError

if TYPE_CHECKING:
    from rls.context import Context

logger = logging.getLogger(__name__)

GROUP = "rls.cli_plugins"
LOCAL_COMMANDS = ("demo", "sql", "emulator")  # the local stack's commands; a clear error when it is absent
INSTALL_HINT = "run `uv sync` in a checkout of rls (it installs the rls-local package, dev group)"


class LocalStack(Protocol):
    """What the CLI's ``--workdir`` option needs from the local stack."""

    def run_task(self, task: str, **kw: Any) -> dict[str, Any]: ...

    def context(
        self, config: Path | None, catalog: str | None, schema: str | None, workdir: Path, metastore: str | None = None
    ) -> Context: ...

    def doctor(
        self, config: Path | None, catalog: str | None, schema: str | None, workdir: Path, scenario: Path | None
    ) -> Any: ...


class LocalStackMissing(InputError):
    """A command or option of the local stack, which is not installed (the job's wheel never has it)."""


_local: LocalStack | None = None


def offer_local_stack(stack: LocalStack) -> None:
    global _local
    _local = stack


def missing(what: str) -> LocalStackMissing:
    """The one-line error: ``what`` needs the local stack, and how to install it."""
    return LocalStackMissing(
        f"{what} needs the local stack (emulator, local warehouse), which is not installed: {INSTALL_HINT}"
    )


def local_stack(what: str) -> LocalStack:
    """The installed local stack, or :func:`missing` naming ``what`` needed it."""
    if _local is None:
        raise missing(what)
    return _local


def load(app: Any) -> list[str]:
    """Let every installed plugin register itself on ``app``; returns their names. A declared plugin that cannot
    be imported (e.g. a half-installed environment) is skipped: the CLI then lacks its commands, nothing else."""
    loaded = []
    for ep in entry_points(group=GROUP):
        try:
            register = ep.load()
        except ImportError as e:
            logger.debug("rls plugin %s not loaded: %s", ep.name, e)
            continue
        register(app)
        loaded.append(ep.name)
    return loaded
