"""OpenAI Chat Completions, legacy Completions and Responses."""

from __future__ import annotations

from typing import Any

from .base import ApiFamily, RequestFacts, int_field, read_messages, text_of


class ChatCompletions(ApiFamily):
    name = "openai.chat"
    output_fields = ("max_completion_tokens", "max_tokens")

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        read_messages(doc.get("messages"), facts)


class Completions(ApiFamily):
    name = "openai.completions"
    output_fields = ("max_tokens",)

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        prompt = doc.get("prompt")
        if isinstance(prompt, list) and prompt and all(isinstance(p, int) for p in prompt):
            facts.user_text = ""  # token ids: nothing to read, but not odd
        else:
            facts.user_text = text_of(prompt, facts)
        facts.turns = 1
        best_of = int_field(doc, "best_of", facts)
        if best_of is not None and best_of > facts.n:
            facts.n = min(best_of, 128)  # best_of samples are generated (and billed) too


class Responses(ApiFamily):
    name = "openai.responses"
    output_fields = ("max_output_tokens",)

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        instructions = doc.get("instructions")
        if isinstance(instructions, str):
            facts.system_text = instructions[:65_536]
        elif instructions is not None:
            facts.odd.append("instructions:type")
        items = doc.get("input")
        if isinstance(items, str):
            facts.user_text = items[:65_536]
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
