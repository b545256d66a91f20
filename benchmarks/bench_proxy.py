"""What the reverse-proxy gateway adds, under bounded load over real loopback HTTP.

Three servers, each in its own process under uvicorn (started with ``python -c``):

- ``upstream``: the example OpenAI-compatible fake (``examples/openai_server.py``),
  unprotected; every target forwards to it;
- ``proxy``: ``ProxyApp(upstream)`` alone, the gateway without the middleware;
- ``gateway``: ``build_gateway(upstream, settings)``, the middleware in front of the proxy
  on the embedded memory store, with limits too high to ever refuse.

This process drives each target with one ``httpx.AsyncClient`` (pool of C connections)
and C workers, for N timed requests per target and workload, after a warm-up. The targets
run in interleaved rounds (N/R requests each, rotating order) so a slow drift of a shared
machine does not land on whichever runs last. Every timed response must be a 200 (and a
stream must end with ``[DONE]``), or the run stops.

Workloads: ``chat`` (non-streamed chat completion, max_tokens 32, ~1.6 KB JSON answer)
and ``chat-stream`` (the same streamed: ~40 SSE frames, timed to the last byte), both
at C concurrent; ``chat-unloaded`` is ``chat`` one request at a time, where the latency
a hop adds is not hidden by (or confused with) queueing for a busy CPU.

Run ``python benchmarks/bench_proxy.py`` (N=2000, C=16, R=2; 300 unloaded) or
``--quick`` (N=400; 100 unloaded).
Prints a Markdown table and writes ``benchmarks/results/proxy.json`` (``proxy-quick.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from machine import cpu_model

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TARGETS = ("upstream", "proxy", "gateway")
PACKAGES = ("antiextract", "httpx", "httpcore", "uvicorn", "h11", "starlette")
ACCOUNTS = 64
MAX_TOKENS = 32
PROMPT = "Summarise the trade-offs of reverse proxies in front of model servers, briefly."

# One server; argv: kind port upstream-url. Run in a fresh interpreter per target.
SERVER = """
import importlib.util, io, os, sys
import uvicorn
kind, port, upstream = sys.argv[1], int(sys.argv[2]), sys.argv[3]
options = {"log_level": "warning", "access_log": False}
if kind == "upstream":
    spec = importlib.util.spec_from_file_location("openai_server", sys.argv[4])
    module = importlib.util.module_from_spec(spec)
    sys.modules["openai_server"] = module
    spec.loader.exec_module(module)
    app = module.create_app()
else:
    from antiextract import Settings
    from antiextract.audit import make_logger
    from antiextract.ops.proxy import SERVER_OPTIONS, ProxyApp, build_gateway
    options.update(SERVER_OPTIONS)
    if kind == "proxy":
        app = ProxyApp(upstream)
    else:
        settings = Settings(
            storage_uri="memory://", account_limits="", ip_limits="",
            bucket_capacity=10**12, bucket_refill_per_second=10**9,
        )
        app = build_gateway(upstream, settings, logger=make_logger(stream=io.StringIO()))
