"""Every configuration key with its default and what it does, as `rls config` and the commands' --help list them."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import json
from typing import Any

from rls.config import CollectConfig, PublishConfig, RlsConfig, SharingConfig
from rls.config_validation import BOUNDS


def _default_text(value: Any) -> str:
    """A default as the YAML file would spell it: `unset`, `true`, `["*"]`, never a Python repr."""
    if value is None:
        return "unset"
    if isinstance(value, bool | list | dict):
        return json.dumps(value)
    return str(value)


def config_keys(*sections: str) -> list[str]:
    """One line per configuration key of the top level and ``sections``: ``key (default X): what it does``."""
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


def field_help(klass: type = RlsConfig) -> dict[str, str]:
    """One-line description of every option, from the docstring under each field."""
    out: dict[str, str] = {}
    tree = ast.parse(inspect.getsource(klass))
    body = tree.body[0].body  # type: ignore[attr-defined]
    prefix = {CollectConfig: "collect.", PublishConfig: "publish.", SharingConfig: "sharing."}.get(klass, "")
    for node, nxt in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            name = node.target.id  # type: ignore[attr-defined]
            out[name] = str(nxt.value.value).strip()
            bound = BOUNDS.get(f"{prefix}{name}") or BOUNDS.get(f"{prefix}{name}.*")
            if bound is not None:  # the range checked at load (rls.config_validation)
                out[name] += f" Range: {bound.text()}."
    return out
