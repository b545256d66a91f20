"""The traffic recorder: protected requests as JSON lines, for ``antiextract replay``.

Opt-in (``ANTIEXTRACT_RECORD_FILE``, any mode), to a local file only, stopped at
``ANTIEXTRACT_RECORD_MAX_BYTES``. It exists so an operator can tune thresholds on their own
traffic before switching from shadow to enforce: replay runs the file through the detector
on simulated time with any settings. It is the one place antiextract ever keeps prompt
text, so the file is as sensitive as the traffic itself (the README's privacy note).

The file's first line (and the first line each recorder appends when it opens: every
process that records says what it records under) holds the serving settings, so that
``antiextract replay`` runs the traffic under them by default:

=============  ================================================================
``v``          1
``kind``       ``"settings"`` (a request record has no ``kind``)
``antiextract``  the version that recorded
``settings``   the detector's ``ANTIEXTRACT_*`` settings as their field names and
               JSON values (``Settings.model_dump``); never a secret, a password or a
               place: SECRET, the challenge secrets, STORAGE_URI, VERIFICATION_URL,
               KEY_PREFIX, the network's topology and allowlisted accounts
               (TRUSTED_PROXIES, ALLOW_SUBNETS, ALLOW_ACCOUNTS, ALLOW_COHORTS), the
               recorder's and the metrics listener's own settings and the log format
               are left out (:data:`NOT_RECORDED`); a replay takes those from the
               shell
=============  ================================================================

Then one line per protected request, written as the middleware saw it, before any
decision:

=============  ================================================================
``v``          schema version, 1
``t``          the middleware's clock (seconds since the epoch) when it read the body
``method``     ``POST``
``path``       the protected path as configured (another spelling already mapped)
``root_path``  the app's ``root_path`` (usually empty)
``query``      the query string; API-key parameters hold the key's digest (any
               case of their names, pairs split at ``&`` and ``;``)
``client``     the peer address (the proxies' ``X-Forwarded-For`` is a header)
``headers``    ``[name, value]`` pairs in the request's order, names lowercase: every
               name is kept (the header layout is a client signal), values only of
               the headers the detector reads (user agent, content type, SDK
               self-description, forwarding, the configured auth-layer headers);
               an API-key header holds ``Bearer key:<digest>``, the account id the
               middleware derives from the key (``antiextract inspect`` takes it);
               every other value is ``""``
``body``       the body as text (UTF-8), or ``body_b64`` when it is not UTF-8
``complete``   false when the body was longer than ``INSPECT_MAX_BYTES`` and only
               that much was read (and recorded)
=============  ================================================================

Writing never holds up a request: lines go through a queue bounded in bytes
(:data:`QUEUE_BYTES`) to a writer thread; when it is full (the disk cannot keep up) a line
is dropped, counted (``antiextract_recorder_lines_dropped_total``) and logged (at most one
line per :data:`DROP_LOG_SECONDS`). ``close`` never waits on the queue and gives the writer
at most :data:`CLOSE_SECONDS` to finish, so a stalled disk never hangs a shutdown.
"""

from __future__ import annotations

import atexit
import base64
import collections
import errno
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import orjson

from ..settings import record_file_owner_problem
from .identity import KeyPlaces

SCHEMA_VERSION = 1
QUEUE_BYTES = 16 * 1024 * 1024  # lines waiting for the writer, at most (a few bodies' worth)
# The longest line written: a line that does not fit in the queue is dropped. Replay and
# report read no longer line (one huge line would cost its size in memory).
MAX_LINE_BYTES = QUEUE_BYTES
CLOSE_SECONDS = 2.0  # close() waits at most this long for the writer to drain the queue
DROP_LOG_SECONDS = 60.0  # at most one "lines dropped" log line per this many seconds
# Settings never written into a recording: secrets, passwords and places (where the
# store, the verifier, the metrics listener and the file itself are), and how to log.
NOT_RECORDED = frozenset(
    (
        "secret",
        "challenge_secret",
        "previous_challenge_secrets",
        "storage_uri",
        "verification_url",
        "key_prefix",
        "record_file",
        "record_max_bytes",
        "metrics_port",
        "metrics_host",
        "log_format",
        "log_level",
        # places and account ids: the network's topology, allowlisted accounts and
        # cohorts (a subnet cohort names a network)
        "trusted_proxies",
        "allow_subnets",
        "allow_accounts",
        "allow_cohorts",
    )
)

