"""Redis Cluster and Redis Sentinel, on real private processes (tests/redis_proc.py).

The shared store suite (every test of test_store.py that takes ``make_store``) runs once
more against a three-master cluster; random traffic gives the same answers on memory, a
single Redis and the cluster; every script call the store makes stays in one hash slot;
the middleware runs through a Sentinel URI; a lost master or node is a StoreError.
"""

from __future__ import annotations

import asyncio
import inspect
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio.cluster as redis_cluster_module
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.crc import key_slot

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.model.bucket import TOKENS, WindowLimit
from antiextract.model.campaigns import CampaignCharge
from antiextract.model.cohorts import CohortView
from antiextract.model.risk import ELICIT, FOCUS, SINGLE, RiskInput
from antiextract.store import MemoryStore, StoreError, create_store
from antiextract.store.redis import RedisStore

from . import drawn
from . import test_store as _suite
from .asgi import Exchange, chat_body, http_scope
from .conftest import REDIS_URL, SimClock, redis_client, test_limits
from .redis_proc import (
    RedisClusterProcesses,
    RedisSentinelProcesses,
    redis_cluster,
    redis_sentinel,
)

HARVEST = ELICIT | FOCUS | SINGLE


@pytest.fixture(scope="session")
def cluster() -> Iterator[RedisClusterProcesses]:
    with redis_cluster() as procs:
        yield procs


@pytest.fixture(scope="module")
def sentinel() -> Iterator[RedisSentinelProcesses]:
    with redis_sentinel() as procs:
        yield procs


def cluster_store(cluster: RedisClusterProcesses, limits=None, **kw: Any) -> RedisStore:
    return RedisStore.from_url(cluster.url, limits or test_limits(), timeout=2.0, **kw)


@pytest.fixture(params=["cluster"])
async def make_store(request: pytest.FixtureRequest, cluster) -> AsyncIterator:
    """test_store.py's factory, on the cluster (overrides conftest's for this module)."""
    cluster.flush()
    made: list[RedisStore] = []

    async def factory(limits=None) -> RedisStore:
        store = cluster_store(cluster, limits, prefix="aetest")
        made.append(store)
        return store

    factory.kind = request.param  # type: ignore[attr-defined]
    yield factory
    for store in made:
        await store.close()


# The shared suite, collected here once more: each of these runs on the cluster.
SHARED = sorted(
    name
    for name, fn in vars(_suite).items()
    if name.startswith("test_") and "make_store" in inspect.signature(fn).parameters
)
globals().update({name: getattr(_suite, name) for name in SHARED})


def test_the_shared_suite_is_collected_here() -> None:
    assert len(SHARED) >= 15
    assert "test_ip_limit_spans_accounts" in SHARED and "test_settle_charges_and_refunds" in SHARED


# --- the IP windows in their own call: the merged answers -------------------------------


@pytest.fixture(params=["redis", "cluster"])
async def redis_kind(request, cluster) -> AsyncIterator:
    """A single Redis (one script call) or the cluster (account and IP apart)."""
    made: list[RedisStore] = []

    async def factory(limits) -> RedisStore:
        if request.param == "redis":
            store = RedisStore(limits, await redis_client(), prefix="aecl")
        else:
            cluster.flush()
            store = cluster_store(cluster, limits, prefix="aecl")
        made.append(store)
        return store

    yield factory
    for store in made:
        await store.close()


async def test_an_ip_refusal_charges_the_account_nothing(redis_kind, clock) -> None:
    limits = test_limits(account=(WindowLimit("account", 5, 60),), ip=(WindowLimit("ip", 2, 60),))
    store = await redis_kind(limits)
    for _ in range(2):
        assert (await store.evaluate("a", "x", 100, clock())).allowed
    out = await store.evaluate("a", "x", 100, clock())
    assert not out.allowed and out.denied_by == "ip-2-per-60s"
    assert out.tokens == pytest.approx(800)  # the level before this request, as on one Redis
    state = await store.account_state("a", clock())
    assert state["tokens"] == pytest.approx(800)
    assert state["windows"]["w60"][1] == 2  # two requests counted, not three
    for n in range(3):  # the account still has three of its five, from other IPs
        assert (await store.evaluate("a", f"y{n}", 100, clock())).allowed
    assert (await store.evaluate("a", "z", 1, clock())).denied_by == "account-5-per-60s"


