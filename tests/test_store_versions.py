"""Two versions of the Redis store on one Redis (a rolling deploy, an upgrade): account and
IP state written by the layout-1 scripts is read by the current ones with its bucket,
windows and block kept, and the other way round. The old scripts are the committed copies
in tests/data/store_v1 (verbatim from the history), run with the layout-1 constants."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from antiextract.model.bucket import WindowLimit
from antiextract.model.risk import RiskInput, RiskModel
from antiextract.store import redis as redis_store
from antiextract.store.redis import RedisStore, _lua_constants

from .conftest import redis_client, test_limits

V1 = Path(__file__).parent / "data" / "store_v1"
# evaluate.lua's layout as version 1 wrote it
V1_STATE = (
    "version", "t", "u", "rf", "first_seen", "last_seen", "gap_mean", "gap_var", "gaps",
    "elicit", "focus", "single", "template", "extract", "dominant", "last_skeleton",
    "hours_day", "hours_cur", "hours_prev", "day_count", "acute", "acute_ts", "bl",
)  # fmt: skip
V1_LAYOUT = _lua_constants(
    VERSION=1, FIXED=len(V1_STATE), **{f"I_{n}": i + 1 for i, n in enumerate(V1_STATE)}
)
T = 1_800_000_000.0


def _as_v1(script: str, name: str) -> str:
    current = resources.files(redis_store.__package__).joinpath(name).read_text("utf-8")
    assert current in script and redis_store._LAYOUT in script
    old = (V1 / name).read_text("utf-8")
    return script.replace(redis_store._LAYOUT, V1_LAYOUT).replace(current, old)


async def _stores(prefix: str) -> tuple[RedisStore, RedisStore]:
    limits = test_limits(account=(WindowLimit("account", 5, 60),), ip=(WindowLimit("ip", 8, 60),))
    m = RiskModel()
    client = await redis_client()
    new = RedisStore(limits, client, prefix, m)
    old = RedisStore(limits, client, prefix, m)
    old._evaluate = client.register_script(_as_v1(old._evaluate.script, "evaluate.lua"))
    old._admin = client.register_script(_as_v1(old._admin.script, "admin.lua"))
    old._ip = client.register_script(
        old._ip.script.replace(
            _lua_constants(VERSION=redis_store.STATE_VERSION), _lua_constants(VERSION=1)
        )
    )
    return new, old


def _windows(state: dict) -> dict:
    return {k: v[1] for k, v in state["windows"].items()}


async def test_state_written_by_the_old_scripts_is_kept_by_the_new() -> None:
    new, old = await _stores("aever1")
    try:
        assert (await old.evaluate("a", "ip", 300, T)).allowed
        await old.block("b", T + 3600, T)
        out = await new.evaluate("a", "ip", 300, T, RiskInput(created_at=T - 9, tier=0.5))
        assert out.allowed and out.tokens == pytest.approx(400)  # not refilled to 700
        state = await new.account_state("a", T)
        assert _windows(state) == {"w60": 2}  # both requests counted
        assert state["profile"]["created"] == pytest.approx(T - 9)
        out = await new.evaluate("b", "ip", 1, T + 1)
        assert not out.allowed and out.denied_by == "blocked"  # the block survived
        assert (await new.account_state("b", T + 1))["blocked_until"] == T + 3600
        # the IP windows too: 2 counted above (the blocked request took nothing)
        for n in range(6):
            assert (await new.evaluate(f"c{n}", "ip", 1, T)).allowed
        assert (await new.evaluate("d", "ip", 1, T)).denied_by == "ip-8-per-60s"
    finally:
        await new.close()


async def test_state_written_by_the_new_scripts_is_kept_by_the_old() -> None:
    new, old = await _stores("aever2")
    try:
        await new.evaluate("a", "ip", 300, T, RiskInput(created_at=T - 9, tier=0.5))
        out = await old.evaluate("a", "ip", 300, T)
        assert out.allowed and out.tokens == pytest.approx(400)
        await new.block("b", T + 3600, T)
        await new.evaluate("b", "ip", 1, T)  # the new script writes the blocked state
        out = await old.evaluate("b", "ip", 1, T + 1)
        assert not out.allowed and out.denied_by == "blocked"
        # and back: the old script's write is read by the new one
        out = await new.evaluate("a", "ip", 300, T)
        assert out.allowed and out.tokens == pytest.approx(100)
        state = await new.account_state("a", T)
        assert _windows(state) == {"w60": 3}
        assert (await new.evaluate("b", "ip", 1, T + 2)).denied_by == "blocked"
        # a refused old write keeps the new fields; an allowed one may drop them (they
        # come back with the next trusted header)
        assert state["profile"]["created"] in (None, pytest.approx(T - 9))
    finally:
        await new.close()


async def test_the_creation_time_survives_an_old_refusal() -> None:
    new, old = await _stores("aever3")
    try:
        await new.evaluate("a", "ip", 1000, T, RiskInput(created_at=T - 9))
        assert not (await old.evaluate("a", "ip", 500, T)).allowed  # bucket empty
        state = await new.account_state("a", T)
        assert state["profile"]["created"] == pytest.approx(T - 9)
        assert state["tokens"] == pytest.approx(0)
    finally:
        await new.close()
