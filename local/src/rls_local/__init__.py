"""The local stack of `rls`: account emulator, embedded warehouse, scenario files, `rls demo`.

Imports :mod:`rls`, never the other way round: the job's wheel carries only :mod:`rls`. The CLI finds this
package through the ``rls.cli_plugins`` entry point (:mod:`rls_local.cli`).
"""

from __future__ import annotations

import logging


class _LoopbackMetadataFilter(logging.Filter):
    """Every client probes /.well-known/databricks-config; a local emulator answers 404, which the SDK logs as a
    warning on each construction. Drop just that line for loopback hosts."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("Failed to automatically resolve config") and "://127.0.0.1" in msg)


# Installed as soon as the local stack is used (any import of it), never by the production package.
logging.getLogger("databricks.sdk").addFilter(_LoopbackMetadataFilter())
