"""One protected request, from its buffered body to its audit line.

The middleware decides at the top of its ``__call__`` whether a request is protected
(as Starlette's ``GZipMiddleware`` decides whether to compress) and hands each protected
one to a ``Protected``, which owns that request's state: its decision, its refusal or
challenge, its degraded rewrite, its settlement and its audit. What outlives a request
(the store, the breaker, the caches, the logger) stays on the middleware.

Path: buffer the body once (at most ``inspect_max_bytes`` before deciding; everything is
still forwarded) -> identity -> API facts -> cost -> ONE store call -> decision -> either
the middleware's own response or the app, whose response passes through unchanged while
its head and tail are glanced at for ``usage`` -> settlement and audit after the last
byte has been sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import TYPE_CHECKING, Any

from ..intel.records import Record
from ..intel.surge import SurgeVerdict
from ..model.bucket import TOKENS, Outcome, take_cost
from ..model.campaigns import CampaignCharge
from ..model.cohorts import CohortInput, CohortView, cohort_keys, is_young
from ..model.risk import RiskInput, reasons
from ..store import Store, StoreError
from ..store.passes import Allowance
from . import challenge as pow_challenge
from .apis import (
    FAMILIES,
    INVALID,
    TOO_LARGE,
    ApiFamily,
    RequestFacts,
    family_for_path,
)
from .cost import Response, charge, estimate, prompt_tokens, seen_output
from .degrade import request_body, rewrite_request
from .enforce import Refusal, block_response, json_headers, throttle_response
from .fingerprint import client_fingerprint, template_fingerprint
from .identity import Credentials, Identity, header, identify, peer_from_forwarded
from .parts import part_keys
from .policy import (
    ALLOW,
    BLOCK,
    CHALLENGE,
    DEGRADE,
    NO_EVIDENCE,
    THROTTLE,
    Decision,
    decide,
    read_evidence,
)
from .signals import RequestSignals, read_signals
from .streams import (
    DegradeSend,
    Message,
    Receive,
    Replay,
    ResponseObserver,
    Scope,
    Send,
    buffer_body,
    inspect_body,
    uncompressed,
)

if TYPE_CHECKING:
    from ..model.allowlist import Allowlist
    from .middleware import AntiExtractMiddleware


class StoreDown(Exception):
    """FAIL_MODE=closed and the store cannot answer: refuse, do not fall back."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("store unavailable")
        self.retry_after = retry_after


