"""What the DEGRADE stream filter (antiextract.request.degrade.SSEFilter) adds per streamed chunk.

Two 2,000-chunk streams in the real wire formats: an OpenAI chat stream (one content delta
per chunk, reasoning deltas in the first 200) and an Anthropic Messages stream (a thinking
block of 200 deltas, then a text block whose indexes the filter renumbers). Each goes
through three harnesses, passed through and filtered:

- ``loop``: one loop appending ``identity(chunk)`` or ``SSEFilter.feed(chunk)`` to a list:
  the filter's own cost, with the least noise;
- ``starlette``: a Starlette ``StreamingResponse`` sending, through a pass-through or a
  filtering send-wrapper (what the middleware would install), to a no-op ASGI ``send``
  in-process (the scope uvicorn builds: ASGI spec 2.3, so the disconnect listener runs);
- ``uvicorn``: the same app served by uvicorn in a subprocess on a loopback port and read
  to the end by a raw socket client: the wall time to stream the whole response.

Rounds are interleaved and every figure is a median over them, per chunk. The budget: the
filter's own cost (``loop``) at most 5% of the time uvicorn takes to stream a chunk.

Run: ``python benchmarks/bench_stream_filter.py [--rounds 25]``. Prints a Markdown table
and writes ``benchmarks/results/stream_filter.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from machine import describe

from antiextract.request.degrade import SSEFilter

CHUNKS = 2000
REASONING_CHUNKS = 200
RESULTS = Path(__file__).resolve().parent / "results"
BUDGET = 0.05
FAMILIES = {"chat": "openai.chat", "anthropic": "anthropic.messages"}
PACKAGES = ("starlette", "uvicorn", "orjson", "h11")

Send = Callable[[dict[str, Any]], Awaitable[None]]


# --------------------------------------------------------------------------- workloads


def chat_stream() -> list[bytes]:
    """A vLLM/OpenAI-style chat stream: role, 200 reasoning deltas, content deltas, finish."""
    base = {
        "id": "chatcmpl-3f2b0c9d8e7a4b6c9d0e1f2a",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "Qwen/Qwen3-32B",
        "system_fingerprint": "fp_bench",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"

    chunks = [chunk({"role": "assistant", "content": ""})]
    for i in range(REASONING_CHUNKS):
        piece = f" step {i} of working it out"
        chunks.append(chunk({"reasoning_content": piece, "reasoning": piece}))
    while len(chunks) < CHUNKS - 2:
        chunks.append(chunk({"content": f" word{len(chunks)}"}))
    chunks.append(chunk({}, "stop"))
    chunks.append(b"data: [DONE]\n\n")
    return chunks


def anthropic_stream() -> list[bytes]:
    """An Anthropic Messages stream: thinking block 0 (200 deltas), text block 1."""

    def event(doc: dict[str, Any]) -> bytes:
        return f"event: {doc['type']}\n".encode() + b"data: " + orjson.dumps(doc) + b"\n\n"

    message = {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1},
    }
    chunks = [event({"type": "message_start", "message": message}), event({"type": "ping"})]
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    chunks.append(event({"type": "content_block_start", "index": 0, "content_block": thinking}))
    for i in range(REASONING_CHUNKS - 2):
        delta = {"type": "thinking_delta", "thinking": f" step {i} of working it out"}
        chunks.append(event({"type": "content_block_delta", "index": 0, "delta": delta}))
    signature = {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" * 4}
    chunks.append(event({"type": "content_block_delta", "index": 0, "delta": signature}))
    chunks.append(event({"type": "content_block_stop", "index": 0}))
    text = {"type": "text", "text": ""}
    chunks.append(event({"type": "content_block_start", "index": 1, "content_block": text}))
    while len(chunks) < CHUNKS - 3:
        delta = {"type": "text_delta", "text": f" word{len(chunks)}"}
        chunks.append(event({"type": "content_block_delta", "index": 1, "delta": delta}))
    chunks.append(event({"type": "content_block_stop", "index": 1}))
    usage = {"output_tokens": CHUNKS}
    stop = {"stop_reason": "end_turn", "stop_sequence": None}
    chunks.append(event({"type": "message_delta", "delta": stop, "usage": usage}))
    chunks.append(event({"type": "message_stop"}))
    return chunks


WORKLOADS: dict[str, Callable[[], list[bytes]]] = {
    "chat": chat_stream,
    "anthropic": anthropic_stream,
}


def check(name: str, chunks: list[bytes]) -> dict[str, Any]:
    """The filter really filters (and keeps the answer): no timing of a no-op."""
    f = SSEFilter(FAMILIES[name])
    out = b"".join(f.feed(c) for c in chunks) + f.close()
    for word in (b"reasoning", b"thinking", b"signature", b"working it out"):
        assert word not in out, (name, word)
    raw = b"".join(chunks)
    if name == "anthropic":  # the text block was block 1; it is block 0 now
        assert b'"index":1' not in out and out.count(b'"index":0') == raw.count(b'"index":1')
    assert out.count(b" word") == raw.count(b" word") > 0
    f = SSEFilter(FAMILIES[name])
    edited = sum(f.feed(c) is not c for c in chunks)
    return {
        "chunks": len(chunks),
        "bytes_in": sum(map(len, chunks)),
        "bytes_out": len(out),
        "chunks_needing_edits": edited,
    }


# --------------------------------------------------------------------------- send-wrappers


def passthrough(send: Send) -> Send:
    async def wrapper(message: dict[str, Any]) -> None:
        await send(message)

    return wrapper


def filtering(send: Send, family: str) -> Send:
    """What the middleware's DEGRADE send-wrapper does with a streamed body."""
    f = SSEFilter(family)
    feed = f.feed

    async def wrapper(message: dict[str, Any]) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        body = feed(chunk)
        if not more:
            body += f.close()
        if body is not chunk:
            if not body and more:
                return  # everything in this chunk was dropped (or is held back)
            message["body"] = body  # the app's message, made for this one send
        await send(message)

    return wrapper


