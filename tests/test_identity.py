"""Who is asking: account from a trusted header, a hashed API key or the client IP."""

from __future__ import annotations

import ipaddress

from antiextract.identity import TrustedHeaders, api_key, client_ip, digest, identify

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
    ident = _id([(b"authorization", b"Basic Zm9vOmJhcg==")])
    assert ident.account == "ip:203.0.113.9" and ident.source == "ip"
    assert api_key([(b"authorization", b"Bearer ")]) is None


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
