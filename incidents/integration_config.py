"""Where each integration posts, and the sender's configuration to copy."""

import json

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
        return alertmanager_config(integration, url, secret)
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


def alertmanager_config(integration: Integration, url: str, secret: str) -> str:
    """A complete alertmanager.yml whose root route sends everything to this integration.

    Incidents are deduplicated by Alertmanager's ``groupKey``, so ``group_by`` decides what
    one incident is: one per alert name and job. The timings are Alertmanager's own
    defaults, the ones an SRE expects of a paging receiver.
    """
    receiver = f"vigil-{integration.service.slug}"
    # JSON strings are YAML strings: a secret or URL is never read as a number or a comment.
    return (
        "# alertmanager.yml: a complete file; Alertmanager sends every alert to Vigil.\n"
        "#\n"
        "# Already have an alertmanager.yml? Do not replace its root route: add the receiver\n"
        "# below to its receivers, and a child route to the root route's routes, e.g.\n"
        "#   routes:\n"
        f"#     - receiver: {receiver}\n"
        f"#       matchers: ['service=\"{integration.service.slug}\"']\n"
        "#       group_by: ['alertname', 'job']\n"
        "#       continue: true  # the routes after this one still get these alerts\n"
        "# Put it first: the first matching route without continue ends the search.\n"
        "route:\n"
        f"  receiver: {receiver}\n"
        "  group_by: ['alertname', 'job']  # one incident per group\n"
        "  group_wait: 30s       # gather a burst into the first page\n"
        "  group_interval: 5m    # new or resolved alerts of the group, at most this often\n"
        "  repeat_interval: 4h   # re-send what still fires (a new incident if resolved by hand)\n"
        "receivers:\n"
        f"  - name: {receiver}\n"
        "    webhook_configs:\n"
        f"      - url: {json.dumps(url)}\n"
        "        send_resolved: true  # resolves the incident when the group resolves\n"
        "        max_alerts: 0        # every alert of the group, no truncation\n"
        "        http_config:\n"
        "          authorization:  # sent as Authorization: Bearer <secret>\n"
        f"            credentials: {json.dumps(secret)}\n"
    )
