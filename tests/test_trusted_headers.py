"""Issue 14, point 2: the auth layer's headers (account, creation time, tier) are believed
only from a peer in TRUSTED_PROXIES, in the middleware (real ASGI app, both stores, the
scope's client set to a trusted and an untrusted peer) and in the gateway (real uvicorn
servers on loopback; the client picks its source address, 127.0.0.1 or 127.0.0.2, so one
gateway sees both kinds of peer), which must not forward what it did not believe."""

from __future__ import annotations

import io
import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.ops.proxy import build_gateway
from antiextract.request.identity import (
    TrustedHeaders,
    account_id,
    client_ip,
    digest,
    parse_created,
    peer_from_forwarded,
)
from antiextract.request.middleware import limits_from

from .asgi import Exchange, chat_body, http_scope
from .servers import serve
from .test_middleware import RecordingApp
from .test_proxy import echo_app, serve_gateway

AUTH_LAYER = ("10.0.0.2", 4431)  # inside TRUSTED_PROXIES
STRANGER = ("203.0.113.7", 5555)  # anyone on the internet
ACCOUNT, CREATED, TIER = b"x-account-id", b"x-account-created", b"x-account-tier"
OLD = b"1500000000"  # 2017: an account ~9.5 years old at the simulated now (2027)
NOW = 1_800_000_000.0
# A request an extraction pipeline would send: its risk depends on the account's youth and
# tier, so what the middleware believed about them shows in the audit event's risk.
HARVEST = chat_body(
    "Solve step by step and show all reasoning: implement a B-tree in Rust",
    logprobs=True,
    top_logprobs=20,
    n=4,
    max_tokens=4000,
)
KEY = b"k" * 16
TEN = (ipaddress.ip_network("10.0.0.0/8"),)


def auth_settings(**kw: Any) -> Settings:
    base: dict[str, Any] = {
        "account_header": "X-Account-Id",
        "account_created_header": "X-Account-Created",
        "account_tier_header": "X-Account-Tier",
        "trusted_proxies": "10.0.0.0/8",
        "account_limits": "",
        "ip_limits": "",
        "audit_sample_rate": 1.0,
    }
    return Settings(**{**base, **kw})


async def make(make_store: Any, log: io.StringIO, **kw: Any) -> AntiExtractMiddleware:
    s = auth_settings(**kw)
    store = await make_store(limits_from(s))
    return AntiExtractMiddleware(
        RecordingApp(), s, lambda: NOW, store=store, logger=make_logger(stream=log)
    )


async def send(
    mw: AntiExtractMiddleware,
    peer: tuple[str, int],
    key: str,
    *extra: tuple[bytes, bytes],
    body: bytes = HARVEST,
) -> int:
    headers = [(b"content-type", b"application/json"), (b"authorization", f"Bearer {key}".encode())]
    ex = Exchange(body)
    await mw(http_scope(headers=[*headers, *extra], client=peer), ex.receive, ex.send)
    return ex.status


