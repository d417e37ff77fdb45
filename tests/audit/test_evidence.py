"""The evidence package: a zip with the versions in force and their reviews, decision
statistics, approvals and handoffs with their timings, the audit events, checkpoints and the
verification, and a printable summary; limited to its period, written to a file, audited,
and the same from the API and the command."""

import csv
import hashlib
import io
import json
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.http import FileResponse
from django.utils import timezone

from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.verification import audit_verify
from apps.checks.models import Decision
from apps.humans import services as human_services
from apps.humans.models import Approval, Handoff
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.audit.test_exports import make_decisions

URL = "/api/v1/orgs/{org}/exports/evidence.zip"
FILES = {
    "summary.html",
    "manifest.json",
    "policies/versions.csv",
    "policies/versions.json",
    "policies/pipeline/v3.yaml",
    "policies/pipeline/v3.json",
    "decisions/statistics.csv",
    "decisions/statistics.json",
    "humans/approvals.csv",
    "humans/approvals.json",
    "humans/handoffs.csv",
    "humans/handoffs.json",
    "audit/events.csv",
    "audit/events.json",
    "audit/checkpoints.csv",
    "audit/checkpoints.json",
    "audit/verification.json",
}
OPTIONAL_AFTER = ("summary.html", "manifest.json", "audit/verification.json")


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode(), newline="")))


def fetch(client, org, **period) -> tuple[zipfile.ZipFile, bytes, object]:
    query = "&".join(f"{k}={z(v)}" for k, v in period.items())
    response = client.get(URL.format(org=org) + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.content
    assert isinstance(response, FileResponse)
    data = b"".join(response.streaming_content)  # the test client closes it at the end
    return zipfile.ZipFile(io.BytesIO(data)), data, response


@pytest.fixture
def history(world):
    """v3 published, the approval decided and the handoff worked, some older decisions, a
    checkpoint; the period runs from before all that to just after."""
    start = timezone.now()
    v3 = PolicyVersion.objects.get(policy__key="pipeline", organization=world.org, number=3)
    policy_services.policy_version_publish(version=v3, by=world.people["reviewer"])
    approval = Approval.objects.get(organization=world.org)
    human_services.approval_decide(
        approval=approval, by=world.people["member"], verdict="approve", comment="Fine."
    )
    handoff = Handoff.objects.get(organization=world.org)
    human_services.handoff_claim(handoff=handoff, by=world.people["member"])
    human_services.handoff_close(handoff=handoff, by=world.people["member"], resolution="Called")
    make_decisions(
        world.org,
        [
            {"at": timezone.now(), "action": "offer_discount", "decision": "deny"},
            {"at": timezone.now(), "action": "offer_discount", "decision": "deny"},
            {"at": timezone.now() - timedelta(days=400), "decision": "allow"},  # before
        ],
    )
    from apps.audit.services import audit_checkpoints_take

    audit_checkpoints_take()
    world.start = start
    world.since = world.org.created_at
    world.until = timezone.now()  # exports made after it are not in it
    return world


def test_the_package_holds_every_part_and_its_counts_match(history, api_as):
    org = history.org
    since, until = history.since, history.until
    archive, _, response = fetch(
        api_as(history.people["auditor"]), org.slug, since=since, until=until
    )
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-acme-test-')
    assert set(archive.namelist()) == FILES
    assert archive.testzip() is None

    (version,) = read_csv(archive, "policies/versions.csv")
    v3 = PolicyVersion.objects.get(organization=org, policy__key="pipeline", number=3)
    assert version["version"] == "3"
    assert version["author"] == "author"
    assert version["contributors"] == "author"
    assert version["reviewer"] == "reviewer"
    assert version["approved_hash"] == version["content_hash"] == v3.content_hash
    assert version["published_by"] == "reviewer"
    assert version["published_at"] == v3.activated_at.isoformat()
    assert version["document_matches_hash"] == version["approved_hash_matches"] == "True"
    assert json.loads(archive.read("policies/pipeline/v3.json")) == v3.document
    assert "send_follow_up" in archive.read("policies/pipeline/v3.yaml").decode()

    in_period = Decision.objects.filter(
        organization=org, evaluated_at__gte=since, evaluated_at__lt=until
    )
    statistics = read_csv(archive, "decisions/statistics.csv")
    assert sum(int(row["decisions"]) for row in statistics) == in_period.count() == 5
    denied = next(r for r in statistics if r["action"] == "offer_discount")
    assert (denied["agent"], denied["decision"], denied["decisions"]) == ("copilot", "deny", "2")
    assert json.loads(archive.read("decisions/statistics.json"))[0].keys() >= {"agent", "action"}

    (approval,) = read_csv(archive, "humans/approvals.csv")
    stored = Approval.objects.get(organization=org)
    assert approval["approval_id"] == stored.public_id
    assert approval["status"] == "approved"
    assert approval["decided_by"] == "member"
    assert approval["decided_in_time"] == "True"
    assert int(approval["seconds_to_decision"]) >= 0
    (handoff,) = read_csv(archive, "humans/handoffs.csv")
    assert handoff["assignee"] == handoff["closed_by"] == "member"
    assert handoff["status"] == Handoff.objects.get(organization=org).status
    assert handoff["answered_in_time"] == "True"

    events = read_csv(archive, "audit/events.csv")
    # Everything of the period up to the export itself, recorded once the zip was written.
    stored_events = AuditEvent.objects.filter(
        organization=org, at__gte=since, at__lt=until
    ).exclude(verb="evidence.exported")
    assert [int(e["seq"]) for e in events] == list(
        stored_events.order_by("seq").values_list("seq", flat=True)
    )
    assert len(json.loads(archive.read("audit/events.json"))) == len(events)

    checkpoints = json.loads(archive.read("audit/checkpoints.json"))
    assert [c["seq"] for c in checkpoints] == list(
        AuditCheckpoint.objects.filter(organization=org).values_list("seq", flat=True)
    )
    assert len(read_csv(archive, "audit/checkpoints.csv")) == len(checkpoints) == 1
    verification = json.loads(archive.read("audit/verification.json"))
    assert verification["ok"] is True
    assert verification["problems"] == []

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["organization"]["slug"] == org.slug
    assert manifest["period"] == {"since": since.isoformat(), "until": until.isoformat()}
    assert manifest["counts"]["decisions"] == 5
    assert manifest["counts"]["approvals"] == manifest["counts"]["handoffs"] == 1
    assert manifest["counts"]["audit_events"] == len(events)
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == FILES - {"manifest.json"}
    for name, entry in listed.items():
        content = archive.read(name)
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], name
        assert len(content) == entry["bytes"]
    assert listed["audit/events.csv"]["rows"] == len(events)


