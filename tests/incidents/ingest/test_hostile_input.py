"""Hostile and malformed input on the ingestion endpoints (and the API's JSON parser):
never a 500; bad input gets a 400 that names the problem and writes nothing; text that
can be kept (lone surrogates, NUL characters, over-long titles) is cleaned and kept."""

import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from incidents.models import Alert, ChangeEvent, Incident
from tests.factories import ServiceFactory, UserFactory, make_integration
from tests.incidents.ingest.conftest import captured

pytestmark = pytest.mark.django_db

ALERTMANAGER = "/api/integrations/alertmanager/"
GRAFANA = "/api/integrations/grafana/"
WEBHOOK = "/api/integrations/webhook/"
ENQUEUE = "/v2/enqueue"
CHANGE = "/v2/change/enqueue"
REPLACEMENT = "\ufffd"


def post(url, body, secret=None, **headers):
    """POST raw JSON text (so escapes such as \\ud800 reach the server as written)."""
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client().post(url, body, content_type="application/json", **headers)


def viewer():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Viewer"]))
    return client


def manager():
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["Manager"]))
    return client


def assert_readable(incident_id=None):
    """Every alert and the incident can be read back through the API."""
    client = viewer()
    listed = client.get("/api/alerts")
    assert listed.status_code == 200, listed.content[:300]
    json.loads(listed.content)
    for alert in Alert.objects.all():
        one = client.get(f"/api/alerts/{alert.pk}")
        assert one.status_code == 200
    if incident_id is not None:
        detail = client.get(f"/api/incidents/{incident_id}")
        assert detail.status_code == 200, detail.content[:300]
        assert client.get("/api/incidents").status_code == 200
        return detail.json()
    return None


def assert_error_shape(response, status=400):
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def assert_pagerduty_invalid(response):
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["status"] == "invalid event"
    return " ".join(body["errors"])


def assert_nothing_written():
    assert not Alert.objects.exists()
    assert not Incident.objects.exists()
    assert not ChangeEvent.objects.exists()


def strings_in(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, str):
        yield value


def assert_clean(value):
    for text in strings_in(value):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogate


# --- Finding 2: lone surrogates ------------------------------------------------------


def test_alertmanager_lone_surrogates_everywhere_are_replaced_and_readable():
    _, secret = make_integration("alertmanager")
    body = (
        '{"groupKey":"s\\ud800","status":"firing","extra":{"k\\udc00":["v\\ud800"]},'
        '"commonAnnotations":{"summary":"sum \\ud800 mary"},'
        '"alerts":[{"status":"firing","fingerprint":"f\\udfff",'
        '"labels":{"alertname":"s","h":"a\\ud800b","k\\ud800":"v"},'
        '"annotations":{"summary":"x\\udbff","description":"d\\ud800"},'
        '"generatorURL":"http://x.example/\\ud800"}]}'
    )

    response = post(ALERTMANAGER, body, secret)

    assert response.status_code == 200, response.content
    alert = Alert.objects.get()
    assert alert.labels["h"] == f"a{REPLACEMENT}b"
    assert f"k{REPLACEMENT}" in alert.labels
    assert alert.annotations["summary"] == f"x{REPLACEMENT}"
    assert alert.raw["labels"]["h"] == f"a{REPLACEMENT}b"
    assert_clean(alert.raw)
    assert_clean([alert.labels, alert.annotations, alert.summary, alert.fingerprint])
    incident = Incident.objects.get()
    assert incident.title == f"sum {REPLACEMENT} mary"
    detail = assert_readable(incident.pk)
    assert detail["title"] == f"sum {REPLACEMENT} mary"


def test_the_example_from_the_report_answers_2xx_and_reads_back():
    _, secret = make_integration("alertmanager")
    body = (
        '{"groupKey":"s","status":"firing","alerts":[{"status":"firing",'
        '"labels":{"alertname":"s","h":"a\\ud800b"}}]}'
    )

    response = post(ALERTMANAGER, body, secret)

    assert response.status_code == 200, response.content
    assert_readable(response.json()["incidents"][0]["id"])


