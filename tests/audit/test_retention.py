"""Decision retention: an owner sets how long decisions are kept; expiry deletes only old
decisions no person worked on, in batches, records one event per run with a digest of what
went, and leaves the audit chain exactly as it was."""

import hashlib
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.audit import retention
from apps.audit.models import AuditEvent
from apps.audit.retention import decisions_expire, decisions_expire_due
from apps.audit.tasks import expire_decisions
from apps.audit.verification import audit_verify
from apps.checks.models import Decision
from apps.humans import services as human_services
from apps.humans.models import Approval, Handoff, Outcome
from tests.audit.test_exports import make_decisions

NOW = timezone.now()
DAY = timedelta(days=1)


def chain(org) -> list[tuple[int, str, str]]:
    return list(
        AuditEvent.objects.filter(organization=org)
        .order_by("seq")
        .values_list("seq", "verb", "hash")
    )


@pytest.fixture
def aged(world):
    """Old decisions (some with a person's work attached), recent ones, and the other
    organization's old ones; the organization keeps decisions 90 days."""
    world.old = make_decisions(
        world.org, [{"at": NOW - (200 - n) * DAY, "request_id": f"old-{n}"} for n in range(7)]
    )
    world.recent = make_decisions(world.org, [{"at": NOW - 89 * DAY}, {"at": NOW - DAY}])
    # Old decisions that people worked on: an approval, a handoff, an outcome.
    asked, escalated, reported = make_decisions(
        world.org,
        [
            {
                "at": NOW - 150 * DAY,
                "decision": "require_approval",
                "obligations": {"approver_team": "deal-desk"},
            },
            {
                "at": NOW - 150 * DAY,
                "decision": "escalate",
                "obligations": {"route_to_team": "deal-desk"},
            },
            {"at": NOW - 150 * DAY},
        ],
    )
    agent = world.org_agent = asked.agent
    human_services.approval_submit(
        agent=agent, decision_id=asked.decision_id, draft={"body": "Hi"}, context={}
    )
    human_services.handoff_create(agent=agent, decision_id=escalated.decision_id, context={})
    human_services.decision_outcome_report(
        agent=agent, decision_id=reported.decision_id, executed=True
    )
    world.worked = [asked, escalated, reported]
    world.foreign_old = make_decisions(
        world.other, [{"at": NOW - 300 * DAY, "agent": "their-agent"}]
    )
    world.org.decision_retention_days = 90
    world.org.save(update_fields=["decision_retention_days"])
    return world


def test_expiry_deletes_only_old_decisions_nobody_worked_on(aged):
    before = chain(aged.org)
    expiry = decisions_expire(organization=aged.org, now=NOW)
    assert expiry.count == 7
    remaining = set(
        Decision.objects.filter(organization=aged.org).values_list("decision_id", flat=True)
    )
    assert not remaining & {d.decision_id for d in aged.old}
    assert {d.decision_id for d in aged.recent + aged.worked} <= remaining
    assert len(remaining) == 2 + 3 + 3  # recent, worked on, and the world's own (today)
    assert Approval.objects.filter(decision__in=aged.worked).count() == 1
    assert Handoff.objects.filter(decision__in=aged.worked).count() == 1
    assert Outcome.objects.filter(decision__in=aged.worked).count() == 1
    # The other organization keeps everything: it set no retention.
    assert Decision.objects.filter(pk=aged.foreign_old[0].pk).exists()

    # One event, appended: the chain before it is untouched and verifies.
    after = chain(aged.org)
    assert after[:-1] == before
    seq, verb, _ = after[-1]
    assert (seq, verb) == (before[-1][0] + 1, "decisions.expired")
    assert audit_verify(organization=aged.org).ok
    event = AuditEvent.objects.get(organization=aged.org, seq=seq)
    ids = [d.decision_id for d in sorted(aged.old, key=lambda d: (d.evaluated_at, d.pk))]
    assert event.after["count"] == 7
    assert event.after["oldest_evaluated_at"] == aged.old[0].evaluated_at.isoformat()
    assert event.after["newest_evaluated_at"] == aged.old[-1].evaluated_at.isoformat()
    assert (
        event.after["decision_ids_sha256"]
        == hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()
    )
    assert event.after["decision_ids_sha256"] == expiry.digest
    assert event.after["retention_days"] == 90
    assert event.after["more_remaining"] is False
    assert event.object_type == "checks.decision"


