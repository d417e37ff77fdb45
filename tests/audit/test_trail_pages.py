"""The audit trail page: each event links to its page, changes read as JSON, the filters
(object type, time, sign-ins hidden) apply, and the download links carry them to the export
API, which answers the browser's session with the same rows."""

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.audit.signals import SIGNED_IN
from tests.audit.tampering import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(world):
    client = Client()
    client.force_login(world.people["auditor"])
    world.client = client
    world.page = f"/o/{world.org.slug}/activity/"
    return world


def record(world, verb: str, **fields) -> AuditEvent:
    with transaction.atomic():
        return audit_record(organization=world.org, by=world.people["owner"], verb=verb, **fields)


def seqs(response) -> set[int]:
    return {e.seq for e in response.context["page"]}


def export_link(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    tag = html[html.rindex("<a", 0, start) : start]
    return tag.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_rows_link_to_their_event_and_show_changes_as_json(auditor):
    event = record(
        auditor, "outcome.reported", object_type="checks.outcome", after={"executed": True}
    )
    html = auditor.client.get(auditor.page).content.decode()
    assert f'href="/o/{auditor.org.slug}/audit/events/{event.seq}/"' in html
    assert "{&quot;executed&quot;: true}" in html
    assert "&#x27;executed&#x27;: True" not in html


def test_object_type_time_and_sign_in_filters_apply(auditor):
    kept = record(auditor, "policy.renamed", object_type="policies.policy")
    other = record(auditor, "team.renamed", object_type="organizations.team")
    sign_in = record(auditor, SIGNED_IN, object_type="accounts.user")
    response = auditor.client.get(auditor.page, {"object_type": "policies.policy"})
    assert kept.seq in seqs(response)
    assert other.seq not in seqs(response)

    response = auditor.client.get(auditor.page, {"hide_sign_ins": "1"})
    assert sign_in.seq not in seqs(response)
    assert other.seq in seqs(response)
    assert not any(e.verb.startswith("user.sign") for e in response.context["page"])

    with tampering():  # an event of three days ago, without waiting for it
        AuditEvent.objects.filter(pk=kept.pk).update(at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = auditor.client.get(auditor.page, {"since": since})
    assert kept.seq not in seqs(response)
    assert other.seq in seqs(response)
    until = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = auditor.client.get(auditor.page, {"until": until})
    assert kept.seq in seqs(response)
    assert other.seq not in seqs(response)


def test_a_malformed_time_is_named_and_not_applied(auditor):
    response = auditor.client.get(auditor.page, {"since": "2026-13-45T99:00"})
    assert response.status_code == 200
    assert response.context["form"].errors["since"]
    assert 'role="alert"' in response.content.decode()


def test_download_links_carry_the_filters_to_the_export(auditor):
    kept = record(auditor, "policy.renamed", object_type="policies.policy")
    sign_in = record(auditor, SIGNED_IN, object_type="policies.policy")
    filters = {
        "verb": "",
        "object_type": "policies.policy",
        "since": "2020-01-01T00:00",
        "hide_sign_ins": "1",
    }
    html = auditor.client.get(auditor.page, filters).content.decode()
    link = export_link(html, "export-csv")
    url = urlsplit(link)
    assert url.path == f"/api/v1/orgs/{auditor.org.slug}/exports/audit.csv"
    query = parse_qs(url.query)
    assert query == {
        "object_type": ["policies.policy"],
        "since": ["2020-01-01T00:00:00+00:00"],
        "hide_sign_ins": ["true"],
    }
    assert urlsplit(export_link(html, "export-json")).path.endswith("/exports/audit.json")

    response = auditor.client.get(link)  # the browser's session is enough
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert kept.seq in {int(r["seq"]) for r in rows}
    assert sign_in.seq not in {int(r["seq"]) for r in rows}
    assert {r["object_type"] for r in rows} == {"policies.policy"}


def test_without_filters_the_links_export_everything(auditor):
    html = auditor.client.get(auditor.page).content.decode()
    assert export_link(html, "export-csv") == f"/api/v1/orgs/{auditor.org.slug}/exports/audit.csv"


def test_the_trail_api_hides_sign_ins_too(auditor):
    sign_in = record(auditor, SIGNED_IN, object_type="accounts.user")
    url = f"/api/v1/orgs/{auditor.org.slug}/audit-events/"
    shown = auditor.client.get(url, {"hide_sign_ins": "true", "page_size": 200}).json()
    assert sign_in.seq not in {e["seq"] for e in shown["results"]}
    assert auditor.client.get(url, {"hide_sign_ins": "maybe"}).status_code == 400
