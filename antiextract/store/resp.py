"""A minimal asyncio Redis client for one thing: the hot-path script call.

redis.asyncio spends tens of microseconds per call on its connection pool, command packing
and response parsing. This client does only what the hot path needs:

* commands are packed here (RESP2, no HELLO), replies parsed by ``hiredis.Reader``;
* each connection is an ``asyncio.Protocol`` holding a deque of futures. RESP replies come
  back in request order, so any number of calls can be in flight on one connection at once
  and each reply resolves the oldest pending future: concurrent callers pipeline for free.
  A call on an idle connection is written at once; calls made while others are in flight
  on it are written together at the next loop turn (one ``send`` for the lot);
* a few connections (``pool_size``), opened lazily: a call takes a connection with nothing
  in flight, else the least busy one, and opens another (in the background, up to
  ``pool_size``) only when every open one is busy. Sequential use keeps a single connection;
* timeouts cost no timer per call. Each call records its deadline next to its future; a
  connection keeps at most one timer, armed for the deadline of its oldest pending call and
  re-armed lazily when it fires. Deadlines are in send order, so the oldest pending call is
  always the first to expire;
* a call that times out fails with ``TimeoutError``; its connection is then closed and
  dropped, and the other calls in flight on it fail with ``ConnectionError``. A lost or
  refused connection fails with ``ConnectionError`` (an ``OSError``). The next call opens a
  new connection. Nothing is retried that could run a script twice: the one retry is the
  ``EVAL`` after a ``NOSCRIPT`` reply, which Redis sends without running anything;
* an error reply from Redis raises ``RespError`` carrying the whole message
  (``"ERR ..."``, ``"WRONGTYPE ..."``); replies are otherwise exactly what hiredis gives
  redis-py without ``decode_responses``: ``bytes``, ``int``, ``None`` and nested lists.

A client belongs to the event loop it first connects on.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import hiredis

from ..redact import mask_uri

__all__ = ["FastScriptClient", "PreparedScript", "RespError"]

Arg = str | bytes | int | float


class RespError(Exception):
    """An error reply from Redis; ``str(exc)`` is the whole message, e.g. ``"ERR boom"``."""

    @property
    def code(self) -> str:
        """The error code: the message's first word (``"ERR"``, ``"NOSCRIPT"``, ...)."""
        message = str(self)
        return message.split(" ", 1)[0] if message else ""


_NOT_ENOUGH = object()  # hiredis.Reader's "no complete reply buffered yet"
_RETRY_AFTER = 0.5  # s between background connects (to grow the pool) after one failed
_EARLY = 1e-3  # a deadline this close counts as passed (asyncio timers may fire a hair early)


def _encode_other(item: object) -> bytes:
    if isinstance(item, bool):
        raise TypeError("a bool is not a Redis argument; pass an int, float, str or bytes")
    if isinstance(item, int):
        return b"%d" % item
    if isinstance(item, float):
        return repr(float(item)).encode()
    if isinstance(item, str):
        return item.encode()
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item)
    raise TypeError(f"cannot send a {type(item).__name__} to Redis; use str, bytes, int or float")


def _bulk(parts: list[bytes], items: Sequence[Any]) -> None:
    """Append each item as a RESP bulk string (floats as ``repr``, ints as ``str``)."""
    for item in items:
        kind = type(item)
        if kind is str:
            data = item.encode()
        elif kind is bytes:
            data = item
        elif kind is float:
            data = repr(item).encode()
        elif kind is int:
            data = b"%d" % item
        else:
            data = _encode_other(item)
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))


def encode_bulk(items: Sequence[Any]) -> bytes:
    """Items as consecutive RESP bulk strings (for EncodedKeys)."""
    parts: list[bytes] = []
    _bulk(parts, items)
    return b"".join(parts)


class EncodedKeys(NamedTuple):
    """Keys already RESP-encoded (``encode_bulk``), for keys that repeat across calls."""

    count: int
    data: bytes


Keys = Sequence[str | bytes] | EncodedKeys


def pack_command(*args: Arg) -> bytes:
    """One command as RESP2 bytes."""
    parts = [b"*%d\r\n" % len(args)]
    _bulk(parts, args)
    return b"".join(parts)


