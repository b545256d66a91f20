"""Garbage-collector pauses of a process holding the embedded store's state.

The memory store keeps a few GC-tracked objects per account and per IP (the entry, its
window dict and lists, its risk profile), and the in-process analyser its cohort and
account tables. CPython's full (generation 2) collection walks every tracked object and
runs whenever the objects that survived into generation 2 since the last one exceed a
quarter of those it holds: with the store growing, or churning at its LRU bound, one
every quarter of its size in new accounts, and each pause grows with the store. The
request on the loop at that moment waits for it.

This script sends ``--accounts`` requests, each from a new account and IP, through
latency.py's antiextract-memory middleware (the plane analysing in the same process),
recording every collection's pause (``gc.callbacks``) by generation; then it times one
full collection of what is held, and the same after ``gc.freeze()`` (which moves every
object to a permanent generation no collection walks).

``--gc-freeze-seconds S``: the same run with ``ANTIEXTRACT_GC_FREEZE_SECONDS=S`` (the
middleware's freezer started as a server's lifespan starts it), written as
``results/gc_pause-freeze.*``: the pauses with the opt-in freezer, beside those without.

Run ``python benchmarks/gc_pause.py [--accounts N] [--gc-freeze-seconds S]``; writes
``results/gc_pause.json`` and ``.md``. A diagnostic: pauses are milliseconds of this
machine (the figure that matters is their growth with the store).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from latency import Receive, Send, antiextract_app, antiextract_settings, chat_body, source
from machine import describe, write_results

PATH = "/v1/chat/completions"
RESULTS = Path(__file__).resolve().parent / "results"


def scope(i: int, length: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench.local"),
            (b"content-type", b"application/json"),
            (b"content-length", length),
            (b"authorization", b"Bearer sk-gc-%d" % i),
        ],
        "client": (f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def run(accounts: int, freeze_seconds: float = 0.0) -> dict[str, Any]:
    mw = antiextract_app(antiextract_settings("memory://", gc_freeze_seconds=freeze_seconds))
    await mw._start_intel()  # as the lifespan's start-up: the plane (and freezer, if set)
    body = chat_body(2048)
    length = str(len(body)).encode()
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter_ns()
        else:
            pauses[info["generation"]].append((time.perf_counter_ns() - started[0]) / 1e6)

    gc.collect()
    gc.callbacks.append(on_gc)
    try:
        for i in range(accounts):
            await mw(scope(i, length), Receive(body), Send())
            if i % 256 == 0:
                await asyncio.sleep(0)  # the plane analyses in slices, as in a server
        await mw.intel.drain(time.time())
    finally:
        gc.callbacks.remove(on_gc)
        await mw._stop_intel()
    frozen_by_freezer = gc.get_freeze_count()
    gc.unfreeze()  # what follows measures the process as a whole, as before
    tracked = len(gc.get_objects())
    start = time.perf_counter()
    gc.collect()
    full_ms = (time.perf_counter() - start) * 1e3
    gc.freeze()
    start = time.perf_counter()
    gc.collect()
    frozen_ms = (time.perf_counter() - start) * 1e3
    gc.unfreeze()
    return {
        "accounts": accounts,
        "gc_freeze_seconds": freeze_seconds,
        "frozen_by_the_freezer": frozen_by_freezer,
        "store_entries": len(mw.store),  # type: ignore[arg-type]
        "tracked_objects": tracked,
        "full_collection_ms": full_ms,
        "full_collection_after_freeze_ms": frozen_ms,
        "pauses": {
            g: {"count": len(p), "max_ms": max(p, default=0.0), "total_ms": sum(p)}
            for g, p in pauses.items()
        },
    }


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Garbage-collector pauses with the embedded store's state",
        "",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}; {r['timestamp']}; "
        f"commit {(r['source']['git_commit'] or 'no git')[:12]}.",
        f"{r['accounts']:,} requests, each from a new account and IP, through latency.py's "
        f"antiextract-memory middleware: {r['store_entries']:,} store entries, "
        f"{r['tracked_objects']:,} GC-tracked objects in the process.",
        (
            f"`ANTIEXTRACT_GC_FREEZE_SECONDS={r['gc_freeze_seconds']:g}`: "
            f"{r['frozen_by_the_freezer']:,} objects in the permanent generation at the end."
            if r.get("gc_freeze_seconds")
            else "`ANTIEXTRACT_GC_FREEZE_SECONDS=0` (the default: no freezer)."
        ),
        "",
        "| generation | collections | longest ms | total ms |",
        "|---|---:|---:|---:|",
    ]
    for g, p in r["pauses"].items():
        lines.append(f"| {g} | {p['count']:,} | {p['max_ms']:.1f} | {p['total_ms']:.1f} |")
    lines += [
        "",
        f"One full collection of what the process then holds: {r['full_collection_ms']:.1f} ms; "
        f"after `gc.freeze()`: {r['full_collection_after_freeze_ms']:.1f} ms.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--gc-freeze-seconds", type=float, default=0.0)
    args = parser.parse_args()
    r = asyncio.run(run(args.accounts, args.gc_freeze_seconds))
    r["machine"] = describe(("antiextract",))
    r["source"] = source()
    r["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
    stem = "gc_pause-freeze" if args.gc_freeze_seconds else "gc_pause"
    print(write_results(args.out, stem, r, markdown(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
