"""``antiextract demo``'s story: a small extraction campaign among honest users.

Ninety minutes of traffic on simulated time, through the real middleware on the embedded
store, in a few seconds: eight honest accounts (old, asking ordinary things now and then)
and a farm of young accounts that grows by one a minute to 30, all wrapping their tasks in
the same "think step by step and show your reasoning" template from one subnet; from
minute 30 one of them stops pacing itself. It shows
the whole ladder: the campaign flagged (and when, at how many members), its accounts
degraded, challenged (the farm's client is ``antiextract.client.ChallengeAuth``, what
``openai_http_client()`` gives an SDK, so it solves the proof of work and retries),
blocked; the honest users untouched; the evidence for the campaign; and the HTML report.

The thresholds are the demo's, not the defaults (printed with the results): with the
defaults (DEGRADE_AT 3, CHALLENGE_AT 6, BLOCK_AT 9) this 90-minute farm is degraded and
throttled by its token budget but never challenged or blocked (tests/test_story.py), and
a demo that needs hours of traffic to show a block shows nothing.
The trusted creation-time header plays the auth layer that tells young accounts from old.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import shlex
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from ..audit import make_logger
from ..client import http_client, http_module
from ..settings import load_settings
from .replay import decision_events
from .report import LINKS

START = 1_800_000_000.0
MINUTES = 90
FARM_SIZE = 30
HONEST_USERS = 8
GREEDY_FROM = 30  # minute from which farm member 0 sends 20 requests a minute
DEMO_SETTINGS = {
    "mode": "enforce",
    "storage_uri": "memory://",
    "degrade_at": 3.0,
    "challenge_at": 3.2,
    "block_at": 3.4,
    "challenge_base_bits": 10,
    "challenge_max_bits": 12,
    "audit_sample_rate": 1.0,
    "account_created_header": "x-account-created",
    "trusted_proxies": "198.51.100.0/24,203.0.113.0/24",
}
WRAPPER = (
    "You are a world-class software engineer. Solve the task below. Think step by step and "
    "show your complete reasoning before the final answer.\n\nTask: {task}"
)
HONEST = (
    "Can you suggest a name for a cat that likes boxes?",
    "What should I pack for a weekend hike in autumn?",
    "Write a short birthday message for my sister.",
    "How long should I boil an egg for a soft yolk?",
    "Translate 'good morning, how are you' into Italian.",
    "Give me three ideas for a rainy Sunday with kids.",
)


@dataclass
class Side:
    """One side's numbers, every one counted from the middleware's decision events (the
    audit log: one event per request it decided, ``AUDIT_SAMPLE_RATE`` 1)."""

    name: str
    who: str
    accounts: set[str] = field(default_factory=set)
    requests: int = 0  # decisions: HTTP requests the middleware decided
    sent: int = 0  # requests the side's code sent (a solved challenge is sent twice)
    actions: Counter[str] = field(default_factory=Counter)
    # challenge decisions by what became of the request: "issued" (403 with a challenge),
    # "solved" (served: a fresh solution), "allowance" (served: an earlier solution's)
    challenges: Counter[str] = field(default_factory=Counter)
    first: dict[str, float] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)  # accounts blocked at least once
    greedy: str = ""  # the farm account that stops pacing itself


def challenge_outcome(event: dict[str, Any]) -> str:
    """What a challenge decision did to its request, from its audit event: served after
    a fresh solution, served on the allowance an earlier one bought, or refused (403)
    with a challenge to solve."""
    outcome = event.get("challenge")
    if event.get("status") != 403 and outcome in ("solved", "allowance"):
        return str(outcome)
    return "issued"


COLUMNS = (
    ("accounts", "accounts that sent at least one request"),
    ("decisions", "HTTP requests the middleware decided, one audit event each (the sum of "
     "the next seven); a client that solves a challenge sends its request again: two"),
    ("allowed", "served as sent"),
    ("degraded", "served with the answer cut down (no reasoning, fewer tokens)"),
    ("challenged 403", "refused with a proof-of-work challenge to solve"),
    ("challenged solved", "served: the retry carried a fresh solution (ChallengeAuth)"),
    ("challenged on allowance", "served: a solution solved earlier still covered it"),
    ("throttled", "refused with 429 and Retry-After (token budget or a window)"),
    ("blocked", "refused with 403 (risk past BLOCK_AT, blocked for BLOCK_SECONDS)"),
)  # fmt: skip


class _Clock:
    __slots__ = ("now",)

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _model(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = (
        b'{"choices":[{"message":{"content":"..."}}],'
        b'"usage":{"prompt_tokens":60,"completion_tokens":300}}'
    )
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _plan(rng: random.Random) -> list[tuple[float, str, int]]:
    """(second, side, member) of every request."""
    plan = []
    for minute in range(MINUTES):
        for user in range(HONEST_USERS):
            if rng.random() < 0.35:
                plan.append((minute * 60 + rng.random() * 60, "honest", user))
        for member in range(min(FARM_SIZE, 2 + minute)):
            if rng.random() < 0.6:
                plan.append((minute * 60 + rng.random() * 60, "farm", member))
        if minute >= GREEDY_FROM:  # one member stops pacing itself
            plan += [(minute * 60 + i * 3 + rng.random(), "farm", 0) for i in range(20)]
    plan.sort()
    return plan


async def run(
    console: Console | None = None,
    out: Path | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The story; returns what the test and the summary read. ``settings``: instead of
    DEMO_SETTINGS."""
    from ..request.middleware import AntiExtractMiddleware
    from . import report
    from .cli import _evidence_record, evidence_summary

    console = console or Console(width=None if sys.stdout.isatty() else 140)
    settings = load_settings(**(DEMO_SETTINGS if settings is None else settings))
    clock = _Clock(START)
    audit = io.StringIO()
    mw = AntiExtractMiddleware(_model, settings, clock, logger=make_logger(stream=audit))
    rng = random.Random(11)
    honest = Side("honest users", "old accounts, everyday questions")
    farm = Side("the farm", "young, one joins a minute, one template")
    events: list[dict[str, Any]] = []
    audited: list[dict[str, Any]] = []  # the decision events as logged
    clients: dict[tuple[str, int], Any] = {}
    out = out or Path("antiextract-demo-report.html")
    log_path = audit_log_path(out)
    log = log_path.open("w", encoding="utf-8")
    try:
        for second, side_name, member in _plan(rng):
            clock.now = START + second
            side = farm if side_name == "farm" else honest
            key = (side_name, member)
            client = clients.get(key)
            if client is None:
                if side is farm:
                    ip, created = f"198.51.100.{20 + member}", START - 2 * 86_400
                else:
                    ip, created = f"203.0.113.{10 + member}", START - 400 * 86_400
                module = http_module() if side is farm else httpx  # ChallengeAuth's own
                transport = module.ASGITransport(app=mw, client=(ip, 40_000 + member))
                headers = {
                    "authorization": f"Bearer sk-{side_name}-{member}",
                    "x-account-created": str(int(created)),
                    "user-agent": "OpenAI/Python 1.54.0" if side is farm else "Mozilla/5.0",
                }
                kwargs = {"transport": transport, "base_url": "http://demo", "headers": headers}
                client = clients[key] = (
                    http_client(sync=False, **kwargs)
                    if side is farm
                    else httpx.AsyncClient(**kwargs)
                )
            if side is farm:
                task = f"def f{rng.randrange(10**6)}(xs, n={rng.randrange(1, 99)}): return xs[:n]"
                prompt, max_tokens = WRAPPER.format(task=task), 4096
            else:
                prompt, max_tokens = rng.choice(HONEST), 512
            body = {"model": "m", "max_tokens": max_tokens,
                    "messages": [{"role": "user", "content": prompt}]}  # fmt: skip
            await client.post("/v1/chat/completions", json=body)
            side.sent += 1
            for event in decision_events(audit):
                audited.append(event)
                # the audit log `antiextract evidence --log` reads, on the demo's clock
                stamp = datetime.fromtimestamp(clock.now, UTC).isoformat()
                log.write(json.dumps({**event, "timestamp": stamp}) + "\n")
                account = str(event.get("account"))
                side.requests += 1
                side.accounts.add(account)
                action = str(event.get("action"))
                side.actions[action] += 1
                if action != "allow":
                    side.first.setdefault(action, second)
                if action == "block":
                    side.blocked.add(account)
                if side is farm and member == 0:
                    farm.greedy = account
                if action == "challenge":
                    outcome = challenge_outcome(event)
                    side.challenges[outcome] += 1
                    if outcome == "solved":
                        side.first.setdefault("solved", second)
                campaign = event.get("campaign")
                if isinstance(campaign, dict) and side is farm and "flagged" not in side.first:
                    side.first["flagged"] = second
                    side.first["flagged_members"] = len(side.accounts)  # seen by then
                events.append({**_evidence_record(event), "t": clock.now})
    finally:
        log.close()
        for client in clients.values():
            await client.aclose()
    cohorts = Counter(
        e["campaign"]["cohort"]
        for e in events
        if isinstance(e.get("campaign"), dict) and e["account"] in farm.accounts
    )
    cohort = cohorts.most_common(1)[0][0] if cohorts else None
    evidence = None
    if cohort is not None:
        chosen = [e for e in events if (e.get("campaign") or {}).get("cohort") == cohort]
        carried = {id(e) for e in chosen}
        summary = evidence_summary(cohort, chosen, "the demo", len(events), len(events))
        evidence = {  # the summary `antiextract evidence` writes, times on the demo's clock
            "subject": cohort,
            "accounts": summary.get("accounts"),
            "events": len(chosen),
            "actions": summary.get("actions"),
            "challenges": dict(
                Counter(challenge_outcome(e) for e in chosen if e.get("action") == "challenge")
            ),
            "first": _at(chosen[0]["t"] - START),
            "last": _at(chosen[-1]["t"] - START),
            "top_signals": summary.get("top_signals"),
            # the farm's decisions that do not carry the campaign: before it was flagged,
            # or acted on by an account's own risk
            "chosen": chosen,
            "outside": [
                e for e in events if e["account"] in farm.accounts and id(e) not in carried
            ],
            "command": evidence_command(cohort, log_path),
            # other flagged cohorts that weighed on farm decisions (e.g. its wrapper
            # sentences, a p: cohort): how many decisions carry each, on how many accounts
            "others": [
                (other, n, len(_carrying(events, other))) for other, n in cohorts.most_common()[1:]
            ],
        }
    out.write_text(report.render(events, "antiextract demo", "simulated time"), encoding="utf-8")
    _print(console, settings, honest, farm, cohort, evidence, out, log_path)
    return {
        "honest": honest,
        "farm": farm,
        "cohort": cohort,
        "evidence": evidence,
        "report": out,
        "audit": audited,
        "log": log_path,
    }


