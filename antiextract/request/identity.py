"""Who is asking: account, client IP and end user, from an ASGI scope.

Everything here is pure. The raw API key never leaves this module: it is replaced by a
keyed BLAKE2b digest, so logs, metrics and the store only ever see ``key:<hex>``.

An API key is read from every place the common servers read one (:class:`KeyPlaces`,
``ANTIEXTRACT_API_KEY_HEADERS`` / ``API_KEY_QUERY_PARAMS``): servers disagree on which
place wins (LiteLLM reads ``x-litellm-api-key`` before ``Authorization``), so a request
whose places hold two different keys has no one account (:attr:`Credentials.conflict`)
and the middleware refuses it; had antiextract read one place and the server another, a
random key in antiextract's place would make one real key a new account on every request.

An IPv6 client is counted per /64 (:func:`counted_ip`): one host is routinely given a
whole /64, so an address of its own per request costs it nothing.

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

import binascii
import hashlib
import ipaddress
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from ..settings import DEFAULT_API_KEY_HEADERS, DEFAULT_API_KEY_QUERY_PARAMS, IPNetwork
from ..vocab import (  # the auth headers' names and why one was not believed
    ACCOUNT,
    CREATED,
    INVALID,
    REPEATED,
    TIER,
    UNTRUSTED_PEER,
)

# Used when no ANTIEXTRACT_SECRET is set. API keys are high-entropy, so an unkeyed digest
# is already irreversible; the secret only stops ids from matching across deployments.
_DEFAULT_HASH_KEY = b"antiextract-account-id-v1"
_MAX_HEADER_ACCOUNT = 128
# X-Forwarded-For hops examined from the right: a real chain of proxies is a handful long,
# and a client can make the header as long as the server's header limit allows.
MAX_FORWARDED_HOPS = 32


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
    # the middleware's clock: a creation time after it (plus a day) is not believed
    clock: Callable[[], float] = field(default=time.time, compare=False)
    # ``names``, made once: ``read`` runs on every request
    _names: tuple[tuple[str, bytes], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pairs = ((ACCOUNT, self.account), (CREATED, self.created), (TIER, self.tier))
        names = tuple((kind, name) for kind, name in pairs if name is not None)
        object.__setattr__(self, "_names", names)

    @classmethod
    def from_settings(cls, s: Any, clock: Callable[[], float] = time.time) -> TrustedHeaders:
        return cls(
            _name(s.account_header),
            _name(s.account_created_header),
            _name(s.account_tier_header),
            tuple(s.trusted_proxies),
            clock,
        )

    @property
    def names(self) -> tuple[tuple[str, bytes], ...]:
        """The configured auth headers as (metric name, header name)."""
        return self._names

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
            created = parse_created(believed[CREATED], self.clock())
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
        names = [name.decode("latin-1") for _, name in self.names]
        what = {
            ACCOUNT: "name another account (spend or block its budget)",
            CREATED: "claim an old creation time",
            TIER: "claim a better tier",
        }
        can = " or ".join(what[kind] for kind, _ in self.names)
        listed = " and ".join(names) + (" is" if len(names) == 1 else " are")
        return (
            f"ANTIEXTRACT_TRUSTED_PROXIES is not set, so {listed} believed from every "
            f"client: anyone can {can}. Set it to the auth layer's addresses."
        )

    def everyone_warning(self) -> str | None:
        """The start-up warning when TRUSTED_PROXIES holds a network that is every address
        (``0.0.0.0/0``, ``::/0``), else ``None``: then every client is a trusted proxy."""
        wide = [str(net) for net in self.proxies if net.prefixlen == 0]
        if not wide:
            return None
        return (
            f"ANTIEXTRACT_TRUSTED_PROXIES includes {', '.join(wide)}: every client counts as "
            "a trusted proxy, so any client's X-Forwarded-For names its IP (fresh IP limits "
            "per request) and any client may set the account, creation-time and tier "
            "headers. List only the load balancers' and the auth layer's addresses."
        )


class Credentials(NamedTuple):
    """The API keys a request carries, as log-safe account ids (digests, never a key)."""

    accounts: tuple[str, ...] = ()  # distinct ``key:<digest>``, in the places' order
    places: tuple[str, ...] = ()  # where a key was found: header names, ``?param``

    @property
    def conflict(self) -> bool:
        """Two places hold different keys: which one the server reads is unknown."""
        return len(self.accounts) > 1

    @property
    def account(self) -> str | None:
        return self.accounts[0] if self.accounts else None


NO_CREDENTIALS = Credentials()


class KeyPlaces:
    """The headers and query parameters an API key is read from.

    ``Authorization`` holds a key under the ``Bearer`` scheme, under ``Basic`` (the
    password of ``user:password``, or the user when the password is empty; the token as
    it is when it does not decode, as LiteLLM reads it) and under LiteLLM's
    ``AWS4-HMAC-SHA256 Credential=<key>/...``; any other scheme (Digest, Negotiate) holds
    none. Every other place holds its value, a scheme prefix read the same way (LiteLLM
    strips ``Bearer `` from ``x-litellm-api-key``). The same key in several places is one
    key."""

    __slots__ = ("_order", "headers", "params")

    def __init__(
        self,
        headers: Iterable[bytes] = tuple(h.encode() for h in DEFAULT_API_KEY_HEADERS),
        params: Iterable[str] = DEFAULT_API_KEY_QUERY_PARAMS,
    ) -> None:
        self.headers = frozenset(headers)
        self.params = frozenset(params)
        # the places in the configured order, named as the audit event names them
        self._order = tuple(h.decode("latin-1") for h in dict.fromkeys(headers)) + tuple(
            "?" + p for p in dict.fromkeys(params)
        )

    @classmethod
    def from_settings(cls, s: Any) -> KeyPlaces:
        return cls(
            tuple(name.lower().encode("latin-1") for name in s.api_key_headers),
            tuple(s.api_key_query_params),
        )

    def read(self, headers: Iterable[tuple[bytes, bytes]], query: bytes, key: bytes) -> Credentials:
        """The request's keys as account ids (``key:<keyed digest>``) and their places."""
        found: list[tuple[str, bytes]] = []
        names = self.headers
        for name, value in headers:
            if name in names:
                token = _key_in(name, value)
                if token:
                    found.append((name.decode("latin-1"), token))
        if query and self.params:
            params = self.params
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=False):
                if name in params:
                    token = _key_in(b"", value.encode("utf-8", "surrogatepass"))
                    if token:
                        found.append(("?" + name, token))
        if not found:
            return NO_CREDENTIALS
        if len(found) == 1:  # the usual request: one key, in one place
            place, token = found[0]
            return Credentials(("key:" + digest(token, key),), (place,))
        rank = {place: i for i, place in enumerate(self._order)}
        found.sort(key=lambda item: rank.get(item[0], len(rank)))
        accounts = dict.fromkeys("key:" + digest(token, key) for _, token in found)
        places = dict.fromkeys(place for place, _ in found)
        return Credentials(tuple(accounts), tuple(places))


