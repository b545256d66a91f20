"""Cohorts on both stores: counting, campaign flagging, propagation, shared bucket, slots."""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.crc import key_slot

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.model import cohorts
from antiextract.model.cohorts import (
    KMV,
    KMV_K,
    CohortInput,
    CohortModel,
    CohortState,
    CohortView,
    bucket_refusal,
    campaign_score,
    cohort_keys,
    decay,
    harvest,
    is_young,
    member_score,
    request_harvest,
    strongest,
    subnet,
    update_cohort,
)
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE, RiskInput
from antiextract.request.fingerprint import template_fingerprint
from antiextract.request.middleware import limits_from
from antiextract.store import MemoryStore
from antiextract.store.redis import RedisStore

from .asgi import Exchange, chat_body, http_scope
from .conftest import REDIS_URL, redis_client, test_limits
from .test_fingerprint import CODING_TASKS, EDITS, WRAPPER_HEAD, WRAPPER_TAIL, paraphrased_wrapper

HARVEST = ELICIT | FOCUS | SINGLE


async def _store(kind: str, model: CohortModel):
    limits = test_limits(account=(), ip=())
    if kind == "memory":
        return MemoryStore(limits, cohort_model=model)
    client = await redis_client()
    if kind == "redis-fast":  # the hot path's lean client, as RedisStore.from_url builds it
        await client.aclose()
        return RedisStore.from_url(REDIS_URL, limits, prefix="aecoh", cohort_model=model)
    per_slot = kind == "redis-per-slot"
    return RedisStore(limits, client, prefix="aecoh", cohort_model=model, per_slot_calls=per_slot)


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-fast", "redis-per-slot"])
async def test_repeat_requests_count_once_and_a_later_young_request_still_counts(
    kind, clock
) -> None:
    """An account's later requests of a day skip the sketches on Redis (the store
    remembers what it added); the counts must not change for it, and an account first
    seen as not young and then as young (this process learnt its age) joins the young."""
    store = await _store(kind, CohortModel())
    keys = ("t:rep", "n:10.9.0.0/24")
    admin = await redis_client() if kind != "memory" else None
    for round_ in range(3):
        if admin is not None and round_ == 2:
            await admin.config_resetstat()
        for n in range(60):
            young = n < 20 or (round_ > 0 and n < 30)  # 20..29 turn young after round 0
            cohort = CohortInput(keys, young=young, traits=HARVEST)
            out = await store.evaluate(f"rep{n}", "ip", 1, clock(), RiskInput(), cohort)
        for view in out.cohorts:
            assert view.accounts == 60, (round_, view)  # HLL and KMV: exact this small
            assert view.young == (20 if round_ == 0 else 30), (round_, view)
    if admin is not None:  # the third round's requests all skipped the sketches
        stats = await admin.info("commandstats")
        assert "cmdstat_pfadd" not in stats and stats["cmdstat_evalsha"]["calls"] >= 60
        await admin.aclose()
    await store.close()


@pytest.mark.parametrize("kind", ["redis", "redis-fast", "redis-per-slot"])
async def test_cohort_counts_recover_after_redis_loses_the_keys(kind, clock) -> None:
    """The store's memory of whom it added is only trusted while the cohort's state says
    today: after FLUSHDB (a restart without persistence), accounts are counted again."""
    store = await _store(kind, CohortModel())
    cohort = CohortInput(("t:lost",), young=True, traits=HARVEST)
    for n in range(5):
        await store.evaluate(f"lost{n}", "ip", 1, clock(), RiskInput(), cohort)
    await (await redis_client()).aclose()  # redis_client() flushes the database
    out = await store.evaluate("lost0", "ip", 1, clock(), RiskInput(), cohort)
    assert (out.cohorts[0].accounts, out.cohorts[0].young) == (1, 1)
    for n in range(1, 5):
        out = await store.evaluate(f"lost{n}", "ip", 1, clock(), RiskInput(), cohort)
    assert (out.cohorts[0].accounts, out.cohorts[0].young) == (5, 5)
    await store.close()


@pytest.mark.parametrize("kind", ["redis", "redis-fast", "redis-per-slot"])
async def test_a_cohort_state_ttl_is_renewed_by_the_first_write_of_a_day(kind) -> None:
    """A new state gets the full TTL; later writes that day keep the TTL it has (SET
    KEEPTTL, cheaper for Redis); the first write of the next day renews it."""
    model = CohortModel()
    store = await _store(kind, model)
    admin = await redis_client()
    cohort = CohortInput(("t:ttl",), young=True, traits=HARVEST)
    t = 86_400 * 20_000 + 3_600.0
    state = store.cohort_keys("t:ttl", 20_000)[0]
    await store.evaluate("ttl0", "ip", 1, t, RiskInput(), cohort)
    assert model.ttl - 5 <= await admin.ttl(state) <= model.ttl
    await admin.expire(state, 1_000)
    for n in range(3):  # the same day, a repeat and new accounts
        await store.evaluate(f"ttl{n}", "ip", 1, t + 60 * (n + 1), RiskInput(), cohort)
    assert 0 < await admin.ttl(state) <= 1_000
    out = await store.evaluate("ttl0", "ip", 1, t + 86_400, RiskInput(), cohort)
    assert model.ttl - 5 <= await admin.ttl(state) <= model.ttl
    assert out.cohorts[0].accounts == 3  # yesterday's three still count today
    await admin.aclose()
    await store.close()


