"""Every configuration key with its default and what it does, as `rls config` and the commands' --help list them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


def _default_text(value: Any) -> str:
    """A default as the YAML file would spell it: `unset`, `true`, `["*"]`, never a Python repr."""
    if value is None:
        return "unset"
    if isinstance(value, bool | list | dict):
        return json.dumps(value)
    return str(value)


def config_keys(*sections: str) -> list[str]:
    """One line per configuration key of the top level and ``sections``: ``key (default X): what it does``."""
    from rls.config import CollectConfig, PublishConfig, RlsConfig, SharingConfig, field_help

    nested = {"collect": CollectConfig, "publish": PublishConfig, "sharing": SharingConfig}
    lines = []
    for prefix, klass in [("", RlsConfig)] + [(f"{n}.", nested[n]) for n in sections]:
        helps = field_help(klass)
        for f in dataclasses.fields(klass):
            if f.name in nested:
                continue
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            lines.append(
                f"{prefix}{f.name} (default {_default_text(default)}): {' '.join(helps.get(f.name, '').split())}"
            )
    return lines