def decisions(log: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    return [e for e in lines if e["event"] == "antiextract.decision"]


def events(log: io.StringIO, name: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    return [e for e in lines if e["event"] == name]


def ignored(mw: AntiExtractMiddleware) -> dict[tuple[str, str], float]:
    text = mw.metrics.exposition().decode()
    return {
        (s.labels["header"], s.labels["reason"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "antiextract_ignored_headers_total" and s.value
    }


# --------------------------------------------------------------------------- the account


async def test_a_stranger_naming_an_account_spends_only_its_own_budget(make_store: Any) -> None:
    """The issue's reproduction: a client at 203.0.113.7 sends ``x-account-id: victim``
    until refused; the auth layer's next request for ``victim`` must still be served."""
    log = io.StringIO()
    mw = await make(make_store, log, account_limits="3/minute")
    spoofed = [await send(mw, STRANGER, "sk-stranger", (ACCOUNT, b"victim")) for _ in range(5)]
    assert spoofed == [200, 200, 200, 429, 429]  # refused on its own key's limit
    stranger = {e["account"] for e in decisions(log)}
    assert stranger == {"key:" + digest(b"sk-stranger", mw.hash_key)}
    assert {e["account_source"] for e in decisions(log)} == {"api_key"}
    # The victim's budget is untouched: the auth layer gets its three requests.
    served = [await send(mw, AUTH_LAYER, "sk-victim", (ACCOUNT, b"victim")) for _ in range(4)]
    assert served == [200, 200, 200, 429]
    assert decisions(log)[-1]["account"] == "hdr:victim"
    assert ignored(mw) == {("account", "untrusted_peer"): 5.0}


async def test_a_stranger_cannot_claim_an_allowlisted_account(make_store: Any) -> None:
    log = io.StringIO()
    mw = await make(make_store, log, allow_accounts="hdr:partner")
    await send(mw, STRANGER, "sk-stranger", (ACCOUNT, b"partner"))
    await send(mw, AUTH_LAYER, "sk-partner", (ACCOUNT, b"partner"))
    stranger, partner = decisions(log)
    assert stranger["account"].startswith("key:") and stranger["risk"] > 1  # scored
    assert partner["account"] == "hdr:partner" and partner["risk"] == 0  # exempt


async def test_a_repeated_account_header_is_not_believed(make_store: Any) -> None:
    """A proxy that appends its header instead of replacing the client's would put the
    client's first: neither value is believed, even from a trusted peer."""
    log = io.StringIO()
    mw = await make(make_store, log)
    await send(mw, AUTH_LAYER, "sk-a", (ACCOUNT, b"victim"), (ACCOUNT, b"real-account"))
    await send(mw, AUTH_LAYER, "sk-a", (ACCOUNT, b"real-account"))
    repeated, single = decisions(log)
    assert repeated["account"] == "key:" + digest(b"sk-a", mw.hash_key)
    assert single["account"] == "hdr:real-account"
    assert ignored(mw) == {("account", "repeated"): 1.0}


async def test_long_account_ids_are_distinct_accounts(make_store: Any) -> None:
    """Ids past 128 characters used to be cut there, so two accounts sharing a long
    prefix shared one budget; they are hashed instead, whole."""
    log = io.StringIO()
    mw = await make(make_store, log, account_limits="1/minute")
    prefix = b"org-" + b"7" * 200 + b"/user-"
    assert await send(mw, AUTH_LAYER, "sk-1", (ACCOUNT, prefix + b"1")) == 200
    assert await send(mw, AUTH_LAYER, "sk-2", (ACCOUNT, prefix + b"2")) == 200
    assert await send(mw, AUTH_LAYER, "sk-1", (ACCOUNT, prefix + b"1")) == 429
    first, second, _ = decisions(log)
    assert first["account"] != second["account"]
    for event in (first, second):
        assert event["account"].startswith("hdr:#") and len(event["account"]) == 37


# --------------------------------------------------------------------------- age and tier


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (CREATED, OLD),
        (CREATED, b"2017-07-14T02:40:00Z"),
        (TIER, b"enterprise"),
        (TIER, b"Verified"),
    ],
)
async def test_a_stranger_cannot_claim_an_old_account_or_a_better_tier(
    make_store: Any, name: bytes, value: bytes
) -> None:
    log = io.StringIO()
    mw = await make(make_store, log)
    await send(mw, STRANGER, "sk-plain")  # no claim at all: a young account's risk
    await send(mw, STRANGER, "sk-claims", (name, value))
    await send(mw, AUTH_LAYER, "sk-vouched", (name, value))
    plain, claimed, vouched = (e["risk"] for e in decisions(log))
    assert claimed == plain  # the stranger's claim changed nothing
    assert vouched < 0.6 * plain  # the auth layer's did (tiers 0.5 and 0.2; age)
    kind = "created" if name == CREATED else "tier"
    assert ignored(mw) == {(kind, "untrusted_peer"): 1.0}


@pytest.mark.parametrize(
    "value",
    [b"nan", b"inf", b"-inf", b"-1e999", b"yesterday", b" ", b"0", b"946684799",
     b"1799999990000", b"2030-01-01T00:00:00Z"],
)  # fmt: skip
async def test_an_unusable_creation_time_is_ignored_and_counted(
    make_store: Any, value: bytes
) -> None:
    """``-1e999`` parses as minus infinity: an infinitely old account, never young. Before
    2000 or more than a day after the middleware's clock (here 1.8e9, 2027-01-15) is no
    creation time: milliseconds (1799999990000) made every account look brand new."""
    log = io.StringIO()
    mw = await make(make_store, log)
    await send(mw, AUTH_LAYER, "sk-plain")
    await send(mw, AUTH_LAYER, "sk-odd", (CREATED, value))
    plain, odd = (e["risk"] for e in decisions(log))
    assert odd == plain
    assert ignored(mw) == {("created", "invalid"): 1.0}


async def test_repeated_creation_and_tier_headers_are_not_believed(make_store: Any) -> None:
    log = io.StringIO()
    mw = await make(make_store, log)
    await send(mw, AUTH_LAYER, "sk-plain")
    await send(mw, AUTH_LAYER, "sk-r1", (CREATED, OLD), (CREATED, b"1799990000"))
    await send(mw, AUTH_LAYER, "sk-r2", (TIER, b"enterprise"), (TIER, b"free"))
    plain, created, tier = (e["risk"] for e in decisions(log))
    assert created == plain and tier == plain
    assert ignored(mw) == {("created", "repeated"): 1.0, ("tier", "repeated"): 1.0}


async def test_ignored_headers_are_counted_by_name_never_by_value(make_store: Any) -> None:
    log = io.StringIO()
    mw = await make(make_store, log)
    secret = (ACCOUNT, b"victim-acct-4242"), (CREATED, b"1234567890"), (TIER, b"enterprise")
    for _ in range(2):
        await send(mw, STRANGER, "sk-stranger", *secret)
    await send(mw, AUTH_LAYER, "sk-auth", *secret)  # believed: nothing counted
    assert ignored(mw) == {
        ("account", "untrusted_peer"): 2.0,
        ("created", "untrusted_peer"): 2.0,
        ("tier", "untrusted_peer"): 2.0,
    }
    text = mw.metrics.exposition().decode()
    for _, value in secret:
        assert value.decode() not in text
    assert "203.0.113.7" not in text and "sk-stranger" not in text


async def test_ipv4_mapped_peer_of_a_dual_stack_server_is_trusted(make_store: Any) -> None:
    log = io.StringIO()
    mw = await make(make_store, log)
    await send(mw, ("::ffff:10.0.0.2", 1), "sk-a", (ACCOUNT, b"mapped"))
    (event,) = decisions(log)
    assert event["account"] == "hdr:mapped" and event["ip"] == "10.0.0.2"


# --------------------------------------------------------------------------- no TRUSTED_PROXIES


async def test_without_trusted_proxies_start_up_warns_once(make_store: Any) -> None:
    log = io.StringIO()
    mw = await make(make_store, log, trusted_proxies="")
    for _ in range(3):
        await send(mw, STRANGER, "sk-1", (ACCOUNT, b"anyone"))
    (warning,) = events(log, "antiextract.trusted_headers_unverified")
    assert warning["level"] == "warning"
    for name in ("x-account-id", "x-account-created", "x-account-tier", "TRUSTED_PROXIES"):
        assert name in warning["detail"]
    # ... and believes the headers from anyone, as it says.
    assert {e["account"] for e in decisions(log)} == {"hdr:anyone"}
    assert ignored(mw) == {}


@pytest.mark.parametrize(
    "kw",
    [
        {},  # TRUSTED_PROXIES set
        {"trusted_proxies": "", "account_header": None, "account_created_header": None,
         "account_tier_header": None},  # no auth header configured
    ],
)  # fmt: skip
async def test_no_warning_when_the_headers_are_trusted_or_unused(
    make_store: Any, kw: dict[str, Any]
) -> None:
    log = io.StringIO()
    await make(make_store, log, **kw)
    assert events(log, "antiextract.trusted_headers_unverified") == []


def test_the_gateway_warns_once_too() -> None:
    log = io.StringIO()
    s = auth_settings(trusted_proxies="", account_created_header=None, account_tier_header=None)
    build_gateway("http://127.0.0.1:9", s, logger=make_logger(stream=log))
    (warning,) = events(log, "antiextract.trusted_headers_unverified")
    assert "x-account-id" in warning["detail"] and "x-account-tier" not in warning["detail"]
    # one header: "is", and only what that header lets a stranger do
    assert (
        "so x-account-id is believed from every client: anyone can name another account"
        in (warning["detail"])
    )
    assert "tier" not in warning["detail"] and "creation" not in warning["detail"]


@pytest.mark.parametrize("wide", ["0.0.0.0/0", "::/0", "10.0.0.0/8,0.0.0.0/0"])
async def test_trusting_every_address_warns_at_start_up(make_store: Any, wide: str) -> None:
    """TRUSTED_PROXIES=0.0.0.0/0 makes every client a trusted proxy: accepted (it may be
    meant, behind a private network), but said at start-up."""
    log = io.StringIO()
    await make(make_store, log, trusted_proxies=wide)
    (warning,) = events(log, "antiextract.trusted_proxies_everyone")
    assert warning["level"] == "warning" and "every client" in warning["detail"]
    assert ("0.0.0.0/0" in warning["detail"]) == ("0.0.0.0/0" in wide)
    quiet = io.StringIO()
    await make(make_store, quiet, trusted_proxies="10.0.0.0/8,::1/128")
    assert events(quiet, "antiextract.trusted_proxies_everyone") == []


# --------------------------------------------------------------------------- the server's peer


def forwarded_app(log: io.StringIO) -> Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def chat(request: Any) -> Any:
        await request.body()
        return JSONResponse({"choices": [], "usage": {"prompt_tokens": 1}})

    s = auth_settings(audit_sample_rate=1.0)
    return Starlette(
        routes=[Route("/v1/chat/completions", chat, methods=["POST"])],
        middleware=[Middleware(AntiExtractMiddleware, settings=s, logger=make_logger(stream=log))],
    )


@pytest.mark.parametrize("hop", ["10.9.9.9", "10.9.9.9:4444"])
def test_a_peer_the_server_took_from_x_forwarded_for_is_warned_about_once(hop: str) -> None:
    """``uvicorn --forwarded-allow-ips '*'`` (its advice behind a load balancer) makes
    the leftmost X-Forwarded-For entry, which the client writes, the scope's client: the
    middleware then sees a peer in TRUSTED_PROXIES. It cannot undo that, and says so once,
    naming the fix."""
    log = io.StringIO()
    claims = {"x-account-id": "victim", "x-forwarded-for": hop, "authorization": "Bearer sk-f"}
    with serve(forwarded_app(log), proxy_headers=True, forwarded_allow_ips="*") as url:
        for _ in range(3):
            assert httpx.post(f"{url}/v1/chat/completions", headers=claims,
                              content=HARVEST).status_code == 200  # fmt: skip
    (warning,) = events(log, "antiextract.peer_from_forwarded")
    assert "--no-proxy-headers" in warning["detail"] and "TRUSTED_PROXIES" in warning["detail"]
    assert decisions(log)[0]["ip"] == "10.9.9.9"  # what uvicorn handed over


def test_no_warning_when_the_server_leaves_the_peer_alone() -> None:
    """The same client-written X-Forwarded-For, under the gateway's uvicorn options
    (proxy headers off): the peer is the real one, and nothing is said."""
    from antiextract.ops.proxy import SERVER_OPTIONS

    log = io.StringIO()
    claims = {"x-forwarded-for": "127.0.0.1", "authorization": "Bearer sk-g"}
    with serve(forwarded_app(log), **{**SERVER_OPTIONS, "lifespan": "off"}) as url:
        for _ in range(2):
            assert httpx.post(f"{url}/v1/chat/completions", headers=claims,
                              content=HARVEST).status_code == 200  # fmt: skip
    assert events(log, "antiextract.peer_from_forwarded") == []
    assert SERVER_OPTIONS["proxy_headers"] is False


def test_peer_from_forwarded() -> None:
    xff = [(b"x-forwarded-for", b"198.51.100.7, 10.0.0.2:8443")]
    assert peer_from_forwarded(("198.51.100.7", 0), xff)  # rewritten, no port: 0
    assert peer_from_forwarded(("10.0.0.2", 8443), xff)  # a limited trust list's choice
    assert peer_from_forwarded(("::ffff:198.51.100.7", 0), xff)
    assert not peer_from_forwarded(("198.51.100.7", 51234), xff)  # a real peer's port
    assert not peer_from_forwarded(("203.0.113.9", 0), xff)
    assert not peer_from_forwarded(("198.51.100.7", 0), [])
    assert not peer_from_forwarded(None, xff)
    assert peer_from_forwarded(("2001:db8::1", 443), [(b"x-forwarded-for", b"[2001:db8::1]:443")])


# --------------------------------------------------------------------------- pure parts


def test_trusted_headers_read() -> None:
    trust = TrustedHeaders(ACCOUNT, CREATED, TIER, TEN)
    sent = [(ACCOUNT, b" org-1 "), (CREATED, OLD), (TIER, b" Enterprise ")]
    facts = trust.read(sent, "10.1.2.3")
    assert (facts.account, facts.created, facts.tier, facts.ignored) == (
        b" org-1 ",
        1.5e9,
        "enterprise",
        (),
    )
    stranger = trust.read(sent, "203.0.113.7")
    assert (stranger.account, stranger.created, stranger.tier) == (None, None, None)
    assert set(stranger.ignored) == {(k, "untrusted_peer") for k in ("account", "created", "tier")}
    assert trust.read(sent, None).ignored == stranger.ignored  # no peer address: not trusted
    assert trust.read([(b"x-other", b"1")], "203.0.113.7").ignored == ()  # absent: nothing


def test_gateway_drops_only_what_it_does_not_believe() -> None:
    trust = TrustedHeaders(ACCOUNT, None, TIER, TEN)
    sent = [(ACCOUNT, b"a"), (TIER, b"t"), (TIER, b"u"), (CREATED, b"1")]
    assert trust.unbelieved(sent, "203.0.113.7") == {ACCOUNT, TIER}
    assert trust.unbelieved(sent, "10.0.0.1") == {TIER}  # repeated
    assert TrustedHeaders(ACCOUNT).unbelieved(sent, "203.0.113.7") == frozenset()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"org-42", "hdr:org-42"),
        (b"  spaced out  ", "hdr:spaced out"),
        ("équipe-账户".encode(), "hdr:équipe-账户"),
        (b"", None),
        (b"   ", None),
        (b"#org", "hdr:#" + digest(b"#org", KEY)),  # never equal to a digest id
        (b"\xff\xfe", "hdr:#" + digest(b"\xff\xfe", KEY)),  # not UTF-8
        (b"a\x1b[31mred", "hdr:#" + digest(b"a\x1b[31mred", KEY)),  # terminal escape
        (b"x" * 129, "hdr:#" + digest(b"x" * 129, KEY)),
        (b"x" * 128, "hdr:" + "x" * 128),
    ],
)
def test_account_ids_are_printable_and_never_truncated(value: bytes, expected: str | None) -> None:
    assert account_id(value, KEY) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1500000000", 1.5e9),
        (b" 1500000000.5 ", 1500000000.5),
        (b"2017-07-14T02:40:00Z", 1.5e9),
        (b"2017-07-14T02:40:00", 1.5e9),  # no zone: UTC
        (b"2017-07-14T04:40:00+02:00", 1.5e9),
        (b"nan", None),
        (b"inf", None),
        (b"-1e999", None),
        (b"", None),
        (b"2024-02-30T25:61:00Z", None),
    ],
)
def test_parse_created(value: bytes, expected: float | None) -> None:
    assert parse_created(value) == expected