uvicorn.run(app, host="127.0.0.1", port=port, **options)
"""


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)  # seconds
    wall: float = 0.0  # seconds spent in timed batches


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(kind: str, upstream: str = "") -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    args = [sys.executable, "-c", SERVER, kind, str(port), upstream]
    args.append(str(ROOT / "examples" / "openai_server.py"))
    process = subprocess.Popen(args, env=env, cwd=ROOT)
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"server for {url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def body(stream: bool) -> bytes:
    doc: dict[str, Any] = {
        "model": "bench-model",
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": MAX_TOKENS,
    }
    if stream:
        doc |= {"stream": True, "stream_options": {"include_usage": True}}
    return json.dumps(doc).encode()


async def one(client: httpx.AsyncClient, payload: bytes, stream: bool, i: int) -> float:
    headers = {
        "content-type": "application/json",
        "authorization": f"Bearer sk-bench-{i % ACCOUNTS}",
    }
    started = time.perf_counter()
    if not stream:
        response = await client.post("/v1/chat/completions", content=payload, headers=headers)
        ok = response.status_code == 200 and b'"usage"' in response.content
    else:
        tail = b""
        req = client.build_request("POST", "/v1/chat/completions", content=payload, headers=headers)
        response = await client.send(req, stream=True)
        try:
            async for chunk in response.aiter_raw():
                tail = (tail + chunk)[-64:]
        finally:
            await response.aclose()
        ok = response.status_code == 200 and tail.endswith(b"data: [DONE]\n\n")
    elapsed = time.perf_counter() - started
    if not ok:
        raise RuntimeError(f"request {i} failed: HTTP {response.status_code}")
    return elapsed


async def batch(
    client: httpx.AsyncClient, count: int, concurrency: int, stream: bool, samples: Samples | None
) -> None:
    payload = body(stream)
    counter = iter(range(count))

    async def worker() -> None:
        for i in counter:
            elapsed = await one(client, payload, stream, i)
            if samples is not None:
                samples.latencies.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if samples is not None:
        samples.wall += time.perf_counter() - started


@dataclass(frozen=True)
class Workload:
    name: str
    stream: bool
    concurrency: int
    requests: int


def workloads(args: argparse.Namespace) -> list[Workload]:
    c, n = args.concurrency, args.requests
    return [
        Workload("chat", False, c, n),
        Workload("chat-stream", True, c, n),
        Workload("chat-unloaded", False, 1, args.unloaded),
    ]


async def measure(urls: dict[str, str], args: argparse.Namespace) -> dict[str, dict[str, Samples]]:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    clients = {
        name: httpx.AsyncClient(base_url=url, limits=limits, timeout=30, trust_env=False)
        for name, url in urls.items()
    }
    results: dict[str, dict[str, Samples]] = {}
    try:
        for w in workloads(args):
            samples = {name: Samples() for name in TARGETS}
            for name in TARGETS:
                await batch(clients[name], args.warmup, w.concurrency, w.stream, None)
            per_round = w.requests // args.rounds
            for r in range(args.rounds):
                order = TARGETS[r % len(TARGETS) :] + TARGETS[: r % len(TARGETS)]
                for name in order:
                    await batch(clients[name], per_round, w.concurrency, w.stream, samples[name])
                medians = {n: statistics.median(samples[n].latencies) * 1e3 for n in order}
                shown = ", ".join(f"{n} {m:.2f} ms" for n, m in medians.items())
                print(f"[{w.name}] round {r + 1}/{args.rounds}: {shown}", file=sys.stderr)
            results[w.name] = samples
    finally:
        for client in clients.values():
            await client.aclose()
    return results


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: a value actually observed."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def summarize(results: dict[str, dict[str, Samples]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for workload, samples in results.items():
        rows: dict[str, Any] = {}
        for name in TARGETS:
            s = samples[name]
            rows[name] = {
                "requests": len(s.latencies),
                "median_ms": round(statistics.median(s.latencies) * 1e3, 3),
                "p99_ms": round(percentile(s.latencies, 0.99) * 1e3, 3),
                "mean_ms": round(statistics.fmean(s.latencies) * 1e3, 3),
                "throughput_rps": round(len(s.latencies) / s.wall, 1),
            }
        base = rows["upstream"]["median_ms"]
        for row in rows.values():
            row["added_median_ms"] = round(row["median_ms"] - base, 3)
        out[workload] = rows
    return out


def markdown(report: dict[str, Any]) -> str:
    m, p = report["machine"], report["parameters"]
    lines = [
        "# antiextract reverse-proxy gateway under load",
        "",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}; {report['timestamp']}",
        f"{p['rounds']} interleaved rounds per workload (+{p['warmup']} warm-up per target); "
        "one httpx client process and three uvicorn server processes on one loopback host.",
        "",
        "| workload | concurrent | target | requests | median ms | p99 ms | req/s "
        "| added median ms |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for workload, rows in report["results"].items():
        concurrent = p["workloads"][workload]["concurrency"]
        for name, row in rows.items():
            lines.append(
                f"| {workload} | {concurrent} | {name} | {row['requests']:,} | "
                f"{row['median_ms']:.2f} | "
                f"{row['p99_ms']:.2f} | {row['throughput_rps']:,.0f} | "
                f"{row['added_median_ms']:+.2f} |"
            )
    lines += [
        "",
        "upstream = the fake model server directly; proxy = `ProxyApp` alone; "
        "gateway = `build_gateway` (middleware + proxy, memory store). "
        "added = median minus upstream's median.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests (2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="workers/connections (16)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (2)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed requests first (100)")
    parser.add_argument(
        "--unloaded", type=int, default=300, help="timed requests of the 1-concurrent pass (300)"
    )
    parser.add_argument("--quick", action="store_true", help="400 requests, 40 warm-up")
    parser.add_argument("--output", type=Path, help="result file (results/proxy.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.warmup, args.unloaded = 400, 40, 100
    output = args.output or RESULTS / ("proxy-quick.json" if args.quick else "proxy.json")

    began = time.monotonic()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        upstream, upstream_url = start("upstream")
        processes.append(upstream)
        wait_ready(upstream, upstream_url)
        urls = {"upstream": upstream_url}
        for kind in ("proxy", "gateway"):
            process, url = start(kind, upstream_url)
            processes.append(process)
            wait_ready(process, url)
            urls[kind] = url
        results = asyncio.run(measure(urls, args))
    finally:
        for process in processes:
            stop(process)

    report = {
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "packages": {name: metadata.version(name) for name in PACKAGES},
        },
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {
            "rounds": args.rounds,
            "warmup": args.warmup,
            "accounts": ACCOUNTS,
            "max_tokens": MAX_TOKENS,
            "workloads": {
                w.name: {
                    "stream": w.stream,
                    "concurrency": w.concurrency,
                    "requests": w.requests - w.requests % args.rounds,
                }
                for w in workloads(args)
            },
        },
        "results": summarize(results),
        "duration_seconds": round(time.monotonic() - began, 1),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nwrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