def test_surrogates_encoded_as_utf8_bytes_are_replaced_too():
    """Python's json.loads decodes bytes with "surrogatepass": a surrogate encoded as
    UTF-8 (ED A0 80) arrives as a lone surrogate without any \\u escape."""
    _, secret = make_integration("alertmanager")
    body = (
        b'{"groupKey":"b","status":"firing","alerts":[{"status":"firing",'
        b'"labels":{"alertname":"s\xed\xa0\x80","h":"a\xed\xb0\x80b"}}]}'
    )

    response = post(ALERTMANAGER, body, secret)

    assert response.status_code == 200, response.content
    assert Alert.objects.get().labels == {"alertname": f"s{REPLACEMENT}", "h": f"a{REPLACEMENT}b"}
    assert_readable(response.json()["incidents"][0]["id"])


def test_other_invalid_utf8_is_a_400():
    _, secret = make_integration("alertmanager")
    body = (
        b'{"groupKey":"b","status":"firing","alerts":[{"status":"firing","labels":{"a":"\xff"}}]}'
    )

    assert assert_error_shape(post(ALERTMANAGER, body, secret))["code"] == "parse_error"
    assert_nothing_written()


def test_webhook_title_with_a_lone_surrogate_opens_a_readable_incident():
    _, secret = make_integration("webhook")
    body = '{"title":"Backup \\ud800 failed","summary":"s\\udc00","labels":{"a":"\\ud800"}}'

    response = post(WEBHOOK, body, secret)

    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert incident.title == f"Backup {REPLACEMENT} failed"
    assert incident.summary == f"s{REPLACEMENT}"
    assert_readable(incident.pk)


def test_grafana_title_and_message_with_lone_surrogates():
    _, secret = make_integration("grafana")
    payload = captured("01-two-firing.json")
    payload.update(title="[FIRING:1] T", message="M")
    body = (
        json.dumps(payload)
        .replace('"[FIRING:1] T"', '"[FIRING:1] T\\ud800"')
        .replace('"M"', '"M\\udc00"')
    )

    response = post(GRAFANA, body, secret)

    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert (incident.title, incident.summary) == (f"T{REPLACEMENT}", f"M{REPLACEMENT}")
    assert_readable(incident.pk)


def test_pagerduty_lone_surrogates_in_summary_and_custom_details():
    _, key = make_integration("pagerduty")
    body = (
        '{"routing_key":"ROUTING_KEY","event_action":"trigger","dedup_key":"d\\ud800",'
        '"payload":{"summary":"Disk \\ud800","source":"db\\udc00","severity":"critical",'
        '"custom_details":{"k\\ud800":{"n":"\\udfff"}}}}'
    ).replace("ROUTING_KEY", key)

    response = post(ENQUEUE, body)

    assert response.status_code == 202, response.content
    assert response.json()["dedup_key"] == f"d{REPLACEMENT}"
    incident = Incident.objects.get()
    assert incident.title == f"Disk {REPLACEMENT}"
    assert_clean(Alert.objects.get().raw)
    assert_readable(incident.pk)


def test_pagerduty_change_event_with_lone_surrogates():
    _, key = make_integration("pagerduty")
    body = (
        '{"routing_key":"ROUTING_KEY","payload":{"summary":"Deploy \\ud800","source":"ci\\ud800",'
        '"custom_details":{"x":"\\ud800"}},"links":[{"href":"https://x.example","text":"\\ud800"}]}'
    ).replace("ROUTING_KEY", key)

    response = post(CHANGE, body)

    assert response.status_code == 202, response.content
    change = ChangeEvent.objects.get()
    assert change.summary == f"Deploy {REPLACEMENT}"
    assert_clean([change.custom_details, change.links, change.source])
    assert viewer().get("/api/changes").status_code == 200