_log = logging.getLogger("antiextract.recorder")
_QUERY_SEPARATORS = re.compile("([&;])")

# Headers whose values the detector reads (fingerprint, identity, API family): kept.
KEPT_VALUES = frozenset(
    (
        b"user-agent",
        b"content-type",
        b"content-length",
        b"accept",
        b"anthropic-version",
        b"anthropic-beta",
        b"openai-beta",
        b"x-forwarded-for",
        b"x-real-ip",
        b"forwarded",
    )
)
KEPT_PREFIXES = (b"x-stainless-",)


class Redactor:
    """Turns a request's headers and query into what the recorder may keep."""

    __slots__ = ("hash_key", "kept", "places")

    def __init__(self, places: KeyPlaces, hash_key: bytes, auth_headers: Iterable[str]) -> None:
        self.places, self.hash_key = places, hash_key
        self.kept = KEPT_VALUES | {h.lower().encode("latin-1") for h in auth_headers}

    def headers(self, headers: Iterable[tuple[bytes, bytes]]) -> list[list[str]]:
        out = []
        for raw, value in headers:
            name = raw.lower()
            if name in self.places.headers:
                account = self.places.read([(name, value)], b"", self.hash_key).account
                text = f"Bearer {account}" if account else ""
            elif name in self.kept or name.startswith(KEPT_PREFIXES):
                text = value.decode("latin-1")
            else:
                text = ""
            out.append([name.decode("latin-1"), text])
        return out

    def query(self, query: bytes) -> str:
        """The query string with every API-key parameter's value replaced: by the key's
        account id where the middleware reads the name as a key (exactly), by nothing
        where only the case differs; pairs split at ``&`` and at ``;`` (some servers
        split there too), every other byte as it came."""
        if not query:
            return ""
        text = query.decode("latin-1")
        params = self.places.params
        if not params:
            return text
        lowered = {name.lower() for name in params}
        pieces = _QUERY_SEPARATORS.split(text)  # pairs at even places, separators between
        changed = False
        for i in range(0, len(pieces), 2):
            raw_name = pieces[i].partition("=")[0]
            name = unquote_plus(raw_name)
            if name.lower() not in lowered:
                continue
            account = ""
            if name in params:
                found = self.places.read([], pieces[i].encode("latin-1"), self.hash_key)
                account = found.account or ""
            pieces[i] = f"{raw_name}={quote_plus(account)}"
            changed = True
        return "".join(pieces) if changed else text


