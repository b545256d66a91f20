"""One suite, both stores: the memory store and the Redis store must give equal answers."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings

from antiextract.model.bucket import (
    TOKENS,
    WindowLimit,
    bucket_wait,
    refill,
    take_cost,
    window_wait,
)
from antiextract.model.risk import (
    ELICIT,
    EXTRACT,
    FOCUS,
    LOGIT_BIAS,
    SINGLE,
    TRAITS,
    RiskInput,
    RiskModel,
)
from antiextract.store import MemoryStore
from antiextract.store.redis import RedisStore
from antiextract.store.resp import FastScriptClient

from . import drawn
from .conftest import REDIS_URL, SimClock, redis_client, test_limits


async def test_new_account_starts_full_and_pays_cost(make_store, clock: SimClock) -> None:
    store = await make_store()
    out = await store.evaluate("acct", "ip", 300, clock())
    assert out.allowed and out.denied_by is None
    assert out.tokens == pytest.approx(700)
    state = await store.account_state("acct", clock())
    assert state is not None and state["tokens"] == pytest.approx(700)


async def test_bucket_refuses_then_refills_on_simulated_time(make_store, clock) -> None:
    store = await make_store(test_limits(account=(), ip=()))
    assert (await store.evaluate("a", "i", 900, clock())).allowed
    out = await store.evaluate("a", "i", 400, clock())
    assert not out.allowed and out.denied_by == TOKENS
    assert out.retry_after == pytest.approx(30.0)  # (400 - 100) / 10 per second
    clock.advance(29.9)
    assert not (await store.evaluate("a", "i", 400, clock())).allowed
    clock.advance(0.2)
    out = await store.evaluate("a", "i", 400, clock())
    assert out.allowed and out.tokens == pytest.approx(1.0, abs=0.01)


async def test_refusal_consumes_nothing(make_store, clock) -> None:
    store = await make_store(test_limits(account=(WindowLimit("account", 2, 60),), ip=()))
    await store.evaluate("a", "i", 100, clock())
    out = await store.evaluate("a", "i", 5000, clock())  # capped at capacity: bucket refuses
    assert not out.allowed and out.denied_by == TOKENS
    out = await store.evaluate("a", "i", 100, clock())
    assert out.allowed  # the refused request took neither tokens nor a request slot
    assert out.tokens == pytest.approx(800)
    assert not (await store.evaluate("a", "i", 1, clock())).allowed


async def test_a_request_stamped_before_the_last_one_refills_nothing(make_store, clock) -> None:
    """Replicas' clocks disagree a little: a request stamped 5 s before the account's
    last one is charged against the bucket as it stands (no refill for the negative gap,
    and none of the 5 s given back either)."""
    store = await make_store(test_limits(account=(), ip=()))
    first = await store.evaluate("a", "i", 300, clock(), RiskInput(acute=2.0))
    assert first.tokens == pytest.approx(700)
    assert first.assessment.acute == pytest.approx(0.4)  # 0 + 0.2 x (2.0 - 0)
    out = await store.evaluate("a", "i", 100, clock() - 5)
    assert out.allowed and out.tokens == pytest.approx(600)  # not 610, not 550
    # nor does the acute level decay over the negative gap: 0.4 + 0.2 x (0 - 0.4)
    assert out.assessment.acute == pytest.approx(0.32, abs=1e-12)
    profile = (await store.account_state("a", clock()))["profile"]
    assert (profile["gaps"], profile["gap_mean"]) == (1, 0.0)  # the gap counts as 0 s


async def test_the_acute_level_decays_over_a_gap_under_a_second(make_store, clock) -> None:
    """Acute half-life one hour: half a second after a request of acute 2.0 (level 0.2 x
    2.0 = 0.4) the level has faded to 0.4 x 2 ** (-0.5 / 3600); a request of acute 0 then
    moves it a fifth of the way to 0: 0.8 x 0.4 x 2 ** (-1 / 7200)."""
    store = await make_store(test_limits(account=(), ip=()))
    first = await store.evaluate("a", "i", 1, clock(), RiskInput(acute=2.0))
    assert first.assessment.acute == pytest.approx(0.4, rel=1e-12)
    clock.advance(0.5)
    out = await store.evaluate("a", "i", 1, clock())
    assert out.assessment.acute == pytest.approx(0.32 * 2 ** (-1 / 7_200), rel=1e-12)


# 0.5 ** (1 / PHL) is 0.8 to the double (1 / log2(1.25), within 0.13 of a unit in the last
# place of 0.8: every libm's pow rounds it there)
PHL = 3.1062837195053903


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_template_share_exactly_at_takeover_keeps_its_dominant_template(kind) -> None:
    """alpha 1/2; a profile half-life at which one idle second fades what the shares
    learnt to 0.8. Template S twice at t: share 0 (S takes over an empty profile), then
    1/2. Template Q one second later: 1/2 faded to 0.4, less half of it: 0.2 = TAKEOVER,
    not below it, so S stays dominant. S again at once: 0.2 + (1 - 0.2) / 2 = 0.6 (had Q
    taken over: 0.2 - 0.1 = 0.1)."""
    assert 0.5 ** (1 / PHL) == 0.8
    m = RiskModel(alpha=0.5, profile_half_life=PHL)
    limits = test_limits(account=(), ip=())
    if kind == "memory":
        store = MemoryStore(limits, model=m)
    else:
        store = RedisStore(limits, await redis_client(), "aetakeover", m)
    t = 1_800_000_000.0
    steps = [(t, "S", 0.0), (t, "S", 0.5), (t + 1, "Q", 0.2), (t + 1, "S", 0.6)]
    try:
        for now, skeleton, share in steps:
            out = await store.evaluate("a", "i", 1, now, RiskInput(skeleton=skeleton))
            assert out.assessment.shares[3] == pytest.approx(share, rel=1e-12), (now, skeleton)
    finally:
        await store.close()


async def test_an_evaluation_cancelled_once_sent_is_given_back(clock) -> None:
    """The caller went away after the script call was written (one connection, so it
    is): evaluate.lua ran and took 300 of the 1000, and the store hands the reply to its
    refund, a settlement of -300. The account exists (the script ran), its bucket is
    full again."""
    fast = FastScriptClient.from_url(REDIS_URL, 2.0, pool_size=1)
    store = RedisStore(test_limits(account=(), ip=()), await redis_client(), "aecancel", fast=fast)
    try:
        assert store.refunds_when_cancelled
        await store.evaluate("warm", "i", 1, clock())  # connected, script loaded
        task = asyncio.create_task(store.evaluate("a", "i", 300, clock()))
        await asyncio.sleep(0)  # sent, its reply not yet read
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await store.evaluate("warm", "i", 1, clock())  # replies in order: "a"'s came first
        await asyncio.sleep(0)  # the refund runs at the next loop turn
        await store.flush()
        state = await store.account_state("a", clock())
        assert state is not None and state["tokens"] == pytest.approx(1000)
    finally:
        await store.close()  # and the fast client


async def test_cost_is_capped_at_capacity(make_store, clock) -> None:
    store = await make_store(test_limits(account=(), ip=()))
    out = await store.evaluate("a", "i", 10**9, clock())
    assert out.allowed and out.tokens == pytest.approx(0)


async def test_request_window_limit_and_retry_after(make_store, clock) -> None:
    clock.now = 1_800_000_000.0  # a multiple of 60: window boundaries are predictable
    store = await make_store(test_limits(account=(WindowLimit("account", 3, 60),), ip=()))
    for _ in range(3):
        assert (await store.evaluate("a", "i", 1, clock())).allowed
    out = await store.evaluate("a", "i", 1, clock())
    assert not out.allowed and out.denied_by == "account-3-per-60s"
    clock.advance(out.retry_after - 0.01)
    assert not (await store.evaluate("a", "i", 1, clock())).allowed
    clock.advance(0.02)
    assert (await store.evaluate("a", "i", 1, clock())).allowed


async def _store_of(kind: str, limits):
    if kind == "memory":
        return MemoryStore(limits)
    per_slot = kind == "redis-per-slot"  # the IP windows in ip.lua, as on Redis Cluster
    return RedisStore(limits, await redis_client(), prefix="aewin", per_slot_calls=per_slot)


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-per-slot"])
async def test_the_previous_window_counts_for_its_part_still_in_the_sliding_window(kind) -> None:
    """IP limit 10 per 60 s; ten requests (ten accounts) at the start of a window.
    Half-way into the next window the previous one counts half: 10 x 0.5 + 0 + 1 = 6 <= 10,
    allowed. Then, afresh, 5.7 s into the next window (frac 0.095): 10 x 0.905 + 1 = 10.05
    > 10, refused until the previous window's weight falls to 9: (1 - 9/10 - 0.095) x 60 =
    0.3 s (a wait under a second)."""
    t0 = 1_800_000_000.0  # a multiple of 60
    store = await _store_of(kind, test_limits(account=(), ip=(WindowLimit("ip", 10, 60),)))
    try:
        for n in range(10):
            assert (await store.evaluate(f"a{n}", "half", 1, t0)).allowed
        assert (await store.evaluate("x", "half", 1, t0 + 90)).allowed
        t1 = t0 + 600
        for n in range(10):
            assert (await store.evaluate(f"b{n}", "edge", 1, t1)).allowed
        out = await store.evaluate("y", "edge", 1, t1 + 65.7)
        assert not out.allowed and out.denied_by == "ip-10-per-60s"
        assert out.retry_after == pytest.approx(0.3, abs=1e-6)
        assert (await store.evaluate("y", "edge", 1, t1 + 66.0 + 1e-6)).allowed
    finally:
        await store.close()


async def test_a_lowered_limit_meets_the_counts_kept_under_the_old_one() -> None:
    """Windows are kept by their length: a deploy that lowers the IP limit from 40 to 15
    an hour finds the last hour's 25 requests. 44% into this hour they weigh 25 x 0.56 =
    14: one more makes 15, the limit, so it passes (in doubles the weighted count comes
    out a hair above 14 and the wait a hair below 0: none). A second one waits until they
    weigh 13, 48% into the hour: 144 s."""
    t0 = 1_800_000_000.0  # an hour's start
    old = test_limits(account=(), ip=(WindowLimit("ip", 40, 3_600),))
    new = test_limits(account=(), ip=(WindowLimit("ip", 15, 3_600),))
    before = RedisStore(old, await redis_client(), prefix="aelower")
    after = RedisStore(new, aioredis.Redis.from_url(REDIS_URL), prefix="aelower")
    try:
        for n in range(25):
            assert (await before.evaluate(f"a{n}", "ip", 1, t0 - 3_600 + n)).allowed
        now = t0 + 1_584.0
        out = await after.evaluate("x", "ip", 1, now)
        assert out.allowed and out.retry_after == 0.0
        out = await after.evaluate("y", "ip", 1, now)
        assert not out.allowed and out.denied_by == "ip-15-per-3600s"
        assert out.retry_after == pytest.approx(144.0)
        # the model's arithmetic (the memory store's) agrees on the first
        assert window_wait(WindowLimit("ip", 15, 3_600), 0, 25, now) == 0.0
    finally:
        await before.close()
        await after.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_youth_on_hand_worked_ages(kind) -> None:
    """With youth_days of one second, youth = 1 / (1 + age in seconds), floored at 0.25:
    the first request (age 0) 1; 0.5 s later 2/3; a creation time 10 s in the future
    counts as age 0: 1; 1 s after first seen 0.5; 5 s: 1/6, floored to 0.25."""
    m = RiskModel(youth_days=1 / 86_400)
    limits = test_limits(account=(), ip=())
    if kind == "memory":
        store = MemoryStore(limits, model=m)
    else:
        store = RedisStore(limits, await redis_client(), "aeyouth", m)
    t = 1_800_000_000.0
    ages = [("a", t, None, 1.0, 0.0), ("a", t + 0.5, None, 2 / 3, 0.5)]
    ages += [("b", t + 0.5, t + 10.5, 1.0, 0.0)]  # (kept: "b" stays at age 0 till t + 10.5)
    ages += [("a", t + 1, None, 0.5, 1.0), ("a", t + 5, None, 0.25, 5.0)]
    try:
        for account, now, created, expected, age in ages:
            out = await store.evaluate(account, "i", 1, now, RiskInput(created_at=created))
            assert out.assessment.youth == pytest.approx(expected), (now - t, created)
            assert out.assessment.age == pytest.approx(age), (now - t, created)
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_trusted_creation_time_is_kept_in_the_profile(kind) -> None:
    """The auth layer's creation time arrives per request; the store keeps the last one
    (and the tier) so that a request without the header, and ``antiextract inspect``,
    count the account's age from it and not from when it was first seen. youth_days of
    ten seconds: created 9 s before the first request, tier 0.5 -> youth 0.5 / (1 + 0.9);
    1 s later, no header: age 10 s (not 1 s), tier 1 -> youth 1 / (1 + 1)."""
    m = RiskModel(youth_days=10 / 86_400)
    limits = test_limits(account=(), ip=())
    if kind == "memory":
        store = MemoryStore(limits, model=m)
    else:
        store = RedisStore(limits, await redis_client(), "aecreated", m)
    t = 1_800_000_000.0
    try:
        out = await store.evaluate("a", "i", 1, t, RiskInput(created_at=t - 9, tier=0.5))
        assert out.assessment.youth == pytest.approx(0.5 / 1.9)
        out = await store.evaluate("a", "i", 1, t + 1, RiskInput())
        assert out.assessment.age == pytest.approx(10.0)
        assert out.assessment.youth == pytest.approx(1 / 2.0)  # this request's tier: 1
        profile = (await store.account_state("a", t + 1))["profile"]
        assert profile["created"] == pytest.approx(t - 9)
        assert profile["tier"] == pytest.approx(1.0)
        # a fresh account without the header: nothing stored, age from first seen
        await store.evaluate("b", "i", 1, t, RiskInput())
        assert (await store.account_state("b", t))["profile"]["created"] is None
    finally:
        await store.close()


async def test_ip_limit_spans_accounts(make_store, clock) -> None:
    store = await make_store(test_limits(account=(), ip=(WindowLimit("ip", 4, 60),)))
    for n in range(4):
        assert (await store.evaluate(f"acct{n}", "shared-ip", 1, clock())).allowed
    out = await store.evaluate("acct-new", "shared-ip", 1, clock())
    assert not out.allowed and out.denied_by == "ip-4-per-60s"
    assert (await store.evaluate("acct-new", "other-ip", 1, clock())).allowed


async def test_settle_charges_and_refunds(make_store, clock) -> None:
    store = await make_store(test_limits(account=(), ip=()))
    await store.evaluate("a", "i", 500, clock())
    await store.settle("a", -400, clock())  # real cost was 100
    await store.flush()
    state = await store.account_state("a", clock())
    assert state["tokens"] == pytest.approx(900)
    await store.settle("a", 5000, clock())  # far more than reserved: debt floors at -capacity
    await store.flush()
    state = await store.account_state("a", clock())
    assert state["tokens"] == pytest.approx(-1000)
    out = await store.evaluate("a", "i", 10, clock())
    assert not out.allowed and out.retry_after == pytest.approx(101.0)


async def test_settle_of_unknown_account_creates_nothing(make_store, clock) -> None:
    store = await make_store()
    await store.settle("ghost", 100, clock())
    await store.flush()
    assert await store.account_state("ghost", clock()) is None


async def test_reset_forgets_an_account(make_store, clock) -> None:
    store = await make_store()
    await store.evaluate("a", "i", 900, clock())
    await store.reset("a")
    assert await store.account_state("a", clock()) is None
    assert (await store.evaluate("a", "i", 900, clock())).allowed


async def test_concurrent_requests_never_overspend(make_store, clock) -> None:
    store = await make_store(test_limits(account=(WindowLimit("account", 1000, 60),), ip=()))
    outs = await asyncio.gather(*(store.evaluate("a", "i", 30, clock()) for _ in range(100)))
    allowed = sum(o.allowed for o in outs)
    assert allowed == 33  # exactly floor(1000 / 30), never one more
    state = await store.account_state("a", clock())
    assert state["tokens"] == pytest.approx(10)


async def test_idle_account_equals_a_fresh_one(make_store, clock) -> None:
    limits = test_limits()
    store = await make_store(limits)
    for _ in range(5):
        await store.evaluate("a", "i", 200, clock())
    clock.advance(limits.account_ttl + 1)
    out = await store.evaluate("a", "i", 200, clock())
    assert out.allowed and out.tokens == pytest.approx(800)


@settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=drawn.NO_SHRINK,
)
@given(drawn.scenarios())
def test_drawn_models_and_traffic_give_identical_answers_on_every_store(scenario) -> None:
    """The Lua scripts and the pure models are one algorithm: drawn models (no two trait
    weights equal), drawn traffic (tests/drawn.py), step by step on the memory store, a
    single Redis through the lean client (the account and its campaigns' shared buckets in
    one call) and a single Redis with one call per slot (the Cluster layout: ip.lua,
    campaign.lua, undo.lua apart); the campaigns' buckets end alike on all three."""

    async def run() -> drawn.Coverage:
        m, cm, limits = scenario.model, scenario.cohort_model, scenario.limits
        await (await redis_client()).aclose()  # flushes the test database
        stores = {
            "memory": MemoryStore(limits, model=m, cohort_model=cm),
            "redis": RedisStore.from_url(
                REDIS_URL, limits, prefix="aedrawn", model=m, cohort_model=cm
            ),
            "redis-per-slot": RedisStore(
                limits, await redis_client(), "aeslots", m, cm, per_slot_calls=True
            ),
        }
        try:
            return await drawn.compare(scenario, stores)
        finally:
            for store in stores.values():
                await store.close()

    drawn.assert_covered(asyncio.run(run()), scenario)