def test_a_creation_time_is_believed_from_2000_to_a_day_ahead_of_now() -> None:
    now = 1_800_000_000.0
    assert parse_created(b"946684800", now) == 946_684_800.0  # 2000-01-01T00:00:00Z
    assert parse_created(b"946684799", now) is None
    assert parse_created(str(now + 86_400).encode(), now) == now + 86_400
    assert parse_created(str(now + 86_401).encode(), now) is None
    assert parse_created(b"1799999990000", now) is None  # milliseconds: never guessed at


def test_forwarded_for_hops_with_ports_are_their_addresses() -> None:
    chain = b"6.6.6.6, 198.51.100.7:51234, 10.0.0.9:443"
    assert client_ip("10.0.0.5", chain, TEN) == "198.51.100.7"
    v6 = (*TEN, ipaddress.ip_network("2001:db8::/32"))
    assert client_ip("10.0.0.5", b"[2001:db9::1]:443, [2001:db8::7]:80", v6) == "2001:db9::1"
    assert client_ip("10.0.0.5", b"198.51.100.7:port", TEN) == "10.0.0.5"  # garbage


def test_forwarded_for_walk_is_bounded() -> None:
    """Only the rightmost 32 hops are read, however long a client makes the header."""
    trusted_chain = b", ".join(b"10.0.0.%d" % (i % 250) for i in range(10_000))
    # all 32 read hops trusted: the leftmost of them, hop 9,968 (10.0.0.218)
    assert client_ip("10.0.0.5", b"198.51.100.7, " + trusted_chain, TEN) == "10.0.0.218"
    assert client_ip("10.0.0.5", trusted_chain + b", 198.51.100.7", TEN) == "198.51.100.7"


