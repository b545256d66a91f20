"""What the store's Lua costs inside Redis, per request: evaluate.lua alone (an account
in no flagged campaign) and with the shared buckets of the campaigns a request matched
(combined.lua: evaluate.lua then campaign.lua for its template and band verdicts, in one
call), on a single Redis. Cohort counting is not here: it left the request path for the
analysers (benchmarks/intel.py measures them).

The latency benchmark sees a script's cost only mixed with the round trip and Python;
Redis's own accounting (``INFO commandstats``, reset before each timed batch) splits it
out: server µs per request for EVALSHA (which includes the commands the script calls),
and the client's wall time per ``RedisStore.evaluate`` call, medians over interleaved
rounds. 500 accounts on 40 subnets, one template shared by all, flagged (its template
and two bands matched: three shared buckets charged per request). A third variant sends
every call from an account never seen before, as a campaign's new accounts arrive.

Run ``python benchmarks/bench_scripts.py [--quick]``; uses database 14 and flushes it.
Writes ``results/scripts.json`` and ``results/scripts.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from machine import describe, write_results

from antiextract.model.campaigns import CampaignCharge
from antiextract.model.cohorts import CohortView, cohort_keys
from antiextract.model.risk import ELICIT, FOCUS, SINGLE, RiskInput
from antiextract.request.fingerprint import template_fingerprint
from antiextract.request.middleware import limits_from
from antiextract.settings import Settings
from antiextract.store.redis import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/14"
RESULTS = Path(__file__).resolve().parent / "results"
ACCOUNTS = 500
TRAITS = ELICIT | FOCUS | SINGLE
PROMPT = (
    "You are a careful senior engineer. Think step by step and show your reasoning.\n\n"
    "Implement the following function in Python and explain each design choice:\n"
    "def merge_intervals(items): ..."
)


def store() -> RedisStore:
    limits = limits_from(
        Settings(
            account_limits="1000000/minute",
            ip_limits="1000000/minute",
            bucket_capacity=10**12,
            bucket_refill_per_second=10**9,
        )
    )
    return RedisStore.from_url(REDIS_URL, limits, prefix="aescripts")


def requests() -> list[tuple[str, str, RiskInput, CampaignCharge]]:
    """One pre-built request per account; only the clock changes between calls."""
    fp = template_fingerprint(PROMPT)
    out = []
    for i in range(ACCOUNTS):
        ip = f"10.{i % 40}.0.{i % 250}"
        keys = cohort_keys(fp.skeleton, fp.bands, ip, "python-openai/1.x")
        risk = RiskInput(TRAITS, 0.0, fp.skeleton, None, 1.0)
        matched = tuple(CohortView(k, 3.0, 100, 100, 0.9) for k in keys if k[:1] in "tl")
        out.append((f"acct{i:04d}", f"ip{i:04d}", risk, CampaignCharge(matched)))
    return out


async def batch(
    s: RedisStore, reqs: list[Any], n: int, cohorts: bool, admin: redis.Redis, fresh: bool = False
) -> tuple[list[float], float, float]:
    """n calls; per-call wall µs, Redis's server µs per call and PFCOUNT calls per call,
    from commandstats.
    ``fresh``: every call from an account never seen before (a campaign's arrival)."""
    admin.config_resetstat()
    walls = []
    clock = time.perf_counter_ns
    for i in range(n):
        account, ip, risk, cohort = reqs[i % len(reqs)]
        if fresh:
            account = f"new{next(NEW)}"
        start = clock()
        await s.evaluate(
            account, ip, 500.0, time.time(), risk, campaigns=cohort if cohorts else None
        )
        walls.append((clock() - start) / 1000)
    stats = admin.info("commandstats")
    evalsha = stats.get("cmdstat_evalsha", {"usec": 0})
    pfcount = stats.get("cmdstat_pfcount", {"calls": 0})
    return walls, evalsha["usec"] / n, pfcount["calls"] / n


async def run(rounds: int, n: int) -> dict[str, Any]:
    admin = redis.Redis.from_url(REDIS_URL)
    admin.flushdb()
    s = store()
    reqs = requests()
    out: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "server": [], "pfcount": []}
        for name in ("accounts", "cohorts", "new_accounts")
    }
    try:
        for name in out:  # warm-up: every account and cohort exists, scripts loaded
            await batch(s, reqs, 2 * ACCOUNTS, name != "accounts", admin, name == "new_accounts")
        for r in range(rounds):
            order = sorted(out)
            for name in order[r % 3 :] + order[: r % 3]:  # each variant first in turn
                walls, server, pfcount = await batch(
                    s, reqs, n, name != "accounts", admin, name == "new_accounts"
                )
                out[name]["wall"].append(statistics.median(walls))
                out[name]["server"].append(server)
                out[name]["pfcount"].append(pfcount)
    finally:
        await s.close()
        admin.flushdb()
    rows = {
        name: {
            "wall_median_us": round(statistics.median(v["wall"]), 1),
            "server_us_per_request": round(statistics.median(v["server"]), 1),
            "server_per_round": [round(x, 1) for x in v["server"]],
            # sketch read-backs per request (a count, not a time: no noise)
            "pfcount_per_request": round(statistics.median(v["pfcount"]), 2),
        }
        for name, v in out.items()
    }
    cohorts, accounts = rows["cohorts"], rows["accounts"]
    return {
        "machine": describe(
            ("antiextract", "redis", "hiredis"),
            redis_server=admin.info("server")["redis_version"],
        ),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"rounds": rounds, "requests": n, "accounts": ACCOUNTS, "cohorts": 5},
        "results": rows,
        "cohorts_server_us": round(
            cohorts["server_us_per_request"] - accounts["server_us_per_request"], 1
        ),
        "cohorts_wall_us": round(cohorts["wall_median_us"] - accounts["wall_median_us"], 1),
    }


NEW = itertools.count()  # account numbers never used before (new_accounts)


def markdown(report: dict[str, Any]) -> str:
    rows = report["results"]
    lines = [
        "| store call | wall median µs | Redis server µs per request | PFCOUNT per request |",
        "|---|---:|---:|---:|",
        f"| evaluate.lua (campaigns off) | {rows['accounts']['wall_median_us']} "
        f"| {rows['accounts']['server_us_per_request']} "
        f"| {rows['accounts']['pfcount_per_request']} |",
        "| combined.lua: evaluate.lua + campaign.lua (3 shared buckets) "
        f"| {rows['cohorts']['wall_median_us']} "
        f"| {rows['cohorts']['server_us_per_request']} "
        f"| {rows['cohorts']['pfcount_per_request']} |",
        f"| the buckets' share | {report['cohorts_wall_us']} | {report['cohorts_server_us']} | |",
        "| combined.lua, each call from a new account (a campaign's arrival) "
        f"| {rows['new_accounts']['wall_median_us']} "
        f"| {rows['new_accounts']['server_us_per_request']} "
        f"| {rows['new_accounts']['pfcount_per_request']} |",
    ]
    m = report["machine"]
    head = f"{m['cpu']}, Python {m['python']}, Redis {m['redis_server']}; {report['timestamp']}"
    return head + "\n\n" + "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 1,000 calls")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rounds, n = (3, 1000) if args.quick else (7, 3000)
    report = asyncio.run(run(rounds, n))
    print(write_results(args.out, "scripts-quick" if args.quick else "scripts", report,
                        markdown(report)))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
