"""Proof-of-work challenges: tokens, work, replay, and the client helper end to end."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import threading
import time

import anthropic
import httpx
import httpx2
import openai
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from antiextract.client import (
    ChallengeAuth,
    anthropic_http_client,
    http_module,
    openai_http_client,
)
from antiextract.request import challenge as ch
from antiextract.request.apis import CHAT, MESSAGES
from antiextract.request.challenge import (
    challenge_response,
    difficulty_for,
    issue,
    parse_solution_header,
    peek,
    solve,
    verify,
)
from antiextract.store.passes import (
    ALLOWANCE_REQUESTS,
    ALLOWANCE_SECONDS,
    Allowance,
    MemoryReplayGuard,
    RedisReplayGuard,
)

from .conftest import SimClock, redis_client
from .servers import serve

OLD = b"old-secret-0123456789abcdef"
NEW = b"new-secret-0123456789abcdef"
KEYS = [NEW]
T0 = 1_800_000_000.0


def tamper(token: str, offset: int, value: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[offset] = value
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def solved(account: str = "acct", bits: int = 8, now: float = T0, keys=KEYS) -> tuple[str, str]:
    token = issue(account, bits, now, keys)
    return token, solve(token)


# --- tokens -----------------------------------------------------------------------------


def test_round_trip() -> None:
    token, solution = solved()
    assert len(token) == 104 and token.isascii()
    verdict = verify(token, solution, "acct", T0 + 1, KEYS)
    assert verdict.ok and verdict.reason == "ok"
    assert verdict.expires_at == T0 + 120 and verdict.difficulty == 8
    assert verdict.token_id and len(verdict.token_id) == 32
    digest = hashlib.sha256(f"{token}:{solution}".encode()).digest()
    assert int.from_bytes(digest, "big") >> (256 - 8) == 0


def test_tokens_are_unique_and_do_not_reveal_the_account() -> None:
    account = "customer-42@example.com"
    tokens = {issue(account, 8, T0, KEYS) for _ in range(50)}
    assert len(tokens) == 50  # the random nonce
    raw = base64.urlsafe_b64decode(next(iter(tokens)))
    assert account.encode() not in raw
    assert hashlib.sha256(account.encode()).digest()[:8] not in raw
    assert NEW not in raw


@pytest.mark.parametrize(
    ("offset", "field"),
    [
        (1, "key id"),
        (5, "issued"),
        (12, "expiry"),
        (13, "difficulty"),
        (20, "nonce"),
        (35, "account"),
        (60, "tag"),
    ],
)
def test_tampered_field_is_forged(offset: int, field: str) -> None:
    token, _ = solved()
    raw = base64.urlsafe_b64decode(token)
    forged = tamper(token, offset, raw[offset] ^ 0x01)
    # whatever the solution, a changed field breaks the signature
    verdict = verify(forged, solve(forged), "acct", T0 + 1, KEYS)
    assert verdict.reason == "forged", field
    assert not verdict.ok


def test_lowered_difficulty_is_forged() -> None:
    token = issue("acct", 20, T0, KEYS)
    easy = tamper(token, 13, 0)
    assert peek(easy).difficulty == 0
    assert verify(easy, "0", "acct", T0, KEYS).reason == "forged"


def test_wrong_secret_is_forged() -> None:
    token, solution = solved(keys=[b"attacker-secret-0123456789"])
    assert verify(token, solution, "acct", T0, KEYS).reason == "forged"


def test_expiry_on_simulated_time() -> None:
    clock = SimClock(T0)
    token = issue("acct", 4, clock(), KEYS, ttl=30)
    solution = solve(token)
    clock.advance(29.9)
    assert verify(token, solution, "acct", clock(), KEYS).ok
    clock.advance(0.1)
    verdict = verify(token, solution, "acct", clock(), KEYS)
    assert verdict.reason == "expired" and verdict.expires_at == T0 + 30


def test_wrong_account() -> None:
    token, solution = solved("alice")
    assert verify(token, solution, "bob", T0, KEYS).reason == "wrong_account"
    assert verify(token, solution, "alice", T0, KEYS).ok


def test_insufficient_work() -> None:
    token = issue("acct", 16, T0, KEYS)
    bad = next(s for s in map(str, range(100)) if not ch.has_work(token, s, 16))
    assert verify(token, bad, "acct", T0, KEYS).reason == "insufficient_work"


def test_rotation() -> None:
    token, solution = solved(keys=[OLD])
    assert verify(token, solution, "acct", T0, [NEW, OLD]).ok  # old secret still listed
    assert verify(token, solution, "acct", T0, [NEW]).reason == "forged"  # removed
    fresh, fresh_solution = solved(keys=[NEW, OLD])  # signs with the first secret
    assert verify(fresh, fresh_solution, "acct", T0, [NEW]).ok
    assert verify(fresh, fresh_solution, "acct", T0, [OLD]).reason == "forged"


@pytest.mark.parametrize(
    ("token", "solution"),
    [
        ("", "1"),
        ("x" * 104, "1"),
        (None, "1"),
        (b"bytes", "1"),
        ("valid", None),
    ],
)
def test_malformed_values(token, solution) -> None:
    token = solved()[0] if token == "valid" else token
    verdict = verify(token, solution, "acct", T0, KEYS)
    assert verdict.reason == "malformed" and verdict.token_id is None


def test_malformed_shapes() -> None:
    token, solution = solved()
    cases = [
        (token + "=", solution),  # padding: not canonical
        (token[:-1], solution),
        (token[:-1] + "!", solution),  # invalid character the decoder would skip
        (" " + token, solution),
        (token, ""),
        (token, "a:b"),
        (token, "x" * 65),
        (token, "é"),
        (tamper(token, 0, 2), solution),  # unknown version
    ]
    for bad_token, bad_solution in cases:
        verdict = verify(bad_token, bad_solution, "acct", T0, KEYS)
        assert verdict.reason == "malformed" and not verdict.ok, (bad_token, bad_solution)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.text(max_size=80), st.text(max_size=20))
def test_garbage_never_raises(token: str, solution: str, account: str) -> None:
    verdict = verify(token, solution, account, T0, KEYS)
    assert not verdict.ok and verdict.reason in ("malformed", "forged")
    parsed = parse_solution_header(f"{token}:{solution}")
    if parsed is not None:
        assert verify(*parsed, account, T0, KEYS).reason in ("malformed", "forged")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        min_size=104,
        max_size=104,
    ),
    st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
)
def test_well_shaped_garbage_is_refused(token: str, solution: str) -> None:
    verdict = verify(token, solution, "acct", T0, KEYS)
    assert verdict.reason in ("malformed", "forged")


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=78, max_size=78))
def test_byte_level_garbage_is_refused(raw: bytes) -> None:
    token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert verify(token, "1", "acct", T0, KEYS).reason in ("malformed", "forged")


def test_bad_configuration_raises() -> None:
    with pytest.raises(ValueError):
        issue("a", 8, T0, [])
    with pytest.raises(ValueError):
        issue("a", 8, T0, [b"short"])
    with pytest.raises(ValueError):
        issue("a", 65, T0, KEYS)
    with pytest.raises(ValueError):
        issue("a", 8, T0, KEYS, ttl=0)
    with pytest.raises(ValueError):
        verify("t", "s", "a", T0, [])


def test_solution_header() -> None:
    token, solution = solved()
    assert parse_solution_header(f"{token}:{solution}") == (token, solution)
    assert parse_solution_header(f" {token}:{solution} ") == (token, solution)
    for bad in ("", ":", "abc", f"{token}:", f":{solution}", None, 3):
        assert parse_solution_header(bad) is None


# --- difficulty and solving ---------------------------------------------------------------


def test_difficulty_grows_with_risk() -> None:
    risks = [i / 10 for i in range(121)]  # 0 .. 12 on the policy's scale
    bits = [difficulty_for(r) for r in risks]
    assert bits == sorted(bits)
    assert bits[0] == 16 and difficulty_for(6.0) == 16  # at challenge_at: the base
    assert difficulty_for(7.5) == 20 and difficulty_for(9.0) == 24  # block_at: the ceiling
    assert difficulty_for(-3) == 16 and difficulty_for(70) == 24
    assert difficulty_for(math.nan) == 24 and difficulty_for(math.inf) == 24
    assert difficulty_for(0.5, base=10, max_bits=12, low=0, high=1) == 11
    assert difficulty_for(5, low=5, high=5) == 24  # degenerate range: a step
    with pytest.raises(ValueError):
        difficulty_for(0.5, base=20, max_bits=18)


def test_twelve_bit_solutions_verify_for_their_account_only() -> None:
    for n in range(5):
        token = issue(f"acct{n}", 12, T0, KEYS)
        solution = solve(token)
        assert verify(token, solution, f"acct{n}", T0, KEYS).ok
        assert not verify(token, solution, f"acct{n + 1}", T0, KEYS).ok


def test_solve_can_be_cancelled() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ch.SolveCancelled):
        solve(issue("a", 40, T0, KEYS), cancel=cancel)
    with pytest.raises(ValueError):
        solve("not a token")


# --- allowance --------------------------------------------------------------------------


def test_allowance_counts_requests_and_time() -> None:
    allowance = Allowance.granted(T0)
    assert allowance.expires_at == T0 + ALLOWANCE_SECONDS
    served = 1  # the request carrying the solution
    while (nxt := allowance.spend(T0 + 1)) is not None:
        allowance = nxt
        served += 1
    assert served == ALLOWANCE_REQUESTS
    fresh = Allowance.granted(T0)
    assert fresh.spend(T0 + ALLOWANCE_SECONDS) is None
    assert fresh.valid(T0 + ALLOWANCE_SECONDS - 1)


# --- replay guards ----------------------------------------------------------------------


async def test_memory_replay_guard_rejects_second_use() -> None:
    guard = MemoryReplayGuard(max_entries=10)
    token, solution = solved()
    verdict = verify(token, solution, "acct", T0, KEYS)
    assert await guard.first_use(verdict.token_id, verdict.expires_at, T0)
    assert not await guard.first_use(verdict.token_id, verdict.expires_at, T0 + 1)
    assert not await guard.first_use(verdict.token_id, verdict.expires_at, T0 + 119)
    # once expired, the entry is dropped (verify refuses the token by then anyway)
    assert await guard.first_use("other", T0 + 300, T0 + 121)
    assert len(guard) == 1


async def test_memory_replay_guard_is_bounded_and_fails_closed() -> None:
    guard = MemoryReplayGuard(max_entries=3)
    for n in range(3):
        assert await guard.first_use(f"t{n}", T0 + 10 + n, T0)
    assert not await guard.first_use("t3", T0 + 20, T0)  # full of live tokens: refuse
    assert not await guard.first_use("t0", T0 + 10, T0 + 5)  # still remembered
    assert await guard.first_use("t3", T0 + 20, T0 + 10.5)  # t0 expired, room again
    assert len(guard) == 3
    assert not await guard.first_use("t3", T0 + 20, T0 + 11)


async def test_redis_replay_guard_rejects_second_use_and_sets_ttl() -> None:
    client = await redis_client()  # flushed
    try:
        guard = RedisReplayGuard(client, prefix="aetest", grace=5)
        token, solution = solved()
        verdict = verify(token, solution, "acct", T0 + 20, KEYS)
        assert verdict.ok
        assert await guard.first_use(verdict.token_id, verdict.expires_at, T0 + 20)
        assert not await guard.first_use(verdict.token_id, verdict.expires_at, T0 + 21)
        key = f"aetest:challenge:{verdict.token_id}"
        ttl = await client.ttl(key)
        assert 100 <= ttl <= 105  # 100 s of validity left + 5 s grace, never persistent
        assert await guard.first_use("another", T0 + 1, T0 + 0.5)
        assert 1 <= await client.ttl("aetest:challenge:another") <= 6
    finally:
        await client.aclose()


async def test_redis_replay_guard_raises_store_error_when_down() -> None:
    import redis.asyncio as aioredis

    from antiextract.store.base import StoreError

    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        with pytest.raises(StoreError):
            await RedisReplayGuard(client).first_use("t", T0 + 10, T0)
    finally:
        await client.aclose()


# --- the response -----------------------------------------------------------------------


@pytest.mark.parametrize("family", [CHAT, MESSAGES])
def test_challenge_response_wire_contract(family) -> None:
    token = issue("acct", 18, T0, KEYS)
    status, headers, body = challenge_response(family, token, 18, "https://example.com/verify")
    assert status == 403
    h = dict(headers)
    assert all(k == k.lower() and isinstance(v, bytes) for k, v in headers)
    assert h[b"antiextract-challenge"] == token.encode()
    assert h[b"antiextract-difficulty"] == b"18"
    assert h[b"x-should-retry"] == b"false"
    assert h[b"cache-control"] == b"no-store"
    assert h[b"content-type"] == b"application/json"
    assert int(h[b"content-length"]) == len(body)
    doc = orjson.loads(body)
    error = doc["error"]
    assert error["type"] == "permission_error"
    assert "18 zero bits" in error["message"] and "AntiExtract-Solution" in error["message"]
    assert "https://example.com/verify" in error["message"]
    assert "within 120 s" in error["message"]
    if family is CHAT:
        assert error["code"] == "challenge_required"
    else:
        assert doc["type"] == "error"


# --- client helper end to end -------------------------------------------------------------


BITS = 12
CHAT_REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "fake-model",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "solved"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
MESSAGE_REPLY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "fake-model",
    "content": [{"type": "text", "text": "solved"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


class ChallengeServer:
    """Challenges every request unless it carries a fresh, valid solution."""

    def __init__(self, bits: int = BITS) -> None:
        self.bits = bits
        self.secrets = [b"server-secret-0123456789abcdef"]
        self.guard = MemoryReplayGuard(1000)
        self.seen: list[dict] = []
        routes = [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/messages", self.messages, methods=["POST"]),
        ]
        self.app = Starlette(routes=routes)

    @staticmethod
    def account(request: Request) -> str:
        return request.headers.get("authorization") or request.headers.get("x-api-key", "")

    async def gate(self, request: Request, family, reply: dict) -> Response:
        body = await request.body()
        header = request.headers.get("antiextract-solution")
        record = {"solution": header, "body": json.loads(body), "verdict": None}
        self.seen.append(record)
        account, now = self.account(request), time.time()
        parsed = parse_solution_header(header)
        if parsed is not None:
            verdict = verify(*parsed, account, now, self.secrets)
            record["verdict"] = verdict.reason
            if verdict.ok and await self.guard.first_use(verdict.token_id, verdict.expires_at, now):
                return JSONResponse(reply)
            if verdict.ok:
                record["verdict"] = "replay"
        token = issue(account, self.bits, now, self.secrets)
        status, headers, content = challenge_response(family, token, self.bits)
        response = Response(content, status)
        response.raw_headers = headers
        return response

    async def chat(self, request: Request) -> Response:
        return await self.gate(request, CHAT, CHAT_REPLY)

    async def messages(self, request: Request) -> Response:
        return await self.gate(request, MESSAGES, MESSAGE_REPLY)


ASK = {"model": "fake-model", "messages": [{"role": "user", "content": "hello"}]}


def assert_solved_once(server: ChallengeServer) -> None:
    assert len(server.seen) == 2  # the challenge, then the solved resend
    first, second = server.seen
    assert first["solution"] is None
    assert second["verdict"] == "ok"
    assert second["body"] == first["body"]  # the body was sent again unchanged
    assert second["body"]["messages"][0]["content"] == "hello"


def test_sdks_use_httpx2() -> None:
    assert http_module("openai") is httpx2
    assert http_module("anthropic") is httpx2
    assert isinstance(openai_http_client(), httpx2.Client)
    assert isinstance(anthropic_http_client(sync=False), httpx2.AsyncClient)
    assert isinstance(ChallengeAuth(), httpx.Auth) and isinstance(ChallengeAuth(), httpx2.Auth)


def test_openai_sync_with_helper() -> None:
    server = ChallengeServer()
    with serve(server.app) as url, openai_http_client() as http:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", http_client=http)
        answer = client.chat.completions.create(**ASK)
    assert answer.choices[0].message.content == "solved"
    assert_solved_once(server)


async def test_openai_async_with_helper() -> None:
    server = ChallengeServer()
    with serve(server.app) as url:
        async with openai_http_client(sync=False) as http:
            client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="sk-x", http_client=http)
            answer = await client.chat.completions.create(**ASK)
    assert answer.choices[0].message.content == "solved"
    assert_solved_once(server)


def test_openai_with_a_legacy_httpx_client() -> None:
    server = ChallengeServer()
    with serve(server.app) as url, httpx.Client(auth=ChallengeAuth()) as http:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", http_client=http)
        answer = client.chat.completions.create(**ASK)
    assert answer.choices[0].message.content == "solved"
    assert_solved_once(server)


def test_anthropic_sync_with_helper() -> None:
    server = ChallengeServer()
    with serve(server.app) as url, anthropic_http_client() as http:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-x", http_client=http)
        answer = client.messages.create(max_tokens=8, **ASK)
    assert answer.content[0].text == "solved"
    assert_solved_once(server)


async def test_anthropic_async_with_helper() -> None:
    server = ChallengeServer()
    with serve(server.app) as url:
        async with anthropic_http_client(sync=False) as http:
            client = anthropic.AsyncAnthropic(base_url=url, api_key="sk-ant-x", http_client=http)
            answer = await client.messages.create(max_tokens=8, **ASK)
    assert answer.content[0].text == "solved"
    assert_solved_once(server)


def test_openai_without_helper_fails_cleanly_without_retrying() -> None:
    server = ChallengeServer()
    with serve(server.app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", max_retries=3)
        with pytest.raises(openai.PermissionDeniedError) as err:
            client.chat.completions.create(**ASK)
    assert len(server.seen) == 1  # no retry
    assert err.value.status_code == 403
    assert err.value.code == "challenge_required"
    headers = err.value.response.headers
    assert peek(headers["antiextract-challenge"]).difficulty == BITS
    assert headers["antiextract-difficulty"] == str(BITS)


def test_anthropic_without_helper_fails_cleanly_without_retrying() -> None:
    server = ChallengeServer()
    with serve(server.app) as url:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-x", max_retries=3)
        with pytest.raises(anthropic.PermissionDeniedError) as err:
            client.messages.create(max_tokens=8, **ASK)
    assert len(server.seen) == 1
    assert err.value.body["error"]["type"] == "permission_error"
    assert "antiextract-challenge" in err.value.response.headers


def test_a_caller_can_solve_by_hand_from_the_sdk_error() -> None:
    server = ChallengeServer()
    with serve(server.app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", max_retries=0)
        with pytest.raises(openai.PermissionDeniedError) as err:
            client.chat.completions.create(**ASK)
        token = err.value.response.headers["antiextract-challenge"]
        header = {"AntiExtract-Solution": f"{token}:{solve(token)}"}
        answer = client.chat.completions.create(extra_headers=header, **ASK)
        assert answer.choices[0].message.content == "solved"
        with pytest.raises(openai.PermissionDeniedError):  # a solution is good once
            client.chat.completions.create(extra_headers=header, **ASK)
    assert [r["verdict"] for r in server.seen] == [None, "ok", "replay"]


# --- the helper in isolation --------------------------------------------------------------


def mock_challenger(bits: int, log: list, module=httpx2):
    secrets = [b"mock-secret-0123456789abcdef"]

    def handler(request):
        log.append(request)
        header = request.headers.get("antiextract-solution")
        parsed = parse_solution_header(header)
        if parsed and verify(*parsed, "", time.time(), secrets).ok:
            return module.Response(200, json={"ok": True})
        token = issue("", bits, time.time(), secrets)
        status, headers, body = challenge_response(CHAT, token, bits)
        return module.Response(status, headers=headers, content=body)

    return handler


async def test_async_solve_does_not_block_the_event_loop(monkeypatch) -> None:
    """While the proof-of-work is being solved, the event loop keeps running other tasks.
    The solve waits, before solving, until a ticker on the loop has run a few turns: on a
    worker thread it sees them at once; on the loop's own thread the ticker could never
    run, the wait would time out and the solve would fail. (Comparing tick counts before
    and after the solve was luck: a solve found within one GIL switch saw no tick.)"""
    import threading

    import antiextract.client as client_module

    log: list = []
    transport = httpx2.MockTransport(mock_challenger(17, log))
    ticked = threading.Event()
    done = asyncio.Event()
    loop_ran: list[bool] = []

    def watched_solve(*args: object, **kw: object) -> str:
        loop_ran.append(ticked.wait(10))  # a guard: the loop ticks within ms when free
        return solve(*args, **kw)

    monkeypatch.setattr(client_module, "solve", watched_solve)

    async def ticker() -> None:
        ticks = 0
        while not done.is_set():
            ticks += 1
            if ticks >= 3:
                ticked.set()
            await asyncio.sleep(0)

    async with httpx2.AsyncClient(transport=transport, auth=ChallengeAuth()) as client:
        task = asyncio.create_task(ticker())
        response = await asyncio.wait_for(
            client.post("http://test/v1/chat/completions", json=ASK), 30
        )
        done.set()
        await task
    assert response.status_code == 200 and len(log) == 2
    assert loop_ran == [True], "the loop did not run while the challenge was being solved"


@pytest.mark.parametrize("module", [httpx, httpx2])
async def test_async_helper_on_both_http_modules(module) -> None:
    log: list = []
    transport = module.MockTransport(mock_challenger(10, log, module))
    async with module.AsyncClient(transport=transport, auth=ChallengeAuth()) as client:
        response = await client.post("http://test/v1/chat/completions", json=ASK)
    assert response.status_code == 200 and len(log) == 2
    assert json.loads(log[1].content) == ASK


def test_helper_refuses_absurd_difficulty_and_never_loops() -> None:
    log: list = []
    transport = httpx2.MockTransport(mock_challenger(30, log))
    with httpx2.Client(transport=transport, auth=ChallengeAuth(max_difficulty=20)) as client:
        response = client.post("http://test/v1/chat/completions", json=ASK)
    assert response.status_code == 403 and len(log) == 1  # returned as it is

    def always_challenge(request):
        log.append(request)
        token = issue("x", 1, time.time(), KEYS)  # valid for another account: never accepted
        status, headers, body = challenge_response(CHAT, token, 1)
        return httpx2.Response(status, headers=headers, content=body)

    log.clear()
    transport = httpx2.MockTransport(always_challenge)
    with httpx2.Client(transport=transport, auth=ChallengeAuth()) as client:
        response = client.post("http://test/v1/chat/completions", json=ASK)
    assert response.status_code == 403 and len(log) == 2  # one resend, then give up


def test_helper_passes_other_responses_through() -> None:
    log: list = []

    def handler(request):
        log.append(request)
        return httpx.Response(429, headers={"antiextract-challenge": "garbage"}, json={})

    with httpx.Client(transport=httpx.MockTransport(handler), auth=ChallengeAuth()) as client:
        assert client.get("http://test/").status_code == 429
    assert len(log) == 1