@pytest.mark.parametrize("kind", ["redis-fast", "redis-per-slot"])
async def test_big_counts_are_read_back_in_steps_and_stay_within_sketch_error(kind, clock) -> None:
    """Past 256 accounts cohort.lua reads a sketch back (PFCOUNT) only every step of
    ~1/256-1/128 of the count and counts one up per change in between: a campaign's
    stream of new accounts then costs a fraction of the PFCOUNTs, and the count it
    reports lags the sketch by less than a step."""
    store = await _store(kind, CohortModel())
    admin = await redis_client()
    cohort = CohortInput(("t:big",), young=True, traits=HARVEST)
    a_key = store.cohort_keys("t:big", int(clock() // 86_400))[1]
    for n in range(4_000):
        if n == 1_000:
            await admin.config_resetstat()
        out = await store.evaluate(f"big{n}", "ip", 1, clock(), RiskInput(), cohort)
        if n < 250:  # small counts: the sketch's own count, read back every time
            assert out.cohorts[0].accounts == await admin.pfcount(a_key), n
    stats = await admin.info("commandstats")
    assert stats["cmdstat_pfadd"]["calls"] == 2 * 3_000  # accounts and young, each request
    assert stats["cmdstat_pfcount"]["calls"] < 0.1 * 2 * 3_000  # not after every change
    view = out.cohorts[0]
    assert view.accounts == pytest.approx(4_000, rel=0.03)  # HLL: 0.81% standard error
    assert view.young == pytest.approx(4_000, rel=0.03)
    day = int(clock() // 86_400)
    a_key, y_key = store.cohort_keys("t:big", day)[1], store.cohort_keys("t:big", day)[3]
    assert abs(view.accounts - await admin.pfcount(a_key)) <= 4_000 / 128
    assert abs(view.young - await admin.pfcount(y_key)) <= 4_000 / 128
    await admin.aclose()
    await store.close()


async def test_counts_past_the_sketch_registers_do_not_fall_behind(clock) -> None:
    """Past 16,384 accounts most new accounts change no register of a HyperLogLog, so
    counting changes would fall ever further behind the sketch: there every change is
    read back. 300,000 accounts already in today's sketches, then 3,000 new ones."""
    store = await _store("redis-fast", CohortModel())
    admin = await redis_client()
    day = int(clock() // 86_400)
    keys = store.cohort_keys("t:huge", day)
    for first in range(0, 300_000, 20_000):
        members = [f"old{n}" for n in range(first, first + 20_000)]
        await admin.pfadd(keys[1], *members)
        await admin.pfadd(keys[3], *members)
    cohort = CohortInput(("t:huge",), young=True, traits=HARVEST)
    for n in range(3_000):
        out = await store.evaluate(f"new{n}", "ip", 1, clock(), RiskInput(), cohort)
    view = out.cohorts[0]
    for reported, key in ((view.accounts, keys[1]), (view.young, keys[3])):
        exact = await admin.pfcount(key)
        assert abs(reported - exact) <= exact / 128, (reported, exact)
    assert view.accounts == pytest.approx(303_000, rel=0.03)
    await admin.aclose()
    await store.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_distinct_and_young_counts_within_sketch_error(kind, clock) -> None:
    store = await _store(kind, CohortModel())
    for n in range(600):
        cohort = CohortInput(("t:shared",), young=n < 150, traits=0)
        out = await store.evaluate(f"acct{n}", "ip", 1, clock(), RiskInput(), cohort)
    (view,) = out.cohorts
    assert view.accounts == pytest.approx(600, rel=0.12)  # KMV k=256 / HLL: within error
    assert view.young == pytest.approx(150, rel=0.05)  # below k: exact in memory
    await store.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_young_harvest_cohort_is_a_campaign_and_old_look_alikes_are_not(kind, clock) -> None:
    store = await _store(kind, CohortModel(min_young=20))
    for n in range(40):  # IDE-like: established accounts, same template, coding work
        ide = CohortInput(("t:ide",), young=False, traits=HARVEST)
        out = await store.evaluate(f"ide{n}", "ip", 1, clock(), RiskInput(), ide)
    assert out.cohorts[0].score == 0
    for n in range(40):  # a campaign: fresh accounts, same wrapper, harvest-shaped
        camp = CohortInput(("t:wrapper",), young=True, traits=HARVEST)
        out = await store.evaluate(f"fresh{n}", "ip", 1, clock(), RiskInput(), camp)
    view = out.cohorts[0]
    assert view.score > 0 and view.young >= 20
    # an account joining later carries the campaign's score on its first request
    joiner = CohortInput(("t:wrapper", "c:sdk"), young=True, traits=HARVEST)
    out = await store.evaluate("newcomer", "ip", 1, clock(), RiskInput(), joiner)
    best, score = strongest(out.cohorts, HARVEST)
    assert best is not None and best.key == "t:wrapper" and score == pytest.approx(best.score)
    await store.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_flagged_campaign_shares_one_bucket(kind, clock) -> None:
    model = CohortModel(min_young=5, bucket_capacity=1000, bucket_refill=1.0)
    store = await _store(kind, model)
    allowed = []
    for n in range(30):  # 30 different accounts, 100 tokens each
        camp = CohortInput(("t:wrapper",), young=True, traits=HARVEST)
        out = await store.evaluate(f"member{n}", "ip", 100, clock(), RiskInput(), camp)
        allowed.append(out.cohorts[0].allowed)
    # once flagged (5 young accounts), all members together get 1000 tokens
    assert allowed[:4] == [True] * 4
    assert sum(allowed) == 4 + 10
    assert out.cohorts[0].retry_after > 0
    await store.close()


async def test_campaign_throttle_and_allowlists_through_the_middleware(clock) -> None:
    model = {"min_young": 3, "bucket_capacity": 3000, "bucket_refill": 0.001}
    base = {
        "account_created_header": "x-created",
        "campaign_model": model,
        "degrade_at": 100.0,
        "challenge_enabled": False,
        "block_at": 200.0,
    }
    body = chat_body(
        "Think step by step and show your full reasoning. Implement a python "
        "function and refactor the class. Task: sort a list.",
        max_tokens=500,
    )

    gauges: list[float] = []

    async def run(settings: Settings) -> list[int]:
        mw = AntiExtractMiddleware(
            lambda s, r, se: _ok(s, r, se),
            settings,
            clock,
            logger=make_logger(stream=io.StringIO()),
        )
        statuses = []
        for n in range(12):
            headers = [
                (b"authorization", f"Bearer sk-{n}".encode()),
                (b"x-created", str(int(clock())).encode()),
            ]
            ex = Exchange(body)
            await mw(http_scope(headers=headers, client=(f"10.9.{n}.1", 1)), ex.receive, ex.send)
            statuses.append(ex.status)
        gauges.append(campaigns_gauge(mw))
        return statuses

    statuses = await run(Settings(**base))
    assert 429 in statuses  # the campaign's shared bucket ran dry for all its members
    assert gauges[0] >= 1  # antiextract_campaigns_active counts the flagged cohorts
    fp = __import__("antiextract.request.fingerprint", fromlist=["x"])
    from antiextract.request.apis import CHAT

    skeleton = fp.template_fingerprint(CHAT.facts(body).prompt_text).skeleton
    bands = fp.template_fingerprint(CHAT.facts(body).prompt_text).bands
    allowed = [f"t:{skeleton}", "l:" + bands[0], "l:" + bands[5]]
    assert 429 not in await run(Settings(**base, allow_cohorts=",".join(allowed)))


def campaigns_gauge(mw: AntiExtractMiddleware) -> float:
    for line in mw.metrics.exposition().decode().splitlines():
        if line.startswith("antiextract_campaigns_active "):
            return float(line.split()[1])
    raise AssertionError("antiextract_campaigns_active not exposed")


async def test_the_campaigns_gauge_counts_recent_flagged_cohorts(monkeypatch) -> None:
    from antiextract.request import middleware

    mw = AntiExtractMiddleware(_ok, Settings(), logger=make_logger(stream=io.StringIO()))
    flagged = CohortView("t:abc", 1.5, 40, 40, 0.9, True, 0.0)
    quiet = CohortView("c:sdk", 0.0, 40, 2, 0.2, True, 0.0)
    mw._count_campaigns((flagged, quiet, flagged))
    assert campaigns_gauge(mw) == 1
    monkeypatch.setattr(middleware, "CAMPAIGN_WINDOW", 0.0)
    mw._campaigns_due = 0.0
    mw._count_campaigns(())
    assert campaigns_gauge(mw) == 0  # no request of it within the window: gone


async def _ok(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_every_script_call_but_evaluate_stays_in_one_cluster_slot(clock) -> None:
    """Cohort calls, settlement, admin and allowance keys each hash to one slot. (The
    evaluate call also touches the client IP's key on a single Redis; on Cluster the store
    splits it: tests/test_cluster.py records every call a cluster receives.)"""
    store = RedisStore(limits_from(Settings()), await redis_client(), prefix="aecoh")
    for key in ("t:abc", "l:b0:f1b", "n:10.0.0.0/24", "c:0123456789abcdef"):
        slots = {key_slot(k.encode()) for k in store.cohort_keys(key, 20_000)}
        assert len(slots) == 1, key
    account = store.account_key("0" * 32)
    assert key_slot(account.encode()) == key_slot(f"{account}:pass".encode())
    await store.close()


async def test_one_call_per_cohort_gives_the_same_answers(clock) -> None:
    """Cluster layout (a call per slot) and single-Redis layout (combined.lua through
    redis-py: account and cohorts in one script) agree on the whole outcome, refusals by
    the IP window (shared by all thirty accounts) included."""
    together = RedisStore(test_limits(), await redis_client(), prefix="aeone")
    apart = RedisStore(test_limits(), await redis_client(), prefix="aetwo", per_slot_calls=True)
    assert together.fast is None and not together.per_slot_calls
    refused = 0
    for n in range(30):
        cohort = CohortInput(("t:x", "l:b0:abc", "n:10.0.0.0/24"), young=n % 2 == 0, traits=HARVEST)
        signal = RiskInput(traits=HARVEST, acute=1.0 if n % 3 else 0.0, skeleton="tmpl")
        a = await together.evaluate(f"a{n % 7}", "ip", 5, clock(), signal, cohort)
        b = await apart.evaluate(f"a{n % 7}", "ip", 5, clock(), signal, cohort)
        assert a.cohorts == b.cohorts and len(a.cohorts) == 3
        assert (a.allowed, a.denied_by, a.assessment) == (b.allowed, b.denied_by, b.assessment)
        assert a.tokens == pytest.approx(b.tokens) and a.retry_after == pytest.approx(b.retry_after)
        refused += not a.allowed
    assert refused > 0  # the IP window (8 a minute) refused some
    await together.close()
    await apart.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_paraphrased_wrappers_meet_in_one_band_cohort(kind, clock) -> None:
    """Forty young accounts, each rewording the wrapper its own way (one or two edits) and
    sending its own task from its own subnet: the exact-template cohorts split them, an LSH
    band cohort holds most of them, flags them, and carries the campaign to a newcomer
    whose wording matches nobody's skeleton."""
    store = await _store(kind, CohortModel(min_young=10))
    rng = random.Random(4)

    def request(n: int) -> tuple[str, CohortInput]:
        head, tail = paraphrased_wrapper(rng, WRAPPER_HEAD, WRAPPER_TAIL, EDITS)
        fp = template_fingerprint(head + CODING_TASKS[n % len(CODING_TASKS)] + tail)
        keys = cohort_keys(fp.skeleton, fp.bands, f"10.{n}.7.9", "")
        return fp.skeleton, CohortInput(keys, young=True, traits=HARVEST)

    skeletons = set()
    for n in range(40):
        skeleton, cohort = request(n)
        skeletons.add(skeleton)
        await store.evaluate(f"para{n}", "ip", 1, clock(), RiskInput(), cohort)
    assert len(skeletons) >= 10  # the rewordings really split the exact template
    _, cohort = request(99)
    out = await store.evaluate("newcomer", "ip", 1, clock(), RiskInput(), cohort)
    bands = [v for v in out.cohorts if v.key.startswith("l:")]
    exact = next(v for v in out.cohorts if v.key.startswith("t:"))
    assert max(v.accounts for v in bands) >= 20 > exact.accounts
    best, score = strongest(out.cohorts, HARVEST)
    assert best is not None and best.key.startswith("l:") and score > 0
    await store.close()


# --- the campaign math on hand-worked numbers -------------------------------------------------
# Expected values are worked out in the comments from docs/signals.md section 3 (harvest
# (2 elicit + 2 focus + single + extract) / 6; score weight x min(1, young / full_young) x
# young share x harvest; member weight by kind), never by calling the module's helpers.


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((10, 10, 10, 10, 10), 1.0),  # every request has every trait
        ((10, 10, 0, 0, 0), 1 / 3),  # elicitation alone: 2 x 10 / 60
        ((10, 0, 10, 0, 0), 1 / 3),  # focus alone
        ((10, 0, 0, 10, 0), 1 / 6),  # single-turn alone: 10 / 60
        ((10, 0, 0, 0, 10), 1 / 6),  # extraction parameters alone
        ((4, 1, 2, 3, 0), 0.375),  # (2 + 4 + 3 + 0) / 24
        ((2.5, 1.5, 1.5, 1.5, 1.0), 8.5 / 15),  # (3 + 3 + 1.5 + 1) / 15
        ((0, 0, 0, 0, 0), 0.0),  # no traffic
    ],
)
def test_harvest(counts, expected) -> None:
    assert harvest(*counts) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("accounts", "young", "harvest_", "expected"),
    [
        (40, 30, 0.9, 1.215),  # 6 x 30/100 x 30/40 x 0.9
        (100, 100, 0.8, 4.8),  # 6 x 1 x 1 x 0.8
        (200, 150, 0.7, 3.15),  # 6 x min(1, 1.5) x 0.75 x 0.7
        (40, 20, 0.65, 0.39),  # every threshold met exactly: 6 x 0.2 x 0.5 x 0.65
        (40, 19, 0.9, 0.0),  # 19 young < min_young
        (41, 20, 0.9, 0.0),  # young share 20/41 < 0.5
        (40, 20, 0.649, 0.0),  # harvest < min_harvest
        (10, 25, 1.0, 1.5),  # sketches disagree (young > accounts): share 1, 6 x 0.25 x 1
        (0, 25, 1.0, 0.0),  # no accounts
    ],
)
def test_campaign_score(accounts, young, harvest_, expected) -> None:
    assert campaign_score(accounts, young, harvest_, CohortModel()) == pytest.approx(expected)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    accounts=st.integers(1, 10_000),
    young=st.integers(0, 10_000),
    more=st.integers(0, 1_000),
    h=st.floats(0, 1),
)
def test_campaign_score_is_bounded_and_grows_with_young_accounts(accounts, young, more, h) -> None:
    """More young accounts (the cohort's size fixed or growing with them) never lower the
    score; it stays within [0, weight]."""
    m = CohortModel()
    accounts = max(accounts, young)
    base = campaign_score(accounts, young, h, m)
    grown = campaign_score(accounts + more, young + more, h, m)
    assert 0.0 <= base <= grown <= m.weight


@pytest.mark.parametrize(
    ("traits", "expected"),
    [
        (0, 0.0),
        (ELICIT, 1 / 3),
        (FOCUS, 1 / 3),
        (SINGLE, 1 / 6),
        (EXTRACT, 1 / 6),
        (ELICIT | FOCUS | SINGLE, 5 / 6),
        (ELICIT | FOCUS | SINGLE | EXTRACT, 1.0),
    ],
)
def test_request_harvest(traits, expected) -> None:
    assert request_harvest(traits) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("key", "traits", "expected"),
    [
        ("t:abc", 0, 2.0),  # an exact template: 2.0 x 1.0, whatever the request
        ("t:abc", ELICIT, 2.0),
        ("l:b0:abc", ELICIT | FOCUS | SINGLE, 4 / 3),  # 2.0 x 0.8 x 5/6
        ("l:b0:abc", SINGLE, 2.0 * 0.8 / 6),
        ("n:10.0.0.0/24", ELICIT, 1 / 3),  # 2.0 x 0.5 x 1/3
        ("n:10.0.0.0/24", ELICIT | FOCUS | SINGLE | EXTRACT, 1.0),  # 2.0 x 0.5 x 1
        ("c:0123", ELICIT | FOCUS | SINGLE | EXTRACT, 0.3),  # 2.0 x 0.15 x 1
        ("c:0123", FOCUS, 0.1),  # 2.0 x 0.15 x 1/3
        ("x:other", ELICIT | FOCUS | SINGLE | EXTRACT, 0.6),  # unknown kind: 0.3
    ],
)
def test_member_score_by_kind_and_request_shape(key, traits, expected) -> None:
    member = member_score(CohortView(key, 2.0, 50, 50, 0.9), traits)
    assert member == pytest.approx(expected)
    assert member_score(CohortView(key, 0.0, 50, 5, 0.2), traits) == 0.0  # not a campaign


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-per-slot"])
async def test_a_cohort_on_hand_worked_numbers(kind) -> None:
    """One cohort, four requests (min_young 2, full_young 4, min share 0.5, min harvest
    0.35, weight 4, half-life 1 h, shared bucket 1000 tokens + 0.05/s):
    1. young a (elicit, focus), cost 100: requests 1, harvest (2 + 2) / 6 = 2/3; one
       young account < 2: score 0, the bucket untouched.
    2. young b (elicit, single, extract) one hour later, cost 300: the counts halve:
       requests 1.5, elicit 1.5, focus 0.5, single 1, extract 1: harvest
       (3 + 1 + 1 + 1) / 9 = 2/3; two young of two: score 4 x 2/4 x 1 x 2/3 = 4/3; the
       bucket 1000 - 300 = 700.
    3. old c (no trait) at once, cost 900: requests 2.5, harvest 6/15 = 0.4; young share
       2/3: score 4 x 1/2 x 2/3 x 0.4 = 8/15; 700 < 900: refused, wait 200 / 0.05 = 4000 s.
    4. young d (all four traits) one hour later, cost 900: requests 1.25 + 1 = 2.25,
       elicit 1.75, focus 1.25, single 1.5, extract 1.5: harvest 9 / 13.5 = 2/3; three
       young of four: score 4 x 3/4 x 3/4 x 2/3 = 1.5; the bucket refilled 3600 x 0.05 =
       180 to 880 < 900: refused, wait 20 / 0.05 = 400 s.
    """
    model = CohortModel(
        min_young=2,
        full_young=4,
        min_young_share=0.5,
        min_harvest=0.35,
        weight=4.0,
        half_life=3_600.0,
        bucket_capacity=1_000.0,
        bucket_refill=0.05,
    )
    store = await _store(kind, model)
    no_signal = RiskInput()  # the account side plays no part here
    t = 86_400 * 20_000 + 3_600.0
    steps = [
        ("a", True, ELICIT | FOCUS, 100, t, (0.0, 1, 1, 2 / 3, True, 0.0)),
        ("b", True, ELICIT | SINGLE | EXTRACT, 300, t + 3_600, (4 / 3, 2, 2, 2 / 3, True, 0.0)),
        ("c", False, 0, 900, t + 3_600, (8 / 15, 3, 2, 0.4, False, 4_000.0)),
        ("d", True, ELICIT | FOCUS | SINGLE | EXTRACT, 900, t + 7_200,
         (1.5, 4, 3, 2 / 3, False, 400.0)),
    ]  # fmt: skip
    try:
        for account, young, traits, cost, now, expected in steps:
            cohort = CohortInput(("t:hand",), young=young, traits=traits)
            out = await store.evaluate(account, "ip", cost, now, no_signal, cohort)
            (v,) = out.cohorts
            score, accounts, young_n, harvest_, allowed, wait = expected
            assert (v.accounts, v.young, v.allowed) == (accounts, young_n, allowed), account
            assert (v.score, v.harvest, v.retry_after) == pytest.approx((score, harvest_, wait)), (
                account
            )
    finally:
        await store.close()


