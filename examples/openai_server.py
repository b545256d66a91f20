"""OpenAI-compatible fake model server.

A deterministic stand-in for a real model backend, so the antiextract middleware can be
demoed, tested and benchmarked without GPUs, network access or API keys. Answers are
derived from the prompt so tests can assert on them, and a "token" is one
whitespace-separated word so usage numbers are trivial to predict.

``create_app()`` returns the plain Starlette app (tests wrap it themselves); run as a
script it is protected by the middleware, configured by ``ANTIEXTRACT_*``:

    python examples/openai_server.py --port 8000               # protected
    python examples/openai_server.py --port 8000 --unprotected # the bare model
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL_ID = "fake-model"
DEFAULT_WORDS = 64
MAX_WORDS = 200
MAX_CHOICES = 8
ECHO_CHARS = 40
REASONING_WORDS_PER_CHUNK = 4
FAKE_LOGPROB = -0.1
FILLER = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
DONE_FRAME = b"data: [DONE]\n\n"

Handler = Callable[[Request], Awaitable[Response]]


class RequestError(Exception):
    """A client mistake; the route wrapper turns it into an OpenAI-style 400."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


# --------------------------------------------------------------------------- text helpers


def count_words(text: str) -> int:
    """The fake tokenizer: one word is one token, which keeps usage easy to assert."""
    return len(text.split())


def content_text(content: Any) -> str:
    """Flatten message content (a string or a list of text parts) to plain text.

    Non-text parts (images, audio) are ignored because the fake cannot "see" them.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def stream_pieces(text: str, words_per_piece: int = 1) -> list[str]:
    """Split text into stream deltas whose concatenation is exactly ``" ".join(words)``.

    Every piece after the first carries its leading space, like real BPE deltas, so a
    client that just concatenates deltas reassembles the non-streamed text.
    """
    words = text.split()
    groups = [words[i : i + words_per_piece] for i in range(0, len(words), words_per_piece)]
    return [(" " if i else "") + " ".join(group) for i, group in enumerate(groups)]


@dataclass(frozen=True)
class Generation:
    """One fake completion: the answer, why it ended, and the fake chain of thought."""

    text: str
    finish_reason: str
    reasoning: str

    @property
    def tokens(self) -> int:
        return count_words(self.text)


def generate(prompt: str, limit: int | None, index: int = 0) -> Generation:
    """Produce a deterministic answer of ``min(limit or DEFAULT_WORDS, MAX_WORDS)`` words.

    The fake "wants" to write MAX_WORDS words, so an explicit limit below that reports a
    truncation ("length"); without a limit it writes DEFAULT_WORDS and stops naturally.
    ``index`` rotates the filler so the n choices of one request differ.
    """
    target = min(limit or DEFAULT_WORDS, MAX_WORDS)
    words = f"Echo: {prompt[:ECHO_CHARS]}".split()[:target]
    words += [FILLER[(index + i) % len(FILLER)] for i in range(target - len(words))]
    truncated = limit is not None and limit < MAX_WORDS
    reasoning = (
        f"Counting the words of the user message: {count_words(prompt)}. "
        "I will echo the start of the message and pad the answer with filler."
    )
    return Generation(" ".join(words), "length" if truncated else "stop", reasoning)


def token_logprob(token: str) -> dict[str, Any]:
    """A chat-style logprob entry; the fake is equally (and mildly) sure of every token."""
    return {
        "token": token,
        "logprob": FAKE_LOGPROB,
        "bytes": list(token.encode()),
        "top_logprobs": [],
    }


def new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


# --------------------------------------------------------------------------- request parsing


@dataclass(frozen=True)
class Job:
    """Everything a route needs to render its answer, parsed and validated up front."""

    id: str
    created: int
    model: str
    prompt_tokens: int
    generations: list[Generation]
    logprobs: bool = False
    stream: bool = False
    include_usage: bool = False

    @property
    def completion_tokens(self) -> int:
        return sum(g.tokens for g in self.generations)

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


async def read_json(request: Request) -> dict[str, Any]:
    """Parse the body as a JSON object, rejecting anything else with a 400."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestError("Request body must be a JSON object.")
    return body


def positive_int(body: dict[str, Any], *keys: str) -> int | None:
    """Return the first present key as a positive int; bools are rejected on purpose."""
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RequestError(f"'{key}' must be a positive integer.", key)
        return value
    return None


