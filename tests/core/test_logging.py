import json

from tests.support import run_python


def test_json_logs_one_line_per_request_with_its_request_id(tmp_path):
    result = run_python(
        "from django.test import Client\n"
        "Client().get('/healthz', HTTP_X_REQUEST_ID='abc-123')\n"
        "r = Client().get('/healthz')\n"
        "print('generated', r.headers['X-Request-ID'])",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        ALLOWED_HOSTS="testserver",
        VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "vigil.request"]
    generated = result.stdout.split("generated ")[1].strip()
    assert [r["request_id"] for r in requests] == ["abc-123", generated]
    assert requests[0]["path"] == "/healthz"
    assert requests[0]["status"] == 200
    assert requests[0]["level"] == "INFO"
    assert isinstance(requests[0]["duration_ms"], float)
    assert len(generated) == 32


def test_an_implausible_incoming_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='evil"\n{"forged": true}')

    assert response["X-Request-ID"] != 'evil"\n{"forged": true}'
    assert len(response["X-Request-ID"]) == 32