def test_exporting_is_audited_with_the_zips_hash(history, api_as):
    _, data, response = fetch(
        api_as(history.people["auditor"]), history.org.slug, since=history.since
    )
    event = AuditEvent.objects.filter(organization=history.org).order_by("-seq").first()
    assert event.verb == "evidence.exported"
    assert event.actor == "auditor"
    assert event.via == "api"
    assert event.after["sha256"] == hashlib.sha256(data).hexdigest() == response["X-Content-SHA256"]
    assert event.after["bytes"] == len(data)
    assert event.after["since"] == history.since.isoformat()
    assert event.after["counts"]["decisions"] == 5
    assert audit_verify(organization=history.org).ok


def test_the_summary_renders_for_print(history, api_as):
    archive, _, _ = fetch(
        api_as(history.people["owner"]), history.org.slug, since=history.since, until=history.until
    )
    html = archive.read("summary.html").decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "<link" not in html  # self-contained: its CSS is inline
    assert "@page" in html
    assert "Acme Test" in html
    assert "The audit chain verifies." in html
    assert "Pipeline" in html
    assert "version 3" in html
    v3 = PolicyVersion.objects.get(organization=history.org, policy__key="pipeline", number=3)
    assert v3.content_hash in html
    assert "hash verified" in html
    assert "offer_discount" in html
    assert "policy_version.activated" in html


def test_the_period_limits_every_part(history, api_as):
    client = api_as(history.people["auditor"])
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    archive, _, _ = fetch(client, history.org.slug, since=long_ago, until=history.start)
    # v3 was published after the period: the versions in force then were none.
    assert read_csv(archive, "policies/versions.csv") == []
    assert "policies/pipeline/v3.yaml" not in archive.namelist()
    # Decisions: only the one made 400 days ago... and the world's, made before `start`.
    before = Decision.objects.filter(organization=history.org, evaluated_at__lt=history.start)
    statistics = read_csv(archive, "decisions/statistics.csv")
    assert sum(int(r["decisions"]) for r in statistics) == before.count() == 4
    events = read_csv(archive, "audit/events.csv")
    assert events
    assert all(datetime.fromisoformat(e["at"]) < history.start for e in events)
    verbs = {e["verb"] for e in events}
    assert "policy_version.activated" not in verbs
    assert "approval.approved" not in verbs

    archive, _, _ = fetch(client, history.org.slug, since=long_ago, until=long_ago + timedelta(1))
    for name in ("policies/versions.csv", "decisions/statistics.csv", "audit/events.csv"):
        assert read_csv(archive, name) == [], name
    assert read_csv(archive, "humans/approvals.csv") == []
    assert json.loads(archive.read("humans/handoffs.json")) == []
    assert "No policy version was in force" in archive.read("summary.html").decode()


def test_a_period_that_ends_before_it_starts_holds_nothing(world, api_as):
    client = api_as(world.people["auditor"])
    archive, _, _ = fetch(
        client,
        world.org.slug,
        since=datetime(2026, 10, 2, tzinfo=UTC),
        until=datetime(2026, 10, 1, tzinfo=UTC),
    )
    for name in ("policies/versions.csv", "decisions/statistics.csv", "audit/events.csv"):
        assert read_csv(archive, name) == [], name
    assert json.loads(archive.read("manifest.json"))["counts"]["decisions"] == 0
    # Before the organization existed: the default `since` is its creation.
    archive, _, _ = fetch(client, world.org.slug, until=datetime(2000, 1, 1, tzinfo=UTC))
    assert read_csv(archive, "audit/events.csv") == []


