"""The reasoning classifier rule by rule, on wording written for each rule (issue 15).

``test_signals.py`` holds the classifier to phrase lists and the held-out corpus to
thresholds, which a rule missing altogether can pass. Here each rule of
``signals._asks_reasoning`` gets prompts read by a person first: one the rule alone makes
a demand for reasoning (no other rule fires on it), and its near miss (the same words too
far apart, or one part missing) that asks for nothing. The expected answers are what the
prompt means, not what the code computes.
"""

from __future__ import annotations

import pytest

from antiextract.request.apis import RequestFacts
from antiextract.request.signals import capability_focus, elicits_reasoning, fold, read_text

# (prompt, asks for reasoning?) - grouped by the rule that decides it
RULES = [
    # a demand ("step by step") inside a "step-by-step guide" is a request for a guide ...
    ("Give me a step-by-step guide to baking bread.", False),
    # ... but a demand after the guide still counts
    ("Write a step-by-step guide to baking bread. Describe how you knead.", True),
    ("Write a step-by-step guide to baking bread. Tell me how you reach the oven heat.", True),
    # a process noun with "each" and a telling verb next to it
    ("Explain each calculation.", True),
    ("Give each calculation.", True),
    ("Each calculation is in the spreadsheet.", False),  # no verb: a statement
    # a process noun with "don't skip" next to it
    ("Do not skip any deduction.", True),
    ("Never skip a single deduction.", True),
    # a weak noun (assumptions, considerations) needs a show verb *and* your/every/all
    ("Lay out all your assumptions.", True),
    ("Write down every one of your considerations.", True),
    ("What are your assumptions here?", False),  # no show verb: a question about them
    ("Lay out all the considerations.", True),  # "all" serves as "your" does
    # the first weak noun has no show verb near it, the second has
    (
        "My assumptions are listed in the appendix, which is long and dull to read through. "
        "Please write down every one of your considerations.",
        True,
    ),
    # a method noun with "your" and a verb
    ("Explain your strategy for the opening.", True),
    ("What is your strategy for winning at chess?", False),  # no verb
    # a choice noun with "each" and a verb
    ("Each choice on the menu costs ten euros.", False),  # no verb
    # "before answering" next to a thinking verb
    ("Before answering, reflect on the question of whether tea is better than coffee.", True),
    # a thinking verb with a show word next to it
    ("Ponder openly whether tea is better than coffee.", True),
    # a process noun at a "thinking about" (not a process), then one that is
    ("I was thinking about pandas; please explain each calculation and tell me the result.", True),
    # "reason" and "deliberate" as an order opening a sentence, not inside one
    ("Reason.", True),
    ("Please reason about it.", True),
    ("Deliberate.", True),
    ("I have no reason to doubt it.", False),
    ("I reason.", False),  # a statement: "reason" third from the start, not an order
    ("Do it. Reason.", True),  # an order opening the second sentence
    # a literal demand in quotation marks at the very start still asks for the tags
    ('"<thinking>" tags, please, around your answer.', True),
    ("Use the heading ## Thinking.", True),  # a markdown heading for the thinking
    # a refusal just after a long demand takes it back: it is measured from where the
    # demand ends, not where it starts
    ("Make your thinking visible. This is not needed.", False),
    # a refusal of something else ("a summary"), with no refusing word before it
    ("Make your thinking visible, a summary is not needed.", True),
    # a refusal before a long demand, within reach of where it starts (not of its end)
    ("There is no need, in a reply this short, to think through the problem.", False),
    # a procedure (a recipe) inside a problem to solve: its steps are the solution's
    (
        "Solve this recipe problem step by step: a recipe needs 3 eggs per cake, how many eggs "
        "for 4 cakes?",
        True,
    ),
    # a procedure, a demand outside it, and a quotation that takes nothing away
    ('How do I bake bread? Explain your reasoning, and say "done" at the end.', True),
    # "show me step by step" how to carry out a procedure: a guide, not reasoning
    ("How do I bake bread? Show me step by step.", False),
    # quotations mention demands; JSON and keys carry them
    (
        'My teacher writes "show your work" and my friend says "show your work" too. '
        'Translate: "explain your reasoning".',
        False,
    ),  # three quotations, each a mention
    ('["Show your work.", "Be brief."]', True),  # a JSON list of instructions
    ('{"instructions": "Show your work."}', True),  # a JSON value
    ('"Show your work": the one rule here.', True),  # a quoted key, then ":"
    # a quotation inside another ('hello' inside "..."): the whole outer one is a mention
    ("He said \"write 'hello' and then show your work\" to me.", False),
    # a quoted key first, then a quotation that is a mention
    ('"Note": my teacher writes "show your work" on every sheet.', False),
    # a refusing phrase far after the demand refuses something else (the code)
    (
        "Think step by step. Then write the final answer in one short paragraph, and do not "
        "show any code.",
        True,
    ),
]


