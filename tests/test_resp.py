"""FastScriptClient against real Redis servers: the shared one (db 13, flushed per test) and
private ``redis-server`` processes started here on free loopback ports, for what must not
touch a shared server: flushing its script cache, stalling it, killing and restarting it,
passwords, a unix socket, TLS.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.exceptions import ResponseError

from antiextract.store.resp import (
    EncodedKeys,
    FastScriptClient,
    RespError,
    encode_bulk,
    parse_url,
)

from .conftest import redis_url

URL = redis_url(13)
REDIS_SERVER = shutil.which("redis-server") or "redis-server"


def sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


ECHO = "return ARGV"
KEYS_AND_ARGS = "return {KEYS, ARGV}"
FIRST = "return ARGV[1]"
FAIL = "return redis.error_reply('ERR failed on purpose')"
SET = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])"
HASH = (
    "local old = redis.call('HMGET', KEYS[1], 'n', 'at') "
    "redis.call('HSET', KEYS[1], 'n', ARGV[1], 'at', ARGV[2]) return old"
)

# Scripts whose replies must come back exactly as redis-py gives them.
REPLIES = {
    "int": "return 42",
    "negative int": "return -9007199254740993",
    "lua float truncates": "return 3.99",
    "string": "return 'hello'",
    "binary": "return '\\0\\255\\r\\n'",
    "empty string": "return ''",
    "status": "return redis.status_reply('FINE')",
    "true": "return true",
    "nil": "return nil",
    "false": "return false",
    "empty array": "return {}",
    "nested": "return {1, 'two', {3, {'four', {}}, -5}, 'six'}",
    "nil stops an array": "return {1, 2, nil, 4}",
    "false inside array": "return {1, false, 3}",
    "redis replies": "redis.call('SET', KEYS[1], 'v') return {redis.call('GET', KEYS[1]),"
    " redis.call('INCR', KEYS[1] .. ':n'), redis.call('GET', 'missing')}",
}
# Scripts whose whole reply is an error.
ERRORS = {
    "error_reply": "return redis.error_reply('boom')",
    "error_reply with code": "return redis.error_reply('MYCODE something broke')",
    "error table": "return {err = 'CUSTOM went wrong'}",
    "wrong type": "redis.call('SET', KEYS[1], 'text') return redis.call('HGET', KEYS[1], 'f')",
    "lua runtime": "return nil + 1",
    "redis.error": "error({err = 'TABLEERR raised'})",
}


@pytest.fixture
async def pyredis() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(URL)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def fast(pyredis) -> AsyncIterator[FastScriptClient]:
    client = FastScriptClient.from_url(URL, 2.0)
    yield client
    await client.aclose()


# -- private servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One private redis-server process (no persistence), restartable on the same port."""

    def __init__(self, workdir: Path, *extra: str, tls: bool = False) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.extra = list(extra)
        self.tls = tls
        self.unixsocket = str(workdir / "redis.sock")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        port = str(self.port)
        ports = ["--port", "0", "--tls-port", port] if self.tls else ["--port", port]
        return [REDIS_SERVER, *ports, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir), "--enable-debug-command", "yes",
                "--unixsocket", self.unixsocket, *self.extra]  # fmt: skip

    async def start(self) -> Server:
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, (self.workdir / "redis.log").read_text()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                if os.path.exists(self.unixsocket):
                    return self
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            await asyncio.sleep(0.02)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def servers() -> Iterator:
    """A factory of private servers, all killed at the end."""
    started: list[Server] = []
    workdirs: list[str] = []

    async def start(*extra: str, tls: bool = False) -> Server:
        workdir = tempfile.mkdtemp(prefix="ae-resp-")  # short: unix socket paths are limited
        workdirs.append(workdir)
        server = Server(Path(workdir), *extra, tls=tls)
        started.append(server)
        return await server.start()

    yield start
    for server in started:
        server.kill()
    for workdir in workdirs:
        shutil.rmtree(workdir, ignore_errors=True)


async def echo_many(client: FastScriptClient, n: int) -> list:
    """n concurrent calls, call i passing i."""
    return await asyncio.gather(*[client.evalsha(sha(FIRST), FIRST, [], [i]) for i in range(n)])


