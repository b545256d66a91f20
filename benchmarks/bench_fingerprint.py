"""Cost of antiextract.request.fingerprint on the hot path, measured in one run.

``template_fingerprint`` runs on every request, so its budget is stated as a median: at most
25 µs for a 2 KB chat prompt and 150 µs for a 32 KB one. Each size is measured on a code-heavy
prompt (a wrapper around a task with a large fenced code block, the costly case: the fences
are masked over the whole text) and on a prose prompt. The textbook SimHash (pure Python,
5-word shingles over the whole prompt, per-bit majority; hashed with the same XXH3 so only
the algorithm differs) is measured on the same prompts in the same run, as is
``client_fingerprint`` on recorded SDK headers. Adversarial inputs (a megabyte of one word,
of line breaks, of code fences, ...) must each stay under 50 ms: the unit tests only check
that they never raise (tests/test_fingerprint.py), their speed is measured here.

Cases run in interleaved rounds, so drift on a busy machine spreads over all of them; each
call is timed alone with ``time.perf_counter_ns`` after a warm-up, with the garbage collector
off while timing. The figures include the timer's own overhead (reported, not subtracted).

Run ``python benchmarks/bench_fingerprint.py`` (``--quick`` for a smoke run, ``--check`` to
exit 1 when a budget is missed). Prints a Markdown table, writes
``benchmarks/results/fingerprint.json``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from machine import describe
from xxhash import xxh3_64_intdigest

import antiextract.request.fingerprint as fingerprint
from antiextract.request.fingerprint import client_fingerprint, template_fingerprint

RESULTS = Path(__file__).resolve().parent / "results"
BUDGET_US = {2048: 25.0, 32768: 150.0}  # median of template_fingerprint, by prompt size
ODD_BUDGET_US = 50_000.0  # median of template_fingerprint on each adversarial input
# The costliest of tests/test_fingerprint.py's odd inputs: what a hostile client can send.
ADVERSARIAL = {
    "1 MB, one word": "x" * 1_000_000,
    "200k line breaks": "\n" * 200_000,
    "100k code fences": "```\n" * 100_000,
    "1 MB of paragraphs": "lorem ipsum dolor sit amet\n\n" * 40_000,
    "60 KB of code-like words": "aA " * 20_000,
    "6k curly quotes": "\u201c" * 3000 + "\u201d" * 3000,
    "5k straight quotes": '"' * 5000,
}

SYSTEM = (
    "You are a world-class software engineer and competitive programmer with deep knowledge "
    "of algorithms, data structures and clean code. You always reason carefully before you "
    "write code, you explain trade-offs, and you never skip steps.\n\n"
    "Solve the task below. Think step by step and explain your reasoning before giving the "
    "final answer.\n\n### Task\n"
)
INSTRUCTIONS = (
    "\n\n### Instructions\n"
    "1. Restate the problem in your own words.\n"
    "2. Describe the algorithm and analyse its time and space complexity.\n"
    "3. Give the complete solution in a single fenced code block.\n"
    "Think step by step before you answer, and do not add any text after the code."
)
PROSE = (
    *("the", "service", "answers", "questions", "about", "data", "systems", "latency", "queues"),
    *("caches", "and", "distributed", "storage", "with", "short", "precise", "explanations"),
    *("worked", "examples", "while", "keeping", "costs", "low", "reasoning", "easy", "to"),
    *("follow", "for", "a", "reader", "who", "is", "new", "field"),
)
HEADERS = [
    (b"host", b"api.example.com"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"connection", b"keep-alive"),
    (b"authorization", b"Bearer sk-proj-bench"),
    (b"accept", b"application/json"),
    (b"content-type", b"application/json"),
    (b"user-agent", b"OpenAI/Python 1.40.0"),
    (b"x-stainless-lang", b"python"),
    (b"x-stainless-package-version", b"1.40.0"),
    (b"x-stainless-os", b"Linux"),
    (b"x-stainless-arch", b"x64"),
    (b"x-stainless-runtime", b"CPython"),
    (b"x-stainless-runtime-version", b"3.11.7"),
    (b"x-stainless-async", b"false"),
    (b"x-stainless-retry-count", b"0"),
    (b"content-length", b"2101"),
]


# --------------------------------------------------------------------------- workload


def code_prompt(size: int) -> str:
    """Wrapper + a refactoring task whose code block fills the prompt to ``size`` chars."""
    intro = "Refactor this module so that every handler validates its input:\n```python\n"
    closing = "```"
    room = size - len(SYSTEM) - len(intro) - len(closing) - len(INSTRUCTIONS)
    lines: list[str] = []
    length = 0
    i = 0
    while True:
        line = (
            f"def handler_{i}(request, limit={i}):\n"
            f"    return process(request.body[:limit], retries=3)  # step {i}\n\n"
        )
        if length + len(line) > room:
            break
        lines.append(line)
        length += len(line)
        i += 1
    code = "".join(lines) + "#" * (room - length)
    return SYSTEM + intro + code + closing + INSTRUCTIONS


def prose_prompt(size: int, seed: int = 7) -> str:
    """Wrapper + an English-like task in paragraphs, exactly ``size`` chars."""
    rng = random.Random(seed)
    room = size - len(SYSTEM) - len(INSTRUCTIONS)
    words: list[str] = []
    length = 0
    while length <= room:
        word = rng.choice(PROSE)
        if len(words) % 60 == 59:
            word += ".\n\n"
        words.append(word)
        length += len(word) + 1
    task = " ".join(words)[:room]
    return SYSTEM + task + INSTRUCTIONS


def textbook_simhash(text: str) -> int:
    """The baseline: every 5-word shingle of the whole prompt votes on every bit.

    The fastest of the pure-Python versions tried: bits as "0"/"1" strings, columns by
    ``zip(*rows)``, votes by ``str.count`` (a per-bit ``+=`` loop is 4x slower, an
    ``enumerate`` loop 2x). Same majority rule as ``antiextract.request.fingerprint._simhash``.
    """
    words = text.lower().split()
    shingles = [" ".join(words[i : i + 5]) for i in range(max(len(words) - 4, 1))]
    rows = [f"{xxh3_64_intdigest(s.encode('utf-8', 'surrogatepass')):064b}" for s in shingles]
    n = len(rows)
    columns = zip(*rows, strict=True)
    return int("".join("1" if 2 * col.count("1") > n else "0" for col in columns), 2)


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[Any], Any], arg: Any, calls: int) -> list[int]:
    clock = time.perf_counter_ns
    samples = [0] * calls
    for i in range(calls):
        started = clock()
        fn(arg)
        samples[i] = clock() - started
    return samples


def timer_overhead_ns(calls: int = 100_000) -> float:
    """What an empty timed call costs: the floor under every figure below."""
    return statistics.median(timed(lambda _: None, None, calls))


def percentile(sorted_samples: list[int], q: float) -> float:
    index = min(len(sorted_samples) - 1, max(0, round(q * (len(sorted_samples) - 1))))
    return float(sorted_samples[index])


def run(quick: bool, rounds: int) -> dict[str, Any]:
    cases: list[dict[str, Any]] = []
    for size in (2048, 32768):
        for kind, make in (("code", code_prompt), ("prose", prose_prompt)):
            prompt = make(size)
            assert len(prompt) == size, (kind, size, len(prompt))
            cases.append(
                {
                    "name": f"template_fingerprint {size // 1024} KB {kind}",
                    "fn": template_fingerprint,
                    "arg": prompt,
                    "chars": size,
                    "budget_us": BUDGET_US[size],
                    "calls": 2_000 if quick else 20_000,
                }
            )
            cases.append(
                {
                    "name": f"textbook 5-shingle SimHash {size // 1024} KB {kind}",
                    "fn": textbook_simhash,
                    "arg": prompt,
                    "chars": size,
                    "budget_us": None,
                    "calls": (20 if quick else 200) if size > 2048 else (200 if quick else 2_000),
                }
            )
    for label, text in ADVERSARIAL.items():
        cases.append(
            {
                "name": f"template_fingerprint adversarial: {label}",
                "fn": template_fingerprint,
                "arg": text,
                "chars": len(text),
                "budget_us": ODD_BUDGET_US,
                "calls": 5 if quick else 25,
            }
        )
    cases.append(
        {
            "name": "client_fingerprint openai-python headers",
            "fn": client_fingerprint,
            "arg": HEADERS,
            "chars": None,
            "budget_us": None,
            "calls": 2_000 if quick else 20_000,
        }
    )
    for case in cases:  # warm-up: caches, branch predictors, lazy imports
        timed(case["fn"], case["arg"], max(10, case["calls"] // 10))
        case["samples"] = []
    overhead = timer_overhead_ns()
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for case in cases:
                case["samples"] += timed(case["fn"], case["arg"], max(1, case["calls"] // rounds))
    finally:
        gc.enable()

    results = []
    for case in cases:
        samples = sorted(case["samples"])
        median = statistics.median(samples) / 1000
        budget = case["budget_us"]
        results.append(
            {
                "case": case["name"],
                "prompt_chars": case["chars"],
                "calls": len(samples),
                "median_us": round(median, 2),
                "p99_us": round(percentile(samples, 0.99) / 1000, 2),
                "mean_us": round(statistics.fmean(samples) / 1000, 2),
                "min_us": round(samples[0] / 1000, 2),
                "budget_median_us": budget,
                "within_budget": None if budget is None else median <= budget,
            }
        )
    by_name = {r["case"]: r for r in results}
    for r in results:
        if r["case"].startswith("template_fingerprint") and "adversarial" not in r["case"]:
            base = by_name[r["case"].replace("template_fingerprint", "textbook 5-shingle SimHash")]
            r["speedup_vs_textbook"] = round(base["median_us"] / r["median_us"], 1)
    return {
        "machine": describe(("antiextract", "xxhash")),
        "source": source(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"quick": quick, "rounds": rounds, "timer_overhead_ns": overhead},
        "results": results,
        "within_budget": all(r["within_budget"] is not False for r in results),
    }


# --------------------------------------------------------------------------- reporting


def source() -> dict[str, Any]:
    """Which fingerprint.py was measured (it may be edited between runs)."""
    path = Path(fingerprint.__file__).resolve()
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def markdown(report: dict[str, Any]) -> str:
    def cell(value: Any, unit: str = "") -> str:
        return "—" if value is None else f"{value:,}{unit}" if unit else f"{value:,}"

    lines = [
        "| case | median µs | p99 µs | budget (median) | within | × faster than textbook |",
        "|---|---:|---:|---:|:---:|---:|",
    ]
    for r in report["results"]:
        within = {True: "yes", False: "**NO**", None: "—"}[r["within_budget"]]
        budget = r["budget_median_us"]
        lines.append(
            f"| {r['case']} | {r['median_us']:,.1f} | {r['p99_us']:,.1f} | "
            f"{'—' if budget is None else f'≤ {budget:g} µs'} | {within} | "
            f"{cell(r.get('speedup_vs_textbook'))} |"
        )
    m, p = report["machine"], report["parameters"]
    lines += [
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['implementation']} {m['python']}, "
        f"xxhash {m['packages']['xxhash']}; {p['rounds']} interleaved rounds, timer overhead "
        f"{p['timer_overhead_ns']:.0f} ns per call (included); {report['timestamp']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--check", action="store_true", help="exit 1 if a budget is missed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be positive")
    report = run(args.quick, args.rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "fingerprint.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nwrote {path}", file=sys.stderr)
    return 1 if args.check and not report["within_budget"] else 0


if __name__ == "__main__":
    sys.exit(main())
