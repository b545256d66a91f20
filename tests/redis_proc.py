"""Private ``redis-server`` processes for fault tests: start, kill, freeze, restart.

Each server listens on its own free loopback port with persistence off, so killing or
restarting it loses all state, as a real crash of a cache-only Redis would. The shared
server the rest of the suite uses is never touched.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

REDIS_SERVER = shutil.which("redis-server") or "redis-server"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisProcess:
    """One private redis-server on a fixed loopback port, restartable on that port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.dir = tempfile.mkdtemp(prefix="ae-redis-")
        self.frozen = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, **kw: object) -> redis.Redis:
        """A synchronous admin client (separate from anything under test)."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, **kw)

    def start(self, timeout: float = 10.0) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
                "--enable-debug-command", "local",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        admin = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        try:
            while True:
                if self.proc.poll() is not None:
                    self.proc = None
                    raise RuntimeError(f"redis-server exited at start on port {self.port}")
                try:
                    if admin.ping():
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer on port {self.port}")
                time.sleep(0.01)
        finally:
            admin.close()

    def kill(self) -> None:
        """SIGKILL: the crash case (connections reset, state lost)."""
        if self.proc is None:
            return
        if self.frozen:
            self.thaw()
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: the host hangs; connections stay open and nothing answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)
        self.frozen = False

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def dump_everything(self) -> list[tuple[bytes, bytes]]:
        """Every (key, serialized value) in every non-empty database."""
        out: list[tuple[bytes, bytes]] = []
        admin = self.client()
        try:
            info = admin.info("keyspace")
            for name in info:
                db = int(name[2:])
                c = redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=5)
                try:
                    for key in c.scan_iter(count=1000):
                        out.append((key, c.dump(key) or b""))
                finally:
                    c.close()
        finally:
            admin.close()
        return out


@contextmanager
def redis_process() -> Iterator[RedisProcess]:
    """A started private server, always killed afterwards (the port is retried if taken)."""
    last: Exception | None = None
    for _ in range(5):
        proc = RedisProcess()
        try:
            proc.start()
        except RuntimeError as exc:  # the free port was taken in between: pick another
            last = exc
            proc.stop()
            continue
        try:
            yield proc
        finally:
            proc.stop()
        return
    raise RuntimeError(f"could not start a private redis-server: {last}")


__all__ = ["RedisProcess", "free_port", "redis_process"]
