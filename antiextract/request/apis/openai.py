"""OpenAI Chat Completions, legacy Completions and Responses."""

from __future__ import annotations

from typing import Any

from ...vocab import CHAT_API, COMPLETIONS_API, RESPONSES_API
from .base import ApiFamily, RequestFacts, clip, prompt_count, read_messages, text_of


class ChatCompletions(ApiFamily):
    name = CHAT_API
    output_fields = ("max_completion_tokens", "max_tokens")

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        read_messages(doc.get("messages"), facts)


class Completions(ApiFamily):
    name = COMPLETIONS_API
    output_fields = ("max_tokens",)

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        prompt = doc.get("prompt")
        if isinstance(prompt, list) and prompt and all(_token_ids(p) for p in prompt):
            facts.user_text = ""  # token ids (one prompt or a batch): nothing to read
        else:
            facts.user_text = text_of(prompt, facts)
        # Every prompt of a batch is generated for n times: reserved as one prompt's
        # output, a burst of batches took many times what its reservations covered.
        facts.prompts = prompt_count(doc)
        facts.turns = 1


class Responses(ApiFamily):
    name = RESPONSES_API
    output_fields = ("max_output_tokens",)

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        instructions = doc.get("instructions")
        if isinstance(instructions, str):
            facts.system_text = clip(instructions)
        elif instructions is not None:
            facts.odd.append("instructions:type")
        items = doc.get("input")
        if isinstance(items, str):
            facts.user_text = clip(items)
            facts.turns = 1
        else:
            read_messages(items, facts)
        reasoning = doc.get("reasoning")
        if isinstance(reasoning, dict) and isinstance(reasoning.get("effort"), str):
            facts.reasoning_effort = reasoning["effort"]
        elif reasoning is not None and not isinstance(reasoning, dict):
            facts.odd.append("reasoning:type")
        include = doc.get("include")
        if isinstance(include, list):
            facts.reasoning_include = any(
                isinstance(i, str) and i.startswith("reasoning") for i in include
            )
            if "message.output_text.logprobs" in include:
                facts.logprobs = True
        elif include is not None:
            facts.odd.append("include:type")
        previous = doc.get("previous_response_id") or doc.get("conversation")
        if previous:
            facts.assistant_turns += 1  # continued server-side: not a single-turn ask
        # Context the server holds and adds itself: an earlier response's conversation, a
        # stored conversation, a stored prompt template.
        facts.references += sum(1 for k in ("previous_response_id", "conversation", "prompt")
                                if doc.get(k))  # fmt: skip


def _token_ids(value: object) -> bool:
    """A token id, or a list of them (one prompt of a batch)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    )
