"""Campaign simulation: several simulated days of legitimate and extraction traffic.

A seeded generator drives the real middleware in-process (real ASGI calls into a fake
model app) on simulated time, on the memory or the Redis store, with the populations that
make distillation hard to tell from ordinary use:

- ``ide``: IDE-assistant users: old accounts, one long shared system prompt, templated
  coding requests, mostly multi-turn, tools defined, workday bursts;
- ``batch``: enterprise batch jobs: one old account each, huge templated volume at machine
  pacing, all day, no reasoning asked for, some logprobs (classifier confidence);
- ``tenant``: a multi-tenant app: many keys, one shared system prompt, mixed tasks;
- ``newbie``: new people trying the API: fresh accounts, varied prompts, some coding,
  sometimes "step by step", human sessions;
- ``attacker``: the seed-shaped naive campaign: fresh accounts in waves, 20-40 requests
  per account per day spread over the whole day, one templated coding/agentic wrapper with
  reasoning elicitation, large output budgets, some logprobs / n>1, hosting-range IPs.

Reported per population: share of requests delivered in full / degraded / challenged /
throttled / blocked, attacker full-fidelity yield, legitimate impact, and the separation
of per-account risk. ``python benchmarks/simulate.py --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from antiextract import AntiExtractMiddleware, Settings
from antiextract.store import StoreError

DAY = 86_400.0
HOUR = 3_600.0
START = 1_798_761_600.0  # 2027-01-01T00:00:00Z: a Friday does not matter, hours do
RESULTS = Path(__file__).resolve().parent / "results"
LEGIT = ("ide", "batch", "tenant", "newbie")
ATTACKERS = ("attacker", "attacker_para", "attacker_slow")
CREATED_HEADER = "x-account-created"

# --------------------------------------------------------------------------- prompts

IDE_SYSTEM = (
    "You are CodePilot, an AI pair programmer embedded in the user's editor. You have "
    "access to the open files, the terminal and the project tree. Follow the user's "
    "coding conventions, prefer minimal diffs, never invent APIs, and answer with code "
    "blocks followed by a short explanation. When you edit files, use the apply_patch "
    "tool. " * 12
)
TENANT_SYSTEM = (
    "You are Tripsy, a friendly travel and lifestyle assistant inside the Tripsy app. "
    "Be concise, warm and practical; suggest concrete options with prices when you can. " * 6
)
CODE_TASKS = [
    "implement a function that merges overlapping intervals",
    "refactor this class to use dependency injection",
    "fix the bug in this async retry loop",
    "write unit tests with pytest for the parser module",
    "explain why this SQL query is slow and rewrite it",
    "add type hints to this module and fix mypy errors",
    "convert this callback-based code to async/await",
    "implement an LRU cache with O(1) operations",
    "write a Rust function that parses a CSV line with quotes",
    "design a REST API endpoint for paginated search",
    "debug this stack trace from the Django view",
    "optimise this numpy loop with vectorisation",
]
AGENT_TASKS = [
    "plan the steps to migrate a monolith to microservices and execute the following "
    "subtasks with tool calls",
    "as an autonomous agent, break the task of setting up CI for a Python repository into "
    "a multi-step plan",
    "you are a coding agent: find the failing test, patch the code, rerun the tests",
]
# What new people ask when they try coding help: their own problems, not a dataset's.
NEWBIE_CODE = [
    "why does my flask app return 404 for the /login route",
    "how do I read a csv file into pandas and drop empty rows",
    "my react component re-renders forever, what am I doing wrong",
    "help me write a bash script that renames photos by date",
    "what's the difference between a list and a tuple in python",
    "can you fix the indentation error in my script",
]
GENERAL = [
    "what should I pack for a week in Lisbon in March?",
    "write a short poem about the sea at night",
    "give me a vegetarian recipe with lentils and spinach",
    "how do I politely decline a wedding invitation?",
    "summarise the causes of the French revolution",
    "what is a good beginner workout routine at home?",
    "recommend three novels like The Remains of the Day",
    "help me write a cover letter for a museum job",
    "explain how compound interest works with an example",
    "plan a three-day itinerary for Kyoto",
]
ELICIT_HUMAN = ["Can you explain it step by step?", "Please walk me through your reasoning."]
ATTACK_WRAPPERS = [
    "You are a world-class software engineer. Solve the task below. Think step by step and "
    "show your full reasoning before the final answer. Task: {task}. Provide complete, "
    "production-quality code.",
    "Act as an expert programmer. Task: {task}. Explain your chain of thought in detail, "
    "then give the final code in one block.",
]
# Per-account paraphrases of the wrapper: what a campaign does to dodge exact-template
# matching. Each account picks one variant of each phrase once and keeps it.
PARAPHRASES = {
    "You are a world-class software engineer.": [
        "You are a world-class software engineer.", "You are an expert software engineer.",
        "Act as a senior software engineer.", "You are a top software engineer.",
    ],
    "Solve the task below.": [
        "Solve the task below.", "Complete the task below.", "Work on the following task.",
        "Handle the task that follows.",
    ],
    "Think step by step and show your full reasoning before the final answer.": [
        "Think step by step and show your full reasoning before the final answer.",
        "Think it through step by step, showing all of your reasoning, then answer.",
        "Reason step by step and explain your complete thought process first.",
    ],
    "Provide complete, production-quality code.": [
        "Provide complete, production-quality code.", "Give production-ready code.",
        "Write the full code, production quality.",
    ],
}  # fmt: skip
PARA_WRAPPER = " ".join(PARAPHRASES) + " Task: {task}."
BATCH_TEMPLATE = (
    "Classify the following customer support ticket into one of: billing, shipping, "
    "returns, technical, other. Answer with the label only.\n\nTicket #{n}: {text}"
)
TICKETS = [
    "my parcel has not arrived after two weeks",
    "I was charged twice for the same order",
    "the app crashes when I open settings",
    "how do I return a damaged item",
    "can I change the delivery address",
]


def code_snippet(rng: random.Random) -> str:
    name = rng.choice(["process", "handle", "merge", "parse", "fetch"]) + str(rng.randint(1, 99))
    lines = [f"def {name}(items, limit={rng.randint(1, 100)}):"]
    for i in range(rng.randint(3, 25)):
        lines.append(f"    value_{i} = items[{i}] * {rng.randint(2, 9)} if items else None")
    lines.append("    return value_0")
    return "```python\n" + "\n".join(lines) + "\n```"


# --------------------------------------------------------------------------- accounts


@dataclass
class Account:
    pop: str
    key: str
    ip: str
    created: float
    rng: random.Random
    ua: str
    tz: float = 0.0  # hours offset of the person's working day
    history: list[dict[str, Any]] = field(default_factory=list)
    variant: int = 0
    wrapper: str = ""

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {self.key}".encode()),
            (b"user-agent", self.ua.encode()),
            (CREATED_HEADER.encode(), str(int(self.created)).encode()),
        ]


def body_for(acct: Account) -> dict[str, Any]:
    rng = acct.rng
    pop = acct.pop
    if pop == "ide":
        task = rng.choice(CODE_TASKS)
        user = f"{task}\n\n{code_snippet(rng)}"
        if rng.random() < 0.08:
            user += "\n" + rng.choice(ELICIT_HUMAN)
        msgs: list[dict[str, Any]] = [{"role": "system", "content": IDE_SYSTEM}]
        if acct.history and rng.random() < 0.75:
            msgs += acct.history[-4:]
        else:
            acct.history = []
        msgs.append({"role": "user", "content": user})
        acct.history = [*msgs[1:], {"role": "assistant", "content": "Here is the patch: ..."}]
        doc: dict[str, Any] = {"model": "m", "messages": msgs, "max_tokens": 4096}
        if rng.random() < 0.5:
            doc["tools"] = [{"type": "function", "function": {"name": "apply_patch"}}]
        return doc
    if pop == "batch":
        n = rng.randint(1, 10**6)
        text = BATCH_TEMPLATE.format(n=n, text=rng.choice(TICKETS))
        doc = {"model": "m", "messages": [{"role": "user", "content": text}], "max_tokens": 8}
        if acct.variant == 1:
            doc.update(logprobs=True, top_logprobs=3, temperature=0)
        return doc
    if pop == "tenant":
        msgs = [{"role": "system", "content": TENANT_SYSTEM}]
        if acct.history and rng.random() < 0.5:
            msgs += acct.history[-2:]
        msgs.append({"role": "user", "content": rng.choice(GENERAL)})
        acct.history = [msgs[-1], {"role": "assistant", "content": "Sure! Here are ..."}]
        return {"model": "m", "messages": msgs, "max_tokens": 1024}
    if pop == "newbie":
        if rng.random() < 0.4:
            user = rng.choice(NEWBIE_CODE) + (
                "\n" + code_snippet(rng) if rng.random() < 0.5 else ""
            )
        else:
            user = rng.choice(GENERAL)
        if rng.random() < 0.2:
            user += " " + rng.choice(ELICIT_HUMAN)
        msgs = []
        if acct.history and rng.random() < 0.5:
            msgs += acct.history[-2:]
        msgs.append({"role": "user", "content": user})
        acct.history = [msgs[-1], {"role": "assistant", "content": "Answer ..."}]
        doc = {"model": "m", "messages": msgs}
        if rng.random() < 0.3:
            doc["max_tokens"] = rng.choice([256, 1024, 4096])
        return doc
    # attackers
    if pop in ("attacker_para", "attacker_slow"):
        wrapper = acct.wrapper
    else:
        wrapper = ATTACK_WRAPPERS[acct.variant % len(ATTACK_WRAPPERS)]
    task = rng.choice(CODE_TASKS + AGENT_TASKS) + "\n" + code_snippet(rng)
    doc = {
        "model": "m",
        "messages": [{"role": "user", "content": wrapper.format(task=task)}],
        "max_tokens": rng.choice([8192, 16384]),
    }
    roll = rng.random()
    if roll < 0.2:
        doc.update(logprobs=True, top_logprobs=5)
    elif roll < 0.3:
        doc.update(n=4)
    return doc


# --------------------------------------------------------------------------- schedule


def human_times(acct: Account, day: int, per_day: tuple[int, int]) -> list[float]:
    """Sessions inside a working day (local 9-18h), a few requests each."""
    rng = acct.rng
    base = START + day * DAY - acct.tz * HOUR
    out: list[float] = []
    target = rng.randint(*per_day)
    while len(out) < target:
        t = base + rng.uniform(9, 18) * HOUR
        for _ in range(rng.randint(2, 8)):
            t += rng.expovariate(1 / 90.0) + 5
            out.append(t)
    return out[:target]


def schedule(accounts: list[Account], days: int) -> list[tuple[float, int]]:
    events: list[tuple[float, int]] = []
    for i, a in enumerate(accounts):
        rng = a.rng
        for day in range(days):
            start = START + day * DAY
            if a.pop == "ide":
                if rng.random() < 0.85:  # most days are workdays
                    events += [(t, i) for t in human_times(a, day, (40, 150))]
            elif a.pop == "tenant" or (a.pop == "newbie" and a.created <= start + DAY):
                events += [(t, i) for t in human_times(a, day, (5, 30))]
            elif a.pop == "batch":
                t = start + rng.uniform(0, 30)
                while t < start + DAY:
                    events.append((t, i))
                    t += 20.0 * rng.uniform(0.98, 1.02)
            elif a.pop.startswith("attacker") and a.created <= start + DAY:
                count = rng.randint(3, 6) if a.pop == "attacker_slow" else rng.randint(20, 40)
                lo = max(start, a.created)
                events += [(rng.uniform(lo, start + DAY), i) for _ in range(count)]
    events = [(t, i) for t, i in events if t >= accounts[i].created]
    heapq.heapify(events)
    return [heapq.heappop(events) for _ in range(len(events))]


def populations(scale: float, days: int, seed: int) -> list[Account]:
    rng = random.Random(seed)
    accounts: list[Account] = []

    def add(pop: str, n: int, created, ip, ua: str, **kw: Any) -> None:
        for j in range(max(1, int(n * scale))):
            r = random.Random(rng.random())
            accounts.append(Account(pop, f"sk-{pop}-{j}-{seed}", ip(r, j), created(r), r, ua, **kw))

    old = lambda r: START - r.uniform(30, 700) * DAY  # noqa: E731

    def home_ip(r, j):
        return f"{r.randint(11, 99)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    add("ide", 200, old, home_ip, "CodePilot/3.2 (vscode)", tz=rng.uniform(-8, 9))
    for a in accounts:
        a.tz = a.rng.uniform(-8, 9)
    add("batch", 3, lambda r: START - 400 * DAY, lambda r, j: f"52.10.0.{j + 1}", "python-httpx")
    for j, a in enumerate(a for a in accounts if a.pop == "batch"):
        a.variant = j % 2
    add("tenant", 100, old, lambda r, j: "34.20.5.7", "tripsy-backend/1.0")
    add(
        "newbie",
        100,
        lambda r: START + r.uniform(0, days) * DAY - HOUR,
        home_ip,
        "OpenAI/Python 3.57.0",
    )
    for a in accounts:
        if a.pop in ("newbie", "tenant"):
            a.tz = a.rng.uniform(-8, 9)
    waves = max(1, days)
    per_wave = 200 // waves

    def wave_created(r: random.Random) -> float:
        return START + r.randrange(waves) * DAY + r.uniform(0, 2 * HOUR)

    add(
        "attacker",
        per_wave * waves,
        wave_created,
        lambda r, j: f"45.{76 + j % 4}.{r.randint(0, 3)}.{r.randint(1, 254)}",
        "OpenAI/Python 3.57.0",
    )
    for j, a in enumerate(a for a in accounts if a.pop == "attacker"):
        a.variant = j

    def spread(r, j):
        return f"{r.randint(100, 220)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    add("attacker_para", per_wave * waves, wave_created, spread, "OpenAI/Python 3.57.0")
    add("attacker_slow", per_wave * waves, wave_created, spread, "OpenAI/Python 3.57.0")
    for a in accounts:
        if a.pop in ("attacker_para", "attacker_slow"):
            phrase = [a.rng.choice(options) for options in PARAPHRASES.values()]
            a.wrapper = " ".join(phrase) + " Task: {task}."
    return accounts


# --------------------------------------------------------------------------- running


class Recorder:
    """Stands in for the audit logger: keeps each decision as a plain dict."""

    def __init__(self) -> None:
        self.last: dict[str, Any] | None = None

    def info(self, event: str, **kw: Any) -> None:
        if event == "antiextract.decision":
            self.last = kw

    warning = error = info


async def fake_app(scope, receive, send) -> None:
    """A model that answers instantly with usage, so the bucket is settled for real."""
    while (await receive()).get("more_body"):
        pass
    body = b'{"choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":600,"completion_tokens":900}}'  # noqa: E501
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


DRAIN_SECONDS = 1.0  # simulated seconds between two analyses of the intelligence plane


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


async def drain(app: AntiExtractMiddleware, now: float) -> None:
    """One analysis of the plane at ``now``. A Redis call that times out on a loaded
    machine (the store's 250 ms) leaves the records buffered: tried again, as the
    background flusher would at its next interval."""
    for attempt in range(5):
        try:
            await app.intel.drain(now)
            return
        except StoreError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05)


async def run(storage_uri: str, days: int, scale: float, seed: int, progress: bool) -> dict:
    accounts = populations(scale, days, seed)
    events = schedule(accounts, days)
    clock = Clock()
    recorder = Recorder()
    settings = Settings(
        storage_uri=storage_uri,
        account_created_header=CREATED_HEADER,
        audit_sample_rate=1.0,
        key_prefix="aesim",
        ip_limits="",
    )
    # The intelligence plane runs on simulated time: its analysis is drained every
    # DRAIN_SECONDS of the simulation (the verdict refresh of a deployment, 1 s by
    # default), so a run is deterministic whatever the machine's speed.
    app = AntiExtractMiddleware(fake_app, settings, clock, logger=recorder, drive_intel=True)
    drained = START
    if storage_uri.startswith("redis"):
        await app.store.client.flushdb()
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    risk_by_account: dict[int, list[tuple[float, float]]] = defaultdict(list)
    status_5xx = 0
    campaign_start: dict[str, float] = {}
    campaign_flagged: dict[str, float] = {}
    started = time.perf_counter()
    for n, (t, i) in enumerate(events):
        if t - drained >= DRAIN_SECONDS:
            drained = t - (t - drained) % DRAIN_SECONDS
            await drain(app, drained)
        clock.now = t
        acct = accounts[i]
        body = orjson.dumps(body_for(acct))
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/v1/chat/completions",
            "headers": acct.headers(),
            "client": (acct.ip, 40000),
            "query_string": b"",
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict] = []

        async def receive(messages=messages):
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message, sent=sent):
            sent.append(message)

        recorder.last = None
        await app(scope, receive, send)
        status = sent[0]["status"]
        status_5xx += status >= 500
        decision = recorder.last or {"action": "allow", "risk": 0.0}
        actions[acct.pop][decision["action"]] += 1
        if acct.pop in ATTACKERS:
            campaign_start.setdefault(acct.pop, t)
            if decision.get("campaign") and acct.pop not in campaign_flagged:
                campaign_flagged[acct.pop] = t
        risk_by_account[i].append((t, decision.get("risk", 0.0)))
        if progress and n % 20_000 == 0:
            done = n / max(1, len(events))
            print(
                f"  {done:5.1%}  day {int((t - START) // DAY) + 1}/{days}  "
                f"{n:,}/{len(events):,} requests",
                file=sys.stderr,
            )
    await app.store.close()
    elapsed = time.perf_counter() - started
    result = summarise(
        accounts,
        actions,
        risk_by_account,
        status_5xx,
        len(events),
        elapsed,
        storage_uri,
        days,
        scale,
        seed,
    )
    result["campaign_flagged_after_minutes"] = {
        pop: round((campaign_flagged[pop] - begun) / 60, 1) if pop in campaign_flagged else None
        for pop, begun in sorted(campaign_start.items())
    }
    return result


def summarise(
    accounts, actions, risk_by_account, status_5xx, total, elapsed, uri, days, scale, seed
) -> dict:
    pops: dict[str, dict[str, Any]] = {}
    for pop, counts in sorted(actions.items()):
        n = sum(counts.values())
        pops[pop] = {
            "accounts": sum(a.pop == pop for a in accounts),
            "requests": n,
            **{
                k: round(counts[k] / n, 4)
                for k in ("allow", "degrade", "challenge", "throttle", "block")
            },
        }
        pops[pop]["impact" if pop in LEGIT else "full_fidelity_yield"] = (
            round(1 - counts["allow"] / n, 4) if pop in LEGIT else round(counts["allow"] / n, 4)
        )
    attack_requests = sum(pops[p]["requests"] for p in ATTACKERS if p in pops)
    attack_full = sum(pops[p]["requests"] * pops[p]["allow"] for p in ATTACKERS if p in pops)
    legit_max = sorted(
        max(r for _, r in risk_by_account[i])
        for i, a in enumerate(accounts)
        if a.pop in LEGIT and risk_by_account.get(i)
    )
    legit_p99 = legit_max[min(len(legit_max) - 1, int(0.99 * len(legit_max)))]
    first_day = [
        max(r for t, r in risk_by_account[i] if t <= a.created + DAY)
        for i, a in enumerate(accounts)
        if a.pop == "attacker"
        and risk_by_account.get(i)
        and any(t <= a.created + DAY for t, _ in risk_by_account[i])
    ]
    legit_requests = sum(pops[p]["requests"] for p in LEGIT if p in pops)
    legit_hit = sum(pops[p]["requests"] * pops[p]["impact"] for p in LEGIT if p in pops)
    return {
        "storage": uri.split("://")[0],
        "days": days,
        "scale": scale,
        "seed": seed,
        "requests": total,
        "seconds": round(elapsed, 1),
        "us_per_request": round(elapsed / max(1, total) * 1e6, 1),
        "status_5xx": status_5xx,
        "populations": pops,
        "legit_impact_overall": round(legit_hit / max(1, legit_requests), 4),
        "attacker_yield_overall": round(attack_full / max(1, attack_requests), 4),
        "risk": {
            "legit_account_max_p99": round(legit_p99, 3),
            "attacker_first_day_max": {
                "min": round(min(first_day), 3) if first_day else None,
                "median": round(statistics.median(first_day), 3) if first_day else None,
            },
            "attackers_above_legit_p99": round(
                sum(r > legit_p99 for r in first_day) / max(1, len(first_day)), 4
            ),
        },
    }


def markdown(result: dict) -> str:
    lines = [
        f"## Simulation: {result['days']} days, scale {result['scale']}, seed {result['seed']}, "
        f"{result['storage']} store",
        "",
        f"{result['requests']:,} requests in {result['seconds']} s "
        f"({result['us_per_request']} µs each, whole middleware in-process); "
        f"5xx: {result['status_5xx']}.",
        "",
        "| population | accounts | requests | full | degraded | challenged | throttled | "
        "blocked | impact / yield |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for pop, p in result["populations"].items():
        key = "impact" if pop in LEGIT else "full_fidelity_yield"
        lines.append(
            f"| {pop} | {p['accounts']} | {p['requests']:,} | {p['allow']:.1%} | "
            f"{p['degrade']:.1%} | {p['challenge']:.1%} | {p['throttle']:.1%} | "
            f"{p['block']:.1%} | {key.replace('_', ' ')} {p[key]:.1%} |"
        )
    r = result["risk"]
    lines += [
        "",
        f"Legit impact overall: {result['legit_impact_overall']:.2%}; attacker full-fidelity "
        f"yield overall: {result['attacker_yield_overall']:.2%}; campaign flagged after "
        f"(minutes from each campaign's first request): "
        f"{result.get('campaign_flagged_after_minutes')}. "
        f"Risk: legit per-account max p99 {r['legit_account_max_p99']}; attacker max risk "
        f"within its first day: min {r['attacker_first_day_max']['min']}, median "
        f"{r['attacker_first_day_max']['median']}; attackers above the legit p99: "
        f"{r['attackers_above_legit_p99']:.1%}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="population multiplier")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--store", default="memory://", help="memory:// or a redis:// URL (its database is flushed)"
    )
    parser.add_argument("--out", default=None, help="JSON results file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.store, args.days, args.scale, args.seed, not args.quiet))
    result["machine"] = {"python": platform.python_version(), "cores": os.cpu_count()}
    print(markdown(result))
    out = Path(args.out) if args.out else RESULTS / f"simulate-{result['storage']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
