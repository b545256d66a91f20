"""Configuration that cannot protect is refused at start-up, in one line, never quoting a
credential: values that only make sense together, misspelt variable names, model values
that break the arithmetic, and bad JSON. (The server processes: tests/test_startup.py.)"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from antiextract import AntiExtractMiddleware, Settings, SettingsError, load_settings
from antiextract.audit import make_logger
from antiextract.model.bucket import MAX_TTL, Limits, WindowLimit, bucket_wait
from antiextract.model.campaigns import CampaignCharge
from antiextract.model.cohorts import MAX_COUNT, CohortModel, CohortView
from antiextract.model.risk import (
    MAX_WEIGHT,
    MIN_SLOW_SCALE,
    TRAITS,
    RiskInput,
    RiskModel,
    refill_factor,
)
from antiextract.ops.cli import effective_config
from antiextract.redact import mask_uri, redact, uri_secrets
from antiextract.request.signals import SignalWeights
from antiextract.store import MemoryStore
from antiextract.store.redis import RedisStore

from .asgi import Exchange, bearer, chat_body, http_scope
from .conftest import SimClock, redis_client


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment without ANTIEXTRACT_* settings (the test
    suite's own ANTIEXTRACT_TEST_REDIS_URL stays: it must never fail anything)."""
    for key in list(os.environ):
        if key.startswith("ANTIEXTRACT_") and key != "ANTIEXTRACT_TEST_REDIS_URL":
            monkeypatch.delenv(key)


