"""The surge prior (model/surge.py, intel/surge.py): the hourly test on hand-worked
numbers, both analysers publishing the same surge verdict from the same records (Redis:
plain HyperLogLogs, every key expiring, no account key in them), the verdict weighing on
a real middleware's decision with the audit saying so, and the settings it refuses."""

from __future__ import annotations

import io
import json
import random

import orjson
import pytest
from pytest import approx

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import Record
from antiextract.intel.redis import RedisIntel, verdict_keys
from antiextract.intel.surge import FIELD, SurgeBook, SurgeVerdict, hll_keys
from antiextract.model import surge as sm
from antiextract.model.cohorts import CohortModel
from antiextract.model.risk import ELICIT, FOCUS, SINGLE
from antiextract.model.surge import HOUR, SurgeModel, SurgeState
from antiextract.settings import SettingsError, load_settings
from antiextract.store.redis import RedisStore

from .asgi import EmptyJsonApp, Exchange, bearer, chat_body, http_scope
from .conftest import SimClock, redis_client, test_limits

HARVEST = ELICIT | FOCUS | SINGLE
H0 = 499_656  # an hour number (t // 3600) of 2027-01-01
SMALL = SurgeModel(prior_share=0.1, prior_weight=100, window_hours=3, min_count=2, ratio=2, z=1)


# ---- the hourly test, numbers worked by hand


def test_an_hour_well_above_the_prior_surges_and_names_its_count_and_expectation() -> None:
    # window 10..12 then the current hour 13; prior 10 of 100 account-hours.
    # h10: E = 10/100 x 10 = 1, bound max(2, 2, 1 + 1) = 2, y 1: no; base 11/110
    # h11: E = 11/110 x 10 = 1, y 1: no; base 12/120
    # h12: E = 12/120 x 10 = 1, y 6 >= 2: surge (since 12), enters clipped at 2: 14/130
    # h13: nothing counted yet: no surge, but h12 is the hour before: still the verdict
    counts = {10: (1, 10), 11: (1, 10), 12: (6, 10)}
    assert sm.judge(counts, 13, SMALL) == SurgeState(12, 6, 10, approx(1.0), 12)
    assert sm.judge(counts, 14, SMALL) is None  # two hours on: over
    assert sm.judge({10: (1, 10), 11: (1, 10), 12: (1, 10)}, 13, SMALL) is None


def test_a_surging_hour_enters_the_baseline_clipped_to_its_bound() -> None:
    # as above, then h13 (5, 10): E = 14/130 x 10 = 1.0769 (unclipped: 18/130 x 10 =
    # 1.3846); bound max(2, 2.1538, 1.0769 + 1.0377) = 2.1538; 5 above: one run since 12
    got = sm.judge({10: (1, 10), 11: (1, 10), 12: (6, 10), 13: (5, 10)}, 13, SMALL)
    assert got is not None
    assert (got.hour, got.young_harvest, got.since) == (13, 5, 12)
    assert got.expected == approx(1.0769, abs=1e-4)


def test_the_baseline_is_a_share_of_the_active_accounts_not_a_count() -> None:
    # a busy hour of honest traffic: 4 of 100 active (share 0.04 < prior 0.1): no surge,
    # where a count-only test at min_count 2 would have fired
    assert sm.judge({12: (4, 100)}, 12, SMALL) is None
    # a lasting level: surging hours still raise the expectation, by their bound each
    m = SurgeModel(prior_share=0.1, prior_weight=100, window_hours=3, min_count=2, ratio=2, z=0)
    # h10: E = 0.1 x 100 = 10, bound 20, 50 surges, enters as 20: 30/200
    # h11: E = 0.15 x 100 = 15, bound 30, surges, enters as 30: 60/300
    # h12: E = 0.2 x 100 = 20, bound 40, surges, enters as 40: 100/400
    # h13: E = 0.25 x 100 = 25, bound 50: 50 >= 50 still surges: one run since 10
    counts = {h: (50, 100) for h in (10, 11, 12, 13)}
    got = sm.judge(counts, 13, m)
    assert got is not None and got.since == 10 and got.expected == approx(25.0)
    # with a window of 4 the same level is absorbed: h13 enters as 50 (150/500), and
    # h14 (50, 100): E = 150/500 x 100 = 30, bound 60: 50 is under it; h13 still stands
    counts[14] = (50, 100)
    m4 = SurgeModel(prior_share=0.1, prior_weight=100, window_hours=4, min_count=2, ratio=2, z=0)
    got = sm.judge(counts, 14, m4)
    assert got is not None and got.hour == 13 and got.since == 10


