"""The intelligence plane's own costs: what one analyser sustains, and what the records
cost in Redis.

Traffic: records as the request plane emits them, five cohorts each (template, two LSH
bands, subnet, client) from a population of 20,000 accounts: 90% established accounts
spread over 2,000 templates (Zipf-like: a few are very popular), 5,000 subnets and 40
client fingerprints; 10% a campaign of 2,000 young accounts sharing one template, 50
subnets and one client. Times advance 1 ms per record.

Measured, each on one process (one core for the analyser; Redis runs on another):

* emit: the request path's whole cost, ``IntelPlane.emit`` per record (µs, median of
  rounds);
* memory analyser (``CohortTable.analyze``): records per second of process CPU;
* Redis flusher (``RedisIntel.flush``): records per second, the replica's CPU and Redis
  server CPU (``INFO cpu``) per record;
* Redis analyser (``RedisAnalyzer.step`` until the streams are drained): records per
  second of wall time, of the analyser's CPU, and Redis server CPU per record;
* Redis memory: ``MEMORY USAGE`` (exact, ``SAMPLES 0``) of every key the plane wrote,
  split into streams and cohort state, at two run sizes; per 1M records scaled linearly
  from the larger run (streams: bytes per entry times 1M; see the table's notes).

Wrapper parts' admission (``--parts``, ``CohortModel.part_marker_ttl``): the same
traffic with up to five ``p:`` keys per record as ``request/parts.py`` makes them
(``parts_traffic``): an established account's request carries its app's two system
sentences (60% of requests; one app per template) and three sentences of its user turn,
each a common phrase (15%, 2,000 of them, Zipf-like) or a one-off task sentence, and one
request in ten repeats that account's previous user parts (a retry, a follow-up); a
campaign's carry three of its grammar's 40 sentences. Folded with admission off
(``part_marker_ttl=0``, as before it) and on: Redis bytes (``MEMORY USAGE``) and keys of
the analysers' cohort state, parts and other cohorts apart; the memory analyser's table
entries, markers, and the non-part cohorts its LRU (``max_cohorts``) dropped; and whether
both runs give the same verdicts.

Run ``python benchmarks/intel.py [--quick] [--parts] [--redis URL]`` (default database 13
on 127.0.0.1:6379, flushed). Writes ``results/intel.json`` and ``results/intel.md``
(``--parts``: only the admission figures, ``results/intel_parts.json`` and ``.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from machine import describe, write_results

from antiextract.intel.analyzer import CohortTable
from antiextract.intel.memory import MemoryIntel
from antiextract.intel.plane import IntelStats
from antiextract.intel.records import Record
from antiextract.intel.redis import PARTITIONS, RedisAnalyzer, RedisIntel, stream_key
from antiextract.intel.verdicts import VerdictBook, VerdictCache
from antiextract.model.bucket import Limits
from antiextract.model.cohorts import CohortModel
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE
from antiextract.store.redis import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/13"
RESULTS = Path(__file__).resolve().parent / "results"
PREFIX = "aebench"
T0 = 1_800_000_000.0


def traffic(n: int, seed: int = 7) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t = T0 + i * 1e-3
        if rng.random() < 0.1:  # the campaign
            a = rng.randrange(2_000)
            keys = ("t:camp", "l:b0:camp", "l:b5:camp", f"n:198.51.{a % 50}.0/24", "c:bot")
            traits = ELICIT | FOCUS | SINGLE | (EXTRACT if rng.random() < 0.5 else 0)
            out.append(Record(t, f"young-{a}", keys, True, traits, 800.0))
        else:
            a = rng.randrange(18_000)
            tpl = int(rng.paretovariate(1.2)) % 2_000
            keys = (f"t:{tpl}", f"l:b0:{tpl}", f"l:b5:{tpl}", f"n:10.{a % 5_000}.0/24",
                    f"c:{a % 40}")  # fmt: skip
            traits = rng.choice([0, FOCUS, SINGLE, ELICIT | FOCUS, FOCUS | SINGLE])
            out.append(Record(t, f"old-{a}", keys, False, traits, 600.0))
    return out


def parts_traffic(n: int, seed: int = 7) -> list[Record]:
    """``traffic(n)`` with wrapper parts (the module docstring)."""
    rng = random.Random(seed + 1)
    common = [f"p:c{i:015x}" for i in range(2_000)]
    grammar = [f"p:g{i:015x}" for i in range(40)]
    last: dict[str, tuple[str, ...]] = {}
    out = []
    for r in traffic(n, seed):
        if r.account.startswith("young-"):
            parts = tuple(rng.sample(grammar, 3))
        else:
            system: tuple[str, ...] = ()
            if rng.random() < 0.6:
                app = r.cohorts[0][2:]
                system = (f"p:s{app.zfill(14)}a", f"p:s{app.zfill(14)}b")
            user = last.get(r.account) if rng.random() < 0.1 else None
            if user is None:
                user = tuple(
                    common[int(rng.paretovariate(1.1)) % len(common)]
                    if rng.random() < 0.15
                    else f"p:{rng.getrandbits(64):016x}"
                    for _ in range(3)
                )
            last[r.account] = user
            parts = system + user
        out.append(Record(r.t, r.account, r.cohorts + parts, r.young, r.traits, r.cost))
    return out


def _cohort_bytes(admin: redis.Redis) -> dict[str, int]:
    out = {"part_bytes": 0, "part_keys": 0, "part_markers": 0, "other_bytes": 0, "other_keys": 0}
    for key in admin.scan_iter(match=f"{PREFIX}:{{ic:*", count=1_000):
        size = admin.memory_usage(key, samples=0) or 0
        kind = "part" if b"{ic:p:" in key else "other"
        out[f"{kind}_bytes"] += size
        out[f"{kind}_keys"] += 1
        if kind == "part" and key.endswith(b":m"):
            out["part_markers"] += 1
    return out


async def _redis_parts(url: str, records: list[Record], m: CohortModel, admin: redis.Redis) -> Any:
    admin.flushdb()
    limits = Limits(capacity=1e9, refill=1e6)
    store = RedisStore.from_url(url, limits, prefix=PREFIX, timeout=10.0, cohort_model=m)
    intel = RedisIntel(store, analyze=False, buffer=len(records) + 1, stream_maxlen=10**8)
    for r in records:
        intel.emit(r)
    await intel.flush()
    analyzer = RedisAnalyzer(
        store, VerdictCache(), IntelStats(), lease_seconds=None, consumer="bench"
    )
    while await analyzer.step(records[-1].t):
        pass
    sizes = _cohort_bytes(admin)
    verdicts = sorted(analyzer.book.latest)
    await store.close()
    return sizes, verdicts


def bench_parts(url: str, n: int, admin: redis.Redis) -> dict[str, Any]:
    """Admission off and on over the same ``parts_traffic(n)`` (module docstring)."""
    records = parts_traffic(n)
    out: dict[str, Any] = {"records": n}
    part_keys = {k for r in records for k in r.cohorts if k.startswith("p:")}
    other_keys = {k for r in records for k in r.cohorts if not k.startswith("p:")}
    out["distinct_parts"], out["distinct_other"] = len(part_keys), len(other_keys)
    out["part_keys_per_record"] = sum(len(r.cohorts) - 5 for r in records) / n
    for name, ttl in (("off", 0), ("on", CohortModel().part_marker_ttl)):
        m = CohortModel(part_marker_ttl=ttl)
        table, book = CohortTable(m), VerdictBook(3_600.0)
        table.analyze(records, book)
        states = table.states
        kept_other = sum(1 for k in states if not k.startswith("p:"))
        memory = {
            "states": len(states),
            "part_states": len(states) - kept_other,
            "markers": len(table.markers),
            "other_dropped": len(other_keys) - kept_other,  # pushed out of the LRU
            "verdicts": sorted(book.latest),
        }
        sizes, verdicts = asyncio.run(_redis_parts(url, records, m, admin))
        out[name] = {"memory": memory, "redis": sizes, "redis_verdicts": verdicts}
    admin.flushdb()
    off, on = out["off"], out["on"]
    out["same_verdicts"] = (
        off["memory"]["verdicts"] == on["memory"]["verdicts"] == off["redis_verdicts"]
        == on["redis_verdicts"]
    )  # fmt: skip
    out["flagged"] = len(on["memory"]["verdicts"])
    for run in (off, on):  # the lists were for the comparison; their sizes are the figure
        run["memory"]["verdicts"] = len(run["memory"]["verdicts"])
        run["redis_verdicts"] = len(run["redis_verdicts"])
    return out


def parts_table(report: dict[str, Any]) -> str:
    p = report["parts"]
    off, on = p["off"], p["on"]

    def row(name: str, f: Any) -> str:
        return f"| {name} | {f(off)} | {f(on)} |"

    mib = 2**20
    lines = [
        f"# Wrapper parts' admission ({report['when']}, {report['machine']['cpu']}, "
        f"{report['machine']['cores']} cores shared)",
        "",
        f"Command: `{report['command']}`. Traffic: `parts_traffic({p['records']:,})` (the "
        f"benchmarks/intel.py docstring): {p['part_keys_per_record']:.2f} part keys per "
        f"record, {p['distinct_parts']:,} distinct parts, {p['distinct_other']:,} other "
        "cohorts. Admission off is `part_marker_ttl=0` (every part a cohort state at once, "
        f"as before); on is the default ({CohortModel().part_marker_ttl:,} s).",
        "",
        "| figure | admission off | admission on |",
        "|---|---|---|",
        row("Redis: parts' bytes (MEMORY USAGE)",
            lambda r: f"{r['redis']['part_bytes'] / mib:.1f} MiB"),
        row("Redis: parts' keys (of them markers)",
            lambda r: f"{r['redis']['part_keys']:,} ({r['redis']['part_markers']:,})"),
        row("Redis: other cohorts' bytes", lambda r: f"{r['redis']['other_bytes'] / mib:.1f} MiB"),
        row("memory: cohort table entries (of them parts)",
            lambda r: f"{r['memory']['states']:,} ({r['memory']['part_states']:,})"),
        row("memory: markers", lambda r: f"{r['memory']['markers']:,}"),
        row("memory: other cohorts pushed out of the LRU",
            lambda r: f"{r['memory']['other_dropped']:,}"),
        row("cohorts flagged (memory / Redis)",
            lambda r: f"{r['memory']['verdicts']} / {r['redis_verdicts']}"),
        "",
        f"Same verdicts, off and on, memory and Redis: {p['same_verdicts']}. Bytes are "
        "after one pass of the records (1 ms apart, nothing expired); kept state grows "
        "with the distinct parts of a state's or a marker's lifetime (three days for a "
        "state, `part_marker_ttl` idle for a marker).",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def bench_emit(records: list[Record], rounds: int) -> float:
    """µs per emit (the request path's cost), median of rounds."""
    times = []
    for _ in range(rounds):
        intel = MemoryIntel(CohortModel(), buffer=len(records) + 1, flush_records=10**9)
        start = time.perf_counter()
        for r in records:
            intel.emit(r)
        times.append((time.perf_counter() - start) / len(records) * 1e6)
    return statistics.median(times)


def bench_memory(records: list[Record]) -> dict[str, float]:
    table, book = CohortTable(CohortModel()), VerdictBook(3_600.0)
    cpu = time.process_time()
    table.analyze(records, book)
    cpu = time.process_time() - cpu
    return {"records_per_cpu_second": len(records) / cpu, "cohorts": len(table.states)}


def redis_cpu(admin: redis.Redis) -> float:
    info = admin.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def bench_redis(url: str, records: list[Record], admin: redis.Redis) -> dict[str, Any]:
    admin.flushdb()
    limits = Limits(capacity=1e9, refill=1e6)
    store = RedisStore.from_url(url, limits, prefix=PREFIX, timeout=10.0)
    intel = RedisIntel(store, analyze=False, buffer=len(records) + 1, stream_maxlen=10**8)
    for r in records:
        intel.emit(r)
    n = len(records)
    server, wall, cpu = redis_cpu(admin), time.perf_counter(), time.process_time()
    await intel.flush()
    flush = {
        "records_per_second": n / (time.perf_counter() - wall),
        "client_cpu_us_per_record": (time.process_time() - cpu) / n * 1e6,
        "redis_cpu_us_per_record": (redis_cpu(admin) - server) / n * 1e6,
    }
    stream_bytes = sum(
        admin.memory_usage(stream_key(PREFIX, p), samples=0) or 0 for p in range(PARTITIONS)
    )
    stats = IntelStats()
    analyzer = RedisAnalyzer(store, VerdictCache(), stats, lease_seconds=None, consumer="bench")
    server, wall, cpu = redis_cpu(admin), time.perf_counter(), time.process_time()
    while await analyzer.step(T0 + n * 1e-3):
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert stats.analyzed == n, (stats.analyzed, n)
    stream_after = sum(
        admin.memory_usage(stream_key(PREFIX, p), samples=0) or 0 for p in range(PARTITIONS)
    )
    analyse = {
        "records_per_second": n / wall,
        "records_per_analyser_cpu_second": n / cpu,
        "redis_cpu_us_per_record": (redis_cpu(admin) - server) / n * 1e6,
    }
    cohort_bytes, cohort_keys = 0, 0
    for key in admin.scan_iter(match=f"{PREFIX}:{{ic:*", count=1_000):
        cohort_bytes += admin.memory_usage(key, samples=0) or 0
        cohort_keys += 1
    await intel.stop()
    await store.close()
    return {
        "records": n,
        "flush": flush,
        "analyse": analyse,
        "memory": {
            "stream_bytes": stream_bytes,
            "stream_bytes_per_record": stream_bytes / n,
            "stream_bytes_after": stream_after,
            "cohort_bytes": cohort_bytes,
            "cohort_keys": cohort_keys,
            "used_memory": admin.info("memory")["used_memory"],
        },
    }


def table(report: dict[str, Any]) -> str:
    small, large = report["redis"]
    mem, flush, analyse = large["memory"], large["flush"], large["analyse"]
    rows = [
        ("emit (the request path's cost), µs per record", f"{report['emit_us']:.2f}"),
        (
            "memory analyser, records/s per CPU second",
            f"{report['memory']['records_per_cpu_second']:,.0f}",
        ),
        (
            "Redis flusher, records/s (entries of 64 records)",
            f"{flush['records_per_second']:,.0f}",
        ),
        (
            "Redis flusher, replica CPU µs per record (its all-in cost per request)",
            f"{flush['client_cpu_us_per_record']:.1f}",
        ),
        ("Redis flusher, Redis CPU µs per record", f"{flush['redis_cpu_us_per_record']:.1f}"),
        ("Redis analyser, records/s wall (one process)", f"{analyse['records_per_second']:,.0f}"),
        (
            "Redis analyser, records/s per analyser CPU second",
            f"{analyse['records_per_analyser_cpu_second']:,.0f}",
        ),
        ("Redis analyser, Redis CPU µs per record", f"{analyse['redis_cpu_us_per_record']:.1f}"),
        (
            "stream, bytes per record waiting (MEMORY USAGE)",
            f"{mem['stream_bytes_per_record']:.0f}",
        ),
        ("streams, per 1M records waiting", f"{mem['stream_bytes_per_record']:.0f} MB"),
        (
            "streams after analysis (trimmed to the backlog)",
            f"{mem['stream_bytes_after'] / 2**10:,.0f} KiB",
        ),
    ]
    for run in (small, large):
        m = run["memory"]
        rows.append((
            f"cohort state after {run['records']:,} records",
            f"{m['cohort_bytes'] / 2**20:.1f} MiB ({m['cohort_keys']:,} keys)",
        ))  # fmt: skip
    lines = [
        f"# Intelligence plane ({report['when']}, {report['machine']['cpu']}, "
        f"{report['machine']['cores']} cores shared)",
        "",
        f"Command: `{report['command']}`. Traffic: 5 cohorts per record, 20,000 accounts, "
        "10% from one campaign (the benchmarks/intel.py docstring); Redis figures from the "
        f"run of {large['records']:,} records.",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
        "How the per-1M figures scale: a stream entry is one field in a listpack, so streams "
        "grow linearly with the records waiting in them (bytes per record x 1M records = "
        "that many MB); once analysed, entries are trimmed (XTRIM MINID after XACK), and "
        f"MAXLEN ~ {report['stream_maxlen']:,} per partition x {PARTITIONS} bounds a backlog. "
        "Cohort state does not grow with records but with distinct cohorts (a state and up "
        "to four HyperLogLogs each: sparse and small under ~3,000 accounts, 12 KB dense) "
        "kept two to three days: the two run sizes show it levelling off as this "
        "population's cohorts fill, so it is not scaled per record. Timings share two cores "
        "with other work: compare rows of one run, not runs of different days.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="runs of 20,000 and 50,000")
    parser.add_argument("--redis", default=REDIS_URL, help=f"database to use ({REDIS_URL})")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--parts", action="store_true", help="only wrapper parts' admission, off and on"
    )
    args = parser.parse_args()
    if args.parts:
        admin = redis.Redis.from_url(args.redis)
        n = 20_000 if args.quick else 100_000
        report = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python benchmarks/intel.py --parts" + (" --quick" if args.quick else ""),
            "machine": describe(["redis"], redis_server=admin.info()["redis_version"]),
            "parts": bench_parts(args.redis, n, admin),
        }
        print(write_results(args.out, "intel_parts", report, parts_table(report)))
        return
    sizes = (20_000, 50_000) if args.quick else (50_000, 200_000)
    records = traffic(sizes[-1])
    admin = redis.Redis.from_url(args.redis)
    from antiextract.intel.redis import STREAM_MAXLEN

    report: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/intel.py" + (" --quick" if args.quick else ""),
        "machine": describe(
            ["redis", "hiredis", "orjson"], redis_server=admin.info()["redis_version"]
        ),
        "stream_maxlen": STREAM_MAXLEN,
        "emit_us": bench_emit(records[:50_000], rounds=5),
        "memory": bench_memory(records),
        "redis": [asyncio.run(bench_redis(args.redis, records[:n], admin)) for n in sizes],
    }
    admin.flushdb()
    print(write_results(args.out, "intel", report, table(report)))


if __name__ == "__main__":
    main()
