"""Who is asking: account, client IP and end user, from an ASGI scope.

Everything here is pure. The raw API key never leaves this module: it is replaced by a
keyed BLAKE2b digest, so logs, metrics and the store only ever see ``key:<hex>``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from .settings import IPNetwork

# Used when no ANTIEXTRACT_SECRET is set. API keys are high-entropy, so an unkeyed digest
# is already irreversible; the secret only stops ids from matching across deployments.
_DEFAULT_HASH_KEY = b"antiextract-account-id-v1"
_MAX_HEADER_ACCOUNT = 128


@dataclass(frozen=True, slots=True)
class Identity:
    account: str  # stable, log-safe account id: "hdr:…", "key:<hex>" or "ip:<addr>"
    ip: str  # client IP as text ("unknown" when the server gave none)
    source: str  # "header", "api_key" or "ip": how the account was found


def hash_key(secret: bytes | None) -> bytes:
    return (secret or _DEFAULT_HASH_KEY)[:64]


def digest(value: str | bytes, key: bytes, size: int = 16) -> str:
    """Keyed digest used for account ids and store keys (safe for any input)."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return hashlib.blake2b(data, digest_size=size, key=key).hexdigest()


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def header_joined(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """All values of a repeatable header joined with commas, as RFC 9110 allows."""
    values = [value for key, value in headers if key == name]
    return b",".join(values) if values else None


def client_ip(
    peer: str | None,
    forwarded_for: bytes | None,
    trusted: tuple[IPNetwork, ...],
) -> str:
    """The client address, believing X-Forwarded-For only from trusted proxies.

    Walks the chain from the right, skipping trusted hops, and stops at the first
    untrusted one: hops left of it were written by the client and may be forged.
    """
    if peer is None:
        return "unknown"
    if not trusted or forwarded_for is None or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.decode("latin-1").split(",")]
    candidate = peer
    for hop in reversed(hops):
        try:
            addr = str(ipaddress.ip_address(hop))
        except ValueError:
            return candidate  # garbage in the chain: trust nothing beyond it
        candidate = addr
        if not _is_trusted(addr, trusted):
            return addr
    return candidate


def _is_trusted(addr: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def identify(
    headers: list[tuple[bytes, bytes]],
    peer: str | None,
    *,
    account_header: bytes | None,
    trusted: tuple[IPNetwork, ...],
    key: bytes,
) -> Identity:
    xff = header_joined(headers, b"x-forwarded-for") if trusted else None
    ip = client_ip(peer, xff, trusted)
    if account_header is not None:
        value = header(headers, account_header)
        if value:
            text = value.decode("latin-1").strip()[:_MAX_HEADER_ACCOUNT]
            if text:
                return Identity("hdr:" + text, ip, "header")
    token = api_key(headers)
    if token:
        return Identity("key:" + digest(token, key), ip, "api_key")
    return Identity("ip:" + ip, ip, "ip")


def api_key(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The caller's API key from ``Authorization: Bearer`` or Anthropic's ``x-api-key``."""
    auth = header(headers, b"authorization")
    if auth:
        scheme, _, token = auth.partition(b" ")
        if scheme.lower() == b"bearer" and token.strip():
            return token.strip()
    xkey = header(headers, b"x-api-key")
    if xkey and xkey.strip():
        return xkey.strip()
    return None
