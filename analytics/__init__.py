"""Trends, forecasts, period comparison, anomaly detection, benchmarks, usage analytics
and incident metrics (MTTA/MTTR)."""
