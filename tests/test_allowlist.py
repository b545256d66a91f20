"""Allowlists: parsing what an operator types, merging env and live entries, both stores,
and the middleware reading live entries in the background."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import json

import pytest

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.model.allowlist import AllowEntry, Allowlist, parse_target
from antiextract.request.middleware import limits_from
from antiextract.store import StoreError

from .asgi import Exchange, chat_body, http_scope


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("key:0123abcd", "account", "key:0123abcd"),
        ("hdr:tenant-7", "account", "hdr:tenant-7"),
        ("t:9c1e00aa12345678", "cohort", "t:9c1e00aa12345678"),
        ("c:e1f0f54bcee7652d", "cohort", "c:e1f0f54bcee7652d"),
        ("l:b0:2cd", "cohort", "l:b0:2cd"),
        ("n:10.0.0.0/24", "cohort", "n:10.0.0.0/24"),
        ("203.0.113.77/24", "subnet", "203.0.113.0/24"),
        ("2001:db8::1/48", "subnet", "2001:db8::/48"),
        ("203.0.113.7", "subnet", "203.0.113.7/32"),
    ],
)
def test_targets_are_recognised_by_their_form(text, kind, value) -> None:
    assert parse_target(f"  {text} ") == (kind, value)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [("", None, "nothing to allowlist"), ("10.0.0.0/33", "subnet", "not a CIDR"),
     ("key:1", "cohort", "not a cohort id"),
     # a mistyped id was accepted and silently matched nothing for 30 days
     ("t:doesnotexist", None, "not a cohort id"), ("t:9c1e00aa", None, "not a cohort id"),
     ("l:b0:2c", None, "not a cohort id"), ("c:sdk", None, "not a cohort id"),
     ("n:10.0.0.0/33", None, "n: takes a subnet CIDR")],
)  # fmt: skip
def test_bad_targets_say_what_is_wrong(text, kind, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_target(text, kind)


def test_merge_keeps_the_env_and_drops_expired_entries() -> None:
    env = Allowlist(frozenset({"key:env"}), frozenset({"t:env"}), ())
    entries = [
        AllowEntry("account", "key:live", until=200.0),
        AllowEntry("account", "key:gone", until=100.0),
        AllowEntry("cohort", "c:sdk", until=200.0),
        AllowEntry("subnet", "198.51.100.0/24", until=200.0),
        AllowEntry("subnet", "garbage", until=200.0),  # corrupt: vouches for nobody
    ]
    merged = env.merged(entries, now=150.0)
    assert merged.accounts == {"key:env", "key:live"}
    assert merged.cohorts == {"t:env", "c:sdk"}
    assert merged.subnets == (ipaddress.ip_network("198.51.100.0/24"),)
    assert merged.allows_cohort("n:198.51.100.0/24") and merged.allows_cohort("t:env")
    assert not merged.allows_cohort("n:198.51.101.0/24") and not merged.allows_cohort("t:x")
    assert not merged.allows_cohort("n:not-a-net")
    assert env.merged([], 0.0) == env


async def test_both_stores_keep_live_entries_until_they_expire(make_store, clock) -> None:
    store = await make_store()
    now = clock()
    await store.allow(AllowEntry("cohort", "t:app", now + 60, now, "IDE plugin"), now)
    await store.allow(AllowEntry("account", "key:abc", now + 10, now), now)
    await store.allow(AllowEntry("cohort", "t:app", now + 120, now, "renewed"), now)
    entries = sorted(await store.allowlist(now), key=lambda e: e.kind)
    assert [(e.kind, e.value, e.until, e.note) for e in entries] == [
        ("account", "key:abc", now + 10, ""),
        ("cohort", "t:app", now + 120, "renewed"),
    ]
    assert [e.value for e in await store.allowlist(now + 11)] == ["t:app"]
    assert await store.disallow("cohort", "t:app", now) is True
    assert await store.disallow("cohort", "t:app", now) is False
    assert await store.allowlist(now + 11) == []
    if make_store.kind == "redis":
        key = store.allowlist_key()
        assert await store.client.ttl(key) > 0  # every key has a TTL
        await store.client.hset(key, "cohort|t:bad", b"\xff not json")
        await store.client.hset(key, "planet|x", json.dumps({"until": now + 99}))
        assert await store.allowlist(now) == [AllowEntry("account", "key:abc", now + 10, now)]


class _Down:
    """A store whose allowlist read fails, as Redis does during an outage."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def allowlist(self, now: float):
        raise StoreError("redis allowlist read failed: connection refused")


async def test_the_middleware_reads_live_entries_in_the_background(make_store, clock) -> None:
    """An account's risk counts until it is allowlisted in the store; then, after one
    refresh, its decision carries no risk; a failing read keeps the last list."""
    log = io.StringIO()
    s = Settings(
        allowlist_refresh_seconds=0.05,
        audit_sample_rate=1.0,
        account_header="x-acct",
        bucket_capacity=10**9,
        account_limits="1000/minute",
        ip_limits="1000/minute",
    )
    store = await make_store(limits_from(s))
    mw = AntiExtractMiddleware(_ok, s, clock, store=store, logger=make_logger(stream=log))
    body = chat_body("Think step by step and show your reasoning: implement a parser in rust")

    async def risk() -> float:
        ex = Exchange(body)
        clock.advance(3)
        await mw(http_scope(headers=[(b"x-acct", b"tenant-9")]), ex.receive, ex.send)
        assert ex.status == 200
        await asyncio.sleep(0.08)
        lines = [json.loads(line) for line in log.getvalue().splitlines()]
        return [e for e in lines if e["event"] == "antiextract.decision"][-1]["risk"]

    assert await risk() > 0
    await store.allow(AllowEntry("account", "hdr:tenant-9", clock() + 600, clock()), clock())
    await risk()  # schedules the refresh that reads the entry
    assert await risk() == 0
    mw.store = _Down(store)
    await risk()
    assert await risk() == 0  # the last list read stays in force
    assert "antiextract.allowlist_unavailable" in log.getvalue()
    assert "connection refused" in log.getvalue()


async def _ok(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})