# --- the pure helpers the request plane reads cohorts with -----------------------------------


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.77", "203.0.113.0/24"),  # an IPv4 address: its /24
        ("2001:db8:1:2::/64", "2001:db8:1::/48"),  # the /64 an IPv6 client is counted in
        ("2001:db8:1:2:aaaa::/64", "2001:db8:1::/48"),  # written with host bits: the same
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"),
        ("10.1.2.0/24", "10.1.2.0/24"),  # already a /24: itself
        ("10.0.0.0/16", "10.0.0.0/16"),  # wider than a /24: itself
        ("not an address", None),
        ("", None),
    ],
)
def test_subnet_is_the_unit_a_hosting_provider_hands_out(ip, expected) -> None:
    assert subnet(ip) == expected
    assert subnet(ip) == expected  # the second answer comes from the memo


def test_the_subnet_memo_never_holds_more_than_65536_addresses() -> None:
    cohorts._SUBNETS.clear()
    try:
        for n in range(65_536):
            subnet(f"10.{n >> 8}.{n & 255}.1")
        assert len(cohorts._SUBNETS) == 65_536
        assert subnet("192.0.2.1") == "192.0.2.0/24"
        assert len(cohorts._SUBNETS) == 1  # full: emptied before the new address
    finally:
        cohorts._SUBNETS.clear()


