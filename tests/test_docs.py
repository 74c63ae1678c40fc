"""The README and docs/ are part of the product: they name every option, exit code and command the code has, every
link resolves, and nothing shipped points outside the repository."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rls import exitcodes
from rls.cli import app
from rls.config import CollectConfig, PublishConfig, RlsConfig, SharingConfig

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
README = "\n".join(p.read_text(encoding="utf-8") for p in DOC_FILES)  # the README and everything it links to


def _keys() -> list[str]:
    keys = [f.name for f in dataclasses.fields(RlsConfig) if f.name not in ("collect", "publish", "sharing")]
    keys += [f"collect.{f.name}" for f in dataclasses.fields(CollectConfig)]
    keys += [f"publish.{f.name}" for f in dataclasses.fields(PublishConfig)]
    keys += [f"sharing.{f.name}" for f in dataclasses.fields(SharingConfig)]
    return keys


def test_every_config_key_is_documented() -> None:
    missing = [k for k in _keys() if f"`{k}`" not in README]
    assert not missing, f"README lacks config keys {missing}"


def test_every_exit_code_is_documented() -> None:
    codes = {v for k, v in vars(exitcodes).items() if k.isupper()}
    tables = "".join((ROOT / "docs" / n).read_text(encoding="utf-8") for n in ("cli.md", "troubleshooting.md"))
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", tables, flags=re.M)}
    assert codes == documented


def test_every_command_is_documented() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    missing = [n for n in names if f"rls {n}" not in README]
    assert not missing, f"README lacks commands {missing}"


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./dev demo" in readme and "./dev test" in readme
    assert len(readme) < 8000  # the short path in; the rest lives in docs/
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "./dev test" in ci


def test_collect_and_publish_help_describe_every_option() -> None:
    from typer.testing import CliRunner

    for command, prefix in (("collect", "collect."), ("publish", "publish.")):
        text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        keys = [k for k in _keys() if "." not in k or k.startswith(prefix)]
        missing = [k for k in keys if f"{k} (default" not in text]
        assert not missing, f"`rls {command} --help` lacks {missing}"


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_docs_link_resolves() -> None:
    checked = 0
    for doc in DOC_FILES:
        for target in _LINK.findall(doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            dest = (doc.parent / path).resolve() if path else doc
            assert dest.exists(), f"{doc.name}: link {target} points at nothing"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", dest.read_text(encoding="utf-8"), flags=re.M)
                assert anchor in {_slug(h) for h in headings}, f"{doc.name}: no heading #{anchor} in {dest.name}"
            checked += 1
    assert checked > 10


def test_the_slug_rule_can_fail() -> None:
    assert _slug("1. `rls doctor`: will this account work?") == "1-rls-doctor-will-this-account-work"
    assert _slug("Several regions: one collection, views in every region") != "several-regions"


def _shipped() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [ROOT / f for f in listed.splitlines()] + [ROOT / "docs" / p.name for p in (ROOT / "docs").glob("*")]
    return sorted({f for f in files if f.is_file() and f.suffix in (".py", ".md", ".yml", ".yaml", ".json", ".toml")})


def test_nothing_shipped_points_outside_the_repository() -> None:
    """No file refers to the development machines' sibling folder of shared notes: a clone has none."""
    outside = re.compile(
        "|".join(
            re.escape(p)
            for p in (
                "../" + "shared",
                "/work/" + "shared",
                "shared" + "/spec",
                "shared" + "/docs",
                "shared" + "/reference",
            )
        )
    )
    found = [
        f"{f.relative_to(ROOT)}:{m.group(0)}"
        for f in _shipped()
        for m in outside.finditer(f.read_text(errors="ignore"))
    ]
    assert found == []


def test_the_readme_s_connect_command_works_as_written() -> None:
    """The command the docs give for databricks-connect resolves against the lock (uv's declared conflicts make a
    plain `uv sync --extra connect` fail: the dev group is on by default)."""
    (command,) = set(re.findall(r"`(uv sync --extra connect[^`]*)`", README))
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv not on PATH")
    args = command.split()[1:]
    proc = subprocess.run([uv, *args, "--frozen", "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_dashboard_never_asks_for_grants_on_system_tables() -> None:
    for board in (ROOT / "src" / "dashboards").glob("*.lvdash.json"):
        doc = json.loads(board.read_text(encoding="utf-8"))
        texts = [line for page in doc["pages"] for item in page["layout"]
                 for line in item["widget"].get("multilineTextboxSpec", {}).get("lines", [])]  # fmt: skip
        assert texts and not [t for t in texts if re.search(r"SELECT on system\.", t)], board.name


def test_help_and_config_listing_are_plain() -> None:
    from typer.testing import CliRunner

    for args in (["--help"], ["collect", "--help"], ["publish", "--help"], ["doctor", "--help"]):
        text = CliRunner().invoke(app, args, env={"COLUMNS": "200"}).output
        assert "<bool>" not in text and "<int>" not in text, args
    listing = CliRunner().invoke(app, ["config"]).output
    for key in ("sharing.share", "sharing.recipients", "sharing.source_catalog", "sharing.provider"):
        assert f"{key} (default" in listing
    assert "None" not in listing and "Config(" not in listing and "'" not in listing.split("):")[0]
