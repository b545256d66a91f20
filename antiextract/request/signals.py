"""Stateless request signals: what one request says about extraction, read like an analyst.

Pure functions of ``RequestFacts``. Two kinds of output:

- *traits* (bits in ``risk``): properties that are ordinary once and telling as a habit
  (asking for reasoning, coding/agentic focus, single-turn). The store keeps their shares
  per account; risk grows with the shares, not with one request.
- *acute* weight: extraction-grade parameters (token probabilities, logit bias, several
  samples, maximised reasoning) that a harvest needs and an ordinary chat rarely sends.
  Each fired signal adds its weight to the account's decaying acute score.

Every weight has a default here and an override in ``ANTIEXTRACT_SIGNAL_WEIGHTS`` (a JSON
object naming only the weights to change).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, fields

import ahocorasick_rs
import xxhash

from ..model.risk import ELICIT, EXTRACT, FOCUS, LOGIT_BIAS, MAX_WEIGHT, SINGLE, check_range
from . import lexicon
from .apis import RequestFacts

EDGE = 2_048  # characters read at each end of a long prompt: wrappers live at the edges
LARGE_OUTPUT = 8_192  # an output budget at or above this is "very large"


@dataclass(frozen=True, slots=True)
class SignalWeights:
    """Acute weight added per request when the signal fires (before the youth factor)."""

    logprobs: float = 1.0  # logprobs / top_logprobs: the distribution, not just the text
    top_logprobs_all: float = 3.0  # vLLM top_logprobs = -1: the whole vocabulary
    logit_bias: float = 1.0  # logit_bias alone (also used for formatting, so weak)
    logit_probe: float = 6.0  # logit_bias with logprobs: logit extraction (Carlini 2024)
    prompt_logprobs: float = 2.0  # vLLM: log-probabilities of the prompt tokens
    token_ids: float = 2.0  # vLLM allowed_token_ids / logprob_token_ids
    multi_sample: float = 1.0  # n > 1: several answers per prompt for distillation
    greedy_multi: float = 1.5  # temperature 0 with n > 1: probing determinism
    large_output: float = 0.5  # output budget >= 8,192 tokens
    reasoning_max: float = 0.5  # reasoning effort high / thinking budget >= 16k
    reasoning_include: float = 0.5  # Responses include=reasoning.encrypted_content
    odd_body: float = 0.5  # wrong types or shapes: hand-rolled clients and fuzzers

    def __post_init__(self) -> None:
        for name in self.names():  # a negative weight would lower an extractor's risk
            check_range(name, getattr(self, name), 0, MAX_WEIGHT)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class RequestSignals:
    traits: int
    acute: float
    fired: tuple[str, ...]  # names of traits and acute signals that fired


# --------------------------------------------------------------------------- text folding
# Every Unicode whitespace (NBSP, ideographic space, line and paragraph separators, tabs,
# line breaks) becomes one space, zero-width characters disappear, dashes and apostrophes
# become ASCII, letters are casefolded after NFKC (full-width forms, ligatures): a phrase
# split by a line break, padded with NBSP or salted with a zero-width space reads the same.
# str.isspace() over all of Unicode (tests/test_signals.py checks the list is complete)
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Characters NFKC keeps that must not split or hide a word: every Unicode space, the
# zero-width and format characters, dashes, typographic apostrophes and quotes, full-width
# punctuation. One
# character-class search finds whether a text has any (str.translate on non-ASCII text
# costs ~75 ns a character); only then is each replaced. CJK punctuation needs nothing:
# Latin words in CJK text are spaced (see fold) and CJK patterns need no boundaries.
_SPECIAL = {
    **{c: " " for c in WHITESPACE if not c.isascii()},
    **dict.fromkeys(
        "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200c\u200d\u200e\u200f"
        "\u2060\u2061\u2062\u2063\u2064\ufeff",
        "",
    ),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc", "'"),
    **dict.fromkeys("\u00ab\u00bb\u201c\u201d\u201e\u00b7", " "),
    **dict.fromkeys("\u00bf\u00a1", " "),  # Spanish opening marks: "¿cómo" is "cómo"
    # the full-width punctuation of nearly every Chinese text, which would otherwise send
    # it through NFKC (~100 ns a character in CPython)
    **{chr(0xFF00 + c - 0x20): chr(c) for c in b"!(),:;?"},
}
_ANY_SPECIAL = re.compile("[" + "".join(map(re.escape, _SPECIAL)) + "]")
_ASCII_SPACE = bytes.maketrans(
    bytes(c for c in range(128) if chr(c).isspace()),
    b" " * sum(chr(c).isspace() for c in range(128)),
)
# Latin accents: "explícame" reads as "explicame", "débogue" as "debogue" (people type
# without them as often as with). Only Latin letters lose them (a regex over U+00C0-U+024F
# with a table): NFKD would also split Hangul into jamo, voiced kana and й.
_LATIN_BASE = {
    chr(c): base
    for c in range(0xC0, 0x250)
    if len(d := unicodedata.normalize("NFKD", chr(c))) > 1 and (base := d[0]).isascii()
}
_LATIN_ACCENTED = re.compile("[" + "".join(_LATIN_BASE) + "]")
_LATIN_ACCENT_LEAD = tuple(bytes([b]) for b in range(0xC3, 0xCA))


def _unaccent(match: re.Match[str]) -> str:
    return _LATIN_BASE[match.group()]


# Lead bytes of UTF-8 kana, CJK ideographs and Hangul (U+3000-U+9FFF, U+AC00-U+D7FF)
_CJK_LEAD = tuple(bytes([b]) for b in range(0xE3, 0xEE))
_LATIN_RUN = re.compile(r"[a-z0-9][a-z0-9._+#/-]*")


def fold(text: str) -> str:
    """NFKC, casefold, every whitespace run one space (the text the lexicon is matched on).
    In Chinese, Japanese and Korean text a Latin word gets spaces around it, so "用python实现"
    reads "python" as a word."""
    if text.isascii():
        raw = text.lower().encode().translate(_ASCII_SPACE)
    else:
        if _ANY_SPECIAL.search(text):
            for old, new in _SPECIAL.items():
                if old in text:
                    text = text.replace(old, new)
        if not unicodedata.is_normalized("NFKC", text):  # full-width forms, ligatures
            text = unicodedata.normalize("NFKC", text)
        raw = text.encode("utf-8", "surrogatepass")
        if any(b in raw for b in _LATIN_ACCENT_LEAD):
            text = _LATIN_ACCENTED.sub(_unaccent, text)
        raw = text.casefold().encode("utf-8", "surrogatepass").translate(_ASCII_SPACE)
        if any(lead in raw for lead in _CJK_LEAD):
            spaced = _LATIN_RUN.sub(r" \g<0> ", raw.decode("utf-8", "surrogatepass"))
            raw = spaced.encode("utf-8", "surrogatepass")
    while b"  " in raw:
        raw = raw.replace(b"  ", b" ")
    return raw.decode("utf-8", "surrogatepass")


def edges(text: str, size: int = EDGE) -> str:
    """The start and the end of a long text, where instruction wrappers sit."""
    if len(text) <= 2 * size:
        return text
    return text[:size] + "\n" + text[-size:]


# --------------------------------------------------------------------------- lexicon
# One Aho-Corasick automaton over every pattern of every language finds all of them in a
# single pass (a few µs for 2 KB; an alternation regex over the same words costs ~50x).
(_DEMAND, _PROCESS, _WEAK, _METHOD, _CHOICE, _COGITATE, _BEFORE, _OWN, _EACH, _SHOW, _TELL,
 _NOSKIP, _GUIDE, _NOT_PROCESS, _FOCUS, _EXT, _OPENING, _NEGATE, _NEGATED, _STEPWISE,
 _PROCEDURE, _SOLVE, _OBFUSCATED) = range(23)  # fmt: skip
_KINDS = 23
_CONCEPTS = (
    (_DEMAND, lexicon.DEMAND), (_PROCESS, lexicon.PROCESS), (_WEAK, lexicon.WEAK_PROCESS),
    (_METHOD, lexicon.METHOD), (_CHOICE, lexicon.CHOICE), (_COGITATE, lexicon.COGITATE),
    (_BEFORE, lexicon.BEFORE),
    (_OWN, lexicon.OWN), (_EACH, lexicon.EACH), (_SHOW, lexicon.SHOW), (_TELL, lexicon.TELL),
    (_NOSKIP, lexicon.NOSKIP), (_GUIDE, lexicon.GUIDE), (_NOT_PROCESS, lexicon.NOT_PROCESS),
    (_NEGATE, lexicon.NEGATE), (_NEGATED, lexicon.NEGATED), (_STEPWISE, lexicon.STEPWISE),
    (_PROCEDURE, lexicon.PROCEDURE), (_SOLVE, lexicon.SOLVE), (_OBFUSCATED, lexicon.OBFUSCATED),
)  # fmt: skip


def _is_wordish(ch: str) -> bool:
    """A letter or digit of a spaced script (Latin, Greek, Cyrillic): a word goes on. CJK,
    kana and Hangul next to a Latin word do not make it part of theirs."""
    return ch < "\u0530" and ch.isalnum()


_Entry = tuple[int, bool, bool, tuple[tuple[int, float], ...]]  # shift, left, right, kinds


def _entries() -> tuple[list[str], list[_Entry], list[str], list[_Entry], tuple[str, ...]]:
    """Two automata and a few literals. Words (and words joined by inner punctuation) are
    matched on the text with ASCII punctuation turned to spaces, carrying their word
    boundaries as spaces (" your", "python "), so the automaton itself rejects "dein" in
    "deinstall" and only real hits reach Python. Code shapes and file extensions ("```",
    "=>", ".py") are matched on the folded text, only when the words leave FOCUS open, and
    their boundaries checked here. Demands made of punctuation ("<thinking>") are
    substring tests."""
    table: dict[str, tuple[bool, bool, list[tuple[int, float]]]] = {}

    def add(raw: str, kind: int, weight: float = 0.0) -> None:
        if raw.startswith("^"):  # only at the start of a sentence: "Reason methodically."
            raw, kind = raw[1:], _OPENING
        pat = raw.removeprefix("~").removesuffix("$") if len(raw) > 1 else raw
        pat = fold(pat) if pat.strip() else pat  # written as people write, matched folded
        if not pat:
            return
        left = not raw.startswith("~") and _is_wordish(pat[0])
        right = raw.endswith("$") and len(raw) > 1 and _is_wordish(pat[-1])
        old = table.get(pat)
        kinds = old[2] if old else []
        if kind in (_FOCUS, _EXT):  # a pattern listed twice still counts once
            kinds[:] = [k for k in kinds if k[0] != kind]
        kinds.append((kind, weight))
        table[pat] = (left or bool(old and old[0]), right or bool(old and old[1]), kinds)

    for kind, per_lang in _CONCEPTS:
        for words in per_lang.values():
            for w in words.split("|"):
                add(w, kind)
    for weight, per_lang in lexicon.FOCUS.items():
        for words in per_lang.values():
            for w in words.split("|"):
                add(w, _FOCUS, weight)
    for weight, shapes in lexicon.SHAPES.items():
        for shape in shapes:
            add(shape, _FOCUS, weight)
    for ext in lexicon.EXTENSIONS.split("|"):
        add(f".{ext}$", _EXT, EXT_WEIGHT)
    words: dict[str, _Entry] = {}
    shapes: dict[str, _Entry] = {}
    literal: list[str] = []
    for pat, (left, right, kinds) in table.items():
        gapped = pat.translate(_WORD_GAPS)
        if gapped == pat or not (
            gapped[0] == " " or gapped[-1] == " " or sum(c.isalnum() for c in pat) < 2
        ):  # words, and words joined by inner punctuation: "node.js", "let's", "step-by-step"
            key = (" " if left else "") + gapped + (" " if right else "")
            old_entry = words.get(key)
            merged = (old_entry[3] if old_entry else ()) + tuple(kinds)
            words[key] = (0 if left else -1, False, False, merged)
        elif all(k in (_FOCUS, _EXT) for k, _ in kinds):  # code shapes, file extensions
            shapes[pat] = (0, left, right, tuple(kinds))
        else:  # "<thinking>", "reasoning:": looked for as they are
            assert all(k == _DEMAND for k, _ in kinds), pat
            literal.append(pat)
    return (list(words), list(words.values()), list(shapes), list(shapes.values()),
            tuple(literal))  # fmt: skip


EXT_WEIGHT = 1.5  # "main.go", "App.tsx": a file name with a source extension
# ASCII punctuation becomes a space for the word automaton ("sql-запрос", "python's")
_PUNCTUATION = "".join(c for c in map(chr, range(33, 127)) if not c.isalnum())
_WORD_GAPS = str.maketrans(_PUNCTUATION, " " * len(_PUNCTUATION))
_WORD_GAPS_B = bytes.maketrans(_PUNCTUATION.encode(), b" " * len(_PUNCTUATION))
_WORDS, _WORD_ENTRIES, _OTHERS, _OTHER_ENTRIES, _LITERAL_DEMANDS = _entries()
_PATTERNS = _WORDS + _OTHERS + list(_LITERAL_DEMANDS)
# one automaton pass for all of them: a Python "in" per literal costs ~5 µs each on 4 KB
_LITERAL_AUTOMATON = ahocorasick_rs.AhoCorasick(
    list(_LITERAL_DEMANDS),
    matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST,
    implementation=ahocorasick_rs.Implementation.DFA,
)
_WORD_AUTOMATON, _OTHER_AUTOMATON = (
    ahocorasick_rs.AhoCorasick(
        patterns,
        matchkind=ahocorasick_rs.MATCHKIND_STANDARD,
        implementation=ahocorasick_rs.Implementation.DFA,
    )
    for patterns in (_WORDS, _OTHERS)
)

_OWN_BEFORE, _OWN_AFTER = 28, 22  # characters: "your complete reasoning", "raisonnement complet"
_SHOW_NEAR = 40  # "lay out every intermediate deduction"; verb-final: "推論の過程をすべて示して"
_TELL_NEAR = 60
_NEGATE_BEFORE, _NEGATE_AFTER = 45, 25  # "no need to document your reasoning", "思路不需要"
_PROCEDURE_NEAR = 60  # "How do I tie a Windsor knot? Step by step please."
_REFUSABLE = (_PROCESS, _WEAK, _METHOD, _CHOICE, _COGITATE)
FOCUS_AT = 2.0
_SENTENCE_END = frozenset(".!?:;)*-•>\"'«„“")  # score at which a request is coding or agentic work

# Identifier shapes, read on the raw text (case matters for camelCase): letters become
# "a"/"A", digits "0", other bytes a space, so the checks are plain substring tests.
_SHAPE_MAP = bytes.maketrans(
    bytes(range(256)),
    bytes(
        ord("a") if chr(c).islower() and c < 128
        else ord("A") if chr(c).isupper() and c < 128
        else ord("0") if chr(c).isdigit() and c < 128
        else c if chr(c) in "_.(" and c < 128
        else ord(" ")
        for c in range(256)
    ),
)  # fmt: skip


def _shape_score(text: str) -> float:
    """snake_case, camelCase, dotted.calls(), shell prompts and stack frames. Each test
    first looks for a rare byte (memchr speed), since "a"-heavy needles scan slowly."""
    m = text.encode("utf-8", "surrogatepass").translate(_SHAPE_MAP)
    score = 0.0
    if "_" in text and (b"a_a" in m or b"a_0" in m):
        score += 1.5  # snake_case
    if b"aA" in m and b"aAa" in m:
        score += 1.0  # camelCase (also "iPhone", "YouTube": weak alone)
    if b".a" in m:
        if "(" in text and b"a.a" in m and b"a(" in m:
            score += 1.5  # obj.method(...)
        elif b"aa.aa" in m:
            score += 1.0  # a dotted name: requests.get, os.path (not "e.g.", not "U.S.")
    if text.startswith("$ ") or "\n$ " in text or "\n> " in text:
        score += 1.5  # a shell prompt or a REPL at the start of a line
    if "\n\tat " in text or "\n    at " in text:
        score += 2.0  # Java / Node stack frames
    return score


@dataclass(frozen=True, slots=True)
class Reading:
    """What one prompt field says: whether it asks for reasoning, how coding-like it is."""

    elicit: bool
    focus: float


def _near(hits: list[int], at: int, before: int, after: int) -> bool:
    return any(at - before <= h <= at + after for h in hits)


def read_text(text: str, plain: bool = False) -> Reading:
    """Classify one prompt field (its edges), from the folded text and its raw shapes. A
    text with a marker of obfuscation is also read as ``lexicon.deobfuscate`` spells it
    (``plain``: that second reading, which looks for no markers)."""
    raw = edges(text)
    if not raw:
        return Reading(False, 0.0)
    low = fold(raw)
    gaps = " " + low.encode("utf-8", "surrogatepass").translate(_WORD_GAPS_B).decode(
        "utf-8", "surrogatepass"
    ) + " "  # fmt: skip
    found: list[list[int]] = [[] for _ in range(_KINDS)]
    spans: list[tuple[int, int]] = []  # demands
    guide: list[tuple[int, int]] = []
    steps: list[tuple[int, int]] = []  # bare "step by step"
    focus = 0.0
    seen: set[int] = set()  # each focus pattern counts once
    for i, s, _ in _WORD_AUTOMATON.find_matches_as_indexes(gaps, overlapping=True):
        shift, _, _, kinds = _WORD_ENTRIES[i]
        start = s + shift
        for kind, weight in kinds:
            if kind == _FOCUS:
                if i not in seen:
                    seen.add(i)
                    focus += weight
            elif kind == _DEMAND:
                spans.append((start, start + len(_WORDS[i].strip(" "))))
            elif kind == _OPENING:
                if start < 2 or low[start - 2] in _SENTENCE_END:
                    spans.append((start, start + len(_WORDS[i].strip(" "))))
            elif kind == _GUIDE:
                guide.append((start, start + len(_WORDS[i].strip(" "))))
            elif kind == _STEPWISE:
                steps.append((start, start + len(_WORDS[i].strip(" "))))
            else:
                found[kind].append(start)
    punctuated = "<" in low or ":" in low or "#" in low  # "<thinking>", "reasoning:"
    if not spans and punctuated and _LITERAL_AUTOMATON.find_matches_as_indexes(low):
        spans.append((-1, -1))
    elicit = _asks_reasoning(spans, guide, steps, found)
    if elicit and ("'" in low or '"' in low):  # "does 'think step by step' help?"
        # quotations only take evidence away: looked for only when there is some to take
        quoted = _quotations(low)
        if quoted:
            starts = [a for a, _ in quoted]
            spans = [(a, b) for a, b in spans if not _inside(a, starts, quoted)]
            for k, hits in enumerate(found):  # few kinds hold hits: touch only those
                if hits:
                    found[k] = [a for a in hits if not _inside(a, starts, quoted)]
            elicit = _asks_reasoning(spans, guide, steps, found)
    if not elicit and found[_OBFUSCATED] and not plain:
        elicit = read_text(lexicon.deobfuscate(raw), plain=True).elicit
    if focus < FOCUS_AT:  # code shapes decide only what the words left open
        focus += _code_shapes(low) + _shape_score(raw)
    return Reading(elicit, focus)


_QUOTE_BACK = 120  # characters: how far back an open brace makes a quotation a JSON string


def _inside(at: int, starts: list[int], spans: list[tuple[int, int]]) -> bool:
    """Whether ``at`` lies in one of the sorted, disjoint ``spans`` (``starts`` their starts)."""
    i = bisect_right(starts, at) - 1
    return i >= 0 and at < spans[i][1]


_DOUBLE_QUOTE = re.compile('"')
_SINGLE_QUOTE = re.compile(r"(?<![^\W_])'|'(?![^\W_])")  # not inside a word: "don't"


def _quotations(low: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks, where a demand is mentioned, not made ("translate:
    'show your work'", "my teacher writes 'show your working'"). Not in JSON or a format
    spec, where quoted keys and values carry real demands ('{"thoughts": [...]}'), and not
    a quotation followed by ":" (a key) or following '": ' (a JSON value far from its
    brace). Apostrophes inside words ("don't") do not count."""
    out: list[tuple[int, int]] = []
    for q, marks in (('"', _DOUBLE_QUOTE), ("'", _SINGLE_QUOTE)):
        if q not in low:
            continue
        at = [m.start() for m in marks.finditer(low)]
        for a, b in zip(at[::2], at[1::2], strict=False):
            before = low[max(0, a - _QUOTE_BACK) : a]
            if low[b + 1 : b + 2] == ":" or "{" in before or "[" in before or before[-3:] == '": ':
                continue
            out.append((a, b))
    out.sort()
    merged: list[tuple[int, int]] = []  # '"' and "'" quotations may nest: one span each
    for a, b in out:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _code_shapes(low: str) -> float:
    """Code punctuation and file names on the folded text, each distinct shape once."""
    score = 0.0
    seen: set[int] = set()
    size = len(low)
    for i, start, end in _OTHER_AUTOMATON.find_matches_as_indexes(low, overlapping=True):
        _, left, right, kinds = _OTHER_ENTRIES[i]
        if i in seen or (left and start and _is_wordish(low[start - 1])):
            continue
        if right and end < size and _is_wordish(low[end]):
            continue
        for kind, weight in kinds:
            # a file name needs a name before the dot: "main.go", not "the .go extension"
            if kind == _FOCUS or (start and _is_wordish(low[start - 1])):
                seen.add(i)
                score += weight
    return score


