"""Insight rules and recommendations, reports (HTML, PDF, email) and the executive dashboard."""