async def test_an_account_refusal_charges_the_ip_nothing(redis_kind, clock) -> None:
    limits = test_limits(account=(), ip=(WindowLimit("ip", 3, 60),))
    store = await redis_kind(limits)
    await store.evaluate("poor", "x", 1000, clock())
    for _ in range(4):  # an empty bucket and a block: refused on the account's side
        assert (await store.evaluate("poor", "x", 500, clock())).denied_by == TOKENS
    await store.block("blocked", clock() + 60, clock())
    assert (await store.evaluate("blocked", "x", 1, clock())).denied_by == "blocked"
    # the refusals took no IP slot: two more accounts get the IP's remaining two
    assert (await store.evaluate("b", "x", 1, clock())).allowed
    assert (await store.evaluate("c", "x", 1, clock())).allowed
    out = await store.evaluate("d", "x", 1, clock())
    assert out.denied_by == "ip-3-per-60s" and out.retry_after > 0


async def test_the_longer_wait_names_the_refusal(redis_kind, clock) -> None:
    """Bucket and IP both refuse: the longer wait names the refusal (evaluate.lua checks
    the IP windows after the bucket and replaces only on a strictly longer wait)."""
    clock.now = 1_800_000_000.0
    limits = test_limits(refill=2.0, account=(), ip=(WindowLimit("ip", 1, 60),))
    store = await redis_kind(limits)
    assert (await store.evaluate("a", "x", 1000, clock())).allowed
    clock.advance(1)
    out = await store.evaluate("a", "x", 200, clock())  # bucket: 99 s; IP: 59 + 60 s
    assert out.denied_by == "ip-1-per-60s" and out.retry_after == pytest.approx(119)
    out = await store.evaluate("a", "x", 1000, clock())  # bucket: 499 s
    assert out.denied_by == TOKENS and out.retry_after == pytest.approx(499)
    assert (await store.evaluate("b", "y", 1, clock())).allowed


async def test_concurrent_requests_from_one_ip_never_overspend_on_cluster(cluster, clock) -> None:
    cluster.flush()
    limits = test_limits(account=(WindowLimit("account", 3, 60),), ip=(WindowLimit("ip", 10, 60),))
    store = cluster_store(cluster, limits, prefix="aecc")
    try:
        outs = await asyncio.gather(
            *(store.evaluate(f"acct{n % 6}", "shared", 10, clock()) for n in range(60))
        )
        # Never more than the IP's ten; a charge handed back a moment later may have
        # refused one more (the documented cluster difference), so not always ten.
        assert 6 <= sum(o.allowed for o in outs) <= 10
        per_account = [sum(o.allowed for o in outs[n::6]) for n in range(6)]
        assert max(per_account) <= 3
        for n in range(6):  # every account paid exactly for what it was allowed
            state = await store.account_state(f"acct{n}", clock())
            assert state["tokens"] == pytest.approx(1000 - 10 * per_account[n])
            assert state["windows"]["w60"][1] == per_account[n]
    finally:
        await store.close()


# --- one algorithm on all three -----------------------------------------------------------


@hsettings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    phases=drawn.NO_SHRINK,
)
@given(scenario=drawn.scenarios())
def test_drawn_models_and_traffic_give_identical_answers_on_memory_redis_and_cluster(
    cluster, scenario
) -> None:
    """test_store.py's drawn comparison (tests/drawn.py) once more with the cluster:
    refusals of every kind, settlements, blocks and campaigns, step by step alike on
    memory, a single Redis and the cluster (account, IP windows and each campaign's shared
    bucket in their own slots), and every campaign's bucket ends alike on all three."""

    async def run() -> drawn.Coverage:
        m, cm, limits = scenario.model, scenario.cohort_model, scenario.limits
        cluster.flush()
        await (await redis_client()).aclose()  # flushes the test db
        single = RedisStore.from_url(REDIS_URL, limits, prefix="aecmp", model=m, cohort_model=cm)
        assert single.fast is not None and not single.per_slot_calls  # the production path
        apart = cluster_store(cluster, limits, prefix="aecmp", model=m, cohort_model=cm)
        stores = {
            "memory": MemoryStore(limits, model=m, cohort_model=cm),
            "redis": single,
            "cluster": apart,
        }
        try:
            cov = await drawn.compare(scenario, stores)
            return cov  # (compare checked every campaign's bucket alike at the end)
        finally:
            for store in stores.values():
                await store.close()

    drawn.assert_covered(asyncio.run(run()), scenario)


