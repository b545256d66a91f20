"""Configuration: every knob is an ``ANTIEXTRACT_*`` environment variable.

Hosts such as vLLM's ``--middleware`` add a middleware class with no arguments, so the
environment is the only configuration channel that works everywhere. Values are checked
once, at start-up; a bad value stops the process with a message that names the variable,
the value and what is accepted, instead of surfacing later as a wrong decision.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from limits import RateLimitItem, parse_many
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "ANTIEXTRACT_"

# Both spellings of the OpenAI paths: LiteLLM's proxy and several OpenAI-compatible servers
# also answer without the /v1 prefix, and an unprotected alias would be a bypass.
DEFAULT_PATHS = (
    "/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions",
    "/v1/responses", "/responses", "/v1/messages",
)  # fmt: skip

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
        1_024, gt=0, description="Output tokens charged up front when the request names none."
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
    tier_factors: dict[str, float] = Field(
        {"verified": 0.5, "enterprise": 0.2},
        description="JSON: risk multiplier per tier named by the tier header.",
    )
    signal_weights: dict[str, float] = Field(
        {},
        description='JSON: overrides of stateless signal weights, e.g. {"logprobs": 2}.',
    )
    risk_model: dict[str, float] = Field(
        {},
        description="JSON: overrides of the risk model (trait weights, alpha, youth_days, "
        "acute_half_life, ...).",
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
    degrade_model_map: dict[str, str] = Field(
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
    campaign_model: dict[str, float] = Field(
        {},
        description="JSON: overrides of the campaign model (min_young, min_young_share, "
        "min_harvest, weight, young_days, bucket_capacity, bucket_refill, ...).",
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

    @field_validator("paths", mode="before")
    @classmethod
    def _parse_paths(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list | tuple):
            for path in value:
                if not isinstance(path, str) or not path.startswith("/"):
                    raise ValueError(f"each path must start with '/', got {path!r}")
        return value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _blank_port(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allow_accounts", "allow_cohorts", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("campaign_model")
    @classmethod
    def _check_campaign(cls, value: dict[str, float]) -> dict[str, float]:
        from .cohorts import CohortModel

        _check_keys(value, tuple(CohortModel.__dataclass_fields__))
        CohortModel(**value)  # its own checks (the TTL), named with the variable
        return value

    @field_validator("trusted_proxies", "allow_subnets", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list | tuple):
            try:
                return tuple(ipaddress.ip_network(str(v), strict=False) for v in value)
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
        from .signals import SignalWeights

        _check_keys(value, SignalWeights.names())
        return value

    @field_validator("risk_model")
    @classmethod
    def _check_model(cls, value: dict[str, float]) -> dict[str, float]:
        from .risk import RiskModel

        _check_keys(value, tuple(RiskModel.__dataclass_fields__))
        return value

    @field_validator("tier_factors")
    @classmethod
    def _check_tiers(cls, value: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= v <= 1 for v in value.values()):
            raise ValueError("tier factors must be between 0 and 1")
        return value

    @field_validator("account_limits", "ip_limits")
    @classmethod
    def _check_limits(cls, value: str) -> str:
        parse_limits(value)
        return value

    @field_validator("storage_uri")
    @classmethod
    def _check_uri(cls, value: str) -> str:
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in {"memory", "redis", "rediss", "unix", "redis+cluster", "redis+sentinel"}:
            raise ValueError(
                "expected memory://, redis://host:port/db, rediss://…, unix://…, "
                "redis+cluster://host:port[,host:port…] or "
                "redis+sentinel://host:port[,host:port…]/service_name[/db]"
            )
        return value

    @property
    def account_rate_limits(self) -> tuple[RateLimitItem, ...]:
        return parse_limits(self.account_limits)

    @property
    def ip_rate_limits(self) -> tuple[RateLimitItem, ...]:
        return parse_limits(self.ip_limits)


def _check_keys(value: dict[str, float], known: tuple[str, ...]) -> None:
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; accepted: {', '.join(known)}")
    if any(v < 0 for v in value.values()):
        raise ValueError("weights must be >= 0")


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
    return items


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (and overrides), turning errors into one message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    lines = ["invalid antiextract configuration:"]
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"][:1]) or "?"
        env = ENV_PREFIX + field.upper()
        value = err.get("input")
        shown = "<secret>" if field == "secret" else repr(value)
        lines.append(f"  {env}={shown}: {err['msg']}")
    return "\n".join(lines)
