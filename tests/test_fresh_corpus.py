"""The fresh held-out request corpus (benchmarks/corpus/fresh) is its generator's output
and keeps the label invariants the classifier figures rely on."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus" / "fresh"


def _gen():
    spec = importlib.util.spec_from_file_location("fresh_generate", HERE / "generate.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows() -> list[dict]:
    with (HERE / "fresh.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_committed_corpus_is_the_generators_output() -> None:
    gen = _gen()
    assert (HERE / "fresh.jsonl").read_text(encoding="utf-8") == gen.render(gen.build())


def test_labels_ids_and_coverage() -> None:
    rows = _rows()
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({json.dumps(r["messages"], ensure_ascii=False) for r in rows}) == len(rows)
    for r in rows:
        assert isinstance(r["elicit"], bool) and isinstance(r["focus"], bool), r["id"]
        assert r["messages"][-1]["role"] == "user", r["id"]
        if r["population"] in ("paraphrase", "low_and_slow", "mimic"):
            assert r["elicit"] and r["focus"], r["id"]  # every harvest request is both
    langs = Counter(r["lang"] for r in rows)
    assert {"en", "zh", "ru", "es", "de", "fr", "ja", "pt", "it", "ko"} <= set(langs)
    cells = Counter((r["elicit"], r["focus"]) for r in rows)
    assert min(cells.values()) >= 100, cells  # every label combination is measured
    # copy-paste whitespace is in the corpus, not only in the tests
    text = "".join(m["content"] for r in rows for m in r["messages"])
    assert "\u00a0" in text and "\r\n" in text and "\u202f" in text
