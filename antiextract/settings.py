"""Configuration: every knob is an ``ANTIEXTRACT_*`` environment variable.

Hosts such as vLLM's ``--middleware`` add a middleware class with no arguments, so the
environment is the only configuration channel that works everywhere. Values are checked
once, at start-up; a bad value stops the process with a message that names the variable,
the value and what is accepted, instead of surfacing later as a wrong decision.
"""

from __future__ import annotations

import difflib
import ipaddress
import itertools
import json
import logging
import math
import os
import re
import stat
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pydantic_settings
from limits import RateLimitItem, parse_many
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .model.bucket import MAX_TTL
from .redact import mask_uri, redact, uri_secrets

ENV_PREFIX = "ANTIEXTRACT_"
# ANTIEXTRACT_* variables read by something other than Settings: the gateway's upstream
# (proxy.py), the test-suite's Redis and scripts/test.sh's switch. Any other name that no
# setting reads is reported at start-up, so a misspelt setting never silently means its
# default.
OTHER_VARIABLES = frozenset(
    ENV_PREFIX + name for name in ("UPSTREAM", "TEST_REDIS_URL", "SKIP_LITELLM")
)
# An unknown name at least this similar (difflib's ratio, prefix left out) to a real one
# is taken for a misspelling of it, and stops start-up: FAIL_MOD for FAIL_MODE.
CLOSE_MATCH = 0.8

# Both spellings of the OpenAI paths: LiteLLM's proxy and several OpenAI-compatible servers
# also answer without the /v1 prefix, and an unprotected alias would be a bypass. Then the
# native generation routes of the servers the README names, which generate as much:
# /invocations (SageMaker: vLLM registers it on every server and runs chat or completions
# by the body; TGI too), TGI's /generate and /generate_stream, llama.cpp's /completion and
# /infill, Ollama's /api/chat and /api/generate. Protecting a route an app does not have
# costs nothing: it answers 404 as before.
DEFAULT_PATHS = (
    "/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions",
    "/v1/responses", "/responses", "/v1/messages",
    "/invocations", "/generate", "/generate_stream", "/completion", "/infill",
    "/api/chat", "/api/generate",
)  # fmt: skip
# Where the common servers read a caller's API key (antiextract reads all of them: a key in
# a place it did not read would let one real key be a new account on every request).
# Authorization: Bearer (OpenAI, vLLM, LiteLLM), Basic (LiteLLM); x-api-key (Anthropic);
# x-litellm-api-key (LiteLLM, read before Authorization); api-key (Azure OpenAI, LiteLLM);
# ocp-apim-subscription-key (Azure API Management, LiteLLM); x-goog-api-key (Gemini,
# LiteLLM); the query parameters key (Gemini, LiteLLM) and api_key.
DEFAULT_API_KEY_HEADERS = (
    "authorization", "x-api-key", "x-litellm-api-key", "api-key",
    "ocp-apim-subscription-key", "x-goog-api-key",
)  # fmt: skip
DEFAULT_API_KEY_QUERY_PARAMS = ("key", "api_key")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# An HTTP field name (RFC 9110 token).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
JsonObject = Annotated[dict[str, float], NoDecode]

if TYPE_CHECKING:
    from .model.evidence import EvidenceModel

_log = logging.getLogger("antiextract")