def test_cohort_keys_of_a_request() -> None:
    """Exact template, LSH bands 0 and 5 (one per SimHash partition), /24, fingerprint."""
    bands = ("b0", "b1", "b2", "b3", "b4", "b5", "b6")
    assert cohort_keys("sk", bands, "203.0.113.9", "fp") == (
        "t:sk",
        "l:b0",
        "l:b5",
        "n:203.0.113.0/24",
        "c:fp",
    )
    assert cohort_keys("", bands, "bad ip", "") == ()  # no template, address or fingerprint
    assert cohort_keys("", (), "2001:db8::1", "fp") == ("n:2001:db8::/48", "c:fp")


@pytest.mark.parametrize(
    ("value", "ts", "now", "expected"),
    [
        (8.0, 0.0, 7_200.0, 2.0),  # two half-lives of 3600 s: 8 / 4
        (8.0, 0.0, 1_800.0, 8 / 2**0.5),  # half a half-life
        (8.0, 100.0, 50.0, 8.0),  # a clock behind the last write: no growth
        (8.0, None, 7_200.0, 0.0),  # never written
        (0.0, 0.0, 10.0, 0.0),
        (0.5, 0.0, 0.0, 0.5),  # below 1 is still a count
        (-1.0, 0.0, 0.0, 0.0),
    ],
)
def test_decay(value, ts, now, expected) -> None:
    assert decay(value, ts, now, 3_600.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("age", "expected"),
    [(None, False), (0.0, True), (7 * 86_400 - 1, True), (7 * 86_400, False), (1e9, False)],
)
def test_is_young_below_young_days(age, expected) -> None:
    assert is_young(age, CohortModel(young_days=7.0)) is expected


