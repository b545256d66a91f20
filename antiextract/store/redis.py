"""Redis store: one Lua script call per request, so one round trip on the hot path.

Keys are ``<prefix>:{a:<digest>}`` for an account and ``<prefix>:{i:<digest>}`` for an IP.
Digests make any account id safe as a key; the braces are Redis Cluster hash tags, so
everything of one account stays in one slot. Every write sets a TTL.

Settlements are queued and written together in one pipeline at the next turn of the
event loop, so they never add a round trip to a request and batch under load.

URIs (``RedisStore.from_url``, ``create_store``)::

    redis://[[user]:password@]host[:port][/db]        one server (also rediss://, unix://)
    redis+cluster://[[user]:password@]host:port[,host:port...][/]
    redis+sentinel://[[user]:password@]host:port[,host:port...]/service_name[/db]
                     [?sentinel_username=NAME&sentinel_password=SECRET]

* ``redis+cluster``: the hosts are startup nodes of a Redis Cluster (any reachable one
  is enough; the client learns the rest). No database (a cluster has db 0 only) and no
  options. Every script call touches the keys of one hash slot; a request is one batch
  with one call per slot (account, IP windows, each cohort), written to each node
  involved at once, so one round trip per node.
* ``redis+sentinel``: the hosts are Sentinels; ``service_name`` is the monitored master's
  name (``sentinel monitor <service_name> ...``), then an optional db number. The user
  and password authenticate to the master; Sentinels that require a password of their own
  get ``sentinel_password`` (and ``sentinel_username``). Each connection asks the
  Sentinels where the master is, so a failover is followed on reconnect.
* A port may be left out (6379 for cluster nodes, 26379 for Sentinels); IPv6 hosts go in
  brackets, ``[::1]:7000``. Special characters in the user or password are %-encoded.
  Problems raise ``ValueError`` naming the part of the URI at fault, never the password.

Plain ``redis://``, ``rediss://`` and ``unix://`` URIs run the hot path on the lean client
of ``resp.py``; cluster and sentinel run everything on redis-py's asyncio clients, which
never retry a command on their own (a retried script could be charged twice): a lost node
or master is a ``StoreError`` within the timeout.

On Redis Cluster the account and the IP windows live in two slots, so evaluate.lua runs
with the account key alone and ``ip.lua`` counts the IP windows in the same batch. Each
is atomic, the pair is not: when the merged answer is a refusal, the half that admitted
the request gives its charge back with ``undo.lua`` (a second round trip, refusals only).
Sequential traffic gets exactly the single-Redis answers; under concurrency another request
may see that charge for the moment in between, which errs towards refusing and never
overspends. A single Redis (and Sentinel) keeps both in one script call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import struct
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import parse_url as redis_parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisClusterException, RedisError, ResponseError

from ..model import risk as _risk
from ..model.allowlist import KINDS, AllowEntry, Kind
from ..model.bucket import Limits, Outcome, refill, take_cost
from ..model.campaigns import CampaignCharge, bucket_ttl, charged, take_shared
from ..model.cohorts import CohortModel, CohortView
from ..model.risk import TRAITS, Assessment, RiskInput, RiskModel
from ..redact import redact, uri_secrets, userinfo
from .base import NO_SIGNAL, Store, StoreError
from .resp import EncodedKeys, FastScriptClient, Orphan, RespError, encode_bulk, pack_command
from .resp import parse_url as fast_parse_url


def _script(name: str, *preludes: str) -> str:
    """A script's source, after the shared Lua it uses (Lua scripts cannot import)."""
    files = resources.files(__package__)
    return "".join(files.joinpath(n).read_text("utf-8") for n in (*preludes, name))


def _lua_constants(**values: Any) -> str:
    """Lua ``local`` lines holding a store's settings, put before a script's text: the
    settings are fixed for the life of the store, and Lua parsing some thirty numbers from
    ARGV on every call cost ~8 µs of Redis's time (``benchmarks/bench_scripts.py``).
    The script's SHA-1 then names the settings too; stores that differ load their own."""
    return "".join(f"local {name} = {_lua_literal(value)}\n" for name, value in values.items())


def _lua_literal(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("no bools among the settings")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("a setting is NaN")
        if math.isinf(value):
            return "math.huge" if value > 0 else "-math.huge"
        return repr(value)  # round-trips exactly through Lua's strtod
    if isinstance(value, str):
        if not value.isidentifier():
            raise ValueError(f"{value!r}: only plain words are written into scripts")
        return f"'{value}'"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua_literal(v) for v in value) + "}"
    raise TypeError(f"cannot write a {type(value).__name__} into a script")


def _lua_function(name: str, text: str) -> str:
    """A whole script's text as a local function of another script (its ``return``s then
    return from the function; its locals stay its own)."""
    return f"local function {name}()\n{text}\nend\n"