@pytest.fixture
async def private(servers) -> AsyncIterator[tuple[FastScriptClient, aioredis.Redis]]:
    """Both clients on a private server, for tests that flush its script cache."""
    server = await servers()
    fast = FastScriptClient.from_url(server.url, 2.0)
    pyredis = aioredis.Redis.from_url(server.url)
    yield fast, pyredis
    await fast.aclose()
    await pyredis.aclose()


# -- replies -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REPLIES))
async def test_replies_match_redis_py(name: str, fast, pyredis) -> None:
    script = REPLIES[name]
    theirs = await pyredis.eval(script, 1, "k1")
    await pyredis.flushdb()
    ours = await fast.evalsha(sha(script), script, ["k1"], [])
    assert ours == theirs
    assert type(ours) is type(theirs)


@pytest.mark.parametrize("name", list(ERRORS))
async def test_error_replies_raise_resp_error(name: str, fast, pyredis) -> None:
    script = ERRORS[name]
    with pytest.raises(ResponseError) as theirs:
        await pyredis.eval(script, 1, "k1")
    await pyredis.flushdb()
    with pytest.raises(RespError) as ours:
        await fast.evalsha(sha(script), script, ["k1"], [])
    # redis-py drops a leading "ERR " (and other codes it knows); RespError keeps the message.
    assert str(ours.value).endswith(str(theirs.value))
    assert ours.value.code == str(ours.value).split(" ")[0]
    # The connection is still good after an error reply.
    assert await fast.evalsha(sha(FIRST), FIRST, [], ["after"]) == b"after"


async def test_error_inside_an_array_is_an_element(fast, pyredis) -> None:
    script = "return {1, redis.error_reply('inner'), 3}"
    theirs = await pyredis.eval(script, 0)
    ours = await fast.evalsha(sha(script), script, [], [])
    assert ours[0] == theirs[0] == 1 and ours[2] == theirs[2] == 3
    assert isinstance(ours[1], RespError) and str(ours[1]).endswith(str(theirs[1]))


async def test_keys_and_args_are_encoded_like_redis_py(fast, pyredis) -> None:
    keys = ["plain", "ünïcode ✓", b"\x00\xffbytes"]
    args = ["text", "", b"\r\n\x00", 0, -1, 2**70, 0.1, 1e300, -0.0, 1.0, float("inf"), 7.5e-9]
    theirs = await pyredis.eval(KEYS_AND_ARGS, len(keys), *keys, *args)
    ours = await fast.evalsha(sha(KEYS_AND_ARGS), KEYS_AND_ARGS, keys, args)
    assert ours == theirs
    assert ours[1][6] == b"0.1" and ours[1][4] == b"-1"  # repr() of floats, str() of ints


def test_any_args_round_trip_like_redis_py() -> None:
    """Property: for any mix of str/bytes/int/float args, both clients send the same bytes."""
    arg = st.one_of(
        st.text(max_size=40),
        st.binary(max_size=40),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False),
    )
    with asyncio.Runner() as runner:
        fast = FastScriptClient.from_url(URL, 2.0)
        slow = aioredis.Redis.from_url(URL)
        prepared = fast.prepare(sha(KEYS_AND_ARGS), KEYS_AND_ARGS, [1.5, "static", b"\x01"])

        @settings(max_examples=150, deadline=None)
        @given(keys=st.lists(st.text(max_size=10), max_size=3), args=st.lists(arg, max_size=8))
        def check(keys: list[str], args: list) -> None:
            theirs = runner.run(slow.eval(KEYS_AND_ARGS, len(keys), *keys, *args))
            assert runner.run(fast.evalsha(sha(KEYS_AND_ARGS), KEYS_AND_ARGS, keys, args)) == theirs
            with_static = runner.run(prepared(keys, args))
            assert with_static == [theirs[0], [*theirs[1], b"1.5", b"static", b"\x01"]]
            encoded = EncodedKeys(len(keys), encode_bulk(keys))
            assert runner.run(prepared(encoded, args)) == with_static

        try:
            check()
        finally:
            runner.run(fast.aclose())
            runner.run(slow.aclose())


async def test_unsupported_args_raise_type_error(fast) -> None:
    for bad in (True, None, object(), [1]):
        with pytest.raises(TypeError):
            await fast.evalsha(sha(ECHO), ECHO, [], [bad])
    # bytearray and memoryview are bytes; int and float subclasses are numbers.
    reply = await fast.evalsha(sha(ECHO), ECHO, [], [bytearray(b"ba"), memoryview(b"mv")])
    assert reply == [b"ba", b"mv"]