def test_the_api_refuses_unstorable_text_naming_where_it_is():
    """API clients (unlike monitoring senders) can fix their request: a NUL character or
    a lone surrogate anywhere in the body, keys and nested values too, is a 400 that
    names the place, in the words of DRF's own validators."""
    service = ServiceFactory()
    body = (
        '{"service": SERVICE, "title": "T\\ud800", "severity": "SEV3", "summary": "s\\u0000",'
        ' "extra": {"k\\udc00": [1, {"x": "\\udfff"}]}}'
    ).replace("SERVICE", str(service.pk))

    response = manager().post("/api/incidents", body, content_type="application/json")

    error = assert_error_shape(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {
        "title": ["Surrogate characters are not allowed: U+D800."],
        "summary": ["Null characters are not allowed."],
        f"extra.k{REPLACEMENT}": ["The key: Surrogate characters are not allowed: U+DC00."],
        f"extra.k{REPLACEMENT}[1].x": ["Surrogate characters are not allowed: U+DFFF."],
    }
    assert not Incident.objects.exists()


def test_the_api_accepts_escaped_text_that_is_fine():
    service = ServiceFactory()
    body = '{"service": SERVICE, "title": "caf\\u00e9 \\ud83d\\ude00", "severity": "SEV3"}'
    body = body.replace("SERVICE", str(service.pk))

    response = manager().post("/api/incidents", body, content_type="application/json")

    assert response.status_code == 201, response.content
    assert Incident.objects.get().title == "caf\u00e9 \U0001f600"


# --- Finding 14: NUL characters and over-long titles ---------------------------------


def test_alertmanager_nul_characters_are_stripped_and_long_titles_cut():
    _, secret = make_integration("alertmanager")
    summary = "Disk\u0000 full " + "x" * 5000
    payload = {
        "groupKey": "g\u0000k",
        "status": "firing",
        "commonAnnotations": {"summary": summary, "description": "d\u0000escription"},
        "alerts": [
            {
                "status": "firing",
                "fingerprint": "f\u0000p",
                "labels": {"alertname": "A\u0000", "k\u0000": "v\u0000"},
                "annotations": {"summary": summary},
                "generatorURL": "http://x.example/\u0000",
                "extra": [{"deep\u0000": "\u0000"}],
            }
        ],
    }

    response = post(ALERTMANAGER, payload, secret)

    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert incident.title == ("Disk full " + "x" * 5000)[:200]
    assert incident.summary == "description"
    assert incident.dedup_key == "gk"
    alert = Alert.objects.get()
    assert alert.labels == {"alertname": "A", "k": "v"}
    assert alert.fingerprint == "fp"
    assert_clean([alert.raw, alert.summary, alert.source_url, alert.group_key])
    assert_readable(incident.pk)


def test_alertmanager_group_title_from_labels_is_cut_too():
    _, secret = make_integration("alertmanager")
    payload = {
        "groupKey": "long",
        "status": "firing",
        "groupLabels": {"alertname": "A", "instance": "i" * 400},
        "alerts": [{"status": "firing", "labels": {"alertname": "A"}}],
    }

    response = post(ALERTMANAGER, payload, secret)

    assert response.status_code == 200, response.content
    assert len(Incident.objects.get().title) == 200


def test_webhook_and_pagerduty_nul_characters_are_stripped():
    _, webhook_secret = make_integration("webhook")
    _, key = make_integration("pagerduty")

    by_webhook = post(
        WEBHOOK,
        {"title": "T\u0000itle", "summary": "S\u0000", "dedup_key": "k\u0000", "labels": {}},
        webhook_secret,
    )
    by_pagerduty = post(
        ENQUEUE,
        {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "P\u0000D", "source": "s\u0000", "severity": "info"},
        },
    )

    assert by_webhook.status_code == 200, by_webhook.content
    assert by_pagerduty.status_code == 202, by_pagerduty.content
    assert sorted(Incident.objects.values_list("title", flat=True)) == ["PD", "Title"]
    assert Incident.objects.filter(dedup_key="k").exists()
    for alert in Alert.objects.all():
        assert_clean([alert.raw, alert.labels, alert.summary])


