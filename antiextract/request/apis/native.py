"""The model servers' own generation routes: TGI, llama.cpp, Ollama, SageMaker's
``/invocations``.

These routes generate as much as the OpenAI ones, with their own names for the same
things, so a family that only read ``max_tokens`` and ``messages`` would reserve the
default output for a request asking for the model's limit and read no prompt at all:

==================  ========================================  ===========================
server              output budget                             prompt
==================  ========================================  ===========================
TGI ``/generate``   ``parameters.max_new_tokens``             ``inputs``
llama.cpp           ``n_predict`` (-1: no limit)              ``prompt``, ``input_prefix``
                                                              / ``input_suffix`` (infill)
Ollama              ``options.num_predict`` (-1, -2: no       ``prompt``, ``messages``
                    limit)
==================  ========================================  ===========================

``/invocations`` (vLLM registers it on every server, TGI too) runs chat or completions by
the body: ``messages`` is a chat request, ``prompt`` a completion, anything else TGI's
``inputs`` (:class:`Invocations`).
"""

from __future__ import annotations

from typing import Any

from ...vocab import GENERIC_API
from .base import ApiFamily, RequestFacts, count_field, text_of


class Generic(ApiFamily):
    """Any protected route whose family the path does not name: the OpenAI-style names
    plus the native servers' (see the module docstring)."""

    name = GENERIC_API
    output_fields = (*ApiFamily.output_fields, "n_predict")
    # (object, field) pairs of budgets nested in an options object
    nested_output = (("parameters", "max_new_tokens"), ("options", "num_predict"))

    def read(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        super().read(doc, facts)
        facts.output_tokens = self._budget(doc, facts)
        parameters = doc.get("parameters")
        if isinstance(parameters, dict):
            self._read_tgi(parameters, facts)
        n_probs = count_field(doc, "n_probs", facts)  # llama.cpp: top tokens' probabilities
        if n_probs:
            facts.logprobs = True
            facts.top_logprobs = max(facts.top_logprobs or 0, n_probs)

    def _budget(self, doc: dict[str, Any], facts: RequestFacts) -> int | None:
        """Every budget the body names, top-level and nested: a budget below 1 is "no
        limit" on the servers that take one (llama.cpp ``n_predict: -1``, Ollama
        ``num_predict: -1`` / ``-2``) and wins, as llama.cpp's ``n_predict`` wins over
        ``max_tokens``; otherwise the largest."""
        seen = RequestFacts(self.name)  # top-level types were already noted by ``read``
        values = [count_field(doc, name, seen) for name in self.output_fields]
        for parent, name in self.nested_output:
            options = doc.get(parent)
            if isinstance(options, dict):
                values.append(count_field(options, name, facts))
            elif options is not None:
                facts.odd.append(f"{parent}:type")
        named = [v for v in values if v is not None]
        if not named:
            return None
        low = min(named)
        return low if low < 1 else max(named)

    def _read_tgi(self, parameters: dict[str, Any], facts: RequestFacts) -> None:
        """TGI's sampling options: ``best_of`` samples, ``top_n_tokens`` and ``details``
        (token log-probabilities), ``decoder_input_details`` (the prompt's)."""
        best_of = count_field(parameters, "best_of", facts)
        if best_of is not None and best_of > facts.n:
            facts.n = best_of
        top = count_field(parameters, "top_n_tokens", facts)
        if top:
            facts.logprobs = True
            facts.top_logprobs = max(facts.top_logprobs or 0, top)
        if parameters.get("details") is True:
            facts.logprobs = True
        if parameters.get("decoder_input_details") is True:
            facts.prompt_logprobs = True

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        if "inputs" in doc and not any(k in doc for k in ("messages", "prompt", "input")):
            facts.user_text = text_of(doc.get("inputs"), facts)
            facts.turns = 1
            return
        super().read_prompt(doc, facts)
        system = doc.get("system")  # Ollama /api/generate
        if isinstance(system, str) and not facts.system_text:
            facts.system_text = text_of(system, facts)
        prefix, suffix = doc.get("input_prefix"), doc.get("input_suffix")
        if isinstance(prefix, str) or isinstance(suffix, str):  # llama.cpp /infill
            parts = [p for p in (prefix, facts.user_text, suffix) if isinstance(p, str) and p]
            facts.user_text = text_of("\n".join(parts), facts)
            facts.turns = max(facts.turns, 1)


class Invocations(Generic):
    """SageMaker's ``/invocations``: the body says which API it is. vLLM validates it as
    a chat request when it has ``messages``, as a completion when it has ``prompt``; TGI
    likewise, else its own ``inputs``. The facts name the family read, so the middleware
    (``apis.FAMILIES``) charges, degrades and answers as that family."""

    def __init__(self, chat: ApiFamily, completions: ApiFamily) -> None:
        self.chat, self.completions = chat, completions

    def read(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        if "messages" in doc:
            family: ApiFamily = self.chat
        elif "prompt" in doc:
            family = self.completions
        else:
            super().read(doc, facts)
            return
        facts.family = family.name
        family.read(doc, facts)