async def test_many_keys(fast, pyredis) -> None:
    keys = [f"k{i}" for i in range(40)]
    assert await fast.evalsha(sha(KEYS_AND_ARGS), KEYS_AND_ARGS, keys, ["a"]) == [
        [k.encode() for k in keys],
        [b"a"],
    ]


# -- NOSCRIPT (on a private server: the script cache is server-wide) -----------------------


async def test_noscript_falls_back_to_eval_and_caches_the_script(private) -> None:
    fast, pyredis = private
    await pyredis.script_flush()
    assert await fast.evalsha(sha(SET), SET, ["k"], ["one"]) == b"one"
    assert await pyredis.script_exists(sha(SET)) == [True]
    assert await fast.evalsha(sha(SET), SET, ["k"], ["two"]) == b"two"
    await pyredis.script_flush()
    assert await fast.evalsha(sha(SET), SET, ["k"], [3]) == b"3"
    assert await pyredis.get("k") == b"3"


async def test_noscript_fallback_for_prepared_scripts(private) -> None:
    fast, pyredis = private
    prepared = fast.prepare(sha(KEYS_AND_ARGS), KEYS_AND_ARGS, [1, 2.5, "s"])
    for round_ in range(3):
        await pyredis.script_flush()
        assert await prepared(["a", "b"], [round_]) == [[b"a", b"b"], [b"%d" % round_, b"1",
                                                                        b"2.5", b"s"]]  # fmt: skip
        assert await prepared(["a"]) == [[b"a"], [b"1", b"2.5", b"s"]]
        await pyredis.script_flush()  # pre-encoded keys survive the EVAL fallback too
        keys = EncodedKeys(2, encode_bulk(["a", "b"]))
        assert await prepared(keys, [7]) == [[b"a", b"b"], [b"7", b"1", b"2.5", b"s"]]


async def test_noscript_fallback_under_concurrency(private) -> None:
    fast, pyredis = private
    await pyredis.script_flush()
    replies = await asyncio.gather(*[fast.evalsha(sha(FIRST), FIRST, [], [i]) for i in range(200)])
    assert replies == [b"%d" % i for i in range(200)]


async def test_sha_must_match_the_script(private) -> None:
    fast, pyredis = private
    with pytest.raises(ValueError):
        fast.prepare(sha(ECHO), FIRST)
    await pyredis.script_flush()
    with pytest.raises(ValueError):
        await fast.evalsha(sha(ECHO), FIRST, [], [])


async def test_other_errors_are_not_retried(private) -> None:
    fast, pyredis = private
    script = "redis.call('INCR', KEYS[1]) return redis.error_reply('NOSCRIPTISH not the one')"
    await pyredis.script_flush()
    with pytest.raises(RespError):
        await fast.evalsha(sha(script), script, ["n"], [])
    assert await pyredis.get("n") == b"1"


# -- concurrency ---------------------------------------------------------------------------


async def test_thousand_concurrent_calls_each_get_their_own_reply(fast, pyredis) -> None:
    n = 1000
    prepared = fast.prepare(sha(KEYS_AND_ARGS), KEYS_AND_ARGS, ["tail"])
    calls = []
    for i in range(n):
        if i % 2:
            calls.append(fast.evalsha(sha(FIRST), FIRST, [], [i]))
        else:
            calls.append(prepared([f"k{i}"], [i * 0.5]))
    replies = await asyncio.gather(*calls)
    for i, reply in enumerate(replies):
        if i % 2:
            assert reply == b"%d" % i
        else:
            assert reply == [[b"k%d" % i], [repr(i * 0.5).encode(), b"tail"]]
    assert 1 <= len(fast._conns) <= fast.pool_size
    assert all(not conn.pending for conn in fast._conns)


async def test_pool_grows_only_under_concurrency(servers) -> None:
    server = await servers()
    client = FastScriptClient.from_url(server.url, 2.0, pool_size=3)
    info = aioredis.Redis.from_url(server.url)
    try:
        for i in range(50):
            assert await client.evalsha(sha(FIRST), FIRST, [], [i]) == b"%d" % i
        assert len(client._conns) == 1
        for _ in range(20):
            await asyncio.gather(*[client.evalsha(sha(FIRST), FIRST, [], [i]) for i in range(64)])
            await asyncio.sleep(0.01)
        assert len(client._conns) == 3
        clients = await info.info("clients")
        assert clients["connected_clients"] == 3 + 1  # ours and the INFO client
    finally:
        await client.aclose()
        await info.aclose()


