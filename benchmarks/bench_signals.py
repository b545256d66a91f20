"""What reading one request costs: body parse, signals and template fingerprint.

Issue budget: for a 2 KB chat prompt median <= 40 µs, for 32 KB <= 250 µs (signals with
the fingerprint). Interleaved rounds, medians and p99 of per-call times; writes
``benchmarks/results/signals.json`` and prints a Markdown table.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

import orjson

from antiextract.request.apis import CHAT
from antiextract.request.fingerprint import template_fingerprint
from antiextract.request.signals import SignalWeights, read_signals

RESULTS = Path(__file__).resolve().parent / "results"
WORDS = [
    *("the", "model", "answers", "questions", "about", "data", "systems", "latency"),
    *("queues", "caches", "and", "distributed", "storage", "with", "short", "precise"),
    "examples",
]


def body(size: int) -> bytes:
    text = " ".join(WORDS[i % len(WORDS)] for i in range(size // 6))[:size]
    prompt = "Think step by step. Implement a python function for this task:\n" + text
    return orjson.dumps({"model": "m", "messages": [{"role": "user", "content": prompt}],
                         "max_tokens": 256})  # fmt: skip


def one(raw: bytes, weights: SignalWeights) -> None:
    facts = CHAT.facts(raw)
    read_signals(facts, weights)
    template_fingerprint(facts.prompt_text)


def measure(raw: bytes, weights: SignalWeights, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        one(raw, weights)
        out.append((time.perf_counter_ns() - t) / 1000)
    return out


def main() -> int:
    quick = "--quick" in sys.argv
    weights = SignalWeights()
    cases = {"2KB": body(2048), "32KB": body(32768)}
    budgets = {"2KB": 40.0, "32KB": 250.0}
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(3 if quick else 7):
        for name, raw in cases.items():
            measure(raw, weights, 100)  # warm-up
            samples[name] += measure(raw, weights, 500 if quick else 2000)
    rows = {}
    for name, xs in samples.items():
        xs.sort()
        rows[name] = {
            "median_us": round(statistics.median(xs), 1),
            "p99_us": round(xs[int(0.99 * len(xs))], 1),
            "budget_median_us": budgets[name],
        }
    lines = ["| prompt | median µs | p99 µs | budget (median) |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {v['median_us']} | {v['p99_us']} | ≤ {v['budget_median_us']:g} |"
              for k, v in rows.items()]  # fmt: skip
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "signals.json").write_text(json.dumps({
        "python": platform.python_version(), "what": "facts + signals + fingerprint",
        "results": rows}, indent=2) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
