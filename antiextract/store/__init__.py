"""State stores behind one interface: embedded memory (default) and Redis."""

from __future__ import annotations

from ..bucket import Limits
from ..cohorts import CohortModel
from ..risk import RiskModel
from .base import Store, StoreError
from .memory import MemoryStore


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
    """The store a ``ANTIEXTRACT_STORAGE_URI`` names."""
    if uri.startswith("memory://"):
        return MemoryStore(limits, max_keys=max_keys, model=model, cohort_model=cohort_model)
    from .redis import RedisStore  # imported lazily: the memory path needs no redis client

    return RedisStore.from_url(
        uri, limits, prefix=prefix, timeout=timeout, model=model, cohort_model=cohort_model
    )


__all__ = ["MemoryStore", "Store", "StoreError", "create_store"]