def _asks_reasoning(
    demand: list[tuple[int, int]],
    guide: list[tuple[int, int]],
    steps: list[tuple[int, int]],
    found: list[list[int]],
) -> bool:
    if not demand and not any(found[k] for k in _REFUSABLE):
        return False  # every rule below needs a demand or one of these: most texts stop here
    negate, negated = found[_NEGATE], found[_NEGATED]
    if negate or negated:  # a refusal of the reasoning takes back what it refuses
        negate, negated = sorted(negate), sorted(negated)  # bisect: no hits x refusals loop

        def free(at: int, end: int | None = None) -> bool:
            end = at if end is None else end
            i = bisect_left(negate, at - _NEGATE_BEFORE)
            if i < len(negate) and negate[i] < at:
                return False
            j = bisect_left(negated, end)
            return not (j < len(negated) and negated[j] <= end + _NEGATE_AFTER)

        demand = [(s, e) for s, e in demand if free(s, e)]
        found = list(found)
        for k in _REFUSABLE:
            if found[k]:
                found[k] = [a for a in found[k] if free(a)]
    # a bare "step by step" said of a procedure the user carries out (a recipe, a visa)
    procedure = found[_PROCEDURE]
    stepwise = (
        {(s, e) for s, e in steps if _near(procedure, s, _PROCEDURE_NEAR, _PROCEDURE_NEAR)}
        if procedure and not found[_SOLVE]
        else set()
    )
    if stepwise:  # and the steps noun inside it ("распиши по шагам" for a borscht)
        found = list(found)
        found[_PROCESS] = [a for a in found[_PROCESS] if not any(s <= a < e for s, e in stepwise)]
    for start, end in demand:
        if any(g0 <= start and end <= g1 for g0, g1 in guide) or (start, end) in stepwise:
            continue
        return True
    process, weak, method, choice = found[_PROCESS], found[_WEAK], found[_METHOD], found[_CHOICE]
    own, each, show, tell = found[_OWN], found[_EACH], found[_SHOW], found[_TELL]
    noskip, not_process = found[_NOSKIP], set(found[_NOT_PROCESS])
    cogitate, before = found[_COGITATE], found[_BEFORE]
    for at in process:
        if at in not_process:
            continue
        if _near(own, at, _OWN_BEFORE, _OWN_AFTER) or _near(show, at, _SHOW_NEAR, _SHOW_NEAR):
            return True
        if _near(each, at, _OWN_BEFORE, _OWN_AFTER) and _near(tell, at, _TELL_NEAR, _TELL_NEAR):
            return True
        if _near(noskip, at, _SHOW_NEAR, _SHOW_NEAR):
            return True
    for at in weak:
        if at in not_process or not _near(show, at, _SHOW_NEAR, _SHOW_NEAR):
            continue
        if _near(own, at, _OWN_BEFORE, _OWN_AFTER) or _near(each, at, _OWN_BEFORE, _OWN_AFTER):
            return True
    verbs = show + tell
    for at in method:  # "talk through your approach", "explique ta démarche en détail"
        if _near(own, at, _OWN_BEFORE, _OWN_AFTER) and _near(verbs, at, _TELL_NEAR, _TELL_NEAR):
            return True
    for at in choice:  # "explain every decision you make", "explique chaque transformation"
        if _near(each, at, _OWN_BEFORE, _OWN_AFTER) and _near(verbs, at, _TELL_NEAR, _TELL_NEAR):
            return True
    # "Before answering, analyse ...", "Brainstorm out loud", "reason first, then the code"
    for at in cogitate + process + weak + method:
        if at not in not_process and _near(before, at, _TELL_NEAR, _TELL_NEAR):
            return True
    return any(_near(show, at, _OWN_BEFORE, _OWN_BEFORE) for at in cogitate)