async def test_a_cancelled_call_does_not_shift_replies(fast) -> None:
    for _ in range(20):
        task = asyncio.create_task(fast.evalsha(sha(FIRST), FIRST, [], ["cancelled"]))
        await asyncio.sleep(0)  # sent, reply not yet read
        task.cancel()
        replies = await echo_many(fast, 5)
        assert replies == [b"0", b"1", b"2", b"3", b"4"]
        assert task.cancelled()


async def test_a_cancelled_call_hands_its_reply_to_its_orphan_handler(fast) -> None:
    """Cancelled once sent (before or after the reply came): the script ran, so the reply
    goes to ``orphan`` (the store refunds with it); later calls get their own replies."""
    prepared = fast.prepare(sha(FIRST), FIRST)
    error = fast.prepare(sha(FAIL), FAIL)
    await echo_many(fast, 1)  # connected, scripts cached

    async def sent() -> asyncio.Future:
        while not any(conn.pending for conn in fast._conns):
            await asyncio.sleep(0)
        return next(conn.pending[0][0] for conn in fast._conns if conn.pending)

    for when in ("before the reply", "after the reply"):
        got: list = []
        task = asyncio.create_task(prepared([], ["first"], got.append))
        reply = await sent()
        if when == "after the reply":
            while not reply.done():
                await asyncio.sleep(0)  # the reply is in; the task has not resumed yet
        task.cancel()
        assert await echo_many(fast, 3) == [b"0", b"1", b"2"]
        await asyncio.sleep(0)  # orphans are called at the next loop turn
        assert task.cancelled() and got == [b"first"], when
    got = []
    failing = asyncio.create_task(error([], [], got.append))
    await sent()
    failing.cancel()
    assert await echo_many(fast, 1) == [b"0"]
    await asyncio.sleep(0)
    assert failing.cancelled() and got == []  # an error reply took nothing: no orphan


# -- timeouts, dead and restarted servers --------------------------------------------------


async def stall(server: Server, seconds: float) -> tuple[aioredis.Redis, asyncio.Task]:
    """DEBUG SLEEP from another client; returns once the server is asleep."""
    other = aioredis.Redis.from_url(server.url)
    task = asyncio.create_task(other.execute_command("DEBUG", "SLEEP", seconds))
    await asyncio.sleep(0.05)
    return other, task


async def test_timeout_then_recovery(servers) -> None:
    """A call the server does not answer fails with TimeoutError while the server is still
    asleep (the client's timeout ended it, not a late reply); a slow answer within the
    timeout is awaited, not cut short."""
    server = await servers()
    client = FastScriptClient.from_url(server.url, 0.1, pool_size=1)
    patient = FastScriptClient.from_url(server.url, 30.0, pool_size=1)
    try:
        assert await client.evalsha(sha(FIRST), FIRST, [], ["warm"]) == b"warm"
        other, sleeping = await stall(server, 2)
        with pytest.raises(TimeoutError):
            await client.evalsha(sha(FIRST), FIRST, [], ["late"])
        assert not sleeping.done()  # no reply could have come: the timeout fired
        assert client._conns == []  # the timed-out connection was dropped
        await sleeping
        assert await client.evalsha(sha(FIRST), FIRST, [], ["back"]) == b"back"
        await other.aclose()
        other, sleeping = await stall(server, 0.3)
        slow = await asyncio.wait_for(patient.evalsha(sha(FIRST), FIRST, [], ["slow"]), 10)
        assert slow == b"slow"  # 0.3 s of silence is no timeout of 30
        await sleeping
        await other.aclose()
    finally:
        await client.aclose()
        await patient.aclose()


