"""The downloads an auditor reaches from the pages: the decision log's CSV and JSON with its
filters (for those who may export), and the evidence package of a period chosen in days."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def signed_in(world, role: str) -> Client:
    client = Client()
    client.force_login(world.people[role])
    return client


def link(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    tag = html[html.rindex("<a", 0, start) : start]
    return tag.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_the_decision_log_links_its_exports_with_its_filters(world):
    client = signed_in(world, "auditor")
    page = f"/o/{world.org.slug}/decisions/"
    html = client.get(page, {"decision": "deny", "since": "2026-01-02T03:04"}).content.decode()
    url = urlsplit(link(html, "export-csv"))
    assert url.path == f"/api/v1/orgs/{world.org.slug}/exports/decisions.csv"
    assert parse_qs(url.query) == {"decision": ["deny"], "since": ["2026-01-02T03:04:00+00:00"]}
    assert urlsplit(link(html, "export-json")).path.endswith("/exports/decisions.json")
    response = client.get(link(html, "export-json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_malformed_filter_is_not_carried_to_the_export(world):
    html = (
        signed_in(world, "auditor")
        .get(f"/o/{world.org.slug}/decisions/", {"since": "yesterday", "decision": "allow"})
        .content.decode()
    )
    assert parse_qs(urlsplit(link(html, "export-csv")).query) == {"decision": ["allow"]}


def test_who_may_not_export_sees_no_download(world):
    # An author reads the decision log, but the export API answers only the audit capability.
    html = signed_in(world, "author").get(f"/o/{world.org.slug}/decisions/").content.decode()
    assert 'data-testid="decision-exports"' not in html
    assert "/exports/decisions" not in html


def test_the_evidence_index_offers_the_last_thirty_days(world):
    html = signed_in(world, "auditor").get(f"/o/{world.org.slug}/evidence/").content.decode()
    today = timezone.now().date()
    assert f'action="/o/{world.org.slug}/evidence/download/"' in html
    assert f'name="start" value="{today - timedelta(days=30):%Y-%m-%d}"' in html
    assert f'name="end" value="{today:%Y-%m-%d}"' in html


def test_a_period_in_days_becomes_the_apis_rfc_3339_times(world):
    client = signed_in(world, "auditor")
    download = f"/o/{world.org.slug}/evidence/download/"
    response = client.get(download, {"start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.path == f"/api/v1/orgs/{world.org.slug}/evidence/"
    assert parse_qs(url.query) == {
        "since": ["2026-01-01T00:00:00+00:00"],
        "until": ["2026-02-01T00:00:00+00:00"],
    }
    package = client.get(response["Location"])
    assert package.status_code == 200
    assert package["Content-Type"] == "application/zip"


def test_a_period_ending_today_runs_to_now(world):
    today = timezone.now().date()
    response = signed_in(world, "auditor").get(
        f"/o/{world.org.slug}/evidence/download/",
        {"start": f"{today - timedelta(days=30):%Y-%m-%d}", "end": f"{today:%Y-%m-%d}"},
    )
    assert parse_qs(urlsplit(response["Location"]).query) == {
        "since": [f"{today - timedelta(days=30):%Y-%m-%d}T00:00:00+00:00"]
    }


def test_a_bad_period_is_named_on_the_page(world):
    response = signed_in(world, "auditor").get(
        f"/o/{world.org.slug}/evidence/download/", {"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "Must not be before the start." in response.content.decode()


def test_the_download_needs_the_audit_capability(world):
    response = signed_in(world, "author").get(
        f"/o/{world.org.slug}/evidence/download/", {"start": "2026-01-01", "end": "2026-01-31"}
    )
    assert response.status_code == 403
