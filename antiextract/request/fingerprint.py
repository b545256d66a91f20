"""Fingerprints of a prompt's template and of the client software that sent it.

A distillation campaign runs thousands of accounts that pour many different tasks into one
prompt template (a system prompt plus an instruction wrapper), lightly paraphrased per
account. No single request looks wrong; the campaign shows only when requests are grouped by
what they share. This module computes the grouping keys, and nothing else: a cohort shares a
key, and the campaign logic, not this module, decides whether a cohort is an attack (an IDE
assistant's shared system prompt gives one skeleton to all its users, as it should).

* ``TemplateFP.skeleton``: exact key of the wrapper, identical for every task it carries.
* ``TemplateFP.simhash`` / ``.bands``: near-duplicate keys, close for per-account paraphrases.
* ``client_fingerprint``: key of the client software (SDK, version family, header layout).

Everything here is a pure function of its arguments and runs on every request, within a
measured budget (``benchmarks/bench_fingerprint.py``: a 2 KB prompt in at most 25 µs, a
32 KB one in at most 150 µs). Python's ``re`` costs about 10 ns per character even for simple
patterns, so the hot path applies no regular expression to ASCII text: it finds the first and
the last paragraph with ``str.split``/``find`` and normalises a few hundred characters of each
with ``bytes.translate``/``split``, all of which run in C.

Hashes are XXH3-64 (``xxhash``) with fixed seeds, never the builtin ``hash()``: that one is
salted per process (PYTHONHASHSEED), and replicas must agree on every key for cohorts to be
counted in a shared store. xxhash is a C extension: 0.08 µs a call here, against 0.44 µs for
blake2b through ``hashlib``, which would be too slow for the 64 hashes of a SimHash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from xxhash import xxh3_64_digest, xxh3_64_hexdigest, xxh3_128_digest

__all__ = [
    "BAND_BITS",
    "BAND_COUNT",
    "TemplateFP",
    "client_fingerprint",
    "hamming",
    "template_fingerprint",
]

# Seeds separate the hash domains, so a skeleton can never equal a client fingerprint. Changing
# any value below changes every key: stored cohorts would stop matching new requests.
_SKELETON_SEED = 0x5EED_0001
_CLIENT_SEED = 0x5EED_0002

# LSH bands of the SimHash: two partitions of its top 60 bits into five 12-bit keys each,
# b0-b4 contiguous, b5-b9 orthogonal to them (each takes a 4-bit piece of three b0-b4 keys).
# Light paraphrases move the SimHash by a few bits, and which bits is luck of the wrapper's words:
# one partition of five keys was all hit in 16% of simulated (wrapper, campaign) draws with one
# edit per account (fewer than 90% of pairs sharing a key) and 30% with one or two; both
# partitions together miss in 1% and 8%. Textbook 16-bit bands miss in about half. Each key stays
# 12 bits, so its bucket holds 1/4096 of unrelated traffic: a few accounts of background against
# a campaign's hundreds; unrelated prompts share some key in ~1.4% of pairs (common words make
# them a little correlated). A consumer that can afford only five counters uses b0-b4.
BAND_COUNT = 10
BAND_BITS = 12

# How much of the prompt is hashed. Wrappers sit at the edges (system prompt and instruction
# first, format rules last); the task sits in the middle. Hashing only the edges bounds the cost
# whatever the prompt's size and keeps the task out of the keys.
# 300 characters hold a typical wrapper paragraph whole: an inserted word then adds a feature
# instead of also pushing one out at the window's far end, and ~45 words per side make each
# word a small share of the vote. Against 200 characters, the median Hamming distance between
# per-account paraphrases fell from 5 to 3 bits, the 90th percentile from 9 to 6 (test corpus,
# 10 simulated wrappers); the cost is ~2 µs more SimHash work.
_WINDOW = 300  # characters of the first and the last paragraph that are hashed (~45 words)
_MAX_FEATURES = 128  # SimHash words: the bit-matrix below has 128 rows

_PLACEHOLDER = " \u00a7 "  # "§": what a masked span becomes, one word whatever its length
_SEPARATOR = "\n\u00b6\n"  # "¶" between the head and the tail: keeps the two ends apart
_FENCE = "```"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


@dataclass(frozen=True, slots=True)
class TemplateFP:
    skeleton: str  # 16 hex chars: exact key of the wrapper (masked, normalised edge text)
    simhash: int  # 64-bit SimHash of the same words: close for near-duplicate wrappers
    bands: tuple[str, ...]  # BAND_COUNT LSH keys "b<i>:<hex>" cut from the SimHash


def hamming(a: int, b: int) -> int:
    """Bits that differ between two SimHashes (0 = same wrapper words, ~32 = unrelated)."""
    return (a ^ b).bit_count()


def template_fingerprint(text: str) -> TemplateFP:
    """The template keys of one prompt (for chat: instruction and user texts joined by line
    breaks, as ``RequestFacts.prompt_text`` does).

    Never raises, for any ``str`` (empty, lone surrogates, megabytes). Per request it costs
    one C-speed pass over the text when it holds a backtick (code fences), C-speed searches
    for the first and last paragraph break, and Python work on two windows of ``_WINDOW``
    characters only.
    """
    edges = _edges(text)
    # Memoised by a hash of the edges (never the text): a template's edges come back on
    # every one of its requests, and the words and SimHash of them are most of the cost.
    key = xxh3_128_digest(edges.encode("utf-8", "surrogatepass"))
    found = _TEMPLATES.get(key)
    if found is not None:
        return found
    words = _words(edges).split()
    skeleton = xxh3_64_hexdigest(b" ".join(words), seed=_SKELETON_SEED)  # whitespace collapsed
    if len(words) > _MAX_FEATURES:
        half = _MAX_FEATURES // 2
        words = words[:half] + words[-half:]
    simhash = _simhash(words)
    found = TemplateFP(skeleton=skeleton, simhash=simhash, bands=_bands(simhash))
    if len(_TEMPLATES) >= _TEMPLATE_MEMO:
        _TEMPLATES.clear()  # bounded: edges are attacker-chosen too
    _TEMPLATES[key] = found
    return found


_TEMPLATE_MEMO = 8192
_TEMPLATES: dict[bytes, TemplateFP] = {}  # 128-bit hash of the edges -> their fingerprint


def _bands(simhash: int) -> tuple[str, ...]:
    """b0-b4: hex digits 0-2, 3-5, 6-8, 9-11, 12-14 of the SimHash; b5-b9: digits i, i+5,
    i+10. Digit 15 (4 bits) is in no band. String slicing is 3x cheaper than int formatting."""
    h = f"{simhash:016x}"
    return (
        "b0:" + h[0:3],
        "b1:" + h[3:6],
        "b2:" + h[6:9],
        "b3:" + h[9:12],
        "b4:" + h[12:15],
        "b5:" + h[0:11:5],
        "b6:" + h[1:12:5],
        "b7:" + h[2:13:5],
        "b8:" + h[3:14:5],
        "b9:" + h[4:15:5],
    )


# --------------------------------------------------------------------------- edges


def _edges(text: str) -> str:
    """The head and tail of the prompt that carry its wrapper, with code blocks masked.

    The unit is the paragraph: templates put the task slot on lines of its own, usually
    between blank lines ("### Task\\n{task}\\n\\n### Instructions ..."), so the first paragraph
    is the start of the system prompt or instruction and the last is the closing instruction,
    however long or multi-paragraph the task. Without a blank line the unit is the line (a
    task on its own line between a leading and a trailing instruction); a prompt of one line
    gives its first ``_WINDOW`` characters and its last ``_WINDOW`` (disjoint from the first).
    Of each unit only the ``_WINDOW`` characters at the prompt's edge count, so a long system
    prompt costs no more than a short one and small edits deep inside it do not move the keys.

    Code fences are masked over the whole text first, when it holds a backtick at all (one
    ``split``, C speed; measured for the whole call: 40 µs for 32 KB of code, 0.8 ms for 1 MB
    of code, 6-8 ms for 1 MB of nothing but fences, the worst case). Masking only sampled ends
    would be cheaper, but a paragraph that runs into a long code block ("Explain the selected
    code:\\n```...```") would then end differently for short and long code, and one template
    would get two skeletons depending on the task's size.

    Limits, by design: a template that puts the task first or last, with no wrapper paragraph
    on that side (a bare "{task}" after a system prompt), gives one skeleton per task, and
    its SimHash shares only the wrapper side's half: nothing in a single prompt tells task
    from wrapper there. Only fenced code is masked; unfenced code at an edge counts as words.
    A line holding only spaces does not separate paragraphs.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "`" in text:  # a memchr: prose pays nothing for the fence pass
        text = _mask_fences(text)
    text = text.strip()
    sep = "\n\n"
    first = text.find(sep)
    if first == -1:
        sep = "\n"
        first = text.find(sep)
    reach = 2 * _WINDOW  # quotes are paired within this: bounded work for quote-stuffed units
    if first == -1:  # one line
        head = text[:reach]
        tail = text[max(_WINDOW, len(text) - reach) :]
    else:
        head = text[: min(first, reach)]
        tail = text[max(text.rfind(sep) + len(sep), len(text) - reach) :]
    return _mask_inline(head)[:_WINDOW] + _SEPARATOR + _mask_inline(tail)[-_WINDOW:]


def _mask_fences(s: str) -> str:
    """Fenced code blocks become one placeholder each, before paragraphs are looked for.

    Code is task material (what to fix, what to translate), and its blank lines would
    otherwise pass for paragraph breaks. Pieces between fences alternate outside, inside,
    outside, ...; an unclosed fence runs to the end, as Markdown renders it.
    """
    pieces = s.split(_FENCE)
    if len(pieces) == 1:
        return s
    masked = _PLACEHOLDER.join(pieces[0::2])
    if len(pieces) % 2 == 0:  # odd number of fences: the last piece is inside an open block
        masked += _PLACEHOLDER
    return masked


def _mask_inline(s: str) -> str:
    """Inline code and double-quoted strings become placeholders.

    Wrappers quote the variable part ('Translate "{sentence}"', 'Implement `{name}`') and
    their own format words ('end with "Final answer:"'); either way the quoted words are
    not the wrapper's wording. Single quotes are left alone: they are mostly apostrophes.
    """
    if "`" in s:
        s = _mask_pairs(s, "`", "`")
    if '"' in s:
        s = _mask_pairs(s, '"', '"')
    if "\u201c" in s:
        s = _mask_pairs(s, "\u201c", "\u201d")
    return s


def _mask_pairs(s: str, opening: str, closing: str) -> str:
    """Replace each ``opening ... closing`` span that stays on one line.

    The one-line rule stops a stray quote from swallowing the paragraphs after it.
    """
    out: list[str] = []
    pos = 0
    while (i := s.find(opening, pos)) != -1:
        j = s.find(closing, i + 1)
        if j == -1:
            break
        newline = s.find("\n", i, j)
        if newline != -1:  # unpaired on this line: skip it
            out.append(s[pos:newline])
            pos = newline
            continue
        out.append(s[pos:i])
        out.append(_PLACEHOLDER)
        pos = j + 1
    if not out:
        return s
    out.append(s[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- words


def _tables() -> tuple[bytes, bytes, bytes]:
    # Shape of each byte: "a" lower-case letter, UTF-8 byte (non-ASCII letters, CJK, emoji)
    # or placeholder; "A" upper-case letter, digit or code character; "." other punctuation;
    # " " whitespace. A word is code-like exactly when its shape has "aA": camelCase, snake_case,
    # paths and URLs, x86_64, v2, key=value. Not caught, and kept as plain words: dotted names
    # without a capital (os.path.join -> "ospathjoin", www.x.io) and words whose only code
    # character leads (@user, _private, #include).
    shape = bytearray(b"." * 256)
    for c in range(0x80, 0x100):
        shape[c] = ord("a")
    for c in b"abcdefghijklmnopqrstuvwxyz":
        shape[c] = ord("a")
    for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/\\@#$%&=<>|~^{}[]+":
        shape[c] = ord("A")
    for c in b" \t\n\r\x0b\x0c":
        shape[c] = ord(" ")
    lower = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
    # Deleted after the code-like words are gone: digits (numbers vanish, they vary per task)
    # and ASCII punctuation (so "code." and "code" are one word, "don't" is "dont").
    delete = bytes(c for c in range(0x21, 0x7F) if not chr(c).isalpha())
    return bytes(shape), lower, delete


_SHAPE, _LOWER, _DELETE = _tables()


def _words(edges: str) -> bytes:
    """Normalised words of the edge text: lower case, no numbers, no code-like tokens.

    Numbers, identifiers and paths are the slots of a template ("Write a function
    parse_config ...", "Generate 40 examples ..."); dropping them lets one wrapper give one
    skeleton. Done on bytes with two translate tables, because per-word Python costs about
    0.2 µs a word here and the common case (prose) needs no per-word step at all.

    Scripts written without spaces (Chinese, Japanese, Korean) are cut into characters, so
    their SimHash can see a partly changed sentence; that is the only regex, and it runs
    only on non-ASCII edge text.
    """
    if not edges.isascii() and _CJK.search(edges):
        edges = _CJK.sub(r" \g<0> ", edges)
    raw = edges.encode("utf-8", "surrogatepass")  # lone surrogates pass as bytes, never raise
    shape = raw.translate(_SHAPE)
    if b"aA" in shape:
        kept: list[bytes] = []
        pos = 0
        i = shape.find(b"aA")
        while i != -1:
            start = shape.rfind(b" ", 0, i) + 1
            end = shape.find(b" ", i)
            if end == -1:
                end = len(shape)
            kept.append(raw[pos:start])
            pos = end
            i = shape.find(b"aA", end)
        kept.append(raw[pos:])
        raw = b" ".join(kept)
    return raw.translate(_LOWER, _DELETE)


# --------------------------------------------------------------------------- simhash


def _lanes(pattern: int, lanes: int) -> int:
    """A 64-bit pattern repeated in ``lanes`` consecutive 64-bit lanes."""
    return int.from_bytes(pattern.to_bytes(8, "little") * lanes, "little")


def _transpose_mask(s: int) -> int:
    """Step s of the 8x8 bit-block transposition of a 128x64 bit matrix held in one int (row
    r at bits 64r..64r+63): bit c of row r swaps with bit c+s of row r+s where r, c lack s."""
    lane = sum(1 << c for c in range(64) if not c & s)
    return sum(lane << (64 * r) for r in range(_MAX_FEATURES) if not r & s)


_T4, _T2, _T1 = _transpose_mask(4), _transpose_mask(2), _transpose_mask(1)
_M1 = _lanes(0x5555555555555555, _MAX_FEATURES)
_M2 = _lanes(0x3333333333333333, _MAX_FEATURES)
_M4 = _lanes(0x0F0F0F0F0F0F0F0F, _MAX_FEATURES)
_LOW4096, _LOW2048, _LOW1024, _LOW512 = ((1 << bits) - 1 for bits in (4096, 2048, 1024, 512))
_BYTE_ONES = _lanes(0x0101010101010101, 8)
# Adding 127 - n//2 to a byte count c <= n <= 128 sets the byte's top bit exactly when c > n/2
# (and never carries into the next byte: c + 127 - n//2 <= 255).
_MAJORITY = tuple(_BYTE_ONES * (127 - n // 2) for n in range(_MAX_FEATURES + 1))
_BIT_CHARS = bytes.maketrans(b"\x00\x01", b"01")


def _simhash(features: list[bytes]) -> int:
    """SimHash: bit k is set when more than half of the features' hashes have it set.

    Unigram features, duplicates kept: a swapped word changes 2 of ~90 features where a
    3-word shingle swap changes 6, and that ratio is what sets the Hamming distance between
    paraphrases. Word order is the skeleton's job.

    A textbook pure-Python SimHash of a 2 KB prompt costs ~0.3 ms (benchmark); here the
    per-bit counting is done with whole-matrix integer operations. The feature hashes are the
    rows of a 128x64 bit matrix in one int; transposing each 8x8 bit block (3 steps) turns
    every byte into 8 rows' bits of one column, a byte-wise popcount (3 steps) counts them,
    and folding the 16 row groups (4 steps) sums the counts: 64 byte counters, no Python loop
    over features or bits (8 µs for 80 features). The output bits come out in a fixed permuted
    order, which is still a SimHash. numpy was measured too: no faster at this size (~10 µs
    for 64 features) and 80 ms to import.
    """
    n = len(features)
    m = int.from_bytes(b"".join(map(xxh3_64_digest, features)), "little")
    t = ((m >> 4) ^ (m >> 256)) & _T4  # transpose the 8x8 bit blocks: 4x4 sub-blocks,
    m ^= (t << 4) ^ (t << 256)
    t = ((m >> 2) ^ (m >> 128)) & _T2  # then 2x2,
    m ^= (t << 2) ^ (t << 128)
    t = ((m >> 1) ^ (m >> 64)) & _T1  # then single bits
    m ^= (t << 1) ^ (t << 64)
    m -= (m >> 1) & _M1  # popcount of every byte
    m = (m & _M2) + ((m >> 2) & _M2)
    m = (m + (m >> 4)) & _M4
    m = (m >> 4096) + (m & _LOW4096)  # add the 16 groups of 8 rows: 64 counters of one byte
    m = (m >> 2048) + (m & _LOW2048)
    m = (m >> 1024) + (m & _LOW1024)
    m = (m >> 512) + (m & _LOW512)
    votes = (((m + _MAJORITY[n]) >> 7) & _BYTE_ONES).to_bytes(64, "little")
    return int(votes.translate(_BIT_CHARS), 2)


# --------------------------------------------------------------------------- client


# Sent by proxies and load balancers between the client and us: they vary with the route, not
# with the client software, so they are left out of the header layout.
_INFRA_PREFIXES = (b"x-forwarded-", b"x-real-ip", b"x-envoy-", b"x-b3-", b"cf-", b"x-amzn-")
_INFRA = frozenset(
    {
        *(b"forwarded", b"via", b"true-client-ip", b"cdn-loop", b"traceparent", b"tracestate"),
        *(b"x-request-start", b"x-cloud-trace-context", b"x-request-id"),
    }
)
# SDK headers whose value describes the client software, not the account. Version-like
# values keep major.minor: an SDK or runtime patch release is the same client.
_SDK_VALUES = (
    b"x-stainless-lang",
    b"x-stainless-os",
    b"x-stainless-arch",
    b"x-stainless-runtime",
    b"x-stainless-async",
    b"anthropic-version",
    b"anthropic-beta",
    b"openai-beta",
)
_SDK_VERSIONS = (b"x-stainless-package-version", b"x-stainless-runtime-version")
_MAX_HEADERS = 64
_MAX_VALUE = 256
_VERSION = re.compile(r"\d+(?:[._]\d+)*")
_MAJOR_MINOR = re.compile(r"\D*\d+(?:\.\d+)?")
# Memos for client_fingerprint, cleared when full. Worst case, with every name and value
# as long as admitted: 4,096 roles x 2 x 64 B, and 1,024 clients x (1 KB of names + 11
# values of at most 256 B): ~4 MB. A service sees a few dozen distinct clients.
_ROLE_MEMO, _MEMO_NAME = 4096, 64
_CLIENT_MEMO, _MEMO_NAME_BYTES = 1024, 1024
_HEADER_ROLES: dict[bytes, tuple[bytes | None, bool]] = {}
_CLIENTS: dict[tuple[tuple[bytes, ...], tuple[bytes, ...]], str] = {}


def client_fingerprint(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """16 hex chars naming the client software: SDK family, version line, header layout.

    Made of the User-Agent with version numbers removed, the header names in order (HTTP
    libraries emit a fixed set in a fixed order: httpx, curl and browsers differ), and the
    SDK's own self-description (``x-stainless-*``, ``anthropic-version``). Credentials and
    account ids (authorization, x-api-key, cookie, openai-organization, ...) count only by
    name, i.e. by presence: their values are never read, so the fingerprint cannot tell two
    accounts of one fleet apart, which is the point. Never raises on odd bytes.

    Every request pays for this, and a service sees few distinct clients: the names and
    values read are looked up in a bounded memo before the normalising and hashing.
    """
    roles = _HEADER_ROLES
    names: list[bytes] = []
    values: dict[bytes, bytes] = {}
    for raw_name, value in islice(headers, _MAX_HEADERS):
        role = roles.get(raw_name)
        if role is None:
            role = _header_role(raw_name)
        name, read = role
        if name is None:
            continue
        names.append(name)
        if read and name not in values:
            values[name] = value[:_MAX_VALUE]
    key = (tuple(names), tuple(values.values()))
    found = _CLIENTS.get(key)
    if found is None:
        found = _client_digest(list(dict.fromkeys(names)), values)
        # bounded in bytes too: names and values are the client's to choose
        if sum(map(len, names)) <= _MEMO_NAME_BYTES:
            if len(_CLIENTS) >= _CLIENT_MEMO:
                _CLIENTS.clear()
            _CLIENTS[key] = found
    return found


def _header_role(raw_name: bytes) -> tuple[bytes | None, bool]:
    """A header name lowered (None: a proxy's header, left out) and whether its value is
    read; memoised per raw name (bounded: names are attacker-chosen too)."""
    name = raw_name.lower()
    role: tuple[bytes | None, bool]
    if name in _INFRA or name.startswith(_INFRA_PREFIXES):
        role = (None, False)
    else:
        role = (name, name == b"user-agent" or name in _SDK_VALUES or name in _SDK_VERSIONS)
    if len(raw_name) <= _MEMO_NAME:
        if len(_HEADER_ROLES) >= _ROLE_MEMO:
            _HEADER_ROLES.clear()
        _HEADER_ROLES[raw_name] = role
    return role


def _client_digest(names: list[bytes], values: dict[bytes, bytes]) -> str:
    parts = [b",".join(names)]
    agent = values.get(b"user-agent")
    if agent is not None:
        family = _VERSION.sub("", agent.decode("latin-1").lower())
        parts.append(b"ua=" + " ".join(family.split()).encode("latin-1"))
    for name in _SDK_VALUES:
        if name in values:
            parts.append(name + b"=" + values[name].strip().lower())
    for name in _SDK_VERSIONS:
        if name in values:
            found = _MAJOR_MINOR.match(values[name].decode("latin-1").strip())
            parts.append(name + b"=" + (found.group().encode("latin-1") if found else b"?"))
    return xxh3_64_hexdigest(b"\n".join(parts), seed=_CLIENT_SEED)