def test_a_title_of_only_nul_characters_is_refused_by_the_webhook():
    _, secret = make_integration("webhook")

    response = post(WEBHOOK, {"title": "\u0000\u0000"}, secret)

    assert "title" in assert_error_shape(response)["message"]
    assert_nothing_written()


# --- Finding 7: Grafana signature replay ---------------------------------------------


TIMESTAMP_HEADER = "X-Grafana-Alerting-Signature-Timestamp"


@pytest.fixture
def signed_grafana():
    # Each call signs a body of its own (a new groupKey), so no two tests share a
    # signature in the replay record (the project's cache, shared and persistent).
    _, secret = make_integration(
        "grafana", hmac_secret="replay-key", hmac_timestamp_header=TIMESTAMP_HEADER
    )

    def send(timestamp, body=None):
        payload = captured("01-two-firing.json")
        payload["groupKey"] = f"replay-{uuid.uuid4()}"
        body = body or json.dumps(payload).encode()
        signature = hmac.new(
            b"replay-key", f"{timestamp}:".encode() + body, hashlib.sha256
        ).hexdigest()
        response = Client().post(
            GRAFANA,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
            HTTP_X_GRAFANA_ALERTING_SIGNATURE=signature,
            HTTP_X_GRAFANA_ALERTING_SIGNATURE_TIMESTAMP=str(timestamp),
        )
        return response, body

    return send


@pytest.mark.parametrize(
    "timestamp", ["1", "946684800", "0", "-5", "99999999999999999999", "1e9", "now", ""]
)
def test_a_signature_with_an_old_or_unreadable_timestamp_is_refused(signed_grafana, timestamp):
    response, _ = signed_grafana(timestamp)

    assert assert_error_shape(response, 401)["code"] == "signature_invalid"
    assert_nothing_written()


def test_a_signature_from_the_far_future_is_refused(signed_grafana):
    response, _ = signed_grafana(int(time.time()) + 3600)

    assert assert_error_shape(response, 401)["code"] == "signature_invalid"
    assert_nothing_written()


def test_a_signature_inside_the_window_is_accepted(signed_grafana):
    assert signed_grafana(int(time.time()) - 120)[0].status_code == 200
    assert signed_grafana(int(time.time()) + 30)[0].status_code == 200


def test_the_window_is_a_setting(signed_grafana, settings):
    settings.GRAFANA_SIGNATURE_MAX_AGE_SECONDS = 10

    response, _ = signed_grafana(int(time.time()) - 60)

    assert assert_error_shape(response, 401)["code"] == "signature_invalid"


def test_the_same_signed_request_twice_is_refused_the_second_time(signed_grafana):
    now = int(time.time())
    first, body = signed_grafana(now)
    replay, _ = signed_grafana(now, body)

    assert first.status_code == 200, first.content
    assert assert_error_shape(replay, 401)["code"] == "signature_invalid"
    assert Alert.objects.count() == 2  # the first delivery's two alerts only


def test_a_refused_delivery_may_be_sent_again(signed_grafana):
    """A request refused for its content did not use up its signature."""
    now = int(time.time())
    bad = json.dumps({"groupKey": "g", "status": "firing", "alerts": "nope"}).encode()

    assert signed_grafana(now, bad)[0].status_code == 400
    assert signed_grafana(now, bad)[0].status_code == 400


# --- Finding 8: deeply nested JSON ---------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [990, 100_000])
@pytest.mark.parametrize(
    ("url", "kind"), [(ALERTMANAGER, "alertmanager"), (GRAFANA, "grafana"), (WEBHOOK, "webhook")]
)
def test_deeply_nested_json_is_a_400_on_ingestion(url, kind, depth):
    _, secret = make_integration(kind)
    body = (
        '{"groupKey":"g","status":"firing","title":"t","alerts":[],"extra":' + nested(depth) + "}"
    )

    response = post(url, body, secret)

    error = assert_error_shape(response)
    assert error["code"] == "parse_error"
    assert "deep" in error["message"]
    assert_nothing_written()