def test_member_score_of_a_weak_campaign() -> None:
    """A score below 1 still counts: an exact template carries it whole."""
    assert member_score(CohortView("t:x", 0.5, 30, 30, 0.9), 0) == 0.5


def test_strongest_cohort() -> None:
    """The largest member score; the first of equals; a request with no traits gets
    nothing from a subnet (0.5 x harvest 0), even of a strong campaign."""
    t1, t2 = CohortView("t:a", 1.0, 30, 30, 0.9), CohortView("t:b", 1.0, 30, 30, 0.9)
    net = CohortView("n:10.0.0.0/24", 6.0, 30, 30, 0.9)
    quiet = CohortView("c:fp", 0.0, 3, 0, 0.1)
    assert strongest(()) == (None, 0.0)
    assert strongest((t1, t2)) == (t1, 1.0)
    assert strongest((net,)) == (net, 0.0)
    assert strongest((quiet,)) == (quiet, 0.0)
    assert strongest((net, t2)) == (t2, 1.0)
    assert strongest((net, t2), ELICIT | FOCUS | SINGLE | EXTRACT) == (net, 3.0)  # 6 x 0.5


def test_only_template_cohorts_ration_their_members() -> None:
    refused = dict(allowed=False, retry_after=5.0)
    t = CohortView("t:a", 2.0, 30, 30, 0.9, **refused)
    band = CohortView("l:b0", 2.0, 30, 30, 0.9, **refused)
    net = CohortView("n:10.0.0.0/24", 2.0, 30, 30, 0.9, **refused)
    sdk = CohortView("c:fp", 2.0, 30, 30, 0.9, **refused)
    fine = CohortView("t:b", 2.0, 30, 30, 0.9)
    assert bucket_refusal((net, sdk, fine)) is None
    assert bucket_refusal((net, t)) == t
    assert bucket_refusal((sdk, fine, band)) == band
    assert bucket_refusal(()) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_young", 0, "min_young must be a finite number >= 1 (a campaign needs a young "
         "account), got 0"),
        ("full_young", 0, "full_young must be a finite number >= 1 (a divisor), got 0"),
        ("min_young_share", 1.5, "min_young_share must be a finite number >= 0 and <= 1 "
         "(a share), got 1.5"),
        ("min_harvest", -0.1, "min_harvest must be a finite number >= 0 and <= 1 (harvest is "
         "a share), got -0.1"),
        ("weight", 2000.0, "weight must be a finite number >= 0 and <= 1000, got 2000.0"),
        ("young_days", 0.0, "young_days must be a finite number > 0 (a divisor or a size), "
         "got 0.0"),
        ("bucket_refill", 0.0001, "bucket_capacity / bucket_refill = 2e+10 s: a campaign's "
         "shared bucket would take more than 400 days to refill, never in practice"),
        ("ttl", 86_400, "ttl must be a whole number of seconds >= 172800, got 86400"),
        ("ttl", 259_200.5, "ttl must be a whole number of seconds >= 172800, got 259200.5"),
    ],
)  # fmt: skip
def test_a_bad_campaign_setting_is_refused_with_what_it_must_be(field, value, message) -> None:
    with pytest.raises(ValueError) as refused:
        CohortModel(**{field: value})
    assert str(refused.value) == message


