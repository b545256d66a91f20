"""Proof-of-work challenges: the CHALLENGE response, where the app is not called until the
client has paid some CPU time.

Everything here is pure (no ASGI, no I/O except the Redis replay guard); the middleware
wires it in. The pieces:

Token. ``issue`` makes a stateless, signed, url-safe token; nothing is stored when a
challenge is sent. Its 78 bytes, base64url-encoded without padding (104 characters)::

    offset size  field
    0      1     version (1)
    1      4     key id: HMAC-SHA256(secret, "antiextract/challenge/kid")[:4]
    5      4     issued at, unix seconds, big-endian uint32
    9      4     expires at, unix seconds, big-endian uint32
    13     1     difficulty, in bits
    14     16    random nonce (secrets.token_bytes)
    30     16    account binding: HMAC-SHA256(secret, "antiextract/challenge/account\\0" + id)[:16]
    46     32    tag: HMAC-SHA256(secret, "antiextract/challenge/mac\\0" + bytes 0..45)

The account id never appears, only its keyed hash. Several secrets may be configured for
rotation: the first signs, any of them verifies (the key id picks the candidates). Tokens
must be in canonical form (the exact encoding of their bytes), so one challenge has one
spelling and one replay key.

Work. A solution ``S`` is 1 to 64 characters of ``[A-Za-z0-9_-]``; it is good when
SHA-256 of the ASCII string ``<token>:<S>`` starts with ``difficulty`` zero bits. Each
bit doubles the expected work: 2**bits hashes on average. ``solve`` does about a million
hashes a second in CPython on one core.

Wire contract (``challenge_response``). Status **403**, body in the API family's error
format (``permission_error``, code ``challenge_required``), with headers
``AntiExtract-Challenge: <token>``, ``AntiExtract-Difficulty: <bits>``,
``x-should-retry: false`` and ``cache-control: no-store``. The client resends the same
request with ``AntiExtract-Solution: <token>:<S>``: one header, and the exact string
that was hashed (tokens and solutions never contain ``:``).

Why 403 and not 429: a 429 tells every client "wait, then send the same request again";
the official SDKs and most generic retry layers do exactly that, and the same request
only ever earns a new challenge, so blind retries burn the caller's retry budget and our
bandwidth for nothing. RFC 9110 describes 403 as "the client SHOULD NOT automatically
repeat the request with the same credentials", which is the situation: the request
needs a new credential, the solution. No SDK retries a 403 (``x-should-retry: false``
makes that explicit for the ones that read it). 429 also stays reserved for
throttling, where waiting does help. The cost: an SDK without the helper raises
``PermissionDeniedError`` (openai and anthropic); its message says what to do and the
challenge is in ``err.response.headers``. Clients with ``antiextract.client.ChallengeAuth``
never see it: the helper keys on the ``AntiExtract-Challenge`` header, not the status.

Replay. ``verify`` is stateless, so a solved token could be sent many times; the caller
must also ask a ``ReplayGuard`` whether ``Verdict.token_id`` is used for the first time.

Allowance. A verified, first-use solution buys the account an ``Allowance``: the request
carrying the solution and the next ones, up to ``ALLOWANCE_REQUESTS`` requests in all
within ``ALLOWANCE_SECONDS``, whichever runs out first, before a new challenge.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets as _random
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .apis import PERMISSION, ApiFamily
from .enforce import Refusal, json_headers

if TYPE_CHECKING:
    pass


CHALLENGE_HEADER = "AntiExtract-Challenge"
DIFFICULTY_HEADER = "AntiExtract-Difficulty"
SOLUTION_HEADER = "AntiExtract-Solution"
CHALLENGE_STATUS = 403
CHALLENGE_CODE = "challenge_required"

VERSION = 1
DEFAULT_TTL = 120.0
MIN_SECRET_BYTES = 16
MAX_DIFFICULTY = 64  # far beyond any sane setting; the token field is one byte
MAX_SOLUTION_CHARS = 64


OK = "ok"
MALFORMED = "malformed"
FORGED = "forged"
EXPIRED = "expired"
WRONG_ACCOUNT = "wrong_account"
INSUFFICIENT_WORK = "insufficient_work"

_HEAD = struct.Struct(">B4sIIB16s16s")  # version .. account binding
_TAG_BYTES = 32
_RAW_BYTES = _HEAD.size + _TAG_BYTES  # 78
_TOKEN_CHARS = math.ceil(_RAW_BYTES * 4 / 3)  # 104, no padding
_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{{_TOKEN_CHARS}}}")
_SOLUTION_RE = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_SOLUTION_CHARS}}}")

_KID = b"antiextract/challenge/kid"
_ACCOUNT = b"antiextract/challenge/account\x00"
_MAC = b"antiextract/challenge/mac\x00"


# --- token ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claims:
    """A token's fields, read without checking its signature (see ``peek``)."""

    version: int
    key_id: bytes
    issued_at: int
    expires_at: int
    difficulty: int
    nonce: bytes
    account_binding: bytes
    tag: bytes
    raw: bytes

    @property
    def signed(self) -> bytes:
        return self.raw[: _HEAD.size]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``verify`` found. ``token_id`` (the replay key) and ``expires_at`` are set
    whenever the token parsed, so the caller can log them; act only when ``ok``."""

    ok: bool
    reason: str
    token_id: str | None = None
    expires_at: float | None = None
    difficulty: int | None = None


def _hmac(secret: bytes, *parts: bytes) -> bytes:
    mac = hmac.new(secret, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.digest()


def key_id(secret: bytes) -> bytes:
    """The 4-byte key id of a secret: a keyed hash, so it reveals nothing about it."""
    return _hmac(secret, _KID)[:4]


def account_binding(secret: bytes, account: str) -> bytes:
    return _hmac(secret, _ACCOUNT, account.encode("utf-8", "surrogatepass"))[:16]


def _check_secrets(secrets: Sequence[bytes]) -> None:
    if not secrets:
        raise ValueError("at least one challenge secret is required")
    for secret in secrets:
        if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"challenge secrets must be bytes, at least {MIN_SECRET_BYTES} long")


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def token_id(raw: bytes) -> str:
    """The replay key of a token: a digest of its bytes (32 hex characters)."""
    return hashlib.sha256(raw).hexdigest()[:32]


def issue(
    account: str,
    difficulty: int,
    now: float,
    secrets: list[bytes],
    ttl: float = DEFAULT_TTL,
) -> str:
    """A new challenge token for ``account``, signed with ``secrets[0]``, valid ``ttl`` s."""
    _check_secrets(secrets)
    if isinstance(difficulty, bool) or not isinstance(difficulty, int):
        raise TypeError("difficulty must be an int")
    if not 0 <= difficulty <= MAX_DIFFICULTY:
        raise ValueError(f"difficulty must be 0..{MAX_DIFFICULTY} bits, got {difficulty}")
    if not (math.isfinite(ttl) and ttl > 0):
        raise ValueError(f"ttl must be a positive number of seconds, got {ttl}")
    issued = math.floor(now)
    expires = math.ceil(now + ttl)
    if issued < 0 or expires >= 2**32:
        raise ValueError(f"time out of range: {now}")
    secret = bytes(secrets[0])
    head = _HEAD.pack(
        VERSION,
        key_id(secret),
        issued,
        expires,
        difficulty,
        _random.token_bytes(16),
        account_binding(secret, account),
    )
    return _encode(head + _hmac(secret, _MAC, head))


def peek(token: object) -> Claims | None:
    """A token's fields without checking the signature (clients read the difficulty
    this way); None unless it is a canonical token of a known version."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _RAW_BYTES or _encode(raw) != token:
        return None
    version, kid, issued, expires, bits, nonce, binding = _HEAD.unpack_from(raw)
    if version != VERSION:
        return None
    return Claims(version, kid, issued, expires, bits, nonce, binding, raw[_HEAD.size :], raw)


