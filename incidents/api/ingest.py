"""Endpoints that monitoring tools post to. They authenticate with the integration's
secret (not a user), answer 2xx only once the alerts are committed, 503 when the
database is down (senders retry), and 4xx only for a request that can never succeed."""

import json

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import parsers
from core.api.errors import error_body
from incidents import selectors, services
from incidents.api import ingest_schema as doc
from incidents.ingest import alertmanager, grafana, pagerduty, webhook
from incidents.ingest.types import PayloadError
from incidents.models import IntegrationKind


class IngestRefused(Exception):
    def __init__(self, status_code: int, code: str, message: str, errors=None):
        super().__init__(message)
        self.status_code, self.code, self.message = status_code, code, message
        self.errors = errors or []


def read_body(request) -> bytes:
    """The raw body, capped at API_MAX_BODY_BYTES."""
    limit = settings.API_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise IngestRefused(
            413, "payload_too_large", f"The body is larger than {limit // 1024} KiB."
        )
    raw = request.body
    if len(raw) > limit:
        raise IngestRefused(
            413, "payload_too_large", f"The body is larger than {limit // 1024} KiB."
        )
    return raw


def parse_json(raw: bytes):
    """The body as JSON, every string made storable (lone surrogates become U+FFFD, NUL
    characters go): a sender cannot fix its payload, and refusing it would lose the alert."""
    try:
        return parsers.loads(raw, clean=True)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IngestRefused(400, "parse_error", f"The body is not valid JSON: {exc}") from exc
    except ValueError as exc:
        raise IngestRefused(400, "parse_error", f"The body cannot be accepted: {exc}") from exc


