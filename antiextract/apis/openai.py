"""OpenAI Chat Completions, legacy Completions and Responses."""

from __future__ import annotations

from .base import ApiFamily


class ChatCompletions(ApiFamily):
    name = "openai.chat"
    output_fields = ("max_completion_tokens", "max_tokens")


class Completions(ApiFamily):
    name = "openai.completions"
    output_fields = ("max_tokens",)


class Responses(ApiFamily):
    name = "openai.responses"
    output_fields = ("max_output_tokens",)
