"""Audit events: one structlog event per decision worth keeping, as JSON lines.

The logger is private to antiextract (``structlog.wrap_logger`` with its own processor
chain), so installing the middleware never reconfigures the host application's logging.
Events have stable keys; values are ids, digests and numbers, never prompt text or keys.
"""

from __future__ import annotations

import sys
from typing import IO, Any

import orjson
import structlog

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


def _render(_: Any, __: str, event: dict[str, Any]) -> str:
    return orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS).decode()


def make_logger(fmt: str = "json", level: str = "info", stream: IO[str] | None = None) -> Any:
    renderer = _render if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.wrap_logger(
        structlog.PrintLogger(stream or sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_name="antiextract",
    )
