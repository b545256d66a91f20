"""Replays the zoo's traffic through ``AntiExtractMiddleware`` in-process, on simulated
time, and measures what each population got.

Each request is a real ASGI call into the middleware in front of a model stand-in that
answers as many tokens as the sender wanted, capped by the ``max_tokens`` that reached it
(so a degraded request's cut budget shows in the tokens served). Reported per population:

- attack families: full-fidelity yield (share of harvest requests answered in full: allowed,
  nothing rewritten), token yield (tokens served / tokens asked), and the time from the
  campaign's first request to the hour after which its hourly full-fidelity yield stays
  under 20% (``None``: never within the run);
- legit populations: impact (share of requests not served in full) and token impact;
- every population: what the classifiers read (share of requests with the ``elicit`` and
  ``focus`` signals) and per-account risk, by request number and by day (where risk
  saturates).

``advance`` is the one per-step hook: it moves the clock and lets anything the middleware
runs beside the request path catch up (an asynchronous analyzer's ``drain``).
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from typing import Any

import orjson

from antiextract import AntiExtractMiddleware, Settings

from .traffic import ATTACK, CREATED_HEADER, DAY, HOUR, LEGIT, START, ZooConfig, events, populate

DEFAULT_MAX = 16_384  # what the stand-in model serves when no max_tokens reaches it
FLAG_YIELD = 0.2  # threats.md: flagged once the hourly yield stays under this
RISK_AT = (1, 3, 5, 10, 20, 50, 100)  # request numbers at which per-account risk is read
# Signals of extraction-grade parameters (signals.read_signals names them).
EXTRACT_SIGNALS = frozenset(
    ("logprobs", "logit_probe", "logit_bias", "top_logprobs_all", "prompt_logprobs", "token_ids",
     "greedy_multi", "multi_sample", "large_output", "reasoning_max", "reasoning_include")
)  # fmt: skip


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def advance(mws: list[AntiExtractMiddleware], clock: Clock, now: float) -> None:
    """Move simulated time to ``now``; let the middlewares' background work catch up.

    The only place the replay steps time: once campaign detection runs in an asynchronous
    analyzer (``mw.intel``), its ``drain(now)`` is awaited here, before the next request."""
    clock.now = now
    for mw in mws:
        intel = getattr(mw, "intel", None)
        if intel is not None:
            await intel.drain(now)


class Recorder:
    """The audit logger's stand-in: keeps the last decision."""

    def __init__(self) -> None:
        self.last: dict[str, Any] | None = None
        self.events: Counter[str] = Counter()  # warnings and errors by name (store trouble)

    def info(self, event: str, **kw: Any) -> None:
        if event == "antiextract.decision":
            self.last = kw

    def warning(self, event: str, **kw: Any) -> None:
        self.events[event] += 1

    error = warning


class Upstream:
    """The model stand-in. Remembers what reached it, answers with usage (JSON or SSE)."""

    def __init__(self) -> None:
        self.wanted = 0
        self.reached: dict[str, Any] | None = None

    async def __call__(self, scope, receive, send) -> None:
        chunks = []
        while True:
            msg = await receive()
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        try:
            doc = orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            doc = {}
        self.reached = doc
        cap = doc.get("max_tokens") or doc.get("max_completion_tokens") or DEFAULT_MAX
        out = min(self.wanted, int(cap))
        usage = {"prompt_tokens": 500, "completion_tokens": out, "total_tokens": 500 + out}
        if doc.get("stream"):
            head = [(b"content-type", b"text/event-stream")]
            await send({"type": "http.response.start", "status": 200, "headers": head})
            chunk = {"choices": [{"index": 0, "delta": {"content": "ok"}}]}
            last = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage}
            for part in (chunk, last):
                data = b"data: " + orjson.dumps(part) + b"\n\n"
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
            return
        body = orjson.dumps({"choices": [{"message": {"content": "ok"}}], "usage": usage})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _settings(cfg: ZooConfig, uri: str, prefix: str) -> Settings:
    return Settings(
        storage_uri=uri,
        account_created_header=CREATED_HEADER if cfg.created_header else None,
        audit_sample_rate=1.0,
        key_prefix=prefix,
        ip_limits="",
        # the replay measures the detector, not the host: a loaded machine's slow Redis
        # reply must not turn a request over to the local fallback (memory and Redis runs
        # are compared figure for figure)
        store_timeout=2.0,
    )