def _carrying(events: list[dict[str, Any]], cohort: str) -> set[str]:
    """The accounts whose decisions carry ``cohort`` as their campaign."""
    return {e["account"] for e in events if (e.get("campaign") or {}).get("cohort") == cohort}


def audit_log_path(report: Path) -> Path:
    """The demo's audit log, beside its report: ``X.html`` -> ``X.audit.jsonl``."""
    return report.with_suffix(".audit.jsonl")


def evidence_command(subject: str, log: Path) -> str:
    """The ``antiextract evidence`` command line that runs here, as printed: the venv's
    ``antiextract`` by the path it has from here when it is not on PATH (``make demo``)."""
    program = "antiextract"
    beside = Path(sys.executable).parent / "antiextract"
    found = shutil.which("antiextract")
    if beside.exists() and (found is None or Path(found).resolve() != beside.resolve()):
        relative = os.path.relpath(beside)
        program = relative if not relative.startswith("..") else str(beside)
        if os.sep not in program:
            program = os.path.join(".", program)
    return shlex.join([program, "evidence", subject, "--log", str(log)])


def _outcomes(events: list[dict[str, Any]]) -> str:
    """``allow 1, degrade 5, challenge 9 (2 403, 3 solved, 4 on allowance), ...``."""
    acts = Counter(str(e.get("action")) for e in events)
    ch = Counter(challenge_outcome(e) for e in events if e.get("action") == "challenge")
    parts = [f"{name} {acts.get(name, 0):,}" for name in ("allow", "degrade", "challenge")]
    parts[-1] += (
        f" ({ch.get('issued', 0):,} 403, {ch.get('solved', 0):,} solved, "
        f"{ch.get('allowance', 0):,} on allowance)"
    )
    parts += [f"{name} {acts.get(name, 0):,}" for name in ("throttle", "block")]
    return ", ".join(parts)