def test_hours_older_than_the_window_do_not_count() -> None:
    counts = {5: (100, 100), 10: (1, 10), 11: (1, 10), 12: (6, 10)}
    recent = {10: (1, 10), 11: (1, 10), 12: (6, 10)}
    assert sm.judge(counts, 13, SMALL) == sm.judge(recent, 13, SMALL)


def test_the_bound_is_the_largest_of_the_floor_the_ratio_and_the_deviation() -> None:
    m = SurgeModel(min_count=5, ratio=1.1, z=3)
    assert sm.threshold(100.0, m) == approx(130.0)  # 100 + 3 x 10 > 110 > 5
    assert sm.threshold(1.0, m) == 5.0  # 1 + 3 = 4 < 5
    assert sm.threshold(400.0, SurgeModel(min_count=5, ratio=2, z=3)) == approx(800.0)


def test_what_a_surge_adds_to_a_request() -> None:
    m = SurgeModel(weight=1.5, min_youth=0.5)
    # shape: how far the smaller share moved from the prior 0.25 towards 1
    assert sm.added(m, 0.8, ELICIT | FOCUS) == approx(1.2)  # own 1: 1.5 x 0.8 x 1
    assert sm.added(m, 0.8, HARVEST, own=0.625) == approx(0.6)  # (0.625-0.25)/0.75 = 0.5
    assert sm.added(m, 0.8, HARVEST, own=0.2) == 0.0  # under the prior: a new coder
    assert sm.added(m, 0.8, HARVEST, own=1.7) == approx(1.2)  # a share is at most 1
    assert sm.added(m, 0.4, HARVEST) == 0.0  # not young
    assert sm.added(m, 1.0, ELICIT | SINGLE) == 0.0  # not coding
    assert sm.added(m, 1.0, FOCUS | SINGLE) == 0.0  # asks for no reasoning
    assert sm.added(SurgeModel(off=True), 1.0, HARVEST) == 0.0