def choice_count(body: dict[str, Any]) -> int:
    n = positive_int(body, "n") or 1
    if n > MAX_CHOICES:
        raise RequestError(f"'n' must be between 1 and {MAX_CHOICES}.", "n")
    return n


def wants_usage_chunk(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def model_name(body: dict[str, Any]) -> str:
    model = body.get("model")
    return model if isinstance(model, str) and model else MODEL_ID


def make_job(body: dict[str, Any], prefix: str, prompt: str, prompt_tokens: int, **kw: Any) -> Job:
    """Build the Job shared by chat and legacy completions (both honor n / max_tokens)."""
    limit = positive_int(body, "max_completion_tokens", "max_tokens")
    n = choice_count(body)
    return Job(
        id=new_id(prefix),
        created=int(time.time()),
        model=model_name(body),
        prompt_tokens=prompt_tokens,
        generations=[generate(prompt, limit, i) for i in range(n)],
        stream=body.get("stream") is True,
        include_usage=wants_usage_chunk(body),
        **kw,
    )


def chat_job(body: dict[str, Any]) -> Job:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty list.", "messages")
    if not all(isinstance(m, dict) for m in messages):
        raise RequestError("Every message must be an object.", "messages")
    user = [content_text(m.get("content")) for m in messages if m.get("role") == "user"]
    prompt_tokens = sum(count_words(content_text(m.get("content"))) for m in messages)
    logprobs = body.get("logprobs") is True
    return make_job(body, "chatcmpl-", user[-1] if user else "", prompt_tokens, logprobs=logprobs)


def legacy_job(body: dict[str, Any]) -> Job:
    """Batched prompts (a list of strings) are answered as one joined prompt."""
    prompt = body.get("prompt")
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        prompt = " ".join(prompt)
    if not isinstance(prompt, str):
        raise RequestError("'prompt' must be a string or a list of strings.", "prompt")
    logprobs = body.get("logprobs") is not None
    return make_job(body, "cmpl-", prompt, count_words(prompt), logprobs=logprobs)


def responses_job(body: dict[str, Any]) -> Job:
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RequestError("'input' must be a string or a list of input items.", "input")
    texts = [content_text(i.get("content")) for i in items]
    user = [t for i, t in zip(items, texts, strict=True) if i.get("role") == "user"]
    instructions = body.get("instructions")
    prompt_tokens = sum(map(count_words, texts))
    prompt_tokens += count_words(instructions) if isinstance(instructions, str) else 0
    limit = positive_int(body, "max_output_tokens")
    return Job(
        id=new_id("resp_"),
        created=int(time.time()),
        model=model_name(body),
        prompt_tokens=prompt_tokens,
        generations=[generate(user[-1] if user else "", limit)],
        stream=body.get("stream") is True,
    )


# --------------------------------------------------------------------------- chat completions


def chat_choice(index: int, gen: Generation, logprobs: bool) -> dict[str, Any]:
    """A non-streamed choice; reasoning is sent under both vLLM and DeepSeek field names."""
    message = {
        "role": "assistant",
        "content": gen.text,
        "reasoning_content": gen.reasoning,
        "reasoning": gen.reasoning,
        "refusal": None,
    }
    lp = {"content": [token_logprob(p) for p in stream_pieces(gen.text)], "refusal": None}
    return {
        "index": index,
        "message": message,
        "logprobs": lp if logprobs else None,
        "finish_reason": gen.finish_reason,
    }


def chat_completion(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "object": "chat.completion",
        "created": job.created,
        "model": job.model,
        "system_fingerprint": "fp_fake",
        "choices": [chat_choice(i, g, job.logprobs) for i, g in enumerate(job.generations)],
        "usage": job.usage(),
    }


def chat_chunk(job: Job, choices: list[dict[str, Any]]) -> dict[str, Any]:
    """Chunk envelope; like OpenAI, ``usage: null`` is present only when usage was asked for."""
    chunk: dict[str, Any] = {
        "id": job.id,
        "object": "chat.completion.chunk",
        "created": job.created,
        "model": job.model,
        "system_fingerprint": "fp_fake",
        "choices": choices,
    }
    if job.include_usage:
        chunk["usage"] = None
    return chunk


def chat_delta(index: int, delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": None, **extra}


def chat_choice_chunks(job: Job, index: int, gen: Generation) -> Iterator[dict[str, Any]]:
    """Role first, then reasoning, then one content delta per word, then the finish reason."""
    yield chat_chunk(job, [chat_delta(index, {"role": "assistant", "content": ""})])
    for piece in stream_pieces(gen.reasoning, REASONING_WORDS_PER_CHUNK):
        delta = {"reasoning_content": piece, "reasoning": piece}
        yield chat_chunk(job, [chat_delta(index, delta)])
    for piece in stream_pieces(gen.text):
        lp = {"content": [token_logprob(piece)], "refusal": None} if job.logprobs else None
        yield chat_chunk(job, [chat_delta(index, {"content": piece}, logprobs=lp)])
    yield chat_chunk(job, [chat_delta(index, {}, finish_reason=gen.finish_reason)])


def chat_chunks(job: Job) -> Iterator[dict[str, Any]]:
    for index, gen in enumerate(job.generations):
        yield from chat_choice_chunks(job, index, gen)
    if job.include_usage:
        yield {**chat_chunk(job, []), "usage": job.usage()}


# --------------------------------------------------------------------------- legacy completions


def legacy_logprobs(pieces: list[str], offset: int = 0) -> dict[str, Any]:
    """Legacy logprobs; ``offset`` is where the first piece starts in the full text."""
    offsets = [offset + sum(len(p) for p in pieces[:i]) for i in range(len(pieces))]
    return {
        "tokens": pieces,
        "token_logprobs": [FAKE_LOGPROB] * len(pieces),
        "top_logprobs": [{p: FAKE_LOGPROB} for p in pieces],
        "text_offset": offsets,
    }


def text_choice(
    index: int, text: str, finish: str | None, logprobs: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}


def full_text_choice(index: int, gen: Generation, logprobs: bool) -> dict[str, Any]:
    lp = legacy_logprobs(stream_pieces(gen.text)) if logprobs else None
    return text_choice(index, gen.text, gen.finish_reason, lp)


def text_completion(
    job: Job, choices: list[dict[str, Any]] | None = None, with_usage: bool = True
) -> dict[str, Any]:
    """A ``text_completion`` object; stream chunks reuse it without usage."""
    if choices is None:
        choices = [full_text_choice(i, g, job.logprobs) for i, g in enumerate(job.generations)]
    body = {
        "id": job.id,
        "object": "text_completion",
        "created": job.created,
        "model": job.model,
        "choices": choices,
    }
    return {**body, "usage": job.usage()} if with_usage else body


def text_chunks(job: Job) -> Iterator[dict[str, Any]]:
    """Legacy streaming: one text delta per word, a finish chunk, then optional usage."""
    for index, gen in enumerate(job.generations):
        offset = 0
        for piece in stream_pieces(gen.text):
            lp = legacy_logprobs([piece], offset) if job.logprobs else None
            yield text_completion(job, [text_choice(index, piece, None, lp)], False)
            offset += len(piece)
        yield text_completion(job, [text_choice(index, "", gen.finish_reason)], False)
    if job.include_usage:
        yield text_completion(job, [])


# --------------------------------------------------------------------------- responses API


def output_text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def response_object(job: Job) -> dict[str, Any]:
    """The final Responses API object: a reasoning summary item, then the message item."""
    gen = job.generations[0]
    status = "incomplete" if gen.finish_reason == "length" else "completed"
    reasoning = {
        "type": "reasoning",
        "id": job.id.replace("resp_", "rs_"),
        "summary": [{"type": "summary_text", "text": gen.reasoning}],
    }
    message = {
        "type": "message",
        "id": job.id.replace("resp_", "msg_"),
        "status": status,
        "role": "assistant",
        "content": [output_text_part(gen.text)],
    }
    return {
        "id": job.id,
        "object": "response",
        "created_at": job.created,
        "status": status,
        "model": job.model,
        "output": [reasoning, message],
        "usage": responses_usage(job),
        "incomplete_details": {"reason": "max_output_tokens"} if status != "completed" else None,
        "error": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
    }


def responses_usage(job: Job) -> dict[str, Any]:
    return {
        "input_tokens": job.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": job.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": job.prompt_tokens + job.completion_tokens,
    }


def reasoning_events(item: dict[str, Any], output_index: int) -> Iterator[dict[str, Any]]:
    text = item["summary"][0]["text"]
    where = {"item_id": item["id"], "output_index": output_index, "summary_index": 0}
    part = {"type": "summary_text", "text": text}
    yield {
        "type": "response.output_item.added",
        "output_index": output_index,
        "item": {**item, "summary": []},
    }
    yield {"type": "response.reasoning_summary_part.added", **where, "part": {**part, "text": ""}}
    for piece in stream_pieces(text, REASONING_WORDS_PER_CHUNK):
        yield {"type": "response.reasoning_summary_text.delta", **where, "delta": piece}
    yield {"type": "response.reasoning_summary_text.done", **where, "text": text}
    yield {"type": "response.reasoning_summary_part.done", **where, "part": part}
    yield {"type": "response.output_item.done", "output_index": output_index, "item": item}


def message_events(item: dict[str, Any], output_index: int) -> Iterator[dict[str, Any]]:
    part = item["content"][0]
    where = {"item_id": item["id"], "output_index": output_index, "content_index": 0}
    pending = {**item, "status": "in_progress", "content": []}
    yield {"type": "response.output_item.added", "output_index": output_index, "item": pending}
    yield {"type": "response.content_part.added", **where, "part": output_text_part("")}
    for piece in stream_pieces(part["text"]):
        yield {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
    yield {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []}
    yield {"type": "response.content_part.done", **where, "part": part}
    yield {"type": "response.output_item.done", "output_index": output_index, "item": item}


def response_events(job: Job) -> Iterator[dict[str, Any]]:
    """The Responses event sequence; a truncated answer ends with response.incomplete."""
    final = response_object(job)
    pending = {
        **final,
        "status": "in_progress",
        "output": [],
        "usage": None,
        "incomplete_details": None,
    }
    yield {"type": "response.created", "response": pending}
    yield {"type": "response.in_progress", "response": pending}
    yield from reasoning_events(final["output"][0], 0)
    yield from message_events(final["output"][1], 1)
    yield {"type": f"response.{final['status']}", "response": final}


# --------------------------------------------------------------------------- transport


def data_frames(chunks: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Chat/legacy SSE framing: bare ``data:`` lines, terminated by ``data: [DONE]``."""
    for chunk in chunks:
        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    yield DONE_FRAME


def named_frames(events: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Responses SSE framing: named events with a running sequence_number, no [DONE]."""
    for seq, event in enumerate(events):
        payload = orjson.dumps({**event, "sequence_number": seq})
        yield f"event: {event['type']}\n".encode() + b"data: " + payload + b"\n\n"


async def paced(frames: Iterable[bytes], delay: float) -> AsyncIterator[bytes]:
    """Yield frames with an optional gap, so benchmarks can emulate a model's token rate."""
    for i, frame in enumerate(frames):
        if delay > 0 and i:
            await asyncio.sleep(delay)
        yield frame


def event_stream(request: Request, frames: Iterable[bytes]) -> StreamingResponse:
    delay = request.app.state.delay_per_chunk
    headers = {"cache-control": "no-cache"}
    return StreamingResponse(paced(frames, delay), media_type="text/event-stream", headers=headers)


def error_response(exc: RequestError) -> JSONResponse:
    error = {
        "message": exc.message,
        "type": "invalid_request_error",
        "param": exc.param,
        "code": None,
    }
    return JSONResponse({"error": error}, status_code=400)


def openai_errors(handler: Handler) -> Handler:
    """Route decorator so handlers can simply raise RequestError for any bad input."""

    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except RequestError as exc:
            return error_response(exc)

    return wrapper


# --------------------------------------------------------------------------- routes


@openai_errors
async def chat_completions(request: Request) -> Response:
    job = chat_job(await read_json(request))
    if job.stream:
        return event_stream(request, data_frames(chat_chunks(job)))
    return JSONResponse(chat_completion(job))


@openai_errors
async def completions(request: Request) -> Response:
    job = legacy_job(await read_json(request))
    if job.stream:
        return event_stream(request, data_frames(text_chunks(job)))
    return JSONResponse(text_completion(job))


@openai_errors
async def responses(request: Request) -> Response:
    job = responses_job(await read_json(request))
    if job.stream:
        return event_stream(request, named_frames(response_events(job)))
    return JSONResponse(response_object(job))


async def models(request: Request) -> Response:
    model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "antiextract"}
    return JSONResponse({"object": "list", "data": [model]})


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(delay_per_chunk: float = 0.0) -> Starlette:
    """Build the fake server; ``delay_per_chunk`` seconds are slept between stream frames."""
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
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
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between chunks")
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
