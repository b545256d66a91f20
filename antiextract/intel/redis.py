"""The intelligence plane over Redis: a stream per partition, a consumer group, verdicts.

Every replica's **flusher** sends its buffered records every ``flush_seconds`` (or as
soon as ``flush_records`` wait) in one pipeline of ``XADD ... MAXLEN ~`` to the
partitions' streams (``<prefix>:{x:<n>}:records``; the account's hash picks the
partition, the hash tag spreads partitions over a Cluster), up to ``ENTRY_RECORDS`` records
per entry (an XADD per record cost the replica ~20 µs of CPU per request;
benchmarks/intel.py). On failure the batch goes back
into the bounded buffer, whose oldest records are dropped and counted when it fills:
a request never waits on any of this.

An **analyser** (``RedisAnalyzer``) reads the streams as consumer ``consumer`` of the group
``analyzers`` (``XREADGROUP``), takes over what a dead consumer left pending longer than
``claim_idle`` (``XAUTOCLAIM``), folds each cohort's run of records into the cohort's
state in Redis with ``fold.lua`` (decayed counts and HyperLogLogs, one call per run),
judges the counts with the pure models, acknowledges (``XACK``) and publishes what changed
to the verdict hash with ``publish.lua`` (which bumps the version key). Embedded in a
replica it analyses only the partitions whose lease (``SET NX PX``) it holds, so one replica
analyses each partition; ``antiextract worker`` processes take every partition and share it
through the group. State lives in Redis only: an analyser can die at any point and
another takes over. Delivery is at least once: a batch folded but not yet acknowledged
when its analyser died is folded again by the next; distinct counts are unaffected
(HyperLogLogs) and harvest is a ratio of counts that all grow alike.

Every replica's **refresher** reads the version key every ``refresh_seconds`` (one GET,
with the analysers' heartbeat) and the verdict hash only when the version moved.

Keys: streams are bounded by ``MAXLEN ~ stream_maxlen`` and expire ``STREAM_TTL`` after the
last flush; cohort states and sketches expire with the cohort model's ``ttl``; the verdict
hash ``verdict_ttl`` after its last change, the version key and heartbeat after
``VERSION_TTL``, leases after ``lease_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import struct
import time
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

import xxhash
from redis.exceptions import ResponseError

from ..model import risk as _risk
from ..model.cohorts import PART, account_hash, campaign_score, harvest
from ..model.evidence import EvidenceModel
from ..model.surge import HOUR, SurgeModel
from ..store.base import StoreError
from ..store.redis import _lua_constants, store_errors
from .analyzer import runs
from .buffer import RecordBuffer
from .evidence_fold import PREFIX as ACCOUNT_FIELD
from .evidence_fold import AccountBook, AccountVerdict, RedisEvidence
from .plane import IntelStats
from .records import Record
from .surge import FIELD as SURGE_FIELD
from .surge import RedisSurge, SurgeBook, SurgeVerdict
from .verdicts import Verdict, VerdictBook, VerdictCache

if TYPE_CHECKING:
    from ..store.redis import RedisStore

_log = logging.getLogger("antiextract")
WARN_EVERY = 60.0  # seconds between two warnings of one failing stage
_warned: dict[str, float] = {}


def _warn_bounded(stage: str, exc: BaseException) -> None:
    """A store error in a background stage: a warning at most once a minute per stage
    (a key someone else wrote into the plane's keys, a Redis that refuses writes, must
    show at the default level, not at DEBUG), the rest at DEBUG."""
    now = time.monotonic()
    if now - _warned.get(stage, -WARN_EVERY) >= WARN_EVERY:
        _warned[stage] = now
        _log.warning("intel: %s failed (more in the next minute at DEBUG): %s", stage, exc)
    else:
        _log.debug("intel: %s failed: %s", stage, exc)


PARTITIONS = 4
GROUP = "analyzers"
ENTRY_RECORDS = 64  # records per stream entry (one XADD per partition and 64 records)
STREAM_MAXLEN = 20_000  # entries per partition: 1.3M records (~75 MB) at most, when full
STREAM_TTL = 7 * 86_400
VERSION_TTL = 7 * 86_400
READ_COUNT = 64  # entries per XREADGROUP / XAUTOCLAIM (up to 4,096 records)
# The embedded analyser shares the event loop with the requests: it reads fewer entries a
# round (up to 512 records), gives the loop back every EMBEDDED_SLICE records it decodes
# (~5 µs each) and sends its script calls EMBEDDED_SLICE to a pipeline (redis-py packs
# and parses a pipeline in one go), so a round's synchronous stretches stay a few hundred
# µs, not the tens of ms 4,096 records took in one go (the p99 of the requests on that
# loop).
EMBEDDED_READ_COUNT = 8
EMBEDDED_SLICE = 32
CLAIM_IDLE = 60.0  # s a pending entry waits before another consumer takes it over
SEND_CHUNK = 1_000  # records per flush pipeline; script calls per fold pipeline
RUNS_PER_CALL = 32  # runs one fold.lua call folds on a single Redis (a Cluster: one)
FORGET_IDLE = 86_400.0  # s idle after which a consumer with nothing pending leaves the group
SWEEP_EVERY = 600.0  # s between two looks for such consumers (per analyser)
LAG_WARNING = 60.0  # s of analyser lag at which one log line says so (and one when back)
STATE_VERSION, STATE_DOUBLES = 1, 12  # fold.lua's state layout
MARKER_BYTES = 6 * 8 + 1 + 8  # fold.lua's admission marker: six doubles, flags, a hash
_COUNTS = struct.Struct("<7d")

_LEASE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: verdict hash, version, heartbeat. ARGV: hash TTL, version TTL, number of writes,
# then field, value per write, then the fields to remove. The version starts from the
# server's clock in µs when its key is missing (expired, lost): it never comes back to a
# number a replica still holds.
_PUBLISH = """
local nw = tonumber(ARGV[3])
for i = 0, nw - 1 do redis.call('HSET', KEYS[1], ARGV[4 + 2 * i], ARGV[5 + 2 * i]) end
for i = 4 + 2 * nw, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], string.format('%d', tonumber(t[1]) * 1000000 + tonumber(t[2])))
end
local v = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return v
"""


def stream_key(prefix: str, partition: int) -> str:
    return f"{prefix}:{{x:{partition}}}:records"


def lease_key(prefix: str, partition: int) -> str:
    return f"{prefix}:{{x:{partition}}}:lease"


def verdict_keys(prefix: str) -> list[str]:
    """The verdict hash, its version and the analysers' heartbeat: one slot."""
    base = f"{prefix}:{{verdicts}}"
    return [base, base + ":v", base + ":beat"]


