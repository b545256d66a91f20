"""The mutation sites of a Lua script: one numeric constant, arithmetic or comparison
operator, boolean connective or table index changed at a time.

Pure text in, mutants out: sites are found by a small tokenizer (comments and strings are
skipped), never by line numbers, so the same rules apply to whatever the scripts hold when
the tool is rerun. ``scripts/mutate.py`` loads each mutant into a RedisStore and runs the
store tests against it.

    .venv/bin/python scripts/lua_mutants.py antiextract/store/evaluate.lua   # list the sites
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Longest first, so that "<=" is one token and not "<" then "=".
_OPERATORS = (
    "...",
    "..",
    "==",
    "~=",
    "<=",
    ">=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "#",
    "=",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    ":",
    ",",
    ".",
)
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LONG_BRACKET = re.compile(r"\[(=*)\[")

# One replacement per operator, the one a slip of the pen most plausibly makes.
_SWAP = {
    "+": "-",
    "-": "+",
    "*": "/",
    "/": "*",
    "%": "*",
    "^": "*",
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "~=",
    "~=": "==",
    "and": "or",
    "or": "and",
}
KIND = {
    "+": "arithmetic",
    "-": "arithmetic",
    "*": "arithmetic",
    "/": "arithmetic",
    "%": "arithmetic",
    "^": "arithmetic",
    "<": "comparison",
    "<=": "comparison",
    ">": "comparison",
    ">=": "comparison",
    "==": "comparison",
    "~=": "comparison",
    "and": "boolean",
    "or": "boolean",
}
# After these, a "-" is unary (a sign), which has no "+" counterpart in Lua.
_KEYWORDS = frozenset(
    [
        "and",
        "break",
        "do",
        "else",
        "elseif",
        "end",
        "false",
        "for",
        "function",
        "goto",
        "if",
        "in",
        "local",
        "nil",
        "not",
        "or",
        "repeat",
        "return",
        "then",
        "true",
        "until",
        "while",
    ]
)


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "number", "op"
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Site:
    """One mutant: replace text[start:end] (``old``) with ``new``."""

    kind: str  # constant, arithmetic, comparison, boolean, index, sign
    start: int
    end: int
    old: str
    new: str
    line: int  # 1-based, for people; the site is found again by its text

    def apply(self, text: str) -> str:
        assert text[self.start : self.end] == self.old
        return text[: self.start] + self.new + text[self.end :]

    def lines(self, text: str) -> tuple[str, str]:
        """The whole line before and after the change (stripped): how the report and the
        list of equivalent mutants name a mutant."""
        begin = text.rfind("\n", 0, self.start) + 1
        stop = text.find("\n", self.end)
        stop = len(text) if stop < 0 else stop
        before = text[begin:stop]
        after = before[: self.start - begin] + self.new + before[self.end - begin :]
        return before.strip(), after.strip()


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("--", i):
            long = _LONG_BRACKET.match(text, i + 2)
            if long:
                close = "]" + long.group(1) + "]"
                j = text.find(close, long.end())
                i = n if j < 0 else j + len(close)
            else:
                j = text.find("\n", i)
                i = n if j < 0 else j
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif c == "[" and _LONG_BRACKET.match(text, i):
            long = _LONG_BRACKET.match(text, i)
            assert long is not None
            close = "]" + long.group(1) + "]"
            j = text.find(close, long.end())
            i = n if j < 0 else j + len(close)
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            assert m is not None
            out.append(Token("number", m.group(), i, m.end()))
            i = m.end()
        elif c.isalpha() or c == "_":
            m = _NAME.match(text, i)
            assert m is not None
            out.append(Token("name", m.group(), i, m.end()))
            i = m.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), c)
            out.append(Token("op", op, i, i + len(op)))
            i += len(op)
    return out


def _bumped(number: str) -> str:
    """A different constant: 0 -> 1, an integer n -> n + 1, a fraction x -> 2x."""
    if number.lower().startswith("0x"):
        return hex(int(number, 16) + 1)
    value = float(number)
    if value == 0:
        return "1"
    if value == int(value) and "." not in number and "e" not in number.lower():
        return str(int(number) + 1)
    return repr(value * 2)


def sites(text: str) -> list[Site]:
    toks = tokens(text)
    out: list[Site] = []

    def line(at: int) -> int:
        return text.count("\n", 0, at) + 1

    def add(kind: str, tok: Token, new: str) -> None:
        out.append(Site(kind, tok.start, tok.end, tok.text, new, line(tok.start)))

    for k, tok in enumerate(toks):
        prev = toks[k - 1] if k else None
        if tok.kind == "number":
            in_index = prev is not None and prev.text == "[" and toks[k + 1].text == "]"
            add("index" if in_index else "constant", tok, _bumped(tok.text))
        elif tok.kind == "name" and tok.text in ("and", "or"):
            add("boolean", tok, _SWAP[tok.text])
        elif tok.kind == "op" and tok.text == "-":
            unary = prev is None or (
                (prev.kind == "op" and prev.text not in (")", "]", "}"))
                or (prev.kind == "name" and prev.text in _KEYWORDS)
            )
            if unary:
                add("sign", tok, "")
            else:
                add("arithmetic", tok, "+")
        elif tok.kind == "op" and tok.text in _SWAP:
            add(KIND[tok.text], tok, _SWAP[tok.text])
        elif tok.kind == "op" and tok.text == "[" and prev is not None:
            # a computed index `t[i]` -> `t[i + 1]` (a literal index is a constant above)
            depth, j = 0, k
            while j < len(toks):
                depth += toks[j].text == "["
                depth -= toks[j].text == "]"
                if depth == 0:
                    break
                j += 1
            inner = toks[k + 1 : j]
            literal = len(inner) == 1 and inner[0].kind == "number"
            is_index = (prev.kind == "name" and prev.text not in _KEYWORDS) or prev.text in ")]"
            if inner and not literal and is_index and j < len(toks):
                close = toks[j]
                out.append(Site("index", close.start, close.end, "]", " + 1]", line(close.start)))
    return out


def main(argv: list[str]) -> int:
    for name in argv:
        text = Path(name).read_text("utf-8")
        for s in sites(text):
            before, after = s.lines(text)
            print(f"{name}:{s.line} {s.kind:10} {before}  ->  {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