def wrap(send: Send, variant: str, name: str) -> Send:
    return passthrough(send) if variant == "pass" else filtering(send, FAMILIES[name])


# --------------------------------------------------------------------------- harnesses


def identity(chunk: bytes) -> bytes:
    return chunk


def loop_run(chunks: list[bytes], variant: str, name: str) -> float:
    """The same loop around ``identity`` or ``SSEFilter.feed``: the filter's own cost."""
    out: list[bytes] = []
    append = out.append
    f = SSEFilter(FAMILIES[name])
    step = identity if variant == "pass" else f.feed
    started = time.perf_counter()
    for chunk in chunks:
        append(step(chunk))
    if variant == "filter":
        append(f.close())
    return time.perf_counter() - started


def streaming_app(chunks_by_name: dict[str, list[bytes]]) -> Any:
    """``/pass/<name>`` and ``/filter/<name>``: a StreamingResponse of that workload."""
    from starlette.responses import StreamingResponse

    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        _, variant, name = scope["path"].split("/")
        chunks = chunks_by_name[name]

        async def body() -> Any:
            for chunk in chunks:
                yield chunk

        response = StreamingResponse(body(), media_type="text/event-stream")
        await response(scope, receive, wrap(send, variant, name))

    return app


async def starlette_run(app: Any, variant: str, name: str) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},  # what uvicorn sends
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/{variant}/{name}",
        "raw_path": f"/{variant}/{name}".encode(),
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    forever = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await forever.wait()  # the client never leaves; Starlette cancels this at the end
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    started = time.perf_counter()
    await app(scope, receive, send)
    return time.perf_counter() - started


