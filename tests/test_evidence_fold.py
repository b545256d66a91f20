"""Per-account evidence in the intelligence plane (intel/evidence_fold.py, evidence.lua):
the memory analyser and the Redis analyser publish the same account verdicts on drawn
records, the cache answers per account, and every key is hash-tagged and expires."""

from __future__ import annotations

import asyncio
import math
import random
import struct

import pytest

from antiextract.intel.evidence_fold import (
    AccountBook,
    AccountTable,
    AccountVerdict,
    RedisEvidence,
    net_hash,
    state_key,
)
from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import Record
from antiextract.intel.redis import RedisIntel, verdict_keys
from antiextract.model import evidence as ev
from antiextract.model.cohorts import CohortModel
from antiextract.model.evidence import EvidenceModel
from antiextract.model.risk import DAY, ELICIT, EXTRACT, FOCUS, SINGLE
from antiextract.store.redis import RedisStore

from .conftest import redis_client, test_limits

T0 = 1_798_761_600.0  # a UTC midnight
HARVEST = ELICIT | FOCUS | SINGLE
COHORTS = CohortModel(min_young=5, full_young=10)
MODELS = [
    EvidenceModel(),
    EvidenceModel(networks=2, half_life=DAY, offset=1.0, cap_pos=1.5, cap_neg=0.5, floor=1.0),
    EvidenceModel(harvest=2.0, churn=3.0, churn_not=-1.0, offset=0.0, alpha=0.1, ttl=86_400),
    EvidenceModel(reason=1.7, reason_not=-0.6, reason_cap_pos=1.2, reason_cap_neg=0.9, offset=0.5),
]


