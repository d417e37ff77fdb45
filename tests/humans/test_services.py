"""Deciding approvals and working handoffs: decision rights, one decision only, expiry,
reminders, overdue handoffs, and the audit trail of each."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, PermissionRefused, ValidationFailed
from apps.humans import services
from apps.humans.models import Approval, Handoff
from apps.humans.selectors import approvals_list, human_loop_summary
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db


def test_only_the_routed_team_or_an_owner_decides(world, approval):
    outsider = make_member(world.org, ["member"], UserFactory(username="not-in-team"))
    with pytest.raises(PermissionRefused):
        services.approval_decide(approval=approval, by=outsider, verdict="approve")
    with pytest.raises(PermissionRefused):
        services.approval_decide(approval=approval, by=world.people["reviewer"], verdict="approve")
    decided = services.approval_decide(
        approval=approval, by=world.people["owner"], verdict="approve"
    )
    assert decided.status == "approved"


def test_the_second_decision_is_refused_and_names_the_first(world, approval):
    services.approval_decide(approval=approval, by=world.people["member"], verdict="approve")
    with pytest.raises(Conflict) as refused:
        services.approval_decide(
            approval=approval, by=world.people["owner"], verdict="reject", comment="No"
        )
    assert "member" in refused.value.message


@pytest.mark.parametrize(
    ("verdict", "extra", "field"),
    [
        ("reject", {}, "comment"),
        ("edit", {}, "final_draft"),
        ("edit", {"final_draft": "same"}, "final_draft"),
        ("maybe", {}, "verdict"),
    ],
)
def test_incomplete_verdicts_are_refused_and_nothing_changes(
    world, approval, verdict, extra, field
):
    if extra.get("final_draft") == "same":
        extra = {"final_draft": dict(approval.draft)}
    with pytest.raises(ValidationFailed) as refused:
        services.approval_decide(
            approval=approval, by=world.people["member"], verdict=verdict, **extra
        )
    assert field in refused.value.fields
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_edit_keeps_both_versions_and_is_audited(world, approval):
    final = {**approval.draft, "body": "Dear Priya, as discussed…"}
    services.approval_decide(
        approval=approval, by=world.people["member"], verdict="edit", final_draft=final
    )
    approval.refresh_from_db()
    assert approval.status == "edited"
    assert approval.final_draft == final
    assert approval.draft["body"] == "Dear Priya, …"
    event = AuditEvent.objects.filter(organization=world.org, verb="approval.edited").get()
    assert event.after["status"] == "edited"


def test_deciding_after_the_window_expires_it(world, approval):
    later = approval.due_at + timedelta(seconds=1)
    with pytest.raises(Conflict):
        services.approval_decide(
            approval=approval, by=world.people["member"], verdict="approve", now=later
        )
    approval.refresh_from_db()
    assert approval.status == "expired"
    assert AuditEvent.objects.filter(verb="approval.expired").count() == 1


def test_reminders_go_once_when_a_quarter_of_the_window_is_left(world, approval):
    window = approval.due_at - approval.created_at
    early = approval.created_at + window * 0.5
    assert approval.pk not in services.approvals_remind_due(now=early)
    late = approval.created_at + window * 0.8
    assert approval.pk in services.approvals_remind_due(now=late)
    assert approval.pk not in services.approvals_remind_due(now=late)
    assert human_loop_summary(organization=world.org, now=late)["approvals_due_soon"] == 1


def test_handoff_claimed_once_then_resolved(world, handoff):
    services.handoff_claim(handoff=handoff, by=world.people["member"])
    with pytest.raises(Conflict):
        services.handoff_claim(handoff=handoff, by=world.people["owner"])
    with pytest.raises(ValidationFailed):
        services.handoff_close(handoff=handoff, by=world.people["member"])
    closed = services.handoff_close(
        handoff=handoff, by=world.people["member"], resolution="Quoted 40 seats annual."
    )
    assert closed.status == "resolved"
    assert closed.closed_by == world.people["member"]


def _notices(handoff) -> list[dict]:
    events = AuditEvent.objects.filter(verb="handoff.overdue", object_id=str(handoff.pk))
    return [event.after for event in events.order_by("seq")]


def test_an_overdue_handoff_is_flagged_when_it_falls_due(world, handoff):
    early = handoff.due_at - timedelta(seconds=1)
    assert handoff.pk not in services.handoffs_flag_overdue(now=early)
    handoff.refresh_from_db()
    assert handoff.overdue_notified_at is None
    later = handoff.due_at + timedelta(minutes=1)
    assert handoff.pk in services.handoffs_flag_overdue(now=later)
    handoff.refresh_from_db()
    assert handoff.overdue_notified_at == later
    assert _notices(handoff) == [
        {"due_at": handoff.due_at.isoformat(), "status": "open", "assignee": None, "notice": 1}
    ]
    summary = human_loop_summary(organization=world.org, now=later)
    assert summary["handoffs_overdue"] == 1
    assert summary["approvals_pending"] == 1


def test_an_overdue_handoff_is_announced_again_each_interval(world, handoff, settings):
    settings.MANDATE_HANDOFF_RENOTIFY_MINUTES = 60
    first = handoff.due_at + timedelta(minutes=1)
    assert handoff.pk in services.handoffs_flag_overdue(now=first)
    for quiet in (first, first + timedelta(minutes=30), first + timedelta(minutes=59)):
        assert handoff.pk not in services.handoffs_flag_overdue(now=quiet)
    second = first + timedelta(minutes=60)
    assert handoff.pk in services.handoffs_flag_overdue(now=second)
    assert handoff.pk not in services.handoffs_flag_overdue(now=second + timedelta(minutes=59))
    assert handoff.pk in services.handoffs_flag_overdue(now=second + timedelta(minutes=61))
    handoff.refresh_from_db()
    assert handoff.overdue_notified_at == second + timedelta(minutes=61)
    assert handoff.overdue_notices == 3
    assert [after["notice"] for after in _notices(handoff)] == [1, 2, 3]


def test_a_claimed_handoff_left_unresolved_is_announced_too(world, handoff, settings):
    settings.MANDATE_HANDOFF_RENOTIFY_MINUTES = 60
    services.handoff_claim(handoff=handoff, by=world.people["member"])
    later = handoff.due_at + timedelta(minutes=5)
    assert handoff.pk in services.handoffs_flag_overdue(now=later)
    assert handoff.pk in services.handoffs_flag_overdue(now=later + timedelta(hours=1))
    assert [(a["status"], a["assignee"], a["notice"]) for a in _notices(handoff)] == [
        ("claimed", "member", 1),
        ("claimed", "member", 2),
    ]


@pytest.mark.parametrize("how", [{"resolution": "Quoted 40 seats."}, {"follow_up": "Send it."}])
def test_a_closed_handoff_is_announced_no_more(world, handoff, settings, how):
    settings.MANDATE_HANDOFF_RENOTIFY_MINUTES = 60
    first = handoff.due_at + timedelta(minutes=1)
    assert handoff.pk in services.handoffs_flag_overdue(now=first)
    services.handoff_close(handoff=handoff, by=world.people["member"], **how)
    assert handoff.pk not in services.handoffs_flag_overdue(now=first + timedelta(days=2))
    assert len(_notices(handoff)) == 1


def test_with_no_interval_an_overdue_handoff_is_announced_once(world, handoff, settings):
    settings.MANDATE_HANDOFF_RENOTIFY_MINUTES = 0
    first = handoff.due_at + timedelta(minutes=1)
    assert handoff.pk in services.handoffs_flag_overdue(now=first)
    assert handoff.pk not in services.handoffs_flag_overdue(now=first + timedelta(days=2))


def test_the_inbox_shows_my_teams_work_and_all_to_owners(world):
    mine = approvals_list(organization=world.org, user=world.people["member"], mine=True)
    assert mine.count() == 1
    outsider = make_member(world.org, ["member"], UserFactory(username="elsewhere"))
    assert approvals_list(organization=world.org, user=outsider, mine=True).count() == 0
    assert (
        approvals_list(organization=world.org, user=world.people["owner"], mine=True).count() == 1
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_people_deciding_at_once_make_exactly_one_decision(world):
    approval = Approval.objects.get(organization=world.org)
    barrier = threading.Barrier(2)
    results = []

    def decide(user, verdict, comment):
        barrier.wait()
        try:
            services.approval_decide(approval=approval, by=user, verdict=verdict, comment=comment)
            results.append("decided")
        except Conflict:
            results.append("told")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(world.people["member"], "approve", "")),
        threading.Thread(target=decide, args=(world.people["owner"], "reject", "No")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["decided", "told"]
    assert (
        AuditEvent.objects.filter(verb__in=["approval.approved", "approval.rejected"]).count() == 1
    )
    assert timezone.now() >= Approval.objects.get(pk=approval.pk).decided_at


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_sweeps_at_once_announce_an_overdue_handoff_once(world):
    handoff = Handoff.objects.get(organization=world.org)
    later = handoff.due_at + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        barrier.wait()
        try:
            results.append(services.handoffs_flag_overdue(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(handoff.pk in flagged for flagged in results) == [False, True]
    assert [after["notice"] for after in _notices(handoff)] == [1]


def test_the_home_page_counts_a_claimed_handoff_that_is_late(world, handoff):
    late = handoff.due_at + timedelta(minutes=1)
    assert human_loop_summary(organization=world.org, now=late)["handoffs_overdue"] == 1
    services.handoff_claim(handoff=handoff, by=world.people["member"])
    summary = human_loop_summary(organization=world.org, now=late)
    assert (summary["handoffs_open"], summary["handoffs_overdue"]) == (1, 1)
    services.handoff_close(handoff=handoff, by=world.people["member"], resolution="Called.")
    summary = human_loop_summary(organization=world.org, now=late)
    assert (summary["handoffs_open"], summary["handoffs_overdue"]) == (0, 0)