class SettingsError(ValueError):
    """Raised at start-up when an ``ANTIEXTRACT_*`` value is invalid."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """The effective configuration. Field ``x`` is read from ``ANTIEXTRACT_X``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        validate_default=True,
        # NaN passes every comparison check and inf turns a threshold or a rate into
        # "never": no setting means either
        allow_inf_nan=False,
    )

    storage_uri: str = Field(
        "memory://",
        description="Where state lives: memory:// (embedded, per process), redis://, rediss://, "
        "unix://, redis+cluster://, redis+sentinel://.",
    )
    mode: Literal["enforce", "shadow"] = Field(
        "enforce", description="enforce acts on decisions; shadow only logs and counts them."
    )
    paths: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_PATHS, description="Comma-separated request paths that are protected (POST)."
    )
    account_header: str | None = Field(
        None,
        description="Header set by a trusted auth layer that names the account. "
        "Unset: the account is a keyed hash of the API key, else the client IP.",
    )
    api_key_headers: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_API_KEY_HEADERS,
        description="Comma-separated headers an API key is read from (Authorization: its "
        "Bearer token, Basic credentials, or LiteLLM's AWS4 Credential; the others: the "
        "value, a 'Bearer ' prefix removed). A request whose places hold two different "
        "keys is refused (400, conflicting_credentials). '' = none.",
    )
    api_key_query_params: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_API_KEY_QUERY_PARAMS,
        description="Comma-separated query parameters an API key is read from, as the "
        "headers are ('' = none).",
    )
    trusted_proxies: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        (),
        description="Comma-separated CIDRs of the proxies (the auth layer) whose "
        "X-Forwarded-For and account, creation-time and tier headers are believed; from "
        "any other peer they are ignored. Unset: X-Forwarded-For is never believed and the "
        "auth headers are believed from everyone (start-up warns).",
    )
    bucket_capacity: int = Field(
        300_000, gt=0, description="Token bucket size per account, in LLM tokens."
    )
    bucket_refill_per_second: float = Field(
        1_000.0, gt=0, description="LLM tokens added back to an account's bucket per second."
    )
    max_output_tokens: int = Field(
        16_384,
        gt=0,
        description="Requested output tokens are charged up front, capped at this many.",
    )
    default_output_tokens: int = Field(
        16_384,
        gt=0,
        description="Output tokens charged up front when the request names none (as much as "
        "MAX_OUTPUT_TOKENS by default: a server may write up to the model's limit, and a "
        "burst reserved for less would be charged the rest past the debt floor, for free).",
    )
    account_limits: str = Field(
        "300/minute;20000/day",
        description="Request-count limits per account, in the `limits` grammar ('' = none).",
    )
    ip_limits: str = Field(
        "1200/minute",
        description="Request-count limits per client IP, in the `limits` grammar ('' = none).",
    )
    inspect_max_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Request bytes buffered and inspected; the rest is forwarded unread.",
    )
    secret: SecretStr | None = Field(
        None,
        description="Key for hashing API keys into account ids. Set the same value on every "
        "replica so they agree on account ids.",
    )
    key_prefix: str = Field(
        "ae", pattern=r"^[A-Za-z0-9_.-]{1,32}$", description="Redis key prefix."
    )
    memory_max_keys: int = Field(
        200_000, gt=0, description="Embedded store: most accounts and IPs kept (LRU beyond)."
    )
    store_timeout: float = Field(
        0.25,
        gt=0,
        le=10,
        description="Seconds a Redis call may take on the hot path before local limits take over.",
    )
    store_retry_seconds: float = Field(
        5.0,
        gt=0,
        description="After a store failure, seconds on local limits before Redis is tried again.",
    )
    store_retry_max_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest wait between probes of a failing store: after STORE_RETRY_SECONDS "
        "one request probes it; each failed probe doubles the wait up to this (minus up to "
        "10% jitter, so replicas do not probe together).",
    )
    fail_mode: Literal["open", "closed"] = Field(
        "open",
        description="While the store is unreachable: open serves on local in-memory limits "
        "(a burst stays bounded per process); closed refuses protected requests with 503 "
        "in the API's format and Retry-After.",
    )
    sdk_retry_ceiling: float = Field(
        60.0,
        gt=0,
        description="Above this Retry-After (s), 429s say x-should-retry: false, because the "
        "official SDKs either ignore longer waits or would sleep for them blindly.",
    )
    account_created_header: str | None = Field(
        None,
        description="Header from a trusted auth layer with the account's creation time "
        "(Unix seconds or ISO 8601); without it an account's age counts from first sight.",
    )
    account_tier_header: str | None = Field(
        None,
        description="Header from a trusted auth layer naming the account's tier "
        "(see ANTIEXTRACT_TIER_FACTORS).",
    )
    tier_factors: JsonObject = Field(
        {"verified": 0.5, "enterprise": 0.2},
        description="JSON: risk multiplier per tier named by the tier header.",
    )
    signal_weights: JsonObject = Field(
        {},
        description='JSON: overrides of stateless signal weights, e.g. {"logprobs": 2}.',
    )
    risk_model: JsonObject = Field(
        {},
        description="JSON: overrides of the risk model (trait weights, alpha, youth_days, "
        "acute_half_life, ...).",
    )
    evidence_model: JsonObject = Field(
        {},
        description="JSON: overrides of the per-account evidence model (likelihood ratios "
        "per kind, cap_pos, cap_neg, floor, half_life, alpha, offset, scale, ...).",
    )
    surge_model: JsonObject = Field(
        {},
        description="JSON: overrides of the surge prior (model/surge.py: prior_share, "
        "prior_weight, window_hours, min_count, ratio, z, weight, min_youth; "
        '{"off": true} switches it off).',
    )
    degrade_at: float = Field(3.0, ge=0, description="Risk at which requests are degraded.")
    challenge_at: float = Field(
        6.0, ge=0, description="Risk at which a proof-of-work challenge is required."
    )
    block_at: float = Field(9.0, ge=0, description="Risk at which the account is blocked.")
    block_seconds: float = Field(
        3_600.0, gt=0, description="Cool-down of an automatic block, in seconds."
    )
    challenge_secret: SecretStr | None = Field(
        None,
        description="Key that signs proof-of-work challenge tokens (default: derived from "
        "ANTIEXTRACT_SECRET). Kept apart from SECRET so it can rotate without re-keying "
        "accounts.",
    )
    previous_challenge_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        (),
        description="Comma-separated former challenge secrets, still accepted during a rotation.",
    )
    challenge_enabled: bool = Field(
        True, description="Ask a proof-of-work at CHALLENGE_AT; off: degrade instead."
    )
    challenge_base_bits: int = Field(
        16,
        ge=1,
        le=32,
        description="Proof-of-work difficulty (leading zero bits) at "
        "CHALLENGE_AT; it grows to CHALLENGE_MAX_BITS at BLOCK_AT.",
    )
    challenge_max_bits: int = Field(22, ge=1, le=32, description="Hardest proof-of-work.")
    verification_url: str | None = Field(
        None, description="Step-up identity verification page named in challenges."
    )
    degrade_max_output_tokens: int = Field(
        512, gt=0, description="Output budget a degraded request is capped at."
    )
    degrade_model_map: Annotated[dict[str, str], NoDecode] = Field(
        {}, description="JSON: model a degraded request is routed to, per requested model."
    )
    tarpit_max_seconds: float = Field(
        0.0,
        ge=0,
        le=60,
        description="Delay added to degraded requests, growing with risk "
        "up to this at BLOCK_AT (0: off).",
    )
    campaigns_enabled: bool = Field(
        True, description="Track cohorts (template, subnet, client) and act on campaigns."
    )
    campaign_model: JsonObject = Field(
        {},
        description="JSON: overrides of the campaign model (min_young, min_young_share, "
        "min_harvest, weight, young_days, bucket_capacity, bucket_refill, ...).",
    )
    intel: Literal["embedded", "worker", "off"] = Field(
        "embedded",
        description="The intelligence plane (cross-account analysis, off the request path): "
        "embedded runs the analyzer in this process (on Redis: one replica per partition, "
        "by lease); worker: this replica only emits records and reads verdicts, `antiextract "
        "worker` processes analyse; off: no records, no verdicts.",
    )
    flush_ms: int = Field(
        250,
        gt=0,
        le=60_000,
        description="Milliseconds between two flushes of a replica's "
        "buffered intelligence records to Redis.",
    )
    flush_records: int = Field(
        512,
        gt=0,
        le=100_000,
        description="Buffered records that trigger a flush before FLUSH_MS is up.",
    )
    intel_buffer: int = Field(
        65_536,
        gt=0,
        le=10_000_000,
        description="Records a replica buffers at most; when "
        "full (Redis down or slow) the oldest are dropped and counted.",
    )
    verdict_refresh_ms: int = Field(
        1_000,
        gt=0,
        le=600_000,
        description="Milliseconds between two reads of the verdict "
        "version in Redis (the verdicts themselves are read only when it changed).",
    )
    verdict_ttl: int = Field(
        3_600,
        ge=60,
        le=7 * 86_400,
        description="Seconds a campaign verdict holds after the "
        "last record that renewed it (an analyzer down: verdicts last this long).",
    )
    allow_accounts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated account ids (as in the audit log) never scored."
    )
    allow_cohorts: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated cohort ids (t:<template>, c:<client>, l:<band>) that "
        "never count towards a campaign, e.g. a known app's template.",
    )
    allow_subnets: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        (), description="Comma-separated CIDRs whose subnet cohorts never count."
    )
    allowlist_refresh_seconds: float = Field(
        10.0,
        ge=0,
        description="How often each replica re-reads the allowlist entries `antiextract "
        "allow` keeps in the store, in the background (0: env allowlists only).",
    )
    gc_freeze_seconds: float = Field(
        0.0,
        ge=0,
        description="Opt-in: every this many seconds, move what the process holds into "
        "the garbage collector's permanent generation (`gc.freeze()`), so full collections "
        "stop walking the embedded store's long-lived state (0: never).",
    )
    log_format: Literal["json", "console"] = Field("json", description="Audit log rendering.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    audit_sample_rate: float = Field(
        0.0, ge=0.0, le=1.0, description="Share of allowed requests that also get an audit event."
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of a listener of its own serving the Prometheus metrics (unset: "
        "none; the gateway then serves no metrics at all, and never on its client port).",
    )
    metrics_host: str = Field(
        "127.0.0.1",
        min_length=1,
        description="Address the metrics listener binds: loopback unless set otherwise "
        "(0.0.0.0 or a private address to let a Prometheus on another host scrape it).",
    )
    record_file: str | None = Field(
        None,
        min_length=1,
        description="Local JSONL file the recorder appends protected requests to, for "
        "`antiextract replay` (unset: nothing recorded). It holds prompt text: see the "
        "README's privacy note.",
    )
    record_max_bytes: int = Field(
        100_000_000,
        ge=1_000,
        description="The recorder stops once RECORD_FILE reaches this size (bytes).",
    )

    @field_validator("gc_freeze_seconds")
    @classmethod
    def _freeze_interval(cls, v: float) -> float:
        if 0 < v < 1:  # each freeze starts with a full collection: 1e-9 spent 0.67 CPU s/s
            raise ValueError("must be 0 (never) or at least 1 second (each freeze collects)")
        return v

    @field_validator("paths", mode="before")
    @classmethod
    def _parse_paths(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list | tuple):
            if not value:  # nothing protected is the middleware switched off, silently
                raise ValueError("at least one path is needed, e.g. /v1/chat/completions")
            for path in value:
                if not isinstance(path, str) or not path.startswith("/"):
                    raise ValueError(f"each path must start with '/', got {path!r}")
        return value

    @field_validator("api_key_headers", mode="before")
    @classmethod
    def _parse_key_headers(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list | tuple):
            for name in value:
                if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                    raise ValueError(f"expected header names such as x-api-key, got {name!r}")
            return tuple(dict.fromkeys(name.lower() for name in value))
        return value

    @field_validator("api_key_query_params", mode="before")
    @classmethod
    def _parse_key_params(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list | tuple):
            for name in value:
                if not isinstance(name, str) or not name or any(c in name for c in "&=#?"):
                    raise ValueError(f"expected query parameter names such as key, got {name!r}")
            return tuple(dict.fromkeys(value))
        return value

    @field_validator(
        "tier_factors",
        "signal_weights",
        "risk_model",
        "evidence_model",
        "surge_model",
        "campaign_model",
        "degrade_model_map",
        mode="before",
    )
    @classmethod
    def _parse_json(cls, value: object) -> object:
        """JSON from the environment, parsed here rather than by pydantic-settings, whose
        parse error names neither the variable nor the value (a SettingsError of its own)."""
        if not isinstance(value, str | bytes):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise ValueError(
                f'not valid JSON ({reason}); expected an object such as {{"name": 1.5}}'
            ) from None

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _blank_port(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allow_accounts", "allow_cohorts", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("allow_cohorts")
    @classmethod
    def _check_cohorts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from .model.allowlist import parse_target

        return tuple(parse_target(v, "cohort")[1] for v in value)

    @field_validator("campaign_model")
    @classmethod
    def _check_campaign(cls, value: dict[str, float]) -> dict[str, float]:
        from .model.cohorts import CohortModel

        _check_keys(value, tuple(CohortModel.__dataclass_fields__))
        CohortModel(**value)  # its own range checks, named with the variable
        return value

    @field_validator("trusted_proxies", "allow_subnets", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list | tuple):
            try:
                return tuple(_network(str(v)) for v in value)
            except ValueError as exc:
                raise ValueError(f"expected CIDRs such as 10.0.0.0/8,::1/128 ({exc})") from None
        return value

    @field_validator("previous_challenge_secrets", mode="before")
    @classmethod
    def _parse_secrets(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("signal_weights")
    @classmethod
    def _check_weights(cls, value: dict[str, float]) -> dict[str, float]:
        from .request.signals import SignalWeights

        _check_keys(value, SignalWeights.names())
        SignalWeights(**value)
        return value

    @field_validator("risk_model")
    @classmethod
    def _check_model(cls, value: dict[str, float]) -> dict[str, float]:
        from .model.risk import RiskModel

        _check_keys(value, tuple(RiskModel.__dataclass_fields__))
        RiskModel(**value)
        return value

    @field_validator("evidence_model")
    @classmethod
    def _check_evidence(cls, value: dict[str, float]) -> dict[str, float]:
        from .model.evidence import EvidenceModel

        _check_keys(value, tuple(EvidenceModel.__dataclass_fields__))
        why = _evidence_switched_off(EvidenceModel(**value))
        if why:
            raise ValueError(
                f"{why}: the per-account evidence would silently add nothing to any risk; "
                'to switch it off on purpose set {"off": true} (start-up logs "evidence off")'
            )
        return value

    @field_validator("surge_model")
    @classmethod
    def _check_surge(cls, value: dict[str, Any]) -> dict[str, Any]:
        from .model.surge import SurgeModel

        _check_keys(value, tuple(SurgeModel.__dataclass_fields__))
        if value.get("off") and len(value) > 1:
            raise ValueError(
                '"off": true together with other fields: switched off, the surge prior '
                "weighs on nothing; set one or the other"
            )
        m = SurgeModel(**value)
        if not m.off and m.weight == 0:
            raise ValueError(
                "weight 0: a surge would silently add nothing to any risk; to switch the "
                'surge prior off on purpose set {"off": true} (start-up logs "surge off")'
            )
        return value

    @field_validator("tier_factors")
    @classmethod
    def _check_tiers(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [f"{k}={v!r}" for k, v in value.items() if not 0 < v <= 1]
        if bad:
            # 0 would take every risk of the tier away: no protection acts on it
            raise ValueError(f"tier factors must be > 0 and <= 1, got {', '.join(bad)}")
        # the header's tier is read stripped and lower-cased: so are the names here
        names = {k: k.strip().lower() for k in value}
        if any(not n for n in names.values()) or len(set(names.values())) < len(names):
            raise ValueError(
                f"tier names {sorted(value)!r} are empty or the same once stripped and "
                "lower-cased (as the tier header is read)"
            )
        return {names[k]: v for k, v in value.items()}

    @field_validator("account_limits", "ip_limits")
    @classmethod
    def _check_limits(cls, value: str) -> str:
        parse_limits(value)
        return value

    @field_validator("storage_uri")
    @classmethod
    def _check_uri(cls, value: str) -> str:
        """The whole URI is parsed here, as the store will parse it, so a URI the store
        cannot use stops start-up with the variable's name; never quoting a password."""
        try:
            check_storage_uri(value)
        except ValueError as exc:
            raise ValueError(redact(str(exc), uri_secrets(value))) from None
        return value

    @model_validator(mode="after")
    def _check_together(self) -> Settings:
        problems = combination_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def account_rate_limits(self) -> tuple[RateLimitItem, ...]:
        return parse_limits(self.account_limits)

    @property
    def ip_rate_limits(self) -> tuple[RateLimitItem, ...]:
        return parse_limits(self.ip_limits)

    def secret_texts(self) -> tuple[str, ...]:
        """Every configured secret, for :func:`antiextract.redact.redact`: the storage
        URI's credentials, SECRET and the challenge secrets."""
        values = [self.secret, self.challenge_secret, *self.previous_challenge_secrets]
        found = {v.get_secret_value() for v in values if v is not None}
        return uri_secrets(self.storage_uri) + tuple(sorted(found - {""}))


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR with no host bits set: 10.0.0.1/8 is refused, naming the network it would
    have widened to (a trusted range far larger than meant)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        wide = ipaddress.ip_network(text.strip(), strict=False)  # raises if not a CIDR at all
        raise ValueError(
            f"{text.strip()} has host bits set: it would mean all of {wide}; write the "
            "network (or the address alone, /32 or /128)"
        ) from None


_STORE_SCHEMES = ("memory", "redis", "rediss", "unix", "redis+cluster", "redis+sentinel")


def check_storage_uri(uri: str) -> None:
    """``ValueError`` naming what is wrong with a storage URI (parsed, nothing connects)."""
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme not in _STORE_SCHEMES:
        raise ValueError(
            "expected memory://, redis://host:port/db, rediss://…, unix://…, "
            "redis+cluster://host:port[,host:port…] or "
            "redis+sentinel://host:port[,host:port…]/service_name[/db]"
        )
    if scheme == "memory":
        return
    from .store.redis import parse_uri  # redis-py only when a Redis URI is configured

    parse_uri(uri)


def combination_problems(s: Settings) -> list[str]:
    """Values each valid alone that together make protection meaningless or break it;
    each problem names both variables, as one line."""
    v = ENV_PREFIX
    problems = []
    ladder = [("DEGRADE_AT", s.degrade_at)]
    if s.challenge_enabled:  # CHALLENGE_AT is not a step of the ladder when challenges are off
        ladder.append(("CHALLENGE_AT", s.challenge_at))
    ladder.append(("BLOCK_AT", s.block_at))
    if any(a > b for (_, a), (_, b) in itertools.pairwise(ladder)):
        # One line for the whole ladder, saying which values are defaults: a DEGRADE_AT
        # above BLOCK_AT is named as such, not as two clashes with an unset CHALLENGE_AT.
        shown = ", ".join(
            f"{v}{name}={value:g}" + ("" if name.lower() in s.model_fields_set else " (default)")
            for name, value in ladder
        )
        problems.append(
            f"{shown}: the risk thresholds must rise, DEGRADE_AT <= "
            + ("CHALLENGE_AT <= " if s.challenge_enabled else "")
            + "BLOCK_AT, mildest action first"
        )
    if s.challenge_base_bits > s.challenge_max_bits:
        problems.append(
            f"{v}CHALLENGE_BASE_BITS={s.challenge_base_bits} is above "
            f"{v}CHALLENGE_MAX_BITS={s.challenge_max_bits}: the difficulty grows from the "
            "base to the maximum, so no challenge could be issued"
        )
    if s.store_retry_seconds > s.store_retry_max_seconds:
        problems.append(
            f"{v}STORE_RETRY_SECONDS={s.store_retry_seconds:g} is above "
            f"{v}STORE_RETRY_MAX_SECONDS={s.store_retry_max_seconds:g}: the first wait "
            "between probes of a failing store cannot exceed the longest"
        )
    if s.store_timeout > s.store_retry_seconds:
        problems.append(
            f"{v}STORE_TIMEOUT={s.store_timeout:g} is longer than "
            f"{v}STORE_RETRY_SECONDS={s.store_retry_seconds:g}: a hung store would hold "
            "each probe longer than the back-off between probes"
        )
    if s.intel == "worker" and s.storage_uri.lower().startswith("memory://"):
        problems.append(
            f"{v}INTEL=worker with {v}STORAGE_URI=memory://: no `antiextract worker` can "
            "reach a memory store, so nothing would ever analyse; use embedded (or Redis)"
        )
    if s.intel_buffer < s.flush_records:
        problems.append(
            f"{v}INTEL_BUFFER={s.intel_buffer} is smaller than "
            f"{v}FLUSH_RECORDS={s.flush_records}: the buffer would drop records before a "
            "flush by count could ever start"
        )
    if 2 * s.verdict_refresh_ms >= 1000 * s.verdict_ttl:
        problems.append(
            f"{v}VERDICT_TTL={s.verdict_ttl} is not more than two "
            f"{v}VERDICT_REFRESH_MS={s.verdict_refresh_ms} intervals: replicas would drop "
            "campaign verdicts before reading their renewals"
        )
    refill_seconds = 2 * s.bucket_capacity / s.bucket_refill_per_second  # from -capacity
    if refill_seconds > MAX_TTL:
        problems.append(
            f"{v}BUCKET_CAPACITY={s.bucket_capacity} at "
            f"{v}BUCKET_REFILL_PER_SECOND={s.bucket_refill_per_second:g} takes "
            f"{refill_seconds / 86_400:,.0f} days to refill from the deepest debt, longer "
            f"than an idle account is kept ({MAX_TTL // 86_400} days), so it would come back "
            "full sooner; "
            f"refill at least {2 * s.bucket_capacity / MAX_TTL:.3g} tokens/s"
        )
    # (the default is harmless: a replay or a dumped configuration passes it explicitly)
    default_tiers = type(s).model_fields["tier_factors"].default
    if s.tier_factors and s.tier_factors != default_tiers and not s.account_tier_header:
        problems.append(
            f"{v}TIER_FACTORS is set but {v}ACCOUNT_TIER_HEADER is not: no request would "
            "ever name a tier, so the factors would never apply"
        )
    # scale and offset only shape what the evidence adds to a risk: with "off" nothing
    others = sorted(k for k in ("scale", "offset") if k in s.evidence_model)
    if s.evidence_model.get("off") and others:
        problems.append(
            f'{v}EVIDENCE_MODEL has "off": true and also sets {", ".join(others)}: switched '
            "off, the evidence adds nothing to any risk; set one or the other"
        )
    evidence_top = _evidence_top(s.evidence_model)
    if evidence_top is not None and evidence_top < MIN_EVIDENCE_TOP:
        problems.append(
            f"{v}EVIDENCE_MODEL={json.dumps(s.evidence_model)}: the evidence could add at "
            f"most {evidence_top:.3g} to a risk (accepted: at least {MIN_EVIDENCE_TOP:g}), "
            'so it would silently never act; to switch it off on purpose set {"off": true}'
        )
    if s.record_file is not None:
        problem = _record_file_problem(s.record_file)
        if problem:
            problems.append(f"{v}RECORD_FILE={s.record_file}: {problem}")
    if s.default_output_tokens > s.max_output_tokens:
        problems.append(
            f"{v}DEFAULT_OUTPUT_TOKENS={s.default_output_tokens} is above "
            f"{v}MAX_OUTPUT_TOKENS={s.max_output_tokens}: a request naming no output budget "
            "would be charged more than one asking for the most"
        )
    return problems


def _record_file_problem(path: str) -> str | None:
    """Why the recorder could not append to ``path`` (a local file), or None."""
    if "://" in path:
        return "the recorder writes a local file only, not a URL"
    target = os.path.abspath(path)
    if os.path.isdir(target):
        return "is a directory"
    if os.path.lexists(target) and not os.path.exists(target):
        return "is a symbolic link to nothing"
    if os.path.islink(target):
        # prompt text would go wherever the link points (it is opened with O_NOFOLLOW)
        return "is a symbolic link (name the file itself)"
    if os.path.exists(target):
        # a regular file only: a FIFO blocks the start-up, /dev/stdout puts prompt text in
        # the process log and has no size for RECORD_MAX_BYTES to bound
        st = os.stat(target)
        if not stat.S_ISREG(st.st_mode):
            return "is not a regular file (a device, FIFO or socket)"
        problem = record_file_owner_problem(st)
        if problem is None and not os.access(target, os.W_OK):
            problem = "is not writable"
        return problem
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        return f"its directory {parent} does not exist"
    return None if os.access(parent, os.W_OK) else f"its directory {parent} is not writable"


def record_file_owner_problem(st: os.stat_result) -> str | None:
    """Why an existing recording file must not take prompt text, or None: it holds prompt
    text, so it must be the server's own (owned by its user, no access for group or
    others; the recorder creates it so)."""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"is owned by user id {st.st_uid}, not this process's ({os.geteuid()})"
    if st.st_mode & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        return f"is readable or writable by group or others (mode {mode:o}; chmod 600 it)"
    return None


# The least the evidence must be able to add to a risk at its highest score: a judgement
# bound (README, EVIDENCE_MODEL), one unit of risk, a third of the default DEGRADE_AT;
# the defaults' upper bound is 84.0 (four kinds).
MIN_EVIDENCE_TOP = 1.0


def _evidence_top(value: dict[str, Any]) -> float | None:
    """The most the evidence can add to a risk (its score's upper bound past the offset,
    times the scale), or None when it is off or its values are refused anyway."""
    from .model.evidence import EvidenceModel

    try:
        m = EvidenceModel(**value)
    except (TypeError, ValueError):
        return None
    if m.off or _evidence_switched_off(m):
        return None
    return (_evidence_reachable(m) - m.offset) * m.scale


def _evidence_reachable(m: EvidenceModel) -> float:
    """The highest score the evidence can reach (see _evidence_switched_off)."""
    from .model.evidence import KINDS

    daily = sum(min(m.caps(k)[0], m.ratios(k)[0]) for k in range(len(KINDS)))
    d = 0.5 ** (86_400 / m.half_life)
    return math.inf if d >= 1 else daily * (1 + 1 / (1 - d))


def _evidence_switched_off(m: EvidenceModel) -> str | None:
    """Why an evidence model (not marked ``off``) could never add risk, or None. Per kind a
    UTC day adds at most min(its cap_pos, its ratio); with decay the sum over days stays under
    one day's worth times (1 + 1 / (1 - d)), d the decay over a day: an offset at or above
    that bound is never passed."""
    if m.off:
        return None
    if m.scale == 0:
        return "scale=0"
    from .model.evidence import KINDS

    daily = sum(min(m.caps(k)[0], m.ratios(k)[0]) for k in range(len(KINDS)))
    if daily == 0:
        return "cap_pos=0" if m.cap_pos == 0 else "every kind's ratio (or cap) 0"
    d = 0.5 ** (86_400 / m.half_life)
    reachable = math.inf if d >= 1 else daily * (1 + 1 / (1 - d))
    if m.offset >= reachable:
        return f"offset={m.offset:g} (no score can reach it: at most {reachable:.3g})"
    return None


def _check_keys(value: dict[str, float], known: tuple[str, ...]) -> None:
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; accepted: {', '.join(known)}")


def parse_limits(text: str) -> tuple[RateLimitItem, ...]:
    """Parse ``600/minute;20000/day`` with the `limits` grammar; '' means no limit."""
    if not text.strip():
        return ()
    try:
        items = tuple(parse_many(text))
    except ValueError:
        raise ValueError(
            "expected rate limits in the `limits` grammar, e.g. '600/minute;20000/day'"
        ) from None
    if any(item.amount <= 0 for item in items):
        raise ValueError("each limit needs a positive amount")
    from .model.bucket import MAX_TTL

    longest = (MAX_TTL - 60) // 2  # a window's counters are kept two windows long
    for item in items:
        if item.get_expiry() > longest:
            raise ValueError(
                f"the window of {item} is {item.get_expiry()} s; at most {longest} s "
                f"({longest // 86_400} days): its counters must fit in a key's lifetime"
            )
    return items


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (and overrides), every problem in one line.

    ``ANTIEXTRACT_*`` names that no setting reads are checked first: one that looks like
    a misspelt setting is an error (it would silently leave that setting at its default),
    any other is one warning line."""
    misspelt, unknown = unknown_variables(os.environ)
    problems = [
        f"{name} is not a setting; did you mean {meant}? (as written it is ignored and "
        f"{meant} keeps its default)"
        for name, meant in misspelt
    ]
    settings = None
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems += error_lines(exc)
    except pydantic_settings.SettingsError as exc:  # a source failed before validation
        problems.append(redact(str(exc)))
    if problems or settings is None:
        raise SettingsError("invalid antiextract configuration: " + "; ".join(problems))
    if unknown:
        _log.warning(
            "antiextract: no setting reads %s; ignored (the settings are listed by "
            "`antiextract config`)",
            ", ".join(unknown),
        )
    return settings


def unknown_variables(
    environ: Mapping[str, str],
) -> tuple[list[tuple[str, str]], list[str]]:
    """``ANTIEXTRACT_*`` names no setting reads: (name, the setting it resembles) pairs,
    and the names that resemble none. Values are never looked at (one may be a secret)."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | OTHER_VARIABLES
    stems = [name[len(ENV_PREFIX) :] for name in sorted(known)]
    misspelt, unknown = [], []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        close = difflib.get_close_matches(upper[len(ENV_PREFIX) :], stems, 1, CLOSE_MATCH)
        if close:
            misspelt.append((name, ENV_PREFIX + close[0]))
        else:
            unknown.append(name)
    return misspelt, unknown


_SECRET_FIELDS = frozenset({"secret", "challenge_secret", "previous_challenge_secrets"})


def error_lines(exc: ValidationError) -> list[str]:
    """One clause per error: the variable, its value (secrets hidden, URIs masked) and
    what is accepted."""
    lines = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        loc = [str(p) for p in err["loc"]]
        if not loc:  # a check across fields: its message names every variable
            lines.append(message)
            continue
        env = ENV_PREFIX + loc[0].upper()
        value = err.get("input")
        if loc[0] in _SECRET_FIELDS:
            shown = "<secret>"
        elif isinstance(value, str):
            shown = repr(mask_uri(value) if loc[0] == "storage_uri" else redact(value))
        else:
            shown = redact(repr(value))
        if len(loc) > 1:  # a key inside a JSON setting
            lines.append(f"{env}: {'.'.join(loc[1:])!r}={shown}: {message}")
        else:
            lines.append(f"{env}={shown}: {message}")
    return lines


def describe_errors(exc: ValidationError) -> str:
    return "invalid antiextract configuration: " + "; ".join(error_lines(exc))