def traffic(seed: int, days: float = 5.0, n: int = 900) -> list[Record]:
    """Harvesters on rotating subnets, a few requests a day, single-turn or in a (made-up)
    conversation; honest users on one or two subnets, mixed traits; some records with no
    subnet at all."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = T0 + rng.uniform(-0.5, days) * DAY
        if rng.random() < 0.4:
            i = rng.randrange(25)
            shape = rng.random()  # single-turn harvest, the same in a conversation, cover
            traits = (HARVEST if shape < 0.6 else ELICIT | FOCUS if shape < 0.85 else FOCUS) | (
                EXTRACT if rng.random() < 0.3 else 0
            )
            net = f"n:10.{rng.randrange(40)}.{i}.0/24"
            account = f"harvest-{i}"
        else:
            i = rng.randrange(60)
            traits = sum(b for b in (ELICIT, FOCUS, SINGLE, EXTRACT) if rng.random() < 0.4)
            net = f"n:192.168.{i % 7 + rng.randrange(2)}.0/24"
            account = f"user-{i}"
        cohorts = ("t:x", net, "c:sdk") if rng.random() < 0.9 else ("t:x",)
        out.append(Record(t, account, cohorts, True, traits, 1.0))
    out.sort(key=lambda r: r.t)
    return out


def same_accounts(a: tuple[AccountVerdict, ...], b: tuple[AccountVerdict, ...]) -> None:
    x, y = sorted(a, key=lambda v: v.account), sorted(b, key=lambda v: v.account)
    assert [v.account for v in x] == [v.account for v in y]
    for u, v in zip(x, y, strict=True):
        assert u.t == v.t, (u, v)
        assert u.totals == pytest.approx(v.totals, abs=1e-9), (u, v)
        assert u.expires == pytest.approx(v.expires, abs=1e-6), (u, v)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("model", range(len(MODELS)))
def test_the_redis_analyser_folds_evidence_as_the_memory_one(seed: int, model: int) -> None:
    m = MODELS[model]

    async def run() -> None:
        records = traffic(seed)
        rng = random.Random(seed)
        memory = MemoryIntel(COHORTS, evidence_model=m)
        store = RedisStore(test_limits(), await redis_client(), prefix="aeev", cohort_model=COHORTS)
        redis = RedisIntel(store, claim_idle=0.0, evidence_model=m)
        seen = 0
        try:
            for r in records:
                memory.emit(r)
                redis.emit(r)
                if rng.random() < 0.03:
                    await memory.drain(r.t)
                    await redis.drain(r.t)
                    same_accounts(memory.cache.accounts(), redis.cache.accounts())
                    seen = max(seen, len(memory.cache.accounts()))
            await memory.drain(records[-1].t)
            await redis.drain(records[-1].t)
            same_accounts(memory.cache.accounts(), redis.cache.accounts())
            assert seen > 0, "no account verdict: the comparison was empty"
        finally:
            await redis.stop()
            await store.close()

    asyncio.run(run())


def test_the_memory_analyser_is_the_pure_model() -> None:
    """AccountTable folds a record as model.evidence does, account by account."""
    m = MODELS[1]
    records = traffic(7, n=400)
    table, book = AccountTable(m), AccountBook(m)
    table.analyze(records, book)
    pure: dict[str, ev.Evidence] = {}
    for r in records:
        e = pure.setdefault(r.account, ev.Evidence())
        ev.observe(e, r.t, ev.kinds_shown(r.traits, net_hash(r.cohorts), e, m), m)
    for account, e in pure.items():
        assert table.states[account].totals == pytest.approx(e.totals, abs=1e-12)
    writes, _ = book.changes(records[-1].t)
    assert {v.account for v in writes} == {
        a for a, e in pure.items() if sum(e.totals) > m.offset
        and ev.relevant_until(sum(e.totals), e.t, m) > records[-1].t
    }  # fmt: skip


def test_an_account_verdict_is_read_per_account_and_expires_when_its_score_fades() -> None:
    m = EvidenceModel(half_life=DAY, offset=1.0)
    intel = MemoryIntel(COHORTS, evidence_model=m)
    for day in range(3):  # harvest-shaped, one request a day: 2, then 3, then 3.5
        intel.emit(Record(T0 + day * DAY, "acct", ("n:10.0.0.0/24",), True, HARVEST, 1.0))
    intel.analyze(T0 + 2 * DAY)
    v = intel.cache.account("acct", T0 + 2 * DAY)
    assert v is not None and v.reasons() == ("evidence:harvest",)
    # harvest: 2 -> 1 + 2 = 3 -> 1.5 + 2 = 3.5; extract not shown: -0.15 a day, decayed
    # alike: -0.15 -> -0.225 -> -0.2625; churn: one subnet, -0.36 on days 2 and 3
    assert v.totals == pytest.approx((3.5, -0.2625, -0.54, 0.0))  # reason: single-turn
    assert v.evidence(T0 + 3 * DAY, m) == pytest.approx((3.5 - 0.2625 - 0.54) / 2)
    # 2.6975 decays to offset 1 after log2(2.6975) = 1.43 days
    assert v.expires == pytest.approx(T0 + 2 * DAY + DAY * 1.43162, abs=60)
    assert intel.cache.account("acct", v.expires + 1) is None
    assert intel.cache.account("other", T0) is None


async def test_redis_keys_are_hash_tagged_expire_and_a_second_replica_reads_them() -> None:
    m = EvidenceModel(offset=1.0)
    store = RedisStore(test_limits(), await redis_client(), prefix="aeev2", cohort_model=COHORTS)
    other = RedisStore(test_limits(), await redis_client(), prefix="aeev2", cohort_model=COHORTS)
    analyser = RedisIntel(store, evidence_model=m)
    replica = RedisIntel(other, analyze=False, evidence_model=m)
    try:
        for day in range(2):
            for net in range(3):
                r = Record(T0 + day * DAY + net, "acct", (f"n:10.{net}.0.0/24",), True, HARVEST, 1)
                analyser.emit(r)
        await analyser.drain(T0 + DAY + 10)
        key = state_key("aeev2", "acct")
        assert key == "aeev2:{ie:acct}"
        assert 0 < await store.client.ttl(key) <= m.ttl
        hash_key = verdict_keys("aeev2")[0]
        assert await store.client.hget(hash_key, "a:acct") is not None
        assert await store.client.ttl(hash_key) >= m.ttl
        await replica.refresh(T0 + DAY + 20)
        v = replica.cache.account("acct", T0 + DAY + 20)
        assert v is not None
        assert v.reasons() == ("evidence:harvest", "evidence:churn")
        d = 0.5 ** (1 / 7)  # one day of a 7-day half-life
        # harvest: 2 a day (capped). extract not shown, three requests a day: -0.45 a day.
        # churn: day 1, subnet 0 first (unseen), 1 new: +1.78, 2 new: +0 (the day's cap);
        # day 2, all three seen: -0.36 x 3 capped at -1.0
        assert v.totals == pytest.approx(
            (2 * d + 2, -0.45 * d - 0.45, 1.78 * d - 1.0, 0.0), abs=1e-4
        )  # reason: single-turn requests, unseen
        # junk in the hash is not trusted
        await store.client.hset(hash_key, "a:junk", b"[1, 2]")
        await store.client.incr(verdict_keys("aeev2")[1])
        await replica.refresh(T0 + DAY + 30)
        assert replica.cache.account("junk", T0 + DAY + 30) is None
        assert replica.cache.account("acct", T0 + DAY + 30) is not None
    finally:
        await analyser.stop()
        await replica.stop()
        await store.close()
        await other.close()


async def test_account_evidence_on_a_cluster_is_the_memory_analysers() -> None:
    """Each account's state is one key in its own slot: on a Cluster the Redis analyser
    folds and publishes as the memory one does."""
    from .redis_proc import redis_cluster

    m = MODELS[1]
    with redis_cluster() as cluster:
        cluster.flush()
        store = RedisStore.from_url(cluster.url, test_limits(), timeout=2.0, cohort_model=COHORTS)
        records = traffic(5, n=500)
        memory = MemoryIntel(COHORTS, evidence_model=m)
        intel = RedisIntel(store, claim_idle=0.0, evidence_model=m)
        try:
            for i, r in enumerate(records):
                memory.emit(r)
                intel.emit(r)
                if i % 100 == 99:
                    await memory.drain(r.t)
                    await intel.drain(r.t)
                    same_accounts(memory.cache.accounts(), intel.cache.accounts())
            assert memory.cache.accounts(), "no account verdict: the comparison was empty"
        finally:
            await intel.stop()
            await store.close()


def test_a_verdict_published_before_the_reason_kind_is_read_with_reason_zero() -> None:
    """An analyser of the three-kind version publishes [harvest, extract, churn, t,
    expires]: a replica of this version reads it with reason 0 (a rolling upgrade keeps the
    evidence already published); shorter or longer lists are not verdicts."""
    old = AccountVerdict.decode("acct", b"[3.0, -0.5, 1.5, 100.0, 200.0]")
    assert old.totals == (3.0, -0.5, 1.5, 0.0) and (old.t, old.expires) == (100.0, 200.0)
    assert old.reasons() == ("evidence:harvest", "evidence:churn")
    new = AccountVerdict("acct", (0.0, 0.0, -1.0, 4.0), 100.0, 200.0)
    assert AccountVerdict.decode("acct", new.encode()) == new
    for junk in (b"[1.0, 2.0, 3.0, 4.0]", b"[1, 2, 3, 4, 5, 6, 7, 8]"):
        with pytest.raises(ValueError):
            AccountVerdict.decode("acct", junk)


async def test_a_version_1_state_of_the_three_kind_analyser_is_upgraded_not_forgotten() -> None:
    """A rolling upgrade: the three-kind analyser left an account's state (version 1:
    t, day, three totals, the day's three positive and three negative counters, the
    subnets). This version folds the next records onto it as the pure model does from the
    same state with reason at 0, instead of starting the account's evidence again."""
    m = EvidenceModel()
    t_old = T0 + 2 * DAY + 3_600.0
    old = ev.Evidence(
        t=t_old, day=int(t_old // DAY), totals=[4.5, -0.3, 1.2, 0.0],
        pos=[2.0, 0.0, 1.78, 0.0], neg=[0.0, -0.3, 0.0, 0.0],
        nets=[net_hash(("n:10.1.0.0/24",)), net_hash(("n:10.2.0.0/24",))],
    )  # fmt: skip
    v1 = [1.0, old.t, float(old.day), *old.totals[:3], *old.pos[:3], *old.neg[:3]]
    v1 += [float(len(old.nets)), *map(float, old.nets), *[0.0] * (m.networks - len(old.nets))]
    store = RedisStore(test_limits(), await redis_client(), prefix="aeev1", cohort_model=COHORTS)
    analyser = RedisIntel(store, claim_idle=0.0, evidence_model=m)
    try:
        key = state_key("aeev1", "acct")
        await store.client.set(key, struct.pack(f"<{len(v1)}d", *v1))
        records = [  # later that day a new subnet, then the next day a known one
            Record(t_old + 600.0, "acct", ("n:10.3.0.0/24",), True, HARVEST, 1.0),
            Record(t_old + DAY, "acct", ("n:10.1.0.0/24",), True, ELICIT | FOCUS, 1.0),
        ]
        for r in records:
            analyser.emit(r)
        await analyser.drain(records[-1].t)
        want = old
        for r in records:
            ev.observe(want, r.t, ev.kinds_shown(r.traits, net_hash(r.cohorts), want, m), m)
        got = analyser.cache.account("acct", records[-1].t)
        assert got is not None
        assert got.totals == pytest.approx(tuple(want.totals), abs=1e-9)
        assert got.totals[0] > 4.0  # the harvest evidence banked before the upgrade is kept
    finally:
        await analyser.stop()
        await store.close()


@pytest.mark.parametrize("first", [0.0, 0.25])
def test_records_from_the_epoch_and_out_of_order_fold_alike_on_both_analysers(
    first: float,
) -> None:
    """Times the drawn traffic never meets: a first record at the epoch itself (or a
    quarter second after), the next half a second later (a decay over less than a second),
    then one older than the last (it decays nothing), one on the next day (a new day's
    counters), then two days on; and accounts whose only earlier record was at the epoch,
    idle just past the state's ttl (forgotten: no churn, no totals) or exactly ttl (kept).
    The Redis analyser publishes what the memory one does, to 1e-9 (a half-life of a day
    makes half a second's decay ~4e-6 of the totals, so a skipped or a one-second decay
    shows)."""
    m = EvidenceModel(half_life=DAY, offset=0.0)

    async def run() -> None:
        memory = MemoryIntel(COHORTS, evidence_model=m)
        store = RedisStore(
            test_limits(), await redis_client(), prefix="aeev0", cohort_model=COHORTS
        )
        redis = RedisIntel(store, claim_idle=0.0, evidence_model=m)
        batches = [
            [(first, HARVEST | EXTRACT, "n:10.0.0.0/24"), (first + 0.5, HARVEST, "n:10.1.0.0/24")],
            [(first + 0.25, FOCUS, "n:10.0.0.0/24")],
            [(first + DAY + 10, HARVEST, "n:10.1.0.0/24")],
            [(first + 2 * DAY, HARVEST, "n:10.2.0.0/24")],
            # a second account idle just past ttl after its first record at the epoch (it
            # is forgotten), a third idle exactly ttl (it is not)
            [(first, HARVEST, "n:10.3.0.0/24", "idle"), (first, HARVEST, "n:10.3.0.0/24", "edge")],
            [(first + m.ttl + 5.0, FOCUS | SINGLE, "n:10.4.0.0/24", "idle")],
            [(first + m.ttl, HARVEST, "n:10.4.0.0/24", "edge")],
        ]
        try:
            for batch in batches:
                for t, traits, net, *who in batch:
                    r = Record(t, who[0] if who else "acct", ("t:x", net), True, traits, 1.0)
                    memory.emit(r)
                    redis.emit(r)
                now = max(row[0] for row in batch)
                await memory.drain(now)
                await redis.drain(now)
                assert memory.cache.accounts(), "no verdict to compare"
                same_accounts(memory.cache.accounts(), redis.cache.accounts())
        finally:
            await redis.stop()
            await store.close()

    asyncio.run(run())


async def test_a_subnet_whose_hash_is_zero_is_a_subnet() -> None:
    """evidence.lua is told 'no subnet' by -1: a subnet hashing to 0 (one in 2^32, so
    written here directly into the script's arguments) is remembered like any other, as
    the pure model remembers it, and the next new subnet shows churn."""
    m = EvidenceModel()
    store = RedisStore(test_limits(), await redis_client(), prefix="aeevz", cohort_model=COHORTS)
    try:
        args = [repr(T0), HARVEST, 0, repr(T0 + 60.0), HARVEST, 7]
        fold = RedisEvidence(store, m)._fold
        packed = await fold(keys=[state_key("aeevz", "acct")], args=args)
        _, *totals = struct.unpack(f"<{1 + len(ev.KINDS)}d", packed)
        want = ev.Evidence()
        for t, net in ((T0, 0), (T0 + 60.0, 7)):
            ev.observe(want, t, ev.kinds_shown(HARVEST, net, want, m), m)
        assert want.totals[2] == pytest.approx(m.churn)  # the second subnet was new
        assert totals == pytest.approx(want.totals, abs=1e-9)
    finally:
        await store.close()


@pytest.mark.parametrize(
    "junk",
    [
        "v2 count 1e8", "v2 count -1", "v2 count 2.5", "v1 count 1e12", "v1 version 5",
        "t NaN", "t -inf", "t +inf", "total inf",
    ],
)  # fmt: skip
async def test_a_junk_state_starts_fresh_instead_of_looping_or_sticking(junk: str) -> None:
    """A state the script cannot have written (someone with write access to Redis, a bit
    flip): a subnet count past ``networks`` would make the script loop that many times with
    every client of the server waiting; a NaN or infinite time would never decay nor be
    forgotten. The fold reads such a state as none: it publishes what the pure model does
    from scratch, here on records at the epoch, half a second apart and the next day (a
    reset to anything but 'no observation, no day' would show)."""
    m = EvidenceModel(offset=0.0)
    n = 3 + 3 * len(ev.KINDS)  # the header before the subnet count, version 2
    state = [2.0, T0, T0 // DAY, 1.0, 0.5, 0.5, 0.5, *[0.0] * (n - 7), 1.0, 42.0]
    state += [0.0] * (m.networks - 1)
    if junk.startswith("v2 count"):
        state[n] = float(junk.split()[-1])
    elif junk.startswith("t "):
        state[1] = {"NaN": math.nan, "-inf": -math.inf, "+inf": math.inf}[junk.split()[-1]]
    elif junk == "total inf":
        state[3] = math.inf
    else:  # a version-1 layout (three kinds): a count no analyser wrote, or not version 1
        version, count = (1.0, 1e12) if junk == "v1 count 1e12" else (5.0, 1.0)
        v1 = [version, T0, T0 // DAY, 1.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, count, 42.0]
        state = v1 + [0.0] * (m.networks - 1)
    store = RedisStore(test_limits(), await redis_client(), prefix="aeevj", cohort_model=COHORTS)
    try:
        key = state_key("aeevj", "acct")
        await store.client.set(key, struct.pack(f"<{len(state)}d", *state))
        fold = RedisEvidence(store, m)._fold
        args = ["0.0", HARVEST, 7, "0.5", HARVEST, 8, repr(DAY + 1.0), HARVEST, 9]
        packed = await fold(keys=[key], args=args)
        _, *totals = struct.unpack(f"<{1 + len(ev.KINDS)}d", packed)
        want = ev.Evidence()
        for t, net in ((0.0, 7), (0.5, 8), (DAY + 1.0, 9)):
            ev.observe(want, t, ev.kinds_shown(HARVEST, net, want, m), m)
        assert totals == pytest.approx(want.totals, abs=1e-9)
    finally:
        await store.close()


@pytest.mark.parametrize("count", [0, 2])
async def test_a_version_1_state_with_no_or_every_subnet_is_upgraded(count: int) -> None:
    """The upgrade's bounds: a version-1 state with no subnet remembered, or with as many
    as ``networks``, is a sound state and keeps its totals."""
    m = EvidenceModel(networks=2, offset=0.0)
    nets = [11.0, 12.0][:count]
    v1 = [1.0, T0, T0 // DAY, 3.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, float(count)]
    v1 += nets + [0.0] * (2 - count)
    store = RedisStore(test_limits(), await redis_client(), prefix="aeevu", cohort_model=COHORTS)
    try:
        key = state_key("aeevu", "acct")
        await store.client.set(key, struct.pack(f"<{len(v1)}d", *v1))
        packed = await RedisEvidence(store, m)._fold(keys=[key], args=[repr(T0 + 60), HARVEST, 13])
        _, *totals = struct.unpack(f"<{1 + len(ev.KINDS)}d", packed)
        want = ev.Evidence(t=T0, day=int(T0 // DAY), totals=[3.0, 0.5, 1.0, 0.0],
                           nets=[int(x) for x in nets])  # fmt: skip
        ev.observe(want, T0 + 60, ev.kinds_shown(HARVEST, 13, want, m), m)
        assert totals == pytest.approx(want.totals, abs=1e-9)
        assert totals[0] > 3.0  # the harvest evidence before the upgrade is kept
    finally:
        await store.close()
