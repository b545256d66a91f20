"""Hypothesis strategies shared by the adapter and signal tests: arbitrary JSON request
bodies, with the keys the adapters read mapped to arbitrary values."""

from __future__ import annotations

from hypothesis import strategies as st

REAL_KEYS = (
    "messages",
    "prompt",
    "input",
    "system",
    "instructions",
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "n",
    "best_of",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "prompt_logprobs",
    "allowed_token_ids",
    "temperature",
    "thinking",
    "reasoning",
    "reasoning_effort",
    "include",
    "metadata",
    "tools",
    "user",
    "safety_identifier",
)
INNER_KEYS = (
    "role",
    "content",
    "type",
    "text",
    "effort",
    "budget_tokens",
    "user_id",
    "tool_use_id",
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
keys = st.sampled_from(REAL_KEYS + INNER_KEYS) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=25,
)
request_docs = st.fixed_dictionaries({}, optional={k: json_values for k in REAL_KEYS}) | json_values


# --- every field the adapters read, in each API family's shapes, with hostile leaves -----
# Leaves a client can send that a model server reads: lone surrogates (Python's json keeps
# them; ahocorasick_rs and orjson raise on them), integers past 64 bits and past float
# range, NaN and Infinity, a character that the serializer turns into a byte that is not
# UTF-8 ("\x7f" below, as Node and Go read such a byte), long runs and deep nesting.

INVALID_MARK = "\x7f"  # replaced in the encoded body by 0xFF (bodies_for_families)
_pieces = st.sampled_from(
    ["a", " ", "step by step", "\ud800", "\udfff", "\ud83d", "é", "中", "😀", "\x00", "\u200b",
     "\n", '"', "\\", "data:", "https://x/y.png", INVALID_MARK, "usage", "{"]
)  # fmt: skip
hostile_text = st.lists(_pieces, max_size=12).map("".join) | st.text(max_size=12)
hostile_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.integers(10**300, 10**400)
    | st.integers(-(10**400), -(10**300))
    | st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -0.0, 5e-324, 0.5])
    | hostile_text
)
hostile_values = st.recursive(
    hostile_scalars,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(keys, kids, max_size=3),
    max_leaves=12,
)


def _maybe(shape: st.SearchStrategy) -> st.SearchStrategy:
    return shape | hostile_values


_url = _maybe(hostile_text | st.sampled_from(["https://x/a.png", "data:image/png;base64,AA"]))
_text_part = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "input_text"]), "text": _maybe(hostile_text)}
)
_image_part = st.fixed_dictionaries(
    {"type": st.sampled_from(["image_url", "input_image"]),
     "image_url": _url | st.fixed_dictionaries({"url": _url})},
    optional={"file_id": _maybe(hostile_text)},
)  # fmt: skip
_source = st.fixed_dictionaries(
    {"type": _maybe(st.sampled_from(["url", "base64", "file"]))},
    optional={"url": _url, "data": hostile_text, "file_id": _maybe(hostile_text)},
)
_source_part = st.fixed_dictionaries(
    {"type": st.sampled_from(["image", "document"]), "source": _source}
)
_tool_result = st.fixed_dictionaries(
    {"type": st.just("tool_result"),
     "content": _maybe(hostile_text | st.lists(_text_part, max_size=2))}
)  # fmt: skip
_part = _text_part | _image_part | _source_part | _tool_result | hostile_scalars
_content = _maybe(hostile_text | st.lists(_part, max_size=4))
_message = st.fixed_dictionaries(
    {"role": _maybe(st.sampled_from(["user", "system", "developer", "assistant", "tool"])),
     "content": _content},
    optional={"type": _maybe(st.sampled_from(["message", "function_call", "reasoning"]))},
)  # fmt: skip
_messages = _maybe(st.lists(_message, max_size=4))
_tools = _maybe(
    st.lists(
        st.fixed_dictionaries(
            {"type": _maybe(st.sampled_from(["function", "web_search", "file_search", "mcp"]))},
            optional={"name": hostile_text, "parameters": hostile_values},
        ),
        max_size=3,
    )
)
_common = {
    "model": _maybe(hostile_text),
    "max_tokens": hostile_values,
    "max_completion_tokens": hostile_values,
    "max_output_tokens": hostile_values,
    "n": hostile_values,
    "best_of": hostile_values,
    "stream": hostile_values,
    "temperature": hostile_values,
    "logprobs": hostile_values,
    "top_logprobs": hostile_values,
    "logit_bias": _maybe(st.dictionaries(hostile_text, hostile_scalars, max_size=3)),
    "prompt_logprobs": hostile_values,
    "allowed_token_ids": hostile_values,
    "reasoning_effort": _maybe(st.sampled_from(["low", "high", "xhigh"])),
    "user": _maybe(hostile_text),
    "safety_identifier": _maybe(hostile_text),
    "tools": _tools,
    "functions": _tools,
}
_by_family = {
    "/v1/chat/completions": {"messages": _messages},
    "/v1/completions": {
        "prompt": _maybe(
            hostile_text
            | st.lists(_maybe(hostile_text), max_size=4)
            | st.lists(st.integers(0, 2**40), max_size=4)
            | st.lists(st.lists(st.integers(0, 2**40), max_size=3), max_size=3)
        ),
        "prompt_embeds": _maybe(st.lists(hostile_text, max_size=3)),
        "echo": hostile_values,
    },
    "/v1/responses": {
        "input": _maybe(hostile_text | _messages),
        "instructions": _maybe(hostile_text),
        "reasoning": _maybe(st.fixed_dictionaries({}, optional={"effort": hostile_values})),
        "include": _maybe(
            st.lists(
                _maybe(
                    st.sampled_from(["reasoning.encrypted_content", "message.output_text.logprobs"])
                ),
                max_size=2,
            )
        ),
        "previous_response_id": hostile_values,
        "conversation": hostile_values,
        "prompt": hostile_values,
    },
    "/v1/messages": {
        "system": _content,
        "messages": _messages,
        "thinking": _maybe(
            st.fixed_dictionaries(
                {"type": _maybe(st.sampled_from(["enabled", "adaptive", "disabled"]))},
                optional={"budget_tokens": hostile_values},
            )
        ),
        "metadata": _maybe(st.fixed_dictionaries({}, optional={"user_id": hostile_values})),
        "container": hostile_values,
        "mcp_servers": hostile_values,
    },
    "/api/generate": {"messages": _messages, "prompt": hostile_values, "input": hostile_values},
}
family_docs = st.sampled_from(sorted(_by_family)).flatmap(
    lambda path: st.tuples(
        st.just(path),
        st.fixed_dictionaries({}, optional={**_common, **_by_family[path]}) | hostile_values,
    )
)


@st.composite
def bodies_for_families(draw: st.DrawFn) -> tuple[str, bytes]:
    """(path, body bytes) as a client can put them on the wire: JSON with every non-ASCII
    character escaped (lone surrogates as ``\\ud800``) or raw (lone surrogates encoded
    as UTF-8 would encode them, which Python's json reads back), ``INVALID_MARK`` as 0xFF."""
    import json

    path, doc = draw(family_docs)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw = raw.replace(INVALID_MARK.encode(), b"\xff")
    return path, raw