def refused(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert "\n" not in message, message
    return message


class App:
    """A model server that counts the requests it serves."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


# --- 3. one line, at start-up, in every path -------------------------------------------


async def test_env_errors_fail_the_lifespan_start_up_not_the_constructor(monkeypatch) -> None:
    """Starlette builds its middleware inside the first call it gets: an exception from the
    constructor there became a 500 on every route (and uvicorn's "lifespan unsupported")."""
    monkeypatch.setenv("ANTIEXTRACT_MODE", "loud")
    mw = AntiExtractMiddleware(App())
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await mw({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"] == (
        "invalid antiextract configuration: ANTIEXTRACT_MODE='loud': "
        "Input should be 'enforce' or 'shadow'"
    )


async def test_without_lifespan_nothing_is_served_and_the_error_is_logged_once(
    monkeypatch, caplog
) -> None:
    """ANTIEXTRACT_RISK_MODEL={"youth_days": 0} used to be accepted, then every decision
    raised ZeroDivisionError and every request reached the model unprotected."""
    monkeypatch.setenv("ANTIEXTRACT_RISK_MODEL", '{"youth_days": 0}')
    app = App()
    mw = AntiExtractMiddleware(app)
    with caplog.at_level(logging.ERROR, logger="antiextract"):
        statuses = []
        for i in range(40):
            ex = Exchange(chat_body(max_tokens=200))
            await mw(http_scope(headers=bearer(f"sk-{i % 3}")), ex.receive, ex.send)
            statuses.append(ex.status)
        ex = Exchange()
        await mw(http_scope("/health", "GET"), ex.receive, ex.send)
    assert app.calls == 0
    assert statuses == [503] * 40 and ex.status == 503
    assert ex.headers["x-should-retry"] == "false"
    assert b"youth_days" not in ex.sent[1]["body"]  # the body is generic
    named = [r for r in caplog.records if "ANTIEXTRACT_RISK_MODEL" in r.getMessage()]
    assert len(named) == 1 and "youth_days" in named[0].getMessage()


def test_settings_given_in_code_still_raise_at_construction() -> None:
    """The caller's code is at fault: it hears it at once."""
    with pytest.raises(ValidationError, match="mode"):
        AntiExtractMiddleware(App(), Settings(mode="loud"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ANTIEXTRACT_DEGRADE_AT=10"):
        Settings(degrade_at=10.0)
    with pytest.raises(ValueError, match="youth_days"):
        MemoryStore(Limits(1000.0, 10.0), model=RiskModel(youth_days=0))


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("ANTIEXTRACT_RISK_MODEL", "{bad"),
        ("ANTIEXTRACT_SIGNAL_WEIGHTS", '{"logprobs": 1,}'),
        ("ANTIEXTRACT_CAMPAIGN_MODEL", "min_young=3"),
        ("ANTIEXTRACT_TIER_FACTORS", "{'verified': 0.5}"),
        ("ANTIEXTRACT_DEGRADE_MODEL_MAP", '{"big": '),
    ],
)
def test_bad_json_names_its_variable_in_one_line(monkeypatch, var, value) -> None:
    """pydantic-settings raised its own SettingsError, naming neither, past load_settings."""
    message = refused(monkeypatch, **{var: value})
    assert f"{var}={value!r}: not valid JSON" in message


@pytest.mark.parametrize(
    ("env", "first", "second"),
    [
        (
            {"ANTIEXTRACT_DEGRADE_AT": "10"},
            "ANTIEXTRACT_DEGRADE_AT=10",
            "ANTIEXTRACT_CHALLENGE_AT=6",
        ),
        (
            {"ANTIEXTRACT_CHALLENGE_AT": "9.5"},
            "ANTIEXTRACT_CHALLENGE_AT=9.5",
            "ANTIEXTRACT_BLOCK_AT=9",
        ),
        (
            {"ANTIEXTRACT_CHALLENGE_ENABLED": "false", "ANTIEXTRACT_DEGRADE_AT": "9.5"},
            "ANTIEXTRACT_DEGRADE_AT=9.5",
            "ANTIEXTRACT_BLOCK_AT=9",
        ),
        (
            {"ANTIEXTRACT_CHALLENGE_BASE_BITS": "24"},
            "ANTIEXTRACT_CHALLENGE_BASE_BITS=24",
            "ANTIEXTRACT_CHALLENGE_MAX_BITS=22",
        ),
        (
            {"ANTIEXTRACT_STORE_RETRY_SECONDS": "60", "ANTIEXTRACT_STORE_TIMEOUT": "1"},
            "ANTIEXTRACT_STORE_RETRY_SECONDS=60",
            "ANTIEXTRACT_STORE_RETRY_MAX_SECONDS=30",
        ),
        (
            {"ANTIEXTRACT_STORE_TIMEOUT": "8"},
            "ANTIEXTRACT_STORE_TIMEOUT=8",
            "ANTIEXTRACT_STORE_RETRY_SECONDS=5",
        ),
        (
            {"ANTIEXTRACT_BUCKET_REFILL_PER_SECOND": "0.01"},
            "ANTIEXTRACT_BUCKET_CAPACITY=300000",
            "ANTIEXTRACT_BUCKET_REFILL_PER_SECOND=0.01",
        ),
        (
            {"ANTIEXTRACT_DEFAULT_OUTPUT_TOKENS": "20000"},
            "ANTIEXTRACT_DEFAULT_OUTPUT_TOKENS=20000",
            "ANTIEXTRACT_MAX_OUTPUT_TOKENS=16384",
        ),
    ],
)  # fmt: skip
def test_values_that_only_fail_together_name_both(monkeypatch, env, first, second) -> None:
    message = refused(monkeypatch, **env)
    assert first in message and second in message
    assert message.count(first) == 1


def test_the_boundaries_of_the_combined_checks_are_accepted(monkeypatch) -> None:
    """Equal thresholds, bits, waits; the slowest refill an idle account survives; challenge
    thresholds that no longer matter once challenges are off."""
    for key, value in {
        "ANTIEXTRACT_DEGRADE_AT": "6", "ANTIEXTRACT_CHALLENGE_AT": "6", "ANTIEXTRACT_BLOCK_AT": "6",
        "ANTIEXTRACT_CHALLENGE_BASE_BITS": "22", "ANTIEXTRACT_STORE_TIMEOUT": "5",
        "ANTIEXTRACT_STORE_RETRY_MAX_SECONDS": "5",
        "ANTIEXTRACT_BUCKET_REFILL_PER_SECOND": str(2 * 300_000 / MAX_TTL),
        "ANTIEXTRACT_DEFAULT_OUTPUT_TOKENS": "16384",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    s = load_settings()
    assert (s.degrade_at, s.block_at, s.challenge_base_bits) == (6.0, 6.0, 22)
    monkeypatch.setenv("ANTIEXTRACT_CHALLENGE_ENABLED", "false")
    monkeypatch.setenv("ANTIEXTRACT_CHALLENGE_AT", "100")
    assert load_settings().challenge_at == 100.0


def test_no_protected_path_is_refused(monkeypatch) -> None:
    """PATHS='' protected nothing: the middleware on, silently doing nothing."""
    assert "ANTIEXTRACT_PATHS=''" in refused(monkeypatch, ANTIEXTRACT_PATHS="")
    assert "at least one path" in refused(monkeypatch, ANTIEXTRACT_PATHS=" , ")


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("ANTIEXTRACT_FAIL_MOD", "ANTIEXTRACT_FAIL_MODE"),
        ("ANTIEXTRACT_STORAGE_URL", "ANTIEXTRACT_STORAGE_URI"),
        ("ANTIEXTRACT_BUCKET_CAPACTY", "ANTIEXTRACT_BUCKET_CAPACITY"),
        ("antiextract_acount_limits", "ANTIEXTRACT_ACCOUNT_LIMITS"),
        ("ANTIEXTRACT_SECRETS", "ANTIEXTRACT_SECRET"),
    ],
)
def test_a_misspelt_setting_stops_start_up(monkeypatch, caplog, name, meant) -> None:
    message = refused(monkeypatch, **{name: "hunter2-value"})
    assert f"{name} is not a setting; did you mean {meant}?" in message
    assert "hunter2" not in message  # a value is never echoed: it may be a secret


def test_an_unknown_variable_is_one_warning_and_the_suites_own_none(monkeypatch, caplog) -> None:
    monkeypatch.setenv("ANTIEXTRACT_TEST_REDIS_URL", "redis://127.0.0.1:1/15")
    monkeypatch.setenv("ANTIEXTRACT_UPSTREAM", "http://127.0.0.1:9")
    with caplog.at_level(logging.WARNING, logger="antiextract"):
        load_settings()
    assert caplog.records == []
    monkeypatch.setenv("ANTIEXTRACT_WHATEVER_THIS_IS", "sk-secret-value")
    monkeypatch.setenv("ANTIEXTRACT_ZZZ", "1")
    with caplog.at_level(logging.WARNING, logger="antiextract"):
        assert load_settings().mode == "enforce"
    [record] = caplog.records
    text = record.getMessage()
    assert "ANTIEXTRACT_WHATEVER_THIS_IS, ANTIEXTRACT_ZZZ" in text and "\n" not in text
    assert "sk-secret" not in text and "TEST_REDIS_URL" not in text


def test_every_problem_is_in_the_one_line(monkeypatch) -> None:
    message = refused(
        monkeypatch,
        ANTIEXTRACT_FAIL_MOD="closed",
        ANTIEXTRACT_MODE="loud",
        ANTIEXTRACT_RISK_MODEL="{",
    )
    for part in ("ANTIEXTRACT_FAIL_MOD", "ANTIEXTRACT_MODE='loud'", "ANTIEXTRACT_RISK_MODEL='{'"):
        assert part in message


# --- 5a. credentials never shown --------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "redis+clustr://user:PASSWORD@host",  # the reproduction
        "redis://user:PASSWORD@host:63x9/0",  # bad port: both parsers quoted the URI
        "redis://:PASSWORD@host:6379/zero",  # bad db
        "redis+sentinel://:PASSWORD@h1:26379",  # no service name
        "redis+cluster://user:PASS/WORD@h1:7000",  # unencoded '/': a piece became a "host"
        "redis://user:PASS?WORD@host:6379/0",
        "redis+sentinel://h1:26379/mymaster?sentinel_password=PASSWORD&bogus=1",
        "redis://host:6379/0?password=PASSWORD&socket_timeout=soon",
        "unix://:PASSWORD@",
    ],
)
def test_a_bad_storage_uri_never_prints_its_password(monkeypatch, uri: str) -> None:
    message = refused(monkeypatch, ANTIEXTRACT_STORAGE_URI=uri)
    assert "ANTIEXTRACT_STORAGE_URI=" in message
    assert "PASS" not in message and "WORD" not in message


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        # redis-py let ?db= override the path; the hot path read the path: decisions went
        # to database 7, `antiextract block` and settlements to database 3
        ("redis://127.0.0.1:6379/7?db=3", "database is named twice"),
        # accepted by redis-py's parser, refused by its connection (every settlement, the
        # allowlist and the CLI failed), ignored by the hot path's client
        ("redis://127.0.0.1:6379/7?bogus=1", "unknown option 'bogus'"),
        ("rediss://127.0.0.1:6379/0?ssl_cert_reqs=none", "unknown option 'ssl_cert_reqs'"),
        ("redis://127.0.0.1:6379/0?socket_timeout=5", "unknown option 'socket_timeout'"),
        ("unix:///tmp/redis.sock?db=1&db=2", "option 'db' given twice"),
    ],
)
def test_a_storage_uri_both_redis_clients_would_not_read_alike_is_refused(
    monkeypatch, uri: str, why: str
) -> None:
    """The hot path's lean client and redis-py (settlements, allowlist, operator
    commands) must reach the same server and database: a URI one of them reads otherwise
    is refused at start-up, naming the part."""
    message = refused(monkeypatch, ANTIEXTRACT_STORAGE_URI=uri)
    assert why in message