@pytest.mark.parametrize("account", ["{a}", "a b\r\n*3", "ключ", "x" * 500, "", "*", "\x00"])
async def test_any_account_id_is_safe(make_store, clock, account) -> None:
    store = await make_store()
    assert (await store.evaluate(account, "ip", 10, clock())).allowed
    assert (await store.account_state(account, clock()))["tokens"] == pytest.approx(990)


async def test_every_redis_key_has_a_ttl(clock) -> None:
    client = await redis_client()
    store = RedisStore(test_limits(), client, prefix="aetest")
    for n in range(20):
        await store.evaluate(f"acct{n}", f"ip{n % 3}", 50, clock())
        await store.settle(f"acct{n}", 10, clock())
    await store.flush()
    keys = [k async for k in client.scan_iter("aetest:*")]
    assert len(keys) == 23
    for key in keys:
        assert await client.ttl(key) > 0, key
    await store.close()


async def test_memory_store_is_bounded(clock) -> None:
    store = MemoryStore(test_limits(), max_keys=100)
    for n in range(1000):
        await store.evaluate(f"acct{n}", f"ip{n}", 1, clock())
    assert len(store) == 100
    assert await store.account_state("acct999", clock()) is not None
    assert await store.account_state("acct0", clock()) is None


async def test_operator_block_and_unblock(make_store, clock) -> None:
    store = await make_store()
    await store.block("a", clock() + 600, clock())
    out = await store.evaluate("a", "i", 10, clock())
    assert not out.allowed and out.denied_by == "blocked"
    assert out.retry_after == pytest.approx(600)
    assert (await store.account_state("a", clock()))["blocked_until"] == pytest.approx(
        clock() + 600
    )
    await store.block("a", 0, clock())
    assert (await store.evaluate("a", "i", 10, clock())).allowed