def _f(value: bytes | str | int | float) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


# Positions in the packed state array (evaluate.lua's layout) -> risk.Profile attribute.
_STATE = (
    "version", "t", "u", "rf", "first_seen", "last_seen", "gap_mean", "gap_var", "gaps",
    "elicit", "focus", "single", "template", "extract", "dominant", "last_skeleton",
    "hours_day", "hours_cur", "hours_prev", "day_count", "acute", "acute_ts", "bl",
)  # fmt: skip
# After the window quadruples: `false` (which ends the windows for every reader), then the
# auth layer's last creation time and tier. Kept out of the fixed entries so that state
# written by either version reads the same in both (a rolling deploy, an upgrade): a
# version without them stops at the `false` and, at worst, drops them; they are learned
# again from the next trusted header.
_TAIL = ("created", "tier")
_TEXT = {"dominant", "last_skeleton"}
# Of that layout (and of ip.lua's windows); another version reads as fresh. Raising it
# wipes every account's bucket, windows and blocks on upgrade and, while versions run side
# by side, on every switch: add fields where older scripts ignore them (as _TAIL) instead.
STATE_VERSION = 1
# One source of truth across Lua and Python: the scripts get these as Lua constants, so
# each number and the account state's layout live here and in the pure models only.
_LAYOUT = _lua_constants(
    VERSION=STATE_VERSION,
    FIXED=len(_STATE),
    **{f"I_{name}": i + 1 for i, name in enumerate(_STATE)},
)
_RISK = _lua_constants(
    **{
        name: getattr(_risk, name)
        for name in (
            "PRIOR", "PRIOR_WEIGHT", "YOUTH_FLOOR", "DAY", "HOUR", "ELICIT", "FOCUS", "SINGLE",
            "EXTRACT", "LOGIT_BIAS", "PACING_MIN_GAPS", "PACING_CV", "HOURS_FROM", "HOURS_SPAN",
            "TAKEOVER",
        )
    }
)  # fmt: skip
_REPLY = struct.Struct("<13d")  # evaluate.lua's packed numbers
_BUCKET_REPLY = struct.Struct("<2d")  # campaign.lua's, per bucket: allowed (0|1), retry_after
# evaluate.lua's KEYS (account, IP windows) and ARGV (now, cost, traits, acute, skeleton,
# created, tier): combined.lua's campaign part reads its own after them
_EVALUATE_KEYS, _EVALUATE_ARGS = 2, 7
_DOUBLE = struct.Struct("<d")  # one packed double: ip.lua's retry_after
# Failures a store call can raise (redis-py's cluster client raises RedisClusterException,
# not a RedisError, when it cannot reach any node to learn the slots).
if TYPE_CHECKING:
    from .passes import PassBook, ReplayGuard

_log = logging.getLogger("antiextract")
_FAILURES = (TimeoutError, RedisError, RedisClusterException, OSError)


_STORE_FAILURES = (*_FAILURES, RespError)