def _numkeys(n: int) -> bytes:
    digits = b"%d" % n
    return b"$%d\r\n%b\r\n" % (len(digits), digits)


_NUMKEYS = [_numkeys(n) for n in range(16)]


def _sha_head(sha: str) -> bytes:
    sha_bytes = sha.encode()
    return b"$7\r\nEVALSHA\r\n$%d\r\n%b\r\n" % (len(sha_bytes), sha_bytes)


def _script_head(script: str) -> bytes:
    body = script.encode()
    return b"$4\r\nEVAL\r\n$%d\r\n%b\r\n" % (len(body), body)


def _sha1(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


Orphan = Callable[[Any], None]


def _deliver(future: asyncio.Future[Any], orphan: Orphan | None) -> None:
    """A call's reply arrived but its caller was cancelled before taking it: hand it on."""
    done = future.done() and not future.cancelled()
    if orphan is not None and done and future.exception() is None:
        orphan(future.result())


async def _reply(future: asyncio.Future[Any], orphan: Orphan | None) -> Any:
    """The reply of a sent call. Cancelled before the reply came, the connection hands it
    to ``orphan`` when it comes; cancelled after it came, this does."""
    try:
        return await future
    except asyncio.CancelledError:
        _deliver(future, orphan)
        raise


class _Connection(asyncio.Protocol):
    """One Redis connection: a deque of (future, deadline, orphan) answered in order.

    ``orphan``: what to do with a reply whose caller was cancelled meanwhile (a script
    that ran even so); called with it at the next loop turn, never with an error."""

    __slots__ = ("_client", "_closed", "_corked", "_loop", "_reader", "_timeout", "_timer",
                 "broken", "pending", "transport")  # fmt: skip

    def __init__(self, client: FastScriptClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop
        self._timeout = client.timeout
        self._reader = hiredis.Reader(replyError=RespError, notEnoughData=_NOT_ENOUGH)
        self._timer: asyncio.TimerHandle | None = None
        self._corked: list[bytes] | None = None  # commands to write at the next loop turn
        self._closed: asyncio.Future[None] = loop.create_future()
        self.pending: deque[tuple[asyncio.Future[Any], float, Orphan | None]] = deque()
        self.transport: asyncio.Transport | None = None
        self.broken = False

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        pending = self.pending
        while True:
            try:
                reply = reader.gets()
            except hiredis.ProtocolError as exc:
                self.fail(ConnectionError(f"redis protocol error: {exc}"))
                return
            if reply is _NOT_ENOUGH:
                return
            if not pending:
                self.fail(ConnectionError("redis sent a reply nobody asked for"))
                return
            future, _, orphan = pending.popleft()
            if future.done():  # its caller was cancelled; the reply is dropped in order
                if orphan is not None and type(reply) is not RespError:
                    self._loop.call_soon(orphan, reply)
                continue
            if type(reply) is RespError:
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        reason = f": {exc}" if exc else ""
        self.fail(ConnectionError(f"redis connection lost{reason}"))
        if not self._closed.done():
            self._closed.set_result(None)

    # -- calls -------------------------------------------------------------------------

    def send(self, payload: bytes, orphan: Orphan | None = None) -> asyncio.Future[Any]:
        """Write one command; the returned future gets its reply."""
        loop = self._loop
        future = loop.create_future()
        deadline = loop.time() + self._timeout
        pending = self.pending
        if self._corked is not None:
            self._corked.append(payload)
        elif pending:
            # Calls are in flight already, so this one waits behind them anyway: batch the
            # writes of this loop turn into one send (one syscall instead of one per call).
            self._corked = [payload]
            loop.call_soon(self._uncork)
        else:
            self.transport.write(payload)  # type: ignore[union-attr]
        pending.append((future, deadline, orphan))
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._check_deadline)
        return future

    def _uncork(self) -> None:
        corked, self._corked = self._corked, None
        if corked and not self.broken:
            self.transport.write(b"".join(corked))  # type: ignore[union-attr]

    def _check_deadline(self) -> None:
        self._timer = None
        if self.broken or not self.pending:
            return
        deadline = self.pending[0][1]
        if deadline - self._loop.time() > _EARLY:
            self._timer = self._loop.call_at(deadline, self._check_deadline)
            return
        self.fail(ConnectionError("redis connection dropped: another call on it timed out"))

    def fail(self, exc: ConnectionError) -> None:
        """Close for good: calls past their deadline get ``TimeoutError``, the rest ``exc``."""
        if self.broken:
            return
        self.broken = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._client._drop(self)
        if self.transport is not None:
            self.transport.abort()
        pending, self.pending = self.pending, deque()
        now = self._loop.time()
        for future, deadline, _ in pending:
            if future.done():
                continue
            if deadline - now <= _EARLY:
                future.set_exception(
                    TimeoutError(f"redis did not answer within {self._timeout:g} s")
                )
            else:
                future.set_exception(ConnectionError(*exc.args))

    async def wait_closed(self) -> None:
        await self._closed


@dataclass(frozen=True)
class _Address:
    host: str | None = "localhost"
    port: int = 6379
    path: str | None = None  # unix socket
    tls: bool = False
    username: str | None = None
    password: str | None = None
    db: int = 0


def parse_url(url: str) -> _Address:
    """``redis://[[user]:password@]host[:port][/db]``, ``rediss://...``, ``unix:///path?db=N``.

    ``db``, ``username`` and ``password`` may also be given as query parameters.
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    username = unquote(parts.username) if parts.username else query.get("username")
    password = unquote(parts.password) if parts.password is not None else query.get("password")
    db_text = query.get("db", "")
    host: str | None = None
    port = 0
    path: str | None = None
    if parts.scheme in ("redis", "rediss"):
        db_text = parts.path.strip("/") or db_text
        host = parts.hostname or "localhost"
        try:
            port = parts.port or 6379
        except ValueError as exc:
            raise ValueError(f"bad port in redis URL {mask_uri(url)!r}") from exc
    elif parts.scheme == "unix":
        path = parts.path
        if not path:
            raise ValueError(f"unix URL without a socket path: {mask_uri(url)!r}")
    else:
        raise ValueError(f"unsupported URL scheme {parts.scheme!r} (redis, rediss, unix)")
    if not (db_text or "0").isdigit():
        raise ValueError(f"bad db in redis URL {mask_uri(url)!r}")
    return _Address(host, port, path, parts.scheme == "rediss", username or None, password,
                    int(db_text or 0))  # fmt: skip


class PreparedScript:
    """One script with the constant tail of its arguments packed once.

    ``await prepared(keys, args)`` sends ``EVALSHA sha numkeys *keys *args *static_args``.
    """

    __slots__ = ("_client", "_heads", "_nstatic", "_sha_head", "_tail", "script", "sha")

    def __init__(
        self, client: FastScriptClient, sha: str, script: str, static_args: Sequence[Arg]
    ) -> None:
        self._client = client
        self.sha = sha
        self.script = script
        self._sha_head = _sha_head(sha)
        parts: list[bytes] = []
        _bulk(parts, static_args)
        self._tail = b"".join(parts)
        self._nstatic = len(static_args)
        self._heads: dict[tuple[int, int], bytes] = {}

    def _head(self, nkeys: int, nargs: int) -> bytes:
        count = 3 + nkeys + nargs + self._nstatic
        head = b"*%d\r\n%b%b" % (count, self._sha_head, _numkeys(nkeys))
        if len(self._heads) < 64:
            self._heads[nkeys, nargs] = head
        return head

    def pack(self, keys: Keys, args: Sequence[Arg] = ()) -> tuple[bytes, int]:
        """The EVALSHA payload, and where its count-and-sha head ends (for EVAL fallback)."""
        encoded = type(keys) is EncodedKeys
        nkeys = keys.count if encoded else len(keys)  # type: ignore[union-attr]
        head = self._heads.get((nkeys, len(args)))
        if head is None:
            head = self._head(nkeys, len(args))
        parts = [head]
        if encoded:
            parts.append(keys.data)  # type: ignore[union-attr]
        else:
            _bulk(parts, keys)
        _bulk(parts, args)
        parts.append(self._tail)
        return b"".join(parts), len(head) - len(_numkeys(nkeys))

    async def __call__(
        self, keys: Keys, args: Sequence[Arg] = (), orphan: Orphan | None = None
    ) -> Any:
        """The reply; ``orphan`` gets it instead if this call is cancelled once sent."""
        payload, head_len = self.pack(keys, args)
        client = self._client
        conn = client._pick()
        if conn is None:
            conn = await client._acquire()
        try:
            return await _reply(conn.send(payload, orphan), orphan)
        except RespError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await client._eval_instead(payload, head_len, self.sha, self.script, orphan)


class FastScriptClient:
    """Runs Lua scripts on Redis with as little client-side work per call as possible."""

    def __init__(
        self,
        address: _Address,
        timeout: float,
        *,
        pool_size: int = 4,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.address = address
        self.timeout = float(timeout)
        self.pool_size = pool_size
        if address.tls and ssl_context is None:
            ssl_context = ssl.create_default_context()
        self._ssl = ssl_context if address.tls else None
        self._conns: list[_Connection] = []
        self._connecting: asyncio.Task[_Connection] | None = None
        self._closed = False
        self._retry_at = 0.0  # no background connect before this loop time (after a failure)
        self._sha_heads: dict[str, bytes] = {}
        self._verified: set[str] = set()
        handshake = []
        if address.password is not None:
            auth = [address.username] if address.username else []
            handshake.append(pack_command("AUTH", *auth, address.password))
        if address.db:
            handshake.append(pack_command("SELECT", address.db))
        self._handshake = handshake

    @classmethod
    def from_url(
        cls,
        url: str,
        timeout: float,
        *,
        pool_size: int = 4,
        ssl_context: ssl.SSLContext | None = None,
    ) -> FastScriptClient:
        """A client for ``url``; nothing connects until the first call.

        ``rediss://`` verifies the server against ``ssl.create_default_context()`` unless
        ``ssl_context`` is given. ``timeout`` bounds connecting and each round trip.
        """
        return cls(parse_url(url), timeout, pool_size=pool_size, ssl_context=ssl_context)

    # -- calls -------------------------------------------------------------------------

    async def evalsha(
        self, sha: str, script: str, keys: Sequence[str | bytes], args: Sequence[Arg]
    ) -> Any:
        """``EVALSHA sha len(keys) *keys *args``; on ``NOSCRIPT``, ``EVAL script ...`` instead.

        ``script`` must be the script whose SHA-1 is ``sha``.
        """
        sha_head = self._sha_heads.get(sha)
        if sha_head is None:
            sha_head = self._sha_heads[sha] = _sha_head(sha)
        nkeys = len(keys)
        count = b"*%d\r\n" % (3 + nkeys + len(args))
        parts = [count, sha_head, _NUMKEYS[nkeys] if nkeys < 16 else _numkeys(nkeys)]
        _bulk(parts, keys)
        _bulk(parts, args)
        payload = b"".join(parts)
        conn = self._pick()
        if conn is None:
            conn = await self._acquire()
        try:
            return await conn.send(payload)
        except RespError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self._eval_instead(payload, len(count) + len(sha_head), sha, script)

    def prepare(self, sha: str, script: str, static_args: Sequence[Arg] = ()) -> PreparedScript:
        """A callable for ``script`` whose last arguments are always ``static_args``."""
        if _sha1(script) != sha.lower():
            raise ValueError("sha is not the SHA-1 of script")
        self._verified.add(sha)
        return PreparedScript(self, sha, script, static_args)

    async def execute(self, *args: Arg) -> Any:
        """Any one command (for set-up and tests, not the hot path)."""
        payload = pack_command(*args)
        conn = self._pick()
        if conn is None:
            conn = await self._acquire()
        return await conn.send(payload)

    async def _eval_instead(
        self, payload: bytes, head_len: int, sha: str, script: str, orphan: Orphan | None = None
    ) -> Any:
        """Resend an EVALSHA payload as EVAL (which also caches the script under its SHA)."""
        if sha not in self._verified:
            if _sha1(script) != sha.lower():
                raise ValueError("sha is not the SHA-1 of script")
            self._verified.add(sha)
        count_end = payload.index(b"\r\n") + 2
        rest = payload[head_len:]
        conn = self._pick()
        if conn is None:
            conn = await self._acquire()
        return await _reply(conn.send(payload[:count_end] + _script_head(script) + rest, orphan),
                            orphan)  # fmt: skip

    # -- the pool ----------------------------------------------------------------------

    def _pick(self) -> _Connection | None:
        """An idle connection, else the least busy (opening another meanwhile), else None."""
        best = None
        least = 0
        for conn in self._conns:
            busy = len(conn.pending)
            if not busy:
                return conn
            if best is None or busy < least:
                best, least = conn, busy
        if (
            best is not None
            and len(self._conns) < self.pool_size
            and self._connecting is None
            and best._loop.time() >= self._retry_at
        ):
            self._start_connect()
        return best

    def _start_connect(self) -> asyncio.Task[_Connection]:
        task = asyncio.get_running_loop().create_task(self._connect())
        task.add_done_callback(self._connect_done)
        self._connecting = task
        return task

    async def _acquire(self) -> _Connection:
        """Wait for a connection (the slow path: none is open yet)."""
        while True:
            if self._closed:
                raise ConnectionError("redis client is closed")
            conn = self._pick()
            if conn is not None:
                return conn
            task = self._connecting or self._start_connect()
            await asyncio.wait((task,))
            if task.cancelled():
                raise ConnectionError("redis client is closed")
            exc = task.exception()
            # A fresh exception per waiter: raising one object in many tasks grows its traceback.
            if isinstance(exc, TimeoutError):
                raise TimeoutError(*exc.args)
            if isinstance(exc, ConnectionError):
                raise ConnectionError(*exc.args)
            if exc is not None:
                raise ConnectionError(f"redis connection set-up failed: {exc!r}") from exc

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        address = self.address
        conn: _Connection | None = None
        where = address.path or f"{address.host}:{address.port}"
        try:
            try:
                async with asyncio.timeout(self.timeout):
                    if address.path is not None:
                        _, conn = await loop.create_unix_connection(
                            lambda: _Connection(self, loop), address.path
                        )
                    else:
                        _, conn = await loop.create_connection(
                            lambda: _Connection(self, loop),
                            address.host,
                            address.port,
                            ssl=self._ssl,
                            server_hostname=address.host if self._ssl else None,
                        )
                    if self._handshake:
                        replies = await asyncio.gather(
                            *[conn.send(command) for command in self._handshake],
                            return_exceptions=True,
                        )
                        for reply in replies:
                            if isinstance(reply, BaseException):
                                raise reply
            except TimeoutError:
                raise TimeoutError(f"redis at {where}: no connection within "
                                   f"{self.timeout:g} s") from None  # fmt: skip
            except RespError as exc:
                raise ConnectionError(f"redis at {where} refused the handshake: {exc}") from None
            except OSError as exc:
                raise ConnectionError(f"redis at {where}: cannot connect: {exc}") from None
            if self._closed:
                raise ConnectionError("redis client is closed")
        except BaseException:
            if conn is not None:
                conn.fail(ConnectionError("redis connection set-up failed"))
            raise
        finally:
            self._connecting = None
        self._conns.append(conn)
        return conn

    def _connect_done(self, task: asyncio.Task[_Connection]) -> None:
        if not task.cancelled() and task.exception() is not None:  # marks it retrieved
            self._retry_at = asyncio.get_running_loop().time() + _RETRY_AFTER

    def _drop(self, conn: _Connection) -> None:
        if conn in self._conns:
            self._conns.remove(conn)

    async def aclose(self) -> None:
        """Close every connection; calls in flight fail with ``ConnectionError``."""
        self._closed = True
        task = self._connecting
        if task is not None:
            task.cancel()
            await asyncio.wait((task,))
        conns = list(self._conns)
        for conn in conns:
            conn.fail(ConnectionError("redis client closed"))
        if conns:
            await asyncio.wait([asyncio.ensure_future(c.wait_closed()) for c in conns],
                               timeout=self.timeout)  # fmt: skip

    async def __aenter__(self) -> FastScriptClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