async def test_timeout_fails_the_other_calls_on_that_connection(servers) -> None:
    server = await servers()
    client = FastScriptClient.from_url(server.url, 0.2, pool_size=1)
    try:
        await client.evalsha(sha(FIRST), FIRST, [], ["warm"])
        other, sleeping = await stall(server, 2)
        first = asyncio.create_task(client.evalsha(sha(FIRST), FIRST, [], [1]))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(client.evalsha(sha(FIRST), FIRST, [], [2]))
        done = await asyncio.gather(first, second, return_exceptions=True)
        # both failed while the server still slept: the second with the first's timeout,
        # not after a timeout of its own or a reply
        assert not sleeping.done()
        assert isinstance(done[0], TimeoutError)
        assert type(done[1]) is ConnectionError
        await sleeping
        await other.aclose()
        assert await client.evalsha(sha(FIRST), FIRST, [], ["ok"]) == b"ok"
    finally:
        await client.aclose()


async def test_connect_and_handshake_are_bounded_by_the_timeout(servers) -> None:
    server = await servers()
    client = FastScriptClient.from_url(server.url + "/1", 0.1)  # SELECT 1 on connect
    other, sleeping = await stall(server, 2)
    try:
        with pytest.raises(TimeoutError):
            await client.evalsha(sha(FIRST), FIRST, [], ["x"])
        assert not sleeping.done()  # the handshake's timeout fired, not a late reply
        await sleeping
        assert await client.evalsha(sha(FIRST), FIRST, [], ["x"]) == b"x"
    finally:
        await other.aclose()
        await client.aclose()


async def test_killed_server_fails_fast_and_restart_reconnects(servers) -> None:
    server = await servers()
    client = FastScriptClient.from_url(server.url, 60.0)
    try:
        assert await client.evalsha(sha(FIRST), FIRST, [], ["up"]) == b"up"
        # A call in flight when the server dies fails at once, not after the timeout: a
        # minute, where the guard below gives up after ten seconds.
        other, sleeping = await stall(server, 5)
        in_flight = asyncio.create_task(client.evalsha(sha(FIRST), FIRST, [], ["lost"]))
        await asyncio.sleep(0.05)
        server.kill()
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(in_flight, 10)
        with pytest.raises(ConnectionError):  # refused
            await asyncio.wait_for(client.evalsha(sha(FIRST), FIRST, [], ["down"]), 10)
        assert client._conns == []
        with pytest.raises(Exception):  # noqa: B017 - redis-py's own error type
            await sleeping
        await other.aclose()

        await server.start()  # same port, empty script cache: NOSCRIPT is handled too
        replies = await echo_many(client, 50)
        assert replies == [b"%d" % i for i in range(50)]
    finally:
        await client.aclose()


async def test_concurrent_callers_share_one_failed_connect(servers) -> None:
    server = await servers()
    server.kill()
    client = FastScriptClient.from_url(server.url, 1.0)
    try:
        results = await asyncio.gather(
            *[client.evalsha(sha(FIRST), FIRST, [], [i]) for i in range(100)],
            return_exceptions=True,
        )
        assert all(type(r) is ConnectionError for r in results)
        assert len({id(r) for r in results}) == 100  # each caller has its own exception
    finally:
        await client.aclose()


async def test_aclose_fails_calls_in_flight_and_later_calls(servers) -> None:
    server = await servers()
    client = FastScriptClient.from_url(server.url, 3.0)
    await client.evalsha(sha(FIRST), FIRST, [], ["warm"])
    other, sleeping = await stall(server, 0.5)
    in_flight = asyncio.create_task(client.evalsha(sha(FIRST), FIRST, [], ["x"]))
    await asyncio.sleep(0.01)
    await client.aclose()
    with pytest.raises(ConnectionError):
        await in_flight
    with pytest.raises(ConnectionError):
        await client.evalsha(sha(FIRST), FIRST, [], ["y"])
    await sleeping
    await other.aclose()


# -- AUTH, SELECT, unix socket, TLS --------------------------------------------------------