class Protected:
    """The ladder for one protected request (``run``), and everything decided about it,
    carried to settlement and audit."""

    __slots__ = (
        "account_key",
        "challenge",
        "cost",
        "decision",
        "elapsed_us",
        "facts",
        "family",
        "ident",
        "keys",
        "mw",
        "now",
        "outcome",
        "prompt",
        "settled",
        "signals",
        "started",
        "store",
        "surge",
    )

    def __init__(self, mw: AntiExtractMiddleware, keys: Credentials | None) -> None:
        self.mw = mw
        self.keys = keys  # the API keys read before the body (None: read them again)
        self.started = time.perf_counter()
        self.decision: Decision | None = None  # set once the request is decided
        self.elapsed_us = 0.0
        self.settled: float | None = None
        self.challenge: str | None = None  # solved | allowance | replayed | a verify failure
        self.prompt = 0  # the prompt's estimate (tokens), part of ``cost``
        self.store: Store | None = None  # the store that answered (settle there)
        self.surge: SurgeVerdict | None = None  # the live surge verdict, for the audit

    @property
    def decided(self) -> bool:
        return self.decision is not None

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Everything up to the choice of response runs guarded: a failure there is loud
        (counted, logged at a bounded rate) and never the client's 500; it passes the
        request through (FAIL_MODE=open) or refuses it with a 503 (closed), as a store
        outage would."""
        mw = self.mw
        messages, size, complete = await buffer_body(receive, mw.settings.inspect_max_bytes)
        if messages[-1]["type"] == "http.disconnect":
            # The client went away before its body ended: nobody to answer, so the app is
            # not called and nothing is charged (a flaky connection cost a full bucket).
            return
        replay: Receive = Replay(messages, receive)
        degraded = False
        try:
            await self._decide(scope, messages, size, complete)
            decision = self.decision
            assert decision is not None
            self.elapsed_us = (time.perf_counter() - self.started) * 1e6
            mw.metrics.decision(
                decision.action,
                decision.reasons,
                self.family.name,
                mw.enforce,
                self.elapsed_us / 1e6,
                "fallback" if self.store is mw.fallback else mw.store.label,
            )
            # an allowed request has no refusal to make (_refusal answers None): no coroutine
            refusal = (
                await self._refusal(scope) if mw.enforce and decision.action != ALLOW else None
            )
            if refusal is None and mw.enforce and decision.action in (DEGRADE, CHALLENGE):
                degraded = True
                scope, replay = self._degraded_request(scope, messages, replay, receive)
        except StoreDown as down:  # FAIL_MODE=closed and the store is unreachable
            await mw._unavailable(scope, down.retry_after, "store_unavailable", self.started)(
                scope, receive, send
            )
            return
        except Exception as exc:  # a bug of ours must never become the client's 500
            mw._failure("decide", exc)
            if mw.fail_closed:
                if self.decided:
                    await self.refund()
                await mw._unavailable(scope, 1.0, "internal_error", self.started)(
                    scope, receive, send
                )
                return
            refusal = await self._undecided(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await mw.app(scope, replay, send)  # what was reserved for it stays charged
            return
        if refusal is not None:
            await refusal(scope, receive, send)
            self.audit(refusal.status)
            return
        if degraded:
            send = DegradeSend(send, self.family, mw.plan, mw._failure)
            await self._tarpit()
        scope = uncompressed(scope)
        observer = ResponseObserver(send)
        try:
            await mw.app(scope, replay, observer)
        finally:
            delta = self._settle(observer)
            if delta:
                await self._correct(delta)
            if decision.action != ALLOW or mw._sampled():
                self.audit(observer.status)

    async def _undecided(self, scope: Scope) -> Refusal | None:
        """FAIL_MODE=open after a failed decision: a request already allowed as it is
        passes; any other is charged a full bucket on the local limits, like a body that
        cannot be sized (its samples and budget are unknown), and passes only if that
        bucket had it. An input that makes deciding fail (a client can look for one) then
        buys at most one request per refill of a bucket, never unlimited, unscored ones."""
        mw = self.mw
        if self.decided and self.decision.action == ALLOW and self.outcome.allowed:  # type: ignore[union-attr]
            return None
        try:
            account, ip = mw._identify(scope)
        except Exception:
            client = scope.get("client")
            account = ip = "ip:" + str(client[0] if client else "unknown")
        try:
            outcome = await mw.fallback.evaluate(
                mw._store_key(account, 16), mw._store_key(ip, 12), mw.limits.capacity,
                mw.clock(),
            )  # fmt: skip
            if outcome.allowed:
                return None
            decision = Decision(THROTTLE, ("internal_error",), outcome.retry_after, TOKENS)
            family = family_for_path(scope["path"])
            return throttle_response(
                family, decision, mw.limits, outcome.tokens, mw.settings.sdk_retry_ceiling
            )
        except Exception as exc:
            mw._failure("decide", exc)
            return mw._unavailable(scope, 1.0, "internal_error", self.started)

    async def _refusal(self, scope: Scope) -> Refusal | None:
        """The middleware's own response for an enforced refusal, or None to call the app.
        A request the store allowed but the middleware refuses (a campaign's shared bucket
        is empty, a challenge is due) gets its reservation back: it was never served."""
        mw = self.mw
        d = self.decision
        assert d is not None
        if d.action == THROTTLE:
            if self.outcome.allowed:  # the account's limits let it through; its campaign's did not
                await self.refund()
            return throttle_response(
                self.family, d, mw.limits, self.outcome.tokens, mw.settings.sdk_retry_ceiling
            )
        if d.action == BLOCK:
            return block_response(self.family, d)
        if d.action == CHALLENGE and not await self._challenge_passed(scope):
            mw.metrics.challenge("issued")
            await self.refund()
            s = mw.settings
            difficulty = pow_challenge.difficulty_for(
                d.risk,
                s.challenge_base_bits,
                s.challenge_max_bits,
                low=mw.thresholds.challenge_at,
                high=mw.thresholds.block_at,
            )
            token = pow_challenge.issue(
                self.account_key, difficulty, self.now, mw.challenge_secrets
            )
            return pow_challenge.challenge_response(
                self.family, token, difficulty, s.verification_url
            )
        if d.action in (DEGRADE, CHALLENGE) and not self.facts.parsed:
            await self.refund()
            return self._unrewritable()
        return None

    def _unrewritable(self) -> Refusal:
        """The answer to a request that must be degraded but whose body cannot be
        rewritten: not read (past INSPECT_MAX_BYTES, or an encoding we cannot decode) or
        not a JSON object. Forwarded as it was, its n, budget and logprobs reached the
        model: a degraded account padded its body past the cap and got every sample it
        asked for, at full length, with logprobs. Refused instead, in the API's format,
        never charged; the client learns what to send."""
        if "body:uninspected" in self.facts.odd:
            status, kind, code = 413, TOO_LARGE, "request_too_large"
            message = (
                "The request body could not be inspected: send at most "
                f"{self.mw.settings.inspect_max_bytes} bytes of JSON (gzip or deflate allowed)."
            )
        else:
            status, kind, code = 400, INVALID, "invalid_json"
            message = "The request body is not a JSON object."
        body = self.family.error_body(kind, message, code)
        return Refusal(status, json_headers(body, (b"x-should-retry", b"false")), body)

    async def _challenge_passed(self, scope: Scope) -> bool:
        try:
            return await self._check_solution(scope)
        finally:
            if self.challenge is not None:
                self.mw.metrics.challenge(self.challenge)

    async def _check_solution(self, scope: Scope) -> bool:
        """A fresh, valid solution (which buys an allowance) or an unspent allowance."""
        mw = self.mw
        if not mw.breaker.closed:
            self.challenge = "store_unavailable"  # known outage: fail open at once, degraded
            return True
        try:
            value = header(scope["headers"], b"antiextract-solution")
            if value:
                parsed = pow_challenge.parse_solution_header(value.decode("latin-1"))
                if parsed is not None:
                    token, solution = parsed
                    verdict = pow_challenge.verify(
                        token, solution, self.account_key, self.now, mw.challenge_secrets
                    )
                    if verdict.ok and verdict.token_id and verdict.expires_at:
                        if await mw.replay.first_use(
                            verdict.token_id, verdict.expires_at, self.now
                        ):
                            await mw.passes.grant(
                                self.account_key, Allowance.granted(self.now), self.now
                            )
                            self.challenge = "solved"
                            return True
                        self.challenge = "replayed"
                    else:
                        self.challenge = verdict.reason
            if await mw.passes.spend(self.account_key, self.now):
                self.challenge = self.challenge or "allowance"
                return True
        except StoreError:
            self.challenge = "store_unavailable"  # fail open, still degraded
            return True
        return False

    async def refund(self) -> None:
        """Give back the reservation of a request the app never saw: what the store took
        for it (``Outcome.taken``), never more."""
        taken = self.outcome.taken if self.outcome.allowed else 0.0
        if taken:
            self.settled = -taken
            self.mw.metrics.settlement("refunded", 0)
            try:
                assert self.store is not None
                await self.store.settle(self.account_key, -taken, self.now)
            except Exception as exc:
                self.mw._failure("refund", exc)

    def _degraded_request(
        self, scope: Scope, messages: list[Message], replay: Receive, receive: Receive
    ) -> tuple[Scope, Receive]:
        """The request rewritten so the model returns less of what an extractor values.
        A body that cannot be rewritten never gets here (``_unrewritable``)."""
        doc = self.facts.doc
        if doc is None or messages[-1].get("more_body", False):
            return scope, replay
        rewritten = rewrite_request(self.family.name, doc, self.mw.plan)
        if rewritten is None:
            return scope, replay
        body = request_body(rewritten)
        headers = [  # the rewritten body is plain JSON, whatever encoding the client sent
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"content-length", b"transfer-encoding", b"content-encoding")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": headers}
        return scope, Replay([{"type": "http.request", "body": body, "more_body": False}], receive)

    async def _tarpit(self) -> None:
        most = self.mw.settings.tarpit_max_seconds
        if most <= 0:
            return
        t = self.mw.thresholds
        span = max(t.block_at - t.degrade_at, 1e-9)
        assert self.decision is not None
        delay = most * min(1.0, max(0.0, (self.decision.risk - t.degrade_at) / span))
        if delay > 0:
            await asyncio.sleep(delay)

    async def _decide(
        self, scope: Scope, messages: list[Message], size: int, complete: bool
    ) -> None:
        mw = self.mw
        headers = scope["headers"]
        client = scope.get("client")
        peer = client[0] if client else None
        auth = mw.trusted_headers.read(headers, peer)
        if auth.ignored:
            mw.metrics.ignored_headers(auth.ignored)
        s = mw.settings
        ident = identify(
            headers,
            peer,
            account=auth.account,
            trusted=s.trusted_proxies,
            key=mw.hash_key,
            keys=mw.key_places,
            query=scope.get("query_string", b""),
            credentials=self.keys,
        )
        if not mw._forwarded_warned and peer_from_forwarded(client, headers):
            mw._forwarded_warned = True
            mw.log.warning("antiextract.peer_from_forwarded", detail=FORWARDED_WARNING)
        family = family_for_path(scope["path"])
        body_size = inspect_body(messages, size, complete, headers, s.inspect_max_bytes)
        facts = family.facts(body_size[0])
        family = FAMILIES.get(facts.family, family)  # /invocations: as its body's API
        prompt = prompt_tokens(body_size[1], facts, max_output=s.max_output_tokens)
        cost = take_cost(
            estimate(
                body_size[1], facts,
                default_output=s.default_output_tokens, max_output=s.max_output_tokens,
            ),
            mw.limits,
        )  # fmt: skip
        signals = read_signals(facts, mw.weights)
        skeleton, bands = "", ()
        if facts.parsed and (facts.user_text or facts.system_text):
            fp = template_fingerprint(facts.prompt_text)
            skeleton, bands = fp.skeleton, fp.bands
        risk_in = RiskInput(
            signals.traits, signals.acute, skeleton, auth.created, mw._tier_factor(auth.tier)
        )
        account_key = mw._store_key(ident.account, 16)
        ip_key = mw._store_key(ident.ip, 12)
        now = mw.clock()
        cohort = campaigns = None
        allow = mw._current_allowlist()
        if mw.campaigns_enabled and ident.account not in allow.accounts:
            cohort = self._cohort_input(
                ident, headers, skeleton, bands, signals, risk_in, account_key, now, allow,
                part_keys(facts.system_text, facts.user_text) if skeleton else (),
            )  # fmt: skip
            # the campaigns this request belongs to, as last published: dict lookups
            verdicts = mw.intel.cache.lookup(cohort.keys, now)
            if verdicts:
                campaigns = CampaignCharge(tuple(v.view() for v in verdicts))
        outcome, store = await mw._evaluate(account_key, ip_key, cost, now, risk_in, campaigns)
        if outcome.assessment is not None:
            mw._first_seen_cache(account_key, now - outcome.assessment.age)
        mw._count_campaigns(outcome.cohorts)
        if ident.account in allow.accounts:
            outcome = _without_risk(outcome)
        evidence = NO_EVIDENCE  # the account's evidence, as the intelligence plane published it
        if ident.account not in allow.accounts:
            found = mw.intel.cache.account(account_key, now)
            evidence = read_evidence(found, now, mw.evidence_model)
        surge = None  # the population's surge verdict, when one is live (a cache read)
        if ident.account not in allow.accounts and not mw.surge_model.off:
            surge = mw.intel.cache.surge(now)
        decision = decide(
            outcome, mw.thresholds, signals.traits, evidence,
            mw.surge_model if surge is not None else None,
        )  # fmt: skip
        self.surge = surge
        if cohort is not None and cohort.keys:
            mw._emit(Record(now, account_key, cohort.keys, cohort.young, cohort.traits, cost))
        self.ident, self.family, self.facts, self.signals = ident, family, facts, signals
        self.account_key, self.cost, self.now = account_key, cost, now
        self.outcome, self.store, self.prompt = outcome, store, prompt
        self.decision = decision

    def _cohort_input(
        self,
        ident: Identity,
        headers: list[tuple[bytes, bytes]],
        skeleton: str,
        bands: tuple[str, ...],
        signals: RequestSignals,
        risk_in: RiskInput,
        account_key: str,
        now: float,
        allow: Allowlist,
        parts: tuple[str, ...] = (),
    ) -> CohortInput:
        """The request's cohorts (allowlisted ones left out) and whether its account is
        young: from the trusted creation header, else from when this process last learnt
        the account's age; an account never seen here counts as not young."""
        keys = cohort_keys(skeleton, bands, ident.ip, client_fingerprint(headers)) + parts
        if allow.cohorts or allow.subnets:
            keys = tuple(k for k in keys if not allow.allows_cohort(k))
        if risk_in.created_at is not None:
            age: float | None = now - risk_in.created_at
        else:
            first = self.mw._first_seen.get(account_key)
            age = None if first is None else now - first
        return CohortInput(keys, is_young(age, self.mw.cohort_model), signals.traits)

    def _settle(self, observer: ResponseObserver) -> float:
        """Replace the reservation by the real cost: the charge's correction, for
        ``_correct`` to send the store (0: none, the usual request). Never raises.
        Synchronous: a request that used what it reserved costs no coroutine here."""
        try:
            return self._settlement(observer)
        except Exception as exc:  # the response is out; a correction must not fail it
            self.mw._failure("settle", exc)
            return 0.0

    async def _correct(self, delta: float) -> None:
        """The store's side of a settlement. Never raises."""
        try:
            assert self.store is not None
            await self.store.settle(self.account_key, delta, self.mw.clock())
        except Exception as exc:  # the response is out; a correction must not fail it
            self.mw._failure("settle", exc)

    def _settlement(self, observer: ResponseObserver) -> float:
        """The settlement itself: ``cost.charge``, which states the invariant (a request is
        never credited more than the store took for it, ``Outcome.taken``, and pays at
        least the usage it reported). Counted here; the store's correction (the delta,
        0 for none) is left to ``_settle``."""
        if not self.outcome.allowed:
            return 0.0  # nothing was taken for a request the store refused (shadow mode)
        metrics = self.mw.metrics
        taken = self.outcome.taken
        used = None
        reader = observer.reader
        if reader is not None and observer.status is not None and observer.status < 500:
            used = reader.tokens()
        seen = 0 if reader is None else seen_output(reader.events, reader.size, reader.stream)
        response = Response(observer.status, observer.complete, used, seen)
        delta = charge(taken, self.prompt, response) - taken
        if observer.status is None or observer.status >= 500:
            metrics.settlement("refunded", 0)
        elif used is None:
            metrics.settlement("no_usage", 0)
        else:
            metrics.settlement("settled", used)
        if delta or used is not None:
            self.settled = delta
        return delta

    def audit(self, status: int | None) -> None:
        try:
            self._audit_event(status)
        except Exception as exc:  # a log line must never fail the response it describes
            self.mw._failure("audit", exc)

    def _audit_event(self, status: int | None) -> None:
        mw = self.mw
        d = self.decision
        assert d is not None
        a = self.outcome.assessment
        mw.log.info(
            "antiextract.decision",
            account=self.ident.account,
            account_source=self.ident.source,
            ip=self.ident.ip,
            api=self.family.name,
            action=d.action,
            enforced=mw.enforce,
            reasons=list(d.reasons),
            risk=round(d.risk, 3),
            risk_reasons=list(reasons(a, mw.model)) if a is not None else [],
            challenge=self.challenge,
            campaign=_campaign_evidence(d.campaign, d.campaign_added),
            surge=_surge_evidence(self.surge, d.surge_added),
            signals=list(self.signals.fired),
            limit=d.limit,
            retry_after=round(d.retry_after, 3),
            cost=self.cost,
            settled=self.settled,
            tokens=round(self.outcome.tokens, 1),
            capacity=mw.limits.capacity,
            status=status,
            odd=self.facts.odd or None,
            elapsed_us=round(self.elapsed_us, 1),
        )


