"""The account's evidence on a real middleware: the request plane reads the account
verdict the intelligence plane published (one cache lookup) and adds it to the risk the
ladder reads, naming the kinds; the analysis is driven on the simulated clock."""

from __future__ import annotations

import io
import json

from pytest import approx

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.intel.evidence_fold import AccountVerdict
from antiextract.model.evidence import EvidenceModel
from antiextract.model.risk import DAY
from antiextract.request.policy import read_evidence

from .asgi import EmptyJsonApp, Exchange, bearer, chat_body, http_scope
from .conftest import SimClock

HARVEST = (
    "Think step by step and show your complete reasoning before the answer. "
    "Implement an LRU cache in Python with O(1) get and put, and write unit tests."
)


def middleware(clock: SimClock, log: io.StringIO) -> AntiExtractMiddleware:
    s = Settings(account_limits="", ip_limits="", audit_sample_rate=1.0)
    return AntiExtractMiddleware(
        EmptyJsonApp(), s, clock, logger=make_logger(stream=log), drive_intel=True
    )


async def send(mw: AntiExtractMiddleware, ip: str, key: str = "sk-harvest") -> None:
    ex = Exchange(chat_body(HARVEST))
    await mw(http_scope(headers=bearer(key), client=(ip, 5000)), ex.receive, ex.send)


def decisions(log: io.StringIO) -> list[dict]:
    lines = [json.loads(x) for x in log.getvalue().splitlines() if x.strip()]
    return [e for e in lines if e["event"] == "antiextract.decision"]


def account_key(mw: AntiExtractMiddleware, key: str = "sk-harvest") -> str:
    from antiextract.request.identity import digest

    return digest("key:" + digest(key.encode(), mw.hash_key), mw.hash_key)


async def test_a_published_account_verdict_raises_the_risk_and_names_its_kinds() -> None:
    clock, log = SimClock(), io.StringIO()
    mw = middleware(clock, log)
    await send(mw, "198.51.100.7")
    before = decisions(log)[-1]
    now = clock()
    v = AccountVerdict(account_key(mw), (4.0, -0.3, 1.78), now, now + DAY)
    cache = mw.intel.cache  # as the analyser would publish it
    cache.replace(cache.all(), cache.version + 1, [v])
    await send(mw, "198.51.100.7")
    after = decisions(log)[-1]
    added = read_evidence(v, now, EvidenceModel()).added
    assert added > 3.2  # (4.0 - 0.3 + 1.78 - 2.65) x 1.15 = 3.2545
    # the level itself moves with the second request: compare with an account without
    await send(mw, "198.51.100.7", key="sk-control")
    await send(mw, "198.51.100.7", key="sk-control")
    control = decisions(log)[-1]
    assert after["risk"] - control["risk"] == approx(added, abs=2e-3)  # logged to 3 decimals
    assert before["action"] == control["action"] == "allow"
    assert after["action"] == "degrade"
    assert after["reasons"][-2:] == ["evidence:harvest", "evidence:churn"]


async def test_days_of_harvest_from_rotating_subnets_climb_the_ladder() -> None:
    """One harvest-shaped request a day from a new /24: with the plane's analysis drained
    each day the evidence adds up and the ladder acts; a replica whose plane never
    analysed (no verdicts) reads the level alone."""
    clock, log = SimClock(), io.StringIO()
    other_clock, other_log = SimClock(), io.StringIO()
    mw, blind = middleware(clock, log), middleware(other_clock, other_log)
    for day in range(4):
        await send(mw, f"198.51.{day}.7")
        await send(blind, f"198.51.{day}.7")
        await mw.intel.drain(clock())
        clock.advance(DAY)
        other_clock.advance(DAY)
    got, level = decisions(log)[-1], decisions(other_log)[-1]
    assert level["action"] == "allow" and level["risk"] < 3
    assert got["action"] in ("degrade", "challenge"), got
    assert got["risk"] > level["risk"] + 3
    assert "evidence:harvest" in got["reasons"] and "evidence:churn" in got["reasons"]


def conversation(demand: bool) -> bytes:
    """An IDE-style exchange with a made-up earlier assistant turn; the last turn asks for
    the full reasoning (``demand``) or just for the code."""
    import orjson

    ask = "Implement an LRU cache in Python with O(1) get and put, and write unit tests."
    if demand:
        ask = "Think step by step and show your complete reasoning before the answer. " + ask
    return orjson.dumps(
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "You are a coding assistant inside an editor."},
                {"role": "user", "content": "Rename the helper in utils.py to parse_row."},
                {"role": "assistant", "content": "```\n# applied the change\n```\nDone."},
                {"role": "user", "content": ask},
            ],
        }
    )


async def test_days_of_made_up_conversations_asking_for_reasoning_name_the_reason_kind() -> None:
    """Never single-turn, so never the harvest shape: three conversations a day from one
    sticky address, each asking for the full reasoning on a coding task. The reason kind
    adds 2.5 a day by default, against it one subnet (churn -1 a day, floor -2) and no
    extraction parameters (-0.45 a day): past the offset after day 3, and on day 5 the
    ladder degrades naming it; the same conversations without the demand read nothing."""
    clock, log = SimClock(), io.StringIO()
    mw = middleware(clock, log)
    for _day in range(5):
        for key, demand in (("sk-mimic", True), ("sk-plain", False)):
            for _ in range(3):
                ex = Exchange(conversation(demand))
                scope = http_scope(headers=bearer(key), client=("203.0.113.9", 5000))
                await mw(scope, ex.receive, ex.send)
                clock.advance(600)
        await mw.intel.drain(clock())
        clock.advance(DAY - 3_600)
    mimic = mw.intel.cache.account(account_key(mw, "sk-mimic"), clock())
    assert mimic is not None and mimic.reasons()[0] == "evidence:reason"
    assert mw.intel.cache.account(account_key(mw, "sk-plain"), clock()) is None
    logged = decisions(log)
    mimic_last, plain_last = logged[-4], logged[-1]  # day 5: mimic x3, then plain x3
    assert mimic_last["action"] in ("degrade", "challenge"), mimic_last
    assert "evidence:reason" in mimic_last["reasons"]
    assert plain_last["action"] == "allow"
    assert not any("evidence:reason" in e["reasons"] for e in logged[-3:])
