"""What a request is charged up front, for each input a client controls, and what computing
that costs on the hot path.

1. For each input (padding, unicode, escapes, nesting, ...): the bytes on the wire, the
   prompt tokens the estimate reserves (``cost.prompt_tokens``: four bytes a token), and the
   tokens two real tokenizers count in the text the model reads (cl100k_base, o200k_base,
   from the ``bpe-openai`` package, which ships their tables: ``pip install bpe-openai``;
   without it the columns are left out). Reserved / real above 1 over-reserves (the client
   pays it up front and gets it back at settlement); below 1 under-reserves.
2. Hot-path cost of the charging code, medians of per-call times: the estimate on parsed
   facts, decoding a gzip body for inspection, the lenient parse of a body orjson refuses
   (only then), and reading a response's usage (``usage.UsageReader``): per SSE chunk as
   it passes, and for a JSON answer the parse after its last byte (off the hot path, but
   on the event loop), up to ``usage.KEEP`` and past it.

Writes ``benchmarks/results/charge.json`` and prints Markdown tables.
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from machine import describe

from antiextract.request.apis import CHAT
from antiextract.request.cost import estimate, prompt_tokens
from antiextract.request.encoding import decode
from antiextract.request.usage import UsageReader

RESULTS = Path(__file__).resolve().parent / "results"
PROSE = (
    "Explain, step by step, how a write-ahead log lets a database recover after a crash, "
    "and why the log is flushed before the data pages it describes. "
) * 14  # ~2 KB of English
CODE = "def area(r):\n    return 3.14159 * r * r\n\nfor r in range(10):\n    print(area(r))\n" * 24


def chat(content: Any, ascii_only: bool = False, after: str = "") -> bytes:
    doc = {"model": "m", "max_tokens": 256, "messages": [{"role": "user", "content": content}]}
    return json.dumps(doc, ensure_ascii=ascii_only).encode() + after.encode()


def nested(text: str, depth: int) -> Any:
    content: Any = text
    for _ in range(depth):
        content = [{"type": "tool_result", "content": content}]
    return content


# name -> (wire body, the text the model reads)
INPUTS: dict[str, tuple[bytes, str]] = {
    "English prose (2 KB)": (chat(PROSE), PROSE),
    "Python code (2 KB)": (chat(CODE), CODE),
    "prose + 100 KB of spaces after the JSON": (chat(PROSE, after=" " * 100_000), PROSE),
    "prose + 100 KB of spaces inside the text": (
        chat(PROSE + " " * 100_000),
        PROSE + " " * 100_000,
    ),
    "prose + 20,000 newlines (\\n escapes)": (chat(PROSE + "\n" * 20_000), PROSE + "\n" * 20_000),
    "prose + 50,000 dashes": (chat(PROSE + "-" * 50_000), PROSE + "-" * 50_000),
    "Chinese text, UTF-8": (chat("数据库在崩溃后如何恢复" * 200), "数据库在崩溃后如何恢复" * 200),
    "Chinese text, \\uXXXX escapes": (
        chat("数据库在崩溃后如何恢复" * 200, ascii_only=True),
        "数据库在崩溃后如何恢复" * 200,
    ),
    "emoji, UTF-8": (chat("😀🚀🔥" * 300), "😀🚀🔥" * 300),
    "emoji, \\uXXXX escapes (surrogate pairs)": (
        chat("😀🚀🔥" * 300, ascii_only=True),
        "😀🚀🔥" * 300,
    ),
    "zero-width spaces (U+200B)": (chat("\u200b" * 5_000), "\u200b" * 5_000),
    "dense punctuation a!b@c#": (chat("a!b@c#d$e%f^g&h*" * 200), "a!b@c#d$e%f^g&h*" * 200),
    "prose in 200 nested content parts": (chat(nested(PROSE, 200)), PROSE),
}


def tokenizers() -> dict[str, Callable[[str], int]]:
    try:
        import bpe_openai  # type: ignore[import-not-found]
    except ImportError:
        return {}
    out = {}
    for name in ("cl100k_base", "o200k_base"):
        enc = bpe_openai.get_encoding(name)
        out[name] = lambda text, enc=enc: len(enc.encode(text))
    return out


def median_us(fn: Callable[[], object], n: int) -> float:
    for _ in range(n // 10):
        fn()
    xs = []
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        xs.append((time.perf_counter_ns() - t) / 1000)
    return round(statistics.median(xs), 2)


def main() -> int:
    quick = "--quick" in sys.argv
    n = 2_000 if quick else 20_000
    counts = tokenizers()
    inputs = []
    for name, (body, text) in INPUTS.items():
        row: dict[str, Any] = {"input": name, "wire_bytes": len(body),
                               "reserved": prompt_tokens(len(body), CHAT.facts(body),
                                                         max_output=16_384)}  # fmt: skip
        for tok, count in counts.items():
            real = count(text)
            row[tok] = real
            row[f"reserved/{tok}"] = round(row["reserved"] / max(real, 1), 2)
        inputs.append(row)

    prose2k, prose32k = chat(PROSE), chat(PROSE * 16)
    facts2k, facts32k = CHAT.facts(prose2k), CHAT.facts(prose32k)
    gz2k, gz32k = gzip.compress(prose2k), gzip.compress(prose32k)
    nan2k = prose2k.replace(b'"model"', b'"temperature": NaN, "model"', 1)
    chunk = b'data: {"id":"c","choices":[{"index":0,"delta":{"content":" token"}}]}\n\n'
    usage_chunk = (b'data: {"id":"c","choices":[],"usage":{"prompt_tokens":512,'
                   b'"completion_tokens":2048,"total_tokens":2560}}\n\n')  # fmt: skip
    answer2k = json.dumps(
        {
            "choices": [{"message": {"content": PROSE}}],
            "usage": {"prompt_tokens": 512, "completion_tokens": 500},
        }
    ).encode()
    answer64k = json.dumps(
        {
            "choices": [{"message": {"content": PROSE * 32}}],
            "usage": {"prompt_tokens": 512, "completion_tokens": 16_000},
        }
    ).encode()
    answer2m = json.dumps(
        {
            "choices": [{"message": {"content": PROSE * 1_000}}],
            "usage": {"prompt_tokens": 512, "completion_tokens": 16_000},
        }
    ).encode()
    pieces64k = [answer64k[i : i + 4096] for i in range(0, len(answer64k), 4096)]
    pieces2m = [answer2m[i : i + 65_536] for i in range(0, len(answer2m), 65_536)]

    def read(stream: bool, parts: list[bytes]) -> int | None:
        reader = UsageReader(stream)
        for part in parts:
            reader.feed(part)
        return reader.tokens()

    sse = UsageReader(True)
    kw = {"default_output": 1024, "max_output": 16384}
    steps: dict[str, Callable[[], object]] = {
        "estimate, parsed facts (2 KB body)": lambda: estimate(len(prose2k), facts2k, **kw),
        "estimate, parsed facts (32 KB body)": lambda: estimate(len(prose32k), facts32k, **kw),
        "gzip decode for inspection (2 KB body)": lambda: decode(gz2k, b"gzip", 1 << 20),
        "gzip decode for inspection (32 KB body)": lambda: decode(gz32k, b"gzip", 1 << 20),
        "parse, orjson (2 KB body)": lambda: CHAT.facts(prose2k),
        "parse, lenient fallback after orjson refuses (2 KB, NaN)": lambda: CHAT.facts(nan2k),
        "usage: one 76-byte SSE chunk without usage, as it passes": lambda: sse.feed(chunk),
        "usage: the SSE chunk that carries usage (parsed)": lambda: sse.feed(usage_chunk),
        "usage: 2 KB JSON answer in one message, parsed after it": lambda: read(False, [answer2k]),
        "usage: 64 KB JSON answer in 4 KiB messages, kept and parsed": lambda: read(
            False, pieces64k
        ),
        "usage: 2 MB JSON answer in 64 KiB messages, scanned (past KEEP)": lambda: read(
            False, pieces2m
        ),
    }
    timings = {name: median_us(fn, n) for name, fn in steps.items()}

    cols = list(counts)
    head = (
        "| input | wire bytes | reserved | "
        + " | ".join(f"{c} | reserved / {c}" for c in cols)
        + " |"
    )
    lines = [head, "|---|---:|---:|" + "---:|---:|" * len(cols)]
    for r in inputs:
        cells = [f"{r[c]:,} | {r[f'reserved/{c}']}" for c in cols]
        lines.append(f"| {r['input']} | {r['wire_bytes']:,} | {r['reserved']:,} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    lines += ["", "| hot-path step | median µs |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in timings.items()]
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    out = {
        "machine": describe(["antiextract", "orjson", "bpe-openai"]),
        "what": "up-front prompt reservation per input; hot-path cost of the charging code",
        "inputs": inputs,
        "timings_median_us": timings,
    }
    (RESULTS / "charge.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