@pytest.mark.parametrize("depth", [990, 100_000])
@pytest.mark.parametrize("url", [ENQUEUE, CHANGE])
def test_deeply_nested_json_is_a_400_on_pagerduty(url, depth):
    _, key = make_integration("pagerduty")
    body = (
        f'{{"routing_key":"{key}","event_action":"trigger","payload":{{"summary":"s",'
        f'"source":"s","severity":"info","custom_details":{nested(depth)}}}}}'
    )

    response = post(url, body)

    assert "deep" in assert_pagerduty_invalid(response)
    assert_nothing_written()


@pytest.mark.parametrize("depth", [990, 100_000])
def test_deeply_nested_json_is_a_400_on_the_api(depth):
    service = ServiceFactory()
    body = (
        f'{{"service": {service.pk}, "title": "t", "severity": "SEV3", "summary": {nested(depth)}}}'
    )

    response = manager().post("/api/incidents", body, content_type="application/json")

    error = assert_error_shape(response)
    assert error["code"] == "parse_error"
    assert "deep" in error["message"]
    assert not Incident.objects.exists()


def test_ordinary_nesting_is_still_accepted():
    _, key = make_integration("pagerduty")
    details = {"a": {"b": {"c": {"d": {"e": [[[{"f": 1}]]]}}}}}

    response = post(
        ENQUEUE,
        {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {
                "summary": "s",
                "source": "s",
                "severity": "info",
                "custom_details": details,
            },
        },
    )

    assert response.status_code == 202
    assert Alert.objects.get().raw["payload"]["custom_details"] == details


# --- Finding 9: out-of-range times ---------------------------------------------------

FAR_FUTURE = "9999-12-31T23:59:59-12:00"


def alertmanager_with(starts_at=None, ends_at="0001-01-01T00:00:00Z"):
    payload = captured("01-two-firing.json")
    payload["alerts"][0]["startsAt"] = starts_at or payload["alerts"][0]["startsAt"]
    payload["alerts"][0]["endsAt"] = ends_at
    return payload


@pytest.mark.parametrize(
    "value",
    [
        FAR_FUTURE,
        "9999-12-31T23:59:59Z",
        "2201-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "0002-01-01T00:00:00Z",
        "0001-13-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize(("url", "kind"), [(ALERTMANAGER, "alertmanager"), (GRAFANA, "grafana")])
def test_out_of_range_times_are_refused_naming_the_field(url, kind, value):
    _, secret = make_integration(kind)

    starts = post(url, alertmanager_with(starts_at=value), secret)
    ends = post(url, alertmanager_with(ends_at=value), secret)

    assert "alerts[0].startsAt" in assert_error_shape(starts)["message"]
    assert "alerts[0].endsAt" in assert_error_shape(ends)["message"]
    assert_nothing_written()


@pytest.mark.parametrize(
    "zero", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00-12:00"]
)
def test_alertmanagers_zero_time_still_means_no_end(zero):
    _, secret = make_integration("alertmanager")

    response = post(ALERTMANAGER, alertmanager_with(ends_at=zero), secret)

    assert response.status_code == 200, response.content
    assert not Alert.objects.filter(ends_at__isnull=False).exists()


def test_webhook_far_future_time_is_refused():
    _, secret = make_integration("webhook")

    response = post(WEBHOOK, {"title": "t", "starts_at": FAR_FUTURE}, secret)

    assert "starts_at" in assert_error_shape(response)["message"]
    assert_nothing_written()


@pytest.mark.parametrize("url", [ENQUEUE, CHANGE])
def test_pagerduty_far_future_time_is_refused(url):
    _, key = make_integration("pagerduty")
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "s", "severity": "info", "timestamp": FAR_FUTURE},
    }

    assert "payload.timestamp" in assert_pagerduty_invalid(post(url, body))
    assert_nothing_written()