@pytest.mark.parametrize(
    "uri",
    ["redis://127.0.0.1:6379/7", "redis://127.0.0.1:6379?db=3", "unix:///tmp/r.sock?db=4",
     "redis://u:p%40ss@h:6380/2", "rediss://h/1"],
)  # fmt: skip
def test_storage_uris_both_clients_read_alike_are_accepted(monkeypatch, uri: str) -> None:
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", uri)
    assert load_settings().storage_uri == uri


def test_config_and_errors_mask_every_credential(monkeypatch) -> None:
    uri = "redis+sentinel://u:MASTERPW@h1:26379,h2/mymaster/2?sentinel_password=SENTINELPW"
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", uri)
    monkeypatch.setenv("ANTIEXTRACT_VERIFICATION_URL", "https://bot:URLPW@verify.example/x")
    monkeypatch.setenv("ANTIEXTRACT_SECRET", "SECRETVALUE")
    s = load_settings()
    shown = str(effective_config(s))
    assert "redis+sentinel://***@h1:26379,h2/mymaster/2?sentinel_password=***" in shown
    assert "https://***@verify.example/x" in shown
    for secret in ("MASTERPW", "SENTINELPW", "URLPW", "SECRETVALUE"):
        assert secret not in shown
    # the store's and redis-py's exception texts, were they to quote a credential
    text = f"Error connecting to {uri} (MASTERPW rejected; key SECRETVALUE)"
    assert redact(text, s.secret_texts()) == (
        "Error connecting to redis+sentinel://***@h1:26379,h2/mymaster/2?sentinel_password=*** "
        "(*** rejected; key ***)"
    )