@pytest.mark.parametrize("start", [1.5 * 86_400, 1_800_000_000.0])  # 1970-01-02, 2027
async def test_blocking_an_unknown_account_leaves_the_state_of_a_fresh_one(
    make_store, start
) -> None:
    """An operator may block an account before its first request; once unblocked, that
    account is a new one: no windows, a full bucket, and its first request assessed like
    a never-seen account's (hours, template and day count start from nothing), also on
    the second day after the epoch, where a stale 'yesterday' would show."""
    clock = SimClock(start)
    store = await make_store()
    await store.block("blocked", clock() + 60, clock())
    state = await store.account_state("blocked", clock())
    assert state == {
        "tokens": 1000.0,
        "updated": None,
        "windows": {},
        "profile": None,
        "blocked_until": clock() + 60,
    }
    await store.block("blocked", 0, clock())
    probe = RiskInput(traits=ELICIT | LOGIT_BIAS, acute=1.0, skeleton="k")
    blocked = await store.evaluate("blocked", "i", 10, clock(), probe)
    fresh = await store.evaluate("fresh", "j", 10, clock(), probe)
    assert blocked.allowed and blocked.tokens == pytest.approx(990)
    assert blocked.assessment == fresh.assessment
    assert blocked.assessment.shares[3:] == (0.0, pytest.approx(0.1875), 0.0, 0.0)
    assert blocked.assessment.day_count == 1