def cohort_keys(prefix: str, key: str, day: int) -> list[str]:
    """fold.lua's keys of a cohort: state, then the HyperLogLogs of accounts and young
    accounts today and yesterday, then a wrapper part's admission marker (apart from the
    store's ``{c:`` keys)."""
    base = f"{prefix}:{{ic:{key}}}"
    return [base, f"{base}:a:{day}", f"{base}:a:{day - 1}", f"{base}:y:{day}",
            f"{base}:y:{day - 1}", f"{base}:m"]  # fmt: skip


def account_digest(account: str) -> bytes:
    """A wrapper part's name for an account in its sketches and marker: the 8 bytes of
    ``model.cohorts.account_hash`` (the memory analyser's KMV hash), never the key."""
    return account_hash(account).to_bytes(8, "big")


def partition_of(account: str, partitions: int) -> int:
    return xxhash.xxh64_intdigest(account.encode()) % partitions


def consumer_name() -> str:
    """Unique per process and start: a restarted process is a new consumer; what the old
    one left pending is claimed after CLAIM_IDLE."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(3).hex()}"


def _entry_id(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def refresh(client: Any, prefix: str, cache: VerdictCache, now: float) -> float | None:
    """Bring ``cache`` up to the published verdicts: one GET of the version (with the
    heartbeat), the hash only when the version moved. The heartbeat (None if none)."""
    hash_key, version_key, beat_key = verdict_keys(prefix)
    with store_errors("verdict refresh"):
        raw_version, raw_beat = await client.mget(version_key, beat_key)
        version = _number(raw_version, int) or 0
        if version != cache.version:
            raw = await client.hgetall(hash_key)
            verdicts, accounts = [], []
            surge: SurgeVerdict | None = None
            for field, value in raw.items():
                name = _text(field)
                try:
                    if name == SURGE_FIELD:
                        surge = SurgeVerdict.decode(value)
                    elif name.startswith(ACCOUNT_FIELD):
                        accounts.append(AccountVerdict.decode(name[len(ACCOUNT_FIELD) :], value))
                    else:
                        verdicts.append(Verdict.decode(name, value))
                except ValueError:
                    continue  # not ours to trust; the analyser overwrites or drops it
            cache.replace(verdicts, version, accounts, surge)
    cache.refreshed_at = now
    return _number(raw_beat, float)


def _number(raw: Any, kind: type[int] | type[float]) -> Any:
    """A number read back from Redis, or None when absent or not one (someone else's
    write must not stop the refresher)."""
    try:
        return None if raw is None else kind(raw)
    except (TypeError, ValueError):
        return None


class RedisAnalyzer:
    """One consumer of the ``analyzers`` group (see the module docstring)."""

    def __init__(
        self,
        store: RedisStore,
        cache: VerdictCache,
        stats: IntelStats,
        *,
        consumer: str | None = None,
        verdict_ttl: float = 3_600.0,
        partitions: int = PARTITIONS,
        lease_seconds: float | None = 10.0,
        claim_idle: float = CLAIM_IDLE,
        read_count: int = READ_COUNT,
        forget_idle: float = FORGET_IDLE,
        evidence_model: EvidenceModel | None = None,
        slice_records: int | None = None,
        surge_model: SurgeModel | None = None,
    ) -> None:
        """``slice_records``: the embedded analyser, sharing the event loop with requests,
        gives it back every that many records decoded and sends that many script calls per
        pipeline; None (a worker): whole rounds, pipelines of ``SEND_CHUNK``."""
        self.store = store
        self.client = store.client
        self.prefix = store.prefix
        self.cache = cache
        self.stats = stats
        self.consumer = consumer or consumer_name()
        self.book = VerdictBook(verdict_ttl)
        evidence_model = evidence_model or EvidenceModel()
        self.account_book = AccountBook(evidence_model)
        self.evidence = RedisEvidence(store, evidence_model)
        self.surge_model = surge_model or SurgeModel()
        self.surge = RedisSurge(store, self.surge_model)
        self.surge_book = SurgeBook()
        self._surge_hour = -1  # the hour last judged (a new hour is judged with no records)
        self.partitions = partitions
        self.lease_seconds = lease_seconds  # None: no lease, every partition (a worker)
        self.claim_idle = claim_idle
        self.read_count = read_count
        self.slice_records = slice_records
        self.send_chunk = slice_records or SEND_CHUNK
        self.forget_idle = forget_idle
        self._swept = -math.inf
        self.published = 0  # publications made (the embedded plane refreshes after one)
        m = store.cohort_model
        self.model = m
        text = resources.files(__package__).joinpath("fold.lua").read_text("utf-8")
        constants = _lua_constants(
            STATE_VERSION=STATE_VERSION, STATE_DOUBLES=STATE_DOUBLES, DAY=_risk.DAY,
            ELICIT=_risk.ELICIT, FOCUS=_risk.FOCUS, SINGLE=_risk.SINGLE,
            EXTRACT=_risk.EXTRACT, half_life=m.half_life, ttl=m.ttl,
            MARKER_BYTES=MARKER_BYTES, marker_ttl=m.part_marker_ttl,
        )  # fmt: skip
        self._fold = self.client.register_script(constants + text)
        self._lease = self.client.register_script(_LEASE)
        self._release = self.client.register_script(_RELEASE)
        self._publish = self.client.register_script(_PUBLISH)
        self._groups: set[int] = set()
        self._held: set[int] = set()
        self._adopted = -1  # the cache version the book last adopted

    async def owned(self) -> list[int]:
        """The partitions this analyser works on now: all of them for a worker; for an
        embedded analyser those whose lease it holds (taken or renewed here)."""
        if self.lease_seconds is None:
            return list(range(self.partitions))
        ms = int(self.lease_seconds * 1000)
        calls = [
            (self._lease, [lease_key(self.prefix, p)], [self.consumer, ms])
            for p in range(self.partitions)
        ]
        with store_errors("intel lease"):
            got = await self.store._pipelined(calls)
        self._held = {p for p, ok in enumerate(got) if ok == 1}
        return sorted(self._held)

    async def release(self) -> None:
        """Give the leases back (a clean stop): another replica takes over at once."""
        held, self._held = self._held, set()
        calls = [(self._release, [lease_key(self.prefix, p)], [self.consumer]) for p in held]
        if calls:
            with store_errors("intel lease"):
                await self.store._pipelined(calls)

    async def _ensure_group(self, partition: int) -> None:
        if partition in self._groups:
            return
        key = stream_key(self.prefix, partition)
        try:
            await self.client.xgroup_create(key, GROUP, id="0", mkstream=True)
            await self.client.expire(key, STREAM_TTL)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups.add(partition)

    async def _entries(self, partition: int) -> list[tuple[bytes, Any]]:
        """What to analyse from one partition: entries a dead consumer (or this one, before
        a restart) left pending past ``claim_idle``, then new ones."""
        key = stream_key(self.prefix, partition)
        await self._ensure_group(partition)
        try:
            claimed = await self.client.xautoclaim(
                key, GROUP, self.consumer, int(self.claim_idle * 1000), "0-0",
                count=self.read_count,
            )  # fmt: skip
            got = list(claimed[1])
            # entries trimmed away (MAXLEN) while pending: XAUTOCLAIM drops them itself
            room = self.read_count - len(got)
            if room > 0:
                read = await self.client.xreadgroup(GROUP, self.consumer, {key: ">"}, count=room)
                for _, entries in read or ():
                    got += entries
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream expired or was deleted: make it again
                self._groups.discard(partition)
                return []
            raise
        return got

    async def step(self, now: float) -> int:
        """One round over the partitions this analyser owns: read, fold, judge, ack,
        publish. The number of stream entries consumed (0: nothing was waiting; an entry
        holds up to ``ENTRY_RECORDS`` records)."""
        with store_errors("intel analysis"):
            if self.cache.version != self._adopted:
                self.book.adopt(self.cache.all())
                self.account_book.adopt(self.cache.accounts())
                self.surge_book.adopt(self.cache.surge(now))
                self._adopted = self.cache.version
            taken: dict[int, list[bytes]] = {}
            records: list[Record] = []
            owned = await self.owned()
            for p in owned:
                entries = await self._entries(p)
                if not entries:
                    continue
                taken[p] = [entry_id for entry_id, _ in entries]
                await self._decode(entries, records)
            if records:
                oldest = min(r.t for r in records)
                self.stats.lag = max(0.0, now - oldest)
                await self._fold_all(records)
                await self.evidence.fold(records, self.account_book, self.send_chunk)
                self.stats.analyzed += len(records)
            await self._surge_step(records, now)
            if taken:
                async with self.client.pipeline(transaction=False) as pipe:
                    for p, ids in taken.items():
                        pipe.xack(stream_key(self.prefix, p), GROUP, *ids)
                    await pipe.execute()
                await self._trim(list(taken))
            await self._publish_changes(now, caught_up=not taken)
            if now - self._swept >= SWEEP_EVERY:
                self._swept = now
                await self._forget_consumers([p for p in owned if p in self._groups])
        return sum(len(ids) for ids in taken.values())

    def in_slices(self, read_count: int, slice_records: int) -> None:
        """Work in short stretches from now on (see ``slice_records``)."""
        self.read_count = read_count
        self.slice_records = slice_records
        self.send_chunk = slice_records

    async def _decode(self, entries: list[tuple[bytes, Any]], records: list[Record]) -> None:
        """The entries' records appended to ``records`` (invalid ones counted), the loop
        given back every ``slice_records`` records."""
        step = self.slice_records
        due = len(records) + step if step else -1
        for _, fields in entries:
            lines = (fields or {}).get(b"r")
            if not isinstance(lines, bytes):
                self.stats.invalid += 1
                continue
            for line in lines.split(b"\n"):
                try:
                    records.append(Record.decode(line))
                except ValueError:
                    self.stats.invalid += 1
                if len(records) == due:
                    due += step
                    await asyncio.sleep(0)

    async def _forget_consumers(self, partitions: list[int]) -> None:
        """Every process start is a new consumer name: names idle for ``forget_idle`` with
        nothing pending leave the group (what one left pending stays until claimed)."""
        for p in partitions:
            key = stream_key(self.prefix, p)
            for c in await self.client.xinfo_consumers(key, GROUP):
                name = _text(c["name"])
                if name == self.consumer or c["pending"]:
                    continue
                if c["idle"] >= self.forget_idle * 1000:
                    await self.client.xgroup_delconsumer(key, GROUP, name)

    async def _trim(self, partitions: list[int]) -> None:
        """Drop what every consumer is done with: entries older than both the oldest one
        still pending (a consumer may die holding it: another claims it) and the group's
        last delivered one. The streams then hold the backlog, not MAXLEN of history."""
        keys = [stream_key(self.prefix, p) for p in partitions]
        async with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.xpending(key, GROUP)
                pipe.xinfo_groups(key)
            replies = await pipe.execute()
        async with self.client.pipeline(transaction=False) as pipe:
            for i, key in enumerate(keys):
                pending, groups = replies[2 * i], replies[2 * i + 1]
                ours = [g for g in groups if _text(g["name"]) == GROUP]
                if not ours:
                    continue
                floor = _text(ours[0]["last-delivered-id"])
                if pending["pending"] and pending["min"] is not None:
                    floor = min(floor, _text(pending["min"]), key=_entry_id)
                pipe.xtrim(key, minid=floor, approximate=True)
            await pipe.execute()

    async def _fold_all(self, records: list[Record]) -> None:
        m = self.model
        half_life = m.half_life
        elicit_bit, focus_bit, single_bit, extract_bit = (
            _risk.ELICIT, _risk.FOCUS, _risk.SINGLE, _risk.EXTRACT,
        )  # fmt: skip
        batch = runs(records)
        calls = []
        admit = m.part_marker_ttl > 0
        digests: dict[str, bytes] = {}
        for key, run in batch:
            # the run summed up (fold.lua's ARGV): each record's weight decayed to the last
            # one, so a run is one short call whatever its length
            first, last = run[0].t, run[-1].t
            requests = elicit = focus = single = extract = 0.0
            for r in run:
                w = 0.5 ** ((last - r.t) / half_life)
                requests += w
                traits = r.traits
                if traits & elicit_bit:
                    elicit += w
                if traits & focus_bit:
                    focus += w
                if traits & single_bit:
                    single += w
                if traits & extract_bit:
                    extract += w
            part = admit and key.startswith(PART)
            if part:  # digests: a marker holds one, never the account's key
                for r in run:
                    if r.account not in digests:
                        digests[r.account] = account_digest(r.account)
                accounts = dict.fromkeys(digests[r.account] for r in run)
                young = dict.fromkeys(digests[r.account] for r in run if r.young)
            else:
                accounts = dict.fromkeys(r.account for r in run)
                young = dict.fromkeys(r.account for r in run if r.young)
            args: list[Any] = [repr(first), repr(last), repr(requests), repr(elicit),
                               repr(focus), repr(single), repr(extract), len(accounts),
                               len(young), "1" if part else "0", *accounts,
                               *young]  # fmt: skip
            day = int(last // _risk.DAY)
            calls.append((cohort_keys(self.prefix, key, day), args))
        # several runs per script call on one Redis; one per call on a Cluster (slots)
        per_call = 1 if self.store.per_slot_calls else RUNS_PER_CALL
        grouped = []
        for i in range(0, len(calls), per_call):
            group = calls[i : i + per_call]
            keys = [k for ks, _ in group for k in ks]
            grouped.append((self._fold, keys, [a for _, args in group for a in args]))
        replies: list[Any] = []
        chunk = self.send_chunk
        for i in range(0, len(grouped), chunk):
            replies += await self.store._pipelined(grouped[i : i + chunk])
        packed = b"".join(replies)
        if len(packed) != _COUNTS.size * len(batch):
            raise StoreError(f"fold.lua answered {len(packed)} bytes for {len(batch)} runs")
        for (key, run), counts in zip(batch, _COUNTS.iter_unpack(packed), strict=True):
            accounts_n, young_n, requests, elicit, focus, single, extract = counts
            h = harvest(requests, elicit, focus, single, extract)
            score = campaign_score(int(accounts_n), int(young_n), h, m, key)
            self.book.judge(key, (int(accounts_n), int(young_n), h, score), run[-1].t)

    async def _surge_step(self, records: list[Record], now: float) -> None:
        """The records into the hourly sketches; the surge judged again when they moved
        (or a new hour began: an hour with no records can end a surge)."""
        m = self.surge_model
        if m.off:
            return
        if records:
            await self.surge.fold(records)
        hour = int(now // HOUR)
        if records or hour != self._surge_hour:
            self._surge_hour = hour
            self.surge_book.judge(await self.surge.counts(now), now, m)

    async def _publish_changes(self, now: float, caught_up: bool) -> None:
        # the books count what ``changes`` returns as published: should the write fail,
        # they go back to what they were, so the next round writes it again (else a
        # verdict is lost until it moves, while the heartbeat says analysis is current)
        book, accounts = self.book, self.account_book
        saved = (dict(book.latest), dict(book.published), set(book.cleared))
        saved_accounts = (dict(accounts.latest), dict(accounts.published))
        saved_surge = self.surge_book.published
        try:
            await self._write_changes(now, caught_up)
        except BaseException:
            book.latest, book.published, book.cleared = saved
            accounts.latest, accounts.published = saved_accounts
            self.surge_book.published = saved_surge
            raise

    async def _write_changes(self, now: float, caught_up: bool) -> None:
        writes, gone = self.book.changes(now)
        account_writes, accounts_gone = self.account_book.changes(now)
        surge_moved, surge = self.surge_book.change(now)
        keys = verdict_keys(self.prefix)
        if writes or gone or account_writes or accounts_gone or surge_moved:
            # the hash lives as long as the longest verdict in it may (account verdicts
            # last while their evidence matters: up to the evidence model's ttl)
            ttl = int(self.book.ttl) + 60
            if self.account_book.published:
                ttl = max(ttl, self.account_book.model.ttl + 60)
            if self.surge_book.published is not None:  # lives up to two hours
                ttl = max(ttl, 2 * HOUR + 60)
            surge_write = surge_moved and surge is not None
            n = len(writes) + len(account_writes) + surge_write
            args: list[Any] = [ttl, VERSION_TTL, n]
            for v in writes:
                args += [v.key, v.encode()]
            for a in account_writes:
                args += [ACCOUNT_FIELD + a.account, a.encode()]
            if surge_write:
                assert surge is not None
                args += [SURGE_FIELD, surge.encode()]
            args += gone
            args += [ACCOUNT_FIELD + a for a in accounts_gone]
            if surge_moved and surge is None:
                args.append(SURGE_FIELD)
            await self.store._pipelined([(self._publish, keys, args)])
            self.published += 1
        if caught_up:  # nothing was waiting: the heartbeat says analysis is current
            await self.client.set(keys[2], repr(now), ex=VERSION_TTL)
            self.stats.lag = 0.0


class RedisIntel:
    """The plane a replica holds over a Redis store (see the module docstring)."""

    def __init__(
        self,
        store: RedisStore,
        *,
        buffer: int = 65_536,
        flush_records: int = 512,
        flush_seconds: float = 0.25,
        refresh_seconds: float = 1.0,
        verdict_ttl: float = 3_600.0,
        analyze: bool = True,
        clock: Callable[[], float] = time.time,
        metrics: Any = None,
        partitions: int = PARTITIONS,
        stream_maxlen: int = STREAM_MAXLEN,
        entry_records: int = ENTRY_RECORDS,
        consumer: str | None = None,
        claim_idle: float = CLAIM_IDLE,
        lease_seconds: float | None = None,
        evidence_model: EvidenceModel | None = None,
        surge_model: SurgeModel | None = None,
    ) -> None:
        self.store = store
        self.client = store.client
        self.prefix = store.prefix
        self.cache = VerdictCache()
        self.stats = IntelStats()
        self.buffer = RecordBuffer(buffer, flush_records, self.stats)
        self.flush_seconds = flush_seconds
        self.refresh_seconds = refresh_seconds
        self.partitions = partitions
        self.stream_maxlen = stream_maxlen
        self.entry_records = entry_records
        self.clock = clock
        self.metrics = metrics
        self.analyzer: RedisAnalyzer | None = None
        if analyze:
            # a lease outlives a few missed rounds of its holder, not a dead one for long
            lease = lease_seconds or max(10.0, 20 * flush_seconds)
            self.analyzer = RedisAnalyzer(
                store, self.cache, self.stats, consumer=consumer, verdict_ttl=verdict_ttl,
                partitions=partitions, lease_seconds=lease, claim_idle=claim_idle,
                evidence_model=evidence_model, surge_model=surge_model,
            )  # fmt: skip
        self._tasks: list[asyncio.Task[None]] = []
        self._flushed = asyncio.Event()  # wakes an idle embedded analyser
        self._stopping = False
        self._first_unseen: float | None = None  # oldest record flushed since a heartbeat
        self._lagging = False

    def emit(self, record: Record) -> None:
        self.buffer.push(record)

    async def flush(self) -> int:
        """Send everything buffered (pipelines of SEND_CHUNK XADDs); the count sent. On a
        failure the unsent records go back to the buffer and ``StoreError`` is raised."""
        sent = 0
        self.buffer.due = self.clock() + self.flush_seconds
        while len(self.buffer):
            batch = self.buffer.take(SEND_CHUNK)
            parts: dict[int, list[bytes]] = {}
            valid = []
            for r in batch:
                try:
                    line = r.encode()
                    p = partition_of(r.account, self.partitions)
                except (TypeError, ValueError):  # no digest made it: dropped, counted
                    self.stats.invalid += 1
                    continue
                parts.setdefault(p, []).append(line)
                valid.append(r)
            try:
                with store_errors("intel flush"):
                    async with self.client.pipeline(transaction=False) as pipe:
                        for p, lines in parts.items():
                            key = stream_key(self.prefix, p)
                            for i in range(0, len(lines), self.entry_records):
                                pipe.xadd(
                                    key, {"r": b"\n".join(lines[i : i + self.entry_records])},
                                    maxlen=self.stream_maxlen, approximate=True,
                                )  # fmt: skip
                            pipe.expire(key, STREAM_TTL)
                        await pipe.execute()
            except BaseException:
                self.buffer.put_back(valid)
                raise
            written = sum(len(lines) for lines in parts.values())
            sent += written
            self.stats.flushed += written
            self._flushed.set()
            if self._first_unseen is None and valid:
                self._first_unseen = min(r.t for r in valid)
        return sent

    async def refresh(self, now: float) -> None:
        try:
            beat = await refresh(self.client, self.prefix, self.cache, now)
        except StoreError:
            # Redis unreachable: no heartbeat to read, but the lag still grows with what
            # this replica holds unanalysed (and the gauge and the log line say so)
            self.stats.lag = max(self.stats.lag, self._unseen_lag(now))
            self._report(now)
            raise
        if self.analyzer is None or not self.analyzer._held:
            # the analysers' lag as this replica sees it: since the oldest record it sent
            # that no heartbeat has covered yet
            first = self._first_unseen
            if beat is not None and first is not None and beat >= first:
                first = self._first_unseen = None
            self.stats.lag = 0.0 if first is None else max(0.0, now - first)
        # records this replica could not flush yet are behind too: a replica whose
        # flushes fail showed a lag of 0 while its records piled up in its buffer
        self.stats.lag = max(self.stats.lag, self._buffered_lag(now))
        self._report(now)

    def _buffered_lag(self, now: float) -> float:
        """Since the oldest record still in this replica's buffer (not flushed yet)."""
        oldest = self.buffer.oldest()
        return 0.0 if oldest is None else max(0.0, now - oldest)

    def _unseen_lag(self, now: float) -> float:
        """Since the oldest record this replica holds that no analyser has covered: still
        buffered, or sent and not covered by a heartbeat yet."""
        first = self._first_unseen
        sent = 0.0 if first is None else max(0.0, now - first)
        return max(sent, self._buffered_lag(now))

    def _report(self, now: float) -> None:
        lagging = self.stats.lag >= LAG_WARNING
        if lagging != self._lagging:
            self._lagging = lagging
            if lagging:
                _log.warning(
                    "intel: analysis is %.0f s behind (analyser down or overloaded); "
                    "requests keep the last campaign verdicts until they expire",
                    self.stats.lag,
                )
            else:
                _log.info("intel: analysis caught up")
        if self.metrics is not None:
            self.metrics.intel(self.stats, self.cache.active(now))

    async def analyze(self, now: float) -> int:
        """Rounds of the analyser until nothing waits in the partitions it owns."""
        if self.analyzer is None:
            return 0
        total = 0
        while n := await self.analyzer.step(now):
            total += n
        return total

    async def drain(self, now: float) -> None:
        await self.flush()
        await self.refresh(now)
        await self.analyze(now)
        await self.refresh(now)

    async def start(self) -> None:
        if self._tasks:
            return
        self.buffer.due = self.clock() + self.flush_seconds
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._flushing()), loop.create_task(self._refreshing())]
        if self.analyzer is not None:
            # in the background it shares the loop with the requests: short stretches
            # (a driven plane, drain() in tests and simulations, keeps whole rounds)
            self.analyzer.in_slices(EMBEDDED_READ_COUNT, EMBEDDED_SLICE)
            self._tasks.append(loop.create_task(self._analyzing()))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        # The loops also stop at their next turn on their own: a cancellation delivered
        # while redis-py is mid-command can be swallowed there (seen on Python 3.11), and
        # the task would then wait on in its idle wait, cancelled in name only.
        self._stopping = True
        self._flushed.set()
        self.buffer.wake.set()
        for task in tasks:
            task.cancel()
        while tasks:
            done, pending = await asyncio.wait(tasks, timeout=1.0)
            for task in done:
                with contextlib.suppress(asyncio.CancelledError):
                    task.result()
            for task in pending:
                task.cancel()
            tasks = list(pending)
        self._stopping = False
        with contextlib.suppress(StoreError):
            await self.flush()  # best effort: Redis down, what is buffered is lost
        if self.analyzer is not None:
            with contextlib.suppress(StoreError):
                await self.analyzer.release()

    async def _flushing(self) -> None:
        wait = self.flush_seconds
        while not (self._stopping or _cancelled()):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.buffer.wake.wait()
            try:
                await self.flush()
                wait = self.flush_seconds
            except StoreError as exc:
                # the buffer keeps the newest records meanwhile; back off up to 30 s
                _warn_bounded("flush", exc)
                wait = min(max(wait * 2, self.flush_seconds), 30.0)
                await asyncio.sleep(wait)
            except Exception:  # a bug: say so, keep flushing (the records are the newest)
                _log.exception("intel: flush failed")
                await asyncio.sleep(wait)

    async def _refreshing(self) -> None:
        while not (self._stopping or _cancelled()):
            try:
                await self.refresh(self.clock())
            except StoreError as exc:
                _warn_bounded("verdict refresh", exc)
            except Exception:
                _log.exception("intel: verdict refresh failed")
            await asyncio.sleep(self.refresh_seconds)

    async def _analyzing(self) -> None:
        assert self.analyzer is not None
        published = self.analyzer.published
        while not (self._stopping or _cancelled()):
            self._flushed.clear()  # before the step: a flush during it wakes the next wait
            try:
                n = await self.analyzer.step(self.clock())
            except StoreError as exc:
                _warn_bounded("analysis", exc)
                n = 0
            except Exception:
                _log.exception("intel: analysis failed")
                n = 0
            if self.analyzer.published != published:
                # this replica acts on its own verdicts at once, not at the next refresh
                published = self.analyzer.published
                with contextlib.suppress(StoreError):
                    await self.refresh(self.clock())
            if n or self._stopping:
                await asyncio.sleep(0)
                continue
            # idle: until this replica flushes again, or FLUSH_MS passes (others flush too)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_seconds):
                    await self._flushed.wait()


def _cancelled() -> bool:
    """This background task was asked to stop. Checked by every loop of the plane, not
    only left to the CancelledError: a client library that swallows one mid-command (a
    Redis call cancelled at the wrong moment) left the task running, and a loop's
    shutdown (asyncio.run, a test's teardown) waiting for it for ever."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
