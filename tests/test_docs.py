"""The README's settings table must stay true to the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from antiextract.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(ANTIEXTRACT_[A-Z_]+)` \| ([^|]*) \|", README, re.M))
    for name, field in Settings.model_fields.items():
        var = f"ANTIEXTRACT_{name.upper()}"
        assert var in rows, f"{var} missing from the README settings table"
        default = field.default
        if default is None or default == ():
            assert "unset" in rows[var] or "none" in rows[var], var
        else:
            if isinstance(default, tuple):
                shown = ",".join(map(str, default))
            elif isinstance(default, dict):
                shown = json.dumps(default)
            else:
                shown = str(default)
            assert f"`{shown}`" in rows[var], f"{var}: README default {rows[var]!r} != {shown}"
    assert len(rows) == len(Settings.model_fields)


def test_readme_starts_with_the_two_commands() -> None:
    block = README.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["make demo", "make test"]


def test_every_weight_is_documented_with_its_default() -> None:
    import dataclasses

    from antiextract.model.cohorts import CohortModel
    from antiextract.model.risk import RiskModel
    from antiextract.request.signals import SignalWeights

    doc = (Path(__file__).resolve().parent.parent / "docs" / "signals.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", doc, re.M))
    for cls in (SignalWeights, RiskModel, CohortModel):
        for field in dataclasses.fields(cls):
            assert field.name in rows, f"{cls.__name__}.{field.name} missing from signals.md"
            assert rows[field.name] == str(field.default), (field.name, rows[field.name])


ROOT = Path(__file__).resolve().parent.parent


def test_every_relative_link_and_capability_path_in_the_readme_exists() -> None:
    """A fresh clone found `../shared/threats.md` (outside the repository) named twice and
    the capability table naming bare files (`middleware.py`) that live in subpackages:
    every Markdown link that is not a URL, every path the "What it does" table names, and
    every path that climbs out of the repository must be a file or folder of the clone."""
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        path = target.split("#", 1)[0]
        if path and not re.match(r"[a-z]+:", path) and not (ROOT / path).exists():
            missing.append(target)
    table = README.split("## What it does", 1)[1].split("\n## ", 1)[0]
    for row in re.findall(r"^\|[^\n]*\| ([^|\n]+) \|$", table, re.M):
        for path in re.findall(r"`([^`]+)`", row):
            if not (ROOT / path).exists():
                missing.append(path)
    for path in re.findall(r"`(\.\./[^`\s]+)`", README):
        missing.append(path)  # outside the clone: never there for a reader
    assert not missing, missing
