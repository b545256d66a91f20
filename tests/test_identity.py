"""Who is asking: account from a trusted header, a hashed API key or the client IP.

The API key is read from every place the common servers read one, and a request whose
places disagree is refused (issue 14 follow-up C4); an IPv6 client is counted per /64
(M2). Pure functions first, then the middleware on a real ASGI app."""

from __future__ import annotations

import base64
import io
import ipaddress
import json
from typing import Any

import pytest

from antiextract import AntiExtractMiddleware, Settings, SettingsError, load_settings
from antiextract.audit import make_logger
from antiextract.request.identity import (
    KeyPlaces,
    TrustedHeaders,
    client_ip,
    counted_ip,
    digest,
    identify,
)

from .asgi import Exchange, http_scope
from .conftest import SimClock
from .test_middleware import RecordingApp

KEY = b"k" * 16
TRUSTED = (ipaddress.ip_network("10.0.0.0/8"),)


def _id(headers, peer="203.0.113.9", account_header=None, trusted=()):
    auth = TrustedHeaders(account=account_header, proxies=trusted).read(headers, peer)
    return identify(headers, peer, account=auth.account, trusted=trusted, key=KEY)


def test_account_header_wins_when_configured() -> None:
    ident = _id(
        [(b"x-account", b"org-42"), (b"authorization", b"Bearer sk-a")], account_header=b"x-account"
    )
    assert ident.account == "hdr:org-42" and ident.source == "header"


def test_missing_account_header_falls_back_to_api_key() -> None:
    ident = _id([(b"authorization", b"Bearer sk-secret-123")], account_header=b"x-account")
    assert ident.source == "api_key"
    assert ident.account == "key:" + digest(b"sk-secret-123", KEY)
    assert "sk-secret" not in ident.account


def test_anthropic_x_api_key() -> None:
    ident = _id([(b"x-api-key", b"sk-ant-xyz")])
    assert ident.account == "key:" + digest(b"sk-ant-xyz", KEY)


def test_same_key_same_account_different_key_different_account() -> None:
    a = _id([(b"authorization", b"Bearer one")]).account
    assert a == _id([(b"authorization", b"Bearer one")], peer="198.51.100.1").account
    assert a != _id([(b"authorization", b"Bearer two")]).account


def test_secret_changes_the_digest() -> None:
    assert digest("sk", b"a" * 16) != digest("sk", b"b" * 16)


def test_anonymous_is_keyed_by_ip() -> None:
    ident = _id([(b"authorization", b"Negotiate YIIGhgYGKwYBBQUCoIIGejCCBn")])
    assert ident.account == "ip:203.0.113.9" and ident.source == "ip"
    assert _id([(b"authorization", b"Bearer ")]).source == "ip"


def test_forwarded_for_from_untrusted_peer_is_ignored() -> None:
    # A client that forges X-Forwarded-For to look like someone else gains nothing.
    assert client_ip("203.0.113.9", b"1.2.3.4", ()) == "203.0.113.9"
    assert client_ip("203.0.113.9", b"1.2.3.4", TRUSTED) == "203.0.113.9"


def test_forwarded_for_from_trusted_proxy_takes_rightmost_untrusted_hop() -> None:
    # The client wrote "6.6.6.6"; our proxies appended the real client and themselves.
    assert client_ip("10.0.0.5", b"6.6.6.6, 198.51.100.7, 10.0.0.9", TRUSTED) == "198.51.100.7"


def test_forwarded_for_garbage_stops_the_walk() -> None:
    assert client_ip("10.0.0.5", b"198.51.100.7, not-an-ip", TRUSTED) == "10.0.0.5"


def test_all_trusted_chain_gives_leftmost() -> None:
    assert client_ip("10.0.0.5", b"10.1.1.1, 10.2.2.2", TRUSTED) == "10.1.1.1"


