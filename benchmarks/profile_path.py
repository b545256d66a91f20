"""Where the request path's time goes: µs per stage, and cProfile's top entries.

First, in place (``Tracer``): whole requests run through the middleware with every stage
of the path wrapped (the functions ``Protected`` calls, the middleware's helpers, the
metrics, the store call), and each stage's exclusive time is printed, so the glue of
``__call__``, ``Protected.run`` and ``Protected._decide`` shows as rows of their own and
nothing is left to a "rest". Twice: with the intelligence plane driven (its buffer
filled as in production, its background tasks never started: the request's own time)
and running on the same event loop as in production and latency.py (its CPU lands on
the requests it interleaves with).

Then one by one (``stages``): each stage called many times on its own with the inputs
the latency benchmark's requests give it (benchmarks/latency.py's workload: 500
accounts, a 2 KB or 32 KB chat prompt), its median per call printed; warm caches make
these the floor of each stage. The whole middleware is timed the same way (added over
the bare app) with the plane running, driven, and off (``INTEL=off``: no records). Last,
the whole path runs under cProfile and its top entries by own time are printed.

``--loop``: what else runs on the request's event loop. One middleware serves N requests
alone (its intelligence plane's background tasks running as in production) and every
callback the loop runs is timed in thread CPU time and put down to its task (the
requests, the flusher, the analyser, the verdict refresh, socket reads); for each source
the number of turns, their median and longest, and how many held the loop over 0.3 and
1 ms: a request arriving meanwhile waits that long (the p99 of latency.py).

A diagnostic, not a benchmark with a budget: absolute µs depend on the machine; compare
runs on the same machine only. Run ``python benchmarks/profile_path.py [--redis URL]
[--size 2KB|32KB] [--top 25] [--trace] [--loop N]``.
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
from pathlib import Path
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
from antiextract.request.apis import FAMILIES, family_for_path
from antiextract.request.cost import estimate, prompt_tokens
from antiextract.request.fingerprint import client_fingerprint, template_fingerprint
from antiextract.request.identity import identify
from antiextract.request.parts import part_keys
from antiextract.request.policy import NO_EVIDENCE, decide, read_evidence
from antiextract.request.protected import Protected
from antiextract.request.signals import read_signals
from antiextract.request.streams import (
    Replay,
    ResponseObserver,
    buffer_body,
    inspect_body,
    uncompressed,
)
from antiextract.request.usage import UsageReader

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


async def atimed(
    fn: Callable[[int], Any],
    n: int = REPEAT,
    stat: Callable[[list[int]], float] = statistics.median,
) -> float:
    clock = time.perf_counter_ns
    times = []
    for i in range(n):
        start = clock()
        await fn(i)
        times.append(clock() - start)
    return stat(times) / 1000


async def whole(
    app: Any,
    workload: Workload,
    n: int = REPEAT,
    stat: Callable[[list[int]], float] = statistics.median,
) -> float:
    async def call(i: int) -> None:
        send = Send()
        await app(workload.scope(i), Receive(workload.body), send)
        if send.status != 200:
            raise RuntimeError(f"request {i} answered {send.status}")

    await atimed(call, 200)  # warm-up: scripts loaded, memos filled, accounts known
    return await atimed(call, n, stat)


async def stages(uri: str, size: str) -> dict[str, float]:
    """µs per stage for one store (``memory://`` or a Redis URL).

    Three stage groups, each called on its own with the workload's inputs: the parts of
    ``Protected._decide`` (then ``_decide`` whole, so its glue shows as a line of its own),
    the parts of the wrapper around it (``__call__``'s credentials, ``Protected.run``'s
    replay, metrics, observer, settlement, audit sampling), and the whole middleware,
    added over the bare app, three ways: with the intelligence plane's background tasks
    running on the same loop (as in production and latency.py), with the plane driven
    (its buffer filled exactly as in production, its tasks never started: the request's
    own time), and with ``INTEL=off`` (no records at all)."""
    workload = Workload(chat_body(PROMPT_SIZES[size]))
    prefix = {"key_prefix": "aeprofile"} if uri != "memory://" else {}
    settings = antiextract_settings(uri, **prefix)
    mw = antiextract_app(settings)
    bare = await whole(bare_app(), workload)
    full = await whole(mw, workload)
    driven_mw = antiextract_app(settings, drive_intel=True)
    driven = await whole(driven_mw, workload)
    off_mw = antiextract_app(settings.model_copy(update={"intel": "off"}))
    off = await whole(off_mw, workload)
    s = mw.settings
    body = workload.body
    scope = workload.scope(0)
    headers = scope["headers"]
    peer = scope["client"][0]
    family = family_for_path(scope["path"])
    out: dict[str, float] = {}

    # ----- Protected._decide, part by part
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
    identity = ident(0)
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
    out["wrapper parts (part_keys)"] = timed(
        lambda i: part_keys(facts.system_text, facts.user_text)
    )
    out["cohorts (client fingerprint, cohort_keys)"] = timed(
        lambda i: cohort_keys(fp.skeleton, fp.bands, peer, client_fingerprint(headers))
    )
    ckeys = cohort_keys(fp.skeleton, fp.bands, peer, client_fingerprint(headers))
    out["store keys (digests, memoised)"] = timed(
        lambda i: (mw._store_key(f"key:{i % 500}", 16), mw._store_key(f"ip:{i % 500}", 12))
    )
    out["allowlist (_current_allowlist)"] = timed(lambda i: mw._current_allowlist())
    risk_in = RiskInput(sig.traits, sig.acute, fp.skeleton, None, 1.0)
    accounts = [mw._store_key(f"key:bench{i}", 16) for i in range(500)]
    now = time.time()
    allow = mw._current_allowlist()
    probe = Protected(mw, keys)
    parts = part_keys(facts.system_text, facts.user_text)
    out["cohort input (_cohort_input, keys and age)"] = timed(
        lambda i: probe._cohort_input(
            identity,
            headers,
            fp.skeleton,
            fp.bands,
            sig,
            risk_in,
            accounts[i % 500],
            now,
            allow,
            parts,
        )
    )
    out["verdicts (cache.lookup)"] = timed(lambda i: mw.intel.cache.lookup(ckeys, 1.0))
    charge = None  # no verdict matches: the account-only call
    c = take_cost(estimate(len(body), facts, default_output=256, max_output=4096), mw.limits)
    out["store call (store.evaluate)"] = await atimed(
        lambda i: mw.store.evaluate(accounts[i % 500], "ip", c, now, risk_in, charge)
    )
    out["store glue (_evaluate: breaker, metrics)"] = (
        await atimed(lambda i: mw._evaluate(accounts[i % 500], "ip", c, now, risk_in, charge))
        - out["store call (store.evaluate)"]
    )
    outcome = await mw.store.evaluate(accounts[0], "ip", c, now, risk_in, charge)

    def after_store(i: int) -> None:
        if outcome.assessment is not None:
            mw._first_seen_cache(accounts[i % 500], now - outcome.assessment.age)
        mw._count_campaigns(outcome.cohorts)

    out["first-seen, campaigns gauge"] = timed(after_store)

    def policy(i: int) -> Any:
        found = mw.intel.cache.account(accounts[0], now)
        ev = read_evidence(found, now, mw.evidence_model) if found else NO_EVIDENCE
        return decide(outcome, mw.thresholds, sig.traits, ev)

    out["policy (evidence, decide)"] = timed(policy)
    out["record emit (Record, intel.emit)"] = timed(
        lambda i: mw._emit(Record(now, accounts[0], ckeys, False, sig.traits, c))
    )
    decide_parts = sum(out.values()) - out["credentials (KeyPlaces.read)"]
    decide_parts -= out["body read (buffer_body)"]

    async def decide_whole(i: int) -> None:
        p = Protected(mw, keys)
        await p._decide(workload.scope(i), messages, len(body), True)

    out["— _decide whole, minus its parts above (timed alone, warm: a floor)"] = (
        await atimed(decide_whole) - decide_parts
    )

    # ----- around _decide: __call__ and Protected.run
    out["__call__ checks, credentials (_credentials)"] = await atimed(
        lambda i: mw._credentials(workload.scope(i), Send())
    )
    out["Protected(), Replay()"] = timed(lambda i: (Protected(mw, keys), Replay(messages, None)))
    out["metrics (decision)"] = timed(
        lambda i: mw.metrics.decision("allow", (), "chat", True, 1e-4, mw.store.label)
    )
    p = Protected(mw, keys)
    await p._decide(scope, messages, len(body), True)
    out["refusal check (_refusal, an allow)"] = await atimed(lambda i: p._refusal(scope))
    answer = bare_app()

    async def observed(i: int) -> None:
        await answer(
            uncompressed(workload.scope(i)), Replay(messages, None), ResponseObserver(Send())
        )

    async def plain(i: int) -> None:
        await answer(workload.scope(i), Receive(body), Send())

    out["app behind Replay + ResponseObserver (over the app alone)"] = await atimed(
        observed
    ) - await atimed(plain)
    observer = ResponseObserver(Send())
    await answer(workload.scope(0), Replay(messages, None), observer)

    async def settle(i: int) -> None:
        # the reader's tokens() consumes what it kept: a fresh reader with the same body
        reader = observer.reader
        if reader is not None:
            fresh = UsageReader(reader.stream)
            fresh.feed(answer_body)
            observer.reader = fresh
        await p._settle(observer)

    answer_body = b"".join(observer.reader.kept or []) if observer.reader else b""
    out["settlement (_settle: usage read, charge, counters)"] = await atimed(settle)
    out["audit sampling (_sampled)"] = timed(lambda i: mw._sampled())

    named = sum(out.values())
    out["— whole middleware, added over the bare app (intel plane running)"] = full - bare
    out["— whole middleware, added, intel plane driven (request's own time)"] = driven - bare
    out["— whole middleware, added, INTEL=off (no records)"] = off - bare
    out["— rest of the request's own time: ASGI awaits, coroutine frames"] = driven - bare - named
    for m in (mw, driven_mw, off_mw):
        await m.intel.stop()
        await m.store.close()
    return out


class Tracer:
    """Times named functions where they run, inside whole requests: each wrapped call's
    exclusive time (its own, minus the wrapped calls it made), summed per name.

    Stages timed one by one in a loop (``stages``) run with warm caches and leave what
    they do not call to a "rest"; traced in place, every line of the path is charged to
    the innermost wrapped function running it, so a function's glue (``_decide``'s own
    lines, ``run``'s) shows as its own row. Each wrapped call costs the tracer's wrapper
    (a call, two clock reads, the bookkeeping); outside the clock reads that lands on the
    caller, so it is measured first (``calibrate``) and taken off each caller's own time
    per wrapped call it made. The traced whole is still slower than the untraced one
    (both printed)."""

    def __init__(self) -> None:
        self.own: dict[str, list[int]] = {}
        self._children = [0]  # wrapped time of the running calls' children, innermost last
        self._undo: list[Callable[[], None]] = []
        self.overhead = 0  # ns a wrapped call costs its caller outside its own clock reads

    def _account(self, name: str, elapsed: int) -> None:
        children = self._children.pop()
        self.own.setdefault(name, []).append(elapsed - children)
        self._children[-1] += elapsed + self.overhead

    def calibrate(self, n: int = 2_000, rounds: int = 25) -> None:
        """The wrapper's cost to a caller: a wrapped caller of ``n`` wrapped no-ops, the
        least of ``rounds`` tries (a loaded machine only ever adds to it)."""

        def noop() -> None:
            return None

        inner = self.wrap("calibration: inner", noop)

        def calls() -> None:
            for _ in range(n):
                inner()

        def bare_calls() -> None:
            for _ in range(n):
                noop()

        outer = self.wrap("calibration: outer", calls)
        traced_ns, plain_ns = [], []
        for _ in range(rounds):
            self.own.clear()
            outer()
            traced_ns.append(self.own["calibration: outer"][0])
            plain_start = time.perf_counter_ns()
            bare_calls()
            plain_ns.append(time.perf_counter_ns() - plain_start)
        self.overhead = max(0, (min(traced_ns) - min(plain_ns)) // n)
        self.own.clear()

    def wrap(self, name: str, fn: Any) -> Any:
        clock, account, children = time.perf_counter_ns, self._account, self._children
        if asyncio.iscoroutinefunction(fn) or (
            not isinstance(fn, type) and asyncio.iscoroutinefunction(type(fn).__call__)
        ):

            async def traced_async(*args: Any, **kwargs: Any) -> Any:
                children.append(0)
                start = clock()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    account(name, clock() - start)

            return traced_async

        def traced(*args: Any, **kwargs: Any) -> Any:
            children.append(0)
            start = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                account(name, clock() - start)

        return traced

    def patch(self, owner: Any, attr: str, name: str) -> None:
        """Replace ``owner.attr`` by its traced self until ``restore``."""
        had = attr in vars(owner) if hasattr(owner, "__dict__") else True
        old = getattr(owner, attr)
        setattr(owner, attr, self.wrap(name, old))
        if had:
            self._undo.append(lambda: setattr(owner, attr, old))
        else:  # an instance attribute shadowing the class's method: remove it again
            self._undo.append(lambda: delattr(owner, attr))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


TRACED_FUNCTIONS = {  # protected.py's names -> stage
    "buffer_body": "body read (buffer_body)",
    "inspect_body": "body inspect (inspect_body)",
    "identify": "identity (identify)",
    "family_for_path": "api family (family_for_path)",
    "prompt_tokens": "cost (prompt_tokens)",
    "estimate": "cost (estimate)",
    "take_cost": "cost (take_cost)",
    "read_signals": "signals (read_signals)",
    "template_fingerprint": "fingerprint (template_fingerprint)",
    "part_keys": "wrapper parts (part_keys)",
    "cohort_keys": "cohorts (cohort_keys)",
    "client_fingerprint": "cohorts (client_fingerprint)",
    "read_evidence": "policy (read_evidence)",
    "decide": "policy (decide)",
    "uncompressed": "wrapping (uncompressed)",
    "Replay": "wrapping (Replay)",
    "ResponseObserver": "wrapping (ResponseObserver)",
    "Record": "record (Record)",
    "RiskInput": "risk input (RiskInput)",
}
TRACED_MIDDLEWARE = {
    "_credentials": "__call__: credentials (_credentials)",
    "_evaluate": "store glue (_evaluate: breaker, timing, metrics)",
    "_store_key": "store keys (_store_key, memoised digests)",
    "_current_allowlist": "allowlist (_current_allowlist)",
    "_emit": "record emit (_emit, intel buffer)",
    "_first_seen_cache": "first-seen cache",
    "_count_campaigns": "campaigns gauge (_count_campaigns)",
    "_sampled": "audit sampling (_sampled)",
}
TRACED_PROTECTED = {
    "run": "Protected.run's own lines (glue)",
    "_decide": "Protected._decide's own lines (glue)",
    "_cohort_input": "cohort input (_cohort_input's own lines)",
    "_refusal": "refusal check (_refusal)",
    "_settle": "settlement (_settle: usage read, charge, counters)",
    "__init__": "Protected()",
}


async def traced(
    uri: str, size: str, n: int = REPEAT, **kwargs: Any
) -> tuple[dict[str, float], float, float, float]:
    """µs per request of every traced stage, in place; with the whole request's median
    added over the bare app untraced and traced, and the bare app's median."""
    import antiextract.request.protected as protected_module

    workload = Workload(chat_body(PROMPT_SIZES[size]))
    prefix = {"key_prefix": "aetrace"} if uri != "memory://" else {}
    mw = antiextract_app(antiextract_settings(uri, **prefix), **kwargs)
    median = statistics.median
    bare = await whole(bare_app(), workload, n, median)
    plain = await whole(mw, workload, n, median)
    tracer = Tracer()
    tracer.calibrate()
    for attr, name in TRACED_FUNCTIONS.items():
        tracer.patch(protected_module, attr, name)
    for attr, name in TRACED_MIDDLEWARE.items():
        tracer.patch(mw, attr, name)
    for attr, name in TRACED_PROTECTED.items():
        tracer.patch(Protected, attr, name)
    tracer.patch(mw.store, "evaluate", "store call (store.evaluate)")
    tracer.patch(mw.metrics, "decision", "metrics (decision)")
    tracer.patch(mw.metrics, "store_call", "metrics (store_call)")
    tracer.patch(mw.metrics, "settlement", "metrics (settlement)")
    tracer.patch(type(mw.trusted_headers), "read", "identity (trusted headers read)")
    for family in {family_for_path(workload.scope(0)["path"]), *FAMILIES.values()}:
        tracer.patch(family, "facts", "parse (family.facts)")
    tracer.patch(mw, "app", "the app (bare)")
    try:

        async def call(i: int) -> None:
            send = Send()
            await outer(workload.scope(i), Receive(workload.body), send)

        outer = tracer.wrap(
            "AntiExtractMiddleware.__call__'s own lines", mw.__class__.__call__.__get__(mw)
        )
        for i in range(200):
            await call(i)
        tracer.own.clear()
        with_tracer = await atimed(call, n, median)
    finally:
        tracer.restore()
        await mw.intel.stop()
        await mw.store.close()
    # a busy machine preempts some calls for milliseconds: the median of a stage's calls,
    # times its calls per request, is what a request spends there
    per_request = {k: statistics.median(v) * len(v) / n / 1000 for k, v in tracer.own.items()}
    per_request.pop("the app (bare)", None)
    per_request["(tracer: ns per wrapped call, taken off its caller)"] = tracer.overhead / 1000
    return per_request, plain - bare, with_tracer - bare, bare


def print_traced(result: tuple[dict[str, float], float, float, float], label: str) -> None:
    per_request, added, traced_added, bare = result
    overhead = per_request.pop("(tracer: ns per wrapped call, taken off its caller)")
    print(
        f"\n## {label}: µs per request, traced in place "
        "(exclusive time: median per call x calls per request)"
    )
    for name, us in sorted(per_request.items(), key=lambda kv: -kv[1]):
        print(f"{us:9.1f}  {name}")
    print(f"{sum(per_request.values()):9.1f}  — sum (antiextract's own time, the app's left out)")
    print(
        f"{added:9.1f}  — whole middleware, median added over the bare app ({bare:.1f}), untraced"
    )
    print(f"{traced_added:9.1f}  — the same, traced ({overhead * 1000:.0f} ns per wrapped call "
          "taken off its caller)")  # fmt: skip


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


async def call_counts(uri: str, size: str, n: int = 1000) -> tuple[float, dict[str, float]]:
    """Function calls per request through the whole middleware (cProfile's count: exact
    and repeatable whatever the machine's load, unlike a time), with the intelligence
    plane driven so that only the request's own calls count; the bare app's calls are
    taken off. Also per function of antiextract, calls per request."""

    async def count(app: Any) -> pstats.Stats:
        await whole(app, workload, 200)
        prof = cProfile.Profile()
        prof.enable()
        for i in range(n):
            await app(workload.scope(i), Receive(workload.body), Send())
        prof.disable()
        return pstats.Stats(prof)

    workload = Workload(chat_body(PROMPT_SIZES[size]))
    prefix = {"key_prefix": "aecalls"} if uri != "memory://" else {}
    mw = antiextract_app(antiextract_settings(uri, **prefix), drive_intel=True)
    bare = await count(bare_app())
    full = await count(mw)
    await mw.store.close()
    per_function = {
        f"{Path(path).name}:{line}({name})": row[1] / n
        for (path, line, name), row in full.stats.items()  # type: ignore[attr-defined]
        if "/antiextract/" in path
    }
    return (full.total_calls - bare.total_calls) / n, per_function  # type: ignore[attr-defined]


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
    parser.add_argument(
        "--trace", action="store_true", help="only the in-place trace (plane driven and running)"
    )
    parser.add_argument(
        "--calls", action="store_true", help="only function calls per request (deterministic)"
    )
    args = parser.parse_args(argv)
    uris = ["memory://"] + ([args.redis] if args.redis else [])
    if args.loop:
        for uri in uris:
            print(f"\n## event-loop turns, {uri.split('://')[0]} store, {args.loop} requests")
            print_turns(asyncio.run(loop_turns(uri, args.size, args.loop)))
        return 0
    if args.calls:
        for uri in uris:
            total, per_function = asyncio.run(call_counts(uri, args.size))
            print(f"\n## {uri.split('://')[0]} store, {args.size}: function calls per request")
            print(f"{total:9.1f}  — all, the bare app's taken off (cProfile's count)")
            top = sorted(per_function.items(), key=lambda kv: -kv[1])[: args.top]
            for name, calls in top:
                print(f"{calls:9.1f}  {name}")
        return 0
    for uri in uris:
        kind = uri.split("://")[0]
        driven = asyncio.run(traced(uri, args.size, drive_intel=True))
        print_traced(
            driven, f"{kind} store, {args.size}, intel plane driven (the request's own time)"
        )
        running = asyncio.run(traced(uri, args.size))
        print_traced(running, f"{kind} store, {args.size}, intel plane running on the same loop")
    if args.trace:
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
