"""How an adaptive account's successor could be found: measured on zoo traces, nothing
built. ``python -m benchmarks.zoo.successors [--seeds 1 2] [--cache DIR]`` (tuning seeds
only; traces replayed as ``benchmarks.zoo.evidence`` does, or read from its cache).

The adaptive family rotates to a fresh account after 1-3 refusals, so per-account
evidence restarts each time. A successor link ("a fresh account taking over a refused
one") needs a window and something shared. This prints, per seed, the gap between a
predecessor's last request and its successor's first (the window a link would need) and
how many other accounts are first seen inside that gap (what timing alone would confuse
the successor with).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
from pathlib import Path

from .evidence import traces


def quantile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[int(p * (len(s) - 1))]


def rotations(rows: list[tuple]) -> tuple[list[float], list[int]]:
    """(gap minutes, other accounts first seen inside the gap) per adaptive rotation."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    fam: dict[str, str] = {}
    seat: dict[str, str] = {}
    for r in rows:
        f, key, st, t = r[0], r[1], r[2], r[3]
        first.setdefault(key, t)
        last[key] = t
        fam[key], seat[key] = f, st
    chains: dict[str, list[str]] = {}
    for k in first:
        if fam[k] == "adaptive":
            chains.setdefault(seat[k], []).append(k)
    starts = sorted((t, k) for k, t in first.items())
    times = [t for t, _ in starts]
    gaps: list[float] = []
    crowd: list[int] = []
    for keys in chains.values():
        keys.sort(key=lambda k: first[k])
        for a, b in itertools.pairwise(keys):
            gaps.append((first[b] - last[a]) / 60)
            lo, hi = bisect.bisect_left(times, last[a]), bisect.bisect_right(times, first[b])
            crowd.append(sum(fam[k] != "adaptive" for _, k in starts[lo:hi]))
    return gaps, crowd


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--cache", type=Path, default=None)
    args = ap.parse_args(argv)
    if any(s >= 1000 for s in args.seeds):
        ap.error("tuning seeds only (below 1000)")
    for seed in args.seeds:
        rows = asyncio.run(traces([seed], args.days, args.scale, args.cache))
        gaps, crowd = rotations(rows)
        if not gaps:
            print(f"seed {seed}: no rotation")
            continue
        print(
            f"seed {seed}: {len(gaps)} rotations; gap minutes p10/p50/p90 "
            f"{quantile(gaps, 0.1):.0f}/{quantile(gaps, 0.5):.0f}/{quantile(gaps, 0.9):.0f}; "
            f"other accounts first seen inside the gap p50/p90 "
            f"{quantile(crowd, 0.5):.0f}/{quantile(crowd, 0.9):.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
