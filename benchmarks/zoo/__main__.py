"""Run the adversary zoo: ``python -m benchmarks.zoo --split heldout --seeds 3``.

Seeds below 1000 are tuning seeds (tuning wording), from 1000 on held-out seeds (held-out
wording). ``--leave-out FAMILY`` drops an attack family from a tuning run, and with
``--split heldout`` reports that family (with every legit population) on held-out seeds:
tune without X, report X.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from .replay import run
from .report import aggregate, markdown, saturation
from .traffic import ATTACK, FAMILIES, HELDOUT_FROM, LEGIT, ZooConfig

RESULTS = Path(__file__).resolve().parent.parent / "results"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tuning", "heldout"), default="tuning")
    ap.add_argument("--seeds", type=int, default=1, help="how many seeds of the split")
    ap.add_argument(
        "--first-seed", type=int, default=None, help="default: 1 (tuning), 1001 (held-out)"
    )
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--leave-out", choices=ATTACK, default=None)
    ap.add_argument(
        "--no-created-header", action="store_true", help="no trusted account-creation header"
    )
    ap.add_argument(
        "--store", default="memory://", help="memory:// or redis://HOST:PORT/DB (flushed)"
    )
    ap.add_argument("--replicas", type=int, default=1, help="middlewares sharing the store (Redis)")
    ap.add_argument("--out", default=None, help="JSON file (default: print only)")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument(
        "--no-warmup",
        action="store_true",
        help="no unmeasured first request weeks earlier for established accounts",
    )
    args = ap.parse_args(argv)
    first = (
        args.first_seed
        if args.first_seed is not None
        else (HELDOUT_FROM + 1 if args.split == "heldout" else 1)
    )
    seeds = list(range(first, first + args.seeds))
    if any((s >= HELDOUT_FROM) != (args.split == "heldout") for s in seeds):
        ap.error(f"seeds {seeds} are not all {args.split} seeds (held-out from {HELDOUT_FROM})")
    families = FAMILIES
    if args.leave_out:
        x = args.leave_out
        families = tuple(f for f in FAMILIES if f != x) if args.split == "tuning" else (x, *LEGIT)
    results = []
    for seed in seeds:
        cfg = ZooConfig(
            seed, args.days, args.scale, families, not args.no_created_header, not args.no_warmup
        )
        res = asyncio.run(run(cfg, args.store, args.replicas, args.progress))
        res["command"] = "python -m benchmarks.zoo " + " ".join(
            argv if argv is not None else sys.argv[1:]
        )
        results.append(res)
        print(markdown(res), flush=True)
    if len(results) > 1:
        print(aggregate(results), flush=True)
    print(saturation(results), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