def test_ipv4_mapped_peers() -> None:
    assert client_ip("::ffff:203.0.113.7", None, ()) == "203.0.113.7"
    assert client_ip("::ffff:10.0.0.5", b"198.51.100.7", TEN) == "198.51.100.7"
    assert TrustedHeaders(ACCOUNT, proxies=TEN).believes("::ffff:10.0.0.5")
    assert not TrustedHeaders(ACCOUNT, proxies=TEN).believes("::ffff:203.0.113.7")


# --------------------------------------------------------------------------- the gateway

TRUSTED_SOURCE = "127.0.0.2"  # the auth layer's address in the gateway tests


@pytest.fixture(scope="module")
def echo_gateway() -> Iterator[tuple[str, httpx.Client, httpx.Client]]:
    """The echo upstream behind a gateway trusting 127.0.0.2 only; (gateway url, client
    from 127.0.0.1, client from 127.0.0.2)."""
    with serve(echo_app) as upstream:
        s = auth_settings(trusted_proxies=f"{TRUSTED_SOURCE}/32", audit_sample_rate=0.0)
        app = build_gateway(upstream, s, logger=make_logger(stream=io.StringIO()))
        with (
            serve_gateway(app) as url,
            httpx.Client(trust_env=False) as stranger,
            httpx.Client(
                transport=httpx.HTTPTransport(local_address=TRUSTED_SOURCE), trust_env=False
            ) as auth_layer,
        ):
            yield url, stranger, auth_layer