async def test_a_long_block_outlives_the_idle_lifetime_and_the_blocked_clients_requests(
    make_store, clock
) -> None:
    """An operator's block of a year: the blocked client's next request rewrote the state
    with the account's idle lifetime (30 days), so the block ended with the key. Redis
    keeps the key while the block lasts, the memory store the entry."""
    store = await make_store()
    year = 365 * 86_400.0
    await store.block("a", clock() + year, clock())
    assert (await store.evaluate("a", "i", 10, clock())).denied_by == "blocked"
    await store.settle("a", 5, clock())
    await store.flush()
    if store.label == "redis":
        # the block's end plus a minute (bucket.lua's keep_for), not the idle lifetime the
        # refused request carries: PTTL counts down from exactly (year + 60) s
        pttl = await store.client.pttl(store.account_key("a"))
        assert (year + 59) * 1000 < pttl <= (year + 60) * 1000, pttl
    clock.advance(200 * 86_400)  # idle far past the 30-day lifetime, still within the block
    out = await store.evaluate("a", "i", 10, clock())
    assert not out.allowed and out.denied_by == "blocked"
    assert out.retry_after == pytest.approx(165 * 86_400)


async def test_a_flood_of_new_accounts_does_not_evict_a_block(clock) -> None:
    """The memory store drops its least recently used accounts beyond max_keys: a flood of
    fresh account ids (one request each, every one allowed) evicted a blocked account and
    its block with it."""
    store = MemoryStore(test_limits(account=(), ip=()), max_keys=100)
    await store.block("blocked", clock() + 3_600, clock())
    for n in range(1_000):
        await store.evaluate(f"junk{n}", "i", 1, clock())
    assert len(store) <= 100
    out = await store.evaluate("blocked", "i", 1, clock())
    assert not out.allowed and out.denied_by == "blocked"
    await store.block("blocked", 0, clock())
    assert (await store.evaluate("blocked", "i", 1, clock())).allowed