def _store_error(what: str, exc: BaseException) -> StoreError:
    return StoreError(f"redis {what} failed: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def store_errors(what: str) -> Iterator[None]:
    """Every Redis failure leaves the store as one ``StoreError`` naming the operation:
    callers (the middleware's breaker, the CLI, the challenge path) catch one type, and a
    new method cannot forget the translation. (``evaluate``, on every request, does the
    same with a plain ``try``: a generator-based context manager costs a few µs a call.)"""
    try:
        yield
    except _STORE_FAILURES as exc:
        raise _store_error(what, exc) from exc


SETTLE_RETRY, SETTLE_RETRY_MAX = 0.5, 30.0  # s between attempts of a failed settlement
MAX_PENDING = 100_000  # accounts with a queued settlement (Redis failing for long)
KNOWN_CAMPAIGNS = 65_536  # campaigns whose bucket key is kept RESP-encoded (_bucket_keys)
_INTS = {"gaps", "hours_day", "hours_cur", "hours_prev", "day_count"}


class RedisStore(Store):
    label = "redis"

    def __init__(
        self,
        limits: Limits,
        client: aioredis.Redis,
        prefix: str = "ae",
        model: RiskModel | None = None,
        cohort_model: CohortModel | None = None,
        fast: FastScriptClient | None = None,
        per_slot_calls: bool | None = None,
    ) -> None:
        super().__init__(limits, model, cohort_model)
        self.client = client
        self.fast = fast
        # Redis Cluster layout: one script call per slot (None: when client is a cluster)
        if per_slot_calls is None:
            per_slot_calls = isinstance(client, RedisCluster)
        self.per_slot_calls = per_slot_calls
        self.prefix = prefix
        m, cm = self.model, self.cohort_model
        windows = _lua_constants(
            acct_limits=[["account", w.amount, w.seconds] for w in limits.account],
            ip_limits=[["ip", w.amount, w.seconds] for w in limits.ip],
            ip_ttl=limits.ip_ttl,
        )
        evaluate = windows + _lua_constants(
            cap=limits.capacity, rate=limits.refill, acct_ttl=limits.account_ttl,
            block_at=limits.block_at, block_seconds=limits.block_seconds, W=list(m.weights),
            alpha=m.alpha, youth_days=m.youth_days, half_life=m.acute_half_life,
            acute_cap=m.acute_cap, sweep_weight=m.sweep_weight, slow_above=m.slow_above,
            slow_scale=m.slow_scale, acute_alpha=m.acute_alpha,
            profile_half_life=m.profile_half_life,
        )  # fmt: skip

        def campaign(key0: int, arg0: int) -> str:
            return _lua_constants(
                key0=key0, arg0=arg0, cap=cm.bucket_capacity, rate=cm.bucket_refill,
                ttl=bucket_ttl(cm),
            ) + _script("campaign.lua", "bucket.lua")  # fmt: skip

        evaluate += _LAYOUT + _RISK + _script("evaluate.lua", "windows.lua", "bucket.lua")
        self._evaluate = client.register_script(evaluate)
        self._settle = client.register_script(_LAYOUT + _script("settle.lua", "bucket.lua"))
        self._admin = client.register_script(_LAYOUT + _script("admin.lua"))
        self._campaign = client.register_script(campaign(0, 0))  # Cluster: one call each
        # a single Redis: the account and its campaigns' buckets in one call (combined.lua)
        self._combined = client.register_script(
            _lua_function("account", evaluate)
            + _lua_function("campaigns", campaign(_EVALUATE_KEYS, _EVALUATE_ARGS))
            + _script("combined.lua")
        )
        self._ip = client.register_script(
            windows + _lua_constants(VERSION=STATE_VERSION) + _script("ip.lua", "windows.lua")
        )
        self._undo = client.register_script(_LAYOUT + _script("undo.lua", "bucket.lua"))
        self._others: list[Any] = []  # more clients to close (a Sentinel's connections)
        self._fast_evaluate = self._fast_combined = None
        if fast is not None:
            ev, co = self._evaluate, self._combined
            self._fast_evaluate = fast.prepare(ev.sha, ev.script)
            self._fast_combined = fast.prepare(co.sha, co.script)
        self._bucket_encoded: dict[str, bytes] = {}  # see _bucket_keys
        self._pending: dict[str, list[float]] = {}  # account -> [delta, latest now]
        self._flushing: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # flush(): skip the back-off, try now
        self._failed = asyncio.Event()  # set when an attempt failed (flush() stops waiting)
        self._closing = False  # close(): the flusher stops at its next turn
        self.settlements_lost = 0  # refunds dropped after a failure, charges over the bound

    @classmethod
    def from_url(
        cls,
        url: str,
        limits: Limits,
        prefix: str = "ae",
        timeout: float = 0.25,
        model: RiskModel | None = None,
        cohort_model: CohortModel | None = None,
    ) -> RedisStore:
        """A store for any URI of the module docstring; ``ValueError`` when it is bad."""
        client, others = _client_from_url(url, timeout)
        fast = None
        if url.split("://", 1)[0].lower() in ("redis", "rediss", "unix"):
            # the hot path's one script call, on a lean client (~80 µs less than redis-py)
            fast = FastScriptClient.from_url(url, timeout)
        store = cls(limits, client, prefix, model, cohort_model, fast)
        store._others = others
        return store

    def account_key(self, account: str) -> str:
        return f"{self.prefix}:{{a:{account}}}"

    def ip_key(self, ip: str) -> str:
        return f"{self.prefix}:{{i:{ip}}}"

    @property
    def refunds_when_cancelled(self) -> bool:  # see Store; the lean client's calls do
        return self._fast_evaluate is not None and not self.per_slot_calls

    def _refund_if_allowed(self, account: str, cost: float, now: float) -> Orphan:
        """For a call cancelled once sent: evaluate.lua ran anyway; if it took ``cost``
        for a request that will never reach the model, give it back."""

        def refund(reply: Any) -> None:
            if reply[0] == 1:
                self._queue_settlement(account, -cost, now)

        return refund

    def bucket_key(self, key: str) -> str:
        """A campaign's shared bucket, by its cohort key; hash-tagged on its own (its own
        Cluster slot, apart from the cohort's counting keys, which only the analyser
        writes)."""
        return f"{self.prefix}:{{b:{key}}}"

    def _bucket_keys(self, keys: tuple[str, ...]) -> bytes:
        """The buckets' keys RESP-encoded, each kept once encoded: a campaign's buckets
        come back on every one of its requests. Bounded (cleared when full)."""
        known = self._bucket_encoded
        if len(known) >= KNOWN_CAMPAIGNS:
            known.clear()
        blocks = []
        for key in keys:
            block = known.get(key)
            if block is None:
                block = known[key] = encode_bulk([self.bucket_key(key)])
            blocks.append(block)
        return b"".join(blocks)

    async def campaign_bucket(self, key: str, now: float) -> float | None:
        with store_errors("campaign bucket read"):
            raw = await self.client.get(self.bucket_key(key))
        if raw is None or len(raw) != 16:
            return None
        tokens, ts = struct.unpack("<dd", raw)
        if now - ts > bucket_ttl(self.cohort_model):
            return None  # full again (its key expires about now)
        return take_shared(tokens, ts, 0.0, now, self.cohort_model)[0]

    @staticmethod
    def _campaign_views(campaigns: CampaignCharge, packed: bytes) -> tuple[CohortView, ...]:
        """campaign.lua's reply (two doubles per bucket) folded into the campaigns' views."""
        keys = campaigns.keys
        if len(packed) != _BUCKET_REPLY.size * len(keys):
            raise RespError(f"campaign reply of {len(packed)} bytes for {len(keys)} buckets")
        answers = {
            key: (allowed != 0.0, wait)
            for key, (allowed, wait) in zip(keys, _BUCKET_REPLY.iter_unpack(packed), strict=True)
        }
        return charged(campaigns.views, answers)

    def cohort_keys(self, key: str, day: int) -> list[str]:
        """State, then the HyperLogLogs of accounts and young accounts for today and
        yesterday; the hash tag keeps all of a cohort's keys in one Cluster slot."""
        base = f"{self.prefix}:{{c:{key}}}"
        return [base, f"{base}:a:{day}", f"{base}:a:{day - 1}", f"{base}:y:{day}",
                f"{base}:y:{day - 1}"]  # fmt: skip

    async def evaluate(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        signal: RiskInput = NO_SIGNAL,
        campaigns: CampaignCharge | None = None,
    ) -> Outcome:
        # What evaluate.lua takes (it caps the same way): Outcome.taken, the most a
        # settlement or the refund of a cancelled call may give back.
        cost = take_cost(cost, self.limits)
        created = "" if signal.created_at is None else signal.created_at
        args = [now, cost, signal.traits, signal.acute, signal.skeleton, created, signal.tier]
        views: tuple[CohortView, ...] = campaigns.views if campaigns is not None else ()
        try:  # store_errors("evaluate"), without the context manager's generator
            if self.per_slot_calls:
                return await self._evaluate_per_slot(account, ip, cost, now, args, campaigns)
            keys = [self.account_key(account), self.ip_key(ip)]
            fast = self._fast_evaluate
            buckets = campaigns.keys if campaigns is not None else ()
            if not buckets:
                if fast is not None:
                    reply = await fast(keys, args, self._refund_if_allowed(account, cost, now))
                else:
                    reply = await self._evaluate(keys=keys, args=args, client=self.client)
            else:
                # On a single Redis the account and its campaigns' buckets in one call
                # (combined.lua; _evaluate_per_slot: one call per slot). A bucket is
                # charged what the account is: never more than a full account bucket.
                assert campaigns is not None
                assert len(keys) == _EVALUATE_KEYS and len(args) == _EVALUATE_ARGS
                args += [now, cost]
                combined = self._fast_combined
                if combined is not None:
                    reply = await combined(
                        EncodedKeys(_EVALUATE_KEYS + len(buckets),
                                    encode_bulk(keys) + self._bucket_keys(buckets)),
                        args,
                        self._refund_if_allowed(account, cost, now),
                    )  # fmt: skip
                else:
                    keys += [self.bucket_key(k) for k in buckets]
                    (reply,) = await self._pipelined([(self._combined, keys, args)])
                views = self._campaign_views(campaigns, reply[4])
        except _STORE_FAILURES as exc:
            raise _store_error("evaluate", exc) from exc
        allowed, denied, packed, day_count = reply[:4]
        tokens, wait, risk, youth, *rest = _REPLY.unpack(packed)
        n = len(TRAITS)
        assessment = Assessment(risk, youth, tuple(rest[:n]), rest[n], rest[n + 1], day_count)
        return Outcome(
            bool(allowed), tokens, wait, denied.decode() or None, assessment, views,
            taken=cost if allowed else 0.0,
        )  # fmt: skip

    async def _evaluate_per_slot(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        args: list[Any],
        campaigns: CampaignCharge | None,
    ) -> Outcome:
        """Redis Cluster: one call per slot in one batch (account, IP windows, each
        campaign's bucket),
        merged as evaluate.lua merges them on a single Redis (see the module docstring)."""
        account_key = self.account_key(account)
        calls = [(self._evaluate, [account_key], args)]
        ip_key = None
        if self.limits.ip:
            ip_key = self.ip_key(ip)
            calls.append((self._ip, [ip_key], [now]))
        first = len(calls)
        buckets = campaigns.keys if campaigns is not None else ()
        calls += [(self._campaign, [self.bucket_key(k)], [now, cost]) for k in buckets]
        replies = await self._pipelined(calls)
        reply = replies[0]
        allowed, denied, packed, day_count = reply[:4]
        tokens, wait, risk, youth, *rest = _REPLY.unpack(packed)
        ip_taken = True
        if ip_key is not None:
            ip_taken = bool(replies[1][0])
            (ip_wait,) = _DOUBLE.unpack(replies[1][1])
            # evaluate.lua checks the IP windows last: a longer wait names the refusal
            if denied != b"blocked" and ip_wait > wait:
                denied, wait = replies[1][2], ip_wait
        if not (allowed and ip_taken):
            undo: list[tuple[Any, list[str], list[Any]]] = []
            if allowed:  # the account paid for a request the IP windows refused
                before, old_t, old_u = reply[4]
                cap = self.limits.capacity
                undo.append((self._undo, [account_key], ["account", now, tokens, old_t, old_u,
                             cost, cap, self.limits.refill]))  # fmt: skip
                tokens = float(before)
            elif ip_key is not None and ip_taken:
                undo.append((self._undo, [ip_key], ["ip", now]))
            if undo:
                # The refusal stands either way; a lost undo leaves the charge (errs towards
                # refusing), so its failure is not the request's.
                with contextlib.suppress(*_FAILURES):
                    await self._pipelined(undo)
        n = len(TRAITS)
        assessment = Assessment(risk, youth, tuple(rest[:n]), rest[n], rest[n + 1], day_count)
        views: tuple[CohortView, ...] = campaigns.views if campaigns is not None else ()
        if campaigns is not None and buckets:
            views = self._campaign_views(campaigns, b"".join(replies[first:]))
        ok = bool(allowed and ip_taken)
        return Outcome(
            ok, tokens, wait, denied.decode() or None, assessment, views, cost if ok else 0.0
        )

    async def _pipelined(self, calls: list[tuple[Any, list[str], list[Any]]]) -> list[Any]:
        """Several script calls in one round trip (on Cluster: one per node involved, sent
        at once). EVALSHA directly (redis-py's pipeline would first ask SCRIPT EXISTS: a
        second round trip); on NOSCRIPT, after a restart or SCRIPT FLUSH (or on a cluster
        node that never saw the script), load the scripts and send once more only the
        calls that got NOSCRIPT: the others ran already and must not run twice."""
        results: list[Any] = [None] * len(calls)
        todo = range(len(calls))
        for attempt in (0, 1):
            if isinstance(self.client, RedisCluster):
                async with self.client.pipeline(transaction=False) as pipe:
                    for i in todo:
                        script, keys, args = calls[i]
                        # (a cluster pipeline refuses pipe.evalsha, not the command itself)
                        pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                    replies = await pipe.execute(raise_on_error=False)
            else:
                replies = await self._sent([calls[i] for i in todo])
            missing = []
            for i, result in zip(todo, replies, strict=True):
                results[i] = result
                if isinstance(result, NoScriptError):
                    missing.append(i)
            if not missing or attempt:
                break
            for script in {id(calls[i][0]): calls[i][0] for i in missing}.values():
                await self.client.script_load(script.script)  # on every primary of a cluster
            todo = missing
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    async def _sent(self, calls: list[tuple[Any, list[str], list[Any]]]) -> list[Any]:
        """One server (or Sentinel's master): the calls packed by ``resp.pack_command``
        and written on one pooled redis-py connection, the replies read there (an error
        reply in its place, as ``raise_on_error=False`` gives). redis-py's pipeline packs
        each argument through its encoder, about three times the CPU (the intelligence
        plane sends thousands of arguments a round, on the requests' event loop). As
        with the pipeline, a failure drops the connection (no reply left on the socket
        for its next user) and is not retried (these clients retry nothing)."""
        payload = b"".join(
            pack_command("EVALSHA", script.sha, len(keys), *keys, *args)
            for script, keys, args in calls
        )
        pool = self.client.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(payload)
            replies: list[Any] = []
            for _ in calls:
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:
                    replies.append(exc)
        except BaseException:
            await conn.disconnect(nowait=True)
            raise
        finally:
            await pool.release(conn)
        return replies

    async def settle(self, account: str, delta: float, now: float) -> None:
        self._queue_settlement(account, delta, now)

    def _queue_settlement(self, account: str, delta: float, now: float) -> None:
        entry = self._pending.get(account)
        if entry is None:
            if len(self._pending) >= MAX_PENDING:
                self.settlements_lost += 1  # a long outage: bounded memory comes first
                return
            self._pending[account] = [delta, now]
        else:
            entry[0] += delta
            entry[1] = max(entry[1], now)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_pending())

    async def _flush_pending(self) -> None:
        """Send queued settlements, one pipeline per batch, until none are left.

        A batch that fails may still have run on the server (a timeout, a connection lost
        after the write), so only its charges are sent again: a charge applied twice
        over-charges an account once, a refund applied twice would credit it more than
        it was ever debited (the invariant cost.py states). The charges wait in the queue,
        merged with newer settlements, and are retried after a back-off that doubles up to
        SETTLE_RETRY_MAX seconds (or at once when ``flush`` asks).

        Stops when cancelled or closing, checked every turn, not only left to the
        CancelledError: cancelled in the turn that also woke it, Python 3.11's
        ``wait_for`` returned and swallowed the cancellation, and the flusher retried
        against a dead Redis for ever (the intelligence plane's loops had the same hang)."""
        await asyncio.sleep(0)  # let the settlements of this loop turn join the batch
        wait = SETTLE_RETRY
        while self._pending and not (self._closing or _cancelled()):
            batch, self._pending = self._pending, {}
            if await self._send_settlements(batch):
                wait = SETTLE_RETRY
                continue
            self._failed.set()
            for account, (delta, now) in batch.items():
                if delta > 0:
                    self._queue_settlement(account, delta, now)
                else:
                    self.settlements_lost += 1
            if self._closing or _cancelled():
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            wait = min(wait * 2, SETTLE_RETRY_MAX)

    async def _send_settlements(self, batch: dict[str, list[float]]) -> bool:
        limits = self.limits
        calls = [
            (
                self._settle,
                [self.account_key(account)],
                [now, delta, limits.capacity, limits.refill, limits.account_ttl],
            )
            for account, (delta, now) in batch.items()
        ]
        error = ""
        for attempt in (0, 1):
            try:
                await self._pipelined(calls)
                return True
            except Exception as exc:  # _FAILURES, or a bug: the batch failed either way
                error = type(exc).__name__
                # A pooled connection the server closed while idle (a restart, an idle
                # timeout, a failover) fails at once, before anything ran: the batch is
                # sent again on a new connection, once.
                if attempt or not isinstance(exc, ConnectionError | RedisConnectionError):
                    break
        _log.warning(
            "antiextract: %d settlements not sent (%s); charges retried, refunds dropped",
            len(calls),
            error,
        )
        return False

    async def flush(self) -> None:
        """Send every queued settlement now. Returns once the queue is empty, or once an
        attempt has failed (the charges stay queued for the background retry)."""
        task = self._flushing
        if task is None or task.done():
            return
        self._failed.clear()
        self._wake.set()
        failed = asyncio.ensure_future(self._failed.wait())
        try:
            await asyncio.wait({task, failed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            failed.cancel()

    @property
    def settlements_pending(self) -> int:
        return len(self._pending)

    async def account_state(self, account: str, now: float) -> dict[str, Any] | None:
        with store_errors("account read"):
            raw = await self._admin(
                keys=[self.account_key(account)], args=["read"], client=self.client
            )
        if not raw:
            return None
        values = [x.decode() for x in raw]
        state = dict(zip(_STATE, values, strict=False))
        rest = values[len(_STATE) :]
        end = next((i for i in range(0, len(rest), 4) if rest[i] == ""), len(rest))
        quads = [int(float(x)) for x in rest[:end]]
        # the tail (_TAIL) when a version that keeps it wrote last
        state.update(zip(_TAIL, rest[end + 1 : end + 3], strict=False))
        windows = {f"w{quads[i]}": quads[i + 1 : i + 4] for i in range(0, len(quads), 4)}
        # a bucket never charged is full, as in the memory store
        t, u = (float(state[k]) if state[k] else None for k in ("t", "u"))
        tokens = refill(t, u, now, self.limits, float(state["rf"]))
        profile = None
        if state["first_seen"]:
            profile = {}
            for name in (*_STATE[4:-1], *_TAIL):
                value = state.get(name, "")
                if name in _TEXT:
                    profile[name] = value
                elif value == "":
                    profile[name] = 1.0 if name == "tier" else None
                else:
                    profile[name] = int(float(value)) if name in _INTS else float(value)
        return {
            "tokens": tokens,
            "updated": float(state["u"]) if state["u"] else None,
            "windows": windows,
            "profile": profile,
            "blocked_until": float(state["bl"]) if float(state["bl"] or 0) else None,
        }

    async def block(self, account: str, until: float, now: float) -> None:
        ttl = max(self.limits.account_ttl, int(until - now) + 60)
        with store_errors("block"):
            await self._admin(
                keys=[self.account_key(account)], args=["block", until, ttl], client=self.client
            )

    async def reset(self, account: str) -> None:
        """Forget the account: its state and the allowance a solved challenge bought
        (``passes.RedisPassBook``), both in the account's slot, in one call."""
        key = self.account_key(account)
        with store_errors("reset"):
            await self.client.delete(key, key + ":pass")

    def allowlist_key(self) -> str:
        return f"{self.prefix}:{{allowlist}}"

    async def allowlist(self, now: float) -> list[AllowEntry]:
        with store_errors("allowlist read"):
            raw = await self.client.hgetall(self.allowlist_key())
        entries = (_allow_entry(f, v) for f, v in raw.items())
        return [e for e in entries if e is not None and e.until > now]

    async def allow(self, entry: AllowEntry, now: float) -> None:
        """One hash for the whole list (one slot on Cluster); its TTL only ever grows, to
        the latest expiry, so the key always has one and never outlives its entries."""
        key = self.allowlist_key()
        value = json.dumps({"until": entry.until, "added": entry.added, "note": entry.note})
        with store_errors("allowlist write"):
            await self.client.hset(key, entry.field, value)
            await self.client.expireat(key, int(entry.until) + 1, gt=True)
            await self.client.expireat(key, int(entry.until) + 1, nx=True)
            raw = await self.client.hgetall(key)
            live = {f: _allow_entry(f, v) for f, v in raw.items()}
            stale = [f for f, e in live.items() if e is None or e.until <= now]
            if stale:
                await self.client.hdel(key, *stale)

    async def disallow(self, kind: Kind, value: str, now: float) -> bool:
        with store_errors("allowlist write"):
            return bool(await self.client.hdel(self.allowlist_key(), f"{kind}|{value}"))

    def pass_book(self) -> PassBook:
        from .passes import RedisPassBook

        return RedisPassBook(self.client, self.prefix)

    def replay_guard(self) -> ReplayGuard:
        from .passes import RedisReplayGuard

        return RedisReplayGuard(self.client, self.prefix)

    async def close(self) -> None:
        await self.flush()
        task = self._flushing
        if task is not None and not task.done():
            # Redis is failing: what is still queued is lost. The flusher is stopped and
            # waited for (a cancellation redis-py swallows mid-command still meets the
            # flag at the flusher's next turn), never left retrying after the close.
            self._closing = True
            self._wake.set()
            task.cancel()
            await asyncio.wait({task}, timeout=SETTLE_RETRY)
        self.settlements_lost += len(self._pending)
        self._pending.clear()
        await self.client.aclose()
        for other in self._others:
            await other.aclose()
        if self.fast is not None:
            await self.fast.aclose()


_NO_RETRY = Retry(NoBackoff(), 0)  # a retried script call could be charged twice


def _cancelled() -> bool:
    """The running task was asked to stop (see ``RedisStore._flush_pending``)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# Options after '?' that both clients of a redis://, rediss:// or unix:// store read the
# same way. redis-py takes many more (TLS, socket and pool options) that the hot path's
# lean client would ignore: accepted, they made the two clients talk to different
# databases, or fail only on the path that settles and blocks.
_SHARED_OPTIONS = ("db", "username", "password")


def _same_server(scheme: str, url: str, fast: Any, slow: dict[str, Any]) -> None:
    """Both clients must reach the same server and database as the same user."""
    try:
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        query = {}
    for name, values in query.items():
        if name not in _SHARED_OPTIONS:
            raise ValueError(
                f"{scheme} URI: unknown option {name!r} (accepted: {', '.join(_SHARED_OPTIONS)})"
            )
        if len(values) > 1:
            raise ValueError(f"{scheme} URI: option {name!r} given twice")
    pairs = (
        ("host", fast.host, slow.get("host", "localhost" if fast.path is None else None)),
        ("port", fast.port, slow.get("port", 6379 if fast.path is None else 0)),
        ("socket path", fast.path, slow.get("path")),
        ("database", fast.db, int(slow.get("db", 0) or 0)),
        ("user", fast.username, slow.get("username") or None),
        ("password", fast.password, slow.get("password")),
    )
    for what, lean, other in pairs:
        if lean != other:
            raise ValueError(
                f"{scheme} URI: the {what} is named twice, differently (in the path or the "
                "host and again after '?'): say it once"
            )


def parse_uri(url: str) -> dict[str, Any]:
    """What a client for ``url`` needs, checked without connecting: Settings calls it at
    start-up, so every URI the store would refuse is refused there, with the variable's
    name. ``ValueError`` names the part at fault and never quotes the user or password."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if any(c in userinfo(url) for c in "/?#"):
        # a parser would split the password there and quote a piece of it as a host/port
        raise ValueError(
            f"{scheme} URI: an unencoded '/', '?' or '#' in the user or password "
            "(%-encode them as %2F, %3F, %23)"
        )
    if scheme not in ("redis+cluster", "redis+sentinel"):
        try:
            fast = fast_parse_url(url)  # the hot path's lean client
            slow = redis_parse_url(url)  # redis-py's: settlements, allowlist, operator tools
        except ValueError as exc:
            raise ValueError(f"{scheme} URI: {redact(str(exc), uri_secrets(url))}") from None
        _same_server(scheme, url, fast, slow)
        return {"scheme": scheme}
    try:
        parts = urlsplit(url)
    except ValueError:  # urlsplit's message may quote the URI: no password in ours
        raise ValueError(f"{scheme} URI: cannot be parsed (IPv6 hosts as [::1]:port)") from None
    userinfo_, _, netloc = parts.netloc.rpartition("@")
    user, colon, password = userinfo_.partition(":")
    auth = {
        "username": unquote(user) or None,
        "password": unquote(password) if colon else None,
    }
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ValueError(f"{scheme} URI: the options after '?' are not name=value pairs") from None
    accepted = ("sentinel_username", "sentinel_password") if scheme == "redis+sentinel" else ()
    for name, values in query.items():
        if name not in accepted:
            known = ", ".join(accepted) or "none"
            raise ValueError(f"{scheme} URI: unknown option {name!r} (accepted: {known})")
        if len(values) > 1:
            raise ValueError(f"{scheme} URI: option {name!r} given twice")
    if parts.fragment:
        raise ValueError(f"{scheme} URI: unexpected '#' (%-encode it in a password as %23)")
    if scheme == "redis+cluster":
        hosts = _hosts(netloc, scheme, 6379)
        if parts.path.strip("/"):
            raise ValueError(
                "redis+cluster URI: no database after the hosts (Redis Cluster has only db 0)"
            )
        return {"scheme": scheme, "hosts": hosts, "auth": auth}
    hosts = _hosts(netloc, scheme, 26379)
    path = parts.path.strip("/").split("/") if parts.path.strip("/") else []
    if not path or not path[0]:
        raise ValueError(
            "redis+sentinel URI: the master's service name is missing "
            "(redis+sentinel://host:port/service_name[/db])"
        )
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(
            "redis+sentinel URI: after the service name only a db number may follow "
            "(redis+sentinel://host:port/service_name[/db])"
        )
    sentinel_auth = {
        "username": query.get("sentinel_username", [None])[0],
        "password": query.get("sentinel_password", [None])[0],
    }
    return {
        "scheme": scheme,
        "hosts": hosts,
        "auth": auth,
        "service": unquote(path[0]),
        "db": int(path[1]) if len(path) == 2 else 0,
        "sentinel_auth": sentinel_auth,
    }


def _client_from_url(url: str, timeout: float) -> tuple[Any, list[Any]]:
    """The redis-py client for ``url``, and further clients to close with it."""
    spec = parse_uri(url)
    common: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if spec["scheme"] not in ("redis+cluster", "redis+sentinel"):
        client = aioredis.Redis.from_url(url, retry_on_timeout=False, **common)
        return client, []
    if spec["scheme"] == "redis+cluster":
        nodes = [ClusterNode(host, port) for host, port in spec["hosts"]]
        cluster = RedisCluster(startup_nodes=nodes, retry=_NO_RETRY, **spec["auth"], **common)
        return cluster, []
    sentinel_auth = {k: v for k, v in spec["sentinel_auth"].items() if v}
    sentinel = Sentinel(
        spec["hosts"],
        sentinel_kwargs={**common, **sentinel_auth},
        retry=_NO_RETRY,
        **common,
    )
    master = sentinel.master_for(spec["service"], db=spec["db"], **spec["auth"])
    return master, list(sentinel.sentinels)


def _hosts(netloc: str, scheme: str, default_port: int) -> list[tuple[str, int]]:
    """``host[:port][,host[:port]...]``, IPv6 hosts in brackets."""
    out = []
    for part in netloc.split(","):
        part = part.strip()
        if part.startswith("["):
            host, bracket, rest = part[1:].partition("]")
            if not bracket or (rest and not rest.startswith(":")):
                raise ValueError(f"{scheme} URI: bad host {part!r} (IPv6 as [::1]:port)")
            port_text = rest[1:]
        else:
            host, _, port_text = part.partition(":")
            if ":" in port_text:
                raise ValueError(f"{scheme} URI: bad host {part!r} (IPv6 as [::1]:port)")
        if not host:
            raise ValueError(
                f"{scheme} URI: a host is missing ({scheme}://host:port[,host:port...])"
            )
        if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
            raise ValueError(f"{scheme} URI: bad port {port_text!r} for host {host!r}")
        out.append((host, int(port_text) if port_text else default_port))
    return out


def _allow_entry(field: bytes | str, value: bytes | str) -> AllowEntry | None:
    """A stored allowlist entry, or None when it is not one (never raises)."""
    try:
        f = field.decode() if isinstance(field, bytes) else field
        kind, _, target = f.partition("|")
        doc = json.loads(value)
        if kind not in KINDS or not target:
            return None
        note = str(doc.get("note", ""))
        return AllowEntry(kind, target, float(doc["until"]), float(doc.get("added", 0)), note)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        return None