def _at(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    s = int(seconds)
    return f"+{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _print(console, settings, honest, farm, cohort, evidence, out, log) -> None:  # type: ignore[no-untyped-def]
    console.print(
        f"[bold]antiextract demo[/] — {MINUTES} simulated minutes through the middleware "
        f"(embedded store, enforce). Demo thresholds: DEGRADE_AT {settings.degrade_at:g}, "
        f"CHALLENGE_AT {settings.challenge_at:g}, BLOCK_AT {settings.block_at:g} "
        f"(defaults 3, 6, 9); proof of work {settings.challenge_base_bits}-"
        f"{settings.challenge_max_bits} bits."
    )
    table = Table(title="What each side got", title_justify="left")
    table.add_column("side", justify="left")
    table.add_column("behaviour", justify="left")
    for col, _ in COLUMNS:
        table.add_column(col, justify="right")
    for side in (honest, farm):
        a, c = side.actions, side.challenges
        cells = (len(side.accounts), side.requests, a["allow"], a["degrade"], c["issued"],
                 c["solved"], c["allowance"], a["throttle"], a["block"])  # fmt: skip
        table.add_row(side.name, side.who, *(f"{n:,}" for n in cells))
    console.print(table)
    console.print("Every number here is counted from the middleware's audit events:")
    for col, meaning in COLUMNS:
        console.print(f"  {col}: {meaning}.", soft_wrap=True)
    f = farm.first
    console.print(
        f"Campaign [bold]{cohort or '-'}[/] flagged at {_at(f.get('flagged'))} "
        f"({f.get('flagged_members', '-')} farm accounts had sent requests by then). First "
        "actions of any cause (an account's own risk too: the report's 'first action "
        f"(any)'): first degraded {_at(f.get('degrade'))}, first challenged "
        f"{_at(f.get('challenge'))}, first "
        f"solved by ChallengeAuth {_at(f.get('solved'))}, first blocked {_at(f.get('block'))} "
        f"({len(farm.blocked)} account(s) blocked"
        + (
            f": the one that stopped pacing itself at +0:{GREEDY_FROM}:00)."
            if farm.blocked == {farm.greedy}
            else ")."
        ),
        soft_wrap=True,
    )
    touched = sum(honest.actions[x] for x in ("degrade", "challenge", "throttle", "block"))
    console.print(
        f"Honest users: {honest.requests:,} decisions, "
        + ("every one allowed as sent." if touched == 0 else f"{touched:,} acted on.")
    )
    if evidence is not None:
        console.print(
            f"Evidence for the campaign: {evidence['events']:,} of the farm's "
            f"{farm.requests:,} decisions carry it, those from {evidence['first']} (when it "
            f"was flagged) to {evidence['last']}, on {evidence['accounts']} accounts: "
            + _outcomes(evidence["chosen"])
            + ".",
            soft_wrap=True,
        )
        outside = evidence["outside"]
        for other, n, accounts in evidence["others"]:
            kind = LINKS.get(other.split(":", 1)[0], "a shared trait")
            console.print(
                f"Also flagged and acting on the farm: [bold]{other}[/] (tied by {kind}): "
                f"{n:,} decisions carry it, on {accounts} accounts (the report lists it too).",
                soft_wrap=True,
            )
        console.print(
            f"The farm's other {len(outside):,} decisions do not carry the campaign (before "
            "it was flagged, acted on by an account's own risk"
            + (", or carrying one of the cohorts just named" if evidence["others"] else "")
            + "): "
            + _outcomes(outside)
            + "; the two lines add up to the table's farm row.",
            soft_wrap=True,
        )
        console.print(
            f"The audit log (decision events, on the demo's clock): [bold]{log}[/]; the "
            f"evidence record: [bold]{evidence['command']}[/]",
            soft_wrap=True,
        )
    console.print(f"Report: [bold]{out}[/] (self-contained HTML; open it in a browser).")


def main() -> int:
    result = asyncio.run(run())
    honest, farm = result["honest"], result["farm"]
    untouched = all(honest.actions[x] == 0 for x in ("degrade", "challenge", "throttle", "block"))
    ladder = all(farm.actions[x] > 0 for x in ("degrade", "challenge", "block"))
    ladder = ladder and farm.challenges["solved"] > 0
    return 0 if untouched and ladder and result["cohort"] else 1


__all__ = ["DEMO_SETTINGS", "main", "run"]