def record_line(
    scope: dict[str, Any], body: bytes, complete: bool, now: float, redactor: Redactor
) -> bytes:
    """One request as a JSON line (pure: no I/O)."""
    client = scope.get("client")
    record: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "t": now,
        "method": scope.get("method", "POST"),
        "path": scope["path"],
        "root_path": scope.get("root_path", ""),
        "query": redactor.query(scope.get("query_string", b"")),
        "client": client[0] if client else None,
        "headers": redactor.headers(scope.get("headers", ())),
    }
    try:
        record["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        record["body_b64"] = base64.b64encode(body).decode("ascii")
    record["complete"] = complete
    return orjson.dumps(record) + b"\n"


def _version() -> str:
    """The installed antiextract's version (the package metadata pyproject.toml writes)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("antiextract")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def settings_line(settings: Any) -> bytes:
    """The header line: the settings a recording is made under (no secret, no place)."""
    fields = type(settings).model_fields
    kept = {name for name in fields if name not in NOT_RECORDED}
    values = settings.model_dump(mode="json", include=kept)
    doc = {"v": SCHEMA_VERSION, "kind": "settings", "antiextract": _version()}
    return orjson.dumps({**doc, "settings": values}) + b"\n"


class Recorder:
    """Appends lines to ``path`` from a writer thread, up to ``max_bytes``; a request's
    body is kept up to ``inspect_bytes``, what the middleware reads before deciding.
    ``header``: a first line (the settings, :func:`settings_line`); ``on_drop``: called
    with the number of lines dropped (a metric), from any thread; ``queue_bytes``: the
    most the lines waiting for the writer may hold."""

    def __init__(
        self,
        path: str,
        max_bytes: int,
        redactor: Redactor,
        inspect_bytes: int = 1_048_576,
        *,
        header: bytes | None = None,
        on_drop: Callable[[int], None] | None = None,
        queue_bytes: int = QUEUE_BYTES,
    ) -> None:
        self.path, self.max_bytes, self.redactor = path, max_bytes, redactor
        self.inspect_bytes = inspect_bytes
        self.queue_bytes = queue_bytes
        self.dropped = 0
        self.full = False
        self._on_drop = on_drop
        self._drops_unlogged = 0
        self._drop_logged = -DROP_LOG_SECONDS  # time.monotonic() of the last drop log line
        # One unbuffered O_APPEND descriptor: each line is one write(), so the workers of
        # a multi-process server can share the file without splitting each other's lines.
        # Created readable by the server's user only: it holds prompt text. Never through
        # a symbolic link, and an existing file only when it is the server's own
        # (settings checked it at start-up; checked again on the open descriptor).
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        self._fd = os.open(path, flags, 0o600)
        problem = record_file_owner_problem(os.fstat(self._fd))
        if problem is not None:
            os.close(self._fd)
            raise PermissionError(errno.EPERM, problem)
        self._closed = False
        self._closing = False
        self._abandoned = False  # close() gave up on a stalled writer: it closes the file
        self._lines: collections.deque[bytes] = collections.deque()
        self._bytes = 0  # held by _lines
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        if header is not None:
            self._lines.append(header)
            self._bytes += len(header)
        self._thread = threading.Thread(target=self._run, name="antiextract-recorder", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    @property
    def queued_bytes(self) -> int:
        return self._bytes

    def receive(self, scope: dict[str, Any], receive: Any, now: float) -> Any:
        """``receive`` for one protected request: passes every message on as it is, and
        records the request once its body is read whole or up to ``inspect_bytes`` (a
        request whose body is never read, refused before it, is not recorded)."""
        if self.full:
            return receive
        return _RecordingReceive(self, scope, receive, now)

    def write(self, scope: dict[str, Any], body: bytes, complete: bool, now: float) -> None:
        """Record one protected request. Never raises, never waits (but for a lock held
        only to append to or pop from the queue)."""
        if self.full or self._closing:
            return
        try:
            line = record_line(scope, body, complete, now, self.redactor)
        except Exception:  # a recorder must never cost a request
            _log.exception("antiextract recorder: a request could not be recorded")
            self._dropped(1)
            return
        with self._lock:
            if self._bytes + len(line) > self.queue_bytes:
                full = True
            else:
                full = False
                self._lines.append(line)
                self._bytes += len(line)
                self._ready.notify()
        if full:  # the writer is behind (a slow or stalled disk): drop, count, say so
            self._dropped(1)

    def _dropped(self, n: int) -> None:
        with self._lock:
            self.dropped += n
            self._drops_unlogged += n
            now = time.monotonic()
            due = now - self._drop_logged >= DROP_LOG_SECONDS
            if due:
                count, self._drops_unlogged, self._drop_logged = self._drops_unlogged, 0, now
        if self._on_drop is not None:
            try:
                self._on_drop(n)
            except Exception:  # a metric must never cost a request
                _log.exception("antiextract recorder: counting a drop failed")
        if due:
            _log.warning(
                "antiextract recorder: %d line(s) dropped (the writer of %s is behind: "
                "more than %d bytes waiting); %d dropped in all",
                count,
                self.path,
                self.queue_bytes,
                self.dropped,
            )

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued, within ``timeout`` seconds, and close the file
        (idempotent). Never blocks on the queue; a writer stalled past the timeout is
        left behind (a daemon thread) with what it still holds counted as dropped, and
        the file stays open for it."""
        with self._lock:
            if self._abandoned:  # an earlier close() already gave up on the writer
                return
            self._closing = True
            self._ready.notify()
        self._thread.join(timeout=max(0.0, timeout))
        if self._thread.is_alive():
            with self._lock:
                lost = len(self._lines)
                self._lines.clear()
                self._bytes = 0
                self._abandoned = True
            if lost:
                self._dropped(lost)
            _log.warning(
                "antiextract recorder: the writer of %s did not finish within %.1f s; "
                "%d queued line(s) dropped",
                self.path,
                timeout,
                lost,
            )
            return
        if not self._closed:
            self._closed = True
            os.close(self._fd)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._lines and not self._closing:
                    self._ready.wait()
                if not self._lines:  # closing, and nothing left
                    if self._abandoned and not self._closed:  # close() could not wait
                        self._closed = True
                        os.close(self._fd)
                    return
                line = self._lines.popleft()
                self._bytes -= len(line)
            if self.full:
                continue
            try:  # the file's size now, other processes' lines included
                size = os.fstat(self._fd).st_size
                if size + len(line) <= self.max_bytes:
                    os.write(self._fd, line)
                    continue
            except OSError:
                _log.exception("antiextract recorder: writing %s failed", self.path)
                self._dropped(1)
                continue
            if not self.full:
                self.full = True
                _log.warning(
                    "antiextract recorder: %s reached ANTIEXTRACT_RECORD_MAX_BYTES=%d; "
                    "recording stopped",
                    self.path,
                    self.max_bytes,
                )


class _RecordingReceive:
    __slots__ = ("chunks", "done", "now", "receive", "recorder", "scope", "size")

    def __init__(self, recorder: Recorder, scope: dict[str, Any], receive: Any, now: float):
        self.recorder, self.scope, self.receive, self.now = recorder, scope, receive, now
        self.chunks: list[bytes] = []
        self.size = 0
        self.done = False

    async def __call__(self) -> dict[str, Any]:
        message = await self.receive()
        if self.done or message.get("type") != "http.request":
            return message
        try:
            body = message.get("body", b"")
            self.chunks.append(body)
            self.size += len(body)
            more = bool(message.get("more_body", False))
            cap = self.recorder.inspect_bytes
            if not more or self.size >= cap:
                self.done = True
                data = b"".join(self.chunks)
                self.chunks = []
                self.recorder.write(self.scope, data[:cap], not more and len(data) <= cap, self.now)
        except Exception:  # a recorder must never cost a request
            self.done = True
            _log.exception("antiextract recorder: a request could not be recorded")
        return message


def recorder_for(
    settings: Any,
    places: KeyPlaces,
    hash_key: bytes,
    on_drop: Callable[[int], None] | None = None,
) -> Recorder | None:
    """The recorder ``settings`` ask for (``RECORD_FILE``), or None; its first line says
    which settings it records under."""
    if settings.record_file is None:
        return None
    auth = (
        settings.account_header,
        settings.account_created_header,
        settings.account_tier_header,
    )
    redactor = Redactor(places, hash_key, (h for h in auth if h))
    return Recorder(
        settings.record_file,
        settings.record_max_bytes,
        redactor,
        settings.inspect_max_bytes,
        header=settings_line(settings),
        on_drop=on_drop,
    )


__all__ = [
    "NOT_RECORDED",
    "SCHEMA_VERSION",
    "Recorder",
    "Redactor",
    "record_line",
    "recorder_for",
    "settings_line",
]