# --- one hash slot per script call --------------------------------------------------------


async def test_every_script_call_touches_one_hash_slot(cluster, clock, monkeypatch) -> None:
    """Every EVAL / EVALSHA the store sends to a node, recorded on the way out: evaluate,
    the IP windows, each cohort, both undos, settlement, admin read and block, cohort
    read; each call's keys hash to one slot (CLUSTER KEYSLOT agrees with redis-py)."""
    sent: list[tuple[Any, ...]] = []
    node = redis_cluster_module.ClusterNode
    real_command, real_pipeline = node.execute_command, node.execute_pipeline

    async def execute_command(self, *args, **kw):
        sent.append(args)
        return await real_command(self, *args, **kw)

    async def execute_pipeline(self, commands):
        sent.extend(cmd.args for cmd in commands)
        return await real_pipeline(self, commands)

    monkeypatch.setattr(node, "execute_command", execute_command)
    monkeypatch.setattr(node, "execute_pipeline", execute_pipeline)
    cluster.flush()
    limits = test_limits(account=(WindowLimit("account", 2, 60),), ip=(WindowLimit("ip", 3, 60),))
    store = cluster_store(cluster, limits, prefix="aeslot")
    keys = ("t:abc", "l:b0:f1b", "n:10.0.0.0/24", "c:0123")
    cohort = CampaignCharge(tuple(CohortView(k, 1.0, 30, 25, 0.9) for k in keys))
    # Scripts loaded first (their SHA-1 names the store's settings, so a first call would
    # get NOSCRIPT and be sent twice), then count only what the requests send.
    for script in (store._evaluate, store._ip, store._campaign, store._undo, store._settle):
        await store.client.script_load(script.script)
    sent.clear()
    try:
        for n in range(3):  # the third: the account refuses after the IP took (IP undo)
            await store.evaluate("a", f"ip{n % 2}", 10, clock(), RiskInput(), cohort)
        for n in range(4):  # the IP refuses after the accounts took (account undo)
            await store.evaluate(f"b{n}", "ip9", 10, clock(), RiskInput(), cohort)
        await store.settle("a", 5, clock())
        await store.flush()
        await store.block("c", clock() + 10, clock())
        assert await store.account_state("a", clock()) is not None
        for key in keys[:2]:  # the rationing campaigns' buckets (t:, l:), on the cluster
            assert await store.campaign_bucket(key, clock()) is not None
    finally:
        await store.close()
    names = {
        store._evaluate.sha: "evaluate",
        store._ip.sha: "ip",
        store._campaign.sha: "campaign",
        store._undo.sha: "undo",
        store._settle.sha: "settle",
        store._admin.sha: "admin",
    }
    admin = cluster.nodes[0].client()
    seen: dict[str, int] = {}
    undos = set()
    try:
        for args in sent:
            command = args[0].upper() if isinstance(args[0], str) else args[0]
            if command not in ("EVAL", "EVALSHA"):
                continue
            name = names[args[1]] if command == "EVALSHA" else "eval"
            keys = [k.encode() if isinstance(k, str) else k for k in args[3 : 3 + int(args[2])]]
            slots = {key_slot(k) for k in keys}
            assert len(slots) == 1, (name, keys)
            assert {admin.execute_command("CLUSTER", "KEYSLOT", k) for k in keys} == slots
            seen[name] = seen.get(name, 0) + 1
            if name == "undo":
                undos.add(args[3 + int(args[2])])
    finally:
        admin.close()
    assert set(seen) >= {"evaluate", "ip", "campaign", "undo", "settle", "admin"}
    assert undos == {"account", "ip"}
    assert seen["campaign"] == 7 * 2  # one call per rationing campaign per request
    a, i = store.account_key("a"), store.ip_key("ip0")
    assert key_slot(a.encode()) != key_slot(i.encode())  # hence two calls


