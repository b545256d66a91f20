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
