"""What the request classifiers cost on realistic wording: CPU time of ``read_signals`` per
request over labelled corpora (the prompts people and harvesters write), best of N rounds,
the system-prompt memo cleared before each round.

    python benchmarks/classifier_cost.py benchmarks/corpus/heldout benchmarks/corpus/fresh \
        benchmarks/corpus/languages benchmarks/corpus/tuning

``bench_signals.py`` times one synthetic prompt; this one times the mix of short chats,
code pastes, long system prompts and nine languages. CPU time (``time.process_time``), so
other processes on a shared machine disturb it less than wall time. To compare two
versions, run it alternately from each checkout (``PYTHONPATH`` on an exported copy).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import classifiers as ev

from antiextract.request import signals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args(argv)
    facts = [ev.facts_of(r) for c in args.corpora for r in ev.rows(c)]
    best = float("inf")
    for _ in range(args.rounds):
        signals._system_memo.clear()
        t0 = time.process_time()
        for f in facts:
            signals.read_signals(f, ev.WEIGHTS)
        best = min(best, time.process_time() - t0)
    per = best / len(facts) * 1e6
    print(f"{len(facts)} requests: {per:.1f} µs CPU per request (best of {args.rounds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
