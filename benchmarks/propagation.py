"""Verdict propagation: from the record that makes a cohort a campaign to every replica
acting on it, at the default settings, in real time.

R replicas (default 3) share one Redis, each built as the middleware builds its plane
(``intel_for`` with ``Settings()``'s defaults: ``INTEL=embedded``, ``FLUSH_MS``,
``VERDICT_REFRESH_MS``, the default campaign model), each with its own Redis store and
clients, its flusher, verdict refresher and embedded analyser (partitions leased, so
which replica analyses which partition is decided as in production). They run in one
process and event loop (a replica is a set of background tasks; the loop is idle apart
from them and the emitter).

Traffic: a new campaign (young accounts sharing a template, band, subnets and a client,
harvest-shaped traits) at ``--rate`` records per second, each record handed to a replica
in turn, over a background of established accounts at the same rate. Which record makes
the cohort a campaign is found first, offline, by the memory analyser on the same
records and times (the stores agree; tests/test_intel_redis.py). The figure is the time
from that record's emission to the moment the last replica's verdict cache holds the
campaign (``cache.lookup``, polled every millisecond), per trial; a fresh key prefix per
trial.

Run ``python benchmarks/propagation.py [--quick] [--redis URL] [--replicas R]``
(default database 12 on 127.0.0.1:6379, only its own prefixes deleted). Writes
``results/propagation.json`` and ``results/propagation.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from latency import source
from machine import describe, write_results

from antiextract.intel.memory import MemoryIntel
from antiextract.intel.plane import intel_for
from antiextract.intel.records import Record
from antiextract.model.cohorts import CohortModel
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE
from antiextract.request.middleware import limits_from
from antiextract.settings import Settings
from antiextract.store.redis import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/12"
RESULTS = Path(__file__).resolve().parent / "results"
KEY = "t:propagation-camp"
HARVEST = ELICIT | FOCUS | SINGLE


def traffic(n: int, trial: int) -> list[tuple[float, Record]]:
    """(offset in seconds, record) pairs: campaign and background records alternating."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            a = i // 2
            keys = (KEY, "l:b0:propagation", f"n:198.51.{a % 50}.0/24", "c:bot")
            traits = HARVEST | (EXTRACT if a % 2 else 0)
            out.append((i, Record(0.0, f"young-{trial}-{a}", keys, True, traits, 800.0)))
        else:
            a = i // 2
            tpl = a % 300
            keys = (f"t:bg{tpl}", f"l:b0:bg{tpl}", f"n:10.{a % 200}.0/24", f"c:{a % 7}")
            out.append((i, Record(0.0, f"old-{trial}-{a}", keys, False, FOCUS, 600.0)))
    return out


def crossing(records: list[Record], model: CohortModel) -> int:
    """Index of the first record after which the memory analyser flags KEY."""
    intel = MemoryIntel(model, buffer=len(records) + 1, flush_records=10**9)
    for i, r in enumerate(records):
        intel.emit(r)
        intel.analyze(r.t)
        if intel.cache.lookup((KEY,), r.t):
            return i
    raise SystemExit("the campaign was never flagged: raise --records")


async def trial(url: str, n: int, replicas: int, rate: float, index: int) -> dict[str, Any]:
    settings = Settings(storage_uri=url, key_prefix=f"aeprop{index}")
    limits = limits_from(settings)
    model = CohortModel(**settings.campaign_model)
    stores = [
        RedisStore.from_url(url, limits, prefix=settings.key_prefix, cohort_model=model)
        for _ in range(replicas)
    ]
    planes = [intel_for(settings, s, time.time) for s in stores]
    for p in planes:
        await p.start()
    await asyncio.sleep(2 * settings.flush_ms / 1000)  # leases taken, loops idle
    plan = traffic(n, index)
    start = time.time() + 0.05
    records = [Record(start + i / rate, *_fields(r)) for i, r in plan]
    k = crossing(records, model)
    crossed_at = None
    reached: list[float | None] = [None] * replicas
    sent = 0
    try:
        while None in reached:
            now = time.time()
            while sent < len(records) and records[sent].t <= now:
                planes[sent % replicas].emit(records[sent])
                if sent == k:
                    crossed_at = now
                sent += 1
            if crossed_at is not None:
                for j, p in enumerate(planes):
                    if reached[j] is None and p.cache.lookup((KEY,), now):
                        reached[j] = now
            if sent == len(records) and now - (crossed_at or now) > 60:
                raise SystemExit("a replica never acted on the campaign within 60 s")
            await asyncio.sleep(0.001)
    finally:
        for p in planes:
            await p.stop()
        admin = redis.Redis.from_url(url)
        for key in admin.scan_iter(f"{settings.key_prefix}:*", count=1000):
            admin.delete(key)
        admin.close()
        for s in stores:
            await s.close()
    assert crossed_at is not None
    per_replica = [t - crossed_at for t in reached if t is not None]
    return {
        "crossing_record": k,
        "records_sent": sent,
        "seconds_to_every_replica": max(per_replica),
        "seconds_to_first_replica": min(per_replica),
    }