def test_campaign_settings_on_their_bounds_are_accepted() -> None:
    m = CohortModel(
        min_young=1, full_young=1, min_young_share=1.0, min_harvest=0.0, weight=1000.0,
        ttl=172_800.0,
    )  # fmt: skip
    assert (m.min_young_share, m.weight, m.ttl) == (1.0, 1000.0, 172_800)
    assert isinstance(m.ttl, int)
    slowest = CohortModel(bucket_capacity=400 * 86_400.0, bucket_refill=1.0)  # 400 days
    assert slowest.bucket_capacity / slowest.bucket_refill == 400 * 86_400


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-per-slot"])
async def test_a_cohort_request_at_the_epoch_is_a_time_not_never(kind) -> None:
    """The first request at t = 0 is a timestamp like any other: one half-life (6 h)
    later its counts have halved, requests 0.5 + 1 = 1.5 and elicit 0.5, so the harvest
    is 2 x 0.5 / (6 x 1.5) = 1/9 (not 0, as if nothing had come before)."""
    store = await _store(kind, CohortModel())
    try:
        first = CohortInput(("t:epoch",), young=True, traits=ELICIT)
        await store.evaluate("a", "ip", 1, 0.0, RiskInput(), first)
        later = CohortInput(("t:epoch",), young=True, traits=0)
        out = await store.evaluate("b", "ip", 1, 6 * 3_600.0, RiskInput(), later)
        (v,) = out.cohorts
        assert (v.accounts, v.young) == (2, 2)
        assert v.harvest == pytest.approx(1 / 9)
    finally:
        await store.close()