def test_mask_and_secrets_of_a_uri() -> None:
    assert mask_uri("redis://:p@ss@h:1/0") == "redis://***@h:1/0"  # an unencoded '@'
    assert mask_uri("memory://") == "memory://"
    assert set(uri_secrets("redis://user:p%40ss@h/0")) == {
        "user:p%40ss",
        "user:p@ss",
        "p%40ss",
        "p@ss",
    }
    assert redact("bad port 'pw'", ("pw",)) == "bad port '***'"  # short: only quoted whole
    assert redact("upward", ("pw",)) == "upward"


async def test_store_errors_in_logs_and_tracebacks_are_masked(clock: SimClock) -> None:
    """store_unavailable quotes the store's exception, and antiextract's stdlib logger
    prints tracebacks: both go through the configuration's secrets."""
    audit = io.StringIO()
    s = Settings(storage_uri="redis://agent:TOPSECRET@127.0.0.1:1/0", store_timeout=0.2,
                 store_retry_seconds=0.2)  # fmt: skip
    mw = AntiExtractMiddleware(App(), s, clock, logger=make_logger(stream=audit))
    ex = Exchange(chat_body())
    await mw(http_scope(headers=bearer()), ex.receive, ex.send)
    assert ex.status == 200 and "antiextract.store_unavailable" in audit.getvalue()
    assert mw._error_text(ValueError("redis://agent:TOPSECRET@127.0.0.1:1 said TOPSECRET")) == (
        "redis://***@127.0.0.1:1 said ***"
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    internal = logging.getLogger("antiextract")
    internal.addHandler(handler)
    try:
        try:
            raise ConnectionError("AUTH TOPSECRET refused by 127.0.0.1:1")
        except ConnectionError:
            internal.exception("antiextract: settlement failed for %s", "TOPSECRET")
    finally:
        internal.removeHandler(handler)
    logged = stream.getvalue()
    assert "ConnectionError: AUTH *** refused" in logged and "settlement failed for ***" in logged
    assert "TOPSECRET" not in logged + audit.getvalue()
    await mw.store.close()


# --- 5b. model values that break the arithmetic -----------------------------------------

NAN, INF = math.nan, math.inf
DIVISORS_AND_RATES = [
    (RiskModel, "risk", name, bad)
    for name in ("youth_days", "profile_half_life", "acute_half_life", "alpha", "acute_alpha")
    for bad in (0.0, -1.0, NAN, INF)
] + [(RiskModel, "risk", "slow_scale", bad) for bad in (0.0, 1e-300, -2.0, NAN, INF)] + [
    (RiskModel, "risk", name, bad)
    for name in (*(f"w_{t}" for t in TRAITS), "acute_cap", "sweep_weight", "slow_above")
    for bad in (-0.5, NAN, INF)
] + [
    (CohortModel, "campaign", name, bad)
    for name in ("full_young", "young_days", "half_life", "bucket_capacity", "bucket_refill")
    for bad in (0.0, -1.0, NAN, INF)
] + [
    (CohortModel, "campaign", name, bad)
    for name in ("min_young", "min_young_share", "min_harvest", "weight")
    for bad in (-1.0, NAN, INF)
] + [
    (SignalWeights, "signal", name, bad) for name in SignalWeights.names() for bad in (-1.0, NAN)
] + [
    (RiskModel, "risk", "alpha", 1.5),  # a step past the new value: shares leave 0..1
    (CohortModel, "campaign", "min_young_share", 1.01),  # no cohort could ever be a campaign
    (CohortModel, "campaign", "min_harvest", 2.0),
    (RiskModel, "risk", "w_elicit", MAX_WEIGHT * 2),
    (RiskModel, "risk", "acute_cap", 0.0),  # the whole acute level (and the sweep) off
    (CohortModel, "campaign", "min_young", 1e9),  # no cohort could ever be a campaign
    (CohortModel, "campaign", "full_young", 1e9),
    (CohortModel, "campaign", "part_min_young", 1e9),  # no wrapper part could ever link
    (CohortModel, "campaign", "part_full_young", 1e9),
]  # fmt: skip
ENV_OF = {
    "risk": "ANTIEXTRACT_RISK_MODEL",
    "campaign": "ANTIEXTRACT_CAMPAIGN_MODEL",
    "signal": "ANTIEXTRACT_SIGNAL_WEIGHTS",
}


@pytest.mark.parametrize(("cls", "kind", "name", "bad"), DIVISORS_AND_RATES)
def test_a_model_value_that_breaks_the_math_is_refused(monkeypatch, cls, kind, name, bad) -> None:
    """In the model itself (both stores, the Lua constants) and through its variable."""
    with pytest.raises(ValueError, match=name):
        cls(**{name: bad})
    text = repr(bad).replace("nan", "NaN").replace("inf", "Infinity")  # JSON's spelling
    message = refused(monkeypatch, **{ENV_OF[kind]: f'{{"{name}": {text}}}'})
    assert ENV_OF[kind] in message and name in message


def finite_in(low: float, high: float, *, above: bool = False) -> st.SearchStrategy[float]:
    return st.floats(low, high, exclude_min=above, allow_nan=False, allow_infinity=False)


ANY_POSITIVE = finite_in(0.0, 1e300, above=True) | st.sampled_from([5e-324, 1e-300, 1e300])
WEIGHT = finite_in(0.0, MAX_WEIGHT) | st.sampled_from([0.0, MAX_WEIGHT])
risk_models = st.builds(
    RiskModel,
    **{f"w_{t}": WEIGHT for t in TRAITS},
    alpha=finite_in(0.0, 1.0, above=True),
    youth_days=ANY_POSITIVE,
    acute_alpha=finite_in(0.0, 1.0, above=True),
    profile_half_life=ANY_POSITIVE,
    acute_half_life=ANY_POSITIVE,
    acute_cap=finite_in(0.0, MAX_WEIGHT, above=True) | st.sampled_from([1e-300, MAX_WEIGHT]),
    sweep_weight=WEIGHT,
    slow_above=finite_in(0.0, 1e300),
    slow_scale=finite_in(MIN_SLOW_SCALE, 1e300),
)


@st.composite
def cohort_models(draw: st.DrawFn) -> CohortModel:
    capacity = draw(finite_in(1e-3, 1e12))
    return CohortModel(
        min_young=draw(st.integers(1, 3)),
        full_young=draw(finite_in(1.0, MAX_COUNT)),
        min_young_share=draw(finite_in(0.0, 1.0)),
        min_harvest=draw(finite_in(0.0, 1.0)),
        weight=draw(WEIGHT),
        young_days=draw(ANY_POSITIVE),
        half_life=draw(ANY_POSITIVE),
        bucket_capacity=capacity,
        bucket_refill=draw(finite_in(capacity / MAX_TTL, 1e12)),
    )


requests = st.lists(
    st.tuples(finite_in(0.0, 30 * 86_400.0), st.integers(0, 31), finite_in(0.0, 20.0)),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("kind", ["memory", "redis"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=risk_models, cohort_model=cohort_models(), steps=requests)
def test_every_accepted_model_keeps_decisions_finite(kind, model, cohort_model, steps) -> None:
    """Any model the checks accept, on the smallest bucket Settings accept, through both
    stores (Redis: the Lua constants written from it): risk, tokens and waits stay finite."""
    limits = Limits(
        capacity=1000.0,
        refill=2 * 1000.0 / MAX_TTL,
        account=(WindowLimit("account", 1000, 60),),
        block_at=1e9,
    )
    asyncio.run(_drive(kind, limits, model, cohort_model, steps))


async def _drive(kind: str, limits: Limits, model: RiskModel, cm: CohortModel, steps) -> None:
    if kind == "memory":
        store: Any = MemoryStore(limits, model=model, cohort_model=cm)
    else:
        store = RedisStore(limits, await redis_client(), prefix="aecfg", model=model,
                           cohort_model=cm)  # fmt: skip
    now = 1_800_000_000.0
    try:
        for i, (gap, traits, acute) in enumerate(steps):
            now += gap
            cohort = CampaignCharge(
                (CohortView("t:tmpl", cm.weight, 40, 30, 1.0), CohortView("n:x", 1.0, 9, 9, 1.0))
            )
            signal = RiskInput(traits, acute, "tmpl", now - 3600.0 * i, 1.0)
            out = await store.evaluate(f"acct{i % 3}", "ip", 900.0, now, signal, cohort)
            a = out.assessment
            assert a is not None
            numbers = [out.tokens, out.retry_after, a.risk, a.youth, a.acute, *a.shares]
            numbers += [v.score for v in out.cohorts] + [v.retry_after for v in out.cohorts]
            assert all(math.isfinite(x) for x in numbers), (numbers, model, cm)
            factor = refill_factor(a.risk, model)
            assert 0 < factor <= 1
            assert math.isfinite(bucket_wait(-limits.capacity, limits.capacity, limits, factor))
    finally:
        await store.close()


@pytest.mark.parametrize("var", ["ANTIEXTRACT_IP_LIMITS", "ANTIEXTRACT_ACCOUNT_LIMITS"])
def test_a_window_longer_than_a_keys_lifetime_is_refused(monkeypatch, var: str) -> None:
    """`10/1000000000000 years` was accepted; its counters' TTL then exceeded what Redis
    takes, every Redis call failed and the store was silently bypassed for local limits."""
    message = refused(monkeypatch, **{var: "10/1000000000000 years"})
    assert var in message and "at most 17279970 s" in message
    monkeypatch.setenv(var, "10/199 days")
    load_settings()  # the longest window that fits is accepted


def test_thresholds_out_of_order_are_one_line_that_says_which_are_defaults(monkeypatch) -> None:
    """DEGRADE_AT=9 with BLOCK_AT=3 was reported as two clashes with an unset CHALLENGE_AT
    (the rule twice), never naming DEGRADE_AT against BLOCK_AT."""
    message = refused(monkeypatch, ANTIEXTRACT_DEGRADE_AT="9", ANTIEXTRACT_BLOCK_AT="3")
    assert (
        "ANTIEXTRACT_DEGRADE_AT=9, ANTIEXTRACT_CHALLENGE_AT=6 (default), ANTIEXTRACT_BLOCK_AT=3: "
        "the risk thresholds must rise" in message
    )
    assert message.count("must rise") == 1


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('{"scale": 0}', "scale=0"),
        ('{"cap_pos": 0, "reason_cap_pos": 0}', "cap_pos=0"),
        ('{"harvest": 0, "extract": 0, "churn": 0, "reason": 0}', "every kind's ratio (or cap) 0"),
        ('{"offset": 1000}', "offset=1000"),  # the zoo's old way: no score ever reaches it
        ('{"offset": 60, "half_life": 86400}', "offset=60"),
    ],
)
def test_evidence_settings_that_switch_it_off_silently_are_refused(
    monkeypatch, value, named
) -> None:
    message = refused(monkeypatch, ANTIEXTRACT_EVIDENCE_MODEL=value)
    assert "ANTIEXTRACT_EVIDENCE_MODEL" in message and named in message
    assert '{"off": true}' in message  # the named way, said in the refusal


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ANTIEXTRACT_EVIDENCE_MODEL": '{"scale": 1e-12}'}, "at most"),
        # the defaults reach at most (2 + 0.24 + 1.78 + 2.5) x (1 + 1 / (1 - 0.5 ** (1 / 7)))
        # = 6.52 x 11.607 = 75.68: offset 75.5 adds at most 0.2, under one unit of risk
        ({"ANTIEXTRACT_EVIDENCE_MODEL": '{"offset": 75.5}'}, "at most"),
        ({"ANTIEXTRACT_EVIDENCE_MODEL": '{"off": true, "scale": 5}'}, '"off": true and also'),
        ({"ANTIEXTRACT_TIER_FACTORS": '{"free": 0}'}, "free=0"),
        ({"ANTIEXTRACT_TIER_FACTORS": '{"pro": 0.5}'}, "ACCOUNT_TIER_HEADER is not"),
        (
            {"ANTIEXTRACT_TIER_FACTORS": '{"Pro ": 0.5, "pro": 0.4}',
             "ANTIEXTRACT_ACCOUNT_TIER_HEADER": "x-tier"},
            "the same once stripped",
        ),
        ({"ANTIEXTRACT_TRUSTED_PROXIES": "10.0.0.1/8"}, "all of 10.0.0.0/8"),
        ({"ANTIEXTRACT_ALLOW_SUBNETS": "192.168.1.7/24"}, "all of 192.168.1.0/24"),
    ],
)  # fmt: skip
def test_values_that_leave_a_protection_unable_to_act_are_refused(monkeypatch, env, named) -> None:
    """Each valid as a number, each would switch a protection off without a word: evidence
    that can never reach DEGRADE_AT on its own, a tier with no risk, tier factors no
    request can name, a CIDR with host bits that trusts (or allows) a whole network."""
    message = refused(monkeypatch, **env)
    assert named in message and next(iter(env)) in message, message


