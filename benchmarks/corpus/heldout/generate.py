"""Write the held-out request corpus (heldout.jsonl) and print its counts.

    python3 benchmarks/corpus/heldout/generate.py            # write heldout.jsonl, print counts
    python3 benchmarks/corpus/heldout/generate.py --check    # regenerate in memory, compare

Pure standard library, seeded: every source draws from its own `random.Random` seeded by
(SEED, source name), so adding or resizing one source leaves the others' requests as they
were. Exact duplicates (same messages) are dropped and redrawn; a source whose grammar
cannot yield its target of distinct requests stops short, and the printed counts say so.
The corpus was written without reading the classifiers it is meant to test (README.md).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import ho_en_populations as pop
import ho_en_registers as en_registers
import ho_en_structured as structured
import ho_intl as intl
import ho_mixed as mixed
import ho_style as style

SEED = 20261217
HERE = Path(__file__).resolve().parent
OUT = HERE / "heldout.jsonl"


def _spec_fn(spec: style.Spec) -> Callable[[random.Random, int], list[dict]]:
    return lambda rng, n: style.generate(spec, rng, n)


# (source name, generator, target count)
SOURCES: list[tuple[str, Callable[[random.Random, int], list[dict]], int]] = [
    *[
        (s.name, _spec_fn(s), n)
        for s, n in zip(en_registers.SPECS, [240, 200, 200, 200, 180], strict=True)
    ],
    ("en_harness", structured.harness, 240),
    ("en_agentic", structured.agentic, 200),
    ("en_evasive", structured.evasive, 120),
    ("en_ide", pop.ide, 280),
    ("en_why", pop.why, 160),
    ("en_homework", pop.homework, 150),
    ("en_newsignup", pop.newsignup, 150),
    ("en_everyday", pop.everyday, 160),
    ("en_batch", pop.batch, 100),
    ("en_multitenant", pop.multitenant, 100),
    ("en_prober", pop.prober, 40),
    *[
        (s.name, _spec_fn(s), n)
        for s, n in zip(
            intl.SPECS, [180, 120, 160, 100, 150, 90, 110, 100, 110, 90, 60], strict=True
        )
    ],
    ("mixed", mixed.mixed, 160),
]


def _key(rec: dict) -> str:
    return json.dumps(rec["messages"], ensure_ascii=False, sort_keys=True)


def build() -> list[dict]:
    out: list[dict] = []
    for name, fn, target in SOURCES:
        rng = random.Random(f"{SEED}:{name}")
        seen: set[str] = set()
        recs: list[dict] = []
        attempts = 0
        while len(recs) < target and attempts < 30:
            attempts += 1
            for rec in fn(rng, target - len(recs)):
                assert rec["source"] == name, (rec["source"], name)
                k = _key(rec)
                if k in seen:
                    continue
                seen.add(k)
                recs.append(rec)
        for i, rec in enumerate(recs):
            out.append({"id": f"{name}-{i:04d}", **rec})
    random.Random(SEED).shuffle(out)
    return out


def dumps(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _table(title: str, counter: Counter, extra: dict[str, Counter] | None = None) -> str:
    cols = list(extra) if extra else []
    lines = [
        "| " + " | ".join([title, "n", *cols]) + " |",
        "|---|---:|" + "---:|" * len(cols),
    ]
    for k in sorted(counter):
        row = f"| {k} | {counter[k]} |"
        for c in cols:
            row += f" {extra[c][k]} |"
        lines.append(row)
    lines.append(
        f"| **total** | {sum(counter.values())} |"
        + "".join(f" {sum(extra[c].values())} |" for c in cols)
    )
    return "\n".join(lines)


def counts(records: list[dict]) -> str:
    by = {f: Counter(r[f] for r in records) for f in ("source", "lang", "population")}
    parts = []
    for field in ("source", "lang", "population"):
        extra = {
            "elicit": Counter(r[field] for r in records if r["elicit"]),
            "not elicit": Counter(r[field] for r in records if not r["elicit"]),
            "focus": Counter(r[field] for r in records if r["focus"]),
            "not focus": Counter(r[field] for r in records if not r["focus"]),
            "borderline": Counter(r[field] for r in records if r["borderline"]),
        }
        parts.append(_table(field, by[field], extra))
    cells = Counter(f"elicit={r['elicit']!s:5} focus={r['focus']!s:5}" for r in records)
    parts.append(_table("label cell", cells))
    parts.append(_table("demand_at", Counter(r["demand_at"] for r in records)))
    parts.append(_table("trap", Counter(r["trap"] or "-" for r in records)))
    sizes = sorted(
        sum(len(m["content"].encode()) for m in r["messages"] if m["role"] in ("system", "user"))
        for r in records
    )
    parts.append(
        f"request size (system + user turns, UTF-8 bytes): min {sizes[0]}, median "
        f"{sizes[len(sizes) // 2]}, p90 {sizes[int(len(sizes) * 0.9)]}, max {sizes[-1]}; "
        f"multi-turn requests: {sum(1 for r in records if len(r['messages']) > 2)}; with a "
        f"system prompt: {sum(1 for r in records if r['messages'][0]['role'] == 'system')}"
    )
    return "\n\n".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="regenerate and compare with the committed heldout.jsonl",
    )
    args = ap.parse_args()
    records = build()
    text = dumps(records)
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(
            "heldout.jsonl is up to date"
            if same
            else "heldout.jsonl differs from the generator's output"
        )
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(counts(records))
    print(
        f"\nwrote {len(records)} requests, {len(text.encode())} bytes, to {OUT.name}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