async def test_risk_above_block_at_blocks_for_the_cool_down(make_store, clock) -> None:
    limits = test_limits(account=(), ip=(), block_at=5.0, block_seconds=900.0)
    store = await make_store(limits)
    # logit_bias with logprobs on one template, over and over: a logit-extraction sweep
    probe = RiskInput(traits=EXTRACT | LOGIT_BIAS | SINGLE, acute=2.0, skeleton="same")
    first = await store.evaluate("a", "i", 10, clock(), probe)
    # acute level 0.2 x 2.0; trait shares start at the prior 0.25 and move a quarter of
    # the way: present traits (single, extract) to 0.4375, absent ones to 0.1875
    up, down = 0.25 + 0.25 * 0.75, 0.25 - 0.25 * 0.25
    expected = 0.4 + 1.5 * down + 1.0 * down + 0.75 * up + 1.0 * up
    assert first.allowed and first.assessment.risk == pytest.approx(expected)
    outcomes = [await store.evaluate("a", "i", 10, clock(), probe) for _ in range(15)]
    blocked_at = next(i for i, o in enumerate(outcomes) if o.denied_by == "blocked")
    assert 3 <= blocked_at <= 12  # a sweep is blocked within a dozen requests
    assert outcomes[blocked_at].assessment.acute > 3.0  # above the 2.0 of logprobs alone: the sweep
    assert outcomes[-1].retry_after == pytest.approx(900, abs=1)
    assert (await store.evaluate("other", "i", 10, clock(), RiskInput())).allowed
    clock.advance(901)  # the cool-down is over, but the acute level (half-life 1 h) is not
    again = await store.evaluate("a", "i", 10, clock(), RiskInput())
    assert again.denied_by == "blocked" and again.assessment.risk >= 5.0
    clock.advance(3 * 3600)
    calm = await store.evaluate("a", "i", 10, clock(), RiskInput())
    assert calm.assessment.risk < 5.0 and calm.allowed


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_risk_exactly_at_block_at_blocks(kind) -> None:
    """Every trait weight 0, so the risk is the acute level alone: a new account's first
    request of acute 2.0 moves it 0.2 of the way from 0, to 0.4 = block_at: blocked for
    the cool-down (at block_at, not only above it); 0.399 would not be."""
    m = RiskModel(**{f"w_{t}": 0.0 for t in TRAITS})
    limits = test_limits(account=(), ip=(), block_at=0.4, block_seconds=900.0)
    if kind == "memory":
        store = MemoryStore(limits, model=m)
    else:
        store = RedisStore(limits, await redis_client(), "aeblockat", m)
    t = 1_800_000_000.0
    try:
        out = await store.evaluate("a", "i", 1, t, RiskInput(acute=2.0))
        assert out.assessment.risk == 0.4
        assert not out.allowed and out.denied_by == "blocked"
        assert out.retry_after == pytest.approx(900.0)
        below = await store.evaluate("b", "i", 1, t, RiskInput(acute=1.995))
        assert below.allowed and below.assessment.risk == pytest.approx(0.399)
    finally:
        await store.close()


async def test_risk_decays_with_idle_time_on_simulated_days(make_store, clock) -> None:
    """Risk grows with harvest-shaped traffic and fades when the account goes quiet: the
    acute level within hours (half-life 1 h), the trait shares towards their prior within
    days (half-life 7 days)."""
    store = await make_store(test_limits(account=(), ip=()))
    probe = RiskInput(traits=ELICIT | FOCUS | SINGLE | EXTRACT, acute=2.0, skeleton="w")
    risks = []
    for _ in range(30):
        out = await store.evaluate("a", "i", 1, clock(), probe)
        risks.append(out.assessment.risk)
        clock.advance(60)
    assert risks[-1] > risks[0]  # grows with the signals
    peak = out.assessment
    clock.advance(7 * 86_400)  # a week of silence, then one ordinary request
    calm = (await store.evaluate("a", "i", 1, clock(), RiskInput())).assessment
    assert calm.acute < 0.01 * peak.acute
    week = 7 * 86_400
    fade = 0.5 ** ((week + 60) / week)  # a little more than one half-life since the last ask
    faded = 0.25 + (peak.shares[0] - 0.25) * fade
    assert calm.shares[0] == pytest.approx(faded * 0.9, abs=1e-6)  # then one non-eliciting ask
    assert calm.risk < 0.6 * peak.risk


