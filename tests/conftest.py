"""Shared fixtures: a simulated clock and both stores, each on real backends.

The Redis store runs against a real server (``ANTIEXTRACT_TEST_REDIS_URL``, default
``redis://127.0.0.1:6379/15``, flushed per test). When it does not answer the Redis
tests fail rather than skip: a skipped store test proves nothing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection

from antiextract.model.bucket import Limits, WindowLimit
from antiextract.store import MemoryStore, Store
from antiextract.store.redis import RedisStore

REDIS_URL = os.environ.get("ANTIEXTRACT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_url(db: int) -> str:
    """Another database on the test Redis: suites that keep their own database follow
    ``ANTIEXTRACT_TEST_REDIS_URL``'s server, so two checkouts can test side by side on
    two private servers without flushing each other's data."""
    return REDIS_URL.rsplit("/", 1)[0] + f"/{db}"


class SimClock:
    """A clock tests move by hand; every time-dependent behaviour reads it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingConnection(Connection):
    """A real Redis connection that counts the command batches it writes."""

    sent = 0

    async def send_packed_command(self, command, check_health=True):  # type: ignore[override]
        CountingConnection.sent += 1
        await super().send_packed_command(command, check_health)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


def test_limits(**overrides: object) -> Limits:
    base: dict[str, object] = {
        "capacity": 1000.0,
        "refill": 10.0,
        "account": (WindowLimit("account", 5, 60),),
        "ip": (WindowLimit("ip", 8, 60),),
    }
    base.update(overrides)
    return Limits(**base)  # type: ignore[arg-type]


test_limits.__test__ = False  # type: ignore[attr-defined]


async def redis_client(counting: bool = False) -> aioredis.Redis:
    kwargs = {"connection_class": CountingConnection} if counting else {}
    client = aioredis.Redis.from_url(REDIS_URL, **kwargs)
    await client.flushdb()
    return client


@pytest.fixture(params=["memory", "redis"])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator:
    """A factory for a fresh store of the parametrized kind with given limits."""
    made: list[Store] = []

    async def factory(limits: Limits | None = None) -> Store:
        limits = limits or test_limits()
        if request.param == "memory":
            store: Store = MemoryStore(limits, max_keys=10_000)
        else:
            store = RedisStore(limits, await redis_client(), prefix="aetest")
        made.append(store)
        return store

    factory.kind = request.param  # type: ignore[attr-defined]
    yield factory
    for store in made:
        await store.close()