DEFAULT_KEY_PLACES = KeyPlaces()
# LiteLLM's AWS Signature V4 form: ``Credential=Bearer <key>/date/...`` or ``Credential=<key>/``
_AWS4_CREDENTIAL = re.compile(rb"Credential=(?:Bearer\s+)?([^/\s,]+)")


def _key_in(name: bytes, value: bytes) -> bytes | None:
    """The API key a header value (``name``) or query value (``b""``) holds, if any."""
    value = value.strip()
    scheme, space, rest = value.partition(b" ")
    if space:
        kind = scheme.lower()
        rest = rest.strip()
        if kind == b"bearer":
            return rest or None
        if kind == b"basic":
            return _basic(rest) if rest else None
        if kind == b"aws4-hmac-sha256":
            match = _AWS4_CREDENTIAL.search(rest)
            return match.group(1) if match else None
    if name == b"authorization":
        return None  # a scheme that carries no API key (or none at all)
    return value or None


def _basic(token: bytes) -> bytes:
    """The key in ``Basic`` credentials: decoded leniently, as FastAPI's ``HTTPBasic``
    (``base64.b64decode``) does, so characters outside the alphabet cannot make one key
    look like many; the password, else the user; the token itself when it is not
    ``user:password`` in base64 (LiteLLM takes ``Basic <key>`` as the key)."""
    try:
        decoded = binascii.a2b_base64(token)
    except binascii.Error:
        return token
    user, colon, password = decoded.partition(b":")
    if not colon:
        return token
    return password or user or token


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
    keys: KeyPlaces = DEFAULT_KEY_PLACES,
    query: bytes = b"",
    credentials: Credentials | None = None,
) -> Identity:
    """``account`` is the account header's value as :meth:`TrustedHeaders.read` believed
    it (``None``: not configured, absent or not believed): it wins when set; then the
    hashed API key (the first of ``keys``' places that holds one, or of ``credentials``
    when the caller read them already; a request whose places disagree is refused before
    this, see :class:`Credentials`); then the client IP (an IPv6 client's /64)."""
    ip = request_ip(headers, peer, trusted)
    if account is not None:
        name = account_id(account, key)
        if name is not None:
            return Identity(name, ip, "header")
    if credentials is None:
        credentials = keys.read(headers, query, key)
    found = credentials.account
    if found is not None:
        return Identity(found, ip, "api_key")
    return Identity("ip:" + ip, ip, "ip")


