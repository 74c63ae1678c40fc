"""How one run of the job's tasks behaves: the CLI flags and the bundle job's parameters, as one value.

Built once where a run starts (CLI command, notebook task, local stack) and handed down unchanged to the collector
and the publisher, so a new flag is added here and where it is read, never re-listed by every caller in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    """Collect: show what would be elevated, write nothing (and publish nothing)."""
    force: bool = False
    """Collect: write even when the circuit breaker trips."""
    prune: bool = False
    """Publish: drop views whose system table disappeared (on top of ``publish.prune`` in the config)."""
    progress: Progress | None = None
    """Told ``(phase, done, total)`` as work advances (the CLI draws bars from it)."""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RunOptions:
        """The bundle job's parameters (notebook widgets: strings such as ``"true"``)."""
        return cls(**{key: _flag(params, key) for key in ("dry_run", "force", "prune")})


def _flag(params: Mapping[str, str], key: str) -> bool:
    return str(params.get(key, "")).strip().lower() in ("1", "true", "yes", "y")


DEFAULTS = RunOptions()
"""A plain run: what every caller that passes no options gets."""
