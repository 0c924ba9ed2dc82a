"""Where each integration posts, and the sender's configuration to copy."""

from django.conf import settings

from incidents.models import Integration, IntegrationKind

ENDPOINTS = {
    IntegrationKind.ALERTMANAGER: "/api/integrations/alertmanager/",
    IntegrationKind.GRAFANA: "/api/integrations/grafana/",
    IntegrationKind.WEBHOOK: "/api/integrations/webhook/",
    IntegrationKind.PAGERDUTY: "/v2/enqueue",
}


def integration_endpoint_url(integration: Integration) -> str:
    return settings.SITE_URL + ENDPOINTS[integration.kind]


def integration_example_config(integration: Integration, secret: str = "<secret>") -> str:
    url = integration_endpoint_url(integration)
    if integration.kind == IntegrationKind.ALERTMANAGER:
        return (
            "# alertmanager.yml\n"
            "receivers:\n"
            f"  - name: vigil-{integration.service.slug}\n"
            "    webhook_configs:\n"
            f"      - url: {url}\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization:\n"
            f"            credentials: {secret}\n"
        )
    if integration.kind == IntegrationKind.GRAFANA:
        lines = [
            "Grafana → Alerting → Contact points → New → Webhook",
            f"  URL: {url}",
            "  HTTP Method: POST",
            "  Authorization Header - Scheme: Bearer",
            f"  Authorization Header - Credentials: {secret}",
        ]
        if integration.hmac_secret:
            lines.append("  HMAC Signature - Secret: (this integration's HMAC secret)")
            if integration.hmac_timestamp_header:
                lines.append(
                    f"  HMAC Signature - Timestamp header: {integration.hmac_timestamp_header}"
                )
        return "\n".join(lines) + "\n"
    if integration.kind == IntegrationKind.PAGERDUTY:
        return (
            "# Any PagerDuty Events API v2 client; point it at this server:\n"
            f"curl -X POST {url} -H 'Content-Type: application/json' -d '{{\n"
            f'  "routing_key": "{secret}", "event_action": "trigger",\n'
            '  "payload": {"summary": "Disk full on db-1", "source": "db-1",\n'
            '              "severity": "critical"}\n'
            "}'\n"
        )
    return (
        f"curl -X POST {url} -H 'Authorization: Bearer {secret}' "
        "-H 'Content-Type: application/json' -d '{\n"
        '  "title": "Checkout error rate above 5%", "dedup_key": "checkout-5xx",\n'
        '  "severity": "critical", "status": "firing"\n'
        "}'\n"
    )
