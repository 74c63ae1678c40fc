"""The README is part of the product: it must name every option, exit code and command the code has."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from rls import exitcodes
from rls.cli import app
from rls.config import CollectConfig, PublishConfig, RlsConfig

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _keys() -> list[str]:
    keys = [f.name for f in dataclasses.fields(RlsConfig) if f.name not in ("collect", "publish")]
    keys += [f"collect.{f.name}" for f in dataclasses.fields(CollectConfig)]
    keys += [f"publish.{f.name}" for f in dataclasses.fields(PublishConfig)]
    return keys


def test_every_config_key_is_documented() -> None:
    missing = [k for k in _keys() if f"`{k}`" not in README]
    assert not missing, f"README lacks config keys {missing}"


def test_every_exit_code_is_documented() -> None:
    codes = {v for k, v in vars(exitcodes).items() if k.isupper()}
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", README, flags=re.M)}
    assert codes == documented


def test_every_command_is_documented() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    missing = [n for n in names if f"rls {n}" not in README]
    assert not missing, f"README lacks commands {missing}"


def test_readme_commands_exist() -> None:
    assert "./dev demo" in README and "./dev test" in README
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "./dev test" in ci


def test_collect_and_publish_help_describe_every_option() -> None:
    from typer.testing import CliRunner

    for command, prefix in (("collect", "collect."), ("publish", "publish.")):
        text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        keys = [k for k in _keys() if "." not in k or k.startswith(prefix)]
        missing = [k for k in keys if f"{k} (default" not in text]
        assert not missing, f"`rls {command} --help` lacks {missing}"