# --- Finding 10: PagerDuty field types ------------------------------------------------


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"summary": 123}, "payload.summary"),
        ({"severity": 5}, "payload.severity"),
        ({"source": {"a": 1}}, "payload.source"),
        ({"component": ["x"]}, "payload.component"),
        ({"custom_details": 5}, "payload.custom_details"),
        ({"timestamp": 5}, "payload.timestamp"),
        ("not an object", "payload"),
    ],
)
def test_pagerduty_acknowledge_and_resolve_with_wrong_types_are_400(action, payload, field):
    _, key = make_integration("pagerduty")

    response = post(
        ENQUEUE, {"routing_key": key, "event_action": action, "dedup_key": "k", "payload": payload}
    )

    assert f"'{field}'" in assert_pagerduty_invalid(response)
    assert_nothing_written()


@pytest.mark.parametrize("action", ["trigger", "acknowledge", "resolve"])
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"links": 5}, "links"),
        ({"links": "x"}, "links"),
        ({"links": [5]}, "links[0]"),
        ({"links": [{"href": 5}]}, "links[0].href"),
        ({"links": [{"href": "https://x.example", "text": {"a": 1}}]}, "links[0].text"),
        ({"client": {"a": 1}}, "client"),
        ({"client_url": 7}, "client_url"),
        ({"dedup_key": 7}, "dedup_key"),
    ],
)
def test_pagerduty_events_with_wrong_types_are_400(action, extra, field):
    _, key = make_integration("pagerduty")
    event = {
        "routing_key": key,
        "event_action": action,
        "dedup_key": "k",
        "payload": {"summary": "s", "source": "s", "severity": "info"},
        **extra,
    }

    response = post(ENQUEUE, event)

    assert f"'{field}'" in assert_pagerduty_invalid(response)
    assert_nothing_written()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"links": 5}, "links"),
        ({"links": [5]}, "links[0]"),
        ({"payload": {"summary": "s", "source": 5}}, "payload.source"),
        ({"payload": {"summary": "s", "custom_details": 5}}, "payload.custom_details"),
        ({"payload": {"summary": 5}}, "payload.summary"),
    ],
)
def test_pagerduty_change_events_with_wrong_types_are_400(extra, field):
    _, key = make_integration("pagerduty")
    event = {"routing_key": key, "payload": {"summary": "s"}, **extra}

    response = post(CHANGE, event)

    assert f"'{field}'" in assert_pagerduty_invalid(response)
    assert_nothing_written()


def test_pagerduty_acknowledge_with_a_string_payload_summary_still_works():
    _, key = make_integration("pagerduty")
    post(
        ENQUEUE,
        {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "k",
            "payload": {"summary": "s", "source": "s", "severity": "info"},
        },
    )

    response = post(
        ENQUEUE,
        {
            "routing_key": key,
            "event_action": "acknowledge",
            "dedup_key": "k",
            "payload": {"summary": "acked " * 100, "severity": "warning"},
        },
    )

    assert response.status_code == 202, response.content
    assert Incident.objects.get().status == "acknowledged"


