"""Private ``redis-server`` processes for fault tests: start, kill, freeze, restart.

Each server listens on its own free loopback port with persistence off, so killing or
restarting it loses all state, as a real crash of a cache-only Redis would. The shared
server the rest of the suite uses is never touched.

``redis_cluster()`` starts a three-master Redis Cluster (slots assigned and nodes met
from Python, no redis-cli); ``redis_sentinel()`` a master and one Sentinel watching it.
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

    def command(self) -> list[str]:
        return [REDIS_SERVER]

    def arguments(self) -> list[str]:
        """The server's command line: a cache-only redis-server on loopback."""
        return [
            *self.command(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self.dir,
            "--enable-debug-command", "local",
            "--loglevel", "warning",
        ]  # fmt: skip

    def ready(self, admin: redis.Redis) -> bool:
        return bool(admin.ping())

    def start(self, timeout: float = 10.0) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            self.arguments(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        name = type(self).__name__
        deadline = time.monotonic() + timeout
        admin = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        try:
            while True:
                if self.proc.poll() is not None:
                    self.proc = None
                    raise RuntimeError(f"{name} exited at start on port {self.port}")
                try:
                    if self.ready(admin):
                        return
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer on port {self.port}")
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


class ClusterNodeProcess(RedisProcess):
    """One redis-server with cluster mode on; its bus on a free port of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.bus_port = free_port()

    def command(self) -> list[str]:
        return [REDIS_SERVER, "--cluster-enabled", "yes",
                "--cluster-config-file", f"{self.dir}/nodes.conf",
                "--cluster-port", str(self.bus_port),
                "--cluster-node-timeout", "2000"]  # fmt: skip


class RedisClusterProcesses:
    """Three masters, 16384 slots split between them; no replicas, persistence off."""

    SLOTS = 16384

    def __init__(self, size: int = 3) -> None:
        self.nodes = [ClusterNodeProcess() for _ in range(size)]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self, timeout: float = 20.0) -> None:
        for node in self.nodes:
            node.start()
        admins = [node.client() for node in self.nodes]
        try:
            share = self.SLOTS // len(self.nodes)
            for i, admin in enumerate(admins):
                last = self.SLOTS - 1 if i == len(admins) - 1 else (i + 1) * share - 1
                admin.execute_command("CLUSTER", "ADDSLOTSRANGE", i * share, last)
            for node in self.nodes[1:]:
                admins[0].execute_command("CLUSTER", "MEET", "127.0.0.1", node.port,
                                          node.bus_port)  # fmt: skip
            deadline = time.monotonic() + timeout
            while not all(self._ok(admin) for admin in admins):
                if time.monotonic() > deadline:
                    raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.05)
        finally:
            for admin in admins:
                admin.close()

    def _ok(self, admin: redis.Redis) -> bool:
        info = admin.execute_command("CLUSTER", "INFO")
        text = info.decode() if isinstance(info, bytes) else str(info)
        return "cluster_state:ok" in text and f"cluster_known_nodes:{len(self.nodes)}" in text

    def flush(self) -> None:
        for node in self.nodes:
            admin = node.client()
            try:
                admin.flushall()
            finally:
                admin.close()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextmanager
def redis_cluster() -> Iterator[RedisClusterProcesses]:
    """A started three-master cluster on free loopback ports, always stopped afterwards."""
    cluster = RedisClusterProcesses()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class SentinelProcess(RedisProcess):
    """``redis-server <conf> --sentinel`` watching one master as ``service`` (quorum 1)."""

    def __init__(self, master: RedisProcess, service: str = "aemaster") -> None:
        super().__init__()
        self.master = master
        self.service = service
        with open(f"{self.dir}/sentinel.conf", "w") as conf:
            conf.write(f"sentinel monitor {service} 127.0.0.1 {master.port} 1\n"
                       f"sentinel down-after-milliseconds {service} 1000\n")  # fmt: skip

    def command(self) -> list[str]:
        # Sentinel rewrites its config file, so it lives in the private temp dir.
        return [REDIS_SERVER, f"{self.dir}/sentinel.conf", "--sentinel"]

    def arguments(self) -> list[str]:
        return [*self.command(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--loglevel", "warning"]  # fmt: skip

    def ready(self, admin: redis.Redis) -> bool:
        """Up, and already naming the master it watches."""
        addr = admin.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
        return bool(addr) and int(addr[1]) == self.master.port


class RedisSentinelProcesses:
    def __init__(self) -> None:
        self.master = RedisProcess()
        self.sentinel = SentinelProcess(self.master)

    def url(self, db: int = 0) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{self.sentinel.service}/{db}"

    def start(self) -> None:
        self.master.start()
        self.sentinel.start()

    def stop(self) -> None:
        self.sentinel.stop()
        self.master.stop()


@contextmanager
def redis_sentinel() -> Iterator[RedisSentinelProcesses]:
    """A started master and one Sentinel monitoring it, always stopped afterwards."""
    procs = RedisSentinelProcesses()
    try:
        procs.start()
        yield procs
    finally:
        procs.stop()


__all__ = ["RedisClusterProcesses", "RedisProcess", "RedisSentinelProcesses", "free_port",
           "redis_cluster", "redis_process", "redis_sentinel"]  # fmt: skip
