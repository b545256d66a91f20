"""Campaigns on the request plane: the shared bucket of a flagged campaign on every store,
the verdicts carried into decisions through the middleware, allowlists, the gauge, slots;
and the campaign arithmetic on hand-worked numbers. (Counting cohorts and flagging them
is the intelligence plane's: tests/test_intel_*.py.)"""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.crc import key_slot

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import Record
from antiextract.model import cohorts
from antiextract.model.campaigns import CampaignCharge
from antiextract.model.cohorts import (
    KMV,
    KMV_K,
    CohortModel,
    CohortState,
    CohortView,
    bucket_refusal,
    campaign_score,
    charge_shared,
    cohort_keys,
    decay,
    harvest,
    is_young,
    member_score,
    request_harvest,
    strongest,
    strongest_link,
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
KINDS = ["memory", "redis", "redis-fast", "redis-per-slot"]


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


def _matched(*keys: str, score: float = 2.0) -> CampaignCharge:
    """The verdicts a request matched, as the verdict cache would give them."""
    return CampaignCharge(tuple(CohortView(k, score, 40, 30, 0.9) for k in keys))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_flagged_campaign_shares_one_bucket(kind, clock) -> None:
    """Thirty accounts of one campaign, 100 tokens each, share 1000: ten get through. Its
    subnet and SDK cohorts come back as matched but ration nobody; the views come back in
    the order matched, carrying what the verdicts said."""
    store = await _store(kind, CohortModel(bucket_capacity=1000, bucket_refill=1.0))
    allowed = []
    try:
        for n in range(30):
            matched = _matched("n:10.0.0.0/24", "t:w", "c:sdk")
            out = await store.evaluate(f"member{n}", "ip", 100, clock(), RiskInput(), matched)
            assert [v.key for v in out.cohorts] == ["n:10.0.0.0/24", "t:w", "c:sdk"]
            assert out.allowed  # the account's own limits are not the campaign's
            subnet, template, client = out.cohorts
            assert subnet.allowed and client.allowed  # never rationed
            assert (template.score, template.accounts, template.young) == (2.0, 40, 30)
            allowed.append(template.allowed)
        assert allowed == [True] * 10 + [False] * 20
        assert out.cohorts[1].retry_after == pytest.approx(100.0)  # 100 tokens at 1/s
        assert await store.campaign_bucket("t:w", clock()) == pytest.approx(0.0)
        assert await store.campaign_bucket("n:10.0.0.0/24", clock()) is None
        clock.advance(50)
        out = await store.evaluate("late", "ip", 100, clock(), RiskInput(), _matched("l:b0:w"))
        assert out.cohorts[0].allowed  # another campaign's bucket is its own
        out = await store.evaluate("late", "ip", 100, clock(), RiskInput(), _matched("t:w"))
        assert not out.cohorts[0].allowed
        assert out.cohorts[0].retry_after == pytest.approx(50.0)  # 50 refilled of 100
        out = await store.evaluate("none", "ip", 100, clock(), RiskInput())
        assert out.cohorts == ()  # no verdict matched: no campaign, no bucket touched
    finally:
        await store.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_a_campaign_bucket_on_hand_worked_numbers(kind) -> None:
    """A bucket of 500 tokens refilling 0.05/s: 200 leaves 300; 400 is refused, waiting
    (400 - 300) / 0.05 = 2000 s; 1000 s later 300 + 50 = 350, 400 still refused, 1000 s;
    900 is charged the whole bucket at most: 500 - 350 = 150 missing, 3000 s; a day later
    the bucket is full and 900 takes all of it at once. (Whatever the account's own
    bucket, 1000 tokens at 10/s, answers: the campaign's is charged either way.)"""
    store = await _store(kind, CohortModel(bucket_capacity=500.0, bucket_refill=0.05))
    t = 86_400 * 20_000 + 3_600.0
    steps = [(200, t, True, 0.0), (400, t, False, 2_000.0), (400, t + 1_000, False, 1_000.0),
             (900, t + 1_000, False, 3_000.0), (900, t + 90_000, True, 0.0)]  # fmt: skip
    try:
        for cost, now, allowed, wait in steps:
            out = await store.evaluate("a", "ip", cost, now, RiskInput(), _matched("t:h"))
            (v,) = out.cohorts
            assert (v.allowed, v.retry_after) == (allowed, pytest.approx(wait)), (cost, now)
        assert await store.campaign_bucket("t:h", t + 90_000) == pytest.approx(0.0)
    finally:
        await store.close()


async def test_campaign_throttle_and_allowlists_through_the_middleware(clock) -> None:
    """Young accounts sending one harvest-shaped template: their records flag it once
    three are seen (the plane drained after each request, as a deployment's refresh would
    within a second), every later request of it carries the verdict, and its shared
    bucket runs dry for all of them; with its cohorts allowlisted nothing is flagged."""
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
            drive_intel=True,
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
            await mw.intel.drain(clock())
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
    """Cohort states, campaign buckets, settlement, admin and allowance keys each hash
    to one slot. (The
    evaluate call also touches the client IP's key on a single Redis; on Cluster the store
    splits it: tests/test_cluster.py records every call a cluster receives.)"""
    store = RedisStore(limits_from(Settings()), await redis_client(), prefix="aecoh")
    for key in ("t:abc", "l:b0:f1b", "n:10.0.0.0/24", "c:0123456789abcdef"):
        slots = {key_slot(k.encode()) for k in store.cohort_keys(key, 20_000)}
        assert len(slots) == 1, key
        assert store.bucket_key(key).count("{") == 1  # a hash tag of its own
    account = store.account_key("0" * 32)
    assert key_slot(account.encode()) == key_slot(f"{account}:pass".encode())
    await store.close()


async def test_one_call_per_slot_gives_the_same_answers(clock) -> None:
    """Cluster layout (a call per slot) and single-Redis layout (combined.lua through
    redis-py: account and campaign buckets in one script) agree on the whole outcome, refusals by
    the IP window (shared by all thirty accounts) included."""
    cm = CohortModel(bucket_capacity=100.0, bucket_refill=1.0)
    together = RedisStore(test_limits(), await redis_client(), prefix="aeone", cohort_model=cm)
    apart = RedisStore(
        test_limits(), await redis_client(), prefix="aetwo", cohort_model=cm, per_slot_calls=True
    )
    assert together.fast is None and not together.per_slot_calls
    refused = 0
    for n in range(30):
        cohort = _matched("t:x", "l:b0:abc", "n:10.0.0.0/24", score=0.5 + n % 2)
        signal = RiskInput(traits=HARVEST, acute=1.0 if n % 3 else 0.0, skeleton="tmpl")
        a = await together.evaluate(f"a{n % 7}", "ip", 5, clock(), signal, cohort)
        b = await apart.evaluate(f"a{n % 7}", "ip", 5, clock(), signal, cohort)
        assert a.cohorts == b.cohorts and len(a.cohorts) == 3
        assert (a.allowed, a.denied_by, a.assessment) == (b.allowed, b.denied_by, b.assessment)
        assert a.tokens == pytest.approx(b.tokens) and a.retry_after == pytest.approx(b.retry_after)
        refused += not a.allowed
    assert refused > 0  # the IP window (8 a minute) refused some
    assert not a.cohorts[0].allowed  # and the campaigns' buckets (100 tokens) ran dry
    await together.close()
    await apart.close()


async def test_paraphrased_wrappers_meet_in_one_band_cohort(clock) -> None:
    """Forty young accounts, each rewording the wrapper its own way (one or two edits) and
    sending its own task from its own subnet: the exact-template cohorts split them, an LSH
    band cohort holds most of them, the analyser flags it, and a newcomer whose wording
    matches nobody's skeleton looks the campaign up on its first request."""
    intel = MemoryIntel(CohortModel(min_young=10), clock=clock)
    rng = random.Random(4)

    def keys_of(n: int) -> tuple[str, tuple[str, ...]]:
        head, tail = paraphrased_wrapper(rng, WRAPPER_HEAD, WRAPPER_TAIL, EDITS)
        fp = template_fingerprint(head + CODING_TASKS[n % len(CODING_TASKS)] + tail)
        return fp.skeleton, cohort_keys(fp.skeleton, fp.bands, f"10.{n}.7.9", "")

    skeletons = set()
    for n in range(40):
        skeleton, keys = keys_of(n)
        skeletons.add(skeleton)
        intel.emit(Record(clock(), f"para{n}", keys, True, HARVEST, 1.0))
    assert len(skeletons) >= 10  # the rewordings really split the exact template
    await intel.drain(clock())
    _, keys = keys_of(99)
    found = intel.cache.lookup(keys, clock())
    assert found and all(v.key.startswith("l:") for v in found)  # not the exact template
    assert max(v.accounts for v in found) >= 20
    views = tuple(v.view() for v in found)
    best, score = strongest(views, HARVEST)
    assert best is not None and best.key.startswith("l:") and score > 0


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
        ("min_young", 0, "min_young must be a finite number >= 1 and <= 1e+06 (a campaign "
         "needs a young account), got 0"),
        ("full_young", 0, "full_young must be a finite number >= 1 and <= 1e+06 (a divisor), "
         "got 0"),
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
        ("part_min_young", 0, "part_min_young must be a finite number >= 1 and <= 1e+06 (a "
         "link needs a young account), got 0"),
        ("part_min_young", 1_000_001, "part_min_young must be a finite number >= 1 and <= "
         "1e+06 (a link needs a young account), got 1000001"),
        ("part_full_young", 0, "part_full_young must be a finite number >= 1 and <= 1e+06 (a "
         "divisor), got 0"),
        ("part_full_young", 1_000_001, "part_full_young must be a finite number >= 1 and <= "
         "1e+06 (a divisor), got 1000001"),
        ("part_min_harvest", -0.5, "part_min_harvest must be a finite number >= 0 and <= 1 "
         "(harvest is a share), got -0.5"),
        ("part_min_harvest", 1.5, "part_min_harvest must be a finite number >= 0 and <= 1 "
         "(harvest is a share), got 1.5"),
        ("half_life", 0.0, "half_life must be a finite number > 0 (a divisor or a size), "
         "got 0.0"),
        ("bucket_capacity", 0.0, "bucket_capacity must be a finite number > 0 (a divisor or "
         "a size), got 0.0"),
        ("part_marker_ttl", 1_800, "part_marker_ttl must be 0 (no admission) or a whole "
         "number of seconds from 3600 to ttl (259200), got 1800"),
        ("part_marker_ttl", 259_201, "part_marker_ttl must be 0 (no admission) or a whole "
         "number of seconds from 3600 to ttl (259200), got 259201"),
        ("part_marker_ttl", 3_600.5, "part_marker_ttl must be 0 (no admission) or a whole "
         "number of seconds from 3600 to ttl (259200), got 3600.5"),
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
    parts = CohortModel(part_min_young=1, part_full_young=1_000_000, part_min_harvest=1.0)
    assert (parts.part_min_young, parts.part_full_young, parts.part_min_harvest) == (1, 1e6, 1.0)
    assert CohortModel(part_min_harvest=0.0, part_min_young=1_000_000).part_min_harvest == 0.0
    for ttl in (0, 3_600, 259_200, 3_600.0):  # off, the shortest, the state's own ttl
        marker_ttl = CohortModel(part_marker_ttl=ttl).part_marker_ttl
        assert marker_ttl == ttl and isinstance(marker_ttl, int)
    slowest = CohortModel(bucket_capacity=400 * 86_400.0, bucket_refill=1.0)  # 400 days
    assert slowest.bucket_capacity / slowest.bucket_refill == 400 * 86_400


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


def test_a_wrapper_part_is_judged_by_the_parts_harvest_threshold() -> None:
    """Harvest 0.5 is under min_harvest 0.65 but over part_min_harvest 0.3: a template
    cohort of one young account is no campaign, a part cohort is a link of 2.0 x 1 x 1 x
    0.5 = 1.0 (min_young and part_min_young 1, full at 1)."""
    m = CohortModel(min_young=1, full_young=1, part_min_young=1, part_full_young=1,
                    min_harvest=0.65, part_min_harvest=0.3, weight=2.0)  # fmt: skip
    assert campaign_score(1, 1, 0.5, m, "t:x") == 0.0
    assert campaign_score(1, 1, 0.5, m, "p:x") == 1.0


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


def test_charge_shared_takes_refills_and_refuses_on_hand_worked_numbers() -> None:
    """A shared bucket of 100 tokens refilling 2 a second. t=1000: 30 from a full bucket,
    70 left. t=1005: +10 is 80, exactly the 80 asked: allowed, 0 left. t=1010: +10 is 10,
    50 asked: refused, 40 short at 2/s is 20 s, and the 10 stay. Same instant, 10 asked:
    allowed, 0 left (no time passed, nothing refilled). A clock that steps back (t=1000)
    refills nothing: 1 asked of 0 is refused, 0.5 s. Much later, 500 asked is capped at
    the 100 a full bucket holds: allowed, empty."""
    m = CohortModel(bucket_capacity=100.0, bucket_refill=2.0)
    state = CohortState()
    steps = [
        (30.0, 1000.0, (True, 0.0), 70.0),
        (80.0, 1005.0, (True, 0.0), 0.0),
        (50.0, 1010.0, (False, 20.0), 10.0),
        (10.0, 1010.0, (True, 0.0), 0.0),
        (1.0, 1000.0, (False, 0.5), 0.0),
        (500.0, 2000.0, (True, 0.0), 0.0),
    ]
    for cost, now, answer, left in steps:
        assert charge_shared(state, cost, now, m) == answer, (cost, now)
        assert (state.tokens, state.tokens_ts) == (left, now), (cost, now)


def test_update_cohort_charges_only_a_flagged_cohort() -> None:
    """weight 0.5, one young account makes a campaign (min_young = full_young = 1) and a
    request with every trait has harvest 1: score 0.5 x 1 x 1 x 1 = 0.5. Its bucket of 10
    (1 a second): 6 allowed, then 6 more at the same instant refused, 2 s short. A cohort
    of an old account (score 0) is never charged: allowed, no wait, its bucket untouched,
    whatever it asks."""
    m = CohortModel(min_young=1, full_young=1, weight=0.5, bucket_capacity=10.0,
                    bucket_refill=1.0)  # fmt: skip
    every = ELICIT | FOCUS | SINGLE | EXTRACT
    state = CohortState()
    now = 20_000 * 86_400.0
    first = update_cohort(state, "t:flagged", "a", True, every, 6.0, now, m)
    assert first == CohortView("t:flagged", 0.5, 1, 1, 1.0, True, 0.0)
    second = update_cohort(state, "t:flagged", "a", True, every, 6.0, now, m)
    assert second == CohortView("t:flagged", 0.5, 1, 1, 1.0, False, 2.0)
    # a wrapper part's cohort is judged by the parts' thresholds: one young account is a
    # link at part_min_young = part_full_young = 1, though min_young is 20
    pm = CohortModel(min_young=20, part_min_young=1, part_full_young=1, weight=0.5)
    part = update_cohort(CohortState(), "p:sentence", "a", True, every, 1.0, now, pm)
    assert (part.score, part.accounts, part.young) == (0.5, 1, 1)
    quiet = CohortState()
    for cost in (6.0, 600.0):
        v = update_cohort(quiet, "t:quiet", "b", False, every, cost, now, m)
        assert v == CohortView("t:quiet", 0.0, 1, 0, 1.0, True, 0.0)
    assert (quiet.tokens, quiet.tokens_ts) == (None, None)


def _v(key: str, score: float) -> CohortView:
    return CohortView(key, score, 40, 30, 0.9)


ALL_TRAITS = ELICIT | FOCUS | SINGLE | EXTRACT  # a request's harvest 1: kinds weigh in full


def test_strongest_link_adds_the_three_strongest_parts_and_names_the_strongest() -> None:
    """Member scores (kind weights t 1.0, l 0.8, n 0.5, c 0.15, p 0.7; harvest 1): parts
    a 0.7, b 1.4, c 0.35, e 1.4 (tied with b, listed later), d 0.07. The three strongest
    add up, 1.4 + 1.4 + 0.7 = 3.5, above the best single 1.4: the link is the parts',
    named by the first of the strongest (b). Two parts: 0.7 + 1.4 = 2.1."""
    a, b, c, e, d = _v("p:a", 1.0), _v("p:b", 2.0), _v("p:c", 0.5), _v("p:e", 2.0), _v("p:d", 0.1)
    named, score, by_parts = strongest_link((a, b, c, e, d), ALL_TRAITS)
    assert (named, by_parts) == (b, True)
    assert score == pytest.approx(3.5)
    named, score, by_parts = strongest_link((a, b), ALL_TRAITS)
    assert (named, by_parts) == (b, True)
    assert score == pytest.approx(2.1)


def test_strongest_link_names_the_strongest_flagged_wrapper_when_parts_link() -> None:
    """Member scores: n:x 0.5, t:w1 0.5, l:w2 0.8, t:w3 0.8 (tied, later), c:y 0.3,
    parts a and b 1.4 each. The parts link, 2.8 above the best single 1.4, and the
    campaign named is the strongest template or band cohort (l:w2, the first of the two
    at 0.8), not the subnet, the SDK or a part. A template at score 0 is not a flagged
    wrapper: parts alone then name it (p:b, 0.7 + 1.4 = 2.1)."""
    w2 = _v("l:w2", 1.0)
    views = (_v("n:x", 1.0), _v("t:w1", 0.5), w2, _v("t:w3", 0.8), _v("c:y", 2.0),
             _v("p:a", 2.0), _v("p:b", 2.0))  # fmt: skip
    named, score, by_parts = strongest_link(views, ALL_TRAITS)
    assert (named, by_parts) == (w2, True)
    assert score == pytest.approx(2.8)
    b = _v("p:b", 2.0)
    named, score, by_parts = strongest_link((_v("t:quiet", 0.0), _v("p:a", 1.0), b), ALL_TRAITS)
    assert (named, by_parts) == (b, True)
    assert score == pytest.approx(2.1)


def test_parts_that_add_nothing_leave_the_strongest_single_cohort() -> None:
    """Parts a 0.7 and z 0 (unflagged) add up to 0.7, no more than the best single (a
    itself): no link of several parts, so the template t:w (0.5) does not name it; the
    answer is a's own. Without traits a subnet cohort weighs nothing (harvest 0)."""
    a = _v("p:a", 1.0)
    named, score, by_parts = strongest_link((_v("t:w", 0.5), a, _v("p:z", 0.0)), ALL_TRAITS)
    assert (named, by_parts) == (a, True)
    assert score == pytest.approx(0.7)
    net = _v("n:x", 1.0)
    assert strongest_link((net,)) == (net, 0.0, False)


def test_a_marker_rolls_its_days_as_a_full_state_would() -> None:
    """A marker of one account, young on day D with one request of every trait. A
    request on D+1 (not young now): yesterday is D, so the account was seen then and young
    then: one young account. Two days later (D+3, not young): D+2 is yesterday and the
    account was not seen on it: no young account. Harvest stays 1 (every request had
    every trait); min_young = full_young = 1, weight 0.5: score 0.5, then 0."""
    from antiextract.model.cohorts import PartMarker, fold_marker

    m = CohortModel(min_young=1, full_young=1, weight=0.5)
    day = 20_000
    marker = PartMarker(h=7, day=day, young_cur=True, requests=1.0, elicit=1.0, focus=1.0,
                        single=1.0, extract=1.0, ts=day * 86_400.0 + 60)  # fmt: skip
    next_day = (day + 1) * 86_400.0 + 10
    assert fold_marker(marker, False, ALL_TRAITS, next_day, m) == pytest.approx((1, 1, 1.0, 0.5))
    assert (marker.day, marker.prev, marker.young_prev, marker.young_cur) == (
        day + 1, True, True, False)  # fmt: skip
    later = (day + 3) * 86_400.0 + 10
    assert fold_marker(marker, False, ALL_TRAITS, later, m) == pytest.approx((1, 0, 1.0, 0.0))
    assert (marker.day, marker.prev, marker.young_prev, marker.young_cur) == (
        day + 3, False, False, False)  # fmt: skip
    # a marker of a wrapper part's cohort is judged by the parts' thresholds: one young
    # account is a link at part_min_young = part_full_young = 1, though min_young is 20
    pm = CohortModel(min_young=20, part_min_young=1, part_full_young=1, weight=0.5)
    part = PartMarker(h=7, day=day, ts=day * 86_400.0)
    assert fold_marker(part, True, ALL_TRAITS, day * 86_400.0 + 60, pm, "p:x") == (1, 1, 1.0, 0.5)
    # young on D, back on D+2 (not young): D+1 is yesterday, unseen, so young on D does
    # not count: no young account
    gap = PartMarker(h=7, day=day, young_cur=True, requests=1.0, elicit=1.0, focus=1.0,
                     single=1.0, extract=1.0, ts=day * 86_400.0 + 60)  # fmt: skip
    after_gap = (day + 2) * 86_400.0 + 10
    assert fold_marker(gap, False, ALL_TRAITS, after_gap, m) == pytest.approx((1, 0, 1.0, 0.0))
    assert (gap.prev, gap.young_prev, gap.young_cur) == (False, False, False)


@pytest.mark.parametrize(
    ("prev", "young_cur", "young_prev"),
    [(False, False, False), (True, False, False), (True, True, True), (False, True, False)],
)
def test_a_promoted_marker_holds_its_account_in_the_sketches_of_its_days(
    prev: bool, young_cur: bool, young_prev: bool
) -> None:
    """Admission (wrapper parts): the state a marker is promoted to holds its one account
    in today's sketch, in yesterday's when it was seen then, and in the young sketches of
    the days it was young; nothing else (a stray member would count a second account)."""
    from antiextract.model.cohorts import PartMarker, promote

    h = 0x1234_5678_9ABC_DEF0
    m = PartMarker(h=h, day=20_000, prev=prev, young_cur=young_cur, young_prev=young_prev,
                   requests=1.5, elicit=1.0, focus=0.5, ts=20_000 * 86_400.0 + 60)  # fmt: skip
    state = promote(m)
    assert set(state.accounts_cur.values) == {h}
    assert set(state.accounts_prev.values) == ({h} if prev else set())
    assert set(state.young_cur.values) == ({h} if young_cur else set())
    assert set(state.young_prev.values) == ({h} if young_prev else set())
    assert state.accounts_n == 1 and state.young_n == (1 if young_cur or young_prev else 0)
    assert (state.day, state.requests, state.elicit, state.focus) == (20_000, 1.5, 1.0, 0.5)
    assert state.seen == state.ts == 20_000 * 86_400.0 + 60