def parse_solution_header(value: object) -> tuple[str, str] | None:
    """``AntiExtract-Solution: <token>:<solution>`` as (token, solution), or None."""
    if not isinstance(value, str):
        return None
    token, sep, solution = value.strip().rpartition(":")
    if not sep or not token or not solution:
        return None
    return token, solution


def _work_limit(difficulty: int) -> int:
    return 1 << (256 - difficulty)


def has_work(token: str, solution: str, difficulty: int) -> bool:
    """Whether SHA-256(token ":" solution) starts with ``difficulty`` zero bits."""
    digest = hashlib.sha256(f"{token}:{solution}".encode("ascii")).digest()
    return int.from_bytes(digest, "big") < _work_limit(difficulty)


def verify(
    token: str,
    solution: str,
    account: str,
    now: float,
    secrets: list[bytes],
) -> Verdict:
    """Check a solved challenge. Never raises on client input; raises ValueError only
    for a bad ``secrets`` configuration. Does not check replay: see ``ReplayGuard``."""
    _check_secrets(secrets)
    claims = peek(token)
    if claims is None or not isinstance(solution, str) or not _SOLUTION_RE.fullmatch(solution):
        return Verdict(False, MALFORMED)
    tid = token_id(claims.raw)
    expires_at = float(claims.expires_at)

    def verdict(ok: bool, reason: str) -> Verdict:
        return Verdict(ok, reason, tid, expires_at, claims.difficulty)

    signer: bytes | None = None
    for secret in secrets:
        secret = bytes(secret)
        if not hmac.compare_digest(key_id(secret), claims.key_id):
            continue
        if hmac.compare_digest(_hmac(secret, _MAC, claims.signed), claims.tag):
            signer = secret
            break
    if signer is None:
        return verdict(False, FORGED)
    if not now < claims.expires_at:
        return verdict(False, EXPIRED)
    if not isinstance(account, str) or not hmac.compare_digest(
        account_binding(signer, account), claims.account_binding
    ):
        return verdict(False, WRONG_ACCOUNT)
    if not has_work(token, solution, claims.difficulty):
        return verdict(False, INSUFFICIENT_WORK)
    return verdict(True, OK)


