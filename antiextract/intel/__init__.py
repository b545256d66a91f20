"""The intelligence plane: cross-account analysis, off the request path.

A campaign is a slow, many-account aggregate: seeing it seconds late costs nothing, so
the request path only emits a compact record per request (``records``) into a bounded
buffer and reads verdicts from a local cache (``verdicts``). Analysers fold the records
into per-cohort counts (``model.cohorts.fold_counts``) and publish verdicts: in this
process over the memory store (``memory``), through a Redis Stream and a consumer group
over Redis (``redis``). ``plane.intel_for`` picks one.
"""