async def test_cluster_uri_makes_a_cluster_client_with_per_slot_calls(cluster) -> None:
    store = create_store(cluster.url, test_limits())
    assert isinstance(store, RedisStore) and isinstance(store.client, RedisCluster)
    assert store.per_slot_calls and store.fast is None
    await store.close()


# --- through the middleware: cluster and sentinel ----------------------------------------


async def _ok(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.mark.parametrize("kind", ["cluster", "sentinel"])
async def test_the_middleware_limits_through_cluster_and_sentinel(
    kind, request, clock: SimClock
) -> None:
    if kind == "cluster":
        procs = request.getfixturevalue("cluster")
        procs.flush()
        uri = procs.url
    else:
        procs = request.getfixturevalue("sentinel")
        admin = procs.master.client()
        admin.flushall()
        admin.close()
        uri = procs.url(db=3)
    # configured as an operator would: the URI alone picks the client
    s = Settings(
        storage_uri=uri,
        store_timeout=2.0,
        account_limits="3/minute",
        ip_limits="",
        bucket_capacity=100_000,
    )
    mw = AntiExtractMiddleware(_ok, s, clock, logger=make_logger(stream=io.StringIO()))
    store = mw.store
    statuses = []
    for _ in range(5):
        ex = Exchange(chat_body("hello there"))
        headers = [(b"authorization", b"Bearer sk-cluster-test")]
        await mw(http_scope(headers=headers), ex.receive, ex.send)
        statuses.append(ex.status)
    assert statuses == [200, 200, 200, 429, 429]
    if kind == "sentinel":  # the state is on the master the Sentinel names, in db 3
        db3 = procs.master.client(db=3)
        try:
            assert any(k.startswith(b"ae:{a:") for k in db3.scan_iter(count=100))
        finally:
            db3.close()
        assert isinstance(store.client.connection_pool, SentinelConnectionPool)
    await store.close()


# --- failures: a StoreError within the timeout, never a hang ------------------------------


async def test_a_lost_sentinel_master_is_a_store_error_then_recovers(clock) -> None:
    with redis_sentinel() as procs:
        store = create_store(procs.url(), test_limits(), timeout=0.5)
        try:
            assert (await store.evaluate("a", "i", 10, clock())).allowed
            procs.master.kill()
            for _ in range(2):  # the pooled connection, then a fresh one
                with pytest.raises(StoreError):  # (wait_for: a guard against a hang)
                    await asyncio.wait_for(store.evaluate("a", "i", 10, clock()), 10)
            procs.master.start()  # same port: the Sentinel still names it
            out = await store.evaluate("a", "i", 10, clock())
            assert out.allowed and out.tokens == pytest.approx(990)  # a restart lost the state
        finally:
            await store.close()


async def test_a_lost_cluster_node_is_a_store_error_not_a_hang(clock) -> None:
    with redis_cluster() as procs:
        store = RedisStore.from_url(procs.url, test_limits(), timeout=0.5)
        try:
            assert (await store.evaluate("a", "i", 10, clock())).allowed
            share = RedisClusterProcesses.SLOTS // len(procs.nodes)
            owner = min(key_slot(store.account_key("a").encode()) // share, len(procs.nodes) - 1)
            procs.nodes[owner].kill()
            for _ in range(2):
                with pytest.raises(StoreError):  # (wait_for: a guard against a hang)
                    await asyncio.wait_for(store.evaluate("a", "i", 10, clock()), 10)
            with pytest.raises(StoreError):
                await store.account_state("a", clock())
        finally:
            await store.close()


# --- URI grammar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "nodes"),
    [
        ("redis+cluster://10.0.0.1:7000", [("10.0.0.1", 7000)]),
        ("redis+cluster://a:7000,b:7001/", [("a", 7000), ("b", 7001)]),
        ("REDIS+CLUSTER://u:p%40ss@a,[::1]:7002", [("a", 6379), ("::1", 7002)]),
    ],
)
async def test_cluster_uris(uri, nodes) -> None:
    store = create_store(uri, test_limits())
    client = store.client
    assert isinstance(client, RedisCluster)
    assert [(n.host, n.port) for n in client.nodes_manager.startup_nodes.values()] == nodes
    if "@" in uri:
        assert client.connection_kwargs["password"] == "p@ss"
        assert client.connection_kwargs["username"] == "u"
    await store.close()


@pytest.mark.parametrize(
    ("uri", "sentinels", "service", "db"),
    [
        ("redis+sentinel://10.0.0.1:26380/mymaster", [("10.0.0.1", 26380)], "mymaster", 0),
        ("redis+sentinel://a,b:26381/svc/4", [("a", 26379), ("b", 26381)], "svc", 4),
        ("redis+sentinel://:secret@a:1/svc/?sentinel_password=s2", [("a", 1)], "svc", 0),
    ],
)
async def test_sentinel_uris(uri, sentinels, service, db) -> None:
    store = create_store(uri, test_limits())
    pool = store.client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == service
    assert pool.connection_kwargs["db"] == db
    hosts = [s.connection_pool.connection_kwargs for s in pool.sentinel_manager.sentinels]
    assert [(h["host"], h["port"]) for h in hosts] == sentinels
    if "secret" in uri:
        assert pool.connection_kwargs["password"] == "secret"
        assert hosts[0]["password"] == "s2"  # the Sentinels' own password
    else:
        assert hosts[0]["password"] is None
    await store.close()


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("redis+cluster://a:7000/2", "no database"),
        ("redis+cluster://a:notaport", "bad port 'notaport'"),
        ("redis+cluster://a:70000", "bad port '70000'"),
        ("redis+cluster://:hunter2@a:1,,b:2", "a host is missing"),
        ("redis+cluster://:hunter2@a:1?db=2", "unknown option 'db'"),
        ("redis+cluster://::1:7000", "IPv6"),
        ("redis+sentinel://:hunter2@a:26379", "service name is missing"),
        ("redis+sentinel://:hunter2@a:26379/svc/x", "only a db number"),
        ("redis+sentinel://:hunter2@a/svc?sentinel_password=a&sentinel_password=b", "twice"),
        ("redis+sentinel://:hunter2@a/svc?hunter=1", "unknown option 'hunter'"),
        ("redis+sentinel://:hunter2@a/svc#x", "unexpected '#'"),
        ("mongodb://:hunter2@a/svc", "scheme 'mongodb' is not known"),
    ],
)
def test_bad_uris_name_the_problem_never_the_password(uri, message) -> None:
    with pytest.raises(ValueError) as caught:
        create_store(uri, test_limits())
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


async def test_operator_commands_work_on_a_cluster_uri(cluster, monkeypatch, capsys) -> None:
    """`allow`, `campaigns` and `inspect` reach a cluster through ANTIEXTRACT_STORAGE_URI."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from antiextract.ops import cli

    cluster.flush()
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", cluster.url)
    monkeypatch.setenv("ANTIEXTRACT_KEY_PREFIX", "aeclusterops")

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        with ThreadPoolExecutor(1) as pool:  # cli.main runs its own event loop
            code = pool.submit(cli.main, list(argv)).result()
        return code, capsys.readouterr().out

    code, out = run("allow", "t:0123456789abcdef", "--note", "ide", "--json")
    assert code == 0 and json.loads(out)["kind"] == "cohort"
    code, out = run("allow", "--list", "--json")
    assert code == 0 and json.loads(out)["value"] == "t:0123456789abcdef"
    code, out = run("campaigns", "--json", "--all")
    assert code == 0 and json.loads(out)["cohorts"] == []
    code, out = run("inspect", "key:00112233445566778899aabbccddeeff", "--json")
    assert code == 1 and json.loads(out)["found"] is False