def bearer_secret(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def authenticate(kind: str, secret: str):
    integration = selectors.integration_by_secret(secret, kind=kind)
    if integration is None:
        raise IngestRefused(401, "authentication_failed", "Unknown integration secret.")
    if not integration.enabled:
        raise IngestRefused(401, "integration_disabled", "This integration is disabled.")
    return integration


# The views read the body raw (parser_classes = []), so no parser names its media type:
# each view's schema names it (``request={"application/json": ...}``).
class _IngestView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []  # the body is read raw (signatures need the exact bytes)
    kind: str
    parse = None

    def post(self, request):
        release = None  # undoes what verify() recorded, unless the delivery is stored
        try:
            raw = read_body(request)
            integration = authenticate(self.kind, bearer_secret(request))
            release = self.verify(request, integration, raw)
            groups = type(self).parse(parse_json(raw))
            outcomes = services.alerts_ingest(integration=integration, groups=groups)
        except IngestRefused as refused:
            return self.refusal(refused, release)
        except PayloadError as invalid:
            return self.refusal(
                IngestRefused(400, "validation_error", str(invalid), invalid.errors), release
            )
        except BaseException:
            if release is not None:
                release()
            raise
        # A plain JSON response: senders do not negotiate content, and this is the hot path.
        return JsonResponse(
            {
                "status": "ok",
                "alerts": sum(outcome.alerts for outcome in outcomes),
                "incidents": [
                    {
                        "id": outcome.incident.pk,
                        "reference": outcome.incident.reference,
                        "status": outcome.incident.status,
                        "decision": outcome.decision,
                    }
                    for outcome in outcomes
                    if outcome.incident is not None
                ],
            }
        )

    def verify(self, request, integration, raw: bytes):
        """Further checks of the sender (signatures); may return a function that undoes
        what it recorded, called when the delivery is not stored after all."""
        return None

    def refusal(self, refused: IngestRefused, release=None) -> Response:
        if release is not None:
            release()
        body = error_body(
            refused.code, refused.message, {"errors": refused.errors} if refused.errors else None
        )
        headers = (
            {"WWW-Authenticate": 'Bearer realm="integrations"'}
            if refused.status_code == 401
            else None
        )
        return Response(body, status=refused.status_code, headers=headers)


@extend_schema(
    tags=["integrations"],
    summary="Receive alerts from Prometheus Alertmanager",
    request={"application/json": doc.AlertmanagerPayload},
    responses={200: doc.IngestResult},
    auth=[{"integrationSecret": []}],
    description="Prometheus Alertmanager webhook (version 4). Configure a webhook receiver "
    "with `http_config.authorization.credentials` set to the integration's secret.",
)
class AlertmanagerIngestView(_IngestView):
    kind = IntegrationKind.ALERTMANAGER
    parse = staticmethod(alertmanager.parse)


# Grafana's documentation names the first; its alerting library's default, used when a
# contact point's HMAC settings leave the header name empty, is the second.
SIGNATURE_HEADERS = ("HTTP_X_GRAFANA_ALERTING_SIGNATURE", "HTTP_X_GRAFANA_ALERT_SIGNATURE")


@extend_schema(
    tags=["integrations"],
    summary="Receive alerts from Grafana Alerting",
    request={"application/json": doc.GrafanaPayload},
    responses={200: doc.IngestResult},
    auth=[{"integrationSecret": []}],
    description="Grafana Alerting webhook contact point. Bearer authorization with the "
    "integration's secret; when the integration has an HMAC secret, "
    "`X-Grafana-Alerting-Signature` (or `X-Grafana-Alert-Signature`) must be the hex "
    "HMAC-SHA256 of the body, or of "
    "`timestamp:body` when the integration names a timestamp header. That timestamp "
    "(Unix seconds, as Grafana sends it) must be within GRAFANA_SIGNATURE_MAX_AGE_SECONDS "
    "(default 300) of now, and each signature is accepted once: a replay is a 401.",
)
class GrafanaIngestView(_IngestView):
    kind = IntegrationKind.GRAFANA
    parse = staticmethod(grafana.parse)

    def verify(self, request, integration, raw):
        if not integration.hmac_secret:
            return None
        signature = next((request.META[h] for h in SIGNATURE_HEADERS if request.META.get(h)), "")
        timestamp = None
        if integration.hmac_timestamp_header:
            header = "HTTP_" + integration.hmac_timestamp_header.upper().replace("-", "_")
            timestamp = request.META.get(header)
            if timestamp is None:
                raise IngestRefused(401, "signature_invalid", "The signature timestamp is missing.")
        if not signature or not grafana.signature_valid(
            body=raw, secret=integration.hmac_secret, signature=signature, timestamp=timestamp
        ):
            raise IngestRefused(
                401, "signature_invalid", "The body's HMAC signature does not match."
            )
        if timestamp is None:
            return None
        # A signed timestamp is what makes a captured request useless later: it must be
        # recent, and each signature is accepted once while it is.
        max_age = settings.GRAFANA_SIGNATURE_MAX_AGE_SECONDS
        if not grafana.timestamp_fresh(timestamp, max_age=max_age):
            raise IngestRefused(
                401,
                "signature_invalid",
                f"The signature timestamp is not within {max_age} seconds of now.",
            )
        claim = grafana.replay_claim(integration.pk, signature, max_age=max_age)
        if claim is None:
            raise IngestRefused(
                401, "signature_invalid", "This signed request has already been received."
            )
        return claim


@extend_schema(
    tags=["integrations"],
    summary="Receive alerts in the generic webhook format",
    request={"application/json": doc.WebhookPayload},
    responses={200: doc.IngestResult},
    auth=[{"integrationSecret": []}],
    description="The generic webhook format, for scripts and tools: one event or "
    '`{"alerts": [...]}`. Events with the same `dedup_key` join one open incident; '
    "without one, events with the same title do. Bearer authorization with the "
    "integration's secret.",
)
class WebhookIngestView(_IngestView):
    kind = IntegrationKind.WEBHOOK
    parse = staticmethod(webhook.parse)


class _PagerDutyView(APIView):
    """PagerDuty's own answers: 202 with status/message, 400 "invalid event" with errors."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    def invalid(self, errors, status_code=400, message="Event object is invalid"):
        return Response(
            {"status": "invalid event", "message": message, "errors": errors}, status=status_code
        )

    def _integration(self, request):
        payload = parse_json(read_body(request))
        key = pagerduty.routing_key(payload, request.META.get("HTTP_X_ROUTING_KEY"))
        if not key:
            raise IngestRefused(
                400, "invalid", "Event object is invalid", ["'routing_key' is missing"]
            )
        return payload, authenticate(IntegrationKind.PAGERDUTY, key)

    def handle_refusal(self, refused: IngestRefused):
        errors = refused.errors or [refused.message]
        message = "Event object is invalid" if refused.status_code == 400 else refused.message
        return self.invalid(errors, refused.status_code, message)


@extend_schema(
    tags=["integrations"],
    summary="Send an event (PagerDuty Events API v2)",
    request={"application/json": doc.PagerDutyEvent},
    responses={202: doc.PagerDutyAccepted, 400: doc.PagerDutyInvalid, 401: doc.PagerDutyInvalid},
    auth=[],
    description="PagerDuty Events API v2 compatible: `routing_key` is the integration's secret.",
)
class PagerDutyEnqueueView(_PagerDutyView):
    def post(self, request):
        try:
            payload, integration = self._integration(request)
            group = pagerduty.parse_event(payload)
        except IngestRefused as refused:
            return self.handle_refusal(refused)
        except PayloadError as invalid:
            return self.invalid(invalid.errors)
        services.alerts_ingest(integration=integration, groups=[group])
        return Response(
            {"status": "success", "message": "Event processed", "dedup_key": group.key},
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema(
    tags=["integrations"],
    summary="Record a change event (PagerDuty Events API v2)",
    request={"application/json": doc.PagerDutyChangeEvent},
    responses={202: doc.PagerDutyAccepted, 400: doc.PagerDutyInvalid, 401: doc.PagerDutyInvalid},
    auth=[],
    description="PagerDuty change events (deploys, config pushes): recorded on the service, "
    "never an incident. `routing_key` is the integration's secret.",
)
class PagerDutyChangeView(_PagerDutyView):
    def post(self, request):
        try:
            payload, integration = self._integration(request)
            change = pagerduty.parse_change(payload)
        except IngestRefused as refused:
            return self.handle_refusal(refused)
        except PayloadError as invalid:
            return self.invalid(invalid.errors)
        services.change_event_record(integration=integration, change=change)
        return Response(
            {"status": "success", "message": "Change event processed"},
            status=status.HTTP_202_ACCEPTED,
        )
