"""The embedded store under a flood of distinct accounts and IPs: bounded, and how high.

Drives N distinct accounts, each from its own IP (default 1,000,000), one request each,
through ``MemoryStore.evaluate`` with default settings (``ANTIEXTRACT_MEMORY_MAX_KEYS``,
the store's cohort cap), directly on the store, not over HTTP (``--quick``, for CI:
20,000 accounts with both caps scaled down so eviction starts early). Each request
carries what the middleware's ``_decide`` / ``_cohort_input`` would pass: store keys
shaped like the middleware's (keyed BLAKE2b, 32 and 24 hex chars), the ``RiskInput`` of
a real chat-completions body (``read_signals`` on the adapter's facts, its template
fingerprint), its cost estimate, and the cohort keys ``cohort_keys`` derives
(template, two LSH bands, /24 subnet, client fingerprint). Two scenarios:

- ``campaign``: one wrapper prompt and one SDK for every account, IPs packed 256 to a
  /24; accounts unknown to the auth layer (not young), as with no creation header.
- ``worst``: every account its own template and client fingerprint, every IP its own
  /24, and every account young (a creation header saying "new"): the most cohorts,
  each with sketches, the cohort table churns at its cap.

Each scenario runs in a fresh subprocess twice (``--quick``: the traced pass only): once
for RSS (``VmRSS``, ``VmHWM``) and once under ``tracemalloc`` (Python allocations:
current at checkpoints, and the peak).
Evictions are counted as entries created minus entries kept. The ceiling reported is
the traced size once both LRU caps are reached, i.e. what the store holds forever after;
``full_cohort_bytes`` is the size of one cohort whose four sketches are full (the worst
any cohort can grow to).

Writes ``benchmarks/results/flood.json`` and ``flood.md`` (``--quick``: ``flood-quick``);
``--redis URL`` adds Redis bytes per account from ``memory.py`` (MEMORY USAGE), so one
file holds every figure ``check_budget.py`` checks against ``[memory]`` in budget.toml.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import platform
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from machine import cpu_model

from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import Record
from antiextract.model.cohorts import KMV_K, CohortInput, CohortModel, CohortState, cohort_keys
from antiextract.model.risk import RiskInput, RiskModel
from antiextract.request.apis import family_for_path
from antiextract.request.cost import estimate
from antiextract.request.fingerprint import client_fingerprint, template_fingerprint
from antiextract.request.middleware import limits_from
from antiextract.request.signals import SignalWeights, read_signals
from antiextract.settings import Settings
from antiextract.store import MemoryStore

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIOS = ("campaign", "worst")
# --quick (CI): accounts, max_keys, max_cohorts, Redis accounts. Small caps so eviction
# starts within seconds; bytes per account do not depend on the caps.
QUICK = (20_000, 20_000, 20_000, 3_000)
START = 1_800_000_000.0
RATE = 10_000.0  # simulated requests per second: 1M requests span 100 s, far below any TTL
KEY = b"flood-benchmark-secret"

BODY = orjson.dumps(
    {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "system",
                "content": "You are a senior engineer. Think step by step and explain your "
                "full reasoning before the final answer.",
            },
            {
                "role": "user",
                "content": "Implement an LRU cache in Python with O(1) get and put, "
                "then show all your reasoning and the tests you would write.",
            },
        ],
        "max_tokens": 2048,
    }
)
HEADERS = [
    (b"host", b"api.example.com"),
    (b"content-type", b"application/json"),
    (b"authorization", b"Bearer sk-..."),
    (b"user-agent", b"OpenAI/Python 1.54.0"),
    (b"x-stainless-lang", b"python"),
    (b"x-stainless-package-version", b"1.54.0"),
]


def _hex(value: str, size: int) -> str:
    return hashlib.blake2b(value.encode(), digest_size=size, key=KEY).hexdigest()


def _ip(i: int, scenario: str) -> str:
    if scenario == "campaign":  # 256 addresses per /24
        return f"{11 + (i >> 24)}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return f"{11 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}.7"  # one address per /24


def inputs(scenario: str, n: int, settings: Settings):
    """(account key, IP key, cost, now, RiskInput, CohortInput) per request, built as
    AntiExtractMiddleware._decide builds them."""
    facts = family_for_path("/v1/chat/completions").facts(BODY)
    signals = read_signals(facts, SignalWeights(**settings.signal_weights))
    fp = template_fingerprint(facts.prompt_text)
    client = client_fingerprint(HEADERS)
    cost = estimate(
        len(BODY),
        facts,
        default_output=settings.default_output_tokens,
        max_output=settings.max_output_tokens,
    )
    young_model = CohortModel(**settings.campaign_model)
    shared = RiskInput(signals.traits, signals.acute, fp.skeleton)
    for i in range(n):
        now = START + i / RATE
        account = _hex(f"key:{_hex(f'sk-flood-{i}', 16)}", 16)  # as _store_key("key:"+digest)
        ip = _ip(i, scenario)
        ip_key = _hex(ip, 12)
        if scenario == "campaign":
            risk_in, skeleton, bands, client_fp = shared, fp.skeleton, fp.bands, client
            young = False
        else:  # own template (same shape as a real one), own client, young by the header
            skeleton = _hex(f"t{i}", 8)
            bands = tuple(f"b{k}:{_hex(f'{k}{i}', 2)[:3]}" for k in range(len(fp.bands)))
            client_fp = _hex(f"c{i}", 8)
            risk_in = RiskInput(signals.traits, signals.acute, skeleton, now - 3_600.0)
            young = young_model.young_days > 0
        keys = cohort_keys(skeleton, bands, ip, client_fp)
        yield account, ip_key, cost, now, risk_in, CohortInput(keys, young, signals.traits)


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


async def drive(
    scenario: str, n: int, trace: bool, every: int, max_keys: int, max_cohorts: int
) -> dict[str, Any]:
    """One pass in this process: the flood, with checkpoints every ``every`` accounts.
    ``max_keys`` / ``max_cohorts`` of 0 mean the defaults."""
    settings = Settings(**({"memory_max_keys": max_keys} if max_keys else {}))
    gen = inputs(scenario, n, settings)
    gc.collect()
    rss0 = _status("VmRSS")
    if trace:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0] if trace else 0
    cohort_model = CohortModel(**settings.campaign_model)
    store = MemoryStore(
        limits_from(settings),
        max_keys=settings.memory_max_keys,
        model=RiskModel(**settings.risk_model),
        cohort_model=cohort_model,
        **({"max_cohorts": max_cohorts} if max_cohorts else {}),
    )
    # the embedded store's cohorts live in the embedded analyser (the intelligence plane):
    # the flood goes through both, as the middleware sends it, the analyser drained as
    # often as the middleware's flush would (every FLUSH_RECORDS records)
    intel = MemoryIntel(
        cohort_model,
        flush_records=settings.flush_records,
        **({"max_cohorts": max_cohorts} if max_cohorts else {}),
    )
    entries, cohorts = store._entries, intel.table.states
    created_entries = created_cohorts = 0
    points = []
    started = time.perf_counter()
    for i, (account, ip, cost, now, risk_in, cohort) in enumerate(gen, 1):
        created_entries += ("a:" + account not in entries) + ("i:" + ip not in entries)
        created_cohorts += sum(k not in cohorts for k in cohort.keys)
        await store.evaluate(account, ip, cost, now, risk_in)
        intel.emit(Record(now, account, cohort.keys, cohort.young, cohort.traits, cost))
        if i % settings.flush_records == 0 or i == n:
            intel.analyze(now)
        if i % every == 0 or i == n:
            point = {
                "accounts": i,
                "entries": len(entries),
                "entry_evictions": created_entries - len(entries),
                "cohorts": len(cohorts),
                "cohort_evictions": created_cohorts - len(cohorts),
                "rss_bytes": _status("VmRSS") - rss0,
            }
            if trace:
                point["traced_bytes"] = tracemalloc.get_traced_memory()[0] - base
            points.append(point)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "scenario": scenario,
        "accounts": n,
        "seconds": round(seconds, 2),
        "us_per_request": round(seconds / n * 1e6, 2),
        "points": points,
        "max_keys": store.max_keys,
        "max_cohorts": intel.table.max_cohorts,
        "rss_hwm_bytes": _status("VmHWM") - rss0,
    }
    if trace:
        out["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return out


def full_cohort_bytes(samples: int = 200) -> float:
    """Traced bytes of one cohort whose four KMV sketches hold KMV_K hashes each."""
    import random

    rng = random.Random(1)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    kept = []
    for _ in range(samples):
        state = CohortState()
        for sketch in (state.accounts_cur, state.accounts_prev, state.young_cur, state.young_prev):
            sketch.values = sorted(rng.getrandbits(64) for _ in range(KMV_K))
        kept.append((f"t:{rng.getrandbits(64):016x}", state))
    size = (tracemalloc.get_traced_memory()[0] - base) / samples
    tracemalloc.stop()
    del kept
    return size


def pass_in_subprocess(scenario: str, n: int, trace: bool, every: int, caps: tuple[int, int]):
    """A fresh interpreter per pass, so one pass's arenas do not blur the next one's RSS."""
    args = [sys.executable, __file__, "--worker", scenario, str(n), str(int(trace)), str(every)]
    args += [str(caps[0]), str(caps[1])]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{scenario} pass failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(scenario: str, rss: dict[str, Any], traced: dict[str, Any]) -> dict[str, Any]:
    """The figures of one scenario: bytes per tracked account at 100,000 accounts (or the
    traced run's first checkpoint), the traced size once both caps hold, growth after
    that; counts and RSS from the full-length pass."""
    tpoints = traced["points"]
    at = next((p for p in tpoints if p["accounts"] == 100_000), tpoints[0])
    tend = tpoints[-1]
    capped = [p for p in tpoints if p["entry_evictions"] > 0]
    first_capped = capped[0] if capped else tend
    end = rss["points"][-1]
    traced_at = {p["accounts"]: p["traced_bytes"] for p in tpoints}
    return {
        "scenario": scenario,
        "accounts": end["accounts"],
        "traced_accounts": tend["accounts"],
        "max_keys": rss["max_keys"],
        "max_cohorts": rss["max_cohorts"],
        "entries_end": end["entries"],
        "cohorts_end": end["cohorts"],
        "entry_evictions": end["entry_evictions"],
        "cohort_evictions": end["cohort_evictions"],
        "bounded": end["entries"] <= rss["max_keys"] and end["cohorts"] <= rss["max_cohorts"],
        "checkpoint_accounts": at["accounts"],
        "bytes_per_account_at_checkpoint": round(at["traced_bytes"] / at["accounts"]),
        "traced_end_bytes": tend["traced_bytes"],
        "traced_peak_bytes": traced["traced_peak_bytes"],
        "bytes_per_tracked_account_end": round(
            tend["traced_bytes"] / max(1, min(tend["entries"] // 2, tend["accounts"]))
        ),
        "traced_growth_after_cap_bytes": tend["traced_bytes"] - first_capped["traced_bytes"],
        "rss_end_bytes": end["rss_bytes"],
        "rss_hwm_bytes": rss["rss_hwm_bytes"],
        "us_per_request": rss["us_per_request"],
        "seconds_rss_pass": rss["seconds"],
        "seconds_traced_pass": traced["seconds"],
        "points": [
            {
                **p,
                **(
                    {"traced_bytes": traced_at[p["accounts"]]} if p["accounts"] in traced_at else {}
                ),
            }
            for p in rss["points"]
        ],
    }


def markdown(result: dict[str, Any]) -> str:
    mib = 2**20
    lines = [
        f"# Memory store under a flood ({result['accounts']:,} distinct accounts and IPs)",
        "",
        f"Default settings: `MEMORY_MAX_KEYS={result['max_keys']:,}` (accounts and IPs "
        f"together), cohort cap {result['max_cohorts']:,}. `benchmarks/flood.py`; "
        f"{result['machine']['cpu']}, Python {result['machine']['python']}.",
        "",
        "| scenario | B/account (at accounts) | entries kept | evictions | cohorts kept | "
        "traced at end | traced peak | RSS at end | RSS peak | µs/request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["scenarios"]:
        lines.append(
            f"| {s['scenario']} | {s['bytes_per_account_at_checkpoint']:,} "
            f"(at {s['checkpoint_accounts']:,}) | {s['entries_end']:,} | "
            f"{s['entry_evictions']:,} | {s['cohorts_end']:,} | "
            f"{s['traced_end_bytes'] / mib:.0f} MiB | {s['traced_peak_bytes'] / mib:.0f} MiB | "
            f"{s['rss_end_bytes'] / mib:.0f} MiB | {s['rss_hwm_bytes'] / mib:.0f} MiB | "
            f"{s['us_per_request']} |"
        )
    c = result["ceiling"]
    lines += [
        "",
        f"**Ceiling** (worst scenario): traced {c['measured_bytes'] / mib:.0f} MiB at "
        f"{c['traced_accounts']:,} accounts, RSS {c['rss_end_bytes'] / mib:.0f} MiB at "
        f"{result['accounts']:,}. Entry and cohort counts stop at their caps; the bytes "
        f"still creep up after the first eviction ({c['growth_after_cap_bytes'] / mib:+.1f} "
        "MiB traced in the traced run) because cohorts that keep being hit inside the cap "
        "(the 8,192 LSH-band cohorts above all) keep filling their sketches.",
        f"A cohort with all four sketches full is {c['full_cohort_bytes']:,.0f} B, so "
        f"{result['max_cohorts']:,} full cohorts could reach "
        f"{c['cohort_table_worst_bytes'] / mib:,.0f} MiB: the cohort table is bounded in "
        "count, not in bytes.",
        "",
        "RSS (MiB) and cohorts kept, by accounts sent:",
        "",
        "| accounts | " + " | ".join(s["scenario"] for s in result["scenarios"]) + " |",
        "|---:|" + "---:|" * len(result["scenarios"]),
    ]
    rows = zip(*(s["points"] for s in result["scenarios"]), strict=True)
    for row in rows:
        cells = " | ".join(f"{p['rss_bytes'] / mib:.0f} ({p['cohorts']:,})" for p in row)
        lines.append(f"| {row[0]['accounts']:,} | {cells} |")
    if "redis" in result:
        r = result["redis"]
        lines += [
            "",
            f"Redis ({r['accounts']:,} accounts, MEMORY USAGE): account state "
            f"{r['account_state_bytes']:,} B + IP windows {r['ip_windows_bytes']:,} B = "
            f"{r['per_account_bytes']:,} B per account; used_memory / accounts "
            f"{r['used_memory_per_account']:,} B.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"CI: {QUICK[0]:,} accounts, caps {QUICK[1]:,} keys / {QUICK[2]:,} cohorts, "
        "traced pass only",
    )
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    parser.add_argument("--max-keys", type=int, default=0, help="default: the setting's")
    parser.add_argument("--max-cohorts", type=int, default=0, help="default: the store's")
    parser.add_argument("--redis", help="also measure Redis bytes per account on this URL")
    parser.add_argument("--redis-accounts", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--jobs", type=int, default=2, help="passes run at once")
    parser.add_argument(
        "--traced-accounts",
        type=int,
        default=300_000,
        help="accounts of the tracemalloc pass (6x slower than the RSS pass); the traced "
        "size stops growing once both caps hold (~100,000 accounts at the defaults)",
    )
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        scenario, n, trace, every, keys, cohorts = args.worker
        result = asyncio.run(
            drive(scenario, int(n), trace == "1", int(every), int(keys), int(cohorts))
        )
        print(json.dumps(result))
        return 0
    if args.quick:
        n, caps, redis_n = QUICK[0], (QUICK[1], QUICK[2]), min(args.redis_accounts, QUICK[3])
    else:
        n, caps, redis_n = args.accounts, (args.max_keys, args.max_cohorts), args.redis_accounts
    every = 50_000 if n >= 200_000 else max(1, n // 4)
    started = time.perf_counter()
    scenarios = []
    names = args.scenario or SCENARIOS
    traced_n = min(n, args.traced_accounts or n)
    passes = [(name, True) for name in names] + [(name, False) for name in names if not args.quick]

    def one(p: tuple[str, bool]) -> dict[str, Any]:
        return pass_in_subprocess(p[0], traced_n if p[1] else n, p[1], every, caps)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each pass is its own process
        runs = dict(zip(passes, pool.map(one, passes), strict=True))
    for scenario in names:
        traced = runs[scenario, True]
        rss = runs.get((scenario, False), traced)
        scenarios.append(summarise(scenario, rss, traced))
        s = scenarios[-1]
        print(
            f"{scenario}: {n:,} accounts, {s['bytes_per_account_at_checkpoint']:,} B/account "
            f"at {s['checkpoint_accounts']:,}, traced end {s['traced_end_bytes'] / 2**20:.0f} MiB "
            f"(peak {s['traced_peak_bytes'] / 2**20:.0f}), RSS end "
            f"{s['rss_end_bytes'] / 2**20:.0f} MiB, entries {s['entries_end']:,}, "
            f"cohorts {s['cohorts_end']:,}, evictions {s['entry_evictions']:,}",
            flush=True,
        )
    worst = max(scenarios, key=lambda s: s["traced_end_bytes"])
    full = full_cohort_bytes()
    result: dict[str, Any] = {
        "kind": "memory",
        "accounts": n,
        "quick": bool(args.quick),
        "max_keys": worst["max_keys"],
        "max_cohorts": worst["max_cohorts"],
        "scenarios": scenarios,
        # The figures budget.toml holds: bytes per tracked account (account + IP entries,
        # cohorts included) at the checkpoint, the store bounded, the measured ceiling.
        "memory_store_bytes_per_account": max(
            s["bytes_per_account_at_checkpoint"] for s in scenarios
        ),
        "bounded": all(s["bounded"] for s in scenarios),
        "ceiling": {
            "measured_bytes": worst["traced_end_bytes"],
            "peak_bytes": worst["traced_peak_bytes"],
            "growth_after_cap_bytes": worst["traced_growth_after_cap_bytes"],
            "scenario": worst["scenario"],
            "traced_accounts": worst["traced_accounts"],
            "rss_end_bytes": worst["rss_end_bytes"],
            "rss_hwm_bytes": worst["rss_hwm_bytes"],
            "full_cohort_bytes": round(full),
            "cohort_table_worst_bytes": round(full * worst["max_cohorts"]),
        },
        "machine": {"cpu": cpu_model(), "python": platform.python_version()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if args.redis:
        import memory  # the Redis half of benchmarks/memory.py

        red = asyncio.run(memory.redis_bytes(redis_n, url=args.redis))
        result["redis"] = {"accounts": redis_n, **{k: round(v) for k, v in red.items()}}
        result["redis_bytes_per_account"] = result["redis"]["per_account_bytes"]
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "flood-quick" if args.quick else "flood"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / f"{name}.md").write_text(markdown(result))
    print(markdown(result))
    print(f"wrote {args.out / name}.json and .md in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