def test_repeated_forwarded_for_headers_are_joined() -> None:
    ident = _id(
        [(b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-for", b"198.51.100.7")],
        peer="10.0.0.1",
        trusted=TRUSTED,
    )
    assert ident.ip == "198.51.100.7"


def test_no_peer() -> None:
    assert _id([], peer=None).account == "ip:unknown"


# --------------------------------------------------------------------------- API key places

REAL = b"sk-real-key-0123456789"


def b64(raw: bytes) -> bytes:
    return base64.b64encode(raw)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ([(b"authorization", b"Bearer " + REAL)], b""),
        ([(b"authorization", b"bearer  " + REAL)], b""),
        ([(b"x-api-key", REAL)], b""),
        ([(b"x-litellm-api-key", b"Bearer " + REAL)], b""),  # LiteLLM reads it first
        ([(b"x-litellm-api-key", REAL)], b""),
        ([(b"api-key", REAL)], b""),  # Azure OpenAI
        ([(b"ocp-apim-subscription-key", REAL)], b""),  # Azure API Management
        ([(b"x-goog-api-key", REAL)], b""),  # Gemini
        ([(b"authorization", b"Basic " + REAL)], b""),  # LiteLLM takes the token as it is
        ([(b"authorization", b"Basic " + b64(b":" + REAL))], b""),  # the password
        ([(b"authorization", b"Basic " + b64(b"anyone:" + REAL))], b""),
        ([(b"authorization", b"Basic " + b64(REAL + b":"))], b""),  # the user, no password
        # characters outside base64 are skipped by lenient decoders (FastAPI's HTTPBasic)
        ([(b"authorization", b"Basic !" + b64(b"x:" + REAL) + b"!")], b""),
        ([(b"authorization", b"AWS4-HMAC-SHA256 Credential=Bearer " + REAL
           + b"/20261207/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=0f")], b""),
        ([], b"key=" + REAL),  # Gemini's ?key=, which LiteLLM accepts
        ([], b"model=m&api_key=" + REAL),
        ([], b"k%65y=" + REAL),  # a percent-encoded name, as the server decodes it
        ([(b"authorization", b"Bearer " + REAL), (b"x-litellm-api-key", REAL)], b"key=" + REAL),
    ],
)  # fmt: skip
def test_an_api_key_is_one_account_wherever_it_is_sent(
    headers: list[tuple[bytes, bytes]], query: bytes
) -> None:
    """Every place a common server reads a key from (LiteLLM, Azure, Gemini, Anthropic,
    OpenAI) gives the same account for the same key; the key itself never shows."""
    where = {"query": query} if query else {}  # (no query: the signature main had)
    ident = identify(headers, "203.0.113.9", account=None, trusted=(), key=KEY, **where)
    assert (ident.account, ident.source) == ("key:" + digest(REAL, KEY), "api_key")


