"""The adversary zoo (shared/threats.md): randomised, seeded traffic of every attack family
and honest population, replayed through the middleware. ``python -m benchmarks.zoo --help``."""