def uvicorn_run(port: int, variant: str, name: str) -> float:
    """Wall time of one whole streamed response over loopback, read by a raw socket."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        request = f"GET /{variant}/{name} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
        started = time.perf_counter()
        sock.sendall(request.encode())
        while sock.recv(1 << 20):
            pass
        return time.perf_counter() - started


def serve(port: int) -> None:
    """Subprocess mode: serve the streaming app under uvicorn (h11, asyncio)."""
    import uvicorn

    app = streaming_app({name: make() for name, make in WORKLOADS.items()})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    here = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            uvicorn_run(port, "pass", "chat")
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the uvicorn subprocess did not start")


# --------------------------------------------------------------------------- measuring


def timed(run: Callable[[], float]) -> float:
    gc.collect()
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


def measure(rounds: int, warmup: int) -> dict[str, Any]:
    streams = {name: make() for name, make in WORKLOADS.items()}
    app = streaming_app(streams)
    server, port = start_server()
    harnesses: dict[str, Callable[[str, str], float]] = {
        "loop": lambda v, n: loop_run(streams[n], v, n),
        "starlette": lambda v, n: asyncio.run(starlette_run(app, v, n)),
        "uvicorn": lambda v, n: uvicorn_run(port, v, n),
    }
    samples: dict[str, list[float]] = {}
    try:
        for r in range(warmup + rounds):
            for name in streams:
                for harness, run in harnesses.items():
                    for variant in ("pass", "filter") if r % 2 else ("filter", "pass"):
                        seconds = timed(lambda run=run, v=variant, n=name: run(v, n))
                        if r >= warmup:
                            key = f"{name}/{harness}/{variant}"
                            samples.setdefault(key, []).append(seconds / len(streams[name]))
            progress(f"round {r + 1}/{warmup + rounds}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"streams": {n: check(n, c) for n, c in streams.items()}, "samples": samples}


def summarize(samples: dict[str, list[float]]) -> dict[str, Any]:
    us = {key: statistics.median(values) * 1e6 for key, values in samples.items()}
    out: dict[str, Any] = {}
    for name in WORKLOADS:
        rows = {}
        for harness in ("loop", "starlette", "uvicorn"):
            base, filt = us[f"{name}/{harness}/pass"], us[f"{name}/{harness}/filter"]
            paired = [
                (f - p) * 1e6
                for p, f in zip(
                    samples[f"{name}/{harness}/pass"],
                    samples[f"{name}/{harness}/filter"],
                    strict=True,
                )
            ]
            rows[harness] = {
                "pass_us_per_chunk": base,
                "filter_us_per_chunk": filt,
                "added_us_per_chunk": filt - base,
                "added_us_per_chunk_paired_median": statistics.median(paired),
                "overhead": (filt - base) / base,
            }
        added = rows["loop"]["added_us_per_chunk"]  # the filter alone, least noise
        realistic = rows["uvicorn"]["pass_us_per_chunk"]
        out[name] = {
            "harnesses": rows,
            "filter_added_us_per_chunk": added,
            "relative_to_starlette_in_process": added / rows["starlette"]["pass_us_per_chunk"],
            "relative_to_uvicorn_stream": added / realistic,
            "budget": BUDGET,
            "within_budget": added <= BUDGET * realistic,
        }
    return out


# --------------------------------------------------------------------------- reporting


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return describe(
        PACKAGES, uvicorn="h11, asyncio loop, subprocess; raw-socket client in the parent"
    )


LABELS = {
    "loop": "loop: identity vs SSEFilter.feed",
    "starlette": "Starlette StreamingResponse → no-op send, in-process",
    "uvicorn": "uvicorn over loopback, whole response",
}


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| stream | harness | pass-through µs/chunk | with SSEFilter µs/chunk "
        "| added µs/chunk | overhead |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, result in summary.items():
        for harness, row in result["harnesses"].items():
            lines.append(
                f"| {name} | {LABELS[harness]} | {row['pass_us_per_chunk']:.2f} "
                f"| {row['filter_us_per_chunk']:.2f} | {row['added_us_per_chunk']:.2f} "
                f"| {row['overhead']:+.1%} |"
            )
    lines += [
        "",
        "| stream | filter adds µs/chunk | vs Starlette in-process | vs uvicorn stream "
        f"| within {BUDGET:.0%} budget |",
        "|---|---:|---:|---:|---|",
    ]
    for name, result in summary.items():
        lines.append(
            f"| {name} | {result['filter_added_us_per_chunk']:.2f} "
            f"| {result['relative_to_starlette_in_process']:.1%} "
            f"| {result['relative_to_uvicorn_stream']:.1%} "
            f"| {'yes' if result['within_budget'] else 'NO'} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="interleaved timed rounds")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve)
        return
    load_before = os.getloadavg()
    measured = measure(args.rounds, args.warmup)
    summary = summarize(measured["samples"])
    report = {
        "benchmark": "stream_filter",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_1_5_15": {"before": load_before, "after": os.getloadavg()},
        "rounds": args.rounds,
        "warmup": args.warmup,
        "streams": measured["streams"],
        "results": summary,
        "samples_us_per_chunk": {
            key: [round(v * 1e6, 4) for v in values] for key, values in measured["samples"].items()
        },
    }
    markdown = table(summary)
    before, after = report["load_average_1_5_15"].values()
    print(f"{machine()['cpu']}, {os.cpu_count()} cores, Python {platform.python_version()}; ")
    print(f"{args.rounds} interleaved rounds (+{args.warmup} warm-up), medians per chunk; ")
    print(f"load average (1 min) {before[0]:.2f} before, {after[0]:.2f} after\n")
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "stream_filter.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    progress(f"wrote {path}")


if __name__ == "__main__":
    main()