def test_a_malformed_time_answers_400(world, api_as):
    response = api_as(world.people["auditor"]).get(
        URL.format(org=world.org.slug) + "?since=last-week"
    )
    assert response.status_code == 400
    assert "since" in response.json()["error"]["fields"]
    assert not AuditEvent.objects.filter(verb="evidence.exported").exists()


def test_the_command_writes_the_same_package(history, api_as, tmp_path):
    since, until = history.since, history.until
    from_api, _, _ = fetch(
        api_as(history.people["auditor"]), history.org.slug, since=since, until=until
    )
    out = tmp_path / "evidence.zip"
    stdout = io.StringIO()
    call_command(
        "export_evidence",
        history.org.slug,
        "--since",
        z(since),
        "--until",
        z(until),
        "--out",
        str(out),
        "--as",
        "auditor",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert stdout.getvalue().strip() == f"{digest}  {out}"
    from_command = zipfile.ZipFile(out)
    assert set(from_command.namelist()) == set(from_api.namelist()) == FILES
    for name in FILES - set(OPTIONAL_AFTER):
        assert from_command.read(name) == from_api.read(name), name
    event = AuditEvent.objects.filter(organization=history.org).order_by("-seq").first()
    assert (event.verb, event.actor, event.via) == (
        "evidence.exported",
        "auditor",
        "command:export_evidence",
    )
    assert event.after["sha256"] == digest
    assert not list(tmp_path.glob(".evidence-*"))  # no partial file left behind


def test_the_command_refuses_people_who_may_not_export(history, tmp_path):
    out = tmp_path / "e.zip"
    with pytest.raises(CommandError, match="may not export"):
        call_command("export_evidence", history.org.slug, "--out", str(out), "--as", "member")
    with pytest.raises(CommandError, match="No organization"):
        call_command("export_evidence", "nope", "--out", str(out))
    with pytest.raises(CommandError, match="RFC 3339"):
        call_command("export_evidence", history.org.slug, "--out", str(out), "--since", "May")
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_the_command_without_a_person_is_recorded_as_itself(history, tmp_path):
    out = tmp_path / "e.zip"
    call_command("export_evidence", history.org.slug, "--out", str(out), stdout=io.StringIO())
    assert zipfile.ZipFile(out).testzip() is None
    event = AuditEvent.objects.filter(organization=history.org).order_by("-seq").first()
    assert event.verb == "evidence.exported"
    assert event.actor == "command:export_evidence"


@pytest.mark.browser
def test_the_summary_prints_to_pdf(history, api_as, tmp_path):
    """Chromium, as a separate process (its sync driver would take this test's database
    connection), prints the summary to PDF from the file alone."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

    archive, _, _ = fetch(api_as(history.people["auditor"]), history.org.slug, since=history.since)
    html = archive.read("summary.html").decode()
    for fetched in ("<script", "<link", "src=", "url(", "@import"):
        assert fetched not in html  # it needs nothing but itself
    summary = tmp_path / "summary.html"
    summary.write_text(html)
    pdf = tmp_path / "summary.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for output in (f"--print-to-pdf={pdf}", f"--screenshot={SCREENSHOTS / 'evidence_summary.png'}"):
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                *CHROMIUM_ARGS,
                "--no-pdf-header-footer",
                "--window-size=1280,4200",
                output,
                summary.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000


def test_an_edited_approval_carries_its_final_draft_and_comment(world, api_as):
    approval = Approval.objects.get(organization=world.org)
    final = {**(approval.draft or {}), "discount_pct": 7, "note": "=capped"}
    human_services.approval_decide(
        approval=approval,
        by=world.people["member"],
        verdict="edit",
        comment="Capped at 7%.",
        final_draft=final,
    )
    archive, _, _ = fetch(api_as(world.people["auditor"]), world.org.slug)
    (row,) = read_csv(archive, "humans/approvals.csv")
    assert row["status"] == "edited"
    assert row["comment"] == "Capped at 7%."
    assert json.loads(row["final_draft"]) == final  # JSON text, not a Python repr
    (entry,) = json.loads(archive.read("humans/approvals.json"))
    assert entry["final_draft"] == final


def test_an_approval_approved_as_written_has_no_final_draft(history, api_as):
    archive, _, _ = fetch(api_as(history.people["auditor"]), history.org.slug)
    (row,) = read_csv(archive, "humans/approvals.csv")
    assert "final_draft" in row
    assert row["final_draft"] == ""


def test_the_summary_counts_one_checkpoint_in_the_singular(history, api_as):
    archive, _, _ = fetch(api_as(history.people["auditor"]), history.org.slug, since=history.since)
    html = archive.read("summary.html").decode()
    assert "1 signed checkpoint holds." in html
    assert "checkpoint hold." not in html
