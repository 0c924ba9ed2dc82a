"""Every insight rule, one small module each."""

from insights.rules import (
    anomaly_clusters,
    business_trends,
    metric_data_quality,
    noisy_alerts,
    oncall_load,
    overdue_action_items,
    repeat_incidents,
    response_times,
    schedule_gaps,
    slo_budget,
    slow_endpoints,
    unowned_services,
    unreviewed_incidents,
)

RULES = [
    response_times.RULE,
    slo_budget.RULE,
    unreviewed_incidents.RULE,
    overdue_action_items.RULE,
    repeat_incidents.RULE,
    noisy_alerts.RULE,
    oncall_load.RULE,
    unowned_services.RULE,
    schedule_gaps.RULE,
    slow_endpoints.RULE,
    business_trends.RULE,
    metric_data_quality.RULE,
    anomaly_clusters.RULE,
]
