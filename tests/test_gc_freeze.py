"""ANTIEXTRACT_GC_FREEZE_SECONDS: the opt-in periodic ``gc.freeze()`` (middleware.py,
``_freeze_gc_every``), started with the server's lifespan and stopped with it."""

from __future__ import annotations

import asyncio
import gc
import io
from typing import Any

import pytest

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.settings import SettingsError, load_settings


async def _app(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass


def _middleware(**kw: Any) -> AntiExtractMiddleware:
    s = Settings(storage_uri="memory://", account_limits="", ip_limits="", **kw)
    return AntiExtractMiddleware(_app, s, logger=make_logger(stream=io.StringIO()))


@pytest.mark.parametrize("value", ["-1", "1e-9", "0.5"])
def test_a_negative_or_sub_second_interval_stops_the_server(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each freeze starts with a full collection: an interval of a nanosecond kept an
    idle replica collecting 0.67 CPU-seconds a second (adversarial trial)."""
    monkeypatch.setenv("ANTIEXTRACT_GC_FREEZE_SECONDS", value)
    with pytest.raises(SettingsError, match="GC_FREEZE_SECONDS"):
        load_settings()


async def _lifespan(mw: AntiExtractMiddleware, between: Any) -> None:
    """A server's lifespan: start-up, ``between()`` while the server runs, shutdown."""
    started = asyncio.Event()
    stop = asyncio.Event()

    async def receive() -> dict:
        if not started.is_set():
            started.set()
            return {"type": "lifespan.startup"}
        await stop.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message: dict) -> None:
        pass

    server = asyncio.ensure_future(
        mw({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    )
    await started.wait()
    await asyncio.sleep(0)  # the middleware handles the start-up message
    try:
        await between()
    finally:
        stop.set()
        await server


async def test_the_freezer_runs_with_the_lifespan_and_stops_with_it() -> None:
    mw = _middleware(gc_freeze_seconds=1.0)
    seen: dict[str, Any] = {}

    async def running() -> None:
        task = mw._gc_freezer
        assert task is not None and not task.done()
        seen["task"] = task
        gc.unfreeze()  # a count of 0 to watch for, whatever ran before

        async def frozen() -> None:
            while gc.get_freeze_count() == 0:
                await asyncio.sleep(0.005)

        # the freezer's first interval passing: waited for, not timed (the bound only
        # turns a broken freezer into a failure instead of a hung test)
        await asyncio.wait_for(frozen(), 60)
        seen["frozen"] = gc.get_freeze_count()

    try:
        await _lifespan(mw, running)
    finally:
        gc.unfreeze()
    assert seen["frozen"] > 0  # the process's objects went to the permanent generation
    await asyncio.sleep(0)
    assert seen["task"].cancelled() and mw._gc_freezer is None  # stopped at shutdown


async def test_by_default_nothing_is_frozen() -> None:
    mw = _middleware()
    seen: dict[str, Any] = {}

    async def running() -> None:
        seen["task"] = mw._gc_freezer

    await _lifespan(mw, running)
    assert seen["task"] is None