def _full(
    req_body: dict[str, Any], reached: dict[str, Any] | None, action: str, status: int
) -> bool:
    """Served at full fidelity: allowed and forwarded with everything it asked for."""
    if status != 200 or action != "allow" or reached is None:
        return False
    return all(
        reached.get(k) == req_body.get(k) for k in ("max_tokens", "logprobs", "n", "logit_bias")
    )


async def run(
    cfg: ZooConfig,
    uri: str = "memory://",
    replicas: int = 1,
    progress: bool = False,
    trace: list[tuple] | None = None,
) -> dict[str, Any]:
    """One replay; ``trace`` (when given) receives a row per measured request:
    (family, account key, seat, time, harvest, elicit, focus, single, extract, ip, full,
    risk), for analyses that need more than the summary (evidence.py)."""
    accounts = populate(cfg)
    clock = Clock()
    recorder = Recorder()
    upstream = Upstream()
    prefix = f"aezoo{cfg.seed}"
    mws = [
        AntiExtractMiddleware(
            upstream, _settings(cfg, uri, prefix), clock, logger=recorder, drive_intel=True
        )
        for _ in range(replicas)
    ]
    if uri.startswith("redis"):
        await mws[0].store.client.flushdb()
    n_req: Counter[str] = Counter()
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    full: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    served: Counter[str] = Counter()
    read: dict[str, Counter[str]] = defaultdict(Counter)
    hourly: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    first: dict[str, float] = {}
    campaign_seen: dict[str, float] = {}
    risk: dict[str, list[float]] = defaultdict(list)  # account ident -> risk per request
    risk_day: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    begun: dict[str, float] = {}
    status_5xx = 0
    rotations = 0
    started = time.perf_counter()
    count = 0
    for t, acct in events(accounts):
        await advance(mws, clock, t)
        req = acct.request(t, cfg.created_header)
        fam = acct.family
        upstream.wanted, upstream.reached = req.wanted, None
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "POST",
            "path": "/v1/chat/completions",
            "raw_path": b"/v1/chat/completions",
            "headers": req.headers,
            "client": (req.ip, 40_000),
            "query_string": b"",
        }
        messages = [{"type": "http.request", "body": orjson.dumps(req.body), "more_body": False}]
        sent: list[dict] = []

        async def receive(messages=messages):
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message, sent=sent):
            sent.append(message)

        recorder.last = None
        await mws[count % replicas](scope, receive, send)
        count += 1
        status = next((m["status"] for m in sent if m["type"] == "http.response.start"), 0)
        status_5xx += status >= 500
        decision = recorder.last or {"action": "unknown", "risk": 0.0, "signals": []}
        action = decision["action"]
        got_full = _full(req.body, upstream.reached, action, status)
        if acct.warm:
            acct.warm -= 1
            continue
        acct.feedback(got_full, t)
        if trace is not None:
            sig = decision.get("signals") or []
            trace.append(
                (fam, acct.key, acct.ident, t, req.harvest, "elicit" in sig, "focus" in sig,
                 "single_turn" in sig, any(s in EXTRACT_SIGNALS for s in sig), req.ip,
                 got_full, float(decision.get("risk") or 0.0))
            )  # fmt: skip
        if not req.harvest and fam in ATTACK:  # cover traffic: not a harvest, not a legit user
            read[fam + ":cover"]["requests"] += 1
            read[fam + ":cover"]["full"] += got_full
            continue
        n_req[fam] += 1
        actions[fam][action] += 1
        full[fam] += got_full
        want = min(req.wanted, int(req.body.get("max_tokens") or DEFAULT_MAX))
        asked[fam] += want
        if status == 200 and upstream.reached is not None:
            cap = upstream.reached.get("max_tokens") or DEFAULT_MAX
            served[fam] += min(req.wanted, int(cap))
        signals = decision.get("signals") or []
        read[fam]["elicit"] += "elicit" in signals
        read[fam]["focus"] += "focus" in signals
        read[fam]["campaign"] += bool(decision.get("campaign"))
        first.setdefault(fam, t)
        if fam in ATTACK:
            hour = int((t - first[fam]) // HOUR)
            cell = hourly[fam][hour]
            cell[0] += 1
            cell[1] += got_full
            if decision.get("campaign") and fam not in campaign_seen:
                campaign_seen[fam] = t
        r = float(decision.get("risk") or 0.0)
        key = acct.ident
        risk[key].append(r)
        begun.setdefault(key, t)
        risk_day[key][int((t - begun[key]) // DAY)].append(r)
        if progress and count % 20_000 == 0:
            print(f"  {count:,} requests, day {(t - START) / DAY:.2f}", flush=True)
    for mw in mws:
        await mw.store.close()
    rotations = sum(a.rotations for a in accounts)
    elapsed = time.perf_counter() - started
    fams = [f for f in (*ATTACK, *LEGIT) if n_req[f]]
    pops: dict[str, Any] = {}
    for fam in fams:
        n = n_req[fam]
        p: dict[str, Any] = {
            "accounts": sum(a.family == fam for a in accounts),
            "requests": n,
            "actions": {k: round(v / n, 4) for k, v in sorted(actions[fam].items())},
            "read_elicit": round(read[fam]["elicit"] / n, 4),
            "read_focus": round(read[fam]["focus"] / n, 4),
            "in_campaign": round(read[fam]["campaign"] / n, 4),
            "risk": _risk_summary([k for k in risk if k.startswith(fam + "-")], risk, risk_day),
        }
        if fam in ATTACK:
            p["full_fidelity_yield"] = round(full[fam] / n, 4)
            p["token_yield"] = round(served[fam] / max(1, asked[fam]), 4)
            p["hours_to_flag"] = _hours_to_flag(hourly[fam])
            p["campaign_flag_minutes"] = (
                round((campaign_seen[fam] - first[fam]) / 60, 1) if fam in campaign_seen else None
            )
            cover = read[fam + ":cover"]
            if cover["requests"]:
                p["cover_requests"] = cover["requests"]
                p["cover_full"] = round(cover["full"] / cover["requests"], 4)
        else:
            p["impact"] = round(1 - full[fam] / n, 4)
            p["token_impact"] = round(1 - served[fam] / max(1, asked[fam]), 4)
        pops[fam] = p
    legit_n = sum(n_req[f] for f in LEGIT)
    attack_n = sum(n_req[f] for f in ATTACK)
    return {
        "seed": cfg.seed,
        "split": cfg.split,
        "days": cfg.days,
        "scale": cfg.scale,
        "families": list(cfg.families),
        "created_header": cfg.created_header,
        "warmup": cfg.warmup,
        "store": uri.split("://")[0],
        "replicas": replicas,
        "requests": count,
        "rotations": rotations,
        "status_5xx": status_5xx,
        "log_events": dict(recorder.events),
        "seconds": round(elapsed, 1),
        "populations": pops,
        "legit_impact_overall": round(1 - sum(full[f] for f in LEGIT) / legit_n, 4)
        if legit_n
        else None,
        "attack_yield_overall": round(sum(full[f] for f in ATTACK) / attack_n, 4)
        if attack_n
        else None,
    }


def _hours_to_flag(hours: dict[int, list[int]]) -> int | None:
    """Hours from the campaign's first request to the hour after which every hour's
    full-fidelity yield stays under FLAG_YIELD; None if the last hour is still above."""
    seen = sorted(h for h, (n, _) in hours.items() if n)
    above = [h for h in seen if hours[h][1] / hours[h][0] >= FLAG_YIELD]
    if not above:
        return 0
    if above[-1] == seen[-1]:
        return None
    return above[-1] + 1


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3)


def _risk_summary(keys: list[str], risk: dict[str, list[float]], risk_day: dict) -> dict[str, Any]:
    """Per-account risk at request number k, per day of the account's life, and its max."""
    maxima = [max(risk[k]) for k in keys if risk[k]]
    at: dict[str, Any] = {}
    for k in RISK_AT:
        vals = [risk[key][k - 1] for key in keys if len(risk[key]) >= k]
        if len(vals) >= 5:
            at[str(k)] = {
                "median": round(statistics.median(vals), 3),
                "p90": _pct(vals, 0.9),
                "accounts": len(vals),
            }
    by_day: dict[str, Any] = {}
    for d in range(7):
        vals = [max(risk_day[key][d]) for key in keys if risk_day[key].get(d)]
        if len(vals) >= 5:
            by_day[str(d + 1)] = {
                "median_of_day_max": round(statistics.median(vals), 3),
                "p90": _pct(vals, 0.9),
            }
    return {
        "account_max_median": round(statistics.median(maxima), 3) if maxima else None,
        "account_max_p90": _pct(maxima, 0.9) if maxima else None,
        "account_max_p99": _pct(maxima, 0.99) if maxima else None,
        "at_request": at,
        "by_day": by_day,
    }


__all__ = ["DAY", "advance", "run"]
