"""The named mutants CI runs (scripts/mutants.py) must still apply to the code: a change
that rewrites a mutated line left CI's mutation step stopping on "the text to change is
not in ... once" (twice in one stop). This catches it in the test-suite, before CI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import mutants  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_named_mutant_changes_its_text_exactly_once(mutant) -> None:
    source = (ROOT / mutant.path).read_text(encoding="utf-8")
    assert source.count(mutant.old) == 1, f"{mutant.name}: {mutant.old!r} in {mutant.path}"
    assert mutant.new != mutant.old