def test_a_verdict_lives_to_the_end_of_the_next_hour_and_reads_back() -> None:
    s = SurgeState(H0 + 3, 40, 90, 4.5, H0 + 1)
    assert sm.expires(s) == (H0 + 5) * HOUR
    v = SurgeVerdict(H0 + 3, 40, 90, 4.5, (H0 + 1) * HOUR, (H0 + 5) * HOUR)
    assert SurgeVerdict.decode(v.encode()) == v
    for junk in (b"[1,2]", b"nope", b'[1,2,3,"x",5,6]', b"[1,-2,3,4,5,6]"):
        with pytest.raises(ValueError):
            SurgeVerdict.decode(junk)
    # numbers no analyser writes (an audit event could not print them, a report could
    # not date them), or times that do not fit the verdict's hour, are not verdicts
    h = (H0 + 3) * HOUR
    for junk in (
        [1e20, 1, 1, 1.0, 0.0, 1e300],  # an hour past 64 bits
        [H0 + 3, 2**60, 90, 4.5, h, h + 7_200],  # a count past 2^53
        [3_000_000_000 // HOUR * 100, 1, 1, 1.0, 0.0, 1.0],  # an hour past the year 9999
        [H0 + 3, 40, 90, 4.5, h + 7_200, h + 7_200],  # since after its hour
        [H0 + 3, 40, 90, 4.5, h, h + 86_400],  # lives a day: far past the next hour
        [H0 + 3, 40, 90, 4.5, h, h],  # expired when it starts
    ):
        with pytest.raises(ValueError):
            SurgeVerdict.decode(orjson.dumps(junk))


def test_the_book_publishes_a_start_a_new_hour_and_an_end_only() -> None:
    book = SurgeBook()
    counts = {H0: (6, 10)}
    book.judge(counts, H0 * HOUR + 60, SMALL)
    moved, v = book.change(H0 * HOUR + 60)
    assert moved and v is not None and v.since == H0 * HOUR
    book.judge({H0: (8, 12)}, H0 * HOUR + 120, SMALL)  # same hour, more accounts: quiet
    assert book.change(H0 * HOUR + 120) == (False, None)
    book.judge({H0: (8, 12)}, (H0 + 2) * HOUR, SMALL)  # two hours on: over
    assert book.change((H0 + 2) * HOUR) == (True, None)
    assert book.change((H0 + 2) * HOUR) == (False, None)


@pytest.mark.parametrize(
    "bad",
    [
        {"prior_share": 0},
        {"prior_share": 1.5},
        {"window_hours": 0},
        {"window_hours": 24 * 15},
        {"ratio": 1},
        {"min_youth": 0},
        {"min_count": 2.5},
    ],
)
def test_a_model_out_of_range_is_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        SurgeModel(**bad)


# ---- both analysers


def traffic(seed: int) -> list[Record]:
    """Six hours of honest accounts (a few young coders asking for reasoning among many),
    then a campaign of young harvest-shaped accounts for three hours."""
    rng = random.Random(seed)
    t0 = H0 * HOUR
    out = []
    for _ in range(1_500):
        t = t0 + rng.uniform(0, 9 * HOUR)
        i = rng.randrange(120)
        young = i < 15
        traits = HARVEST if young and rng.random() < 0.2 else rng.choice((0, FOCUS, ELICIT))
        out.append(Record(t, f"user-{i}", ("n:10.0.0.0/24",), young, traits, 1.0))
    for _ in range(700):
        t = t0 + rng.uniform(6, 9) * HOUR
        out.append(Record(t, f"camp-{rng.randrange(60)}", ("n:10.9.0.0/24",), True, HARVEST, 1.0))
    out.sort(key=lambda r: r.t)
    return out


def same_surge(a: SurgeVerdict | None, b: SurgeVerdict | None) -> None:
    """The same surge (hour, since, expiry); the counts as far as Redis's HyperLogLogs
    count (a collision in one of its 16,384 registers loses one of ~80 accounts, and
    moves the expectation built on it by as much)."""
    assert (a is None) == (b is None), (a, b)
    if a is None or b is None:
        return
    assert (a.hour, a.since, a.expires) == (b.hour, b.since, b.expires), (a, b)
    assert (a.young_harvest, a.accounts, a.expected) == approx(
        (b.young_harvest, b.accounts, b.expected), rel=0.03
    ), (a, b)


MODEL = SurgeModel(prior_share=0.05, prior_weight=200, window_hours=6, min_count=5)


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_redis_analyser_publishes_the_surge_the_memory_one_does(seed: int) -> None:
    records = traffic(seed)
    cohorts = CohortModel()
    memory = MemoryIntel(cohorts, surge_model=MODEL)
    store = RedisStore(test_limits(), await redis_client(), prefix="aesu", cohort_model=cohorts)
    redis = RedisIntel(store, claim_idle=0.0, surge_model=MODEL)
    rng = random.Random(seed)
    seen: list[SurgeVerdict] = []
    try:
        for r in records:
            memory.emit(r)
            redis.emit(r)
            if rng.random() < 0.02:
                await memory.drain(r.t)
                await redis.drain(r.t)
                a, b = memory.cache.surge(r.t), redis.cache.surge(r.t)
                same_surge(a, b)
                if a is not None:
                    seen.append(a)
        assert seen, "no surge: the comparison was empty"
        assert all(v.since >= (H0 + 6) * HOUR for v in seen)  # the honest hours never surged
        client = store.client
        keys = [k.decode() for k in await client.keys("aesu:*")]
        hlls = [k for k in keys if k.startswith("aesu:{su}:")]
        assert set(hll_keys("aesu", H0 + 7)) <= set(hlls)
        for k in hlls:  # every key expires, and holds 8-byte digests, never the account
            assert 0 < await client.ttl(k) <= (MODEL.window_hours + 4) * HOUR
            assert b"camp-" not in await client.dump(k) and b"user-" not in await client.dump(k)
        raw = await client.hget(verdict_keys("aesu")[0], FIELD)
        assert raw is not None and SurgeVerdict.decode(raw).since == seen[-1].since
    finally:
        await redis.stop()
        await store.close()


# ---- on a real middleware

TEXT = (
    "Think step by step and show your complete reasoning before the answer. "
    "Implement an LRU cache in Python with O(1) get and put, and write unit tests."
)


def decisions(log: io.StringIO) -> list[dict]:
    lines = [json.loads(x) for x in log.getvalue().splitlines() if x.strip()]
    return [e for e in lines if e["event"] == "antiextract.decision"]


async def decide_once(degrade_at: float, surge: SurgeVerdict | None, **kw) -> dict:
    clock, log = SimClock(), io.StringIO()
    kw.setdefault("surge_model", {"weight": 2.0})
    s = Settings(
        account_limits="", ip_limits="", audit_sample_rate=1.0, degrade_at=degrade_at, **kw
    )
    mw = AntiExtractMiddleware(
        EmptyJsonApp(), s, clock, logger=make_logger(stream=log), drive_intel=True
    )
    if surge is not None:
        cache = mw.intel.cache  # as the analyser would publish it
        cache.replace(cache.all(), cache.version + 1, None, surge)
    ex = Exchange(chat_body(TEXT))
    scope = http_scope(headers=bearer("sk-new"), client=("198.51.100.7", 5000))
    await mw(scope, ex.receive, ex.send)
    return decisions(log)[-1]


async def test_a_live_surge_degrades_a_young_accounts_harvest_and_the_audit_says_why() -> None:
    now = SimClock()()
    hour = int(now // HOUR)
    live = SurgeVerdict(hour, 40, 90, 4.5, (hour - 1) * HOUR, (hour + 2) * HOUR)
    base = await decide_once(3.0, None)
    assert base["surge"] is None
    # a new account (youth 1) after one reasoning + coding request: its shares moved from
    # the prior 0.25 a quarter of the way to 1 (risk.PRIOR_WEIGHT 3), to 0.4375: shape
    # (0.4375 - 0.25) / 0.75 = 0.25, so the surge adds 2.0 x 1 x 0.25 = 0.5
    degrade_at = base["risk"] + 0.4
    without = await decide_once(degrade_at, None)
    with_surge = await decide_once(degrade_at, live)
    assert without["action"] == "allow" and without["surge"] is None
    assert with_surge["action"] == "degrade"
    assert "surge" in with_surge["reasons"]
    assert with_surge["risk"] == approx(without["risk"] + 0.5, abs=2e-3)
    assert with_surge["surge"] == {
        "added": 0.5, "since": (hour - 1) * HOUR, "hour": hour * HOUR,
        "young_harvest": 40, "expected": 4.5, "accounts": 90,
    }  # fmt: skip
    expired = SurgeVerdict(hour - 3, 40, 90, 4.5, (hour - 4) * HOUR, (hour - 1) * HOUR)
    assert (await decide_once(degrade_at, expired))["action"] == "allow"
    off = await decide_once(degrade_at, live, surge_model={"off": True})
    assert off["action"] == "allow" and off["surge"] is None


# ---- settings


def test_the_surge_settings_refuse_what_would_silently_do_nothing_or_is_unknown() -> None:
    bad = ('{"weight": 0}', '{"off": true, "weight": 2}', '{"wieght": 2}', '{"ratio": 0.5}',
           "not json")  # fmt: skip
    for value in bad:
        with pytest.raises(SettingsError, match="SURGE_MODEL"):
            load_settings(surge_model=value)
    assert load_settings(surge_model='{"off": true}').surge_model == {"off": True}
    ok = load_settings(surge_model='{"weight": 1.5, "window_hours": 48}')
    assert SurgeModel(**ok.surge_model).window_hours == 48


def test_switched_off_on_purpose_is_said_once_at_start_up() -> None:
    log = io.StringIO()
    s = Settings(account_limits="", ip_limits="", surge_model={"off": True})
    AntiExtractMiddleware(EmptyJsonApp(), s, SimClock(), logger=make_logger(stream=log))
    events = [json.loads(x)["event"] for x in log.getvalue().splitlines() if x.strip()]
    assert events.count("antiextract.surge_off") == 1
    log = io.StringIO()
    on = Settings(account_limits="", ip_limits="")
    AntiExtractMiddleware(EmptyJsonApp(), on, SimClock(), logger=make_logger(stream=log))
    assert "surge_off" not in log.getvalue()