async def test_a_bucket_that_takes_years_to_refill_still_works(make_store, clock) -> None:
    """refill 1e-9 tokens/s with a 10^12 capacity is a valid setting; its idle TTL would
    be ~2e21 s, past Redis's integer range, and every call would fail. It is capped."""
    from antiextract.model.bucket import MAX_TTL

    limits = test_limits(capacity=1e12, refill=1e-9)
    assert limits.account_ttl == MAX_TTL
    store = await make_store(limits)
    out = await store.evaluate("slow", "ip", 100, clock())
    assert out.allowed and out.tokens == pytest.approx(1e12 - 100)
    if make_store.kind == "redis":
        ttl = await store.client.ttl(store.account_key("slow"))
        assert 0 < ttl <= MAX_TTL


# --- the bucket arithmetic both stores share (model/bucket.py), on hand-worked numbers -----


def test_refill_and_wait_of_the_token_bucket() -> None:
    """Capacity 1000, 10 tokens/s: a bucket never charged is full; 100 tokens 5 s ago are
    150 (at half the rate, 125); a clock behind the last charge adds nothing; the level is
    capped. A cost of 300 with 100 tokens waits 20 s (40 s at half the rate)."""
    lim = test_limits(account=(), ip=())
    assert refill(None, None, 50.0, lim) == 1000.0
    assert refill(100.0, None, 50.0, lim) == 1000.0
    assert refill(100.0, 45.0, 50.0, lim) == 150.0
    assert refill(100.0, 45.0, 50.0, lim, 0.5) == 125.0
    assert refill(100.0, 55.0, 50.0, lim) == 100.0
    assert refill(990.0, 45.0, 50.0, lim) == 1000.0
    assert bucket_wait(100.0, 300.0, lim) == 20.0
    assert bucket_wait(100.0, 300.0, lim, 0.5) == 40.0
    assert bucket_wait(300.0, 300.0, lim) == 0.0


def test_take_cost_is_the_estimate_within_zero_and_a_full_bucket() -> None:
    lim = test_limits(account=(), ip=())
    assert [take_cost(c, lim) for c in (-5.0, 0.0, 0.5, 999.0, 5_000.0)] == [
        0.0,
        0.0,
        0.5,
        999.0,
        1000.0,
    ]


@pytest.mark.parametrize(
    ("amount", "cur", "prev", "expected"),
    [
        (10, 0, 10, 0.0),  # 10 x 0.5 + 0 + 1 = 6 <= 10: room
        (10, 4, 12, 5.0),  # 6 + 4 + 1 = 11 > 10: prev must weigh <= 5: (1 - 5/12 - 0.5) x 60
        (10, 10, 0, 36.0),  # full: the next window, where 10 must weigh <= 9: 30 + 0.1 x 60
        (10, 5, 12, 10.0),  # 6 + 5 + 1 = 12 > 10: prev must weigh <= 4: (1 - 4/12 - 0.5) x 60
        (1, 1, 0, 90.0),  # one a minute, used: 30 s to the next window + all of it
        (10, 9, 4, 30.0),  # 2 + 9 + 1 = 12 > 10, cur + 1 = 10 fits: the window's end
    ],
)
def test_window_wait_on_hand_worked_counts(amount, cur, prev, expected) -> None:
    """Sliding window of 60 s, 30 s into the current fixed window (frac 0.5)."""
    now = 1_800_000_000.0 + 30  # 1_800_000_000 is a multiple of 60
    got = window_wait(WindowLimit("ip", amount, 60), cur, prev, now)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-per-slot"])
async def test_a_refusal_by_one_half_gives_back_what_the_other_half_took(kind) -> None:
    """On Redis Cluster the account and its IP's windows are two calls (undo.lua hands a
    refused request's charge back); every store must answer as one. IP limit 2 per 60 s:
    c spends 950 of 1000 from y, then asks 100 more: the bucket refuses, and y's window
    gets its count back, so d's request from y is the second, allowed. From z, a and e
    take the two requests; b's is refused by the window and b's 100 tokens come back."""
    t = 1_800_000_000.0
    store = await _store_of(kind, test_limits(account=(), ip=(WindowLimit("ip", 2, 60),)))
    try:
        assert (await store.evaluate("c", "y", 950, t)).allowed
        refused = await store.evaluate("c", "y", 100, t)
        assert not refused.allowed and refused.denied_by == TOKENS
        assert refused.tokens == pytest.approx(50)
        assert (await store.evaluate("d", "y", 1, t)).allowed
        assert not (await store.evaluate("f", "y", 1, t)).allowed  # now y has its two
        assert (await store.evaluate("a", "z", 100, t)).allowed
        assert (await store.evaluate("e", "z", 100, t)).allowed
        out = await store.evaluate("b", "z", 100, t)
        assert not out.allowed and out.denied_by == "ip-2-per-60s"
        assert out.tokens == pytest.approx(1000)
        assert (await store.account_state("b", t))["tokens"] == pytest.approx(1000)
        assert (await store.account_state("c", t))["tokens"] == pytest.approx(50)
    finally:
        await store.close()