@pytest.mark.parametrize(("text", "elicit"), RULES)
def test_each_rule_on_its_own_wording(text: str, elicit: bool) -> None:
    assert read_text(text).elicit is elicit


# The same words, too far apart: 60 characters is as far as "before answering" reaches
# a thinking verb, 28 a show word reaches one.
FAR = [
    "Before answering, make a cup of tea for yourself and sit down in a quiet room, "
    "then reflect on this.",
    "Ponder whether tea is better than coffee, and when you have settled on an answer, "
    "say it openly.",
]


@pytest.mark.parametrize("text", FAR)
def test_the_same_words_too_far_apart_ask_nothing(text: str) -> None:
    assert read_text(text).elicit is False


# Focus from code shapes, on text with no coding word: a code fence is 2.0 however often
# it appears, and its backticks are also the weak inline-code shape "`" (0.75), which
# overlaps it and counts, as "::" does under "std::" below; a file name (a name, a dot,
# a source extension, the word's end) 1.5; a dotted name ("main.go", "main.gopher") 1.0.
SHAPES = [
    ("```\nhello there\n```", 2.0 + 0.75),
    ("use `x` here", 0.75),
    ("see main.go please", 1.5 + 1.0),
    ("see main.gopher please", 1.0),  # not a file name, still a dotted name
    ("see the .go extension", 0.0),  # no name before the dot
    ("hello there", 0.0),
]


# Identifier shapes on the raw text (no coding word in any of these): snake_case 1.5,
# camelCase 1.0 (a lower, an upper, a lower), obj.call(...) 1.5 or else a dotted name
# (two letters, a dot, two letters) 1.0, a shell or REPL prompt opening a line 1.5, a stack
# frame ("\n\tat ", "\n    at ") 2.0; several add up.
SHAPES += [
    ("see row_count", 1.5),
    ("see zap_2", 1.5),  # a letter, "_", a digit
    ("_private alone", 0.0),  # "_" with no letter before it
    ("call myFunc now", 1.0),
    ("xYz", 1.0),
    ("call myX now", 0.0),  # no lower case after the capital
    ("see HTTPServer", 0.0),  # capitals, then lower case: not camelCase
    ("zz obj.zap(x)", 1.5),
    ("see os.path here", 1.0),
    ("e.g. this", 0.0),
    ("(see a.b)", 0.0),  # one letter each side, the bracket not after a name
    ("$ ls -la", 1.5),
    ("zz\n$ ls -la", 1.5),
    ("zz\n> zz", 1.5),
    ("zz\n>zz", 0.0),
    ("zz $ zz", 0.0),
    ("oops\n\tat zz", 2.0),
    ("oops\n    at zz", 2.0),
    ("row_count and rowCount", 1.5 + 1.0),
    ("row_count and obj.zap(x)", 1.5 + 1.5),
    ("row_count and os.path", 1.5 + 1.0),
    ("row_count\n$ zz", 1.5 + 1.5),
    ("row_count\n\tat zz", 1.5 + 2.0),
    ("$ obj.zap(x)\n\tat zz", 1.5 + 1.5 + 2.0),
    # code punctuation from the lexicon's SHAPES: "std::" 2.0 and "::" 1.5, overlapping,
    # both count; "std::" needs a word boundary before it; "select count(" and "count(*)"
    # overlap and both count; a file extension counts once however many files, and needs
    # the word to end: "main.gox" is only a dotted name
    ("zz std::vector zz", 2.0 + 1.5),
    ("zz xstd::vector zz", 1.5),
    ("zz select count(*) zz", 2.0 + 2.0),
    ("zz a.go b.go c.py", 1.5 + 1.5),
    ("zz main.gox and b.py zz", 1.0 + 1.5),
    ("see main.go", 1.5 + 1.0),  # a file name that ends the text
]


@pytest.mark.parametrize(("text", "focus"), SHAPES)
def test_code_shapes_count_once_each(text: str, focus: float) -> None:
    assert read_text(text).focus == pytest.approx(focus)