def _fields(r: Record) -> tuple[Any, ...]:
    return (r.account, r.cohorts, r.young, r.traits, r.cost)


def markdown(report: dict[str, Any]) -> str:
    m, p, s = report["machine"], report["parameters"], report["summary"]
    src = report["source"]
    lines = [
        "# Verdict propagation: campaign record → every replica acting on it",
        "",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}; {report['timestamp']}",
        f"antiextract from `{src['path']}`, commit {(src['git_commit'] or 'no git')[:12]}"
        f"{' + uncommitted changes' if src['git_uncommitted_changes'] else ''}.",
        f"{p['trials']} trials, {p['replicas']} replicas (one process, one event loop), "
        f"{p['rate']:g} records/s (half campaign, half background), default settings: "
        f"FLUSH_MS {p['flush_ms']}, VERDICT_REFRESH_MS {p['verdict_refresh_ms']}, "
        f"INTEL {p['intel']}, campaign model min_young {p['min_young']}.",
        "",
        "| figure | median | max | per trial |",
        "|---|---:|---:|---|",
        f"| s to every replica | {s['every_median']:.2f} | {s['every_max']:.2f} "
        f"| {', '.join(f'{x:.2f}' for x in s['every'])} |",
        f"| s to the first replica | {s['first_median']:.2f} | {s['first_max']:.2f} "
        f"| {', '.join(f'{x:.2f}' for x in s['first'])} |",
        "",
        f"Target (issue 16): ≤ 5 s to every replica at the defaults: "
        f"**{'met' if s['every_max'] <= 5 else 'NOT met'}** (worst trial {s['every_max']:.2f} s).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 trials")
    parser.add_argument("--trials", type=int)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0, help="records per second")
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--redis", default=REDIS_URL)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    trials = args.trials or (3 if args.quick else 10)
    results = []
    for i in range(trials):
        results.append(asyncio.run(trial(args.redis, args.records, args.replicas, args.rate, i)))
        r = results[-1]
        print(
            f"trial {i + 1}/{trials}: every replica {r['seconds_to_every_replica']:.2f} s, "
            f"first {r['seconds_to_first_replica']:.2f} s (record {r['crossing_record']})",
            file=sys.stderr,
        )
    every = [r["seconds_to_every_replica"] for r in results]
    first = [r["seconds_to_first_replica"] for r in results]
    d = Settings()
    admin = redis.Redis.from_url(args.redis)
    server = admin.info("server").get("redis_version")
    admin.close()
    report = {
        "kind": "propagation",
        "machine": describe(("antiextract", "redis"), redis_server=server),
        "source": source(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {
            "trials": trials,
            "replicas": args.replicas,
            "rate": args.rate,
            "records": args.records,
            "flush_ms": d.flush_ms,
            "verdict_refresh_ms": d.verdict_refresh_ms,
            "intel": d.intel,
            "min_young": CohortModel(**d.campaign_model).min_young,
            "quick": args.quick,
        },
        "trials": results,
        "summary": {
            "every": every,
            "first": first,
            "every_median": statistics.median(every),
            "every_max": max(every),
            "first_median": statistics.median(first),
            "first_max": max(first),
        },
    }
    stem = "propagation-quick" if args.quick else "propagation"
    print(write_results(args.out, stem, report, markdown(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