async def test_auth_and_select(servers) -> None:
    server = await servers("--requirepass", "s3cr:t@/")
    url = f"redis://:s3cr%3At%40%2F@127.0.0.1:{server.port}/3"
    client = FastScriptClient.from_url(url, 1.0)
    check = aioredis.Redis.from_url(f"redis://127.0.0.1:{server.port}/3", password="s3cr:t@/")
    try:
        assert await client.evalsha(sha(SET), SET, ["landed"], ["db3"]) == b"db3"
        assert await check.get("landed") == b"db3"
        assert await check.execute_command("SELECT", 0) and await check.dbsize() == 0
        # With a user name: AUTH default <password>.
        url = f"redis://default:s3cr%3At%40%2F@127.0.0.1:{server.port}"
        user = FastScriptClient.from_url(url, 1.0)
        assert await user.evalsha(sha(SET), SET, ["db0"], ["yes"]) == b"yes"
        await user.aclose()
        # Wrong or missing password.
        wrong = FastScriptClient.from_url(f"redis://:nope@127.0.0.1:{server.port}/3", 1.0)
        with pytest.raises(ConnectionError, match="WRONGPASS"):
            await wrong.evalsha(sha(SET), SET, ["x"], ["x"])
        await wrong.aclose()
        anonymous = FastScriptClient.from_url(f"redis://127.0.0.1:{server.port}", 1.0)
        with pytest.raises(RespError, match="NOAUTH"):
            await anonymous.evalsha(sha(SET), SET, ["x"], ["x"])
        await anonymous.aclose()
    finally:
        await client.aclose()
        await check.aclose()


async def test_unix_socket(servers) -> None:
    server = await servers()
    client = FastScriptClient.from_url(f"unix://{server.unixsocket}?db=2", 1.0)
    check = aioredis.Redis(unix_socket_path=server.unixsocket, db=2)
    try:
        assert await client.evalsha(sha(SET), SET, ["over-unix"], ["yes"]) == b"yes"
        assert await check.get("over-unix") == b"yes"
        replies = await echo_many(client, 100)
        assert replies == [b"%d" % i for i in range(100)]
    finally:
        await client.aclose()
        await check.aclose()


@pytest.fixture(scope="module")
def tls_files() -> Iterator[Path]:
    """A throwaway CA and a server certificate for localhost / 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the TLS test certificates")
    directory = Path(tempfile.mkdtemp(prefix="ae-tls-"))

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=antiextract test CA")  # fmt: skip
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2",
            "-extfile", "san.ext")  # fmt: skip
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


async def test_tls(servers, tls_files: Path) -> None:
    server = await servers(
        "--tls-cert-file", str(tls_files / "server.crt"),
        "--tls-key-file", str(tls_files / "server.key"),
        "--tls-ca-cert-file", str(tls_files / "ca.crt"),
        "--tls-auth-clients", "no",
        tls=True,
    )  # fmt: skip
    trusted = ssl.create_default_context(cafile=str(tls_files / "ca.crt"))
    client = FastScriptClient.from_url(server.url + "/4", 1.0, ssl_context=trusted)
    try:
        assert await client.evalsha(sha(SET), SET, ["tls"], ["yes"]) == b"yes"
        replies = await echo_many(client, 100)
        assert replies == [b"%d" % i for i in range(100)]
    finally:
        await client.aclose()
    # The default context verifies the server, and a throwaway CA is not trusted.
    default = FastScriptClient.from_url(server.url, 1.0)
    try:
        with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await default.evalsha(sha(FIRST), FIRST, [], ["x"])
    finally:
        await default.aclose()


# -- URLs ----------------------------------------------------------------------------------


def test_parse_url() -> None:
    a = parse_url("redis://localhost")
    assert (a.host, a.port, a.db, a.tls, a.username, a.password) == ("localhost", 6379, 0, False,
                                                                     None, None)  # fmt: skip
    a = parse_url("rediss://us%40er:p%3Aw@cache.example:6380/7")
    assert (a.host, a.port, a.db, a.tls, a.username, a.password) == ("cache.example", 6380, 7, True,
                                                                     "us@er", "p:w")  # fmt: skip
    a = parse_url("redis://:pw@[::1]:7000?db=2")
    assert (a.host, a.port, a.db, a.username, a.password) == ("::1", 7000, 2, None, "pw")
    a = parse_url("unix:///run/redis.sock?db=5&password=x")
    assert (a.path, a.db, a.password, a.host) == ("/run/redis.sock", 5, "x", None)
    for bad in ("http://x", "redis://x/notadb", "redis://x:port", "unix://", "redis://x/-1"):
        with pytest.raises(ValueError):
            parse_url(bad)
    with pytest.raises(ValueError):
        FastScriptClient.from_url("redis://x", 0)
    with pytest.raises(ValueError):
        FastScriptClient.from_url("redis://x", 1.0, pool_size=0)