# --- The same classes of bug on the other paths --------------------------------------


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"title": "t", "summary": {"a": 1}}, "summary"),
        ({"title": "t", "summary": 5}, "summary"),
        ({"title": "t", "links": [{"href": 5}]}, "links[0].href"),
        ({"title": "t", "links": [{"href": "https://x.example", "text": []}]}, "links[0].text"),
        ({"title": "t", "status": ["firing"]}, "status"),
        ({"title": "t", "status": {"a": 1}}, "status"),
        ({"title": "t", "severity": 1e300}, "severity"),
        ({"title": "t", "starts_at": 1e300}, "starts_at"),
        ({"title": ["t"]}, "title"),
    ],
)
def test_webhook_wrong_types_are_400_naming_the_field(event, field):
    _, secret = make_integration("webhook")

    response = post(WEBHOOK, event, secret)

    assert field in assert_error_shape(response)["message"]
    assert_nothing_written()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": 5}, "title"),
        ({"message": {"a": 1}}, "message"),
        ({"alerts": [{"status": "firing", "fingerprint": {"a": 1}}]}, "alerts[0].fingerprint"),
        ({"alerts": [{"status": "firing", "labels": {"a": [1]}}]}, "alerts[0].labels.a"),
        ({"groupKey": ["x"]}, "groupKey"),
        ({"status": {"x": 1}}, "status"),
    ],
)
def test_grafana_wrong_types_are_400_naming_the_field(change, field):
    _, secret = make_integration("grafana")
    payload = {**captured("01-two-firing.json"), **change}

    response = post(GRAFANA, payload, secret)

    assert field in assert_error_shape(response)["message"]
    assert_nothing_written()


@pytest.mark.parametrize(
    "number",
    ["1e999", "-1e999", "1" + "0" * 5000, "1" + "0" * 4000, "123456789012345678901234567890"],
)
@pytest.mark.parametrize(
    ("url", "kind"), [(ALERTMANAGER, "alertmanager"), (GRAFANA, "grafana"), (WEBHOOK, "webhook")]
)
def test_huge_numbers_never_answer_500(url, kind, number):
    _, secret = make_integration(kind)
    if kind == "webhook":
        payload = {"title": "t", "value": "NUMBER", "labels": {"n": "NUMBER"}}
    else:
        payload = captured("01-two-firing.json")
        payload["alerts"][0].update(value="NUMBER", values={"B": "NUMBER"})
        payload["alerts"][0]["labels"]["n"] = "NUMBER"
    body = json.dumps(payload).replace('"NUMBER"', number)

    response = post(url, body, secret)

    if response.status_code == 200:
        assert_readable(Incident.objects.get().pk)
        assert any(number in json.dumps(alert.raw) for alert in Alert.objects.all())
        assert Alert.objects.filter(labels__n=number).exists()
    else:
        assert_error_shape(response)
        assert_nothing_written()


def test_non_finite_numbers_are_refused():
    _, secret = make_integration("webhook")

    response = post(WEBHOOK, '{"title": "t", "value": 1e999}', secret)

    assert assert_error_shape(response)["code"] == "parse_error"
    assert_nothing_written()


def test_big_integers_in_the_raw_payload_are_kept():
    _, secret = make_integration("webhook")

    response = post(WEBHOOK, '{"title": "t", "value": 123456789012345678901234567890}', secret)

    assert response.status_code == 200, response.content
    assert Alert.objects.get().raw["value"] == 123456789012345678901234567890
    assert_readable(Incident.objects.get().pk)


@pytest.mark.parametrize(
    "body",
    [
        "null",
        "[]",
        "5",
        '"x"',
        "{}",
        '{"alerts": {}}',
        '{"alerts": [null]}',
        '{"alerts": [5]}',
        "\ufeff{}",
        '{"a": "\\x"}',
        '{"a": 1',
    ],
)
@pytest.mark.parametrize(
    ("url", "kind"), [(ALERTMANAGER, "alertmanager"), (GRAFANA, "grafana"), (WEBHOOK, "webhook")]
)
def test_odd_bodies_are_400(url, kind, body):
    _, secret = make_integration(kind)

    assert_error_shape(post(url, body, secret))
    assert_nothing_written()


@pytest.mark.parametrize("body", ["null", "[]", "5", '"x"', "{}", b"\xff\xfe"])
@pytest.mark.parametrize("url", [ENQUEUE, CHANGE])
def test_odd_pagerduty_bodies_are_400(url, body):
    make_integration("pagerduty")

    assert_pagerduty_invalid(post(url, body))
    assert_nothing_written()
