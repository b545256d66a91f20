"""Credentials never reach a message or a log line.

A storage URI carries a password, and its errors (ours, redis-py's, the lean client's)
and the exceptions of a failing store may quote the URI or a piece of it. Every text
that is shown or logged and may hold one goes through :func:`redact` with the secrets of
the configuration (:func:`uri_secrets`, plus ``SECRET`` and the challenge secrets);
URIs shown on purpose go through :func:`mask_uri`; :class:`LogFilter` does the same for
a stdlib logger's records, tracebacks included. No I/O.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"

# Query options that hold a secret (redis-py reads ?password=, Sentinel URIs
# ?sentinel_password=): their values end at the next option, fragment, quote or space.
_SECRET_OPTION = re.compile(r"(?i)([\w.-]*(?:password|passwd|pwd|secret|token)=)[^&#\s'\"]*")
# user-info of any URI in a text: everything from "scheme://" to the last "@" of the same
# token (a password with an unencoded "@" is still masked whole).
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^\s'\"]*@")
# Secrets shorter than this are replaced only where a message quotes them whole ('ab'):
# replacing two letters everywhere would garble the message and hide nothing.
_SHORT = 3


def mask_uri(uri: str) -> str:
    """``uri`` for display: user and password replaced by ``***``, secret options too."""
    text = _SECRET_OPTION.sub(r"\1" + MASK, uri)
    head, sep, rest = text.partition("://")
    body = rest if sep else text
    if "@" not in body:
        return text
    host = body.rsplit("@", 1)[1]
    return f"{head}{sep}{MASK}@{host}" if sep else f"{MASK}@{host}"


def userinfo(uri: str) -> str:
    """The user-info as a careful reader takes it: everything between ``://`` and the last
    ``@`` once secret options are masked (so a parser that splits it elsewhere, at an
    unencoded ``/``, ``?`` or ``#``, cannot make us miss a piece)."""
    rest = _SECRET_OPTION.sub(r"\1" + MASK, uri).partition("://")[2] or uri
    return rest.rsplit("@", 1)[0] if "@" in rest else ""


def uri_secrets(uri: str) -> tuple[str, ...]:
    """What of ``uri`` must never be shown: its user-info and password (as written and
    %-decoded) and the values of its secret options."""
    found: set[str] = set()
    info = userinfo(uri)
    if info:
        password = info.partition(":")[2]
        found.update((info, unquote(info), password, unquote(password)))
    for match in _SECRET_OPTION.finditer(uri):
        value = uri[match.end(1) : match.end()]
        found.update((value, unquote(value)))
    found.discard("")
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and every URI's credentials replaced by ``***``."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if not secret:
            continue
        if len(secret) >= _SHORT:
            text = text.replace(secret, MASK)
        else:
            for quote in ("'", '"'):
                text = text.replace(f"{quote}{secret}{quote}", f"{quote}{MASK}{quote}")
    text = _SECRET_OPTION.sub(r"\1" + MASK, text)
    return _USERINFO.sub(r"\1" + MASK + "@", text)


class LogFilter(logging.Filter):
    """Redacts what a stdlib logger records: the message and the traceback's text (the
    handler then uses that text instead of formatting the exception again)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact(text, self.secrets)
        return True
