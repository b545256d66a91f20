"""Cost of antiextract.request.parts (wrapper-part digests, issue 17) on the request path.

``part_keys`` runs once per protected request that emits a record. It is measured in the
same run, interleaved, against ``template_fingerprint`` on the same prompts (memoised, as a
campaign's repeated wrappers are): medians and p99 of single calls with
``time.perf_counter_ns`` (the timer's overhead included), garbage collector off. Prompts:
a 2 KB harvest prompt (shuffled wrapper sentences around a unique task and a code fence),
the same with a 3 KB IDE system prompt, and a 32 KB prose turn.

Run ``python benchmarks/bench_parts.py`` (``--quick`` for a smoke run). Prints a Markdown
table; the figures depend on the machine and its load: read the ratio.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from antiextract.request.fingerprint import template_fingerprint
from antiextract.request.parts import part_keys

WRAPPER = [
    "You are a senior backend engineer.",
    "Think step by step and show your complete reasoning.",
    "Solve the following problem.",
    "Return the final code in a single block.",
    "Be thorough; the answer will be reviewed.",
]
IDE = " ".join(
    [
        "You are a coding assistant inside the editor.",
        "Answer with concise code edits.",
        "Use the tools to read and change files.",
        "Never invent file contents you have not read.",
    ]
    * 18
)


def prompts(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    out = []
    for i in range(n):
        w = WRAPPER[:]
        rng.shuffle(w)
        task = f"Task {i}: " + " ".join(rng.choice(("parse", "cache", "queue", "merge", "retry",
                                                       "index")) for _ in range(250))  # fmt: skip
        code = "```python\n" + "\n".join(f"x{j} = f(x{j - 1})" for j in range(40)) + "\n```"
        user = " ".join(w[:3]) + "\n" + task + "\n" + code + "\n" + " ".join(w[3:])
        prose = " ".join(f"Sentence {j} of a long question about item {i}." for j in range(700))
        out.append(("2 KB harvest prompt", "", user[:2048]))
        out.append(("2 KB + 3 KB IDE system prompt", IDE, user[:2048]))
        out.append(("32 KB prose turn", "", prose[:32768]))
    return out


def timed(f, *args) -> int:
    t = time.perf_counter_ns()
    f(*args)
    return time.perf_counter_ns() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rng = random.Random(17)
    cases = prompts(rng, 200 if args.quick else 2000)
    for _, system, user in cases[:30]:  # warm-up (and the memo of the system prompt)
        part_keys(system, user)
        template_fingerprint(system + "\n" + user if system else user)
    parts: dict[str, list[int]] = {}
    fps: dict[str, list[int]] = {}
    gc.disable()
    try:
        for name, system, user in cases:
            fps.setdefault(name, []).append(
                timed(template_fingerprint, system + "\n" + user if system else user)
            )
            parts.setdefault(name, []).append(timed(part_keys, system, user))
    finally:
        gc.enable()
    print(
        "| prompt | part_keys median / p99 (µs) | template_fingerprint median / p99 (µs)"
        " | ratio of medians |"
    )
    print("|---|---:|---:|---:|")
    for name in parts:
        p, f = sorted(parts[name]), sorted(fps[name])
        pm, fm = statistics.median(p) / 1e3, statistics.median(f) / 1e3
        p99, f99 = p[int(0.99 * (len(p) - 1))] / 1e3, f[int(0.99 * (len(f) - 1))] / 1e3
        print(f"| {name} | {pm:.1f} / {p99:.1f} | {fm:.1f} / {f99:.1f} | {pm / fm:.2f} |")


if __name__ == "__main__":
    main()
