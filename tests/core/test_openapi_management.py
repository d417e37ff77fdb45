"""The OpenAPI schema describes the management API truthfully: every operation lists the
errors it can answer in the one Error shape, and schemathesis, driving a live server from the
served schema with a personal token, finds no 5xx, no answer the schema does not describe,
and no request the schema and the server judge differently.

By hand, against a running server (the hooks teach schemathesis the policy-document format;
revoking tokens is left out, or schemathesis revokes the one it uses):

    SCHEMATHESIS_HOOKS=tests.core.schemathesis_hooks .venv/bin/schemathesis run \\
        http://127.0.0.1:8000/api/schema/ -H "Authorization: Bearer $TOKEN" \\
        --exclude-path-regex '^/api/v1/check' --exclude-path '/api/v1/tokens/{prefix}/revoke/'
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from apps.accounts.services import personal_token_create
from apps.core.openapi import MANAGEMENT_SCHEME

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Organizations, members, invitations, teams, catalogs, policies and their versions, agents
# and keys, the kill switch, the decision log, tokens and the document format; the human loop
# (approvals, handoffs and their response times, webhooks and their deliveries, trust), the
# exports, the evidence chain and the audit trail with its verification and checkpoints.
MANAGEMENT_PATHS = (
    r"^/api/v1/(tokens/|policy-format|orgs/$|orgs/\{org\}/"
    r"($|members/|invitations/|teams/|catalog/|policies/|agents/|autonomy/|decisions/"
    r"|approvals/|handoffs/|trust/|webhooks/|exports/|evidence/|audit-events/|audit/))"
)
REVOKE = "/api/v1/tokens/{prefix}/revoke/"
ORG = "acme-test"  # the world fixture's, where the token's owner is owner


@pytest.fixture
def schema():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def _management_operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if any(MANAGEMENT_SCHEME in r for r in operation.get("security", [])):
                yield path, method, operation


def test_every_management_operation_documents_its_errors_in_one_shape(schema):
    operations = list(_management_operations(schema))
    assert len(operations) > 50
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in operations:
        responses = operation["responses"]
        assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status >= "400":
                assert response["content"]["application/json"]["schema"] == error
    assert set(schema["components"]["schemas"]["Error"]["properties"]["error"]["required"]) == {
        "code",
        "message",
        "fields",
    }
    for path in ("/api/v1/check", "/api/v1/check/batch"):
        assert "403" not in schema["paths"][path]["post"]["responses"]


def test_input_components_allow_nothing_the_serializers_refuse(schema):
    components = schema["components"]["schemas"]
    for name, component in components.items():
        if name.endswith("Request") and not name.startswith("Check"):
            assert component.get("additionalProperties") is False, name


def _schemathesis(live_server, token, tmp_path, *selection, parameters=None):
    config = tmp_path / "schemathesis.toml"
    values = {"org": ORG, **(parameters or {})}
    config.write_text("[parameters]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "run",
        f"{live_server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        # A connection per request: on a kept-alive one, every answer waits out a delayed ACK.
        "--header",
        "Connection: close",
        *selection,
        "--max-examples",
        "5",
        "--seed",
        "3",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.core.schemathesis_hooks"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def _human_loop_objects(world):
    """Objects that exist, so that schemathesis gets past 404 into what each operation does
    with them (deciding, claiming, closing, redelivering)."""
    names = world.names
    return {
        "approval_id": names["approval"],
        "handoff_id": names["handoff"],
        "webhook": names["webhook"],
        "message": names["webhook_message"],
        "decision_id": names["decision"],
    }


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing_on_the_management_api(live_server, world, tmp_path):
    assert world.org.slug == ORG
    owner = world.people["owner"]
    token = personal_token_create(user=owner, name="schemathesis").raw
    # Revoking tokens is driven on its own, last: schemathesis would revoke its own.
    _schemathesis(
        live_server,
        token,
        tmp_path,
        "--include-path-regex",
        MANAGEMENT_PATHS,
        "--exclude-path",
        REVOKE,
        parameters=_human_loop_objects(world),
    )
    _schemathesis(live_server, token, tmp_path, "--include-path", REVOKE)
