"""Wrapper parts: digests of the sentences around a prompt's task, for cross-account links.

A paraphrasing campaign shuffles its wrapper's sentences and swaps some per request, so no
two of its prompts share a template (``fingerprint.py``); but each sentence comes from a
finite grammar, and the same sentence recurs across the campaign's accounts around tasks
that never repeat. The intelligence plane counts distinct *young* accounts per sentence
digest (a cohort of kind ``p:``) against the established accounts that share it: an IDE's
system prompt or a tenant's app prompt is shared by established accounts (baseline), a
campaign's sentences by young ones (a link).

What leaves the request plane is only digests: ``p:`` and 16 hex digits of XXH3-64 of a
normalised sentence (case folded, whitespace collapsed), never text. Per record at most
``SYSTEM_PARTS`` from the system text (memoised per system text: an app's system prompt
comes back on every request) and ``USER_PARTS`` from the latest user turn, each the
smallest digests of its side (a bottom-k sample: two requests that share sentences tend
to pick the same ones). Only the edges of the user turn are read (``EDGE`` characters at
each end; a wrapper sits around its task), code fences are skipped, and splitting uses
``str.replace``/``split`` only (C speed; ``re`` costs ~10 ns per character). Cost on a
2 KB prompt: a few µs (``benchmarks/bench_parts.py``).
"""

from __future__ import annotations

from xxhash import xxh3_64_intdigest, xxh3_128_digest

__all__ = ["EDGE", "SYSTEM_PARTS", "USER_PARTS", "part_keys", "sentence_digests"]

_PART_SEED = 0x5EED_0017  # a hash domain of its own (fingerprint.py uses 0x5EED_0001/2)
SYSTEM_PARTS = 2
USER_PARTS = 3
EDGE = 400  # characters read at each end of the user turn
MIN_CHARS = 16  # shorter fragments ("Thanks.", a label) are no evidence of a shared wrapper
MAX_SENTENCES = 64  # sentences hashed per side at most
_ENDS = tuple((e, e.rstrip() + "\n") for e in (". ", "? ", "! ", "。", "？", "！"))
_MEMO = 4096
_ERRORS = "surrogatepass"  # lone surrogates hash too, never raise
_SYSTEM: dict[bytes, tuple[int, ...]] = {}  # 128-bit hash of a system text (never the text)


def sentence_digests(text: str, k: int) -> tuple[int, ...]:
    """The ``k`` smallest distinct digests of ``text``'s sentences (ascending)."""
    if "```" in text:
        text = " ".join(text.split("```")[::2])  # fenced code: what it says is the task's
    for end, split in _ENDS:
        if end in text:
            text = text.replace(end, split)
    found = {
        xxh3_64_intdigest(" ".join(line.lower().split()).encode("utf-8", _ERRORS), _PART_SEED)
        for line in text.split("\n", MAX_SENTENCES)[:MAX_SENTENCES]
        if len(line) >= MIN_CHARS
    }
    return tuple(sorted(found)[:k])


def _edges(text: str) -> str:
    if len(text) <= 2 * EDGE:
        return text
    head, tail = text[:EDGE], text[-EDGE:]
    # the sentence cut at each window's inner end is a fragment: left out
    cut = max(head.rfind("\n"), head.rfind(". "))
    head = head[: cut + 1] if cut > 0 else ""
    cut = max(tail.find("\n"), tail.find(". "))
    tail = tail[cut + 1 :] if cut >= 0 else ""
    return head + "\n" + tail


def part_keys(system_text: str, user_text: str) -> tuple[str, ...]:
    """The ``p:`` keys of one request (at most SYSTEM_PARTS + USER_PARTS). Never raises
    for any ``str``."""
    digests: tuple[int, ...] = ()
    if system_text:
        memo = xxh3_128_digest(system_text.encode("utf-8", "surrogatepass"))
        found = _SYSTEM.get(memo)
        if found is None:
            found = sentence_digests(system_text, SYSTEM_PARTS)
            if len(_SYSTEM) >= _MEMO:
                _SYSTEM.clear()  # bounded: system texts are attacker-chosen too
            _SYSTEM[memo] = found
        digests = found
    if user_text:
        digests += tuple(
            d for d in sentence_digests(_edges(user_text), USER_PARTS) if d not in digests
        )
    return tuple(f"p:{d:016x}" for d in digests)