def test_a_second_run_finds_nothing_and_records_nothing(aged):
    decisions_expire(organization=aged.org, now=NOW)
    before = chain(aged.org)
    expiry = decisions_expire(organization=aged.org, now=NOW)
    assert expiry.count == 0
    assert expiry.event_seq is None
    assert chain(aged.org) == before


def test_nothing_expires_while_retention_is_unset(aged):
    aged.org.decision_retention_days = None
    aged.org.save(update_fields=["decision_retention_days"])
    before = (Decision.objects.count(), chain(aged.org))
    assert decisions_expire(organization=aged.org, now=NOW + 10_000 * DAY) is None
    assert decisions_expire_due(now=NOW + 10_000 * DAY) == []
    assert (Decision.objects.count(), chain(aged.org)) == before


def test_runs_delete_in_batches_and_stop_at_their_limit(aged):
    """A run stops at max_rows, says more remain, and the next run carries on where it
    stopped: every old row expires exactly once across the runs."""
    first = decisions_expire(organization=aged.org, now=NOW, batch_size=2, max_rows=5)
    assert first.count == 5
    assert first.more is True
    second = decisions_expire(organization=aged.org, now=NOW, batch_size=2, max_rows=5)
    assert second.count == 2
    assert second.more is False
    events = AuditEvent.objects.filter(organization=aged.org, verb="decisions.expired")
    assert [e.after["count"] for e in events.order_by("seq")] == [5, 2]
    assert events.order_by("seq").first().after["more_remaining"] is True
    ordered = sorted(aged.old, key=lambda d: (d.evaluated_at, d.pk))
    assert first.newest == ordered[4].evaluated_at
    assert second.oldest == ordered[5].evaluated_at
    assert audit_verify(organization=aged.org).ok


def test_the_periodic_task_runs_every_organization_with_retention(aged):
    aged.other.decision_retention_days = 30
    aged.other.save(update_fields=["decision_retention_days"])
    assert expire_decisions() == 7 + 1
    event = AuditEvent.objects.filter(organization=aged.other, verb="decisions.expired").get()
    assert event.actor == "task:expire_decisions"
    assert event.actor_type == "system"
    assert not Decision.objects.filter(pk=aged.foreign_old[0].pk).exists()


def test_a_failure_rolls_the_whole_run_back(aged, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(retention, "audit_record", broken)
    before = Decision.objects.count()
    with pytest.raises(RuntimeError):
        decisions_expire(organization=aged.org, now=NOW)
    assert Decision.objects.count() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_outside_the_service_the_decision_log_refuses_deletes(aged):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=aged.old[0].pk).delete()
    # The service's permission ends with its transaction.
    decisions_expire(organization=aged.org, now=NOW)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Decision.objects.filter(pk=aged.recent[0].pk).delete()


def test_owners_set_retention_through_the_api(world, api_as):
    url = f"/api/v1/orgs/{world.org.slug}/"
    client = api_as(world.people["owner"])
    assert client.get(url).json()["decision_retention_days"] is None
    response = client.patch(url, {"decision_retention_days": 365}, format="json")
    assert response.status_code == 200
    assert response.json()["decision_retention_days"] == 365
    world.org.refresh_from_db()
    assert world.org.decision_retention_days == 365
    event = AuditEvent.objects.filter(organization=world.org).order_by("-seq").first()
    assert (event.verb, event.actor) == ("organization.retention_changed", "owner")
    assert (event.before, event.after) == (
        {"decision_retention_days": None},
        {"decision_retention_days": 365},
    )
    # The same value again changes nothing and records nothing.
    assert client.patch(url, {"decision_retention_days": 365}, format="json").status_code == 200
    assert AuditEvent.objects.filter(organization=world.org).order_by("-seq").first() == event
    # Back to forever.
    assert (
        client.patch(url, {"decision_retention_days": None}, format="json").json()[
            "decision_retention_days"
        ]
        is None
    )


@pytest.mark.parametrize("value", [0, -1, 36_501, "30", 30.5, True])
def test_retention_must_be_whole_days(world, api_as, value):
    response = api_as(world.people["owner"]).patch(
        f"/api/v1/orgs/{world.org.slug}/", {"decision_retention_days": value}, format="json"
    )
    assert response.status_code == 400
    assert "decision_retention_days" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", ["auditor", "author", "reviewer", "member"])
def test_only_owners_set_retention(world, api_as, role):
    response = api_as(world.people[role]).patch(
        f"/api/v1/orgs/{world.org.slug}/", {"decision_retention_days": 30}, format="json"
    )
    assert response.status_code == 403
    world.org.refresh_from_db()
    assert world.org.decision_retention_days is None
