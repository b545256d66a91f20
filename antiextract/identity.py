"""Who is asking: account, client IP and end user, from an ASGI scope.

Everything here is pure. The raw API key never leaves this module: it is replaced by a
keyed BLAKE2b digest, so logs, metrics and the store only ever see ``key:<hex>``.

What is believed from whom (the README's "Failure modes" says the same):

- the auth layer's headers (account, creation time, tier) and X-Forwarded-For are written
  by whoever sends the request, so with ``TRUSTED_PROXIES`` set they are believed only
  when the direct peer is one of those proxies; from anyone else they are ignored, as if
  absent (:class:`TrustedHeaders`). Without ``TRUSTED_PROXIES`` X-Forwarded-For is never
  believed and the auth headers are believed from every peer, which start-up warns about;
- an auth header sent more than once is never believed: a proxy that appends its value
  instead of replacing the client's would otherwise let the client's come first.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .settings import IPNetwork

# Used when no ANTIEXTRACT_SECRET is set. API keys are high-entropy, so an unkeyed digest
# is already irreversible; the secret only stops ids from matching across deployments.
_DEFAULT_HASH_KEY = b"antiextract-account-id-v1"
_MAX_HEADER_ACCOUNT = 128
# X-Forwarded-For hops examined from the right: a real chain of proxies is a handful long,
# and a client can make the header as long as the server's header limit allows.
MAX_FORWARDED_HOPS = 32

# The auth layer's headers, by the name the ignored-headers metric gives them.
ACCOUNT, CREATED, TIER = "account", "created", "tier"
AUTH_HEADERS = (ACCOUNT, CREATED, TIER)
# Why one of them was not believed.
UNTRUSTED_PEER = "untrusted_peer"  # TRUSTED_PROXIES is set and the peer is not in it
REPEATED = "repeated"  # sent more than once: which one the auth layer wrote is unknown
INVALID = "invalid"  # a creation time that is not a finite Unix time or ISO 8601
IGNORED_REASONS = (UNTRUSTED_PEER, REPEATED, INVALID)


@dataclass(frozen=True, slots=True)
class Identity:
    account: str  # stable, log-safe account id: "hdr:…", "key:<hex>" or "ip:<addr>"
    ip: str  # client IP as text ("unknown" when the server gave none)
    source: str  # "header", "api_key" or "ip": how the account was found


@dataclass(frozen=True, slots=True)
class AuthFacts:
    """What a request's auth-layer headers say, once the untrusted ones are dropped."""

    account: bytes | None = None  # the account header's value, when believed
    created: float | None = None  # account creation time (Unix seconds), when believed
    tier: str | None = None  # tier name, stripped and lower-cased, when believed
    ignored: tuple[tuple[str, str], ...] = ()  # (header, reason) of each one not believed


NO_FACTS = AuthFacts()


