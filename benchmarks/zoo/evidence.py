"""Evidence that accumulates per kind of behaviour, measured offline on zoo traces: the
proposal of issue 17's "evidence saturates", with numbers, before anything in model/risk.py
changes.

    python -m benchmarks.zoo.evidence [--tuning-seeds 1 2] [--heldout-seeds 1001 1002 1003]

Today's per-account risk is a *level* (``youth x sum(w x share)``): an account whose every
request is a single-turn coding task asking for full reasoning tops out near
``youth x (elicit + focus + single) = 3.25 x youth`` however long it harvests. Here each
request instead adds, per kind of behaviour, the log-likelihood ratio of what it shows
under "harvest" against "honest use" (a sequential probability ratio test, Wald 1945;
Threshold Random Walk for scanners), with three bounds:

- per kind and per UTC day, positive evidence is capped at one observation's worth (its
  likelihood ratio) and at most ``cap_pos``: volume alone (an IDE user's agent loop, a
  batch job, a weak kind shown on every request) cannot climb, persistence across days
  does — the test runs on days, not on requests;
- per kind and per day, negative evidence is capped too (``cap_neg``), and a kind's total
  never goes below ``-floor``: benign requests interleaved between harvests (Mell & Harang
  2013) wash out at most ``cap_neg`` a day, and an account cannot bank credit for later;
- every kind decays with a half-life (``half_life``), so old evidence fades.

An account is flagged when the sum over kinds reaches ``A = ln(1/alpha)`` (Wald's bound on
the false-alarm probability of one test). The likelihoods are estimated on tuning seeds
only and the result is reported on held-out seeds. The kinds are what the middleware
already reads per request: harvest shape (asks for reasoning + coding/agentic +
single-turn), extraction-grade parameters, network churn (an IP the account never
used before), and reason (the harvest shape inside a conversation, read on multi-turn
requests only; its daily caps are ``--reason-cap-pos`` / ``--reason-cap-neg``).

What this analysis cannot show: the zoo's adaptive accounts rotated in response to
today's detector, not to this one; and acting on a flag (degrade) is not replayed, so
"yield if flagged" is the share of harvest requests sent before the flag.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import pickle
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import xxhash

from antiextract.model import evidence as ev
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE

from .replay import run
from .traffic import ATTACK, LEGIT, ZooConfig

KINDS = ev.KINDS
_DEFAULT = ev.EvidenceModel()


@dataclass(frozen=True)
class Accumulator:
    """The bounds of ``antiextract.model.evidence.EvidenceModel`` a run is scored with
    (the likelihood ratios come from ``fit``): the arithmetic is the module's, not ours."""

    cap_pos: float = _DEFAULT.cap_pos  # per kind per day
    cap_neg: float = _DEFAULT.cap_neg  # per kind per day
    floor: float = _DEFAULT.floor  # a kind's total never goes below -floor
    half_life: float = _DEFAULT.half_life
    alpha: float = _DEFAULT.alpha  # chosen on tuning seeds 1, 2 (honest p99 4.6)
    networks: int = _DEFAULT.networks
    reason_cap_pos: float = _DEFAULT.reason_cap_pos  # the reason kind's own caps per day
    reason_cap_neg: float = _DEFAULT.reason_cap_neg

    @property
    def threshold(self) -> float:
        return math.log(1 / self.alpha)

    def model(self, llr: list[tuple[float, float]]) -> ev.EvidenceModel:
        ratios = {}
        for kind, (yes, no) in zip(KINDS, llr, strict=True):
            ratios[kind], ratios[f"{kind}_not"] = max(0.0, yes), min(0.0, no)
        return ev.EvidenceModel(
            **ratios, cap_pos=self.cap_pos, cap_neg=self.cap_neg, floor=self.floor,
            half_life=self.half_life, alpha=self.alpha, networks=self.networks,
            reason_cap_pos=self.reason_cap_pos, reason_cap_neg=self.reason_cap_neg,
        )  # fmt: skip


