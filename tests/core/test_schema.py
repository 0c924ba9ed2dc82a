import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema"])
def test_the_schema_is_valid_openapi_3(viewer_client, path):
    response = viewer_client.get(path)

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_describes_the_api_and_its_bearer_auth(viewer_client):
    schema = yaml.safe_load(viewer_client.get("/api/schema/").content)

    assert {"/api/me", "/api/tokens", "/api/tokens/{id}"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    created = schema["paths"]["/api/tokens"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("ApiTokenIssued")


def test_swagger_ui_is_served_offline_from_our_own_static_files(client, user):
    client.force_login(user)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_the_schema_documents_the_error_shape_on_every_operation(viewer_client):
    schema = yaml.safe_load(viewer_client.get("/api/schema/").content)

    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    assert operations
    for operation in operations:
        # Every operation documents its 401 body: the error shape, or (for the
        # PagerDuty-compatible endpoints) PagerDuty's own.
        assert operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
    assert schema["paths"]["/api/me"]["get"]["responses"]["401"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Error"}
    assert "400" in schema["paths"]["/api/tokens"]["post"]["responses"]
    assert "404" in schema["paths"]["/api/tokens/{id}"]["get"]["responses"]


def test_every_write_documents_its_json_body(viewer_client):
    """The ingestion views read their body raw (signatures need the exact bytes), so no
    parser names its media type: the schema must still say what to send."""
    schema = yaml.safe_load(viewer_client.get("/api/schema/").content)

    for path in (
        "/api/integrations/alertmanager",
        "/api/integrations/grafana",
        "/api/integrations/webhook",
        "/v2/enqueue",
        "/v2/change/enqueue",
    ):
        body = schema["paths"][path]["post"]["requestBody"]["content"]
        assert list(body) == ["application/json"], path
        assert body["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
    # JSON everywhere; metric samples also come in Prometheus' text format.
    also = {"/api/metrics/samples": {"text/plain"}}
    for path, operations in schema["paths"].items():
        for method in ("post", "put", "patch"):
            if method in operations and "requestBody" in operations[method]:
                content = set(operations[method]["requestBody"]["content"])
                assert content == {"application/json", *also.get(path, ())}, (method, path)


def test_the_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")