async def test_a_block_ends_at_its_deadline_and_a_fraction_of_a_token_is_charged(
    make_store, clock
) -> None:
    """Blocked until t + 60: refused at t + 59.5, allowed at exactly t + 60. A request
    costing half a token takes half a token: 1000 - 0.5 = 999.5."""
    store = await make_store()
    await store.block("a", clock() + 60, clock())
    clock.advance(59.5)
    assert (await store.evaluate("a", "i", 1, clock())).denied_by == "blocked"
    clock.advance(0.5)
    out = await store.evaluate("a", "i", 0.5, clock())
    assert out.allowed and out.tokens == pytest.approx(999.5)


async def test_one_request_a_minute_waits_for_the_next_window_to_forget_it(make_store) -> None:
    """1 request per 60 s, used 30 s into a fixed window: the next fits once that window's
    request weighs nothing, a whole window later: 30 + 60 = 90 s."""
    t = 1_800_000_000.0 + 30  # 1_800_000_000 is a multiple of 60
    store = await make_store(test_limits(account=(WindowLimit("account", 1, 60),), ip=()))
    assert (await store.evaluate("a", "i", 1, t)).allowed
    out = await store.evaluate("a", "i", 1, t)
    assert not out.allowed and out.retry_after == pytest.approx(90.0)


async def test_a_settlement_refills_the_bucket_to_its_own_time_first(make_store, clock) -> None:
    """500 of 1000 taken at t; 10 s later the answer turns out 100 tokens dearer: the
    bucket first refills 10 s x 10/s = 100 (600), then pays the 100: 500."""
    store = await make_store(test_limits(account=(), ip=()))
    assert (await store.evaluate("a", "i", 500, clock())).tokens == pytest.approx(500)
    clock.advance(10)
    await store.settle("a", 100, clock())
    await store.flush()
    assert (await store.account_state("a", clock()))["tokens"] == pytest.approx(500)


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-per-slot"])
async def test_a_request_refused_by_its_ip_gives_back_its_account_window_count(kind) -> None:
    """Account limit 3 per 60 s, IP limit 1 per 60 s. a's first request (from y) counts
    once in each; a's second from y is refused by y's window, so its account count comes
    back (undo.lua on Cluster): a can still make two more, from z and w, and only the
    fourth allowed one (from v) is refused by the account's window. 30 s into the fixed
    window with 3 counted, the next request fits once the 3 weigh 2: 30 s to the window's
    end plus a third of the next one (3 x 2/3 + 0 + 1 = 3), 50 s in all."""
    t = 1_800_000_000.0 + 30  # 1_800_000_000 is a multiple of 60
    # a second account window (4 per hour) that gives its counts back too: a's fourth
    # allowed request would be refused by it, were the refused one still counted there
    limits = test_limits(
        account=(WindowLimit("account", 3, 60), WindowLimit("account", 4, 3_600)),
        ip=(WindowLimit("ip", 1, 60),),
    )
    store = await _store_of(kind, limits)
    try:
        assert (await store.evaluate("a", "y", 1, t)).allowed
        out = await store.evaluate("a", "y", 1, t)
        assert not out.allowed and out.denied_by == "ip-1-per-60s"
        assert out.tokens == pytest.approx(999)  # the refused request's token came back
        state = await store.account_state("a", t)
        assert state is not None and state["tokens"] == pytest.approx(999)
        assert (await store.evaluate("a", "z", 1, t)).allowed
        assert (await store.evaluate("a", "w", 1, t)).allowed
        out = await store.evaluate("a", "v", 1, t)
        assert not out.allowed and out.denied_by == "account-3-per-60s"
        assert out.retry_after == pytest.approx(50.0)
        # two minutes on, the minute's window is empty; the hour's holds a's three: a
        # fourth fits it, a fifth does not
        assert (await store.evaluate("a", "u", 1, t + 120)).allowed
        out = await store.evaluate("a", "x", 1, t + 120)
        assert not out.allowed and out.denied_by == "account-4-per-3600s"
        # b's very first request, from y (used): its one count comes back to none
        assert (await store.evaluate("b", "y", 1, t)).denied_by == "ip-1-per-60s"
        for ip in ("p", "q", "r"):
            assert (await store.evaluate("b", ip, 1, t)).allowed, ip
        assert (await store.evaluate("b", "s", 1, t)).denied_by == "account-3-per-60s"
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "redis", "redis-per-slot"])
async def test_an_ip_refusal_restores_the_bucket_as_it_was_before_the_take(kind) -> None:
    """IP limit 1 per 60 s. a spends 300 of 1000 from y at t; at t + 2 a asks 100 from y
    again: the account half takes it (700 + 2 s x 10/s = 720, less 100: 620), the IP half
    refuses, and the bucket goes back to 700 at t, exactly as before the take: at t + 12
    a reads 700 + 12 x 10 = 820, and a request of 50 from z leaves 770."""
    t = 1_800_000_000.0
    store = await _store_of(kind, test_limits(account=(), ip=(WindowLimit("ip", 1, 60),)))
    try:
        assert (await store.evaluate("a", "y", 300, t)).tokens == pytest.approx(700)
        out = await store.evaluate("a", "y", 100, t + 2)
        assert not out.allowed and out.denied_by == "ip-1-per-60s"
        assert out.tokens == pytest.approx(720)
        state = await store.account_state("a", t + 12)
        assert state is not None and state["tokens"] == pytest.approx(820)
        assert state["updated"] == t
        assert (await store.evaluate("a", "z", 50, t + 12)).tokens == pytest.approx(770)
    finally:
        await store.close()