CLAIMS = {
    "X-Account-Id": "victim",
    "X-Account-Created": "1500000000",
    "X-Account-Tier": "enterprise",
    "X-Forwarded-For": "198.51.100.7",
    "Forwarded": "for=198.51.100.7",
    "X-Real-IP": "198.51.100.7",
    "Authorization": "Bearer sk-gw",
}


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/chat/completions"), ("GET", "/v1/models")]
)
def test_gateway_drops_a_strangers_auth_headers_before_the_upstream(
    echo_gateway: tuple[str, httpx.Client, httpx.Client], method: str, path: str
) -> None:
    url, stranger, _ = echo_gateway
    body = HARVEST if method == "POST" else None
    response = stranger.request(method, url + path, headers=CLAIMS, content=body)
    assert response.status_code == 200
    got = dict(response.json()["headers"])
    for name in ("x-account-id", "x-account-created", "x-account-tier", "forwarded", "x-real-ip"):
        assert name not in got, name
    assert got["x-forwarded-for"] == "127.0.0.1"  # the peer alone, not the client's chain
    assert got["authorization"] == "Bearer sk-gw"  # end-to-end headers still go


def test_gateway_forwards_the_auth_layers_headers(
    echo_gateway: tuple[str, httpx.Client, httpx.Client],
) -> None:
    url, _, auth_layer = echo_gateway
    response = auth_layer.post(url + "/v1/chat/completions", headers=CLAIMS, content=HARVEST)
    assert response.status_code == 200
    got = dict(response.json()["headers"])
    assert got["x-account-id"] == "victim"
    assert got["x-account-created"] == "1500000000"
    assert got["x-account-tier"] == "enterprise"
    assert got["forwarded"] == "for=198.51.100.7" and got["x-real-ip"] == "198.51.100.7"
    assert got["x-forwarded-for"] == f"198.51.100.7, {TRUSTED_SOURCE}"


def test_gateway_drops_repeated_auth_headers_even_from_the_auth_layer(
    echo_gateway: tuple[str, httpx.Client, httpx.Client],
) -> None:
    url, _, auth_layer = echo_gateway
    headers = [
        ("X-Account-Id", "victim"),
        ("X-Account-Id", "real"),
        ("X-Account-Tier", "enterprise"),
    ]
    response = auth_layer.post(url + "/v1/chat/completions", headers=headers, content=HARVEST)
    got = response.json()["headers"]
    assert [v for k, v in got if k == "x-account-id"] == []
    assert [v for k, v in got if k == "x-account-tier"] == ["enterprise"]
