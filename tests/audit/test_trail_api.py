"""The audit trail in the management API: events by page with filters, the verification
walked now (and what it says once the chain was tampered with), the signed checkpoints, and
the evidence package under /evidence/."""

import io
import zipfile

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import audit_checkpoints_take
from apps.audit.verification import checkpoint_document
from tests.audit.tampering import tampering

pytestmark = pytest.mark.django_db


def _url(world, path: str) -> str:
    return f"/api/v1/orgs/{world.org.slug}/{path}"


def _all_pages(client, url: str) -> list[dict]:
    rows: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


def test_events_come_newest_first_by_page_and_only_of_the_organization(world, api_as):
    auditor = api_as(world.people["auditor"])
    rows = _all_pages(auditor, _url(world, "audit-events/?page_size=5"))
    ours = list(
        AuditEvent.objects.filter(organization=world.org)
        .order_by("-seq")
        .values_list("seq", "hash")
    )
    assert [(row["seq"], row["hash"]) for row in rows] == ours
    first = rows[-1]
    assert first["prev_hash"] == "0" * 64
    assert {"actor", "actor_type", "verb", "object_type", "before", "after", "at"} <= set(first)


def test_events_filter_by_verb_actor_and_time(world, api_as):
    auditor = api_as(world.people["auditor"])
    rows = _all_pages(auditor, _url(world, "audit-events/?verb=policy_version.&actor=reviewer"))
    assert rows
    assert all(r["verb"].startswith("policy_version.") and r["actor"] == "reviewer" for r in rows)
    later = auditor.get(_url(world, "audit-events/?since=2100-01-01T00:00:00Z")).json()
    assert later["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("verb=a&verb=b", "verb"),
        ("page_size=0", "page_size"),
        ("cursor=not-ours", None),
    ],
)
def test_bad_queries_are_named(world, api_as, query, field):
    response = api_as(world.people["auditor"]).get(_url(world, f"audit-events/?{query}"))
    if field is None:  # a cursor this API did not give, as everywhere in it
        assert response.status_code == 404
        return
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_verification_holds_then_names_the_altered_event(world, api_as):
    audit_checkpoints_take()
    auditor = api_as(world.people["auditor"])
    clean = auditor.get(_url(world, "audit/verify/")).json()
    assert clean["ok"] is True
    assert clean["problems"] == []
    assert clean["checkpoints_checked"] == 1
    assert clean["head_seq"] == AuditEvent.objects.filter(organization=world.org).count()

    victim = AuditEvent.objects.filter(organization=world.org).order_by("seq")[3]
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["forged", victim.pk]
        )
    broken = auditor.get(_url(world, "audit/verify/")).json()
    assert broken["ok"] is False
    assert broken["problems"][0]["kind"] == "altered"
    assert broken["problems"][0]["seq"] == victim.seq


def test_checkpoints_are_the_documents_an_auditor_keeps(world, api_as):
    taken = audit_checkpoints_take()
    mine = [c for c in taken if c.organization_id == world.org.pk]
    body = api_as(world.people["auditor"]).get(_url(world, "audit/checkpoints/")).json()
    assert body["results"] == [checkpoint_document(c) for c in mine]


def test_the_evidence_package_answers_under_its_resource_name(world, api_as):
    response = api_as(world.people["auditor"]).get(
        _url(world, "evidence/?since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z")
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "summary.html" in {name.rsplit("/", 1)[-1] for name in archive.namelist()}


@pytest.mark.parametrize("path", ["audit-events/", "audit/verify/", "audit/checkpoints/"])
def test_people_without_the_audit_capability_are_refused(world, api_as, path):
    assert api_as(world.people["member"]).get(_url(world, path)).status_code == 403
    assert api_as(world.people["auditor"]).get(_url(world, path)).status_code == 200
