"""Where the request path's time goes: µs per stage, and cProfile's top entries.

Each stage of ``Protected._decide`` (and around it) is called on its own, many times, with
the inputs the latency benchmark's requests give it (benchmarks/latency.py's workload:
500 accounts, a 2 KB or 32 KB chat prompt), and its median per call printed; then the
whole middleware is timed the same way (added over the bare app), and what the stages do
not explain is printed as the rest (ASGI wrapping, metrics, the glue). Finally the whole
path runs under cProfile and its top entries by own time are printed.

``--loop``: what else runs on the request's event loop. One middleware serves N requests
alone (its intelligence plane's background tasks running as in production) and every
callback the loop runs is timed in thread CPU time and put down to its task (the
requests, the flusher, the analyser, the verdict refresh, socket reads); for each source
the number of turns, their median and longest, and how many held the loop over 0.3 and
1 ms: a request arriving meanwhile waits that long (the p99 of latency.py).

A diagnostic, not a benchmark with a budget: absolute µs depend on the machine; compare
runs on the same machine only. Run ``python benchmarks/profile_path.py [--redis URL]
[--size 2KB|32KB] [--top 25] [--loop N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from latency import (
    PROMPT_SIZES,
    Receive,
    Send,
    Workload,
    antiextract_app,
    antiextract_settings,
    bare_app,
    chat_body,
)

from antiextract.intel.records import Record
from antiextract.model.bucket import take_cost
from antiextract.model.cohorts import cohort_keys
from antiextract.model.risk import RiskInput
from antiextract.request.apis import family_for_path
from antiextract.request.cost import estimate, prompt_tokens
from antiextract.request.fingerprint import client_fingerprint, template_fingerprint
from antiextract.request.identity import identify
from antiextract.request.policy import NO_EVIDENCE, decide, read_evidence
from antiextract.request.signals import read_signals
from antiextract.request.streams import buffer_body, inspect_body

REPEAT = 2000  # calls per stage (the median of their times is printed)


def timed(fn: Callable[[int], Any], n: int = REPEAT) -> float:
    """Median µs of ``fn(i)`` over ``n`` calls (each timed on its own)."""
    clock = time.perf_counter_ns
    times = []
    for i in range(n):
        start = clock()
        fn(i)
        times.append(clock() - start)
    return statistics.median(times) / 1000


async def atimed(fn: Callable[[int], Any], n: int = REPEAT) -> float:
    clock = time.perf_counter_ns
    times = []
    for i in range(n):
        start = clock()
        await fn(i)
        times.append(clock() - start)
    return statistics.median(times) / 1000


async def whole(app: Any, workload: Workload, n: int = REPEAT) -> float:
    async def call(i: int) -> None:
        send = Send()
        await app(workload.scope(i), Receive(workload.body), send)
        if send.status != 200:
            raise RuntimeError(f"request {i} answered {send.status}")

    await atimed(call, 200)  # warm-up: scripts loaded, memos filled, accounts known
    return await atimed(call, n)


async def stages(uri: str, size: str) -> dict[str, float]:
    """µs per stage for one store (``memory://`` or a Redis URL)."""
    workload = Workload(chat_body(PROMPT_SIZES[size]))
    prefix = {"key_prefix": "aeprofile"} if uri != "memory://" else {}
    mw = antiextract_app(antiextract_settings(uri, **prefix))
    bare = await whole(bare_app(), workload)
    full = await whole(mw, workload)
    s = mw.settings
    body = workload.body
    scope = workload.scope(0)
    headers = scope["headers"]
    peer = scope["client"][0]
    family = family_for_path(scope["path"])
    out: dict[str, float] = {}

    out["credentials (KeyPlaces.read)"] = timed(
        lambda i: mw.key_places.read(workload.headers[i % 500], b"", mw.hash_key)
    )
    out["body read (buffer_body)"] = await atimed(
        lambda i: buffer_body(Receive(body), s.inspect_max_bytes)
    )
    keys = mw.key_places.read(headers, b"", mw.hash_key)

    def ident(i: int) -> Any:
        auth = mw.trusted_headers.read(headers, peer)
        return identify(
            headers, peer, account=auth.account, trusted=s.trusted_proxies,
            key=mw.hash_key, keys=mw.key_places, query=b"", credentials=keys,
        )  # fmt: skip

    out["identity (trusted headers, identify)"] = timed(ident)
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    out["body inspect (inspect_body)"] = timed(
        lambda i: inspect_body(messages, len(body), True, headers, s.inspect_max_bytes)
    )
    out["parse (family.facts)"] = timed(lambda i: family.facts(body))
    facts = family.facts(body)

    def cost(i: int) -> Any:
        prompt_tokens(len(body), facts, max_output=s.max_output_tokens)
        return take_cost(
            estimate(len(body), facts, default_output=s.default_output_tokens,
                     max_output=s.max_output_tokens),
            mw.limits,
        )  # fmt: skip

    out["cost (estimate)"] = timed(cost)
    out["signals (read_signals)"] = timed(lambda i: read_signals(facts, mw.weights))
    out["fingerprint (template_fingerprint)"] = timed(
        lambda i: template_fingerprint(facts.prompt_text)
    )
    fp = template_fingerprint(facts.prompt_text)
    sig = read_signals(facts, mw.weights)
    out["cohorts (client fingerprint, cohort_keys)"] = timed(
        lambda i: cohort_keys(fp.skeleton, fp.bands, peer, client_fingerprint(headers))
    )
    ckeys = cohort_keys(fp.skeleton, fp.bands, peer, client_fingerprint(headers))
    out["store keys (digests, memoised)"] = timed(
        lambda i: (mw._store_key(f"key:{i % 500}", 16), mw._store_key(f"ip:{i % 500}", 12))
    )
    out["verdicts (cache.lookup)"] = timed(lambda i: mw.intel.cache.lookup(ckeys, 1.0))
    risk_in = RiskInput(sig.traits, sig.acute, fp.skeleton, None, 1.0)
    charge = None  # no verdict matches: the account-only call
    accounts = [mw._store_key(f"key:bench{i}", 16) for i in range(500)]
    now = time.time()
    c = take_cost(estimate(len(body), facts, default_output=256, max_output=4096), mw.limits)
    out["store call (store.evaluate)"] = await atimed(
        lambda i: mw.store.evaluate(accounts[i % 500], "ip", c, now, risk_in, charge)
    )
    outcome = await mw.store.evaluate(accounts[0], "ip", c, now, risk_in, charge)

    def policy(i: int) -> Any:
        found = mw.intel.cache.account(accounts[0], now)
        ev = read_evidence(found, now, mw.evidence_model) if found else NO_EVIDENCE
        return decide(outcome, mw.thresholds, sig.traits, ev)

    out["policy (evidence, decide)"] = timed(policy)
    out["record emit (Record, intel.emit)"] = timed(
        lambda i: mw._emit(Record(now, accounts[0], ckeys, False, sig.traits, c))
    )
    out["metrics (decision)"] = timed(
        lambda i: mw.metrics.decision("allow", (), "chat", True, 1e-4, mw.store.label)
    )

    named = sum(out.values())
    out["— whole middleware, added over the bare app"] = full - bare
    out["— rest: ASGI wrapping, Protected glue, settle, allowlist, counters"] = full - bare - named
    await mw.intel.stop()
    await mw.store.close()
    return out


async def profile(uri: str, size: str, top: int) -> str:
    workload = Workload(chat_body(PROMPT_SIZES[size]))
    prefix = {"key_prefix": "aeprofile"} if uri != "memory://" else {}
    mw = antiextract_app(antiextract_settings(uri, **prefix))
    await whole(mw, workload, 200)
    prof = cProfile.Profile()
    prof.enable()
    await whole(mw, workload, REPEAT)
    prof.disable()
    await mw.intel.stop()
    await mw.store.close()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def _source(handle: asyncio.Handle) -> str:
    """The task (coroutine name) or callback a loop turn ran."""
    callback = handle._callback  # type: ignore[attr-defined]
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        return task.get_coro().__qualname__  # type: ignore[union-attr]
    return getattr(callback, "__qualname__", type(callback).__name__)


async def loop_turns(uri: str, size: str, n: int) -> dict[str, list[int]]:
    """Thread-CPU ns of every event-loop turn while ``n`` requests run, by source."""
    workload = Workload(chat_body(PROMPT_SIZES[size]))
    prefix = {"key_prefix": "aeloop"} if uri != "memory://" else {}
    mw = antiextract_app(antiextract_settings(uri, **prefix))
    await whole(mw, workload, 500)  # plane started, scripts loaded, accounts known
    turns: dict[str, list[int]] = {}
    run = asyncio.Handle._run
    clock = time.thread_time_ns

    def timed_run(handle: asyncio.Handle) -> None:
        start = clock()
        run(handle)
        turns.setdefault(_source(handle), []).append(clock() - start)

    asyncio.Handle._run = timed_run  # type: ignore[method-assign]
    try:
        for i in range(n):  # one loop turn per request at least, as a server's are
            await mw(workload.scope(i), Receive(workload.body), Send())
            await asyncio.sleep(0)
    finally:
        asyncio.Handle._run = run  # type: ignore[method-assign]
        await mw.intel.stop()
        await mw.store.close()
    return turns


def print_turns(turns: dict[str, list[int]]) -> None:
    print(f"{'source':44s} {'turns':>7s} {'median µs':>10s} {'max µs':>9s} "
          f"{'>0.3 ms':>8s} {'>1 ms':>6s} {'CPU ms':>7s}")  # fmt: skip
    for name, ns in sorted(turns.items(), key=lambda kv: -sum(kv[1])):
        ns.sort()
        print(
            f"{name[:44]:44s} {len(ns):7d} {ns[len(ns) // 2] / 1e3:10.1f} {ns[-1] / 1e3:9.1f} "
            f"{sum(x > 300_000 for x in ns):8d} {sum(x > 1_000_000 for x in ns):6d} "
            f"{sum(ns) / 1e6:7.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", help="also profile the Redis store at this URL")
    parser.add_argument("--size", choices=sorted(PROMPT_SIZES), default="2KB")
    parser.add_argument("--top", type=int, default=25, help="cProfile entries printed")
    parser.add_argument("--no-cprofile", action="store_true")
    parser.add_argument("--loop", type=int, metavar="N", help="only the event-loop turns")
    args = parser.parse_args(argv)
    uris = ["memory://"] + ([args.redis] if args.redis else [])
    if args.loop:
        for uri in uris:
            print(f"\n## event-loop turns, {uri.split('://')[0]} store, {args.loop} requests")
            print_turns(asyncio.run(loop_turns(uri, args.size, args.loop)))
        return 0
    for uri in uris:
        result = asyncio.run(stages(uri, args.size))
        print(f"\n## {uri.split('://')[0]} store, {args.size} prompt: median µs per call")
        for name, us in result.items():
            print(f"{us:9.1f}  {name}")
    if not args.no_cprofile:
        for uri in uris:
            print(f"\n## cProfile, {uri.split('://')[0]} store, {REPEAT} requests, by own time")
            print(asyncio.run(profile(uri, args.size, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
