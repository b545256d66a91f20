"""State stores behind one interface: embedded memory (default) and Redis."""

from __future__ import annotations

from ..model.bucket import Limits
from ..model.cohorts import CohortModel
from ..model.risk import RiskModel
from .base import Store, StoreError
from .memory import MemoryStore

_REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "redis+sentinel")


def create_store(
    uri: str,
    limits: Limits,
    *,
    prefix: str = "ae",
    max_keys: int = 200_000,
    timeout: float = 0.25,
    model: RiskModel | None = None,
    cohort_model: CohortModel | None = None,
) -> Store:
    """The store a ``ANTIEXTRACT_STORAGE_URI`` names: ``memory://``, or Redis as
    ``redis://``, ``rediss://``, ``unix://`` (one server), ``redis+cluster://host:port[,...]``
    (Redis Cluster) or ``redis+sentinel://host:port[,...]/service_name[/db]`` (the master
    a Sentinel names); the grammar is in ``antiextract.store.redis``. A bad URI raises
    ``ValueError`` naming what is wrong (never the password)."""
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme == "memory":
        return MemoryStore(limits, max_keys=max_keys, model=model, cohort_model=cohort_model)
    if scheme not in _REDIS_SCHEMES:
        raise ValueError(
            f"storage URI scheme {scheme or '(none)'!r} is not known; accepted: memory://, "
            + ", ".join(f"{s}://" for s in _REDIS_SCHEMES)
        )
    from .redis import RedisStore  # imported lazily: the memory path needs no redis client

    return RedisStore.from_url(
        uri, limits, prefix=prefix, timeout=timeout, model=model, cohort_model=cohort_model
    )


__all__ = ["MemoryStore", "Store", "StoreError", "create_store"]