def test_different_keys_in_different_places_conflict() -> None:
    places = KeyPlaces()
    real, other = [(b"x-litellm-api-key", REAL)], [(b"authorization", b"Bearer sk-random-1")]
    found = places.read(real + other, b"", KEY)
    assert found.conflict
    assert set(found.accounts) == {"key:" + digest(REAL, KEY), "key:" + digest(b"sk-random-1", KEY)}
    assert found.places == ("authorization", "x-litellm-api-key")
    assert REAL.decode() not in repr(found)
    assert places.read([(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")],
                       b"", KEY).conflict  # fmt: skip
    assert places.read([(b"x-api-key", b"a")], b"key=b", KEY).conflict
    assert not places.read([(b"x-api-key", REAL), (b"api-key", REAL)], b"key=" + REAL, KEY).conflict
    # an Authorization scheme that holds no API key is no key, so no conflict
    assert not places.read([(b"authorization", b"Negotiate abc"), (b"x-api-key", REAL)],
                           b"", KEY).conflict  # fmt: skip
    # places are a setting: a header left out is not read
    only = KeyPlaces(headers=(b"authorization",), params=())
    assert not only.read(real + other, b"key=x", KEY).conflict


# --------------------------------------------------------------------------- the middleware

CHAT = b'{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5}'


def protected(log: io.StringIO, **settings: Any) -> tuple[AntiExtractMiddleware, RecordingApp]:
    app = RecordingApp()
    s = Settings(**{"ip_limits": "", "audit_sample_rate": 1.0, **settings})
    return AntiExtractMiddleware(app, s, SimClock(), logger=make_logger(stream=log)), app


async def post(
    mw: AntiExtractMiddleware,
    headers: list[tuple[bytes, bytes]],
    path: str = "/v1/chat/completions",
    client: tuple[str, int] = ("203.0.113.9", 5000),
    query: bytes = b"",
) -> Exchange:
    ex = Exchange(CHAT)
    scope = {**http_scope(path, headers=[(b"content-type", b"application/json"), *headers],
                          client=client), "query_string": query}  # fmt: skip
    await mw(scope, ex.receive, ex.send)
    return ex


def audit(log: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    return [e for e in lines if e["event"] == "antiextract.decision"]


def conflicts(mw: AntiExtractMiddleware) -> float:
    for line in mw.metrics.exposition().decode().splitlines():
        if line.startswith("antiextract_conflicting_credentials_total "):
            return float(line.split()[1])
    raise AssertionError("antiextract_conflicting_credentials_total not exposed")


async def test_one_real_key_beside_random_ones_is_refused_not_a_new_account() -> None:
    """LiteLLM authenticates (and bills) x-litellm-api-key before Authorization: a real
    key there with a random Bearer token per request was a fresh antiextract account per
    request. Two different keys in one request: 400 in the API's own format, never
    served, counted, audited with digests only."""
    log = io.StringIO()
    mw, app = protected(log, account_limits="2/minute")
    for i in range(4):
        ex = await post(mw, [(b"x-litellm-api-key", b"Bearer " + REAL),
                             (b"authorization", b"Bearer rnd-%d" % i)])  # fmt: skip
        assert ex.status == 400
        assert ex.json()["error"]["code"] == "conflicting_credentials"
        assert ex.json()["error"]["type"] == "invalid_request_error"
        assert ex.headers["x-should-retry"] == "false"
    anthropic = await post(mw, [(b"x-api-key", REAL), (b"authorization", b"Basic rnd")],
                           path="/v1/messages")  # fmt: skip
    assert anthropic.status == 400 and anthropic.json()["type"] == "error"
    assert anthropic.json()["error"]["type"] == "invalid_request_error"
    assert app.calls == 0 and conflicts(mw) == 5
    event = audit(log)[0]
    assert event["reasons"] == ["conflicting_credentials"] and event["status"] == 400
    assert event["places"] == ["authorization", "x-litellm-api-key"]
    assert "key:" + digest(REAL, mw.hash_key) in event["accounts"]
    assert REAL.decode() not in log.getvalue() and "rnd-0" not in log.getvalue()
    # The real key alone, wherever it is sent, is one account with one limit.
    got = [(await post(mw, h)).status for h in (
        [(b"x-litellm-api-key", b"Bearer " + REAL)],
        [(b"authorization", b"Bearer " + REAL)],
        [(b"x-goog-api-key", REAL)],
    )]  # fmt: skip
    assert got == [200, 200, 429]


async def test_a_key_in_the_query_counts_too() -> None:
    log = io.StringIO()
    mw, _ = protected(log, account_limits="1/minute")
    assert (await post(mw, [], query=b"key=" + REAL)).status == 200
    assert (await post(mw, [(b"authorization", b"Bearer " + REAL)])).status == 429
    assert (
        await post(mw, [(b"authorization", b"Bearer other")], query=b"key=" + REAL)
    ).status == 400


async def test_conflicts_in_shadow_mode_are_counted_and_served() -> None:
    log = io.StringIO()
    mw, app = protected(log, mode="shadow")
    ex = await post(mw, [(b"x-api-key", REAL), (b"authorization", b"Bearer rnd")])
    assert ex.status == 200 and app.calls == 1 and conflicts(mw) == 1
    refused = [e for e in audit(log) if e["reasons"] == ["conflicting_credentials"]]
    assert refused[0]["enforced"] is False and refused[0]["status"] is None


async def test_the_auth_layers_account_header_makes_keys_irrelevant() -> None:
    """Behind an auth layer that names the account, the keys do not choose it: a request
    with its own key beside the auth layer's is served as the named account."""
    log = io.StringIO()
    mw, _ = protected(log, account_header="x-account-id", trusted_proxies="10.0.0.0/8")
    auth_layer = ("10.0.0.2", 443)
    headers = [(b"x-account-id", b"org-1"), (b"authorization", b"Bearer internal"),
               (b"x-goog-api-key", REAL)]  # fmt: skip
    assert (await post(mw, headers, client=auth_layer)).status == 200
    assert audit(log)[-1]["account"] == "hdr:org-1" and conflicts(mw) == 0
    # from a stranger the header is not believed: the keys name the account, and disagree
    assert (await post(mw, headers)).status == 400


async def test_key_places_are_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_API_KEY_HEADERS", "Authorization, X-Tenant-Key")
    monkeypatch.setenv("ANTIEXTRACT_API_KEY_QUERY_PARAMS", "")
    s = load_settings()
    assert s.api_key_headers == ("authorization", "x-tenant-key")
    assert s.api_key_query_params == ()
    log = io.StringIO()
    mw, _ = protected(log, api_key_headers=s.api_key_headers, api_key_query_params=())
    ex = await post(mw, [(b"x-tenant-key", REAL), (b"x-api-key", b"unread")], query=b"key=x")
    assert ex.status == 200 and audit(log)[-1]["account"] == "key:" + digest(REAL, mw.hash_key)
    monkeypatch.setenv("ANTIEXTRACT_API_KEY_HEADERS", "x-api-key, bad header")
    with pytest.raises(SettingsError, match="ANTIEXTRACT_API_KEY_HEADERS"):
        load_settings()


# --------------------------------------------------------------------------- IPv6 per /64


def test_ipv6_clients_are_counted_per_64() -> None:
    assert (
        counted_ip("2001:db8:1:2::1") == counted_ip("2001:db8:1:2:ffff::9") == ("2001:db8:1:2::/64")
    )
    assert counted_ip("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert counted_ip("198.51.100.7") == "198.51.100.7"
    assert _id([], peer="::ffff:198.51.100.7").ip == "198.51.100.7"  # a dual-stack IPv4 peer
    assert counted_ip("unknown") == "unknown"
    ident = _id([], peer="2001:db8:1:2::77")
    assert (ident.account, ident.ip) == ("ip:2001:db8:1:2::/64", "2001:db8:1:2::/64")


async def test_rotating_ipv6_addresses_in_one_64_shares_its_limits() -> None:
    """One host's /64 is 2**64 addresses: per address, each was a fresh account and
    fresh IP windows. Counted per /64, the IP limit holds across the rotation, for
    keyless requests (IP-keyed accounts) and for requests with a key each."""
    log = io.StringIO()
    mw, _ = protected(log, account_limits="3/minute", ip_limits="")
    got = [(await post(mw, [], client=(f"2001:db8:1:2::{i:x}", 1))).status for i in range(1, 8)]
    assert got == [200, 200, 200, 429, 429, 429, 429]
    assert audit(log)[-1]["account"] == "ip:2001:db8:1:2::/64"
    assert audit(log)[-1]["ip"] == "2001:db8:1:2::/64"
    assert (await post(mw, [], client=("2001:db8:1:3::1", 1))).status == 200  # the next /64
    mw, _ = protected(io.StringIO(), account_limits="", ip_limits="3/minute")
    keys = [
        (await post(mw, [(b"authorization", b"Bearer sk-%d" % i)],
                    client=(f"2001:db8:9:9::{i:x}", 1))).status
        for i in range(1, 8)
    ]  # fmt: skip
    assert keys == [200, 200, 200, 429, 429, 429, 429]


async def test_an_undecided_request_is_charged_to_the_same_account() -> None:
    """FAIL_MODE=open charges a request antiextract failed to decide a full bucket on the
    local limits, keyed by its account: the same account whatever place holds the key
    (here the query, then Authorization), or one key moved between places would buy a
    request per place."""
    from antiextract.request.middleware import limits_from
    from antiextract.store import MemoryStore

    class BrokenStore(MemoryStore):
        async def evaluate(self, *args: Any, **kw: Any) -> Any:
            raise ZeroDivisionError("a bug")

    s = Settings(ip_limits="")
    mw = AntiExtractMiddleware(RecordingApp(), s, SimClock(), store=BrokenStore(limits_from(s)),
                               logger=make_logger(stream=io.StringIO()))  # fmt: skip
    assert (await post(mw, [], query=b"key=" + REAL)).status == 200
    assert (await post(mw, [(b"authorization", b"Bearer " + REAL)])).status == 429
    assert (await post(mw, [(b"authorization", b"Bearer sk-other")])).status == 200