def request_ip(
    headers: list[tuple[bytes, bytes]], peer: str | None, trusted: tuple[IPNetwork, ...]
) -> str:
    """The client as counted: :func:`client_ip`, an IPv6 address as its /64."""
    xff = header_joined(headers, b"x-forwarded-for") if trusted else None
    return counted_ip(client_ip(peer, xff, trusted))


def counted_ip(ip: str) -> str:
    """The unit a client is counted in: an IPv4 address as it is, an IPv6 address as its
    /64 (``2001:db8:1:2::/64``), the size of network one host (a cloud VM, a home line) is
    routinely given; counted per address, one host would have 2**64 fresh IP windows and
    IP-keyed accounts. Anything else (``unknown``) as it is."""
    if ":" not in ip:
        return ip
    found = _COUNTED.get(ip)
    if found is None:
        try:
            found = str(ipaddress.IPv6Network((ip, 64), strict=False))
        except ValueError:
            found = ip
        if len(_COUNTED) >= 65_536:
            _COUNTED.clear()
        _COUNTED[ip] = found
    return found


_COUNTED: dict[str, str] = {}  # memo: parsing an address costs microseconds, clients return


def peer_from_forwarded(client: Any, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the server seems to have replaced the peer with an X-Forwarded-For entry.

    uvicorn's proxy headers (on by default; ``--forwarded-allow-ips '*'`` is its advice
    behind a load balancer) set the scope's client to an entry of X-Forwarded-For, with
    that entry's port or 0, and leave the header in place; with ``'*'`` it is the
    leftmost entry, which the client writes. A real peer's port is never 0, nor the one a
    client wrote next to its own address, so an address *and* port equal to an entry's
    are the mark of a rewrite. Then the peer antiextract sees may be the client's choice,
    and so is everything believed from it (TRUSTED_PROXIES, the IP limits)."""
    if not client:
        return False
    xff = header_joined(headers, b"x-forwarded-for")
    if not xff:
        return False
    try:
        host, port = str(client[0]), int(client[1])
        address = ipaddress.ip_address(host)
    except (ValueError, TypeError, IndexError):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for hop in xff.decode("latin-1").split(",")[:MAX_FORWARDED_HOPS]:
        entry = _hop_with_port(hop.strip())
        if entry is not None and entry == (address, port):
            return True
    return False


def _hop_with_port(hop: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int] | None:
    """An X-Forwarded-For entry as (address, port), port 0 when it names none."""
    ip = _hop_address(hop)
    if ip is None:
        return None
    port = 0
    if hop.startswith("[") or (hop.count(":") == 1 and "." in hop):
        _, _, tail = hop.rpartition(":")
        port = int(tail) if tail.isdigit() else 0
    return ip, port


# The earliest creation time believed: 2000-01-01T00:00:00Z.
EARLIEST_CREATED = 946_684_800.0
CREATED_AHEAD = 86_400.0  # how far past now a creation time may be (clocks disagree)


def parse_created(value: bytes, now: float | None = None) -> float | None:
    """An account creation time: Unix seconds or ISO 8601 (no zone: UTC), from 2000-01-01
    to a day after ``now`` (default: the wall clock); ``None`` for anything else, ``nan``
    and infinities included (an infinitely old account would never be young). Milliseconds
    (an auth layer's common mistake) are past that range: not believed, never guessed at,
    so every account does not look brand new (the caller counts it as invalid)."""
    if now is None:
        now = time.time()
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
    if not math.isfinite(seconds) or not EARLIEST_CREATED <= seconds <= now + CREATED_AHEAD:
        return None
    return seconds


def _name(header_name: str | None) -> bytes | None:
    return header_name.strip().lower().encode("latin-1") if header_name else None