async def test_undo_adds_the_cost_back_when_the_bucket_was_written_since_the_take() -> None:
    """undo.lua on its own (Cluster: another request of the same account may reach the
    account's slot between the take and the undo). a takes 500 of 1000 at t (500 left),
    then 200 at t + 5 (500 + 50 - 200 = 350). An undo of the first take finds the bucket
    no longer as that take left it (350, not 500): it adds the 500 back at the bucket's
    own level. Undone at t: 350 + 500 = 850, the update time stays t + 5. A take of 50
    undone at t + 10: 850 + 5 s x 10/s + 50 = 950, stamped t + 10 (so 970 at t + 12);
    one of 500 undone at t + 12: 970 + 500, capped at 1000. The IP key's undo takes one
    count back from each window of now: y, used twice at t, lets one more request
    through. (Times compared exactly: pytest.approx of a Unix time allows 30 minutes.)"""
    t = 1_800_000_000.0
    limits = test_limits(account=(), ip=(WindowLimit("ip", 2, 60),))
    store = await _store_of("redis-per-slot", limits)
    try:
        key = store.account_key("a")
        assert (await store.evaluate("a", "y", 500, t)).tokens == pytest.approx(500)
        assert (await store.evaluate("a", "y", 200, t + 5)).tokens == pytest.approx(350)
        args = ["account", t, 500, "", "", 500, 1000, 10]
        await store._undo(keys=[key], args=args, client=store.client)
        state = await store.account_state("a", t + 5)
        assert state is not None and state["tokens"] == pytest.approx(850)
        assert state["updated"] == t + 5
        args = ["account", t + 10, 500, "", "", 50, 1000, 10]
        await store._undo(keys=[key], args=args, client=store.client)
        state = await store.account_state("a", t + 10)
        assert state is not None and state["tokens"] == pytest.approx(950)
        assert state["updated"] == t + 10
        state = await store.account_state("a", t + 12)
        assert state is not None and state["tokens"] == pytest.approx(970)
        args = ["account", t + 12, 500, "", "", 500, 1000, 10]
        await store._undo(keys=[key], args=args, client=store.client)
        state = await store.account_state("a", t + 12)
        assert state is not None and state["tokens"] == pytest.approx(1000)
        assert state["updated"] == t + 12
        assert not (await store.evaluate("b", "y", 1, t + 5)).allowed  # y has its two
        await store._undo(keys=[store.ip_key("y")], args=["ip", t + 5], client=store.client)
        assert (await store.evaluate("b", "y", 1, t + 5)).allowed
    finally:
        await store.close()


async def test_undo_and_settle_leave_a_state_of_another_version_alone() -> None:
    """A state written in another layout version reads as fresh and is never rewritten
    by settle.lua or undo.lua (they would write this version's fields into it)."""
    t = 1_800_000_000.0
    store = await _store_of("redis-per-slot", test_limits(account=(), ip=()))
    try:
        key = store.account_key("a")
        assert (await store.evaluate("a", "y", 500, t)).allowed
        await store.client.eval(
            "local v = cmsgpack.unpack(redis.call('GET', KEYS[1])); v[1] = 99;"
            " redis.call('SET', KEYS[1], cmsgpack.pack(v))",
            1,
            key,
        )
        before = await store.client.get(key)
        await store.settle("a", 100, t + 1)
        await store.flush()
        assert await store.client.get(key) == before
        args = ["account", t + 1, 500, "", "", 500, 1000, 10]
        await store._undo(keys=[key], args=args, client=store.client)
        assert await store.client.get(key) == before
        await store.client.delete(key)
        await store._undo(keys=[key], args=args, client=store.client)
        assert await store.client.get(key) is None  # nothing to give back to: nothing made
    finally:
        await store.close()


async def test_a_settlement_keeps_a_charged_accounts_long_block(make_store, clock) -> None:
    """An account with a charged bucket, then blocked for a year: a settlement rewrites
    its state, with the block's end plus a minute as the key's lifetime (keep_for), not
    the 30-day idle lifetime; and it charges: 900 left at t, 40 dearer 10 s later:
    900 + 100 - 40 = 960."""
    store = await make_store()
    year = 365 * 86_400.0
    assert (await store.evaluate("a", "i", 100, clock())).tokens == pytest.approx(900)
    await store.block("a", clock() + year, clock())
    clock.advance(10)
    await store.settle("a", 40, clock())
    await store.flush()
    state = await store.account_state("a", clock())
    assert state is not None and state["tokens"] == pytest.approx(960)
    if store.label == "redis":
        pttl = await store.client.pttl(store.account_key("a"))
        assert (year - 10 + 59) * 1000 < pttl <= (year - 10 + 60) * 1000, pttl


async def test_undo_restores_exactly_only_a_bucket_its_take_left_as_it_was() -> None:
    """An undo stamped with the time of the bucket's last write but another level (a
    concurrent take at the same instant) adds its cost back: a at t takes 500 (500),
    at t + 5 takes 200 (350); an undo of 100 taken at t + 5 that left 400 finds 350:
    350 + 100 = 450, not the state before its take."""
    t = 1_800_000_000.0
    store = await _store_of("redis-per-slot", test_limits(account=(), ip=()))
    try:
        assert (await store.evaluate("a", "y", 500, t)).allowed
        assert (await store.evaluate("a", "y", 200, t + 5)).tokens == pytest.approx(350)
        args = ["account", t + 5, 400, "", "", 100, 1000, 10]
        await store._undo(keys=[store.account_key("a")], args=args, client=store.client)
        state = await store.account_state("a", t + 5)
        assert state is not None and state["tokens"] == pytest.approx(450)
        assert state["updated"] == t + 5
    finally:
        await store.close()