@dataclass(frozen=True, slots=True)
class TrustedHeaders:
    """The headers only a trusted peer may set, and which peers are trusted.

    ``account``, ``created`` and ``tier`` are the lower-cased names of the auth layer's
    headers (``None``: not configured); ``proxies`` are ``TRUSTED_PROXIES``. Shared by the
    middleware (what it believes) and the gateway (what it forwards), so the upstream
    behind the gateway is never told what the gateway itself did not believe.
    """

    account: bytes | None = None
    created: bytes | None = None
    tier: bytes | None = None
    proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, s: Any) -> TrustedHeaders:
        return cls(
            _name(s.account_header),
            _name(s.account_created_header),
            _name(s.account_tier_header),
            tuple(s.trusted_proxies),
        )

    @property
    def names(self) -> tuple[tuple[str, bytes], ...]:
        """The configured auth headers as (metric name, header name)."""
        pairs = ((ACCOUNT, self.account), (CREATED, self.created), (TIER, self.tier))
        return tuple((kind, name) for kind, name in pairs if name is not None)

    def believes(self, peer: str | None) -> bool:
        """Whether a request whose direct peer is ``peer`` may set the auth headers: any
        peer when no TRUSTED_PROXIES is set (start-up warns), else one of them only."""
        return not self.proxies or (peer is not None and is_trusted(peer, self.proxies))

    def read(self, headers: Iterable[tuple[bytes, bytes]], peer: str | None) -> AuthFacts:
        """The believed values of the auth headers, and every one that was not."""
        names = self.names
        if not names:
            return NO_FACTS
        found: dict[bytes, list[bytes]] = {name: [] for _, name in names}
        for key, value in headers:
            values = found.get(key)
            if values is not None:
                values.append(value)
        trusted = self.believes(peer)
        ignored: list[tuple[str, str]] = []
        believed: dict[str, bytes] = {}
        for kind, name in names:
            values = found[name]
            if not values:
                continue
            if not trusted:
                ignored.append((kind, UNTRUSTED_PEER))
            elif len(values) > 1:
                ignored.append((kind, REPEATED))
            else:
                believed[kind] = values[0]
        created = None
        if CREATED in believed:
            created = parse_created(believed[CREATED])
            if created is None:
                ignored.append((CREATED, INVALID))
        tier = believed.get(TIER)
        return AuthFacts(
            believed.get(ACCOUNT),
            created,
            tier.decode("latin-1").strip().lower() if tier is not None else None,
            tuple(ignored),
        )

    def unbelieved(
        self, headers: Iterable[tuple[bytes, bytes]], peer: str | None
    ) -> frozenset[bytes]:
        """Names of the auth headers a request carries that are not believed (an
        untrusted peer's, or repeated ones): the gateway does not forward them."""
        names = {name for _, name in self.names}
        if not names:
            return frozenset()
        seen: dict[bytes, int] = {}
        for key, _ in headers:
            if key in names:
                seen[key] = seen.get(key, 0) + 1
        if not self.believes(peer):
            return frozenset(seen)
        return frozenset(name for name, count in seen.items() if count > 1)

    def warning(self) -> str | None:
        """The start-up warning when auth headers are configured but believed from every
        peer (no TRUSTED_PROXIES), else ``None``."""
        if self.proxies or not self.names:
            return None
        listed = ", ".join(name.decode("latin-1") for _, name in self.names)
        return (
            f"ANTIEXTRACT_TRUSTED_PROXIES is not set, so {listed} are believed from every "
            "client: anyone can name another account (spend or block its budget), claim an "
            "old creation time or a better tier. Set it to the auth layer's addresses."
        )


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
    untrusted one: hops left of it were written by the client and may be forged. At most
    MAX_FORWARDED_HOPS hops are read; a hop with a port (``1.2.3.4:5678``,
    ``[2001:db8::1]:443``, as some load balancers write them) counts as its address.
    """
    if peer is None:
        return "unknown"
    peer = _canonical(peer)
    if not trusted or forwarded_for is None or not is_trusted(peer, trusted):
        return peer
    hops = forwarded_for.decode("latin-1").rsplit(",", MAX_FORWARDED_HOPS)
    candidate = peer
    for hop in reversed(hops[-MAX_FORWARDED_HOPS:]):
        ip = _hop_address(hop.strip())
        if ip is None:
            return candidate  # garbage in the chain: trust nothing beyond it
        candidate = str(ip)
        if not _in(ip, trusted):
            return candidate
    return candidate


def is_trusted(addr: str, trusted: tuple[IPNetwork, ...]) -> bool:
    """Whether ``addr`` (an IPv4-mapped IPv6 address counts as its IPv4 one) is in one of
    the ``trusted`` networks."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return _in(ip, trusted)


def _in(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: tuple[IPNetwork, ...]) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in nets)


def _canonical(addr: str) -> str:
    """A dual-stack server's ``::ffff:10.0.0.5`` as ``10.0.0.5``, so one client is one IP."""
    if addr.startswith("::ffff:"):
        try:
            mapped = ipaddress.IPv6Address(addr).ipv4_mapped
        except ValueError:
            return addr
        if mapped is not None:
            return str(mapped)
    return addr


def _hop_address(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(hop)
    except ValueError:
        if hop.startswith("["):  # [v6]:port
            host, _, port = hop[1:].partition("]:")
        elif hop.count(":") == 1:  # v4:port
            host, _, port = hop.partition(":")
        else:
            return None
        if not port.isdigit():
            return None
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def account_id(value: bytes, key: bytes) -> str | None:
    """The log-safe account id of an account header's value (``None`` when blank).

    Printable UTF-8 up to 128 characters is kept as ``hdr:<value>``, so operators see the
    auth layer's own ids; anything longer, not UTF-8, with control characters or starting
    with ``#`` becomes ``hdr:#<keyed digest>``: never truncated (two long ids sharing a
    prefix would be one account), never raw bytes in a log line, never equal to a
    readable id.
    """
    raw = value.strip()
    if not raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text or len(text) > _MAX_HEADER_ACCOUNT or text[0] == "#" or not text.isprintable():
        return "hdr:#" + digest(raw, key)
    return "hdr:" + text


def identify(
    headers: list[tuple[bytes, bytes]],
    peer: str | None,
    *,
    account: bytes | None,
    trusted: tuple[IPNetwork, ...],
    key: bytes,
) -> Identity:
    """``account`` is the account header's value as :meth:`TrustedHeaders.read` believed
    it (``None``: not configured, absent or not believed): it wins when set; then the
    hashed API key; then the client IP."""
    xff = header_joined(headers, b"x-forwarded-for") if trusted else None
    ip = client_ip(peer, xff, trusted)
    if account is not None:
        name = account_id(account, key)
        if name is not None:
            return Identity(name, ip, "header")
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


def parse_created(value: bytes) -> float | None:
    """An account creation time: Unix seconds or ISO 8601 (no zone: UTC); ``None`` for
    anything else, ``nan`` and infinities included (an infinitely old account would
    never be young)."""
    text = value.decode("latin-1").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        seconds = parsed.timestamp()
    return seconds if math.isfinite(seconds) else None


def _name(header_name: str | None) -> bytes | None:
    return header_name.strip().lower().encode("latin-1") if header_name else None
