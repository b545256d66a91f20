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