# The same system prompt reaches us from every user of an app or an IDE: read it once.
# Keyed by a 128-bit hash of the text (the memo never holds prompt text); cleared when full.
_MEMO_SIZE = 4_096
_system_memo: dict[bytes, Reading] = {}


def read_system(text: str) -> Reading:
    """``read_text`` for a system prompt, memoised by a hash of the text."""
    key = xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"))
    hit = _system_memo.get(key)
    if hit is None:
        if len(_system_memo) >= _MEMO_SIZE:
            _system_memo.clear()
        hit = _system_memo[key] = read_text(text)
    return hit


def elicits_reasoning(facts: RequestFacts, user: Reading | None = None) -> bool:
    """The latest user turn, the system prompt, or the first user turn (an agent's standing
    order, repeated in every step of its loop: memoised like a system prompt)."""
    user = user or read_text(facts.user_text)
    return (
        user.elicit
        or (bool(facts.system_text) and read_system(facts.system_text).elicit)
        or (bool(facts.first_user_text) and read_system(facts.first_user_text).elicit)
    )


def capability_focus(facts: RequestFacts, user: Reading | None = None) -> bool:
    """Tool definitions, or a coding/agentic score: the user's turns (the latest and the
    first) count in full, the system prompt (an IDE's, a harvester's role line) at half
    weight."""
    if facts.tools:
        return True
    user = user or read_text(facts.user_text)
    focus = user.focus  # a follow-up ("how did you get that?") continues the first turn's task
    if focus < FOCUS_AT and facts.first_user_text:
        focus += read_system(facts.first_user_text).focus
    if focus >= FOCUS_AT:
        return True
    if not facts.system_text:
        return False
    return focus + min(read_system(facts.system_text).focus / 2, FOCUS_AT / 2) >= FOCUS_AT