FORWARDED_WARNING = (
    "the server replaced the peer address with an X-Forwarded-For entry (uvicorn's proxy "
    "headers, e.g. --forwarded-allow-ips '*'): with '*' that entry is the one the client "
    "wrote, so a client chooses its IP for the IP limits and may pose as a trusted proxy "
    "(its auth headers believed). Run the server with --no-proxy-headers and set "
    "ANTIEXTRACT_TRUSTED_PROXIES to the load balancers instead (README: Failure modes)."
)


def _campaign_evidence(view: CohortView | None, added: float) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "cohort": view.key,
        "added": round(added, 3),  # its share of the event's risk (youth-scaled link)
        "score": round(view.score, 3),
        "accounts": view.accounts,
        "young": view.young,
        "harvest": round(view.harvest, 3),
    }


def _surge_evidence(surge: SurgeVerdict | None, added: float) -> dict[str, Any] | None:
    """The surge that weighed on this decision (None when none did): what it added, since
    when, and the count against the baseline (intel/surge.py)."""
    if surge is None or added <= 0:
        return None
    return {"added": round(added, 3), **surge.audit()}


def _without_risk(outcome: Outcome) -> Outcome:
    """An allowlisted account: its limits still apply, its risk does not."""
    a = outcome.assessment
    if a is None:
        return outcome
    zero = dataclasses.replace(a, risk=0.0, acute=0.0, shares=tuple(0.0 for _ in a.shares))
    return dataclasses.replace(outcome, assessment=zero, cohorts=())


__all__ = ["FORWARDED_WARNING", "ApiFamily", "Protected", "RequestFacts", "StoreDown"]
