"""The vLLM-style construction, for uvicorn processes (tests/test_startup.py): the
middleware built with no arguments around an app, at import, configured by env only."""

from __future__ import annotations

from antiextract import AntiExtractMiddleware

from .servers import load_example

app = AntiExtractMiddleware(load_example("openai_server").create_app())