# --- difficulty and solving ----------------------------------------------------------


def difficulty_for(
    risk: float,
    base: int = 16,
    max_bits: int = 24,
    *,
    low: float = 6.0,
    high: float = 9.0,
) -> int:
    """Bits of work for a risk score on the policy's scale.

    ``low`` and ``high`` default to the policy's ``challenge_at`` and ``block_at``
    (pass the configured values): at ``low`` or below a challenge costs ``base`` bits, at
    ``high`` or above ``max_bits``, linearly in between (NaN counts as ``high``). Linear
    in bits is exponential in work, as each bit doubles it: with the defaults, risk 6 asks
    16 bits (~65k hashes, ~0.05 s in CPython), 7.5 asks 20 bits (~1M hashes, ~1 s) and 9
    asks 24 bits (~16M hashes, ~15 s). From about 22 bits (~4 s, risk 8.25) honest
    clients feel it too; accounts at ``block_at`` are blocked rather than challenged, so
    the top is mostly a ceiling.
    """
    if not 0 <= base <= max_bits <= MAX_DIFFICULTY:
        raise ValueError(f"need 0 <= base <= max_bits <= {MAX_DIFFICULTY}")
    if math.isnan(risk) or risk >= high:
        fraction = 1.0
    elif risk <= low:
        fraction = 0.0
    else:
        fraction = (risk - low) / (high - low)
    return base + math.floor(fraction * (max_bits - base) + 0.5)


class SolveCancelled(Exception):
    """``solve`` was stopped through its ``cancel`` event."""


def solve(
    token: str,
    difficulty: int | None = None,
    *,
    cancel: threading.Event | None = None,
) -> str:
    """Brute-force a solution: decimal counters until the hash has enough zero bits.

    The difficulty is read from the token unless given. ``cancel`` (checked every 64k
    hashes) stops a solve that nobody waits for any more.
    """
    if difficulty is None:
        claims = peek(token)
        if claims is None:
            raise ValueError("not a challenge token")
        difficulty = claims.difficulty
    if not 0 <= difficulty <= 256:
        raise ValueError(f"difficulty out of range: {difficulty}")
    prefix = hashlib.sha256(f"{token}:".encode("ascii"))
    limit = _work_limit(difficulty)
    from_bytes = int.from_bytes
    counter = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise SolveCancelled(token)
        for n in range(counter, counter + 65536):
            h = prefix.copy()
            candidate = str(n)
            h.update(candidate.encode())
            if from_bytes(h.digest(), "big") < limit:
                return candidate
        counter += 65536


# --- the response --------------------------------------------------------------------


def challenge_response(
    family: ApiFamily,
    token: str,
    difficulty: int,
    verification_url: str | None = None,
) -> Refusal:
    """The CHALLENGE response: (status, headers, body), an ``enforce.Refusal``."""
    claims = peek(token)
    valid_for = ""
    if claims is not None:
        valid_for = f" within {max(0, claims.expires_at - claims.issued_at)} s"
    message = (
        "Proof of work required: this request was not processed. Take the token in the "
        f"{CHALLENGE_HEADER} response header, find a string S of 1-{MAX_SOLUTION_CHARS} "
        f"characters from [A-Za-z0-9_-] such that SHA-256 of '<token>:S' starts with "
        f"{difficulty} zero bits, and send the same request again{valid_for} with the header "
        f"'{SOLUTION_HEADER}: <token>:S'. The Python helper antiextract.client.ChallengeAuth "
        "does this automatically for httpx-based clients, including the OpenAI and Anthropic "
        "SDKs."
    )
    if verification_url:
        message += f" To stop receiving challenges, verify the account at {verification_url}."
    body = family.error_body(PERMISSION, message, code=CHALLENGE_CODE)
    headers = json_headers(
        body,
        (CHALLENGE_HEADER.lower().encode(), token.encode("ascii")),
        (DIFFICULTY_HEADER.lower().encode(), str(difficulty).encode()),
        (b"x-should-retry", b"false"),
        (b"cache-control", b"no-store"),
    )
    if verification_url:
        headers.append((b"antiextract-verification-url", verification_url.encode()))
    return Refusal(CHALLENGE_STATUS, headers, body)


__all__ = [
    "CHALLENGE_HEADER",
    "CHALLENGE_STATUS",
    "DIFFICULTY_HEADER",
    "SOLUTION_HEADER",
    "Claims",
    "SolveCancelled",
    "Verdict",
    "challenge_response",
    "difficulty_for",
    "has_work",
    "issue",
    "parse_solution_header",
    "peek",
    "solve",
    "verify",
]
