import pytest
import yaml
from django.conf import settings
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


def _operations(schema):
    return [
        (f"{method.upper()} {path}", operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_has_a_one_line_summary_and_a_description_of_its_own(viewer_client):
    schema = yaml.safe_load(viewer_client.get("/api/schema/").content)
    seen = {}

    for name, operation in _operations(schema):
        summary = operation.get("summary", "")
        assert summary.strip(), name
        assert "\n" not in summary, (name, summary)
        assert len(summary) < 80, (name, summary)
        assert not summary.endswith("."), (name, summary)
        # Every description ends by saying who may call; what comes before is the
        # operation's own text, and no other operation has the same.
        own, _, access = operation.get("description", "").rpartition("\n\nWho may call: ")
        assert own.strip(), name
        assert access.strip(), name
        assert own not in seen, (name, seen.get(own))
        seen[own] = name
    assert len(seen) == len(_operations(schema)) > 100


def test_summaries_and_access_come_from_the_model_and_the_permissions(viewer_client):
    paths = yaml.safe_load(viewer_client.get("/api/schema/").content)["paths"]

    assert paths["/api/incidents"]["get"]["summary"] == "List incidents"
    assert paths["/api/incidents"]["post"]["summary"] == "Create an incident"
    assert paths["/api/incidents/{id}"]["get"]["summary"] == "Retrieve an incident"
    assert paths["/api/incidents/{id}"]["patch"]["summary"] == "Partially update an incident"
    assert paths["/api/teams/{id}"]["put"]["summary"] == "Update a team"
    assert paths["/api/teams/{id}"]["delete"]["summary"] == "Delete a team"
    assert paths["/api/slos"]["post"]["summary"] == "Create an SLO"
    acknowledge = paths["/api/incidents/{id}/acknowledge"]["post"]
    assert acknowledge["summary"] == "Acknowledge an incident"
    assert "409" in acknowledge["description"]
    assert acknowledge["description"].endswith(
        "Who may call: holders of `incidents.change_incident` (the Responder and Manager roles)."
    )
    assert paths["/api/teams"]["post"]["description"].endswith(
        "holders of `catalog.add_team` (the Manager role)."
    )
    assert paths["/api/me"]["get"]["description"].endswith("Who may call: any signed-in user.")
    assert paths["/api/admin/status"]["get"]["description"].endswith("staff users (`is_staff`).")
    assert "no user session" in paths["/v2/enqueue"]["post"]["description"]


def test_the_browsable_api_is_branded_and_links_to_the_admin_docs_and_runbooks(client, user):
    client.force_login(user)

    response = client.get("/api/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{settings.SITE_NAME} API" in html
    assert "Django REST framework</a>" not in html
    for href in ('href="/admin/"', 'href="/api/docs/"', 'href="/runbooks/"'):
        assert href in html, href
    # No inline script was added: the policy allows none but DRF's logout handler.
    assert "<script>" not in html