def observations(
    trace: list[tuple], churn_by: str = "subnet", networks: int = _DEFAULT.networks
) -> list[tuple[str, str, str, float, bool, tuple[int, ...]]]:
    """(family, key, seat, t, harvest, kinds) per request, the kinds as the intelligence
    plane reads them (``model.evidence.kinds_shown``: churn is a network not among the
    account's last ``networks``, a /24 with ``churn_by="subnet"`` as the records' ``n:``
    cohort key, an address with ``"ip"``; unseen on an account's first request)."""
    nets: dict[str, ev.Evidence] = defaultdict(ev.Evidence)
    m = ev.EvidenceModel(networks=networks)
    out = []
    for fam, key, seat, t, harvest, elicit, focus, single, extract, addr, _full, _risk in trace:
        ip = addr.rsplit(".", 1)[0] if churn_by == "subnet" else addr
        traits = (
            (ELICIT if elicit else 0) | (FOCUS if focus else 0) | (SINGLE if single else 0)
            | (EXTRACT if extract else 0)
        )  # fmt: skip
        kinds = ev.kinds_shown(traits, xxhash.xxh32_intdigest(ip.encode()), nets[key], m)
        out.append((fam, key, seat, t, harvest, kinds))
    return out


def fit(obs: list[tuple]) -> list[tuple[float, float]]:
    """Per kind: (LLR when shown, LLR when not), harvest requests of attack families
    against requests of legit populations, Laplace-smoothed."""
    llr = []
    for k in range(len(KINDS)):
        a = [o[5][k] for o in obs if o[0] in ATTACK and o[4] and o[5][k] >= 0]
        b = [o[5][k] for o in obs if o[0] in LEGIT and o[5][k] >= 0]
        pa = (sum(a) + 1) / (len(a) + 2)
        pb = (sum(b) + 1) / (len(b) + 2)
        llr.append((math.log(pa / pb), math.log((1 - pa) / (1 - pb))))
    return llr


def score(obs: list[tuple], llr: list[tuple[float, float]], acc: Accumulator) -> dict[str, dict]:
    """Per account key: when (request number, time) it was flagged, if ever; each request
    folded by ``model.evidence.observe`` (what the intelligence plane runs)."""
    m = acc.model(llr)
    state: dict[str, dict] = {}
    for fam, key, seat, t, harvest, kinds in obs:
        s = state.get(key)
        if s is None:
            s = state[key] = {
                "fam": fam, "seat": seat, "first": t, "n": 0, "harvests": 0,
                "e": ev.Evidence(), "flag_n": None, "flag_t": None,
                "harvest_before_flag": 0, "peak": 0.0,
            }  # fmt: skip
        e = s["e"]
        ev.observe(e, t, kinds, m)
        s["totals"] = e.totals
        total = ev.score(e, t, m)
        s["n"] += 1
        s["harvests"] += harvest
        s["peak"] = max(s["peak"], total)
        if s["flag_n"] is None:
            s["harvest_before_flag"] += harvest
            if total >= m.threshold:
                s["flag_n"], s["flag_t"] = s["n"], t
    return state


