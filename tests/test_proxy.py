"""The reverse-proxy gateway end to end: real uvicorn servers on loopback for the upstream
and the gateway, driven by the official SDKs and by raw httpx where wire details matter."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import io
import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
import uvicorn

from antiextract import Settings
from antiextract.audit import make_logger
from antiextract.ops.proxy import HEALTH_PATH, SERVER_OPTIONS, ProxyApp, build_gateway, run_proxy
from antiextract.settings import SettingsError

from .servers import load_example, serve

PROMPT = "Explain how a reverse proxy forwards streamed answers"
MESSAGES = [{"role": "user", "content": PROMPT}]


# --------------------------------------------------------------------------- upstream apps


class Counting:
    """Wraps an upstream app and counts the HTTP requests that reached it, the requests
    whose app call returned, and the response body messages it sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: Counter[tuple[str, str]] = Counter()
        self.finished = 0
        self.bodies_sent = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def counted(message: dict) -> None:
            await send(message)
            self.bodies_sent += message["type"] == "http.response.body"

        if scope["type"] == "http":
            self.calls[(scope["method"], scope["path"])] += 1
        try:
            await self.app(scope, receive, counted)
        finally:
            if scope["type"] == "http":
                self.finished += 1


def wait_until(done: Any, seconds: float = 15.0) -> None:
    """Polls ``done()`` (a guard against a hang, not a speed limit: the assertions that
    follow say whether what happened was the right thing)."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


async def read_body(receive: Any) -> tuple[bytes, int]:
    chunks, messages = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ConnectionError("client left")
        messages += 1
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), messages


async def respond(send: Any, status: int, body: bytes, headers: list | None = None) -> None:
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head + (headers or [])})
    await send({"type": "http.response.body", "body": body})


# Hop-by-hop fields the echo upstream answers with; none may reach the client.
UPSTREAM_HOPS = [
    (b"connection", b"x-upstream-hop"),
    (b"x-upstream-hop", b"1"),
    (b"keep-alive", b"timeout=30"),
    (b"proxy-authenticate", b"Basic realm=upstream"),
    (b"trailer", b"x-checksum"),
    (b"upgrade", b"h2c"),
]
GZIPPED = gzip.compress(b'{"answer": "' + b"compressible " * 200 + b'"}')


async def echo_app(scope: dict, receive: Any, send: Any) -> None:
    """Reports what it received: method, path, query, headers, body size and digest."""
    if scope["type"] != "http":
        return
    if scope["path"].endswith("/gzip"):
        await read_body(receive)
        await respond(send, 200, GZIPPED, [(b"content-encoding", b"gzip")])
        return
    try:
        body, messages = await read_body(receive)
    except ConnectionError:
        return  # the gateway abandoned the request mid-body
    doc = {
        "method": scope["method"],
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "messages": messages,
    }
    extra = [(b"x-upstream-normal", b"1"), (b"set-cookie", b"sid=upstream; Path=/"), *UPSTREAM_HOPS]
    status = 418 if scope["path"].endswith("/teapot") else 200
    await respond(send, status, json.dumps(doc).encode(), extra)


class SlowApp:
    """Never answers: waits (at most 10 s) for its client to go away, and records how each
    wait ended ("http.disconnect" or "timeout")."""

    def __init__(self) -> None:
        self.ended: list[str] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await read_body(receive)
        try:
            self.ended.append((await asyncio.wait_for(receive(), 10))["type"])
        except TimeoutError:
            self.ended.append("timeout")


slow_app = SlowApp()


async def broken_app(scope: dict, receive: Any, send: Any) -> None:
    """Starts a stream, sends one event, then dies (uvicorn drops the connection)."""
    if scope["type"] != "http":
        return
    await read_body(receive)
    head = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": head})
    await send({"type": "http.response.body", "body": b"data: one\n\n", "more_body": True})
    await asyncio.sleep(0.1)
    raise RuntimeError("upstream crashed mid-stream (on purpose)")


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"storage_uri": "memory://", "account_limits": "", "ip_limits": ""}
    return Settings(**{**base, **overrides})


def gateway(upstream: str, log: io.StringIO | None = None, **overrides: Any) -> Any:
    logger = make_logger(stream=log if log is not None else io.StringIO())
    return build_gateway(upstream, settings(**overrides), logger=logger)


def serve_gateway(app: Any) -> Any:
    """Like ``serve``, with the uvicorn options ``run_proxy`` uses (no proxy-header rewriting
    of the peer address, lifespan on)."""
    return serve(app, **SERVER_OPTIONS)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, Counting]]:
    counting = Counting(load_example("openai_server").create_app())
    with serve(counting) as url:
        yield url, counting


@pytest.fixture(scope="module")
def gw(fake: tuple[str, Counting]) -> Iterator[str]:
    with serve_gateway(gateway(fake[0])) as url:
        yield url


@pytest.fixture
def oai(gw: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gw}/v1", api_key="sk-proxy", max_retries=0)


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[str, str]]:
    """(upstream url, gateway url): the echo app behind a full gateway."""
    with serve(echo_app) as upstream:
        app = gateway(upstream, bucket_capacity=10**9)
        with serve_gateway(app) as url:
            yield upstream, url


# --------------------------------------------------------------------------- OpenAI SDK


def test_chat_completion_through_the_gateway(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="m", messages=MESSAGES, max_tokens=12)
    assert completion.choices[0].message.content.startswith("Echo: Explain how a reverse")
    assert len(completion.choices[0].message.content.split()) == 12
    assert completion.usage.completion_tokens == 12
    assert completion.usage.prompt_tokens == len(PROMPT.split())


def test_chat_stream_reassembles_with_usage(oai: openai.OpenAI) -> None:
    expected = oai.chat.completions.create(model="m", messages=MESSAGES, max_tokens=30)
    chunks = list(
        oai.chat.completions.create(
            model="m",
            messages=MESSAGES,
            max_tokens=30,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 30


def test_legacy_completions(oai: openai.OpenAI) -> None:
    completion = oai.completions.create(model="m", prompt="say something", max_tokens=5)
    assert completion.choices[0].text.startswith("Echo: say something")
    assert completion.usage.completion_tokens == 5


def test_responses_api(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model="m", input="hello responses", max_output_tokens=8)
    assert response.output_text.startswith("Echo: hello responses")
    assert response.usage.output_tokens == 8
    events = list(
        oai.responses.create(model="m", input="hello responses", max_output_tokens=8, stream=True)
    )
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == response.output_text
    assert events[-1].response.usage.output_tokens == 8


def test_models_list_is_forwarded(oai: openai.OpenAI, fake: tuple[str, Counting]) -> None:
    before = fake[1].calls[("GET", "/v1/models")]
    assert [m.id for m in oai.models.list()] == ["fake-model"]
    assert fake[1].calls[("GET", "/v1/models")] == before + 1


def test_health_is_answered_by_the_gateway(gw: str, fake: tuple[str, Counting]) -> None:
    before = sum(fake[1].calls.values())
    response = httpx.get(gw + HEALTH_PATH)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert httpx.post(gw + HEALTH_PATH).status_code == 405
    assert sum(fake[1].calls.values()) == before


def test_throttled_requests_never_reach_the_upstream() -> None:
    counting = Counting(load_example("openai_server").create_app())
    log = io.StringIO()
    with (
        serve(counting) as upstream,
        serve_gateway(gateway(upstream, log, account_limits="1/hour")) as gw,
    ):
        client = openai.OpenAI(base_url=f"{gw}/v1", api_key="sk-once", max_retries=0)
        client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=4)
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="m", messages=MESSAGES, max_tokens=4)
    assert counting.calls[("POST", "/v1/chat/completions")] == 1
    assert err.value.response.headers["x-should-retry"] == "false"
    assert '"action":"throttle"' in log.getvalue()


# --------------------------------------------------------------------------- upstream failures


@pytest.fixture(scope="module")
def dead_gateway() -> Iterator[str]:
    with serve_gateway(gateway(f"http://127.0.0.1:{closed_port()}")) as url:
        yield url


def test_unreachable_upstream_is_a_502_in_openai_format(dead_gateway: str) -> None:
    response = httpx.post(f"{dead_gateway}/v1/chat/completions", json={"model": "m"})
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["type"] == "service_unavailable" and error["code"] == "upstream_unreachable"
    client = openai.OpenAI(base_url=f"{dead_gateway}/v1", api_key="sk-x", max_retries=0)
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert err.value.status_code == 502


def test_unreachable_upstream_is_a_502_in_anthropic_format(dead_gateway: str) -> None:
    body = {"model": "c", "max_tokens": 8, "messages": MESSAGES}
    response = httpx.post(f"{dead_gateway}/v1/messages", json=body)
    assert response.status_code == 502
    doc = response.json()
    assert doc["type"] == "error" and doc["error"]["type"] == "overloaded_error"
    client = anthropic.Anthropic(base_url=dead_gateway, api_key="x", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as err:
        client.messages.create(model="c", max_tokens=8, messages=MESSAGES)
    assert err.value.status_code == 502
    assert err.value.body["error"]["type"] == "overloaded_error"


def test_upstream_timeout_is_a_504_in_the_paths_format() -> None:
    with serve(slow_app) as upstream:
        app = build_gateway(
            upstream, settings(), timeout=0.5, logger=make_logger(stream=io.StringIO())
        )
        with serve_gateway(app) as gw:
            # (the gateway's 0.5 s timeout answers 504; the client's 10 s would raise)
            chat = httpx.post(f"{gw}/v1/chat/completions", json={"model": "m"}, timeout=10)
            messages = httpx.post(f"{gw}/v1/messages", json={"model": "c"}, timeout=10)
    assert chat.status_code == 504 and chat.json()["error"]["code"] == "upstream_timeout"
    assert messages.status_code == 504 and messages.json()["type"] == "error"


def test_no_free_upstream_connection_is_a_503() -> None:
    with serve(slow_app) as upstream:
        busy = ProxyApp(upstream, timeout=httpx.Timeout(5.0, pool=0.3), max_connections=1)
        with serve_gateway(busy) as gw:
            url = f"{gw}/v1/chat/completions"
            with httpx.Client(timeout=3) as first:
                args = (first.post, url)
                pending = threading.Thread(target=_quietly, args=args, daemon=True)
                pending.start()
                time.sleep(0.3)  # the only pooled connection is now waiting on slow_app
                second = httpx.post(url, content=b"{}", timeout=5)  # pool timeout 0.3 s
                pending.join(5)
    assert second.status_code == 503
    assert second.json()["error"]["code"] == "upstream_busy"


def _quietly(post: Any, url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # ends with a ReadTimeout, by design
        post(url, content=b"{}")


def test_upstream_4xx_is_passed_through_byte_identical(fake: tuple[str, Counting], gw: str) -> None:
    bad = {"model": "m", "messages": []}  # the fake answers 400 in OpenAI format
    direct = httpx.post(f"{fake[0]}/v1/chat/completions", json=bad)
    proxied = httpx.post(f"{gw}/v1/chat/completions", json=bad)
    assert direct.status_code == proxied.status_code == 400
    assert proxied.content == direct.content
    for name in ("content-type", "content-length"):
        assert proxied.headers[name] == direct.headers[name]
    missing = httpx.get(f"{gw}/v1/no-such-route")
    assert missing.status_code == 404
    assert missing.content == httpx.get(f"{fake[0]}/v1/no-such-route").content


def test_upstream_dying_mid_stream_ends_the_response() -> None:
    with serve(broken_app) as upstream, serve_gateway(gateway(upstream)) as gw:
        received = b""
        with pytest.raises(httpx.RemoteProtocolError):  # noqa: SIM117
            with httpx.stream("POST", f"{gw}/v1/chat/completions", json={}, timeout=10) as r:
                assert r.status_code == 200
                for chunk in r.iter_raw():
                    received += chunk
        assert received == b"data: one\n\n"  # what was sent arrived; the truncation shows
        assert httpx.get(gw + HEALTH_PATH).status_code == 200


# --------------------------------------------------------------------------- wire details


def test_hop_by_hop_headers_are_dropped_both_ways(echo: tuple[str, str]) -> None:
    upstream, gw = echo
    sent = {
        "Connection": "keep-alive, X-Client-Hop",
        "X-Client-Hop": "secret",
        "Keep-Alive": "timeout=5",
        "Proxy-Authorization": "Basic Zm9vOmJhcg==",
        "Proxy-Connection": "keep-alive",
        "TE": "trailers",
        "Trailer": "x-checksum",
        "Upgrade": "h2c",
        "Authorization": "Bearer sk-end-to-end",
        "User-Agent": "probe/1.0",
        "X-Forwarded-For": "198.51.100.7",
        "X-Forwarded-Proto": "https",
    }
    response = httpx.post(f"{gw}/v1/anything", headers=sent, content=b"{}")
    assert response.status_code == 200
    got = {k: v for k, v in response.json()["headers"]}
    for hop in ("connection", "x-client-hop", "keep-alive", "proxy-authorization"):
        assert hop not in got
    for hop in ("proxy-connection", "te", "trailer", "upgrade", "transfer-encoding"):
        assert hop not in got
    assert got["authorization"] == "Bearer sk-end-to-end"
    assert got["user-agent"] == "probe/1.0"  # no client library defaults added
    assert got["host"] == httpx.URL(upstream).netloc.decode()
    assert got["x-forwarded-for"] == "198.51.100.7, 127.0.0.1"
    assert got["x-forwarded-proto"] == "http"
    assert got["x-forwarded-host"] == httpx.URL(gw).netloc.decode()
    assert got["content-length"] == "2"
    back = response.headers
    assert back["x-upstream-normal"] == "1"
    assert back["set-cookie"] == "sid=upstream; Path=/"
    for hop in ("x-upstream-hop", "keep-alive", "proxy-authenticate", "trailer", "upgrade"):
        assert hop not in back
    assert back.get("connection") is None
    # the shared upstream client keeps no cookies for the next caller
    again = httpx.post(f"{gw}/v1/anything", content=b"{}").json()
    assert "cookie" not in dict(again["headers"])


def test_x_forwarded_for_is_set_from_the_peer(echo: tuple[str, str]) -> None:
    got = dict(httpx.get(f"{echo[1]}/v1/models").json()["headers"])
    assert got["x-forwarded-for"] == "127.0.0.1"
    assert "content-length" not in got and "transfer-encoding" not in got  # a bodiless GET


def test_url_without_raw_path_is_quoted() -> None:
    scope = {"path": "/v1/a b", "query_string": b"x=1"}
    assert str(ProxyApp("http://up:81/p").url_for(scope)) == "http://up:81/p/v1/a%20b?x=1"


@pytest.mark.parametrize(
    "raw", [b"@evil.example:1/secret", b"#/x", b"/v1/chat/completions#x", b"http://evil/x"]
)
def test_the_upstream_url_is_built_from_parts(raw: bytes) -> None:
    """The request-target is the path and query of a URL whose scheme, host and port are
    the upstream's: joined as strings, ``@host:port/x`` made the upstream's address the
    user-info of a URL to any host the client named."""
    proxy = ProxyApp("http://up:81")
    with pytest.raises(httpx.InvalidURL):
        proxy.url_for({"path": raw.decode(), "raw_path": raw, "query_string": b""})
    url = proxy.url_for({"path": "//evil.example/x", "raw_path": b"//evil.example/x",
                         "query_string": b"a=@evil:2"})  # fmt: skip
    assert (url.host, url.port, url.raw_path) == ("up", 81, b"//evil.example/x?a=@evil:2")


def raw_request(base: str, target: str, method: str = "POST") -> tuple[int, bytes]:
    """One HTTP/1.1 request with exactly ``target`` as its request-target (no client
    library would send these); the status and body."""
    url = httpx.URL(base)
    body = b'{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5}'
    head = (
        f"{method} {target} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer sk-target\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_request_targets_that_are_not_paths_are_refused() -> None:
    """h11 keeps what the client wrote: ``/v1/chat/completions#x`` was not a protected
    path to the middleware, and httpx dropped the fragment, so the upstream served the
    chat route unprotected; ``@127.0.0.1:PORT/secret`` was fetched from any host and
    port the client named (an open proxy into the gateway's network). Both, and every
    target that is not an origin-form path, are a 400 in the API's format, before the
    middleware (never charged) and never forwarded; a bare ProxyApp refuses them too."""
    upstream, internal = Counting(echo_app), Counting(echo_app)
    with serve(upstream) as up, serve(internal) as inside:
        port = httpx.URL(inside).port
        targets = [
            ("POST", "/v1/chat/completions#x"),
            ("POST", "/v1/chat/completions?a=b#c"),
            ("POST", f"@127.0.0.1:{port}/v1/chat/completions"),
            ("GET", f"@127.0.0.1:{port}/secret"),
            ("GET", f"http://127.0.0.1:{port}/secret"),
        ]
        for app in (gateway(up, account_limits="1/hour"), ProxyApp(up)):
            with serve_gateway(app) as gw:
                for method, target in targets:
                    status, body = raw_request(gw, target, method)
                    assert status == 400, (target, status, body)
                    error = json.loads(body)["error"]
                    assert error["code"] == "invalid_request_target"
                    assert error["type"] == "invalid_request_error"
                # the refusals took nothing from the account: its one request still passes
                assert raw_request(gw, "/v1/chat/completions")[0] == 200
    assert sum(internal.calls.values()) == 0
    assert upstream.calls == Counter({("POST", "/v1/chat/completions"): 2})


def test_methods_query_and_prefix_are_forwarded() -> None:
    with serve(echo_app) as upstream:
        proxy = ProxyApp(f"{upstream}/base/")
        with serve_gateway(proxy) as gw:
            doc = httpx.request("DELETE", f"{gw}/v1/files/a%2Fb?purpose=x&n=%201").json()
            status = httpx.put(f"{gw}/teapot", content=b"x").status_code
            assert not proxy.client.is_closed
        assert proxy.client.is_closed  # lifespan shutdown closed the pool
    assert doc["method"] == "DELETE"
    assert doc["raw_path"] == "/base/v1/files/a%2Fb"
    assert doc["query"] == "purpose=x&n=%201"
    assert status == 418


def test_content_encoding_is_passed_through_untouched(echo: tuple[str, str]) -> None:
    with httpx.stream("POST", f"{echo[1]}/v1/gzip", content=b"{}") as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert raw == GZIPPED


async def test_streamed_request_body_arrives_intact(echo: tuple[str, str]) -> None:
    parts = [os.urandom(1000 + 37 * i) for i in range(20)]

    async def upload() -> AsyncIterator[bytes]:
        for part in parts:
            yield part
            await asyncio.sleep(0.005)

    async with httpx.AsyncClient() as client:
        response = await client.post(f"{echo[1]}/v1/upload", content=upload())
    doc = response.json()
    whole = b"".join(parts)
    assert doc["size"] == len(whole)
    assert doc["sha256"] == hashlib.sha256(whole).hexdigest()
    assert doc["messages"] > 1  # it was streamed on, not gathered first
    assert dict(doc["headers"]).get("transfer-encoding") == "chunked"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/upload"])
def test_large_body_arrives_intact(echo: tuple[str, str], path: str) -> None:
    body = os.urandom(5 * 1024 * 1024)
    response = httpx.post(echo[1] + path, content=body, timeout=30)
    assert response.status_code == 200
    doc = response.json()
    assert doc["size"] == len(body)
    assert doc["sha256"] == hashlib.sha256(body).hexdigest()
    assert dict(doc["headers"])["content-length"] == str(len(body))


def test_client_disconnect_mid_stream_closes_the_upstream() -> None:
    slow = Counting(load_example("openai_server").create_app(delay_per_chunk=0.05))
    with serve(slow) as upstream, serve_gateway(gateway(upstream)) as gw:
        body = {"model": "m", "messages": MESSAGES, "max_tokens": 200, "stream": True}
        with (
            httpx.Client(base_url=gw, timeout=10) as client,
            client.stream("POST", "/v1/chat/completions", json=body) as response,
        ):
            lines = response.iter_lines()
            assert next(lines).startswith("data: ")  # ~220 frames: 11 s if read to the end
        wait_until(lambda: slow.finished)
        assert slow.finished, "the upstream kept streaming to a client that had left"
        assert slow.bodies_sent < 100, "the upstream streamed on to a client that had left"
        answer = httpx.post(f"{gw}/v1/chat/completions", json={**body, "stream": False})
        assert answer.status_code == 200


def test_client_leaving_before_the_answer_closes_the_upstream() -> None:
    upstream_app = SlowApp()
    with serve(upstream_app) as upstream, serve_gateway(gateway(upstream)) as gw:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{gw}/v1/chat/completions", json={"model": "m"}, timeout=0.5)
        wait_until(lambda: upstream_app.ended)
        # told the client left, rather than waiting out its own 10 s
        assert upstream_app.ended == ["http.disconnect"], "the upstream was left generating"


def test_client_leaving_mid_upload_aborts_the_upstream_request() -> None:
    counting = Counting(echo_app)
    with serve(counting) as upstream, serve_gateway(gateway(upstream)) as gw:
        url = httpx.URL(gw)
        head = b"POST /v1/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000000\r\n\r\n"
        with socket.create_connection((url.host, url.port)) as sock:
            sock.sendall(head + b"x" * 100_000)
            wait_until(lambda: counting.calls)
            assert counting.calls, "the body should have been streamed on before it ended"
        # an upstream still waiting for the rest of the body would never return
        wait_until(lambda: counting.finished)
        assert counting.finished, "the upstream was left waiting for the rest of the body"
        assert httpx.post(f"{gw}/v1/upload", content=b"ok").json()["size"] == 2


def test_a_request_framed_both_ways_is_forwarded_as_the_server_read_it() -> None:
    """Content-Length beside Transfer-Encoding: chunked (a request-smuggling shape): the
    server reads the body as chunked (RFC 9112); the gateway forwarded the Content-Length
    too, next to the streamed body, and the upstream request failed: a 500."""
    body = b'{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5}'
    with serve(echo_app) as upstream, serve_gateway(gateway(upstream)) as gw:
        url = httpx.URL(gw)
        head = (b"POST /v1/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")  # fmt: skip
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        with socket.create_connection((url.host, url.port)) as sock:
            sock.sendall(head + chunked)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    status = data.split(b"\r\n", 1)[0]
    assert status == b"HTTP/1.1 200 OK", status
    doc = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert doc["size"] == len(body) and doc["sha256"] == hashlib.sha256(body).hexdigest()
    framing = dict(doc["headers"])
    assert framing.get("content-length", str(len(body))) == str(len(body))  # never the 3


# --------------------------------------------------------------------------- lifespan, setup


async def test_lifespan_closes_the_client_it_owns() -> None:
    owned = ProxyApp("http://127.0.0.1:9")
    given = httpx.AsyncClient()
    borrowed = ProxyApp("http://127.0.0.1:9", client=given)
    for app in (owned, borrowed):
        inbox: asyncio.Queue = asyncio.Queue()
        for kind in ("lifespan.startup", "lifespan.shutdown"):
            inbox.put_nowait({"type": kind})
        sent: list[dict] = []

        async def collect(message: dict, sent: list[dict] = sent) -> None:
            sent.append(message)

        await asyncio.wait_for(app({"type": "lifespan"}, inbox.get, collect), 5)
        assert [m["type"] for m in sent] == [
            "lifespan.startup.complete",
            "lifespan.shutdown.complete",
        ]
    assert owned.client.is_closed
    assert not given.is_closed
    await given.aclose()


@pytest.mark.parametrize(
    "upstream", ["127.0.0.1:8000", "ftp://host", "http://user:pw@host", "http://h/?q=1"]
)
def test_bad_upstreams_are_refused(upstream: str) -> None:
    with pytest.raises(ValueError):
        ProxyApp(upstream)
    with pytest.raises(SettingsError, match="invalid upstream"):
        run_proxy(upstream)


def test_run_proxy_needs_an_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIEXTRACT_UPSTREAM", raising=False)
    with pytest.raises(SettingsError, match="ANTIEXTRACT_UPSTREAM"):
        run_proxy()


def test_run_proxy_serves_the_env_upstream(
    monkeypatch: pytest.MonkeyPatch, fake: tuple[str, Counting]
) -> None:

    import socket

    seen: dict[str, Any] = {}

    def served(server: Any, sockets: Any = None) -> None:  # uvicorn.Server.run, recorded
        bound = [sock.getsockname()[1] for sock in sockets or ()]
        seen.update(config=server.config, sockets=sockets, bound=bound)
        server.started = True

    monkeypatch.setenv("ANTIEXTRACT_UPSTREAM", fake[0])
    monkeypatch.setattr(uvicorn.Server, "run", served)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_proxy(port=port, settings=settings())
    config = seen["config"]
    assert config.port == port and config.lifespan == "on" and config.proxy_headers is False
    assert config.app.proxy.upstream == fake[0]
    # the client socket was bound before uvicorn was handed it
    assert seen["bound"] == [port]
    assert seen["sockets"][0].fileno() == -1  # and closed once uvicorn returned