async def test_the_operator_read_of_a_cohort_that_was_never_a_campaign() -> None:
    """Three requests at t: young a (elicit, focus), old b and c (no trait); read one
    half-life (6 h) later: 3 requests decayed to 1.5, shares 1/3 elicit and 1/3 focus,
    harvest (2 + 2) / (6 x 3) = 2/9, one young account of three: score 0, no shared
    bucket yet."""
    store = await _store("redis", CohortModel())
    t = 86_400 * 20_000 + 3_600.0
    try:
        a = CohortInput(("t:op",), young=True, traits=ELICIT | FOCUS)
        await store.evaluate("a", "ip", 1, t, RiskInput(), a)
        await store.evaluate("b", "ip", 1, t, RiskInput(), CohortInput(("t:op",), False, 0))
        await store.evaluate("c", "ip", 1, t, RiskInput(), CohortInput(("t:op",), False, 0))
        assert await store.cohorts(t + 6 * 3_600) == [
            {
                "cohort": "t:op",
                "kind": "template",
                "accounts": 3,
                "young": 1,
                "requests": pytest.approx(1.5),
                "shares": {
                    "elicit": pytest.approx(1 / 3),
                    "focus": pytest.approx(1 / 3),
                    "single": 0.0,
                    "extract": 0.0,
                },
                "harvest": pytest.approx(2 / 9),
                "score": 0.0,
                "last_seen": t,
                "bucket_tokens": None,
            }
        ]
    finally:
        await store.close()