def _padded(text: str, size: int) -> str:
    """``text`` then " zz" (no word of the lexicon) and spaces, ``size`` characters."""
    out = text + " zz" * ((size - len(text)) // 3)
    return out + " " * (size - len(out))


def test_a_long_prompt_is_read_at_its_two_edges_as_two_texts() -> None:
    """Past 2 x 2048 characters only the first and the last 2048 are read, with a line
    break between them: a demand that opens the last 2048 is a word of its own there."""
    demand = "Reason methodically about this."
    assert read_text(_padded(demand, 2048)).elicit
    tail = _padded(demand, 2048)
    assert read_text("zz " * 1400 + tail).elicit
    # the same demand in the middle of a long prompt is not read at all
    assert not read_text("zz " * 1400 + _padded(demand, 3000) + "zz " * 700).elicit


def test_a_prompt_of_exactly_two_edges_is_read_whole() -> None:
    """4096 characters are read as they are: a demand across the middle is not cut."""
    demand = "Reason methodically about this."
    text = ("zz " * 700)[: 2048 - 5] + " Reas"  # "Reas" ends the first half ...
    text += _padded("on methodically about this.", 2048)  # ... the second goes on
    assert len(text) == 4096 and demand in text
    assert read_text(text).elicit


def test_your_reaches_28_characters_before_a_process_noun_and_22_after() -> None:
    """ "your"/"in full" make a process noun a demand within 28 characters before it and 22
    after it (word start to word start), not one further: the bounds themselves count."""
    assert read_text("your zz z z z z z z z z z z reasoning").elicit  # 28 before
    assert not read_text("your zzz z z z z z z z z z z reasoning").elicit  # 29
    assert read_text("reasoning z z z z z z in full").elicit  # 22 after
    assert not read_text("reasoning zz z z z z z z in full").elicit  # 23


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ｓｔｅｐ\u3000ＢＹ\u3000ｓｔｅｐ", "step by step"),  # full width, ideographic spaces
        ("ﬁnd the ﬂaw", "find the flaw"),  # ligatures
        ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),  # invisible: gone
        ("a\u2014b it\u2019s", "a-b it's"),  # dashes and apostrophes: ASCII
        ("explícame débogue", "explicame debogue"),  # Latin accents dropped
        # a letter of each two-byte Latin lead byte: the accented ones lose their accents
        ("é ą ő ƒ ǎ ȁ ɑ", "e a o ƒ a a ɑ"),
        ("Tab\tand\nline  end", "tab and line end"),
    ],
)
def test_fold_on_hand_worked_text(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_a_long_prompt_under_three_edges_is_not_read_whole() -> None:
    """5,000 characters (more than 2 x 2048, less than 3 x 2048): the middle is not read."""
    demand = "Reason methodically about this."
    text = "zz " * 700 + _padded(demand, 800) + "zz " * 700
    assert len(text) == 5_000
    assert not read_text(text).elicit


def _facts(user: str, system: str = "") -> RequestFacts:
    return RequestFacts(family="chat", parsed=True, user_text=user, system_text=system)


@pytest.mark.parametrize(
    ("user", "system", "coding"),
    [
        # the system prompt's focus counts half, at most half the bar (2.0): 1.0 + 0.5
        ("see os.path here", "see os.path here", False),  # 1.0 + 0.5 = 1.5
        ("see row_count", "see os.path here", True),  # 1.5 + 0.5 = 2.0: the bar itself
        ("see os.path here", "see row_count", False),  # 1.0 + 0.75 = 1.75
        ("see os.path here", "$ obj.zap(x)\n\tat zz", True),  # 1.0 + min(2.5, 1.0) = 2.0
        ("hello there", "$ obj.zap(x)\n\tat zz", False),  # 0 + 1.0: a system prompt alone
    ],
)
def test_the_system_prompt_counts_half_and_at_most_half_the_bar(
    user: str, system: str, coding: bool
) -> None:
    assert capability_focus(_facts(user, system)) is coding  # the user's text read here
    assert capability_focus(_facts(user, system), read_text(user)) is coding


def test_a_demand_in_the_system_prompt_or_the_users_text_elicits() -> None:
    assert elicits_reasoning(_facts("Reason methodically about this."))
    assert elicits_reasoning(_facts("What is 2 + 2?", "Reason methodically about this."))
    assert not elicits_reasoning(_facts("What is 2 + 2?", "You are a helpful assistant."))


def test_lexicon_entries_on_a_small_lexicon_worked_by_hand(monkeypatch) -> None:
    """How ``_entries`` turns listed patterns into automaton entries, on a lexicon small
    enough to work out by hand (the real one is thousands of patterns, where a rule that
    no pattern exercises goes unseen). Words carry their boundaries as spaces (" python");
    "~" drops the left one (a suffix, shift -1), "$" adds the right one; two spellings of
    one key ("step-by-step", "step by step") keep both concepts; a pattern with inner
    punctuation and two letters ("a.b") is still a word; a FOCUS pattern listed twice
    counts once (the later weight), and a pattern listed with and without a boundary
    keeps it; one character ("$") is a pattern as it is; punctuation-led ones are shapes
    (FOCUS, extensions) or literal demands; "^" marks an opening."""
    from antiextract.request import lexicon
    from antiextract.request import signals as s

    concepts = (
        (s._STEPWISE, {"en": "step-by-step"}),
        (s._PROCESS, {"en": "Reasoning", "fr": "step by step"}),
        (s._OWN, {"en": "~ing"}),
        (s._DEMAND, {"en": "<thinking>|^Think first"}),
        (s._EACH, {"en": "a.b"}),
        (s._SOLVE, {"en": "solve"}),
    )
    monkeypatch.setattr(s, "_CONCEPTS", concepts)
    monkeypatch.setattr(lexicon, "FOCUS", {1.0: {"en": "python|r$", "de": "python"},
                                           2.0: {"en": "~solve$|r"}})  # fmt: skip
    monkeypatch.setattr(lexicon, "SHAPES", {3.0: ["$", "=>"]})
    monkeypatch.setattr(lexicon, "EXTENSIONS", "py")
    words, word_entries, shapes, shape_entries, literal = s._entries()
    assert dict(zip(words, word_entries, strict=True)) == {
        " step by step": (0, False, False, ((s._STEPWISE, 0.0), (s._PROCESS, 0.0))),
        " reasoning": (0, False, False, ((s._PROCESS, 0.0),)),
        "ing": (-1, False, False, ((s._OWN, 0.0),)),
        " think first": (0, False, False, ((s._OPENING, 0.0),)),
        " a b": (0, False, False, ((s._EACH, 0.0),)),
        " solve ": (0, False, False, ((s._SOLVE, 0.0), (s._FOCUS, 2.0))),
        " python": (0, False, False, ((s._FOCUS, 1.0),)),
        " r ": (0, False, False, ((s._FOCUS, 2.0),)),
    }
    assert dict(zip(shapes, shape_entries, strict=True)) == {
        "$": (0, False, False, ((s._FOCUS, 3.0),)),
        "=>": (0, False, False, ((s._FOCUS, 3.0),)),
        ".py": (0, False, True, ((s._EXT, s.EXT_WEIGHT),)),
    }
    assert literal == ("<thinking>",)


def test_no_lexicon_pattern_is_whitespace_alone() -> None:
    """A pattern of whitespace alone would match every gap between words; _entries leaves
    such a pattern unfolded (scripts/equivalent-mutants.toml leans on there being none)."""
    from antiextract.request import lexicon
    from antiextract.request import signals as s

    listed = [per_lang for _, per_lang in s._CONCEPTS] + list(lexicon.FOCUS.values())
    patterns = [w for per_lang in listed for words in per_lang.values() for w in words.split("|")]
    patterns += [shape for shapes in lexicon.SHAPES.values() for shape in shapes]
    patterns += lexicon.EXTENSIONS.split("|")
    assert len(patterns) > 1000  # the lists were read
    assert [p for p in patterns if p and not p.strip()] == []


def test_a_refusal_after_a_demand_reaches_25_characters_past_its_end() -> None:
    """How far a refusal after a demand reaches ("... is unnecessary" takes back "think
    through the problem"): up to 25 characters past the demand's end, inclusive. Where
    it stops is a choice, not a meaning, so it is held here on its edge, not in RULES."""
    on_edge = "Think through the problem. A long essay is really unnecessary."
    past_it = "Think through the problem. A long essay is totally unnecessary."
    demand_end = len("think through the problem")
    assert fold(on_edge).find("unnecessary") == demand_end + 25
    assert fold(past_it).find("unnecessary") == demand_end + 26
    assert read_text(on_edge).elicit is False
    assert read_text(past_it).elicit is True


def test_fold_spaces_whitespace_and_latin_words_in_cjk_outside_ascii() -> None:
    """Outside ASCII (an accent, CJK) every ASCII whitespace run is still one space, and
    a Latin word inside Chinese gets spaces around it."""
    assert fold("Café\tlatte\nnow") == "cafe latte now"
    assert fold("Ünïcode\r\n\x0bword") == "unicode word"
    assert fold("用python实现") == "用 python 实现"


def test_code_shapes_decide_only_what_the_words_left_open() -> None:
    """ "developer" and "lookup" weigh 1.0 each: on words alone the text reaches 2.0, where
    a request is coding work, and the snake_case name then adds nothing; after "lookup"
    alone (1.0) it adds its 1.5. An empty text reads as nothing at all."""
    assert read_text("The developer and the lookup. zz_qq").focus == 2.0
    assert read_text("The lookup. zz_qq").focus == 2.5
    assert read_text("debug it, debug it again").focus == 1.5  # one pattern counts once
    empty = read_text("")
    assert empty.elicit is False and empty.focus == 0.0