def test_tier_names_are_read_as_the_header_is(monkeypatch) -> None:
    # the default, passed explicitly (a replay's recorded settings), needs no tier header
    default = {"verified": 0.5, "enterprise": 0.2}
    assert load_settings(tier_factors=default).tier_factors == default
    monkeypatch.setenv("ANTIEXTRACT_TIER_FACTORS", '{"Pro ": 0.5}')
    monkeypatch.setenv("ANTIEXTRACT_ACCOUNT_TIER_HEADER", "x-tier")
    assert load_settings().tier_factors == {"pro": 0.5}
    monkeypatch.setenv("ANTIEXTRACT_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.1")
    assert [str(n) for n in load_settings().trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32"]


def test_evidence_off_by_name_is_accepted_and_logged_at_start_up(monkeypatch) -> None:
    """The one explicit switch: ``{"off": true}`` (benchmarks compare with and without);
    the evidence then adds nothing, and the middleware says so when it starts."""
    from antiextract.model.evidence import EvidenceModel, risk_added

    monkeypatch.setenv("ANTIEXTRACT_EVIDENCE_MODEL", '{"off": true, "ttl": 86400}')
    s = load_settings()
    m = EvidenceModel(**s.evidence_model)
    assert m.off is True and risk_added(50.0, m) == 0.0
    assert risk_added(50.0, EvidenceModel()) > 0  # what "off" takes away
    log = io.StringIO()
    AntiExtractMiddleware(App(), s, logger=make_logger(stream=log))
    lines = [line for line in log.getvalue().splitlines() if "evidence off" in line]
    assert len(lines) == 1 and "antiextract.evidence_off" in lines[0]
    quiet = io.StringIO()
    monkeypatch.setenv("ANTIEXTRACT_EVIDENCE_MODEL", "{}")
    AntiExtractMiddleware(App(), load_settings(), logger=make_logger(stream=quiet))
    assert "evidence off" not in quiet.getvalue()
