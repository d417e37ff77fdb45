"""The OpenAPI schema describes the agent API exactly: its components match what the views
accept and answer, and schemathesis, driving a live server from the served schema, finds
no 5xx and no answer that violates it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from apps.checks.parsing import LIST_CONTEXT, STRING_CONTEXT, TOP_LEVEL
from tests.checks.support import post


@pytest.fixture
def schema():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_public_even_with_an_agent_key():
    response = Client().get("/api/schema/", HTTP_AUTHORIZATION="Bearer mnd_agent_nothing")
    assert response.status_code == 200


def test_request_components_name_exactly_the_fields_the_view_reads(schema):
    components = schema["components"]["schemas"]
    request = components["CheckRequest"]
    assert set(request["properties"]) == TOP_LEVEL
    assert request["required"] == ["action"]
    assert request["additionalProperties"] is False
    context = components["CheckContext"]["properties"]
    assert set(context) == {*STRING_CONTEXT, *LIST_CONTEXT}
    for path in ("/api/v1/check", "/api/v1/check/batch"):
        operation = schema["paths"][path]["post"]
        assert operation["requestBody"]["required"] is True
        assert operation["security"] == [{"agentKey": []}]
        assert set(operation["responses"]) == {"200", "400", "401", "413", "429", "503"}


def test_the_response_component_names_exactly_what_an_answer_holds(schema, agent_world):
    answer = post(agent_world.raw_key, {"action": "log_call_notes", "confidence": 0.9}).json()
    described = schema["components"]["schemas"]["CheckResponse"]
    assert set(described["properties"]) == set(answer)
    assert set(described["required"]) == set(answer)
    assert set(described["properties"]["decision"]["enum"]) == {
        "allow",
        "require_approval",
        "escalate",
        "deny",
    }


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing_on_the_agent_api(live_server, agent_world, tmp_path):
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {agent_world.raw_key}",
        "--include-path-regex",
        "^/api/v1/check",
        "--max-examples",
        "60",
        "--seed",
        "7",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
