"""``antiextract demo``: a protected fake model server under real traffic, in ~15 seconds.

Starts the example OpenAI-compatible server from ``examples/`` wrapped in the middleware
(embedded memory store, default settings unless ``ANTIEXTRACT_*`` says otherwise) under
uvicorn on a free loopback port, drives a mix of ordinary and abusive clients at it over
real HTTP, and ends with a summary of what each population got and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import random
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..audit import make_logger
from ..redact import mask_uri
from ..request.middleware import AntiExtractMiddleware
from ..settings import load_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Population:
    """One kind of client and everything it experienced."""

    name: str
    who: str
    statuses: Counter[int] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    tokens: int = 0

    def record(self, response: httpx.Response, seconds: float) -> None:
        self.statuses[response.status_code] += 1
        self.latencies.append(seconds)
        if response.status_code == 200:
            with contextlib.suppress(ValueError):
                self.tokens += response.json().get("usage", {}).get("completion_tokens", 0)
        elif response.status_code == 429:
            limit = response.headers.get("ratelimit", "").split(";")[0].strip('"')
            self.reasons[limit or "?"] += 1


def load_file(path: Path, name: str) -> Any:
    """Import a script of the checkout (``examples/``, ``benchmarks/``: not packages) once.

    Registered in ``sys.modules`` before it runs: dataclasses resolve annotations there."""
    if name in sys.modules:
        return sys.modules[name]
    if not path.exists():
        raise SystemExit(f"{path} is needed (run this from a checkout of the repository)")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_example(name: str) -> Any:
    return load_file(EXAMPLES / f"{name}.py", f"_example_{name}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chat(prompt_words: int, max_tokens: int, topic: str) -> dict[str, Any]:
    words = " ".join(
        random.choice(("code", "review", "the", "function", "why")) for _ in range(prompt_words)
    )
    return {
        "model": "fake-model",
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": f"{topic}: {words}"}],
    }


async def send(client: httpx.AsyncClient, pop: Population, key: str | None, body: dict) -> None:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    start = time.perf_counter()
    response = await client.post("/v1/chat/completions", json=body, headers=headers)
    pop.record(response, time.perf_counter() - start)


async def interactive_user(client, pop, key: str, until: float) -> None:
    """A person in a chat UI: a 2 KB prompt every couple of seconds."""
    while time.monotonic() < until:
        await send(client, pop, key, chat(400, 512, "help me with this"))
        await asyncio.sleep(random.uniform(1.0, 2.5))


async def flooder(client, pop, count: int) -> None:
    """One account hammering 32 KB prompts with 4,096-token answers as fast as it can. A
    fixed count (not a duration), so how many it sends does not depend on the machine's
    speed: twenty per connection are several times what the bucket holds."""
    for _ in range(count):
        await send(client, pop, "sk-flood", chat(6500, 4096, "explain everything about"))


async def chatty_script(client, pop, count: int) -> None:
    """A script sending tiny requests in a tight loop: cheap each, too many per minute.
    A fixed count (not a duration) so the outcome does not depend on the machine's speed."""
    for _ in range(count):
        await send(client, pop, "sk-script", chat(5, 16, "ping"))


async def run(
    duration: float = 12.0,
    console: Console | None = None,
    clock: Callable[[], float] | None = None,
) -> list[Population]:
    """``clock``: the middleware's (default: the wall clock); a test passes one that stands
    still, so no bucket refills and no window slides while the traffic runs."""
    console = console or Console(width=None if sys.stdout.isatty() else 140)
    settings = load_settings()
    server_mod = load_example("openai_server")
    audit = io.StringIO()
    app = AntiExtractMiddleware(
        server_mod.create_app(), settings, clock, logger=make_logger(stream=audit)
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    console.print(
        f"[bold]antiextract demo[/] — fake OpenAI server on http://127.0.0.1:{port}, "
        f"store [cyan]{mask_uri(settings.storage_uri)}[/], mode [cyan]{settings.mode}[/], "
        f"bucket {settings.bucket_capacity:,} tokens + {settings.bucket_refill_per_second:,.0f}/s, "
        f"account limits [cyan]{settings.account_limits}[/]"
    )
    humans = Population("interactive users (5)", "2 KB prompt every 1-2.5 s")
    flood = Population("flooding account", "8 x 20 x 32 KB prompts in parallel")
    script = Population("chatty script", "400 tiny requests, tight loop")
    until = time.monotonic() + duration
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:
        tasks = [
            asyncio.create_task(interactive_user(client, humans, f"sk-user-{i}", until))
            for i in range(5)
        ]
        tasks += [asyncio.create_task(flooder(client, flood, 20)) for _ in range(8)]
        tasks += [asyncio.create_task(chatty_script(client, script, 100)) for _ in range(4)]
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            bar = progress.add_task("driving traffic", total=duration, stats="")
            while not all(t.done() for t in tasks):
                left = max(0.0, until - time.monotonic())
                stats = "  ".join(
                    f"{p.name.split(' (')[0]}: {p.statuses[200]} ok / {p.statuses[429]} throttled"
                    for p in (humans, flood, script)
                )
                progress.update(bar, completed=duration - left, stats=stats)
                await asyncio.sleep(0.2)
        await asyncio.gather(*tasks)
    server.should_exit = True
    await serving
    pops = [humans, flood, script]
    render(console, pops, audit.getvalue())
    return pops


def render(console: Console, pops: list[Population], audit: str) -> None:
    table = Table(title="What each client got", title_justify="left")
    for col in (
        "population",
        "behaviour",
        "requests",
        "served",
        "throttled (429)",
        "why",
        "tokens served",
        "median ms",
    ):
        table.add_column(col, justify="right" if col[0] in "rstm" and col != "why" else "left")
    for p in pops:
        total = sum(p.statuses.values())
        why = ", ".join(f"{k} x{v}" for k, v in p.reasons.most_common()) or "-"
        table.add_row(
            p.name,
            p.who,
            str(total),
            str(p.statuses[200]),
            str(p.statuses[429]),
            why,
            f"{p.tokens:,}",
            f"{statistics.median(p.latencies) * 1000:.1f}" if p.latencies else "-",
        )
    console.print(table)
    events = [json.loads(line) for line in audit.splitlines() if line.startswith("{")]
    decisions = [e for e in events if e.get("event") == "antiextract.decision"]
    if decisions:
        last = decisions[-1]
        shown = {
            k: last[k]
            for k in ("account", "action", "reasons", "retry_after", "cost", "tokens", "status")
            if k in last
        }
        console.print(f"{len(decisions)} audit events written; the last one: {shown}")
    console.print(
        "[bold]Reading it:[/] the people were never refused; the flooding account was cut off "
        "by its token budget within seconds and now gets one request per refill; the script "
        "hit its request-count limit. Every 429 carried Retry-After, RateLimit headers and an "
        "OpenAI-style error body."
    )


def main(duration: float = 12.0) -> int:
    pops = asyncio.run(run(duration))
    humans, flood, _ = pops
    ok = humans.statuses[429] == 0 and flood.statuses[429] > 0
    return 0 if ok else 1
