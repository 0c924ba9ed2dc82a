"""The analytics admin: one module per concept, registered on import."""

from analytics.admin import anomalies, benchmarks, series, sources  # noqa: F401
