"""Anthropic Messages API fake model server.

A deterministic stand-in for an Anthropic-style backend, so the antiextract middleware can
be demoed, tested and benchmarked without network access or API keys. It uses the same
conventions as ``openai_server.py`` (answers echo the prompt, one word is one token), but
is self-contained so either file can be copied or run on its own.

The app is a plain Starlette app; callers wrap it with the middleware themselves.

Run it with: python examples/anthropic_server.py --port 8001
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL_ID = "fake-model"
MAX_WORDS = 200
ECHO_CHARS = 40
THINKING_WORDS_PER_CHUNK = 4
FILLER = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


class RequestError(Exception):
    """A client mistake; the route turns it into an Anthropic-style 400."""


# --------------------------------------------------------------------------- text helpers


def count_words(text: str) -> int:
    """The fake tokenizer: one word is one token, which keeps usage easy to assert."""
    return len(text.split())


def content_text(content: Any) -> str:
    """Flatten content (a string or a list of blocks) to text; non-text blocks are ignored."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [b.get("text") for b in content if isinstance(b, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def stream_pieces(text: str, words_per_piece: int = 1) -> list[str]:
    """Split text into deltas whose concatenation is exactly the original text.

    Every piece after the first carries its leading space, so a client that concatenates
    ``text_delta``s reassembles the non-streamed answer.
    """
    words = text.split()
    groups = [words[i : i + words_per_piece] for i in range(0, len(words), words_per_piece)]
    return [(" " if i else "") + " ".join(group) for i, group in enumerate(groups)]


# --------------------------------------------------------------------------- request parsing


@dataclass(frozen=True)
class Job:
    """A validated request plus its fully generated answer."""

    id: str
    model: str
    input_tokens: int
    text: str
    stop_reason: str
    thinking: str | None
    stream: bool

    @property
    def output_tokens(self) -> int:
        """Only answer words are billed, so output_tokens never exceeds max_tokens."""
        return count_words(self.text)

    @property
    def signature(self) -> str:
        """Stable fake signature, so replayed thinking blocks can be compared byte-for-byte."""
        return "sig" + hashlib.sha256((self.thinking or "").encode()).hexdigest()[:40]


async def read_json(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestError("Request body must be a JSON object.")
    return body


def is_int(value: Any) -> bool:
    """JSON ints only; ``True`` is an int in Python but not a valid token budget."""
    return isinstance(value, int) and not isinstance(value, bool)


def validate(body: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    max_tokens = body.get("max_tokens")
    if not is_int(max_tokens) or max_tokens < 1:
        raise RequestError("max_tokens: Field required and must be a positive integer.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages: Field required and must be a non-empty list.")
    if not all(isinstance(m, dict) for m in messages):
        raise RequestError("messages: every message must be an object.")
    return max_tokens, messages


def thinking_enabled(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        return False
    if not is_int(thinking.get("budget_tokens")):
        raise RequestError("thinking.budget_tokens: Field required and must be an integer.")
    return True


def answer(prompt: str, max_tokens: int) -> tuple[str, str]:
    """``min(max_tokens, MAX_WORDS)`` words; a budget below MAX_WORDS cuts the answer short."""
    target = min(max_tokens, MAX_WORDS)
    words = f"Echo: {prompt[:ECHO_CHARS]}".split()[:target]
    words += [FILLER[i % len(FILLER)] for i in range(target - len(words))]
    return " ".join(words), "max_tokens" if max_tokens < MAX_WORDS else "end_turn"


def parse_job(body: dict[str, Any]) -> Job:
    max_tokens, messages = validate(body)
    user = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    prompt = user[-1] if user else ""
    texts = [content_text(body.get("system")), *(content_text(m.get("content")) for m in messages)]
    text, stop_reason = answer(prompt, max_tokens)
    thinking = (
        f"Counting the words of the user message: {count_words(prompt)}. "
        "I will echo the start of the message and pad the answer with filler."
    )
    model = body.get("model")
    return Job(
        id=f"msg_{uuid.uuid4().hex[:24]}",
        model=model if isinstance(model, str) and model else MODEL_ID,
        input_tokens=sum(map(count_words, texts)),
        text=text,
        stop_reason=stop_reason,
        thinking=thinking if thinking_enabled(body) else None,
        stream=body.get("stream") is True,
    )


# --------------------------------------------------------------------------- rendering


def content_blocks(job: Job) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if job.thinking is not None:
        blocks.append({"type": "thinking", "thinking": job.thinking, "signature": job.signature})
    blocks.append({"type": "text", "text": job.text})
    return blocks


def message(
    job: Job, content: list[dict[str, Any]], stop_reason: str | None, output_tokens: int
) -> dict[str, Any]:
    """A Messages object; message_start reuses it empty with output_tokens 1, like the API."""
    return {
        "id": job.id,
        "type": "message",
        "role": "assistant",
        "model": job.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": job.input_tokens, "output_tokens": output_tokens},
    }


def block_events(index: int, block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """start / deltas / stop for one block; thinking ends with its signature_delta."""
    if block["type"] == "thinking":
        empty = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": piece}
            for piece in stream_pieces(block["thinking"], THINKING_WORDS_PER_CHUNK)
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        empty = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in stream_pieces(block["text"])]
    yield {"type": "content_block_start", "index": index, "content_block": empty}
    for delta in deltas:
        yield {"type": "content_block_delta", "index": index, "delta": delta}
    yield {"type": "content_block_stop", "index": index}


def stream_events(job: Job) -> Iterator[dict[str, Any]]:
    """The Messages streaming sequence, including the ping real servers send early on."""
    yield {"type": "message_start", "message": message(job, [], None, 1)}
    yield {"type": "ping"}
    for index, block in enumerate(content_blocks(job)):
        yield from block_events(index, block)
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": job.stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": job.output_tokens},
    }
    yield {"type": "message_stop"}


# --------------------------------------------------------------------------- transport


def frames(events: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for event in events:
        yield f"event: {event['type']}\n".encode() + b"data: " + orjson.dumps(event) + b"\n\n"


async def paced(chunks: Iterable[bytes], delay: float) -> AsyncIterator[bytes]:
    """Yield frames with an optional gap, so benchmarks can emulate a model's token rate."""
    for i, chunk in enumerate(chunks):
        if delay > 0 and i:
            await asyncio.sleep(delay)
        yield chunk


def error_response(message_text: str) -> JSONResponse:
    error = {"type": "invalid_request_error", "message": message_text}
    return JSONResponse({"type": "error", "error": error}, status_code=400)


async def messages(request: Request) -> Response:
    try:
        job = parse_job(await read_json(request))
    except RequestError as exc:
        return error_response(str(exc))
    if not job.stream:
        return JSONResponse(message(job, content_blocks(job), job.stop_reason, job.output_tokens))
    body = paced(frames(stream_events(job)), request.app.state.delay_per_chunk)
    headers = {"cache-control": "no-cache"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(delay_per_chunk: float = 0.0) -> Starlette:
    """Build the fake server; ``delay_per_chunk`` seconds are slept between stream events."""
    app = Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    app.state.delay_per_chunk = delay_per_chunk
    return app


app = create_app()


def main() -> None:
    """Serve the fake model protected by antiextract (configured by ANTIEXTRACT_* env)."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between events")
    parser.add_argument(
        "--unprotected", action="store_true", help="serve without the antiextract middleware"
    )
    args = parser.parse_args()
    app: Any = create_app(args.delay)
    if not args.unprotected:
        from antiextract import AntiExtractMiddleware

        app = AntiExtractMiddleware(app)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
