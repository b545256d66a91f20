"""What per-account evidence does on the ladder, estimated OFFLINE on zoo traces: each
request of a replay (the middleware of this branch, evidence not wired) gets the risk the
ladder would read once it is — its decision's risk plus ``policy.read_evidence`` of the
evidence the intelligence plane had folded from the account's earlier requests — and is
counted as degraded when that crosses ``degrade_at`` where the replay served it in full.

    python -m benchmarks.zoo.evidence_ladder --seeds 1 2              # tuning seeds
    python -m benchmarks.zoo.evidence_ladder --seeds 1001 1002 1003   # held-out, once
    python -m benchmarks.zoo.evidence_ladder --seeds 1001 1002 1003 --leave-out low_slow

The likelihood ratios are the model's defaults (``model/evidence.py``, estimated on tuning
seeds 1-2 by ``python -m benchmarks.zoo.evidence --tuning-only``); with ``--leave-out F``
they are estimated again on the tuning seeds without family F's accounts and the result
read on F. ``--no-created-header`` replays without the trusted creation header.

What an offline estimate cannot show: accounts that adapt to being degraded (the zoo's
adaptive family reacts to what it is served, and here it was served by a ladder without
evidence), the analysis lag (verdicts arrive a flush and a refresh later: about a second
at the defaults; the accounts here send requests minutes to hours apart), and
challenge/throttle effects of the added risk (counted as degrade).
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import xxhash

from antiextract.intel.evidence_fold import AccountVerdict
from antiextract.model import evidence as ev
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE
from antiextract.request.policy import read_evidence

from . import evidence as offline
from .replay import run
from .traffic import ATTACK, LEGIT, ZooConfig


async def load(seed: int, header: bool, cache: Path, days: int = 4, scale: float = 0.5) -> list:
    path = cache / f"trace-{seed}-{days}-{scale}{'' if header else '-nohdr'}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    trace: list[tuple] = []
    await run(ZooConfig(seed, days, scale, created_header=header), trace=trace)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(trace))
    return trace


def ladder(trace: list[tuple], m: ev.EvidenceModel, degrade_at: float = 3.0) -> dict[str, dict]:
    """Per population: requests (harvest requests for attack families), served in full by
    the replay, and served in full once evidence is read."""
    states: dict[str, ev.Evidence] = defaultdict(ev.Evidence)
    n: Counter[str] = Counter()
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    accounts: dict[str, set[str]] = defaultdict(set)
    hit: dict[str, set[str]] = defaultdict(set)
    for fam, key, _seat, t, harvest, elicit, focus, single, extract, addr, full, risk in trace:
        e = states[key]
        v = None if e.t < 0 else AccountVerdict(key, tuple(e.totals), e.t, e.t + m.ttl)
        added = read_evidence(v, t, m).added
        degraded = risk < degrade_at <= risk + added
        traits = (
            (ELICIT if elicit else 0) | (FOCUS if focus else 0) | (SINGLE if single else 0)
            | (EXTRACT if extract else 0)
        )  # fmt: skip
        net = xxhash.xxh32_intdigest(addr.rsplit(".", 1)[0].encode())
        ev.observe(e, t, ev.kinds_shown(traits, net, e, m), m)
        if fam in ATTACK and not harvest:
            continue  # cover traffic: neither a harvest nor an honest user's request
        n[fam] += 1
        accounts[fam].add(key)
        before[fam] += full
        after[fam] += full and not degraded
        if fam in LEGIT and full and degraded:
            hit[fam].add(key)
    out = {}
    for fam in (*ATTACK, *LEGIT):
        if not n[fam]:
            continue
        row = {"requests": n[fam], "accounts": len(accounts[fam])}
        if fam in ATTACK:
            row["yield_before"] = before[fam] / n[fam]
            row["yield_after"] = after[fam] / n[fam]
        else:
            row["impact_before"] = 1 - before[fam] / n[fam]
            row["impact_after"] = 1 - after[fam] / n[fam]
            row["accounts_hit"] = len(hit[fam])
        out[fam] = row
    return out


def markdown(rows: dict[str, dict]) -> str:
    lines = [
        "| population | accounts | requests | full-fidelity yield / legit impact: replay | "
        "with evidence (offline) |",
        "|---|---:|---:|---:|---:|",
    ]
    for fam, r in rows.items():
        a, b = (
            (r["yield_before"], r["yield_after"])
            if fam in ATTACK
            else (r["impact_before"], r["impact_after"])
        )
        extra = f" ({r['accounts_hit']} accounts)" if fam in LEGIT else ""
        lines.append(f"| {fam} | {r['accounts']} | {r['requests']} | {a:.1%} | {b:.1%}{extra} |")
    attack = [r for f, r in rows.items() if f in ATTACK and f not in ("mimic", "logit_prober")]
    legit = [r for f, r in rows.items() if f in LEGIT]
    if attack:
        total = sum(r["requests"] for r in attack)
        y0 = sum(r["yield_before"] * r["requests"] for r in attack) / total
        y1 = sum(r["yield_after"] * r["requests"] for r in attack) / total
        lines.append(
            f"| naive + paraphrase + low_slow + adaptive | | {total} | {y0:.1%} | {y1:.1%} |"
        )
    if legit:
        total = sum(r["requests"] for r in legit)
        i0 = sum(r["impact_before"] * r["requests"] for r in legit) / total
        i1 = sum(r["impact_after"] * r["requests"] for r in legit) / total
        lines.append(f"| every legit population | | {total} | {i0:.2%} | {i1:.2%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--tuning-seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-created-header", action="store_true")
    ap.add_argument("--leave-out", choices=ATTACK, default=None)
    ap.add_argument("--offset", type=float, default=ev.EvidenceModel().offset)
    ap.add_argument("--scale", type=float, default=ev.EvidenceModel().scale)
    ap.add_argument("--degrade-at", type=float, default=3.0)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ev-traces"))
    args = ap.parse_args(argv)
    if any(s >= 1000 for s in args.tuning_seeds):
        ap.error("tuning seeds are below 1000")
    header = not args.no_created_header
    m = replace(ev.EvidenceModel(), offset=args.offset, scale=args.scale)
    if args.leave_out:
        rows = []
        for s in args.tuning_seeds:
            rows += [
                (*r[:1], f"{s}:{r[1]}", *r[2:]) for r in asyncio.run(load(s, header, args.cache))
            ]
        obs = offline.observations([r for r in rows if r[0] != args.leave_out])
        llr = offline.fit(obs)
        m = offline.Accumulator(
            m.cap_pos, m.cap_neg, m.floor, m.half_life, m.alpha, m.networks
        ).model(llr)
        m = replace(m, offset=args.offset, scale=args.scale)
        print(
            f"ratios refit on tuning seeds {args.tuning_seeds} without {args.leave_out}: "
            + ", ".join(f"{k} {y:+.2f}/{x:+.2f}" for k, (y, x) in zip(ev.KINDS, llr, strict=True))
        )
    print(f"model: {m}; header: {header}; seeds {args.seeds}\n")
    trace: list[tuple] = []
    for s in args.seeds:
        trace += [(*r[:1], f"{s}:{r[1]}", *r[2:]) for r in asyncio.run(load(s, header, args.cache))]
    print(markdown(ladder(trace, m, args.degrade_at)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