def read_signals(facts: RequestFacts, w: SignalWeights) -> RequestSignals:
    """All stateless signals of one request."""
    fired: list[str] = []
    acute = 0.0
    if facts.logprobs or (facts.top_logprobs is not None and facts.top_logprobs != 0):
        if facts.logit_bias:
            fired.append("logit_probe")
            acute += w.logit_probe
        else:
            fired.append("logprobs")
            acute += w.logprobs
        if facts.top_logprobs is not None and facts.top_logprobs < 0:
            fired.append("top_logprobs_all")
            acute += w.top_logprobs_all
    elif facts.logit_bias:
        fired.append("logit_bias")
        acute += w.logit_bias
    if facts.prompt_logprobs:
        fired.append("prompt_logprobs")
        acute += w.prompt_logprobs
    if facts.token_ids:
        fired.append("token_ids")
        acute += w.token_ids
    if facts.n > 1:
        if facts.temperature == 0:
            fired.append("greedy_multi")
            acute += w.greedy_multi
        else:
            fired.append("multi_sample")
            acute += w.multi_sample
    if facts.output_tokens is not None and facts.output_tokens >= LARGE_OUTPUT:
        fired.append("large_output")
        acute += w.large_output
    if facts.reasoning_effort in ("high", "xhigh", "max") or (
        facts.thinking_budget is not None and facts.thinking_budget >= 16_384
    ):
        fired.append("reasoning_max")
        acute += w.reasoning_max
    if facts.reasoning_include:
        fired.append("reasoning_include")
        acute += w.reasoning_include
    traits = EXTRACT if fired else 0  # by what fired, so a zero weight keeps the trait
    if facts.odd:
        fired.append("odd_body")
        acute += w.odd_body
    if facts.logit_bias:
        traits |= LOGIT_BIAS
    if facts.parsed:
        user = read_text(facts.user_text)
        if elicits_reasoning(facts, user):
            traits |= ELICIT
            fired.append("elicit")
        if capability_focus(facts, user):
            traits |= FOCUS
            fired.append("focus")
        if facts.assistant_turns == 0:
            traits |= SINGLE
            fired.append("single_turn")
    return RequestSignals(traits, acute, tuple(fired))