def report(state: dict[str, dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    by_fam: dict[str, list[dict]] = defaultdict(list)
    for s in state.values():
        by_fam[s["fam"]].append(s)
    for fam in (*ATTACK, *LEGIT):
        accts = by_fam.get(fam)
        if not accts:
            continue
        flagged = [s for s in accts if s["flag_n"] is not None]
        peaks = sorted(s["peak"] for s in accts)
        row = {
            "accounts": len(accts),
            "flagged": round(len(flagged) / len(accts), 4),
            "peak_p50": round(statistics.median(peaks), 2),
            "peak_p99": round(peaks[min(len(peaks) - 1, int(0.99 * len(peaks)))], 2),
        }
        if fam in ATTACK:
            harvests = sum(s["harvests"] for s in accts)
            before = sum(s["harvest_before_flag"] for s in accts)
            row["harvest_before_flag"] = round(before / max(1, harvests), 4)
            if flagged:
                row["requests_to_flag_median"] = statistics.median(s["flag_n"] for s in flagged)
                row["hours_to_flag_median"] = round(
                    statistics.median((s["flag_t"] - s["first"]) / 3600 for s in flagged), 1
                )
        else:
            n = sum(s["n"] for s in accts)
            after = sum(s["n"] - s["flag_n"] + 1 for s in flagged)
            row["requests_after_flag"] = round(after / max(1, n), 4)
        out[fam] = row
    return out


async def traces(seeds: list[int], days: int, scale: float, cache: Path | None) -> list[tuple]:
    """Trace rows of every seed (key and seat prefixed by the seed), replayed or read from
    ``cache`` (pickles named by seed, days and scale: a parameter sweep replays nothing)."""
    rows: list[tuple] = []
    for seed in seeds:
        path = cache / f"trace-{seed}-{days}-{scale}.pickle" if cache else None
        if path is not None and path.exists():
            trace = pickle.loads(path.read_bytes())
        else:
            trace = []
            await run(ZooConfig(seed, days, scale), trace=trace)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(pickle.dumps(trace))
        rows += [(r[0], f"{seed}:{r[1]}", f"{seed}:{r[2]}", *r[3:]) for r in trace]
    return rows


HEADER = (
    "| population | accounts | flagged | harvest sent before the flag (attack) / requests "
    "after it (legit) | requests to flag (median) | hours to flag (median) | peak score "
    "p50 / p99 |\n|---|---:|---:|---:|---:|---:|---:|"
)


def markdown(rep: dict[str, dict]) -> str:
    lines = [HEADER]
    for fam, r in rep.items():
        share = r.get("harvest_before_flag", r.get("requests_after_flag"))
        lines.append(
            f"| {fam} | {r['accounts']} | {r['flagged']:.1%} | {share:.1%} | "
            f"{r.get('requests_to_flag_median', '–')} | {r.get('hours_to_flag_median', '–')} | "
            f"{r['peak_p50']} / {r['peak_p99']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tuning-seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--heldout-seeds", type=int, nargs="+", default=[1001, 1002, 1003])
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--scale", type=float, default=0.5)
    ap.add_argument("--cap-pos", type=float, default=Accumulator.cap_pos)
    ap.add_argument("--cap-neg", type=float, default=Accumulator.cap_neg)
    ap.add_argument("--floor", type=float, default=Accumulator.floor)
    ap.add_argument("--alpha", type=float, default=Accumulator.alpha)
    ap.add_argument("--reason-cap-pos", type=float, default=Accumulator.reason_cap_pos)
    ap.add_argument("--reason-cap-neg", type=float, default=Accumulator.reason_cap_neg)
    ap.add_argument("--tuning-only", action="store_true", help="do not run the held-out seeds")
    ap.add_argument("--churn-by", choices=("subnet", "ip"), default="subnet")
    ap.add_argument("--networks", type=int, default=_DEFAULT.networks)
    ap.add_argument("--cache", type=Path, default=None, help="directory of trace pickles")
    args = ap.parse_args(argv)
    if any(s >= 1000 for s in args.tuning_seeds) or any(s < 1000 for s in args.heldout_seeds):
        ap.error("tuning seeds are below 1000, held-out seeds from 1000 on")
    acc = Accumulator(
        args.cap_pos, args.cap_neg, args.floor, alpha=args.alpha, networks=args.networks,
        reason_cap_pos=args.reason_cap_pos, reason_cap_neg=args.reason_cap_neg,
    )  # fmt: skip
    tuning = observations(
        asyncio.run(traces(args.tuning_seeds, args.days, args.scale, args.cache)),
        args.churn_by,
        args.networks,
    )
    llr = fit(tuning)
    print(f"likelihood ratios (tuning seeds {args.tuning_seeds}), ln P(x|harvest)/P(x|honest):")
    for kind, (yes, no) in zip(KINDS, llr, strict=True):
        print(f"  {kind}: shown {yes:+.2f}, not shown {no:+.2f}")
    print(f"{acc}, churn by {args.churn_by}, threshold {acc.threshold:.2f}\n")
    runs = [("tuning", args.tuning_seeds)]
    if not args.tuning_only:
        runs.append(("held-out", args.heldout_seeds))
    for name, seeds in runs:
        if name == "tuning":
            obs = tuning
        else:
            obs = observations(
                asyncio.run(traces(seeds, args.days, args.scale, args.cache)),
                args.churn_by,
                args.networks,
            )
        print(f"## {name} seeds {seeds} ({args.days} days, scale {args.scale})\n")
        print(markdown(report(score(obs, llr, acc))) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
