"""The held-out request corpus stays what its README says it is.

It must be the generator's exact output (so nobody hand-edits labels), hold its label
invariants, and keep its wording sources independent: a reasoning demand that two sources
share would let a classifier tuned on one of them look as if it generalised to the other.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus" / "heldout"
POPULATIONS = {
    "naive", "paraphrase", "low_and_slow", "mimic", "adaptive", "logit_prober",
    "casual", "ide", "batch", "multitenant", "new_signup", "research",
}  # fmt: skip


@pytest.fixture(scope="module")
def gen():
    sys.path.insert(0, str(HERE))
    try:
        yield importlib.import_module("generate")
    finally:
        sys.path.remove(str(HERE))


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with (HERE / "heldout.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_committed_corpus_is_the_generators_output(gen) -> None:
    text = (HERE / "heldout.jsonl").read_text(encoding="utf-8")
    assert gen.dumps(gen.build()) == text


def test_records_hold_their_label_invariants(records) -> None:
    assert len(records) >= 3000
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert isinstance(r["elicit"], bool) and isinstance(r["focus"], bool), r["id"]
        assert r["elicit"] == (r["demand_at"] != "none"), r["id"]
        assert r["population"] in POPULATIONS, r["id"]
        roles = [m["role"] for m in r["messages"]]
        assert "user" in roles and set(roles) <= {"system", "user", "assistant"}, r["id"]
        assert all(m["content"].strip() for m in r["messages"]), r["id"]
    # a request without a demand position never asks; every class has both labels
    cells = Counter((r["elicit"], r["focus"]) for r in records)
    assert min(cells.values()) >= 300, cells


def test_languages_and_sources_are_covered(records) -> None:
    langs = Counter(r["lang"] for r in records)
    for lang in ("en", "zh", "ru", "es", "de", "pt", "ja", "fr", "ko"):
        assert langs[lang] >= 50, (lang, langs)
    assert sum(n for lang, n in langs.items() if "+" in lang) >= 100
    english = {r["source"] for r in records if r["lang"] == "en"}
    assert len(english) >= 6, english


def test_reasoning_demands_are_not_shared_between_sources(gen) -> None:
    vocab = {s.name: [*s.demands, *s.followups] for s in [*gen.en_registers.SPECS, *gen.intl.SPECS]}
    st, pop = gen.structured, gen.pop
    vocab["en_harness"] = [*st.H_DEMANDS, *st.H_DEMANDS_XML]
    vocab["en_agentic"] = st.A_DEMANDS
    vocab["en_evasive"] = [*st.E_DEMANDS, *st.E_PLAIN]
    vocab["en_ide"] = pop.MIMIC_DEMANDS
    vocab["en_homework"] = pop.HW_DEMANDS
    vocab["en_newsignup"] = pop.NS_DEMANDS
    vocab["mixed"] = [*gen.mixed.EN_WRAPPERS, *(w for w, _ in gen.mixed.FOREIGN_WRAPPERS)]
    owner: dict[str, str] = {}
    for name, lines in vocab.items():
        assert lines, name
        for line in lines:
            key = line.removeprefix("[f]").casefold().strip(" .!?")
            assert owner.setdefault(key, name) == name, (line, owner[key], name)


def test_readme_counts_are_the_generators(gen, records) -> None:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    tables = gen.counts(records).split("\n\n")
    for table in tables[:5]:
        assert table in readme, table.split("\n")[0]