def _kmv(values) -> KMV:
    k = KMV()
    for v in values:
        k.add(v)
    return k


def test_kmv_keeps_the_k_smallest_hashes() -> None:
    """k = 256 hashes 2, 4, ..., 512: a larger one changes nothing, one between the two
    largest (511) replaces the largest, a repeat changes nothing."""
    k = _kmv(range(2, 2 * KMV_K + 1, 2))
    assert KMV_K == 256 and len(k.values) == KMV_K
    assert k.add(1_000) is False and k.values[-1] == 512
    assert k.add(511) is True
    assert (len(k.values), k.values[-2], k.values[-1]) == (KMV_K, 510, 511)
    assert k.add(4) is False and len(k.values) == KMV_K


def test_kmv_counts() -> None:
    """Below k values the count is exact; at k it is (k - 1) / (largest / 2^64): hashes
    i x 2^55 for i = 1..256 put the largest at 2^63, half the range: 255 / 0.5 = 510.
    Several sketches count their union."""
    assert KMV.count(_kmv([5, 9, 9, 7])) == 3
    full = _kmv(i << 55 for i in range(1, KMV_K + 1))
    assert KMV.count(full) == 510
    assert KMV.count(_kmv([1, 2, 3]), _kmv([3, 4])) == 4  # the union: 1, 2, 3, 4
    halves = _kmv(i << 55 for i in range(1, KMV_K + 1, 2)), _kmv(i << 55 for i in range(2, 257, 2))
    assert KMV.count(*halves) == 510  # merged, the same 256 hashes as ``full``


def test_a_single_young_account_is_a_campaign_when_min_young_is_one() -> None:
    """min_young 1, full_young 1: one young account of one, harvest 1: 6 x 1 x 1 x 1."""
    assert campaign_score(1, 1, 1.0, CohortModel(min_young=1, full_young=1)) == 6.0


def test_a_cohorts_counts_roll_over_at_utc_midnight() -> None:
    """update_cohort keeps today's and yesterday's sketches and counts the larger: day
    D-1 at 23:59:50 young a and old b; day D at 00:00:10 young c: today 1, yesterday 2,
    so 2 accounts and 1 young (a); the day after, d: yesterday is D (c alone), 1 and 1 if
    d is young; two days later, e: yesterday is empty, 1 and 0."""
    m = CohortModel()
    state = CohortState()
    day = 20_000 * 86_400.0
    steps = [
        ("a", True, day - 10, (1, 1)),
        ("b", False, day - 10, (2, 1)),
        ("c", True, day + 10, (2, 1)),
        ("d", True, day + 86_400 + 10, (1, 1)),
        ("e", False, day + 3 * 86_400 + 10, (1, 0)),
    ]
    for account, young, now, expected in steps:
        v = update_cohort(state, "t:roll", account, young, 0, 1.0, now, m)
        assert (v.accounts, v.young) == expected, account
